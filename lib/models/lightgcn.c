/*
 * lightgcn.c - LightGCN (He et al., SIGIR 2020) and the BPR training loop
 * it shares with matrix factorisation (mf.c: LightGCN with no layers).
 *
 * Model.  Users and items have layer-0 embeddings E0 (n x d, users
 * first).  A = [0 R; R^T 0] is the bipartite graph and
 * A~ = D^-1/2 A D^-1/2 its symmetric normalisation (paper eq. 7-8); the
 * layers are E_k = A~ E_{k-1} and the final embeddings their mean
 * (eq. 9, alpha_k = 1/(K+1)):
 *
 *   F = sum_{k=0..K} alpha_k A~^k E0,   score(u, i) = F_u . F_i
 *
 * With the normalised R~ = Du^-1/2 R Di^-1/2 a layer is two sparse
 * products, U_k = R~ I_{k-1} and I_k = R~^T U_{k-1} (sparse.h).
 *
 * Loss (BPR, Rendle et al. 2009, as in the reference code): for a batch
 * of B triples (u, i, j), j a sampled negative,
 *
 *   L = 1/B sum softplus(F_u.F_j - F_u.F_i)
 *       + reg/2 * 1/B sum (|E0_u|^2 + |E0_i|^2 + |E0_j|^2)
 *
 * Gradient.  With c = sigmoid(F_u.F_j - F_u.F_i), dL/dF is nonzero only
 * on the batch rows: dF_u = c (F_j - F_i)/B, dF_i = -c F_u/B,
 * dF_j = c F_u/B.  F is linear in E0 and A~ is symmetric, so
 *
 *   dL/dE0 = sum_k alpha_k A~^k dL/dF   (+ reg E0 / B on the batch rows)
 *
 * i.e. the backward pass is the same propagation, K more sparse products
 * (Horner: G + A~(G + A~(G + ...))).  Every step costs 2K products over
 * the 2 |R| nonzeros, whatever the batch size, so we train with large
 * batches (65536 pairs, 13 steps per epoch on Gowalla) and a larger Adam
 * step than the paper's 0.001 with 2048-pair batches.
 *
 * Confidence: with --weight-power p > 0 a positive pair's BPR term is
 * weighted by w_ui^p (its edge weight); the propagation stays on the
 * binary graph as in the paper.
 *
 * Serving: the model stores E0 ("user0", "item0") and the final F
 * ("user", "item").  prepare() recomputes F through the CURRENT graph
 * from the stored E0: a user added after training (E0 = 0) gets
 * F_u = sum_{k>=1} alpha_k (A~^k E0)_u from their edges, and every user's
 * new edges count at once, without retraining.
 *
 * Determinism: samples come from a generator per (seed, epoch, step);
 * per-sample terms are computed in parallel but summed in sample order;
 * sparse products and Adam are thread-count independent; so the same
 * seed gives the same model whatever the thread count.
 */
#include "lightgcn.h"
#include "adam.h"
#include "clock.h"
#include "dsgd.h"
#include "embed.h"
#include "error.h"
#include "learn.h"
#include "model.h"
#include "par.h"
#include "serve.h"
#include "sparse.h"
#include "svd.h"
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The normalised bipartite graph as its two blocks. */
typedef struct lgn_graph {
	uint32_t nu, ni;
	igr_csr *rn, *rnt; /* R~ (nu x ni) and R~^T */
	/* training on several ranks (lgn_graph_split): this rank's users'
	 * rows of R~ and their transpose, every rank's users (UB: rank r's
	 * are UB[r] .. UB[r + 1] - 1); NULL on one rank */
	igr_csr *rl, *rlt;
	size_t *ub;
	int failed;        /* a layer's exchange failed (error set) */
} lgn_graph;

static void lgn_graph_free(lgn_graph *a)
{
	igr_csr_free(a->rn);
	igr_csr_free(a->rnt);
	igr_csr_free(a->rl);
	igr_csr_free(a->rlt);
	free(a->ub);
	a->rn = a->rnt = a->rl = a->rlt = NULL;
	a->ub = NULL;
}

/* Training on several ranks (par.h): each rank propagates the layers
 * through the rows of its users, a range balanced by edge count, and the
 * ranks exchange the layer's new user rows (allgather) and their parts
 * of its item rows (sums, allreduce), so that every rank holds the whole
 * layer, the same on all.  Nothing on one rank.  0 or -1. */
static int lgn_graph_split(lgn_graph *a)
{
	int me = igr_par_rank();

	if (igr_par_size() == 1)
		return 0;
	igr_par_step("layers");
	a->ub = malloc(((size_t)igr_par_size() + 1) * sizeof *a->ub);
	if (a->ub == NULL)
		return igr_error("out of memory");
	if (igr_serve_bounds(a->rn, NULL, a->nu, a->ub) < 0)
		return -1;
	a->rl = igr_csr_scaled_rows(a->rn, (uint32_t)a->ub[me],
				    (uint32_t)a->ub[me + 1], NULL, NULL, 1);
	if (a->rl == NULL || (a->rlt = igr_csr_transpose(a->rl)) == NULL)
		return -1;
	return 0;
}

