/*
 * seq.c - the behaviour-sequence model: next-item prediction from the
 * order of each user's typed events (igraph-train --model seq).
 *
 * The network is SASRec's (Kang & McAuley, "Self-attentive sequential
 * recommendation", ICDM 2018) with the pre-LN block order of Xiong et al.
 * ("On layer normalization in the transformer architecture", ICML 2020)
 * and, since e-commerce events are typed, a behaviour embedding added to
 * the item and position embeddings:
 *
 *   x_t  = Dropout(LN0(E[item_t] + P[L-n+t] + B[behaviour_t]))
 *   per block:  x += Dropout(MHA(LN1(x)))          causal, H heads
 *               x += Dropout(W2 GELU(W1 LN2(x) + b1) + b2)
 *   h_t  = LNf(x_t);   score(next = i) = h_t . E[i]  (tied embeddings)
 *
 * MHA is softmax(Q K^T / sqrt(d/H)) V over the rows j <= t of the same
 * sequence, with Q, K, V and the output projection affine maps.  GELU is
 * the exact one, x Phi(x) (Hendrycks & Gimpel 2016).  The loss is the
 * softmax cross-entropy over all items at every position, which Klenitskiy
 * & Vasilev ("Turning dross into gold loss: is BERT4Rec really better
 * than SASRec?", RecSys 2023) show to be what lifts SASRec above the
 * one-negative BCE of the original paper.  Adam (adam.h) on every
 * parameter; the forward and backward passes are written out below, the
 * dense products through OpenBLAS sgemm, attention and the softmax over
 * items with OpenMP over sequences and rows (each output element is
 * written by one thread, so the thread count changes no result beyond
 * what OpenBLAS's own threading does).
 *
 * A user's vector is h at the last of their current events, so serving
 * needs no retraining: igraph-recommend and igraph-propagate read an
 * events stream (seqs.h) and an event that arrives after training
 * changes that user's next recommendations at once.
 */
#include "seq.h"
#include "clock.h"
#include "embed.h"
#include "error.h"
#include "learn.h"
#include "adam.h"
#include "mem.h"
#include "model.h"
#include "rand.h"
#include "train.h"

#include <cJSON.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_EPS 1e-6f
/* rows of the item softmax computed at once: a block of 32 x items
 * stays in cache between the three passes and the two products */
#define SOFTMAX_ROWS 32
/* fewer rows than this are not worth waking threads for (a small batch
 * finishes before they would) */
#define PAR_ROWS 512

/* ---- parameter layout -------------------------------------------------- */

struct blk_off {
	size_t ln1g, ln1b, wq, bq, wk, bk, wv, bv, wo, bo, ln2g, ln2b, w1, b1,
		w2, b2;
};

struct layout {
	size_t E, P, B, ln0g, ln0b, lnfg, lnfb, total;
	struct blk_off b[IGR_SEQ_MAXBLOCKS];
};

static void layout_of(const igr_seqnet_cfg *c, struct layout *l)
{
	size_t o = 0, d = c->d, f = c->ffn;
	uint32_t k;

#define TAKE(field, n) ((field) = o, o += (n))
	TAKE(l->E, (size_t)c->ni * d);
	TAKE(l->P, (size_t)c->L * d);
	TAKE(l->B, (size_t)IGR_NBEHAVIOR * d);
	TAKE(l->ln0g, d);
	TAKE(l->ln0b, d);
	for (k = 0; k < c->blocks; k++) {
		struct blk_off *b = &l->b[k];

		TAKE(b->ln1g, d);
		TAKE(b->ln1b, d);
		TAKE(b->wq, d * d);
		TAKE(b->bq, d);
		TAKE(b->wk, d * d);
		TAKE(b->bk, d);
		TAKE(b->wv, d * d);
		TAKE(b->bv, d);
		TAKE(b->wo, d * d);
		TAKE(b->bo, d);
		TAKE(b->ln2g, d);
		TAKE(b->ln2b, d);
		TAKE(b->w1, d * f);
		TAKE(b->b1, f);
		TAKE(b->w2, f * d);
		TAKE(b->b2, d);
	}
	TAKE(l->lnfg, d);
	TAKE(l->lnfb, d);
#undef TAKE
	l->total = o;
}

static int cfg_check(const igr_seqnet_cfg *c)
{
	if (c->ni == 0 || c->d == 0 || c->L == 0 || c->heads == 0 ||
	    c->blocks == 0 || c->blocks > IGR_SEQ_MAXBLOCKS || c->ffn == 0 ||
	    c->d % c->heads != 0)
		return igr_error("seq: bad network shape (items %u, dim %u, "
				 "max-len %u, heads %u, blocks %u)", c->ni,
				 c->d, c->L, c->heads, c->blocks);
	return 0;
}

void igr_seqnet_free(igr_seqnet *n)
{
	if (n == NULL)
		return;
	free(n->param);
	free(n);
}

static igr_seqnet *net_alloc(const igr_seqnet_cfg *c)
{
	igr_seqnet *n;
	struct layout l;

	if (cfg_check(c) < 0)
		return NULL;
	layout_of(c, &l);
	n = calloc(1, sizeof *n);
	if (n == NULL || (n->param = calloc(l.total, sizeof *n->param)) ==
				 NULL) {
		free(n);
		return igr_error("out of memory"), NULL;
	}
	n->c = *c;
	n->nparam = l.total;
	return n;
}

igr_seqnet *igr_seqnet_new(const igr_seqnet_cfg *c, uint64_t seed)
{
	igr_seqnet *n = net_alloc(c);
	struct layout l;
	igr_rng rng;
	size_t i;
	uint32_t k, j;

	if (n == NULL)
		return NULL;
	layout_of(c, &l);
	/* N(0, 0.02): the initialiser of BERT and of the S3-Rec / ICLRec /
	 * BSARec code; layer norms start as the identity */
	igr_rng_stream(&rng, seed, 0x73657169, 0);
	for (i = 0; i < n->nparam; i++)
		n->param[i] = (float)(0.02 * igr_rng_normal(&rng));
#define LNINIT(g, b)                                                         \
	for (j = 0; j < c->d; j++) {                                         \
		n->param[(g) + j] = 1;                                       \
		n->param[(b) + j] = 0;                                       \
	}
	LNINIT(l.ln0g, l.ln0b);
	LNINIT(l.lnfg, l.lnfb);
	for (k = 0; k < c->blocks; k++) {
		const struct blk_off *b = &l.b[k];

		LNINIT(b->ln1g, b->ln1b);
		LNINIT(b->ln2g, b->ln2b);
		memset(n->param + b->bq, 0, c->d * sizeof(float));
		memset(n->param + b->bk, 0, c->d * sizeof(float));
		memset(n->param + b->bv, 0, c->d * sizeof(float));
		memset(n->param + b->bo, 0, c->d * sizeof(float));
		memset(n->param + b->b1, 0, c->ffn * sizeof(float));
		memset(n->param + b->b2, 0, c->d * sizeof(float));
	}
#undef LNINIT
	return n;
}

/* ---- the workspace: one batch's activations ------------------------- */

struct blk_tape {
	float *u, *mu1, *rs1, *q, *k, *v, *o, *m1, *xm, *u2, *mu2, *rs2, *z,
		*gz, *m2, *att;
};

