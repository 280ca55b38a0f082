/*
 * gf_tune.c - igraph-train --model gf: its options, and the tuner that
 * chooses the filter from the user's own data (tune.h has the holdout).
 *
 * Why a tuner: settings published for one data set do not carry to
 * another.  BSPM's authors use T = 2.5 with 448 singular vectors on
 * Gowalla, no singular vectors and two RK4 steps of 1.1 on Amazon-book,
 * a blurred/sharpened mix on Yelp2018; ChebyCF uses norm 0.4 and 512
 * vectors on Gowalla but other flatness and norm on Amazon-book and
 * Last.fm.  So every setting the user did not give is chosen on a
 * holdout of the training graph (the newest fifth of each user's edges
 * when the edges carry times, else a seeded random fifth), with one
 * truncated SVD of the held-out graph shared by every candidate (a
 * smaller rank is a prefix of it).  The search is coordinate-wise from
 * a start that is good on every data set we have (BENCHMARKS.md):
 * each round tries the neighbours of the current best along one axis at
 * a time (filter family, flatness or sharpening, degree normalisation,
 * ideal weight, rank) and keeps a move only when it gains on the
 * holdout; it stops when a round gains nothing.  The final model is then
 * fitted on every edge with the winner.
 */
#include "gf.h"
#include "error.h"
#include "learn.h"
#include "metrics.h"
#include "model.h"
#include "tune.h"
#include "clock.h"
#include "train.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_train_param p_filter = { "filter", IGR_P_STR, 0, 0, "name",
	  "gf: 'cheby' (ChebyCF's Chebyshev plateau filter)\n"
	  "or 'bspm' (GF-CF sharpened as BSPM does; --sharpen\n"
	  "0 is plain GF-CF) (default: tuned)" };
static const struct igr_train_param p_rank = { "rank", IGR_P_INT, 1, 4096, "n",
	  "gf: singular vectors of the low-pass term\n"
	  "(default: tuned, at most 512)" };
static const struct igr_train_param p_beta = { "beta", IGR_P_NUM, 0, 100, "x",
	  "gf: weight of the ideal low-pass term (default:\n"
	  "tuned; 0.2 with --no-tune)" };
static const struct igr_train_param p_sharpen = { "sharpen", IGR_P_NUM, 0, 100, "t",
	  "gf: bspm sharpening time, 0 for none (default 2.5)" };
static const struct igr_train_param p_order = { "order", IGR_P_INT, 0, 11, "n",
	  "gf: bspm Runge-Kutta/Taylor order of the\n"
	  "sharpening step (default 4)" };
static const struct igr_train_param p_degree = { "degree", IGR_P_INT, 1, IGR_GF_MAXDEG, "n",
	  "gf: cheby polynomial degree (default 8)" };
static const struct igr_train_param p_flatness = { "flatness", IGR_P_NUM, 0.1, 10, "x",
	  "gf: cheby plateau flatness phi (default: tuned)" };
static const struct igr_train_param p_norm = { "norm", IGR_P_NUM, -1, 1, "x",
	  "gf: item degree scaling Di^-x before the filter,\n"
	  "Di^x after (default: tuned; 0 with --no-tune)" };
static const struct igr_train_param p_sparse_powers = { "sparse-powers", IGR_P_INT, 1, IGR_GF_MAXEXACT, "n",
	  "gf: powers of the item-item operator applied\n"
	  "exactly through the graph, the rest in the\n"
	  "singular vectors' span (default 2)" };
static const struct igr_train_param p_no_tune = { "no-tune", IGR_P_FLAG, 0, 0, NULL,
	  "gf: no tuning: options not given take the fixed\n"
	  "defaults (BSPM's Gowalla setting)" };
static const struct igr_train_param p_tune_users = { "tune-users", IGR_P_INT, 100, 1000000, "n",
	  "gf: held-out users scored per tried setting\n"
	  "(default 1024)" };
static const struct igr_train_param p_svd_iters = { "svd-iters", IGR_P_INT, 0, 50, "n",
	  "gf: subspace iterations of the SVD (default 4)" };