/* A~ of the binary pattern of R: Du^-1/2 R Di^-1/2 with degrees. */
static int lgn_graph_init(lgn_graph *a, const igr_csr *r)
{
	igr_csr *b = igr_csr_scaled(r, NULL, NULL, 0);
	int ret;

	memset(a, 0, sizeof *a);
	a->nu = r->nrows;
	a->ni = r->ncols;
	if (b == NULL)
		return -1;
	ret = igr_csr_sym_norm(b, &a->rn, &a->rnt, NULL);
	igr_csr_free(b);
	return ret;
}

/* OUT = sum_{k=0..K} 1/(K+1) A~^k X for X, OUT n x d (users first); also
 * the transpose product, as A~ is symmetric.  TMP and CUR: n x d. */
static void propagate(lgn_graph *a, uint32_t layers, const float *x,
		      size_t d, float *out, float *cur, float *tmp)
{
	size_t n = ((size_t)a->nu + a->ni) * d, ou = (size_t)a->nu * d, e;
	float alpha = 1.0f / (float)(layers + 1);
	uint32_t k;

	/* Horner: acc = X; acc = A~ acc + X; ... (K times), then * alpha */
	memcpy(cur, x, n * sizeof *cur);
	for (k = 0; k < layers; k++) {
		if (a->rl != NULL) {
			/* this rank's users, its part of the items' sums */
			size_t lo = a->ub[igr_par_rank()] * d;

			igr_spmm(a->rl, cur + ou, d, 1, 0, tmp + lo);
			igr_spmm(a->rlt, cur + lo, d, 1, 0, tmp + ou);
			if (igr_par_allgather_f32(tmp, a->ub, d) < 0 ||
			    igr_par_sum_f32(tmp + ou, (size_t)a->ni * d) < 0)
				a->failed = 1;
		} else {
			igr_spmm(a->rn, cur + ou, d, 1, 0, tmp);
			igr_spmm(a->rnt, cur, d, 1, 0, tmp + ou);
		}
		for (e = 0; e < n; e++)
			cur[e] = tmp[e] + x[e];
	}
	for (e = 0; e < n; e++)
		out[e] = alpha * cur[e];
}

/* ---- training --------------------------------------------------------- */

struct trainer {
	const igr_learn_opts *o;
	const char *name;
	uint32_t layers;      /* 0: matrix factorisation */
	igr_csr *r;           /* user -> item, weights ^ power */
	lgn_graph a;
	uint32_t nu, ni, d;
	size_t n;             /* (nu + ni) * d */
	float *e0;            /* parameters, users then items */
	float *f;             /* final embeddings (== e0 for MF) */
	float *grad, *cur, *tmp;
	igr_adam adam;
	uint32_t *active, nactive;
	uint32_t *su, *si, *sj;
	uint32_t *cand;       /* negatives - 1 extra candidates per sample */
	float *sc;
	double *sloss;
	igr_dsgd *ds;         /* MF: the DSGD schedule */
};

static void trainer_free(struct trainer *t)
{
	igr_csr_free(t->r);
	lgn_graph_free(&t->a);
	free(t->e0);
	if (t->f != t->e0)
		free(t->f);
	free(t->grad);
	free(t->cur);
	free(t->tmp);
	igr_adam_release(&t->adam);
	free(t->active);
	free(t->su);
	free(t->si);
	free(t->sj);
	free(t->cand);
	free(t->sc);
	free(t->sloss);
	igr_dsgd_free(t->ds);
}

/* Final embeddings from the parameters. */
static void forward(struct trainer *t)
{
	if (t->layers > 0)
		propagate(&t->a, t->layers, t->e0, t->d, t->f, t->cur, t->tmp);
}

/* Scores of users against all items from the final embeddings. */
static int score_fn(void *ctx, const uint32_t *users, size_t nu, float *out)
{
	struct trainer *t = ctx;
	float *uv = malloc((nu ? nu : 1) * (size_t)t->d * sizeof *uv);
	size_t j;

	if (uv == NULL)
		return igr_error("out of memory");
	for (j = 0; j < nu; j++)
		memcpy(uv + j * t->d, t->f + (size_t)users[j] * t->d,
		       t->d * sizeof *uv);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nu,
		    (int)t->ni, (int)t->d, 1, uv, (int)t->d,
		    t->f + (size_t)t->nu * t->d, (int)t->d, 0, out, (int)t->ni);
	free(uv);
	return 0;
}

/* Confidence of pair (u, i): w^power (1 with power 0). */
static float conf(const igr_csr *r, uint32_t u, uint32_t i)
{
	return igr_csr_get(r, u, i);
}

/* The gradient of the loss of the B triples in t->su/si/sj at the current
 * parameters (forward() done) into t->grad (LightGCN; MF trains by
 * DSGD, dsgd.c).  Returns the sum of the BPR terms. */
