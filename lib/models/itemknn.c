/*
 * itemknn.c - item-based k-nearest-neighbour recommendation.
 *
 * Item-based top-N recommendation (Sarwar et al., WWW 2001; Deshpande and
 * Karypis, ACM TOIS 2004): two items are similar when the same users
 * interact with both; a user is recommended the items most similar to
 * what they already have.
 *
 * Training.  Let R be the user x item matrix of the graph's user->item
 * weights (1 with --binary) and d(u) the number of items of user u.  With
 * user damping x, the rows are scaled first: R'(u, i) = R(u, i) d(u)^-x/2,
 * so a user with hundreds of items counts less towards each of their
 * pairs (the "inverse user frequency" of Breese et al., UAI 1998).  Then
 *
 *     co(i, j)  = sum_u R'(u, i) R'(u, j)
 *     n(i)      = sum_u R'(u, i)^2
 *     S(i, j)   = ( co(i, j) / (n(i)^a n(j)^(1-a) + shrink) )^q
 *
 * a = 1/2 is the cosine; other values are the asymmetric cosine of Aiolli
 * (RecSys 2013), which weighs the conditional probabilities P(j|i) and
 * P(i|j); shrink is the shrinkage of Bell and Koren (ICDM 2007), which
 * discounts similarities resting on few common users; q > 1 sharpens
 * (Aiolli's "locality").  Each item keeps its N largest S(i, .) ("--
 * neighbours"), stored by neighbour id.  The work is sum_u d(u)^2 multiply-
 * adds, OpenMP over items; no item x item matrix is ever built.
 *
 * Scoring.  score(u, j) = sum over u's items i of W(u, i) S(i, j), where W
 * is the current graph's edge weight (1 with --binary): a sparse
 * accumulation over the neighbours of the user's items.  New edges count
 * at once; items unknown to the model contribute nothing and score
 * -INFINITY.  --explain lists the largest terms W(u, i) S(i, j).
 *
 * Model arrays: "nbr_ptr" (u64, items + 1), "nbr" (u32), "sim" (f32).
 */
#include "itemknn.h"
#include "cooc.h"
#include "embed.h"
#include "error.h"
#include "par.h"
#include "topk.h"
#include "learn.h"
#include "clock.h"
#include "train.h"
#include "tune.h"
#include <stdio.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

struct knn_params {
	uint32_t nbrs;
	double shrink, alpha, damping, locality;
	int binary, rownorm;
};