static const struct igr_train_param p_svd_oversample = { "svd-oversample", IGR_P_INT, 0, 1024, "n",
	  "gf: extra vectors of the SVD (default 64)" };

static int gf_check(const struct igr_train_ctx *ctx)
{
	const char *f = igr_train_str(ctx, NULL, "filter", NULL);

	if (f != NULL && strcmp(f, "cheby") != 0 && strcmp(f, "bspm") != 0)
		return igr_error("--filter must be 'cheby' or 'bspm', not '%s'",
				 f);
	return 0;
}

/* ---- the tuner ------------------------------------------------------- */

/* What the tuner may move (1) and what the user fixed (0). */
struct gf_free {
	int filter, rank, beta, sharpen, flatness, norm;
};

static void spec_desc(const igr_gf_spec *s, char *buf, size_t n)
{
	if (s->filter == IGR_GF_CHEBY)
		snprintf(buf, n, "cheby degree=%u flatness=%g norm=%g beta=%g "
			 "rank=%u", s->degree, s->flatness, s->norm, s->beta,
			 s->rank);
	else
		snprintf(buf, n, "bspm sharpen=%g order=%u norm=%g beta=%g "
			 "rank=%u", s->sharpen, s->order, s->norm, s->beta,
			 s->rank);
}

struct tune_run {
	const igr_tune_split *split;
	igr_csr *rn, *rnt;
	double *dc;
	float *sv, *v;
	uint32_t kv;
	igr_gf_ws *ws;
	igr_gf_scorer sc;
	igr_model *m;
	const igr_report *rep;
	/* the sparse terms of the held-out users for one normalisation,
	 * shared by every setting of that normalisation (NULL: not kept,
	 * each setting scores from scratch) */
	float *pw[IGR_GF_MAXEXACT];
	double pw_norm;
	int pw_ok;
	/* settings seen, to score each once */
	igr_gf_spec seen[64];
	double seen_r[64], seen_n[64];
	double *seen_each[64];  /* per-user recall@20 of each */
	int nseen;
};

/* A move is taken only when it is better on the holdout beyond its
 * noise: a paired t-test over the held-out users' recall@20, one-sided
 * at about 2.5% (t > 1.96).  Without it the search follows the sampling
 * noise of a few thousand users (a 1% "gain" in recall@20 on 2048
 * Gowalla users that was a loss on the test split). */
static int better(const struct tune_run *t, int cand, int best)
{
	igr_paired p;

	if (cand < 0 || best < 0 || cand == best)
		return 0;
	igr_paired_test(t->seen_each[best], t->seen_each[cand],
			t->split->held->nlisted, 1, &p);
	return p.diff > 0 && p.t == p.t && p.t > 1.96;
}

static int score_cb(void *ctx, const uint32_t *users, size_t nu, float *out)
{
	struct tune_run *t = ctx;
	const float *pw[IGR_GF_MAXEXACT];
	size_t off = (size_t)(users - t->split->held->users), j;
	size_t nir = t->split->train->ncols;

	if (!t->pw_ok)
		return igr_gf_score(&t->sc, t->ws, users, nu, out);
	for (j = 0; j < t->sc.side.nexact; j++)
		pw[j] = t->pw[j] + off * nir;
	return igr_gf_score_powers(&t->sc, t->ws, users, nu, pw, nir, out);
}

/* Fill t->pw for the normalisation of t->sc (when it fits in 1 GB). */
static int cache_powers(struct tune_run *t, double norm)
{
	const igr_valid *h = t->split->held;
	size_t nir = t->split->train->ncols, e = t->sc.side.nexact, j;
	uint32_t bs = igr_gf_block(&t->sc), u0;

	if (t->pw_ok && t->pw_norm == norm)
		return 0;
	t->pw_ok = 0;
	if ((double)h->nlisted * nir * e * sizeof(float) > (double)(1u << 30))
		return 0;
	for (j = 0; j < e; j++) {
		if (t->pw[j] == NULL)
			t->pw[j] = malloc(((size_t)h->nlisted * nir + 1) *
					  sizeof(float));
		if (t->pw[j] == NULL)
			return 0; /* no room: score from scratch */
	}
	for (u0 = 0; u0 < h->nlisted; u0 += bs) {
		uint32_t nb = h->nlisted - u0 < bs ? h->nlisted - u0 : bs;
		float *out[IGR_GF_MAXEXACT];

		for (j = 0; j < e; j++)
			out[j] = t->pw[j] + (size_t)u0 * nir;
		if (igr_gf_powers(&t->sc, t->ws, h->users + u0, nb, out,
				  nir) < 0)
			return -1;
	}
	t->pw_ok = 1;
	t->pw_norm = norm;
	return 0;
}

