/*
 * gf.c - the graph-filter model (igraph-train --model gf): closed form, no
 * training loop.
 *
 * R is the user x item matrix (r_ui = edge weight ^ weight_power; power 0,
 * the default, is the binary pattern of the papers).  With Du, Di its row
 * and column sums:
 *
 *   R~ = Du^-1/2 R Di^-1/2,   P = R~^T R~   (normalised item-item Gram)
 *
 * GF-CF (Shen et al., CIKM 2021, eq. 9-10) scores a user's row x by the
 * linear filter x P plus an "ideal low-pass" term
 * x Di^-1/2 V V^T Di^1/2, V the top-k right singular vectors of R~.  BSPM
 * (Choi et al., SIGIR 2023, sec. 4; "final sharpening" variant) blurs with
 * both and then sharpens by the heat equation run backwards, dy/dt = -y P
 * for time T.  One step of an order-n Runge-Kutta method on this linear
 * ODE multiplies by the Taylor polynomial p(TP), p(z) = sum_{j<=n} (-z)^j
 * / j! (n = 4 is RK4, their Gowalla setting):
 *
 *   s = x P p(TP) + beta (x Di^-1/2 V) (p(TP) Di^1/2 V)^T
 *
 * How it is computed without the 41k x 41k matrix P (6.7 GB on Gowalla):
 * - the second term's item side M = p(TP) Di^1/2 V (items x k) is
 *   precomputed at training by Horner's rule, each P product being two
 *   sparse products through R~ (sparse.h);
 * - the first term is x P + x h(P) with h(P) = P (p(TP) - I); h vanishes
 *   like T lambda^2 on small eigenvalues lambda of P, so it is applied in
 *   V's span: x V h(Lambda) V^T with Lambda = sigma^2.  What is dropped
 *   is bounded by T sigma_{k+1}^4 per unit of x, against sigma_{k+1}^2
 *   kept exactly by x P;
 * - x P itself is one sparse Gram row (two hops: user's items -> their
 *   users -> their items).
 * So a user's scores are x P (sparse) plus one sgemm row of the
 * 2k-vector a = [x V h(Lambda), beta x Di^-1/2 V] against the stored
 * items x 2k matrix [V, M].
 *
 * Dynamic update: prepare() takes x P from the CURRENT graph, so new
 * users and new edges score at once; V, M and the item normalisation of
 * the low-pass part stay those of training until the next retrain.
 */
#include "gf.h"
#include "error.h"
#include "learn.h"
#include "model.h"
#include "sparse.h"
#include "svd.h"
#include "train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* p(z) coefficient of z^j: (-1)^j / j! */
static double taylor_coef(uint32_t j)
{
	double c = 1;
	uint32_t i;

	for (i = 1; i <= j; i++)
		c *= -1.0 / i;
	return c;
}

/* p(T lambda), the sharpening polynomial */
static double sharpen_poly(double t, uint32_t order, double lambda)
{
	double s = 0, z = t * lambda;
	uint32_t j;

	for (j = order + 1; j-- > 0;)
		s = s * z + taylor_coef(j);
	return s;
}

/* W = P X = R~^T (R~ X) for the items x K block X; TMP is users x K. */
static void gram_apply(const igr_csr *rn, const igr_csr *rnt, const float *x,
		       size_t k, float *tmp, float *w)
{
	igr_spmm(rn, x, k, 1, 0, tmp);
	igr_spmm(rnt, tmp, k, 1, 0, w);
}

/* The normalised matrix R~ and its transpose for R; item scaling
 * Di^-1/2 into DI (ncols) when not NULL. */