static double gradient(struct trainer *t, size_t b)
{
	const uint32_t d = t->d;
	const size_t io = (size_t)t->nu * d;
	const float inv_b = 1.0f / (float)b;
	const float reg = (float)t->o->reg;
	const int weighted = t->o->weight_power != 0;
	double loss = 0;
	int64_t s;
	size_t q, k;

	/* threads only pay off on big batches (and cost a lot on a loaded
	 * machine) */
#pragma omp parallel for schedule(static) if (b * d >= (1u << 22))
	for (s = 0; s < (int64_t)b; s++) {
		float c, w = weighted ? conf(t->r, t->su[s], t->si[s]) : 1.0f;

		if (t->cand != NULL) {
			/* dynamic negative sampling (Zhang et al., SIGIR
			 * 2013): the best-scored of the candidates */
			const float *fu = t->f + (size_t)t->su[s] * d;
			uint32_t nc = t->o->negatives - 1, q2;
			float best = igr_dot(fu, t->f + io +
					     (size_t)t->sj[s] * d, d);

			for (q2 = 0; q2 < nc; q2++) {
				uint32_t j2 = t->cand[(size_t)s * nc + q2];
				float x = igr_dot(fu, t->f + io +
						  (size_t)j2 * d, d);

				if (x > best) {
					best = x;
					t->sj[s] = j2;
				}
			}
		}

		t->sloss[s] = w * igr_bpr_pair(t->f + (size_t)t->su[s] * d,
					       t->f + io + (size_t)t->si[s] * d,
					       t->f + io + (size_t)t->sj[s] * d,
					       d, &c);
		t->sc[s] = w * c * inv_b;
	}
	for (q = 0; q < b; q++)
		loss += t->sloss[q];
	/* dL/dF on the batch rows, then back through the layers */
	memset(t->grad, 0, t->n * sizeof *t->grad);
	for (q = 0; q < b; q++) {
		const float *fu = t->f + (size_t)t->su[q] * d;
		const float *fi = t->f + io + (size_t)t->si[q] * d;
		const float *fj = t->f + io + (size_t)t->sj[q] * d;
		float *gu = t->grad + (size_t)t->su[q] * d;
		float *gi = t->grad + io + (size_t)t->si[q] * d;
		float *gj = t->grad + io + (size_t)t->sj[q] * d;
		float c = t->sc[q];

		for (k = 0; k < d; k++) {
			gu[k] += c * (fj[k] - fi[k]);
			gi[k] -= c * fu[k];
			gj[k] += c * fu[k];
		}
	}
	propagate(&t->a, t->layers, t->grad, d, t->grad, t->cur, t->tmp);
	for (q = 0; q < b; q++) {
		uint32_t rr[3] = { t->su[q], t->nu + t->si[q],
				   t->nu + t->sj[q] };
		int z;

		for (z = 0; z < 3; z++) {
			float *g = t->grad + (size_t)rr[z] * d;
			const float *e = t->e0 + (size_t)rr[z] * d;

			for (k = 0; k < d; k++)
				g[k] += reg * inv_b * e[k];
		}
	}
	return loss;
}

/* One step on B sampled triples; returns the sum of their losses. */
static double step(struct trainer *t, igr_rng *rng, size_t b, float lr)
{
	double loss;

	igr_bpr_sample(t->r, t->active, t->nactive, rng, b, t->su, t->si,
		       t->sj);
	if (t->cand != NULL)
		igr_bpr_negatives(t->r, rng, t->su, b, t->o->negatives - 1,
				  t->cand);
	loss = gradient(t, b);
	igr_adam_step(&t->adam, t->e0, t->grad, lr);
	return loss;
}

/* igr_emb_loss_grad() of MF: the batch gradient the DSGD blocks use. */
static double mf_loss_grad(uint32_t nu, size_t nrows, const float *e0,
			   uint32_t d, const uint32_t *u, const uint32_t *i,
			   const uint32_t *j, size_t b, double reg,
			   float *grad)
{
	int32_t *slot = malloc((nrows + 1) * sizeof *slot);
	uint32_t *rows = malloc((nrows + 1) * sizeof *rows);
	float *g = malloc((nrows * d + 1) * sizeof *g);
	float *c = malloc((b + 1) * sizeof *c);
	double *terms = malloc((b + 1) * sizeof *terms), loss = NAN;
	size_t q, nr;

	if (slot && rows && g && c && terms) {
		for (q = 0; q < nrows; q++)
			slot[q] = -1;
		loss = igr_mf_batch_grad(e0, nu, d, u, i, j, NULL, b, reg, c,
					 terms, slot, rows, g, &nr) /
		       (double)b;
		memset(grad, 0, nrows * d * sizeof *grad);
		for (q = 0; q < nr; q++)
			memcpy(grad + (size_t)rows[q] * d, g + q * d,
			       d * sizeof *grad);
	} else {
		igr_error("out of memory");
	}
	free(slot);
	free(rows);
	free(g);
	free(c);
	free(terms);
	return loss;
}