/* One fit with the options of CTX. */
static igr_model *knn_train(const igr_graph *g,
			    const struct igr_train_ctx *ctx)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint32_t ni = g->n[IGR_ITEM], nu = g->n[IGR_USER];
	struct knn_params p;
	igr_model *m = igr_model_new("itemknn");
	igr_csr *r = NULL, *rt = NULL;
	double *norm = NULL, *npow = NULL;
	struct igr_cooc_opts co;
	uint64_t *ptr = NULL, total = 0, k;
	uint32_t *nbr = NULL, i;
	float *sim = NULL;

	if (m == NULL)
		return NULL;
	p.nbrs = (uint32_t)igr_train_num(ctx, m, "neighbours", 200);
	p.shrink = igr_train_num(ctx, m, "shrink", 0);
	p.alpha = igr_train_num(ctx, m, "alpha", 0.85);
	p.damping = igr_train_num(ctx, m, "user-damping", 1);
	p.locality = igr_train_num(ctx, m, "locality", 1);
	p.rownorm = igr_train_num(ctx, m, "normalise", 1) != 0;
	p.binary = igr_train_flag(ctx, m, "binary");
	if (ui == NULL || ui->nnz == 0) {
		igr_error("the graph has no user->item edges to learn from");
		goto fail;
	}
	/* R' with the weights and the user damping applied */
	{
		uint64_t *rp = malloc(((size_t)nu + 1) * sizeof *rp);
		uint32_t *ri = malloc((size_t)ui->nnz * sizeof *ri);
		float *rw = malloc((size_t)ui->nnz * sizeof *rw);
		uint32_t u;
		r = calloc(1, sizeof *r);
		if (r == NULL || rp == NULL || ri == NULL || rw == NULL) {
			free(rp);
			free(ri);
			free(rw);
			igr_error("out of memory");
			goto fail;
		}
		r->nrows = nu;
		r->ncols = ni;
		r->nnz = ui->nnz;
		r->ptr = rp;
		r->idx = ri;
		r->w = rw;
		memcpy(ri, ui->idx, (size_t)ui->nnz * sizeof *ri);
		for (u = 0; u <= nu; u++)
			rp[u] = u < ui->nrows ? ui->ptr[u] : ui->nnz;
		for (u = 0; u < nu; u++) {
			uint64_t lo = rp[u], hi = rp[u + 1];
			double s = hi > lo && p.damping > 0
					   ? pow((double)(hi - lo),
						 -p.damping / 2)
					   : 1;
			for (k = lo; k < hi; k++) {
				double w = p.binary ? 1.0 : ui->w[k];
				if (!(w >= 0) || !isfinite(w)) {
					igr_error("user %u item %u: edge weight "
						  "%g is not a finite "
						  "non-negative number",
						  u, ri[k], w);
					goto fail;
				}
				rw[k] = (float)(w * s);
			}
		}
	}
	rt = igr_csr_transpose(r);
	norm = calloc(ni ? ni : 1, sizeof *norm);
	/* n(i)^a and n(i)^(1-a), once per item rather than once per pair */
	npow = malloc((ni ? ni : 1) * sizeof *npow);
	if (rt == NULL || norm == NULL || npow == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	for (k = 0; k < r->nnz; k++)
		norm[r->idx[k]] += (double)r->w[k] * r->w[k];
	for (i = 0; i < ni; i++) {
		npow[i] = pow(norm[i], 1 - p.alpha);
		norm[i] = pow(norm[i], p.alpha);
	}
	igr_report_progress(ctx->report, "item-kNN: similarities of %u items",
			    ni);
	co.nbrs = p.nbrs;
	co.shrink = p.shrink;
	co.locality = p.locality;
	co.rownorm = p.rownorm;
	/* on several ranks each the lists of a range of items; rank 0,
	 * which writes the model, all of them */
	co.ranks = IGR_COOC_RANKS_ROOT;
	igr_par_step("neighbours");
	if (igr_cooc_topn(r, rt, norm, npow, &co, ctx->report, &ptr, &nbr,
			  &sim) < 0)
		goto fail;
	total = ptr[ni];
	{
		uint64_t d1[1] = { (uint64_t)ni + 1 }, d2[1] = { total };
		if (igr_model_add(m, "nbr_ptr", IGR_DT_U64, 1, d1, ptr) < 0)
			goto fail;
		ptr = NULL;
		if (igr_model_add(m, "nbr", IGR_DT_U32, 1, d2, nbr) < 0)
			goto fail;
		nbr = NULL;
		if (igr_model_add(m, "sim", IGR_DT_F32, 1, d2, sim) < 0)
			goto fail;
		sim = NULL;
	}
	if (igr_train_data_summary(m, g, ctx ? ctx->source : NULL) < 0)
		goto fail;
	cJSON_AddNumberToObject(igr_model_data(m), "neighbour_pairs",
				(double)total);
	igr_csr_free(r);
	igr_csr_free(rt);
	free(norm);
	free(npow);
	return m;
fail:
	free(norm);
	free(npow);
	free(ptr);
	free(nbr);
	free(sim);
	igr_csr_free(r);
	igr_csr_free(rt);
	igr_model_free(m);
	return NULL;
}

/* ---- serving ----------------------------------------------------------- */

struct knn {
	uint32_t ni;            /* items the model knows */
	const uint64_t *ptr;
	const uint32_t *nbr;
	const float *sim;
	int binary;
};

static const struct knn *knn_of(const igr_model *m)
{
	return m->state;
}