static int normalise(const igr_csr *r, igr_csr **rn, igr_csr **rnt, float *di)
{
	double *du = malloc(((size_t)r->nrows + 1) * sizeof *du);
	double *dc = malloc(((size_t)r->ncols + 1) * sizeof *dc);
	float *su = malloc(((size_t)r->nrows + 1) * sizeof *su);
	float *si = malloc(((size_t)r->ncols + 1) * sizeof *si);
	int ret = -1;

	*rn = *rnt = NULL;
	if (!du || !dc || !su || !si) {
		igr_error("out of memory");
		goto out;
	}
	igr_csr_row_sums(r, du);
	igr_csr_col_sums(r, dc);
	igr_inv_pow(du, r->nrows, 0.5, su);
	igr_inv_pow(dc, r->ncols, 0.5, si);
	*rn = igr_csr_scaled(r, su, si, 1);
	if (*rn == NULL)
		goto out;
	*rnt = igr_csr_transpose(*rn);
	if (*rnt == NULL)
		goto out;
	if (di != NULL)
		memcpy(di, si, (size_t)r->ncols * sizeof *di);
	ret = 0;
out:
	if (ret < 0) {
		igr_csr_free(*rn);
		*rn = NULL;
	}
	free(du);
	free(dc);
	free(su);
	free(si);
	return ret;
}

int igr_gf_fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o)
{
	igr_csr *r = NULL, *rn = NULL, *rnt = NULL;
	float *di = NULL, *s = NULL, *v = NULL, *z = NULL, *acc = NULL;
	float *tmp = NULL, *w = NULL, *lam = NULL, *hl = NULL, *c2 = NULL;
	uint32_t ni, k, i, j, c;
	int ret = -1;
	igr_svd_opts so;
	uint64_t dims[2];

	r = igr_learn_matrix(g, o->weight_power);
	if (r == NULL)
		return -1;
	ni = r->ncols;
	k = o->rank;
	if (k > ni || k > r->nrows)
		k = ni < r->nrows ? ni : r->nrows;
	if (k == 0) {
		igr_error("gf: rank must be at least 1");
		goto fail;
	}
	di = malloc((size_t)ni * sizeof *di);
	if (di == NULL)
		goto oom_or_fail;
	if (normalise(r, &rn, &rnt, di) < 0)
		goto fail;
	s = malloc((size_t)k * sizeof *s);
	v = malloc((size_t)ni * k * sizeof *v);
	z = malloc((size_t)ni * k * sizeof *z);
	acc = malloc((size_t)ni * k * sizeof *acc);
	tmp = malloc((size_t)r->nrows * k * sizeof *tmp);
	w = malloc((size_t)ni * 2 * k * sizeof *w);
	lam = malloc((size_t)k * sizeof *lam);
	hl = malloc((size_t)k * sizeof *hl);
	if (!s || !v || !z || !acc || !tmp || !w || !lam || !hl)
		goto oom_or_fail;
	so.k = k;
	so.oversample = o->svd_oversample;
	so.iters = o->svd_iters;
	so.seed = o->seed;
	if (igr_svd_sparse(rn, rnt, &so, s, v, NULL) < 0)
		goto fail;
	/* M = p(TP) Di^1/2 V by Horner: acc = c_n Z; acc = P acc + c_j Z */
	for (i = 0; i < ni; i++) {
		float d = di[i] > 0 ? 1.0f / di[i] : 0.0f;

		for (c = 0; c < k; c++)
			z[(size_t)i * k + c] = d * v[(size_t)i * k + c];
	}
	if (o->gf_sharpen > 0 && o->gf_order > 0) {
		double t = o->gf_sharpen;

		for (c = 0; c < (size_t)ni * k; c++)
			acc[c] = (float)(taylor_coef(o->gf_order) *
					 pow(t, o->gf_order)) * z[c];
		for (j = o->gf_order; j-- > 0;) {
			float cj = (float)(taylor_coef(j) * pow(t, j));

			gram_apply(rn, rnt, acc, k, tmp, w);
			for (c = 0; c < (size_t)ni * k; c++)
				acc[c] = w[c] + cj * z[c];
		}
	} else {
		memcpy(acc, z, (size_t)ni * k * sizeof *acc);
	}
	/* the stored item side [V, beta M] */
	for (i = 0; i < ni; i++) {
		memcpy(w + (size_t)i * 2 * k, v + (size_t)i * k,
		       k * sizeof *w);
		for (c = 0; c < k; c++)
			w[(size_t)i * 2 * k + k + c] =
				(float)o->gf_beta * acc[(size_t)i * k + c];
	}
	for (c = 0; c < k; c++) {
		double l = (double)s[c] * s[c];

		lam[c] = (float)l;
		/* h(l) less its l^2 term -T l^2, which serving applies
		 * exactly (x P^2 through the sparse graph) */
		hl[c] = o->gf_sharpen > 0 && o->gf_order > 0
			? (float)(l * (sharpen_poly(o->gf_sharpen, o->gf_order,
						     l) - 1) +
				  o->gf_sharpen * l * l)
			: 0.0f;
	}
	c2 = malloc(sizeof *c2);
	if (c2 == NULL)
		goto oom_or_fail;
	c2[0] = o->gf_sharpen > 0 && o->gf_order > 0 ? (float)-o->gf_sharpen
						      : 0.0f;
	dims[0] = 1;
	if (igr_model_add(m, "p2", IGR_DT_F32, 1, dims, c2) < 0)
		goto fail;
	c2 = NULL;
	dims[0] = ni;
	dims[1] = 2 * (uint64_t)k;
	if (igr_model_add(m, "item_vm", IGR_DT_F32, 2, dims, w) < 0)
		goto fail;
	w = NULL;
	dims[0] = k;
	if (igr_model_add(m, "lambda", IGR_DT_F32, 1, dims, lam) < 0)
		goto fail;
	lam = NULL;
	if (igr_model_add(m, "h", IGR_DT_F32, 1, dims, hl) < 0)
		goto fail;
	hl = NULL;
	dims[0] = ni;
	if (igr_model_add(m, "item_dinv", IGR_DT_F32, 1, dims, di) < 0)
		goto fail;
	di = NULL;
	ret = 0;
	goto done;
oom_or_fail:
	igr_error("out of memory");
fail:
done:
	igr_csr_free(r);
	igr_csr_free(rn);
	igr_csr_free(rnt);
	free(di);
	free(s);
	free(v);
	free(z);
	free(acc);
	free(tmp);
	free(w);
	free(lam);
	free(hl);
	free(c2);
	return ret;
}