struct igr_seqnet_work {
	size_t cap, acap;        /* rows, attention floats per block */
	uint32_t d, f, blocks;   /* the shape the buffers are for */
	float *x0, *mu0, *rs0, *m0;
	float *xs[IGR_SEQ_MAXBLOCKS + 1];
	struct blk_tape b[IGR_SEQ_MAXBLOCKS];
	float *y, *muf, *rsf;
	/* backward scratch */
	float *dx, *t1, *t2, *du, *dq, *dk, *dv, *dO, *lg, *rowloss;
	uint32_t *pos;
	size_t *aoff;            /* per sequence: its attention offset */
	size_t aoff_cap;
};

igr_seqnet_work *igr_seqnet_work_new(void)
{
	igr_seqnet_work *w = calloc(1, sizeof *w);

	if (w == NULL)
		igr_error("out of memory");
	return w;
}

/* Every row buffer with its width (in floats per row; 0: not used). */
struct rowbuf {
	float **p;
	size_t width;
};

static size_t rowbufs(igr_seqnet_work *w, struct rowbuf *rb)
{
	size_t n = 0, d = w->d, f = w->f;
	uint32_t k;

#define RB(ptr, wd) (rb[n].p = &(ptr), rb[n].width = (wd), n++)
	RB(w->x0, d);
	RB(w->mu0, 1);
	RB(w->rs0, 1);
	RB(w->m0, d);
	for (k = 0; k <= w->blocks; k++)
		RB(w->xs[k], d);
	for (k = 0; k < w->blocks; k++) {
		struct blk_tape *b = &w->b[k];

		RB(b->u, d);
		RB(b->mu1, 1);
		RB(b->rs1, 1);
		RB(b->q, d);
		RB(b->k, d);
		RB(b->v, d);
		RB(b->o, d);
		RB(b->m1, d);
		RB(b->xm, d);
		RB(b->u2, d);
		RB(b->mu2, 1);
		RB(b->rs2, 1);
		RB(b->z, f);
		RB(b->gz, f);
		RB(b->m2, d);
	}
	RB(w->y, d);
	RB(w->muf, 1);
	RB(w->rsf, 1);
	RB(w->dx, d);
	RB(w->t1, d);
	RB(w->t2, f > d ? f : d);
	RB(w->du, d);
	RB(w->dq, d);
	RB(w->dk, d);
	RB(w->dv, d);
	RB(w->dO, d);
#undef RB
	return n;
}

static void work_release(igr_seqnet_work *w)
{
	struct rowbuf rb[32 + 16 * IGR_SEQ_MAXBLOCKS];
	size_t i, n = rowbufs(w, rb);
	uint32_t k;

	for (i = 0; i < n; i++) {
		free(*rb[i].p);
		*rb[i].p = NULL;
	}
	for (k = 0; k < IGR_SEQ_MAXBLOCKS; k++) {
		free(w->b[k].att);
		w->b[k].att = NULL;
	}
	free(w->pos);
	w->pos = NULL;
	w->cap = 0;
	w->acap = 0;
}

void igr_seqnet_work_free(igr_seqnet_work *w)
{
	if (w == NULL)
		return;
	work_release(w);
	free(w->lg);
	free(w->rowloss);
	free(w->aoff);
	free(w);
}

/* Room for R rows, NSEQ sequences and ASZ attention floats per block. */
static int work_reserve(igr_seqnet_work *w, const igr_seqnet *n, size_t r,
			size_t nseq, size_t asz)
{
	struct rowbuf rb[32 + 16 * IGR_SEQ_MAXBLOCKS];
	size_t i, nb;
	uint32_t k;

	if (w->d != n->c.d || w->f != n->c.ffn || w->blocks != n->c.blocks) {
		work_release(w);
		w->d = n->c.d;
		w->f = n->c.ffn;
		w->blocks = n->c.blocks;
	}
	if (r > w->cap) {
		size_t cap = r + r / 4 + 16;

		nb = rowbufs(w, rb);
		for (i = 0; i < nb; i++) {
			free(*rb[i].p);
			*rb[i].p = malloc(cap * rb[i].width * sizeof(float));
			if (*rb[i].p == NULL) {
				work_release(w);
				return igr_error("out of memory");
			}
		}
		free(w->pos);
		w->pos = malloc(cap * sizeof *w->pos);
		if (w->pos == NULL) {
			work_release(w);
			return igr_error("out of memory");
		}
		w->cap = cap;
	}
	if (asz > w->acap) {
		size_t cap = asz + asz / 4 + 16;

		for (k = 0; k < w->blocks; k++) {
			free(w->b[k].att);
			w->b[k].att = malloc(cap * sizeof(float));
			if (w->b[k].att == NULL) {
				work_release(w);
				return igr_error("out of memory");
			}
		}
		w->acap = cap;
	}
	if (nseq + 1 > w->aoff_cap) {
		size_t *p = realloc(w->aoff, (nseq + 1) * sizeof *p);

		if (p == NULL)
			return igr_error("out of memory");
		w->aoff = p;
		w->aoff_cap = nseq + 1;
	}
	return 0;
}

/* ---- layers --------------------------------------------------------- */

/* Y (r x out) = X (r x in) W (in x out) + b */
static void lin_fwd(const float *x, size_t r, size_t in, size_t out,
		    const float *wt, const float *b, float *y)
{
	size_t i, j;

	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r,
		    (int)out, (int)in, 1.0f, x, (int)in, wt, (int)out, 0.0f, y,
		    (int)out);
	for (i = 0; i < r; i++)
		for (j = 0; j < out; j++)
			y[i * out + j] += b[j];
}

/* dW += X^T dY, db += column sums of dY, dX = (BETA dX) + dY W^T (dX
 * NULL: not wanted). */
static void lin_bwd(const float *x, const float *dy, size_t r, size_t in,
		    size_t out, const float *wt, float *dw, float *db,
		    float *dx, float beta)
{
	size_t i, j;

	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in,
		    (int)out, (int)r, 1.0f, x, (int)in, dy, (int)out, 1.0f, dw,
		    (int)out);
	for (i = 0; i < r; i++)
		for (j = 0; j < out; j++)
			db[j] += dy[i * out + j];
	if (dx != NULL)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r,
			    (int)in, (int)out, 1.0f, dy, (int)out, wt, (int)out,
			    beta, dx, (int)in);
}

static void ln_fwd(const float *x, size_t r, uint32_t d, const float *g,
		   const float *b, float *y, float *mu, float *rs)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < r; i++) {
		const float *xi = x + i * d;
		float *yi = y + i * d;
		double s = 0, s2 = 0;
		float m, v;

		for (j = 0; j < d; j++)
			s += xi[j];
		m = (float)(s / d);
		for (j = 0; j < d; j++)
			s2 += (double)(xi[j] - m) * (xi[j] - m);
		v = (float)(s2 / d);
		mu[i] = m;
		rs[i] = 1.0f / sqrtf(v + LN_EPS);
		for (j = 0; j < d; j++)
			yi[j] = g[j] * (xi[j] - m) * rs[i] + b[j];
	}
}