static int knn_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *p, *n, *s;
	struct knn *k;

	(void)g;
	if (m->state != NULL)
		return 0;
	p = igr_model_need(m, "nbr_ptr", IGR_DT_U64, 1);
	n = p ? igr_model_need(m, "nbr", IGR_DT_U32, 1) : NULL;
	s = n ? igr_model_need(m, "sim", IGR_DT_F32, 1) : NULL;
	if (s == NULL)
		return -1;
	if (p->dim[0] < 1 || s->dim[0] != n->dim[0] ||
	    ((const uint64_t *)p->data)[p->dim[0] - 1] != n->dim[0] ||
	    p->dim[0] - 1 > UINT32_MAX)
		return igr_error("itemknn model arrays do not agree");
	{
		const uint64_t *pp = p->data;
		const uint32_t *nn = n->data;
		uint64_t x, ni = p->dim[0] - 1;
		for (x = 0; x < ni; x++)
			if (pp[x] > pp[x + 1])
				return igr_error("itemknn model: damaged "
						 "neighbour offsets");
		for (x = 0; x < n->dim[0]; x++)
			if (nn[x] >= ni)
				return igr_error("itemknn model: neighbour "
						 "%u out of range", nn[x]);
	}
	k = malloc(sizeof *k);
	if (k == NULL)
		return igr_error("out of memory");
	k->ni = (uint32_t)(p->dim[0] - 1);
	k->ptr = p->data;
	k->nbr = n->data;
	k->sim = s->data;
	{
		const cJSON *pa = cJSON_GetObjectItemCaseSensitive(m->meta,
								   "params");
		k->binary = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(pa, "binary"));
	}
	m->state = k;
	return 0;
}

static void knn_release(igr_model *m)
{
	free(m->state);
	m->state = NULL;
}

/* A user's items' lists lie anywhere in a model of gigabytes, each a few
 * cache lines: read one after the other they stall on memory at every
 * line (perf, 100M-event log: the list loads were most of the scoring).
 * Asking for the lists of the item PREFETCH_AHEAD places on while adding
 * up the current one overlaps those waits. */
#define PREFETCH_AHEAD 2

static void prefetch_lists(const struct knn *k, uint32_t i)
{
	uint64_t y, end;

	if (i >= k->ni)
		return;
	end = k->ptr[i + 1];
	for (y = k->ptr[i]; y < end; y += 16) {
		__builtin_prefetch(k->nbr + y);
		__builtin_prefetch(k->sim + y);
	}
	if (end > k->ptr[i]) {
		__builtin_prefetch(k->nbr + end - 1);
		__builtin_prefetch(k->sim + end - 1);
	}
}

static int knn_sparse(const igr_model *m, const igr_graph *g, uint32_t u,
		      igr_acc *acc)
{
	const struct knn *k = knn_of(m);
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint64_t x, y;
	int any = 0;

	if (k == NULL)
		return igr_error("itemknn model used before prepare");
	if (ui == NULL || u >= ui->nrows)
		return IGR_UNKNOWN_USER;
	for (x = ui->ptr[u]; x < ui->ptr[u + 1]; x++) {
		uint32_t i = ui->idx[x];
		float w = k->binary ? 1.0f : ui->w[x];
		if (x + PREFETCH_AHEAD < ui->ptr[u + 1])
			prefetch_lists(k, ui->idx[x + PREFETCH_AHEAD]);
		if (i >= k->ni)
			continue;
		any = 1;
		for (y = k->ptr[i]; y < k->ptr[i + 1]; y++)
			igr_acc_add(acc, k->nbr[y], w * k->sim[y]);
	}
	return any ? 0 : IGR_UNKNOWN_USER;
}

static int knn_score_users(const igr_model *m, const igr_graph *g,
			   const uint32_t *users, size_t nu,
			   const uint32_t *items, size_t ni, float *out)
{
	const struct knn *k = knn_of(m);
	igr_acc acc;
	size_t j, c;
	uint32_t n = k ? k->ni : 0;

	if (k == NULL)
		return igr_error("itemknn model used before prepare");
	if (igr_acc_init(&acc, n) < 0)
		return -1;
	for (j = 0; j < nu; j++) {
		float *o = out + j * ni;
		if (knn_sparse(m, g, users[j], &acc) < 0) {
			igr_acc_release(&acc);
			return -1;
		}
		for (c = 0; c < ni; c++) {
			uint32_t id = items ? items[c] : (uint32_t)c;
			o[c] = id < n ? acc.v[id] : -INFINITY;
		}
		igr_acc_clear(&acc);
	}
	igr_acc_release(&acc);
	return 0;
}