igr_model *igr_train_gf(const igr_graph *g, const struct igr_train_ctx *ctx)
{
	return igr_learn_train("gf", g, ctx, igr_gf_fit);
}

/* ---- serving -------------------------------------------------------- */

struct gf_state {
	igr_csr *r;          /* current user -> item matrix (weights^power) */
	igr_csr *rn, *rnt;   /* its normalisation and transpose */
	uint32_t k;          /* rank */
	uint32_t ni_model;   /* items of the stored arrays */
	uint32_t ni;         /* items scored: max(model, current graph) */
	const float *vm;     /* ni_model x 2k */
	const float *h;      /* k */
	float p2;            /* coefficient of the exact x P^2 term */
	const float *dinv;   /* ni_model */
};

static void gf_release(igr_model *m)
{
	struct gf_state *st = m->state;

	igr_csr_free(st->r);
	igr_csr_free(st->rn);
	igr_csr_free(st->rnt);
	free(st);
	m->state = NULL;
}

static int gf_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *vm, *h, *dinv, *p2;
	struct gf_state *st;

	vm = igr_model_need(m, "item_vm", IGR_DT_F32, 2);
	h = vm ? igr_model_need(m, "h", IGR_DT_F32, 1) : NULL;
	p2 = h ? igr_model_need(m, "p2", IGR_DT_F32, 1) : NULL;
	dinv = p2 ? igr_model_need(m, "item_dinv", IGR_DT_F32, 1) : NULL;
	if (dinv == NULL)
		return -1;
	if (vm->dim[1] != 2 * h->dim[0] || dinv->dim[0] != vm->dim[0])
		return igr_error("gf: model arrays disagree in size");
	if (m->state != NULL)
		gf_release(m);
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return igr_error("out of memory");
	m->state = st;
	st->k = (uint32_t)h->dim[0];
	st->ni_model = (uint32_t)vm->dim[0];
	st->vm = vm->data;
	st->h = h->data;
	st->p2 = ((const float *)p2->data)[0];
	st->dinv = dinv->data;
	st->r = igr_learn_matrix(g, igr_model_param_num(m, "weight-power", 0));
	if (st->r == NULL || normalise(st->r, &st->rn, &st->rnt, NULL) < 0) {
		gf_release(m);
		return -1;
	}
	st->ni = st->r->ncols > st->ni_model ? st->r->ncols : st->ni_model;
	return 0;
}