/* dX += the layer norm's input gradient from dY; dg, db accumulate. */
static void ln_bwd(const float *x, const float *dy, size_t r, uint32_t d,
		   const float *g, const float *mu, const float *rs, float *dx,
		   float *dg, float *db)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < r; i++) {
		const float *xi = x + i * d, *dyi = dy + i * d;
		float *dxi = dx + i * d;
		double a = 0, bsum = 0;

		for (j = 0; j < d; j++) {
			float xh = (xi[j] - mu[i]) * rs[i], dxh = dyi[j] * g[j];

			dg[j] += dyi[j] * xh;
			db[j] += dyi[j];
			a += dxh;
			bsum += (double)dxh * xh;
		}
		a /= d;
		bsum /= d;
		for (j = 0; j < d; j++) {
			float xh = (xi[j] - mu[i]) * rs[i], dxh = dyi[j] * g[j];

			dxi[j] += rs[i] * (dxh - (float)a - xh * (float)bsum);
		}
	}
}

static float gelu(float z)
{
	return 0.5f * z * (1.0f + erff(z * 0.70710678f));
}

static float gelu_d(float z)
{
	return 0.5f * (1.0f + erff(z * 0.70710678f)) +
	       z * 0.39894228f * expf(-0.5f * z * z);
}

/* Dropout masks: 0 or 1 / (1 - p), drawn in row order from RNG. */
static void drop_mask(float *m, size_t n, double p, igr_rng *rng)
{
	uint32_t p32 = (uint32_t)(p * 4294967296.0);
	float keep = (float)(1.0 / (1.0 - p));
	size_t i;

	for (i = 0; i < n; i++)
		m[i] = igr_rng_chance(rng, p32) ? 0.0f : keep;
}

/* Causal attention of every sequence and head: O from Q, K, V; the
 * probabilities into ATT (per sequence aoff[b], heads n x n each). */
static void attn_fwd(const igr_seqnet *n, igr_seqnet_work *w,
		     const struct blk_tape *t, const uint32_t *off,
		     size_t nseq)
{
	uint32_t d = n->c.d, H = n->c.heads, dh = d / H;
	float scale = 1.0f / sqrtf((float)dh);
	int64_t b;

#pragma omp parallel for schedule(dynamic, 4) if (off[nseq] >= PAR_ROWS)
	for (b = 0; b < (int64_t)nseq; b++) {
		size_t r0 = off[b], len = off[b + 1] - off[b], i, j;
		uint32_t h, c;

		for (h = 0; h < H; h++) {
			float *A = t->att + w->aoff[b] + (size_t)h * len * len;

			for (i = 0; i < len; i++) {
				const float *qi = t->q + (r0 + i) * d + h * dh;
				float *oi = t->o + (r0 + i) * d + h * dh, mx;
				float *Ai = A + i * len, s = 0;

				mx = -INFINITY;
				for (j = 0; j <= i; j++) {
					const float *kj =
						t->k + (r0 + j) * d + h * dh;
					float x = 0;

					for (c = 0; c < dh; c++)
						x += qi[c] * kj[c];
					Ai[j] = x * scale;
					if (Ai[j] > mx)
						mx = Ai[j];
				}
				for (j = 0; j <= i; j++) {
					Ai[j] = expf(Ai[j] - mx);
					s += Ai[j];
				}
				for (c = 0; c < dh; c++)
					oi[c] = 0;
				for (j = 0; j <= i; j++) {
					const float *vj =
						t->v + (r0 + j) * d + h * dh;

					Ai[j] /= s;
					for (c = 0; c < dh; c++)
						oi[c] += Ai[j] * vj[c];
				}
			}
		}
	}
}

/* dQ, dK, dV (zeroed here) from dO through the stored probabilities. */
static void attn_bwd(const igr_seqnet *n, igr_seqnet_work *w,
		     const struct blk_tape *t, const uint32_t *off,
		     size_t nseq)
{
	uint32_t d = n->c.d, H = n->c.heads, dh = d / H;
	float scale = 1.0f / sqrtf((float)dh);
	int64_t b;

#pragma omp parallel for schedule(dynamic, 4) if (off[nseq] >= PAR_ROWS)
	for (b = 0; b < (int64_t)nseq; b++) {
		size_t r0 = off[b], len = off[b + 1] - off[b], i, j;
		uint32_t h, c;
		float ds[4096];

		memset(w->dq + r0 * d, 0, len * d * sizeof(float));
		memset(w->dk + r0 * d, 0, len * d * sizeof(float));
		memset(w->dv + r0 * d, 0, len * d * sizeof(float));
		for (h = 0; h < H; h++) {
			const float *A =
				t->att + w->aoff[b] + (size_t)h * len * len;

			for (i = 0; i < len; i++) {
				const float *Ai = A + i * len;
				const float *doi = w->dO + (r0 + i) * d + h * dh;
				const float *qi = t->q + (r0 + i) * d + h * dh;
				float *dqi = w->dq + (r0 + i) * d + h * dh;
				float sum = 0;

				for (j = 0; j <= i; j++) {
					const float *vj =
						t->v + (r0 + j) * d + h * dh;
					float *dvj =
						w->dv + (r0 + j) * d + h * dh;
					float x = 0;

					for (c = 0; c < dh; c++) {
						x += doi[c] * vj[c];
						dvj[c] += Ai[j] * doi[c];
					}
					ds[j] = x;
					sum += Ai[j] * x;
				}
				for (j = 0; j <= i; j++) {
					const float *kj =
						t->k + (r0 + j) * d + h * dh;
					float *dkj =
						w->dk + (r0 + j) * d + h * dh;
					float g = Ai[j] * (ds[j] - sum) * scale;

					for (c = 0; c < dh; c++) {
						dqi[c] += g * kj[c];
						dkj[c] += g * qi[c];
					}
				}
			}
		}
	}
}

/* GCC 12's -O2 cost model leaves these loops scalar (and with
 * target_clones beside it, GCC 12 vectorises none of the clones: SSE2) */
#if defined(__GNUC__) && !defined(__clang__)
#define SEQ_VEC __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define SEQ_VEC
#endif

/* e^x for x <= 0, to about 2 ulp: x = n ln2 + r, |r| <= ln2/2, e^r by
 * the minimax polynomial of Cephes' expf (S. Moshier), 2^n through the
 * exponent bits; a loop of it vectorises, unlike calls to expf. */
static inline float exp_neg(float x)
{
	union {
		uint32_t u;
		float f;
	} sc;
	float n, r, p;

	x = x > -87.0f ? x : -87.0f;
	n = (float)(int32_t)(x * 1.44269504f - 0.5f);
	r = x - n * 0.693359375f + n * 2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	sc.u = (uint32_t)((int32_t)n + 127) << 23;
	return p * sc.f;
}

/* One row of logits ROW[0..NI) into the gradient of its cross-entropy
 * with target T, times INV: (softmax - onehot) INV.  Returns the loss. */
SEQ_VEC
static float softmax_grad(float *restrict row, uint32_t ni, uint32_t t,
			  float inv)
{
	float mx = -INFINITY, s = 0, sc, lt;
	uint32_t i;

#pragma omp simd reduction(max : mx)
	for (i = 0; i < ni; i++)
		mx = row[i] > mx ? row[i] : mx;
	lt = row[t] - mx;
#pragma omp simd reduction(+ : s)
	for (i = 0; i < ni; i++) {
		float e = exp_neg(row[i] - mx);

		row[i] = e;
		s += e;
	}
	sc = inv / s;
	for (i = 0; i < ni; i++)
		row[i] *= sc;
	row[t] -= inv;
	return logf(s) - lt;
}