double igr_emb_loss_grad(const igr_csr *r, uint32_t layers, const float *e0,
			 uint32_t d, const uint32_t *u, const uint32_t *i,
			 const uint32_t *j, size_t b, double reg, float *grad)
{
	struct trainer t;
	igr_learn_opts o;
	double loss = NAN, l2 = 0;
	size_t nrows = (size_t)r->nrows + r->ncols, q, k;

	memset(&t, 0, sizeof t);
	igr_learn_defaults(&o, layers ? "lightgcn" : "mf");
	o.reg = reg;
	t.o = &o;
	t.layers = layers;
	t.d = d;
	t.nu = r->nrows;
	t.ni = r->ncols;
	t.n = nrows * d;
	t.r = igr_csr_scaled(r, NULL, NULL, 1);
	if (t.r == NULL || (layers > 0 && lgn_graph_init(&t.a, t.r) < 0))
		goto out;
	t.e0 = malloc(t.n * sizeof *t.e0);
	t.f = layers > 0 ? malloc(t.n * sizeof *t.f) : t.e0;
	t.grad = malloc(t.n * sizeof *t.grad);
	t.cur = malloc(t.n * sizeof *t.cur);
	t.tmp = malloc(t.n * sizeof *t.tmp);
	t.su = malloc(b * sizeof *t.su);
	t.si = malloc(b * sizeof *t.si);
	t.sj = malloc(b * sizeof *t.sj);
	t.sc = malloc(b * sizeof *t.sc);
	t.sloss = malloc(b * sizeof *t.sloss);
	if (!t.e0 || !t.f || !t.grad || !t.cur || !t.tmp || !t.su || !t.si ||
	    !t.sj || !t.sc || !t.sloss) {
		igr_error("out of memory");
		goto out;
	}
	memcpy(t.e0, e0, t.n * sizeof *t.e0);
	memcpy(t.su, u, b * sizeof *t.su);
	memcpy(t.si, i, b * sizeof *t.si);
	memcpy(t.sj, j, b * sizeof *t.sj);
	forward(&t);
	loss = layers > 0 ? gradient(&t, b) / (double)b
			  : mf_loss_grad(t.nu, nrows, t.e0, d, u, i, j, b, reg,
					 grad);
	for (q = 0; q < b; q++) {
		uint32_t rr[3] = { u[q], t.nu + i[q], t.nu + j[q] };
		int z;

		for (z = 0; z < 3; z++)
			for (k = 0; k < d; k++) {
				double e = t.e0[(size_t)rr[z] * d + k];

				l2 += e * e;
			}
	}
	loss += reg / 2 * l2 / (double)b;
	if (layers > 0)
		memcpy(grad, t.grad, t.n * sizeof *grad);
out:
	trainer_free(&t);
	return loss;
}

/* ---- checkpoints ------------------------------------------------------ */

static int ckpt_save(const struct trainer *t, uint32_t epoch,
		     const float *best, uint32_t best_epoch, double best_rec,
		     double elapsed)
{
	/* a model file of the trainer's type (so igr_model_load() knows
	 * it), marked as a checkpoint */
	igr_model *c = igr_model_new(t->name);
	uint64_t dims[2] = { (uint64_t)t->nu + t->ni, t->d };
	float *p = malloc(t->n * sizeof *p), *m1 = malloc(t->n * sizeof *m1);
	float *v1 = malloc(t->n * sizeof *v1);
	float *bb = best ? malloc(t->n * sizeof *bb) : NULL;
	cJSON *meta;
	int ok;

	if (c == NULL || !p || !m1 || !v1 || (best && !bb)) {
		free(p);
		free(m1);
		free(v1);
		free(bb);
		igr_model_free(c);
		return igr_error("out of memory");
	}
	memcpy(p, t->e0, t->n * sizeof *p);
	memcpy(m1, t->adam.m, t->n * sizeof *m1);
	memcpy(v1, t->adam.v, t->n * sizeof *v1);
	if (bb)
		memcpy(bb, best, t->n * sizeof *bb);
	meta = igr_model_params(c);
	ok = meta && cJSON_AddTrueToObject(meta, "checkpoint") &&
	     cJSON_AddNumberToObject(meta, "epoch", epoch) &&
	     cJSON_AddNumberToObject(meta, "adam_t", (double)t->adam.t) &&
	     cJSON_AddNumberToObject(meta, "best_epoch", best_epoch) &&
	     cJSON_AddNumberToObject(meta, "best_recall", best_rec) &&
	     cJSON_AddNumberToObject(meta, "elapsed", elapsed) &&
	     cJSON_AddNumberToObject(meta, "layers", t->layers);
	if (!ok || igr_model_add(c, "e0", IGR_DT_F32, 2, dims, p) < 0) {
		free(p);
		free(m1);
		free(v1);
		free(bb);
		igr_model_free(c);
		return ok ? -1 : igr_error("out of memory");
	}
	if (igr_model_add(c, "adam_m", IGR_DT_F32, 2, dims, m1) < 0) {
		free(m1);
		free(v1);
		free(bb);
		igr_model_free(c);
		return -1;
	}
	if (igr_model_add(c, "adam_v", IGR_DT_F32, 2, dims, v1) < 0) {
		free(v1);
		free(bb);
		igr_model_free(c);
		return -1;
	}
	if (bb && igr_model_add(c, "best", IGR_DT_F32, 2, dims, bb) < 0) {
		free(bb);
		igr_model_free(c);
		return -1;
	}
	ok = igr_model_save(c, t->o->checkpoint) == 0;
	igr_model_free(c);
	return ok ? 0 : igr_error_prefix("checkpoint %s", t->o->checkpoint);
}