/* A[2k] = [x V h, x Di^-1/2 V] for user U's row of the current graph
 * (beta is in the stored M). */
static void gf_coords(const struct gf_state *st, uint32_t u, float *a)
{
	uint32_t k = st->k, c;
	uint64_t e;

	memset(a, 0, 2 * (size_t)k * sizeof *a);
	if (u >= st->r->nrows)
		return;
	for (e = st->r->ptr[u]; e < st->r->ptr[u + 1]; e++) {
		uint32_t i = st->r->idx[e];
		const float *row = st->vm + (size_t)i * 2 * k;
		float x = st->r->w[e], xd;

		if (i >= st->ni_model)
			continue;
		xd = x * st->dinv[i];
		for (c = 0; c < k; c++) {
			a[c] += x * row[c];
			a[k + c] += xd * row[c];
		}
	}
	for (c = 0; c < k; c++)
		a[c] *= st->h[c];
}

/* FULL[j] += C * (FULL[j] restricted to the model's items) P for the NU
 * rows of FULL (row length N): the exact x P^2 term from x P, two sparse
 * products on the batch laid out items x users. */
static int add_p2(const struct gf_state *st, float *full, size_t nu, size_t n,
		  float c)
{
	uint32_t ni = st->r->ncols, nus = st->r->nrows;
	float *yt = malloc(((size_t)ni * nu + 1) * sizeof *yt);
	float *tmp = malloc(((size_t)nus * nu + 1) * sizeof *tmp);
	size_t j, i;

	if (yt == NULL || tmp == NULL) {
		free(yt);
		free(tmp);
		return igr_error("out of memory");
	}
	for (j = 0; j < nu; j++)
		for (i = 0; i < ni; i++)
			yt[i * nu + j] = full[j * n + i];
	igr_spmm(st->rn, yt, nu, 1, 0, tmp);
	igr_spmm(st->rnt, tmp, nu, 1, 0, yt);
	for (j = 0; j < nu; j++)
		for (i = 0; i < ni; i++)
			full[j * n + i] += c * yt[i * nu + j];
	free(yt);
	free(tmp);
	return 0;
}