/* ---- the passes ----------------------------------------------------- */

/* Forward pass of a packed batch; with DROPOUT > 0 the masks are drawn
 * from RNG.  Leaves h in w->y. */
static int forward(const igr_seqnet *n, igr_seqnet_work *w,
		   const uint32_t *tok, const uint8_t *beh, const uint32_t *off,
		   size_t nseq, double dropout, igr_rng *rng)
{
	struct layout l;
	const float *P = n->param;
	size_t r = off[nseq], i, asz = 0, b;
	uint32_t d = n->c.d, f = n->c.ffn, k, j;

	layout_of(&n->c, &l);
	for (b = 0; b < nseq; b++) {
		size_t len = off[b + 1] - off[b];

		if (len > n->c.L || len > 4096)
			return igr_error("seq: a sequence of %zu rows (at "
					 "most %u)", len, n->c.L);
		asz += len * len * n->c.heads;
	}
	if (work_reserve(w, n, r ? r : 1, nseq, asz ? asz : 1) < 0)
		return -1;
	for (b = 0, asz = 0; b < nseq; b++) {
		size_t len = off[b + 1] - off[b];

		w->aoff[b] = asz;
		asz += len * len * n->c.heads;
		for (i = 0; i < len; i++)
			w->pos[off[b] + i] = (uint32_t)(n->c.L - len + i);
	}
	for (i = 0; i < r; i++) {
		const float *e = P + l.E + (size_t)tok[i] * d;
		const float *p = P + l.P + (size_t)w->pos[i] * d;
		const float *bh = P + l.B + (size_t)beh[i] * d;
		float *x = w->x0 + i * d;

		if (tok[i] >= n->c.ni || beh[i] >= IGR_NBEHAVIOR)
			return igr_error("seq: item %u or behaviour %u out "
					 "of range", tok[i], beh[i]);
		for (j = 0; j < d; j++)
			x[j] = e[j] + p[j] + bh[j];
	}
	ln_fwd(w->x0, r, d, P + l.ln0g, P + l.ln0b, w->xs[0], w->mu0, w->rs0);
	if (dropout > 0) {
		drop_mask(w->m0, r * d, dropout, rng);
		for (i = 0; i < r * d; i++)
			w->xs[0][i] *= w->m0[i];
	}
	for (k = 0; k < n->c.blocks; k++) {
		const struct blk_off *o = &l.b[k];
		struct blk_tape *t = &w->b[k];
		const float *xin = w->xs[k];
		float *xout = w->xs[k + 1];

		ln_fwd(xin, r, d, P + o->ln1g, P + o->ln1b, t->u, t->mu1,
		       t->rs1);
		lin_fwd(t->u, r, d, d, P + o->wq, P + o->bq, t->q);
		lin_fwd(t->u, r, d, d, P + o->wk, P + o->bk, t->k);
		lin_fwd(t->u, r, d, d, P + o->wv, P + o->bv, t->v);
		attn_fwd(n, w, t, off, nseq);
		lin_fwd(t->o, r, d, d, P + o->wo, P + o->bo, w->t1);
		if (dropout > 0)
			drop_mask(t->m1, r * d, dropout, rng);
		for (i = 0; i < r * d; i++)
			t->xm[i] = xin[i] + (dropout > 0 ? t->m1[i] : 1.0f) *
						    w->t1[i];
		ln_fwd(t->xm, r, d, P + o->ln2g, P + o->ln2b, t->u2, t->mu2,
		       t->rs2);
		lin_fwd(t->u2, r, d, f, P + o->w1, P + o->b1, t->z);
		for (i = 0; i < r * f; i++)
			t->gz[i] = gelu(t->z[i]);
		lin_fwd(t->gz, r, f, d, P + o->w2, P + o->b2, w->t1);
		if (dropout > 0)
			drop_mask(t->m2, r * d, dropout, rng);
		for (i = 0; i < r * d; i++)
			xout[i] = t->xm[i] + (dropout > 0 ? t->m2[i] : 1.0f) *
						     w->t1[i];
	}
	ln_fwd(w->xs[n->c.blocks], r, d, P + l.lnfg, P + l.lnfb, w->y, w->muf,
	       w->rsf);
	return 0;
}

int igr_seqnet_encode(const igr_seqnet *n, igr_seqnet_work *w,
		      const uint32_t *tok, const uint8_t *beh,
		      const uint32_t *off, size_t nseq, float *out)
{
	size_t b;
	uint32_t d = n->c.d;

	if (forward(n, w, tok, beh, off, nseq, 0, NULL) < 0)
		return -1;
	for (b = 0; b < nseq; b++) {
		if (off[b + 1] == off[b])
			memset(out + b * d, 0, d * sizeof *out);
		else
			memcpy(out + b * d, w->y + (off[b + 1] - 1) * d,
			       d * sizeof *out);
	}
	return 0;
}