/* Load the checkpoint into T; *EPOCH and the best state from it. */
static int ckpt_load(struct trainer *t, uint32_t *epoch, float *best,
		     int *have_best, uint32_t *best_epoch, double *best_rec,
		     double *elapsed)
{
	igr_model *c = igr_model_load(t->o->checkpoint);
	const igr_array *p, *m1, *v1, *bb;
	const char *nm;
	int ret = -1;

	if (c == NULL)
		return igr_error_prefix("resume");
	nm = igr_model_name(c);
	p = igr_model_need(c, "e0", IGR_DT_F32, 2);
	m1 = p ? igr_model_need(c, "adam_m", IGR_DT_F32, 2) : NULL;
	v1 = m1 ? igr_model_need(c, "adam_v", IGR_DT_F32, 2) : NULL;
	if (v1 == NULL)
		goto out;
	if (strcmp(nm, t->name) != 0 ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		    igr_model_params(c), "checkpoint")) ||
	    igr_model_param_num(c, "layers", -1) != t->layers ||
	    p->dim[0] != (uint64_t)t->nu + t->ni || p->dim[1] != t->d ||
	    igr_array_len(m1) != t->n || igr_array_len(v1) != t->n) {
		igr_error("resume: checkpoint %s is for another model, graph "
			  "or --dim", t->o->checkpoint);
		goto out;
	}
	memcpy(t->e0, p->data, t->n * sizeof *t->e0);
	memcpy(t->adam.m, m1->data, t->n * sizeof *t->e0);
	memcpy(t->adam.v, v1->data, t->n * sizeof *t->e0);
	t->adam.t = (uint64_t)igr_model_param_num(c, "adam_t", 0);
	*epoch = (uint32_t)igr_model_param_num(c, "epoch", 0);
	*best_epoch = (uint32_t)igr_model_param_num(c, "best_epoch", 0);
	*best_rec = igr_model_param_num(c, "best_recall", -1);
	*elapsed = igr_model_param_num(c, "elapsed", 0);
	bb = igr_model_get(c, "best");
	*have_best = 0;
	if (bb != NULL && igr_array_len(bb) == t->n && best != NULL) {
		memcpy(best, bb->data, t->n * sizeof *best);
		*have_best = 1;
	}
	ret = 0;
out:
	igr_model_free(c);
	return ret;
}

/* Spectral initialisation: E0 = [U; V] sqrt(S) from the top-d singular
 * triplets of R~ (the normalised graph LightGCN propagates on), scaled to
 * the RMS of the random initialisation.  Each layer multiplies this
 * basis by S, so the first forward pass already ranks like a low-pass
 * graph filter (GF-CF, Shen et al. 2021) and BPR starts from there
 * instead of from noise.  MF (no layers) uses the normalised matrix too. */
static int svd_init(struct trainer *t)
{
	lgn_graph a;
	const lgn_graph *pa = &t->a;
	igr_svd_opts so = { 0 };
	float *s = malloc((size_t)t->d * sizeof *s);
	size_t e, q, k, d = t->d;
	double rms = 0;
	int ret = -1;

	if (s == NULL)
		return igr_error("out of memory");
	if (t->layers == 0) {
		if (lgn_graph_init(&a, t->r) < 0) {
			free(s);
			return -1;
		}
		pa = &a;
	}
	so.k = t->d;
	so.oversample = 32;
	so.iters = 4;
	so.seed = t->o->seed;
	if (d > t->nu || d > t->ni) {
		ret = 0; /* too small a graph: keep the random start */
		goto out;
	}
	/* U into the user rows, V into the item rows */
	if (igr_svd_sparse(pa->rn, pa->rnt, &so, s, t->e0 + (size_t)t->nu * d,
			   t->e0) < 0)
		goto out;
	for (q = 0; q < (size_t)t->nu + t->ni; q++)
		for (k = 0; k < d; k++)
			t->e0[q * d + k] *= sqrtf(s[k]);
	for (e = 0; e < t->n; e++)
		rms += (double)t->e0[e] * t->e0[e];
	rms = sqrt(rms / (double)t->n);
	if (rms > 0)
		for (e = 0; e < t->n; e++)
			t->e0[e] *= (float)(t->o->init_std / rms);
	ret = 0;
out:
	if (t->layers == 0)
		lgn_graph_free(&a);
	free(s);
	return ret;
}

/* ---- the loop --------------------------------------------------------- */