static int knn_score_items(const igr_model *m, const igr_graph *g,
			   const uint32_t *items, size_t nq, float *out)
{
	const struct knn *k = knn_of(m);
	size_t q, ni, c;
	uint64_t y;

	if (k == NULL)
		return igr_error("itemknn model used before prepare");
	ni = k->ni;
	if (g != NULL && g->n[IGR_ITEM] > ni)
		ni = g->n[IGR_ITEM];
	for (q = 0; q < nq; q++) {
		float *o = out + q * ni;
		uint32_t i = items[q];
		if (i >= k->ni) {
			for (c = 0; c < ni; c++)
				o[c] = -INFINITY;
			continue;
		}
		for (c = 0; c < ni; c++)
			o[c] = c < k->ni ? 0.0f : -INFINITY;
		for (y = k->ptr[i]; y < k->ptr[i + 1]; y++)
			o[k->nbr[y]] = k->sim[y];
	}
	return 0;
}

static int knn_explain(const igr_model *m, const igr_graph *g, uint32_t u,
		       uint32_t item, igr_contrib *out, size_t max)
{
	const struct knn *k = knn_of(m);
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	igr_topk heap;
	igr_hit *hits;
	uint64_t x;
	uint32_t n, t;

	if (k == NULL)
		return igr_error("itemknn model used before prepare");
	if (ui == NULL || u >= ui->nrows || item >= k->ni || max == 0)
		return 0;
	if (igr_topk_init(&heap, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max,
			  NULL) < 0)
		return -1;
	for (x = ui->ptr[u]; x < ui->ptr[u + 1]; x++) {
		uint32_t i = ui->idx[x];
		uint64_t lo;
		if (i >= k->ni)
			continue;
		/* neighbour rows are sorted by id: binary search */
		lo = igr_lower_bound_u32(k->nbr, k->ptr[i], k->ptr[i + 1], item);
		if (lo < k->ptr[i + 1] && k->nbr[lo] == item)
			igr_topk_push(&heap, (k->binary ? 1.0f : ui->w[x]) *
						     k->sim[lo], i);
	}
	hits = malloc((heap.n ? heap.n : 1) * sizeof *hits);
	if (hits == NULL) {
		igr_topk_release(&heap);
		return igr_error("out of memory");
	}
	n = igr_topk_sorted(&heap, hits);
	for (t = 0; t < n; t++) {
		out[t].type = IGR_ITEM;
		out[t].id = hits[t].id;
		out[t].w = hits[t].score;
	}
	free(hits);
	igr_topk_release(&heap);
	return (int)n;
}

const struct igr_model_ops igr_itemknn_ops = {
	.name = "itemknn",
	.prepare = knn_prepare,
	.score_users = knn_score_users,
	.score_items = knn_score_items,
	.dim = NULL,
	.user_vector = NULL,
	.release = knn_release,
	.embedding = NULL,
	.score_user_sparse = knn_sparse,
	.explain = knn_explain,
};

/* ---- --tune: neighbours and shrinkage on a holdout (tune.h) ---------- */

struct knn_eval {
	igr_model *m;
	const igr_graph *g;
};

static int knn_eval_cb(void *c, const uint32_t *users, size_t nu, float *out)
{
	const struct knn_eval *e = c;

	return e->m->ops->score_users(e->m, e->g, users, nu, NULL,
				      e->g->n[IGR_ITEM], out);
}

/* Holdout recall@20 of one fit with options PARAMS on the held-out graph
 * HG; per-user values into EACH.  0 or -1. */