int igr_seqnet_loss_grad(const igr_seqnet *n, igr_seqnet_work *w,
			 const uint32_t *tok, const uint8_t *beh,
			 const uint32_t *tgt, const uint32_t *off, size_t nseq,
			 double dropout, igr_rng *rng, double *loss,
			 float *grad)
{
	struct layout l;
	const float *P = n->param;
	size_t r = off[nseq], i, c0, ntgt = 0;
	uint32_t d = n->c.d, f = n->c.ffn, ni = n->c.ni, k, j;
	float *gE = grad, inv;
	double total = 0;

	memset(grad, 0, n->nparam * sizeof *grad);
	*loss = 0;
	if (forward(n, w, tok, beh, off, nseq, dropout, rng) < 0)
		return -1;
	layout_of(&n->c, &l);
	gE = grad + l.E;
	for (i = 0; i < r; i++)
		ntgt += tgt[i] != IGR_NONE;
	if (ntgt == 0)
		return 0;
	inv = 1.0f / (float)ntgt;
	if (w->lg == NULL) {
		w->lg = malloc((size_t)SOFTMAX_ROWS * ni * sizeof *w->lg);
		w->rowloss = malloc(SOFTMAX_ROWS * sizeof *w->rowloss);
		if (w->lg == NULL || w->rowloss == NULL)
			return igr_error("out of memory");
	}
	/* the softmax over all items, SOFTMAX_ROWS rows at a time: logits,
	 * loss, dlogits = (p - onehot) / targets, then dh and dE */
	for (c0 = 0; c0 < r; c0 += SOFTMAX_ROWS) {
		size_t nr = r - c0 < SOFTMAX_ROWS ? r - c0 : SOFTMAX_ROWS;
		int64_t q;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr,
			    (int)ni, (int)d, 1.0f, w->y + c0 * d, (int)d,
			    P + l.E, (int)d, 0.0f, w->lg, (int)ni);
#pragma omp parallel for schedule(static) if ((size_t)nr * ni >= 65536)
		for (q = 0; q < (int64_t)nr; q++) {
			float *row = w->lg + (size_t)q * ni;
			uint32_t t = tgt[c0 + q];

			w->rowloss[q] = 0;
			if (t == IGR_NONE)
				memset(row, 0, ni * sizeof *row);
			else
				w->rowloss[q] = softmax_grad(row, ni, t, inv);
		}
		for (i = 0; i < nr; i++)
			total += w->rowloss[i];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr,
			    (int)d, (int)ni, 1.0f, w->lg, (int)ni, P + l.E,
			    (int)d, 0.0f, w->t1 + c0 * d, (int)d);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ni,
			    (int)d, (int)nr, 1.0f, w->lg, (int)ni,
			    w->y + c0 * d, (int)d, 1.0f, gE, (int)d);
	}
	*loss = total / (double)ntgt;
	/* back through the final layer norm: t1 holds dh */
	memset(w->dx, 0, r * d * sizeof *w->dx);
	ln_bwd(w->xs[n->c.blocks], w->t1, r, d, P + l.lnfg, w->muf, w->rsf,
	       w->dx, grad + l.lnfg, grad + l.lnfb);
	for (k = n->c.blocks; k-- > 0;) {
		const struct blk_off *o = &l.b[k];
		struct blk_tape *t = &w->b[k];

		/* the feed-forward branch: dx is d xout */
		for (i = 0; i < r * d; i++)
			w->t1[i] = dropout > 0 ? w->dx[i] * t->m2[i] : w->dx[i];
		lin_bwd(t->gz, w->t1, r, f, d, P + o->w2, grad + o->w2,
			grad + o->b2, w->t2, 0.0f);
		for (i = 0; i < r * f; i++)
			w->t2[i] *= gelu_d(t->z[i]);
		lin_bwd(t->u2, w->t2, r, d, f, P + o->w1, grad + o->w1,
			grad + o->b1, w->du, 0.0f);
		ln_bwd(t->xm, w->du, r, d, P + o->ln2g, t->mu2, t->rs2, w->dx,
		       grad + o->ln2g, grad + o->ln2b);
		/* the attention branch: dx is d xmid */
		for (i = 0; i < r * d; i++)
			w->t1[i] = dropout > 0 ? w->dx[i] * t->m1[i] : w->dx[i];
		lin_bwd(t->o, w->t1, r, d, d, P + o->wo, grad + o->wo,
			grad + o->bo, w->dO, 0.0f);
		attn_bwd(n, w, t, off, nseq);
		lin_bwd(t->u, w->dq, r, d, d, P + o->wq, grad + o->wq,
			grad + o->bq, w->du, 0.0f);
		lin_bwd(t->u, w->dk, r, d, d, P + o->wk, grad + o->wk,
			grad + o->bk, w->du, 1.0f);
		lin_bwd(t->u, w->dv, r, d, d, P + o->wv, grad + o->wv,
			grad + o->bv, w->du, 1.0f);
		ln_bwd(w->xs[k], w->du, r, d, P + o->ln1g, t->mu1, t->rs1,
		       w->dx, grad + o->ln1g, grad + o->ln1b);
	}
	/* the embeddings */
	if (dropout > 0)
		for (i = 0; i < r * d; i++)
			w->dx[i] *= w->m0[i];
	memset(w->t1, 0, r * d * sizeof *w->t1);
	ln_bwd(w->x0, w->dx, r, d, P + l.ln0g, w->mu0, w->rs0, w->t1,
	       grad + l.ln0g, grad + l.ln0b);
	for (i = 0; i < r; i++) {
		const float *g = w->t1 + i * d;
		float *e = grad + l.E + (size_t)tok[i] * d;
		float *p = grad + l.P + (size_t)w->pos[i] * d;
		float *bh = grad + l.B + (size_t)beh[i] * d;

		for (j = 0; j < d; j++) {
			e[j] += g[j];
			p[j] += g[j];
			bh[j] += g[j];
		}
	}
	return 0;
}

size_t igr_seqnet_pack(const igr_seqs *s, const uint32_t *users, size_t nu,
		       uint32_t L, uint32_t ni, int train, uint32_t *tok,
		       uint8_t *beh, uint32_t *tgt, uint32_t *off)
{
	size_t b, r = 0;

	for (b = 0; b < nu; b++) {
		uint32_t u = users[b];
		uint64_t m = igr_seqs_len(s, u), a, e;

		off[b] = (uint32_t)r;
		if (m == 0)
			continue;
		a = s->ptr[u];
		if (train) {
			uint64_t t = m - 1 < L ? m - 1 : L;

			if (m < 2)
				continue;
			for (e = a + m - 1 - t; e < a + m - 1; e++) {
				if (s->item[e] >= ni || s->item[e + 1] >= ni)
					continue;
				tok[r] = s->item[e];
				beh[r] = s->beh[e];
				tgt[r++] = s->item[e + 1];
			}
		} else {
			/* the last L events the network knows the items of */
			uint64_t take = 0, start = a + m;

			while (start > a && take < L) {
				start--;
				if (s->item[start] < ni)
					take++;
			}
			for (e = start; e < a + m; e++) {
				if (s->item[e] >= ni)
					continue;
				tok[r] = s->item[e];
				beh[r] = s->beh[e];
				if (tgt != NULL)
					tgt[r] = IGR_NONE;
				r++;
			}
		}
	}
	off[nu] = (uint32_t)r;
	return r;
}

/* ---- training ----------------------------------------------------------- */

struct trainer {
	const igr_learn_opts *o;
	const igr_seqs *s;
	igr_seqnet *net;
	igr_seqnet_work *w;
	double dropout;
	uint32_t patience;
	igr_adam adam;
	float *grad;
	/* a batch */
	uint32_t *tok, *tgt, *off;
	uint8_t *beh;
	float *uvec;
};

/* Validation scores (learn.h igr_score_fn): each user's vector from
 * their training events, against every item. */
static int valid_score(void *c, const uint32_t *users, size_t nu, float *out)
{
	struct trainer *t = c;
	const igr_seqnet *n = t->net;
	struct layout l;

	layout_of(&n->c, &l);
	igr_seqnet_pack(t->s, users, nu, n->c.L, n->c.ni, 0, t->tok, t->beh,
			t->tgt, t->off);
	if (igr_seqnet_encode(n, t->w, t->tok, t->beh, t->off, nu, t->uvec) <
	    0)
		return -1;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nu,
		    (int)n->c.ni, (int)n->c.d, 1.0f, t->uvec, (int)n->c.d,
		    n->param + l.E, (int)n->c.d, 0.0f, out, (int)n->c.ni);
	return 0;
}

/* The network's shape and settings as model parameters (serving reads
 * them back). */