static int same_spec(const igr_gf_spec *a, const igr_gf_spec *b)
{
	if (a->filter != b->filter || a->rank != b->rank ||
	    a->beta != b->beta || a->norm != b->norm || a->exact != b->exact)
		return 0;
	if (a->filter == IGR_GF_CHEBY)
		return a->degree == b->degree && a->flatness == b->flatness;
	return a->sharpen == b->sharpen && a->order == b->order;
}

/* Holdout recall@20 (and NDCG@20) of setting S; its index in t->seen
 * into *IDX (every setting is scored once).  0 or -1. */
static int try_spec(struct tune_run *t, const igr_gf_spec *s, double *rec,
		    double *ndcg, int *idx)
{
	char d[160];
	int q, rc;
	double *each;

	for (q = 0; q < t->nseen; q++)
		if (same_spec(&t->seen[q], s)) {
			*rec = t->seen_r[q];
			*ndcg = t->seen_n[q];
			*idx = q;
			return 0;
		}
	if (t->nseen >= 64)
		return igr_error("gf: tune: too many settings");
	each = malloc(((size_t)t->split->held->nlisted + 1) * sizeof *each);
	if (each == NULL)
		return igr_error("out of memory");
	memset(&t->sc, 0, sizeof t->sc);
	if (igr_gf_side_build(&t->sc.side, s, t->rn, t->rnt, t->dc, t->sv,
			      t->v, t->kv) < 0) {
		free(each);
		return -1;
	}
	t->sc.r = t->split->train;
	t->sc.rn = t->rn;
	t->sc.rnt = t->rnt;
	t->sc.ni = t->split->train->ncols;
	rc = cache_powers(t, s->norm);
	if (rc == 0)
		rc = igr_valid_eval_each(t->split->held, t->sc.ni, 20,
					 t->split->train, score_cb, t, rec,
					 ndcg, each);
	igr_gf_side_free(&t->sc.side);
	if (rc < 0) {
		free(each);
		return -1;
	}
	spec_desc(s, d, sizeof d);
	igr_report_info(t->rep, "gf: tune: %s: recall@20 %.4f ndcg@20 %.4f",
			d, *rec, *ndcg);
	if (igr_tune_record(t->m, d, *rec, *ndcg) < 0) {
		free(each);
		return -1;
	}
	t->seen[t->nseen] = *s;
	t->seen_r[t->nseen] = *rec;
	t->seen_n[t->nseen] = *ndcg;
	t->seen_each[t->nseen] = each;
	*idx = t->nseen++;
	return 0;
}

/* the axes of the search, each a list of values around the current */
static const double flat_vals[] = { 0.5, 1, 1.5, 2, 3 };
static const double sharp_vals[] = { 0, 1, 2.5, 4 };
static const double norm_vals[] = { 0, 0.2, 0.3, 0.4, 0.5 };
static const double beta_vals[] = { 0, 0.1, 0.2, 0.4, 0.8 };

#define NV(a) (sizeof(a) / sizeof(a)[0])

/* Move along one axis: the values next to the current one (and further
 * while they are better).  *BEST (index *BI) is updated.  0 or -1. */