static int store(igr_model *m, const char *name, uint32_t rows, uint32_t d,
		 const float *src)
{
	uint64_t dims[2] = { rows, d };
	float *p = malloc(((size_t)rows * d + 1) * sizeof *p);

	if (p == NULL)
		return igr_error("out of memory");
	memcpy(p, src, (size_t)rows * d * sizeof *p);
	if (igr_model_add(m, name, IGR_DT_F32, 2, dims, p) < 0) {
		free(p);
		return -1;
	}
	return 0;
}

int igr_emb_fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o,
		uint32_t layers, const char *name)
{
	struct trainer t;
	igr_learn_status st;
	float *best = NULL;
	int have_best = 0, ret = -1;
	uint32_t epoch = 0, best_epoch = 0, steps, sp;
	double best_rec = -1, start, prior = 0;
	uint64_t examples = 0;
	size_t e;
	igr_rng rng;

	memset(&t, 0, sizeof t);
	memset(&st, 0, sizeof st);
	t.o = o;
	t.name = name;
	t.layers = layers;
	t.d = o->dim;
	if (t.d == 0 || o->batch == 0 || o->epochs == 0)
		return igr_error("%s: dim, batch and epochs must be positive",
				 name);
	t.r = igr_learn_matrix(g, o->weight_power);
	if (t.r == NULL)
		return -1;
	t.nu = t.r->nrows;
	t.ni = t.r->ncols;
	t.n = ((size_t)t.nu + t.ni) * t.d;
	t.active = igr_bpr_active(t.r, &t.nactive);
	if (t.active == NULL)
		goto out;
	if (layers > 0 &&
	    (lgn_graph_init(&t.a, t.r) < 0 || lgn_graph_split(&t.a) < 0))
		goto out;
	t.e0 = malloc(t.n * sizeof *t.e0);
	t.f = layers > 0 ? malloc(t.n * sizeof *t.f) : t.e0;
	if (layers > 0) {
		t.su = malloc((size_t)o->batch * sizeof *t.su);
		t.si = malloc((size_t)o->batch * sizeof *t.si);
		t.sj = malloc((size_t)o->batch * sizeof *t.sj);
		t.sc = malloc((size_t)o->batch * sizeof *t.sc);
		t.sloss = malloc((size_t)o->batch * sizeof *t.sloss);
		t.grad = malloc(t.n * sizeof *t.grad);
		t.cur = malloc(t.n * sizeof *t.cur);
		t.tmp = malloc(t.n * sizeof *t.tmp);
		if (o->negatives > 1 &&
		    (t.cand = malloc((size_t)o->batch * (o->negatives - 1) *
				     sizeof *t.cand)) == NULL) {
			igr_error("out of memory");
			goto out;
		}
	}
	/* the best parameters are rank 0's, which validates */
	if (o->valid != NULL && igr_par_rank() == 0)
		best = malloc(t.n * sizeof *best);
	if (!t.e0 || !t.f ||
	    (layers > 0 && (!t.su || !t.si || !t.sj || !t.sc || !t.sloss ||
			    !t.grad || !t.cur || !t.tmp)) ||
	    (o->valid != NULL && igr_par_rank() == 0 && best == NULL)) {
		igr_error("out of memory");
		goto out;
	}
	if (igr_adam_init(&t.adam, t.n) < 0)
		goto out;
	if (layers == 0 && (t.ds = igr_dsgd_new(t.r, o->strata, o, t.e0,
						 &t.adam)) == NULL)
		goto out;
	if (layers == 0 && o->strata == 0) {
		/* not given: from the data (dsgd.h); the setting recorded is
		 * the one trained */
		cJSON *pm = igr_model_params(m);

		cJSON_DeleteItemFromObjectCaseSensitive(pm, "strata");
		if (cJSON_AddNumberToObject(pm, "strata",
					    igr_dsgd_strata(t.r, 0)) == NULL) {
			igr_error("out of memory");
			goto out;
		}
	}
	/* N(0, init_std), as the reference code */
	igr_rng_stream(&rng, o->seed, 0x696e6974, 0);
	for (e = 0; e < t.n; e++)
		t.e0[e] = (float)(o->init_std * igr_rng_normal(&rng));
	if (o->init_svd && !o->resume && svd_init(&t) < 0)
		goto out;
	if (o->resume) {
		if (ckpt_load(&t, &epoch, best, &have_best, &best_epoch,
			      &best_rec, &prior) < 0)
			goto out;
		if (epoch >= o->epochs) {
			igr_error("resume: the checkpoint has %u epochs "
				  "already; ask for more with --epochs", epoch);
			goto out;
		}
	}
	steps = (uint32_t)((t.r->nnz + o->batch - 1) / o->batch);
	start = igr_now() - prior;
	st.model = name;
	st.epochs = o->epochs;
	while (epoch < o->epochs) {
		double loss = 0;
		/* with a time limit the schedule runs on whichever ends
		 * first, epochs or time (then runs are not reproducible) */
		double frac = (double)epoch / o->epochs;
		float lr;

		if (o->time_limit > 0 &&
		    (igr_now() - start) / o->time_limit > frac)
			frac = (igr_now() - start) / o->time_limit;
		lr = (float)igr_learn_lr(o, frac);
		/* several ranks: rank 0's clock */
		if (o->time_limit > 0 && igr_par_bcast(&lr, sizeof lr) < 0)
			goto out;

		int cut = 0;
		double part;

		if (t.ds != NULL) {
			uint64_t done;

			if (igr_dsgd_epoch(t.ds, epoch, lr, start, &loss,
					   &done, &cut) < 0)
				goto out;
			examples += done;
			st.loss = loss / (double)(done ? done : 1);
			part = (double)done / (double)igr_dsgd_samples(t.ds);
		} else {
			for (sp = 0; sp < steps && !cut; sp++) {
				igr_rng_stream(&rng, o->seed, epoch + 1, sp);
				forward(&t);
				loss += step(&t, &rng, o->batch, lr);
				if (t.a.failed)
					goto out;
				examples += o->batch;
				/* the time limit ends an epoch early */
				cut = sp + 1 < steps &&
				      igr_learn_out_of_time(o, start);
			}
			st.loss = loss / ((double)sp * o->batch);
			part = (double)sp / steps;
		}
		epoch++;
		st.epoch = epoch;
		st.validated = 0;
		if (cut && igr_learn_note_cut(m, epoch, part) < 0)
			goto out;
		int last = epoch == o->epochs || epoch == o->stop_epoch ||
			   cut || igr_learn_out_of_time(o, start);
		if (o->time_limit > 0 && igr_par_bcast(&last, sizeof last) < 0)
			goto out;
		int valid = o->valid != NULL &&
			    ((o->valid_every && epoch % o->valid_every == 0) ||
			     last);
		/* several ranks: rank 0 validates and checkpoints */
		if (t.ds != NULL && (valid || (o->checkpoint != NULL &&
					       (epoch % o->checkpoint_every ==
							0 || last))) &&
		    igr_dsgd_gather(t.ds, o->checkpoint != NULL) < 0)
			goto out;
		if (valid && igr_par_rank() == 0) {
			forward(&t);
			if (igr_valid_eval(o->valid, t.ni, o->valid_k, t.r,
					   score_fn, &t, &st.recall,
					   &st.ndcg) < 0)
				goto out;
			st.validated = 1;
			if (st.recall > best_rec) {
				best_rec = st.recall;
				best_epoch = epoch;
				memcpy(best, t.e0, t.n * sizeof *best);
				have_best = 1;
			}
			if (igr_learn_curve_add(m, epoch, igr_now() - start,
						st.recall, st.ndcg) < 0)
				goto out;
		}
		st.best_epoch = best_epoch;
		st.best_recall = best_rec;
		igr_learn_report(o, &st, start, examples);
		if (o->checkpoint != NULL && igr_par_rank() == 0 &&
		    (epoch % o->checkpoint_every == 0 || last) &&
		    ckpt_save(&t, epoch, have_best ? best : NULL, best_epoch,
			      best_rec, igr_now() - start) < 0)
			goto out;
		if (last)
			break;
	}
	if (t.ds != NULL && igr_dsgd_gather(t.ds, 0) < 0)
		goto out;
	if (have_best)
		memcpy(t.e0, best, t.n * sizeof *best);
	forward(&t);
	if (t.a.failed)
		goto out;
	{
		cJSON *d = igr_model_data(m);

		if (d == NULL ||
		    !cJSON_AddNumberToObject(d, "epochs_run", epoch) ||
		    (t.ds != NULL &&
		     (!cJSON_AddNumberToObject(d, "strata",
					       igr_dsgd_strata(t.r,
							       o->strata)) ||
		      !cJSON_AddNumberToObject(d, "rounds",
					       igr_dsgd_rounds_of(t.ds)))) ||
		    !cJSON_AddNumberToObject(d, "train_seconds",
					     igr_now() - start) ||
		    (have_best &&
		     (!cJSON_AddNumberToObject(d, "best_epoch", best_epoch) ||
		      !cJSON_AddNumberToObject(d, "best_recall", best_rec)))) {
			igr_error("out of memory");
			goto out;
		}
	}
	if (store(m, "user", t.nu, t.d, t.f) < 0 ||
	    store(m, "item", t.ni, t.d, t.f + (size_t)t.nu * t.d) < 0)
		goto out;
	if (layers > 0 &&
	    (store(m, "user0", t.nu, t.d, t.e0) < 0 ||
	     store(m, "item0", t.ni, t.d, t.e0 + (size_t)t.nu * t.d) < 0))
		goto out;
	ret = 0;
out:
	free(best);
	trainer_free(&t);
	return ret;
}