static int put_shape(igr_model *m, const igr_seqnet_cfg *c)
{
	cJSON *p = igr_model_params(m);

	if (p == NULL)
		return igr_error("out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(p, "items");
	cJSON_DeleteItemFromObjectCaseSensitive(p, "ffn");
	if (!cJSON_AddNumberToObject(p, "items", c->ni) ||
	    !cJSON_AddNumberToObject(p, "ffn", c->ffn))
		return igr_error("out of memory");
	return 0;
}

static int get_shape(const igr_model *m, igr_seqnet_cfg *c)
{
	c->ni = (uint32_t)igr_model_param_num(m, "items", 0);
	c->d = (uint32_t)igr_model_param_num(m, "dim", 0);
	c->L = (uint32_t)igr_model_param_num(m, "max-len", 0);
	c->heads = (uint32_t)igr_model_param_num(m, "heads", 0);
	c->blocks = (uint32_t)igr_model_param_num(m, "blocks", 0);
	c->ffn = (uint32_t)igr_model_param_num(m, "ffn", 0);
	return cfg_check(c);
}

static int ckpt_save(const struct trainer *t, uint32_t epoch,
		     const float *best, uint32_t best_epoch, double best_ndcg,
		     uint32_t since, double elapsed)
{
	igr_model *c = igr_model_new("seq");
	size_t np = t->net->nparam, i;
	uint64_t dims[1] = { np };
	const float *src[4] = { t->net->param, t->adam.m, t->adam.v, best };
	static const char *const names[4] = { "param", "adam_m", "adam_v",
					      "best" };
	cJSON *meta;
	int ok;

	if (c == NULL)
		return -1;
	meta = igr_model_params(c);
	ok = meta && put_shape(c, &t->net->c) == 0 &&
	     cJSON_AddTrueToObject(meta, "checkpoint") &&
	     cJSON_AddNumberToObject(meta, "dim", t->net->c.d) &&
	     cJSON_AddNumberToObject(meta, "max-len", t->net->c.L) &&
	     cJSON_AddNumberToObject(meta, "heads", t->net->c.heads) &&
	     cJSON_AddNumberToObject(meta, "blocks", t->net->c.blocks) &&
	     cJSON_AddNumberToObject(meta, "epoch", epoch) &&
	     cJSON_AddNumberToObject(meta, "adam_t", (double)t->adam.t) &&
	     cJSON_AddNumberToObject(meta, "best_epoch", best_epoch) &&
	     cJSON_AddNumberToObject(meta, "best_ndcg", best_ndcg) &&
	     cJSON_AddNumberToObject(meta, "since_best", since) &&
	     cJSON_AddNumberToObject(meta, "elapsed", elapsed);
	if (!ok) {
		igr_model_free(c);
		return igr_error("out of memory");
	}
	for (i = 0; i < 4; i++) {
		float *p;

		if (src[i] == NULL)
			continue;
		p = malloc(np * sizeof *p);
		if (p == NULL) {
			igr_model_free(c);
			return igr_error("out of memory");
		}
		memcpy(p, src[i], np * sizeof *p);
		if (igr_model_add(c, names[i], IGR_DT_F32, 1, dims, p) < 0) {
			free(p);
			igr_model_free(c);
			return -1;
		}
	}
	ok = igr_model_save(c, t->o->checkpoint) == 0;
	igr_model_free(c);
	return ok ? 0 : igr_error_prefix("checkpoint %s", t->o->checkpoint);
}

static int ckpt_load(struct trainer *t, uint32_t *epoch, float *best,
		     int *have_best, uint32_t *best_epoch, double *best_ndcg,
		     uint32_t *since, double *elapsed)
{
	igr_model *c = igr_model_load(t->o->checkpoint);
	const igr_array *p, *m1, *v1, *bb;
	igr_seqnet_cfg cc;
	size_t np = t->net->nparam;
	int ret = -1;

	if (c == NULL)
		return igr_error_prefix("resume");
	p = igr_model_need(c, "param", IGR_DT_F32, 1);
	m1 = p ? igr_model_need(c, "adam_m", IGR_DT_F32, 1) : NULL;
	v1 = m1 ? igr_model_need(c, "adam_v", IGR_DT_F32, 1) : NULL;
	if (v1 == NULL)
		goto out;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		    igr_model_params(c), "checkpoint")) ||
	    get_shape(c, &cc) < 0 || memcmp(&cc, &t->net->c, sizeof cc) != 0 ||
	    p->dim[0] != np || m1->dim[0] != np || v1->dim[0] != np) {
		igr_error("resume: checkpoint %s is for another model, events "
			  "or shape", t->o->checkpoint);
		goto out;
	}
	memcpy(t->net->param, p->data, np * sizeof(float));
	memcpy(t->adam.m, m1->data, np * sizeof(float));
	memcpy(t->adam.v, v1->data, np * sizeof(float));
	t->adam.t = (uint64_t)igr_model_param_num(c, "adam_t", 0);
	*epoch = (uint32_t)igr_model_param_num(c, "epoch", 0);
	*best_epoch = (uint32_t)igr_model_param_num(c, "best_epoch", 0);
	*best_ndcg = igr_model_param_num(c, "best_ndcg", -1);
	*since = (uint32_t)igr_model_param_num(c, "since_best", 0);
	*elapsed = igr_model_param_num(c, "elapsed", 0);
	bb = igr_model_get(c, "best");
	*have_best = 0;
	if (bb != NULL && best != NULL && bb->dtype == IGR_DT_F32 &&
	    igr_array_len(bb) == np) {
		memcpy(best, bb->data, np * sizeof(float));
		*have_best = 1;
	}
	ret = 0;
out:
	igr_model_free(c);
	return ret;
}

static void trainer_free(struct trainer *t)
{
	igr_seqnet_free(t->net);
	igr_seqnet_work_free(t->w);
	igr_adam_release(&t->adam);
	free(t->grad);
	free(t->tok);
	free(t->tgt);
	free(t->off);
	free(t->beh);
	free(t->uvec);
}