static int walk(struct tune_run *t, igr_gf_spec *best, int *bi, double *br,
		double *bn, size_t off, const double *vals, size_t nv,
		int *moved)
{
	size_t cur = 0, q;
	int dir;
	double now = *(double *)((char *)best + off);

	for (q = 0; q < nv; q++)
		if (fabs(vals[q] - now) < fabs(vals[cur] - now))
			cur = q;
	for (dir = -1; dir <= 1; dir += 2) {
		size_t at = cur;

		for (;;) {
			igr_gf_spec s = *best;
			double r, n;
			int ci;

			if ((dir < 0 && at == 0) || (dir > 0 && at + 1 >= nv))
				break;
			at = (size_t)((int64_t)at + dir);
			*(double *)((char *)&s + off) = vals[at];
			if (try_spec(t, &s, &r, &n, &ci) < 0)
				return -1;
			if (!better(t, ci, *bi))
				break;
			*best = s;
			*bi = ci;
			*br = r;
			*bn = n;
			*moved = 1;
		}
	}
	return 0;
}

static int tune(igr_learn_opts *o, const struct gf_free *fr,
		const igr_graph *g, igr_model *m, const igr_report *rep,
		uint32_t tune_users)
{
	igr_csr *r = igr_learn_matrix(g, o->weight_power);
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	igr_tune_split split;
	struct tune_run t;
	igr_gf_spec best, s;
	double br, bn, t0 = igr_now(), r2, n2;
	uint32_t kmax;
	int ret = -1, round, moved, bi = -1, ci;
	char d[160];

	memset(&t, 0, sizeof t);
	memset(&split, 0, sizeof split);
	if (r == NULL)
		return -1;
	/* the edge times are the graph's, not the copy's */
	if (ui != NULL && ui->last_ts != NULL && ui->nnz == r->nnz)
		r->last_ts = ui->last_ts;
	if (igr_tune_split_make(&split, r, 0.2, tune_users, o->seed) < 0) {
		r->last_ts = NULL;
		igr_csr_free(r);
		return -1;
	}
	r->last_ts = NULL;
	igr_csr_free(r);
	if (split.held->nlisted == 0) {
		/* too few edges a user to hold any out: keep the defaults */
		igr_report_info(rep, "gf: tune: no user has 3 edges; the fixed "
				"defaults are used");
		igr_tune_split_free(&split);
		return 0;
	}
	igr_report_progress(rep, "gf: tuning: SVD of the held-out graph");
	kmax = o->rank;
	if (kmax > split.train->ncols)
		kmax = split.train->ncols;
	if (kmax > split.train->nrows)
		kmax = split.train->nrows;
	t.split = &split;
	t.m = m;
	t.rep = rep;
	t.kv = kmax;
	t.dc = malloc(((size_t)split.train->ncols + 1) * sizeof *t.dc);
	t.sv = malloc(((size_t)kmax + 1) * sizeof *t.sv);
	t.v = malloc(((size_t)split.train->ncols * kmax + 1) * sizeof *t.v);
	t.ws = igr_gf_ws_new();
	if (!t.dc || !t.sv || !t.v || !t.ws) {
		igr_error("out of memory");
		goto out;
	}
	{
		/* the tuner ranks settings: half the SVD iterations do */
		igr_learn_opts oh = *o;

		oh.svd_iters = (o->svd_iters + 1) / 2;
		if (igr_gf_norm(split.train, &t.rn, &t.rnt, t.dc) < 0 ||
		    igr_gf_svd(t.rn, t.rnt, kmax, &oh, t.sv, t.v) < 0)
			goto out;
	}
	igr_gf_spec_of(&best, o);
	best.rank = kmax;
	igr_report_progress(rep, "gf: tuning: %u held-out users",
			    split.held->nlisted);
	if (try_spec(&t, &best, &br, &bn, &bi) < 0)
		goto out;
	/* the other family at its start */
	if (fr->filter) {
		s = best;
		s.filter = best.filter == IGR_GF_CHEBY ? IGR_GF_BSPM
						       : IGR_GF_CHEBY;
		s.taylor = s.filter == IGR_GF_BSPM;
		if (try_spec(&t, &s, &r2, &n2, &ci) < 0)
			goto out;
		if (better(&t, ci, bi)) {
			best = s;
			bi = ci;
			br = r2;
			bn = n2;
		}
	}
	for (round = 0; round < 2; round++) {
		moved = 0;
		if (best.filter == IGR_GF_CHEBY && fr->flatness &&
		    walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, flatness), flat_vals,
			 NV(flat_vals), &moved) < 0)
			goto out;
		if (best.filter == IGR_GF_BSPM && fr->sharpen &&
		    walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, sharpen), sharp_vals,
			 NV(sharp_vals), &moved) < 0)
			goto out;
		if (fr->norm && walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, norm),
				     norm_vals, NV(norm_vals), &moved) < 0)
			goto out;
		if (fr->beta && walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, beta),
				     beta_vals, NV(beta_vals), &moved) < 0)
			goto out;
		if (fr->rank) {
			/* smaller ranks are prefixes of the same SVD */
			uint32_t kq;

			for (kq = kmax / 2; kq >= 32; kq /= 2) {
				s = best;
				s.rank = kq;
				if (try_spec(&t, &s, &r2, &n2, &ci) < 0)
					goto out;
				if (!better(&t, ci, bi))
					break;
				best = s;
				bi = ci;
				br = r2;
				bn = n2;
				moved = 1;
			}
		}
		if (!moved)
			break;
	}
	spec_desc(&best, d, sizeof d);
	igr_report_info(rep, "gf: tune: chose %s (holdout recall@20 %.4f "
			"ndcg@20 %.4f, %u users, %s, %.1fs)", d, br, bn,
			split.held->nlisted,
			split.temporal ? "newest edges held out"
				       : "random edges held out",
			igr_now() - t0);
	if (igr_tune_chosen(m, d, &split, igr_now() - t0) < 0)
		goto out;
	o->gf_filter = best.filter;
	o->rank = best.rank;
	o->gf_beta = best.beta;
	o->gf_sharpen = best.sharpen;
	o->gf_flatness = best.flatness;
	o->gf_norm = best.norm;
	ret = 0;