int igr_lightgcn_fit(igr_model *m, const igr_graph *g,
		     const igr_learn_opts *o)
{
	if (o->layers == 0)
		return igr_error("lightgcn: --layers must be at least 1");
	/* several ranks must stop at the same step and not write one file
	 * together */
	if (igr_par_size() > 1 &&
	    (o->time_limit > 0 || o->checkpoint != NULL || o->resume))
		return igr_error("lightgcn: --time-limit, --checkpoint and "
				 "--resume run on one rank only");
	return igr_emb_fit(m, g, o, o->layers, "lightgcn");
}

igr_model *igr_train_lightgcn(const igr_graph *g,
			      const struct igr_train_ctx *ctx)
{
	return igr_learn_train("lightgcn", g, ctx, igr_lightgcn_fit);
}

/* ---- serving ---------------------------------------------------------- */

struct lgn_state {
	uint32_t nu, ni, d;
	float *f; /* final embeddings over the current graph, users first */
};

static void lgn_release(igr_model *m)
{
	struct lgn_state *st = m->state;

	free(st->f);
	free(st);
	m->state = NULL;
}

static int lgn_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *u0 = igr_model_need(m, "user0", IGR_DT_F32, 2);
	const igr_array *i0 = u0 ? igr_model_need(m, "item0", IGR_DT_F32, 2)
				 : NULL;
	uint32_t layers = (uint32_t)igr_model_param_num(m, "layers", 3);
	struct lgn_state *st;
	lgn_graph a;
	igr_csr *r;
	float *x, *cur, *tmp;
	size_t n, d;
	uint32_t nu, ni;

	if (i0 == NULL)
		return -1;
	d = u0->dim[1];
	if (i0->dim[1] != d)
		return igr_error("lightgcn: model arrays disagree in size");
	r = igr_learn_matrix(g, 0);
	if (r == NULL)
		return -1;
	nu = r->nrows > u0->dim[0] ? r->nrows : (uint32_t)u0->dim[0];
	ni = r->ncols > i0->dim[0] ? r->ncols : (uint32_t)i0->dim[0];
	/* the graph's bounds may be below the model's: widen R */
	r->ncols = ni;
	if (nu > r->nrows) {
		uint64_t *p = realloc(r->ptr, ((size_t)nu + 1) * sizeof *p);
		uint32_t u;

		if (p == NULL) {
			igr_csr_free(r);
			return igr_error("out of memory");
		}
		for (u = r->nrows + 1; u <= nu; u++)
			p[u] = p[r->nrows];
		r->ptr = p;
		r->nrows = nu;
	}
	if (lgn_graph_init(&a, r) < 0) {
		igr_csr_free(r);
		return -1;
	}
	igr_csr_free(r);
	n = ((size_t)nu + ni) * d;
	st = calloc(1, sizeof *st);
	x = calloc(n ? n : 1, sizeof *x);
	cur = malloc((n ? n : 1) * sizeof *cur);
	tmp = malloc((n ? n : 1) * sizeof *tmp);
	if (st)
		st->f = malloc((n ? n : 1) * sizeof *st->f);
	if (!st || !x || !cur || !tmp || !st->f) {
		if (st)
			free(st->f);
		free(st);
		free(x);
		free(cur);
		free(tmp);
		lgn_graph_free(&a);
		return igr_error("out of memory");
	}
	/* E0 of trained nodes; users and items new since training: 0 */
	memcpy(x, u0->data, u0->dim[0] * d * sizeof *x);
	memcpy(x + (size_t)nu * d, i0->data, i0->dim[0] * d * sizeof *x);
	propagate(&a, layers, x, d, st->f, cur, tmp);
	lgn_graph_free(&a);
	free(x);
	free(cur);
	free(tmp);
	st->nu = nu;
	st->ni = ni;
	st->d = (uint32_t)d;
	if (m->state != NULL)
		lgn_release(m);
	m->state = st;
	return 0;
}