/* Fit a network to S; the model M gets its arrays.  0 or -1. */
static int fit(igr_model *m, const igr_seqs *s, const igr_graph *g,
	       const igr_learn_opts *o, const igr_seqnet_cfg *cfg,
	       double dropout, uint32_t patience, int valid_seen)
{
	struct trainer t;
	uint32_t *users = NULL, nact = 0, u, epoch = 0, best_epoch = 0;
	uint32_t since = 0, B = o->batch, vb = 256;
	size_t rows = 0, cap;
	double best_ndcg = -1, prior = 0, start;
	uint64_t examples = 0;
	float *best = NULL;
	int have_best = 0, ret = -1;
	igr_learn_status st;
	igr_rng rng;

	memset(&t, 0, sizeof t);
	memset(&st, 0, sizeof st);
	t.o = o;
	t.s = s;
	t.dropout = dropout;
	t.patience = patience;
	t.net = igr_seqnet_new(cfg, o->seed);
	if (t.net == NULL)
		return -1;
	t.w = igr_seqnet_work_new();
	cap = (size_t)(B > vb ? B : vb) * cfg->L;
	users = malloc(((size_t)s->nusers + 1) * sizeof *users);
	t.grad = malloc(t.net->nparam * sizeof *t.grad);
	t.tok = malloc(cap * sizeof *t.tok);
	t.tgt = malloc(cap * sizeof *t.tgt);
	t.beh = malloc(cap);
	t.off = malloc(((size_t)(B > vb ? B : vb) + 1) * sizeof *t.off);
	t.uvec = malloc((size_t)vb * cfg->d * sizeof *t.uvec);
	if (o->valid != NULL)
		best = malloc(t.net->nparam * sizeof *best);
	if (t.w == NULL || users == NULL || t.grad == NULL || t.tok == NULL ||
	    t.tgt == NULL || t.beh == NULL || t.off == NULL ||
	    t.uvec == NULL || (o->valid != NULL && best == NULL)) {
		igr_error("out of memory");
		goto out;
	}
	if (igr_adam_init(&t.adam, t.net->nparam) < 0)
		goto out;
	for (u = 0; u < s->nusers; u++)
		if (igr_seqs_len(s, u) >= 2) {
			users[nact++] = u;
			rows += igr_seqs_len(s, u) - 1 < cfg->L
					? igr_seqs_len(s, u) - 1 : cfg->L;
		}
	if (nact == 0) {
		igr_error("seq: no user has two events to learn from");
		goto out;
	}
	if (o->resume) {
		if (ckpt_load(&t, &epoch, best, &have_best, &best_epoch,
			      &best_ndcg, &since, &prior) < 0)
			goto out;
		if (epoch >= o->epochs) {
			igr_error("resume: the checkpoint has %u epochs "
				  "already; ask for more with --epochs", epoch);
			goto out;
		}
	}
	start = igr_now() - prior;
	st.model = "seq";
	st.epochs = o->epochs;
	st.best_epoch = best_epoch;
	st.best_recall = -1;
	while (epoch < o->epochs) {
		double loss = 0, frac = (double)epoch / o->epochs;
		uint32_t b, nb = (nact + B - 1) / B, i;
		float lr;
		int last;

		if (o->time_limit > 0 &&
		    (igr_now() - start) / o->time_limit > frac)
			frac = (igr_now() - start) / o->time_limit;
		lr = (float)igr_learn_lr(o, frac);
		/* this epoch's order of the users: Fisher-Yates of the id
		 * order from the epoch's own stream, so a resumed run draws
		 * the same */
		for (u = 0, i = 0; u < s->nusers; u++)
			if (igr_seqs_len(s, u) >= 2)
				users[i++] = u;
		igr_rng_stream(&rng, o->seed, 0x7368756600000000ULL | epoch,
			       0);
		for (i = nact; i > 1; i--) {
			uint32_t j = igr_rng_below(&rng, i), x = users[i - 1];

			users[i - 1] = users[j];
			users[j] = x;
		}
		uint64_t seen = 0;
		int cut = 0;

		for (b = 0; b < nb && !cut; b++) {
			uint32_t n0 = b * B, nu = nact - n0 < B ? nact - n0 : B;
			double l;

			igr_seqnet_pack(s, users + n0, nu, cfg->L, cfg->ni, 1,
					t.tok, t.beh, t.tgt, t.off);
			igr_rng_stream(&rng, o->seed, epoch + 1, b);
			if (igr_seqnet_loss_grad(t.net, t.w, t.tok, t.beh,
						 t.tgt, t.off, nu, dropout,
						 &rng, &l, t.grad) < 0)
				goto out;
			igr_adam_step(&t.adam, t.net->param, t.grad, lr);
			loss += l * (t.off[nu]);
			examples += t.off[nu];
			seen += t.off[nu];
			/* the time limit ends an epoch early */
			cut = b + 1 < nb && igr_learn_out_of_time(o, start);
		}
		epoch++;
		st.epoch = epoch;
		st.loss = loss / (double)(cut ? (seen ? seen : 1) : rows);
		st.validated = 0;
		if (cut && igr_learn_note_cut(m, epoch, (double)b / nb) < 0)
			goto out;
		last = epoch == o->epochs || epoch == o->stop_epoch || cut ||
		       igr_learn_out_of_time(o, start);
		if (o->valid != NULL &&
		    ((o->valid_every && epoch % o->valid_every == 0) || last)) {
			if (igr_valid_eval(o->valid, cfg->ni, o->valid_k,
					   valid_seen ? NULL
						      : g->rel[IGR_USER][IGR_ITEM],
					   valid_score, &t, &st.recall,
					   &st.ndcg) < 0)
				goto out;
			st.validated = 1;
			if (st.ndcg > best_ndcg) {
				best_ndcg = st.ndcg;
				best_epoch = epoch;
				st.best_recall = st.recall;
				memcpy(best, t.net->param,
				       t.net->nparam * sizeof *best);
				have_best = 1;
				since = 0;
			} else {
				since++;
			}
			if (igr_learn_curve_add(m, epoch, igr_now() - start,
						st.recall, st.ndcg) < 0)
				goto out;
			if (patience > 0 && since >= patience)
				last = 1;
		}
		st.best_epoch = best_epoch;
		igr_learn_report(o, &st, start, examples);
		if (o->checkpoint != NULL &&
		    (epoch % o->checkpoint_every == 0 || last) &&
		    ckpt_save(&t, epoch, have_best ? best : NULL, best_epoch,
			      best_ndcg, since, igr_now() - start) < 0)
			goto out;
		if (last)
			break;
	}
	if (have_best)
		memcpy(t.net->param, best, t.net->nparam * sizeof *best);
	{
		cJSON *d = igr_model_data(m);
		uint64_t dims[1] = { t.net->nparam };

		if (d == NULL ||
		    !cJSON_AddNumberToObject(d, "epochs_run", epoch) ||
		    !cJSON_AddNumberToObject(d, "train_seconds",
					     igr_now() - start) ||
		    !cJSON_AddNumberToObject(d, "train_rows", (double)rows) ||
		    !cJSON_AddNumberToObject(d, "final_loss", st.loss) ||
		    (have_best &&
		     (!cJSON_AddNumberToObject(d, "best_epoch", best_epoch) ||
		      !cJSON_AddNumberToObject(d, "best_ndcg", best_ndcg)))) {
			igr_error("out of memory");
			goto out;
		}
		if (put_shape(m, cfg) < 0 ||
		    igr_model_add(m, "param", IGR_DT_F32, 1, dims,
				  t.net->param) < 0)
			goto out;
		t.net->param = NULL; /* the model's now */
	}
	ret = 0;
out:
	free(best);
	free(users);
	trainer_free(&t);
	return ret;
}

igr_model *igr_train_seq(igr_reader *r, const struct igr_train_ctx *ctx)
{
	igr_model *m = igr_model_new("seq");
	igr_learn_opts o;
	igr_seqnet_cfg c;
	igr_seqs *s = NULL;
	igr_graph *g = NULL;
	double dropout;
	uint32_t patience;
	int rc = -1, have_opts = 0, valid_seen;

	if (m == NULL)
		return NULL;
	if (igr_learn_opts_from_ctx(&o, "seq", ctx, m) < 0)
		goto out;
	have_opts = 1;
	memset(&c, 0, sizeof c);
	c.d = o.dim;
	c.L = (uint32_t)igr_train_num(ctx, m, "max-len", 50);
	c.heads = (uint32_t)igr_train_num(ctx, m, "heads", 2);
	c.blocks = (uint32_t)igr_train_num(ctx, m, "blocks", 2);
	c.ffn = 4 * c.d;
	dropout = igr_train_num(ctx, m, "dropout", 0.5);
	patience = (uint32_t)igr_train_num(ctx, m, "patience", 10);
	valid_seen = igr_train_flag(ctx, m, "valid-seen");
	if (c.d % c.heads != 0) {
		igr_error("seq: --dim %u is not a multiple of --heads %u", c.d,
			  c.heads);
		goto out;
	}
	s = igr_seqs_read(r);
	if (s == NULL)
		goto out;
	g = igr_seqs_graph(s);
	if (g == NULL || igr_train_data_summary(m, g, ctx->source) < 0)
		goto out;
	c.ni = s->nitems;
	igr_report_progress(ctx->report, "seq: training");
	rc = fit(m, s, g, &o, &c, dropout, patience, valid_seen);
out:
	igr_report_progress_done(ctx->report);
	if (have_opts)
		igr_learn_opts_release(&o);
	igr_graph_free(g);
	igr_seqs_free(s);
	if (rc < 0) {
		igr_model_free(m);
		return NULL;
	}
	return m;
}