static int knn_try(const struct igr_train_ctx *ctx, cJSON *params,
		   const igr_graph *hg, const igr_tune_split *sp, double *rec,
		   double *ndcg, double *each)
{
	struct igr_train_ctx c = *ctx;
	struct knn_eval e;
	int rc;

	c.params = params;
	c.report = NULL;
	e.g = hg;
	e.m = knn_train(hg, &c);
	if (e.m == NULL)
		return -1;
	rc = e.m->ops->prepare(e.m, hg);
	if (rc == 0)
		rc = igr_valid_eval_each(sp->held, hg->n[IGR_ITEM], 20,
					 sp->train, knn_eval_cb, &e, rec, ndcg,
					 each);
	igr_model_free(e.m);
	return rc;
}

static void set_num(cJSON *p, const char *name, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(p, name);
	cJSON_AddNumberToObject(p, name, v);
}

/* Choose --neighbours and --shrink (those not given) on a holdout: the
 * same holdout as gf's tuner (models/gf.c); a value replaces the current
 * one only when igr_tune_better() says so.  The chosen values go into PARAMS. */
static int knn_tune(const igr_graph *g, const struct igr_train_ctx *ctx,
		    cJSON *params, igr_model *m)
{
	static const double nb_vals[] = { 50, 100, 200, 400 };
	static const double sh_vals[] = { 0, 10, 50 };
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	int free_nb = !igr_train_given(ctx, "neighbours");
	int free_sh = !igr_train_given(ctx, "shrink");
	igr_tune_split sp;
	igr_graph hg;
	double br, bn, r, n, *best = NULL, *each = NULL, t0 = igr_now();
	double nb = igr_train_num(ctx, NULL, "neighbours", 200);
	double sh = igr_train_num(ctx, NULL, "shrink", 0);
	char d[96];
	int ret = -1, axis;
	size_t q;

	if (ui == NULL || (!free_nb && !free_sh))
		return 0;
	if (igr_tune_split_make(&sp, ui, 0.2, 1024, ctx->seed) < 0)
		return -1;
	if (sp.held->nlisted == 0) {
		igr_tune_split_free(&sp);
		return 0;
	}
	memset(&hg, 0, sizeof hg);
	hg.n[IGR_USER] = g->n[IGR_USER];
	hg.n[IGR_ITEM] = g->n[IGR_ITEM];
	hg.rel[IGR_USER][IGR_ITEM] = sp.train;
	best = malloc(((size_t)sp.held->nlisted + 1) * sizeof *best);
	each = malloc(((size_t)sp.held->nlisted + 1) * sizeof *each);
	if (best == NULL || each == NULL) {
		igr_error("out of memory");
		goto out;
	}
	set_num(params, "neighbours", nb);
	set_num(params, "shrink", sh);
	if (knn_try(ctx, params, &hg, &sp, &br, &bn, best) < 0)
		goto out;
	snprintf(d, sizeof d, "neighbours=%g shrink=%g", nb, sh);
	igr_report_info(ctx->report, "itemknn: tune: %s: recall@20 %.4f "
			"ndcg@20 %.4f", d, br, bn);
	if (igr_tune_record(m, d, br, bn) < 0)
		goto out;
	for (axis = 0; axis < 2; axis++) {
		const double *vals = axis == 0 ? nb_vals : sh_vals;
		size_t nv = axis == 0 ? 4 : 3;
		double *cur = axis == 0 ? &nb : &sh;
		double start = *cur;

		if ((axis == 0 && !free_nb) || (axis == 1 && !free_sh))
			continue;
		for (q = 0; q < nv; q++) {
			if (vals[q] == start)
				continue;
			set_num(params, "neighbours", axis == 0 ? vals[q] : nb);
			set_num(params, "shrink", axis == 1 ? vals[q] : sh);
			if (knn_try(ctx, params, &hg, &sp, &r, &n, each) < 0)
				goto out;
			snprintf(d, sizeof d, "neighbours=%g shrink=%g",
				 axis == 0 ? vals[q] : nb,
				 axis == 1 ? vals[q] : sh);
			igr_report_info(ctx->report, "itemknn: tune: %s: "
					"recall@20 %.4f ndcg@20 %.4f", d, r, n);
			if (igr_tune_record(m, d, r, n) < 0)
				goto out;
			if (igr_tune_better(best, each, sp.held->nlisted)) {
				double *t = best;

				best = each;
				each = t;
				*cur = vals[q];
				br = r;
				bn = n;
			}
		}
	}
	set_num(params, "neighbours", nb);
	set_num(params, "shrink", sh);
	snprintf(d, sizeof d, "neighbours=%g shrink=%g", nb, sh);
	igr_report_info(ctx->report, "itemknn: tune: chose %s (holdout "
			"recall@20 %.4f ndcg@20 %.4f, %.1fs)", d, br, bn,
			igr_now() - t0);
	if (igr_tune_chosen(m, d, &sp, igr_now() - t0) < 0)
		goto out;
	ret = 0;
out:
	free(best);
	free(each);
	igr_tune_split_free(&sp);
	return ret;
}