static int lgn_embedding(const igr_model *m, igr_embed *e)
{
	const struct lgn_state *st = m->state;

	if (st == NULL)
		return igr_error("lightgcn: model used before prepare");
	memset(e, 0, sizeof *e);
	e->dim = st->d;
	e->nusers = st->nu;
	e->nitems = st->ni;
	e->user = st->f;
	e->item = st->f + (size_t)st->nu * st->d;
	return 0;
}

static int lgn_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			   float *out)
{
	const struct lgn_state *st = m->state;

	(void)g;
	if (st == NULL)
		return igr_error("lightgcn: model used before prepare");
	if (u >= st->nu)
		return IGR_UNKNOWN_USER;
	memcpy(out, st->f + (size_t)u * st->d, st->d * sizeof *out);
	return 0;
}

const struct igr_model_ops igr_lightgcn_ops = {
	.name = "lightgcn",
	.prepare = lgn_prepare,
	.score_users = igr_embed_score_users,
	.score_items = igr_embed_score_items,
	.dim = igr_embed_dim,
	.user_vector = lgn_user_vector,
	.release = lgn_release,
	.embedding = lgn_embedding,
};

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_layers = { "layers", IGR_P_INT, 1, 8, "n",
	  "lightgcn: propagation layers (default 3)" };

static const struct igr_train_param *const lightgcn_params[] = {
	&p_layers,
	IGR_BPR_PARAMS,
	NULL,
};

const struct igr_model_type igr_lightgcn_model = {
	.name = "lightgcn",
	.help = "LightGCN graph neural network (BPR)",
	.params = lightgcn_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_lightgcn,
	.ops = &igr_lightgcn_ops,
	.parallel = 1,
};