out:
	igr_csr_free(t.rn);
	igr_csr_free(t.rnt);
	free(t.dc);
	free(t.sv);
	free(t.v);
	igr_gf_ws_free(t.ws);
	for (round = 0; round < IGR_GF_MAXEXACT; round++)
		free(t.pw[round]);
	for (round = 0; round < t.nseen; round++)
		free(t.seen_each[round]);
	igr_tune_split_free(&split);
	return ret;
}

/* ---- the train function ------------------------------------------------ */

igr_model *igr_train_gf(const igr_graph *g, const struct igr_train_ctx *ctx)
{
	igr_model *m = igr_model_new("gf");
	igr_learn_opts o;
	struct gf_free fr;
	const char *filter;
	int no_tune, rc = 0;
	uint32_t tune_users;
	cJSON *p;

	if (m == NULL)
		return NULL;
	igr_learn_defaults(&o, "gf");
	o.seed = ctx->seed;
	o.threads = ctx->threads;
	no_tune = igr_train_flag(ctx, m, "no-tune");
	fr.filter = !igr_train_given(ctx, "filter");
	fr.rank = !igr_train_given(ctx, "rank");
	fr.beta = !igr_train_given(ctx, "beta");
	fr.sharpen = !igr_train_given(ctx, "sharpen");
	fr.flatness = !igr_train_given(ctx, "flatness");
	fr.norm = !igr_train_given(ctx, "norm");
	if (!no_tune) {
		/* the tuner's start: ChebyCF's filter with their Gowalla
		 * normalisation (the best start on every data set of
		 * BENCHMARKS.md), 512 vectors */
		o.gf_filter = IGR_GF_CHEBY;
		o.gf_norm = 0.4;
		o.rank = 512;
	}
	o.weight_power = igr_train_num(ctx, NULL, "weight-power",
				       o.weight_power);
	filter = igr_train_str(ctx, NULL, "filter", NULL);
	if (filter != NULL)
		o.gf_filter = strcmp(filter, "cheby") == 0 ? IGR_GF_CHEBY
							   : IGR_GF_BSPM;
	o.rank = (uint32_t)igr_train_num(ctx, NULL, "rank", o.rank);
	o.gf_beta = igr_train_num(ctx, NULL, "beta", o.gf_beta);
	o.gf_sharpen = igr_train_num(ctx, NULL, "sharpen", o.gf_sharpen);
	o.gf_order = (uint32_t)igr_train_num(ctx, NULL, "order", o.gf_order);
	o.gf_degree = (uint32_t)igr_train_num(ctx, NULL, "degree",
					      o.gf_degree);
	o.gf_flatness = igr_train_num(ctx, NULL, "flatness", o.gf_flatness);
	o.gf_norm = igr_train_num(ctx, NULL, "norm", o.gf_norm);
	o.gf_exact = (uint32_t)igr_train_num(ctx, NULL, "sparse-powers",
					     o.gf_exact);
	o.svd_iters = (uint32_t)igr_train_num(ctx, NULL, "svd-iters",
					      o.svd_iters);
	o.svd_oversample = (uint32_t)igr_train_num(ctx, NULL, "svd-oversample",
						   o.svd_oversample);
	tune_users = (uint32_t)igr_train_num(ctx, NULL, "tune-users", 1024);
	if (igr_train_data_summary(m, g, ctx->source) < 0)
		goto fail;
	/* a family given fixes which of its settings matter */
	if (!fr.filter && o.gf_filter == IGR_GF_CHEBY)
		fr.sharpen = 0;
	if (!fr.filter && o.gf_filter == IGR_GF_BSPM)
		fr.flatness = 0;
	if (!no_tune && (fr.filter || fr.rank || fr.beta || fr.sharpen ||
			 fr.flatness || fr.norm)) {
		igr_report_progress(ctx->report, "gf: tuning");
		rc = tune(&o, &fr, g, m, ctx->report, tune_users);
		igr_report_progress_done(ctx->report);
		if (rc < 0)
			goto fail;
	}
	/* the settings used, tuned or given */
	p = igr_model_params(m);
	if (p == NULL)
		goto fail;
	cJSON_AddStringToObject(p, "filter",
				o.gf_filter == IGR_GF_CHEBY ? "cheby" : "bspm");
	cJSON_AddNumberToObject(p, "weight-power", o.weight_power);
	cJSON_AddNumberToObject(p, "rank", o.rank);
	cJSON_AddNumberToObject(p, "beta", o.gf_beta);
	cJSON_AddNumberToObject(p, "norm", o.gf_norm);
	if (o.gf_filter == IGR_GF_CHEBY) {
		cJSON_AddNumberToObject(p, "degree", o.gf_degree);
		cJSON_AddNumberToObject(p, "flatness", o.gf_flatness);
	} else {
		cJSON_AddNumberToObject(p, "sharpen", o.gf_sharpen);
		cJSON_AddNumberToObject(p, "order", o.gf_order);
	}
	cJSON_AddNumberToObject(p, "sparse-powers", o.gf_exact);
	cJSON_AddNumberToObject(p, "svd-iters", o.svd_iters);
	cJSON_AddNumberToObject(p, "svd-oversample", o.svd_oversample);
	igr_report_progress(ctx->report, "gf: training");
	rc = igr_gf_fit(m, g, &o);
	igr_report_progress_done(ctx->report);
	if (rc < 0)
		goto fail;
	return m;
fail:
	igr_model_free(m);
	return NULL;
}

static const struct igr_train_param *const gf_params[] = {
	&igr_param_weight_power,
	&p_filter,
	&p_rank,
	&p_beta,
	&p_sharpen,
	&p_order,
	&p_degree,
	&p_flatness,
	&p_norm,
	&p_sparse_powers,
	&p_no_tune,
	&p_tune_users,
	&p_svd_iters,
	&p_svd_oversample,
	NULL,
};

const struct igr_model_type igr_gf_model = {
	.name = "gf",
	.help = "graph filter (ChebyCF, GF-CF/BSPM), self-tuning",
	.params = gf_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.graph_flags = IGR_GRAPH_DETAILS,
	.train = igr_train_gf,
	.check = gf_check,
	.ops = &igr_gf_ops,
};