igr_model *igr_train_itemknn(const igr_graph *g,
			     const struct igr_train_ctx *ctx)
{
	struct igr_train_ctx c = *ctx;
	cJSON *params;
	igr_model *rec, *m;

	if (!igr_train_flag(ctx, NULL, "tune"))
		return knn_train(g, ctx);
	/* the tuner's record goes into the final model: build it in a
	 * scratch model first */
	rec = igr_model_new("itemknn");
	params = ctx->params ? cJSON_Duplicate(ctx->params, 1)
			     : cJSON_CreateObject();
	if (rec == NULL || params == NULL ||
	    knn_tune(g, ctx, params, rec) < 0) {
		if (params == NULL)
			igr_error("out of memory");
		cJSON_Delete(params);
		igr_model_free(rec);
		return NULL;
	}
	c.params = params;
	m = knn_train(g, &c);
	if (m != NULL) {
		cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(
			igr_model_data(rec), "tune");

		if (t != NULL)
			cJSON_AddItemToObject(igr_model_data(m), "tune", t);
		cJSON_AddTrueToObject(igr_model_params(m), "tune");
	}
	cJSON_Delete(params);
	igr_model_free(rec);
	return m;
}

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_neighbours = { "neighbours", IGR_P_INT, 1, 100000, "n",
	  "itemknn: neighbours kept per item (default 200)" };
static const struct igr_train_param p_shrink = { "shrink", IGR_P_NUM, 0, 1e9, "x",
	  "itemknn: shrinkage added to the cosine denominator\n"
	  "(default 0)" };
static const struct igr_train_param p_alpha = { "alpha", IGR_P_NUM, 0, 1, "x",
	  "itemknn: asymmetric cosine exponent, 0.5 = cosine\n"
	  "(default 0.85)" };
static const struct igr_train_param p_user_damping = { "user-damping", IGR_P_NUM, 0, 4, "x",
	  "itemknn: a user of degree d counts d^-x in\n"
	  "co-occurrences (default 1)" };
static const struct igr_train_param p_locality = { "locality", IGR_P_NUM, 0.1, 10, "x",
	  "itemknn: similarities raised to this power\n"
	  "(default 1)" };
static const struct igr_train_param p_normalise = { "normalise", IGR_P_INT, 0, 1, "0|1",
	  "itemknn: 1 divides each item's similarities by\n"
	  "its largest (default 1)" };
static const struct igr_train_param p_binary = { "binary", IGR_P_FLAG, 0, 0, NULL,
	  "itemknn: ignore edge weights (every edge counts 1)" };
static const struct igr_train_param p_tune = { "tune", IGR_P_FLAG, 0, 0, NULL,
	  "itemknn: choose --neighbours and --shrink (those\n"
	  "not given) on a holdout of the graph; each tried\n"
	  "value costs one training" };

static const struct igr_train_param *const itemknn_params[] = {
	&p_neighbours,
	&p_shrink,
	&p_alpha,
	&p_user_damping,
	&p_locality,
	&p_normalise,
	&p_binary,
	&p_tune,
	NULL,
};

const struct igr_model_type igr_itemknn_model = {
	.name = "itemknn",
	.help = "item-kNN: asymmetric cosine neighbourhoods",
	.params = itemknn_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_itemknn,
	.ops = &igr_itemknn_ops,
	.parallel = 1,
};
