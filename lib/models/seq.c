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
/* rows of the item softmax computed at once (a 512 x items block) */
#define SOFTMAX_ROWS 512

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

#pragma omp parallel for schedule(dynamic, 4)
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

#pragma omp parallel for schedule(dynamic, 4)
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
#pragma omp parallel for schedule(static)
		for (q = 0; q < (int64_t)nr; q++) {
			float *row = w->lg + (size_t)q * ni, mx = -INFINITY;
			uint32_t t = tgt[c0 + q], it;
			double s = 0;

			w->rowloss[q] = 0;
			if (t == IGR_NONE) {
				memset(row, 0, ni * sizeof *row);
				continue;
			}
			for (it = 0; it < ni; it++)
				if (row[it] > mx)
					mx = row[it];
			for (it = 0; it < ni; it++) {
				row[it] = expf(row[it] - mx);
				s += row[it];
			}
			w->rowloss[q] = (float)(log(s) - log(row[t]));
			{
				float sc = (float)(inv / s);

				for (it = 0; it < ni; it++)
					row[it] *= sc;
			}
			row[t] -= inv;
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