static int check_seq(const struct igr_train_ctx *ctx)
{
	double d = igr_train_num(ctx, NULL, "dim", 64);
	double h = igr_train_num(ctx, NULL, "heads", 2);

	if ((uint32_t)d % (uint32_t)h != 0)
		return igr_error("--dim %g is not a multiple of --heads %g", d,
				 h);
	return 0;
}

/* ---- serving ---------------------------------------------------------- */

struct seq_state {
	igr_seqnet net;      /* param points into the model's array */
	uint32_t nu;
	float *user;         /* nu x d */
	uint8_t *known;      /* nu */
};

static void seq_release(igr_model *m)
{
	struct seq_state *st = m->state;

	free(st->user);
	free(st->known);
	free(st);
	m->state = NULL;
}

/* Vectors of users U0 .. U0+NB-1 into ST with workspace W and room for
 * VB users' rows in TOK, BEH, OFF.  0 or -1. */
static int encode_users(struct seq_state *st, const igr_seqs *s, uint32_t u0,
			uint32_t nb, igr_seqnet_work *w, uint32_t *tok,
			uint8_t *beh, uint32_t *off, uint32_t *users)
{
	uint32_t j;

	for (j = 0; j < nb; j++)
		users[j] = u0 + j;
	igr_seqnet_pack(s, users, nb, st->net.c.L, st->net.c.ni, 0, tok, beh,
			NULL, off);
	if (igr_seqnet_encode(&st->net, w, tok, beh, off, nb,
			      st->user + (size_t)u0 * st->net.c.d) < 0)
		return -1;
	for (j = 0; j < nb; j++)
		st->known[u0 + j] = off[j + 1] > off[j];
	return 0;
}

static int seq_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *pa = igr_model_need(m, "param", IGR_DT_F32, 1);
	const igr_seqs *s = g->seqs;
	struct seq_state *st;
	struct layout l;
	/* one user a pass: a user's vector depends on their events alone
	 * (a batch would change the rounding of its neighbours' products) */
	enum { VB = 1 };
	int64_t c;
	int ret = 0;

	if (pa == NULL)
		return -1;
	if (s == NULL)
		return igr_error("seq: the model reads each user's events: "
				 "give an events stream, not a graph");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return igr_error("out of memory");
	if (get_shape(m, &st->net.c) < 0) {
		free(st);
		return -1;
	}
	layout_of(&st->net.c, &l);
	if (pa->dim[0] != l.total) {
		free(st);
		return igr_error("seq: damaged model (%llu parameters, the "
				 "shape needs %zu)",
				 (unsigned long long)pa->dim[0], l.total);
	}
	st->net.nparam = l.total;
	st->net.param = pa->data;
	st->nu = s->nusers;
	st->user = calloc((size_t)st->nu * st->net.c.d + 1, sizeof *st->user);
	st->known = calloc((size_t)st->nu + 1, 1);
	if (m->state != NULL)
		seq_release(m);
	m->state = st;
	if (st->user == NULL || st->known == NULL) {
		seq_release(m);
		return igr_error("out of memory");
	}
	/* every user's vector from their current last L events: blocks of
	 * users over the threads, each a single-threaded forward pass (no
	 * nested regions; OpenBLAS runs on the calling thread) */
#pragma omp parallel if (st->nu > 256)
	{
		uint32_t *tok = malloc((size_t)VB * st->net.c.L * sizeof *tok);
		uint8_t *beh = malloc((size_t)VB * st->net.c.L);
		uint32_t *off = malloc((VB + 1) * sizeof *off), users[VB];
		igr_seqnet_work *w = igr_seqnet_work_new();
		int bad = tok == NULL || beh == NULL || off == NULL || w == NULL;

#pragma omp for schedule(dynamic, 64)
		for (c = 0; c < ((int64_t)st->nu + VB - 1) / VB; c++) {
			uint32_t u0 = (uint32_t)c * VB;
			uint32_t nb = st->nu - u0 < VB ? st->nu - u0 : VB;

			if (bad || encode_users(st, s, u0, nb, w, tok, beh,
						off, users) < 0) {
#pragma omp atomic write
				ret = -1;
			}
		}
		free(tok);
		free(beh);
		free(off);
		igr_seqnet_work_free(w);
	}
	if (ret < 0) {
		seq_release(m);
		return igr_errmsg()[0] ? -1 : igr_error("out of memory");
	}
	return 0;
}

static int seq_embedding(const igr_model *m, igr_embed *e)
{
	const struct seq_state *st = m->state;
	struct layout l;

	if (st == NULL)
		return igr_error("seq: model used before prepare");
	layout_of(&st->net.c, &l);
	memset(e, 0, sizeof *e);
	e->dim = st->net.c.d;
	e->nusers = st->nu;
	e->nitems = st->net.c.ni;
	e->user = st->user;
	e->item = st->net.param + l.E;
	return 0;
}

static int seq_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			   float *out)
{
	const struct seq_state *st = m->state;

	(void)g;
	if (st == NULL)
		return igr_error("seq: model used before prepare");
	if (u >= st->nu || !st->known[u])
		return IGR_UNKNOWN_USER;
	memcpy(out, st->user + (size_t)u * st->net.c.d,
	       st->net.c.d * sizeof *out);
	return 0;
}

const struct igr_model_ops igr_seq_ops = {
	.name = "seq",
	.prepare = seq_prepare,
	.score_users = igr_embed_score_users,
	.score_items = igr_embed_score_items,
	.dim = igr_embed_dim,
	.user_vector = seq_user_vector,
	.release = seq_release,
	.embedding = seq_embedding,
};

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_max_len = { "max-len", IGR_P_INT, 1, 4096, "n",
	  "seq: events of each user the encoder reads, the\n"
	  "last N (default 50)" };
static const struct igr_train_param p_heads = { "heads", IGR_P_INT, 1, 64, "n",
	  "seq: attention heads; divides --dim (default 2)" };
static const struct igr_train_param p_blocks = { "blocks", IGR_P_INT, 1, IGR_SEQ_MAXBLOCKS, "n",
	  "seq: self-attention blocks (default 2)" };

static const struct igr_train_param p_valid_seen = { "valid-seen", IGR_P_FLAG, 0, 0, NULL,
	  "seq: --valid ranks the items of the user's training\n"
	  "events too (logs where users come back to items)" };

static const struct igr_train_param *const seq_params[] = {
	&igr_param_epochs,
	&igr_param_dim,
	&p_max_len,
	&p_heads,
	&p_blocks,
	&igr_param_dropout,
	&igr_param_lr,
	&igr_param_lr_final,
	&igr_param_batch,
	&igr_param_time_limit,
	&igr_param_valid,
	&igr_param_valid_every,
	&p_valid_seen,
	&igr_param_patience,
	&igr_param_checkpoint,
	&igr_param_resume,
	NULL,
};

const struct igr_model_type igr_seq_model = {
	.name = "seq",
	.help = "behaviour-sequence model (self-attention over\n"
		"          each user's events; trains on events)",
	.params = seq_params,
	.rels = 0,
	.input_kind = IGR_KIND_EVENTS,
	.train_stream = igr_train_seq,
	.check = check_seq,
	.ops = &igr_seq_ops,
};