static int gf_score_users(const igr_model *m, const igr_graph *g,
			  const uint32_t *users, size_t nu,
			  const uint32_t *items, size_t ni, float *out)
{
	const struct gf_state *st = m->state;
	uint32_t k, n;
	float *a, *full = NULL;
	int ret = 0;
	int64_t j;

	(void)g;
	if (st == NULL)
		return igr_error("gf: model used before prepare");
	k = st->k;
	n = st->ni;
	a = malloc((nu ? nu : 1) * 2 * (size_t)k * sizeof *a);
	if (items != NULL)
		full = malloc((nu ? nu : 1) * (size_t)n * sizeof *full);
	if (a == NULL || (items != NULL && full == NULL)) {
		free(a);
		free(full);
		return igr_error("out of memory");
	}
	if (items == NULL)
		full = out;
	memset(full, 0, nu * (size_t)n * sizeof *full);
	/* linear filter x P, one sparse Gram row per user */
#pragma omp parallel
	{
		igr_gram_ws *ws = igr_gram_ws_new(st->r->nrows);

		if (ws == NULL) {
#pragma omp atomic write
			ret = -1;
		}
#pragma omp for schedule(dynamic, 4)
		for (j = 0; j < (int64_t)nu; j++) {
			uint32_t u = users[j];

			if (ws == NULL || u >= st->r->nrows)
				continue;
			igr_gram_row(st->rn, st->rnt,
				     st->r->idx + st->r->ptr[u],
				     st->r->w + st->r->ptr[u],
				     st->r->ptr[u + 1] - st->r->ptr[u], 1,
				     full + (size_t)j * n, ws);
		}
		igr_gram_ws_free(ws);
	}
	if (ret < 0)
		igr_error("out of memory");
	/* sharpening's second-order term, exactly: - T x P^2 */
	if (ret == 0 && st->p2 != 0 && nu > 0)
		ret = add_p2(st, full, nu, n, st->p2);
	if (ret == 0) {
		/* low-pass part: one sgemm, users x 2k times 2k x items */
		for (j = 0; j < (int64_t)nu; j++)
			gf_coords(st, users[j], a + (size_t)j * 2 * k);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nu,
			    (int)st->ni_model, (int)(2 * k), 1, a,
			    (int)(2 * k), st->vm, (int)(2 * k), 1, full,
			    (int)n);
	}
	if (items != NULL) {
		size_t c;

		for (j = 0; j < (int64_t)nu && ret == 0; j++)
			for (c = 0; c < ni; c++)
				out[(size_t)j * ni + c] =
					items[c] < n
					? full[(size_t)j * n + items[c]]
					: -INFINITY;
		free(full);
	}
	free(a);
	return ret;
}

static uint32_t gf_dim(const igr_model *m)
{
	const igr_array *h = igr_model_get(m, "h");

	return h ? 2 * (uint32_t)h->dim[0] : 0;
}

/* The user's coordinates in the filter's low-pass basis (the 2k-vector
 * a above).  Scores need x P too: serve gf through score_users. */
static int gf_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			  float *out)
{
	(void)g;
	if (m->state == NULL)
		return igr_error("gf: model used before prepare");
	gf_coords(m->state, u, out);
	return 0;
}

const struct igr_model_ops igr_gf_ops = {
	.name = "gf",
	.prepare = gf_prepare,
	.score_users = gf_score_users,
	.dim = gf_dim,
	.user_vector = gf_user_vector,
	.release = gf_release,
};

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_rank = { "rank", IGR_P_INT, 1, 4096, "n",
	  "gf: singular vectors of the low-pass term\n"
	  "(default 448)" };
static const struct igr_train_param p_beta = { "beta", IGR_P_NUM, 0, 100, "x",
	  "gf: weight of the ideal low-pass term (default 0.2)" };
static const struct igr_train_param p_sharpen = { "sharpen", IGR_P_NUM, 0, 100, "t",
	  "gf: sharpening time, 0 for none (default 2.5)" };
static const struct igr_train_param p_order = { "order", IGR_P_INT, 0, 8, "n",
	  "gf: Runge-Kutta/Taylor order of the sharpening\n"
	  "step (default 4)" };
static const struct igr_train_param p_svd_iters = { "svd-iters", IGR_P_INT, 0, 50, "n",
	  "gf: subspace iterations of the SVD (default 4)" };
static const struct igr_train_param p_svd_oversample = { "svd-oversample", IGR_P_INT, 0, 1024, "n",
	  "gf: extra vectors of the SVD (default 64)" };

static const struct igr_train_param *const gf_params[] = {
	&igr_param_weight_power,
	&p_rank,
	&p_beta,
	&p_sharpen,
	&p_order,
	&p_svd_iters,
	&p_svd_oversample,
	NULL,
};

const struct igr_model_type igr_gf_model = {
	.name = "gf",
	.help = "graph filter (GF-CF/BSPM), closed form",
	.params = gf_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_gf,
	.ops = &igr_gf_ops,
};
