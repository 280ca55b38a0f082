/* evalreport.c - one run of igraph-eval: read, compute, write the report
 * (see evalreport.h). */
#include "evalreport.h"
#include "error.h"
#include "stream.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What was read of one run, for the catalogue check and the JSON. */
struct run {
	const char *path;
	uint64_t records;
	int64_t max_item; /* largest recommended item, -1 if none */
	int prob;
};

struct igr_evalreport {
	const struct igr_evalreport_opts *o;
	igr_eval *ev;
	struct run in[2];
	const igr_eval_result *res[2];
	struct igr_evalreport_stats st;
};

const char *igr_evalreport_disp(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "<stdin>" : path;
}

const char *igr_behavior_list(unsigned mask, char *buf, size_t size)
{
	size_t n = 0;
	int b;

	if (mask == 0)
		return "all";
	buf[0] = 0;
	for (b = 0; b < IGR_NBEHAVIOR; b++)
		if (mask & (1u << b))
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      n ? "," : "",
					      igr_behavior_name(b));
	return buf;
}

igr_evalreport *igr_evalreport_new(const struct igr_evalreport_opts *o)
{
	igr_evalreport *er = calloc(1, sizeof *er);
	int r;

	if (er == NULL)
		return igr_error("out of memory"), NULL;
	er->o = o;
	for (r = 0; r < o->nruns; r++)
		er->in[r].path = o->runs[r];
	er->ev = igr_eval_new(o->k, o->nk, o->nruns);
	if (er->ev == NULL) {
		free(er);
		return NULL;
	}
	return er;
}

static int read_truth(igr_evalreport *er)
{
	const struct igr_evalreport_opts *o = er->o;
	igr_reader *r = igr_reader_open(o->truth, IGR_KIND_EVENTS);
	igr_event e;
	int rc;

	if (r == NULL)
		return -1;
	if (o->vs)
		igr_reader_set_vocab(r, o->vs);
	while ((rc = igr_read_event(r, &e)) == 1) {
		if (o->behaviors && !(o->behaviors & (1u << e.behavior)))
			continue;
		er->st.truth_relevant++;
		if (igr_eval_add_truth(er->ev, e.user, e.item) < 0) {
			igr_reader_close(r);
			return -1;
		}
	}
	er->st.truth_read = igr_reader_records(r);
	igr_reader_close(r);
	return rc < 0 ? -1 : 0;
}

static int read_recs(igr_evalreport *er, int run)
{
	const struct igr_evalreport_opts *o = er->o;
	struct run *in = &er->in[run];
	igr_reader *r = igr_reader_open(in->path, IGR_KIND_SCORES);
	const char *meta;
	igr_score s;
	int rc;

	if (r == NULL)
		return -1;
	if (o->vs)
		igr_reader_set_vocab(r, o->vs);
	meta = igr_header_get(igr_reader_header(r), "score");
	in->prob = o->prob || (meta != NULL && strcmp(meta, "probability") == 0);
	if (in->prob && igr_eval_set_prob(er->ev, run, o->nbins) < 0)
		goto fail;
	in->max_item = -1;
	while ((rc = igr_read_score(r, &s)) == 1) {
		if (s.query_type != IGR_USER || s.target_type != IGR_ITEM) {
			igr_error("%s: record %llu: %s -> %s scores; "
				  "igraph-eval evaluates user -> item "
				  "recommendations", igr_reader_name(r),
				  (unsigned long long)igr_reader_records(r),
				  igr_node_name(s.query_type),
				  igr_node_name(s.target_type));
			goto fail;
		}
		if (igr_eval_add_rec(er->ev, run, s.query, s.target, s.rank,
				     s.score) < 0) {
			igr_error_prefix("%s: record %llu", igr_reader_name(r),
					 (unsigned long long)
						 igr_reader_records(r));
			goto fail;
		}
		if ((int64_t)s.target > in->max_item)
			in->max_item = s.target;
	}
	if (rc < 0)
		goto fail;
	in->records = er->st.records[run] = igr_reader_records(r);
	igr_reader_close(r);
	return 0;
fail:
	igr_reader_close(r);
	return -1;
}

int igr_evalreport_read(igr_evalreport *er)
{
	int r;

	if (read_truth(er) < 0)
		return -1;
	for (r = 0; r < er->o->nruns; r++)
		if (read_recs(er, r) < 0)
			return -1;
	return 0;
}

int igr_evalreport_compute(igr_evalreport *er)
{
	const struct igr_evalreport_opts *o = er->o;
	char bl[128];
	int r;

	if (igr_eval_run(er->ev, o->per_user || o->nruns == 2
					 ? IGR_EVAL_PER_USER
					 : 0) < 0) {
		r = igr_eval_failed_run(er->ev);
		if (r < 0 && o->behaviors)
			igr_error_prefix("%s: behavior %s",
					 igr_evalreport_disp(o->truth),
					 igr_behavior_list(o->behaviors, bl,
							   sizeof bl));
		else
			igr_error_prefix("%s", igr_evalreport_disp(
						       r < 0 ? o->truth
							     : er->in[r].path));
		return -1;
	}

	/* the catalogue size that coverage divides by */
	if (o->items) {
		er->st.items = o->items;
		er->st.items_source = "--items";
	} else if (o->vs) {
		er->st.items = igr_vocab_size(o->vs->v[IGR_ITEM]);
		er->st.items_source = "vocabulary";
	} else {
		er->st.items = (uint64_t)(igr_eval_max_item(er->ev) + 1);
		er->st.items_source = "largest id + 1";
	}
	for (r = 0; r < o->nruns; r++)
		if (er->in[r].max_item >= 0 &&
		    (uint64_t)er->in[r].max_item >= er->st.items)
			return igr_error("%s: item %lld is outside the %llu "
					 "items of the catalogue (%s)",
					 igr_evalreport_disp(er->in[r].path),
					 (long long)er->in[r].max_item,
					 (unsigned long long)er->st.items,
					 er->st.items_source);
	for (r = 0; r < o->nruns; r++)
		er->res[r] = igr_eval_result_of(er->ev, r);
	return 0;
}

/* ---- TSV --------------------------------------------------------------- */

static int out_printf(igr_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int out_printf(igr_out *out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return igr_error("output line too long");
	return igr_out_write(out, buf, (size_t)n);
}

/* A metric value: six decimals ("nan" when undefined).  The commands run
 * with LC_NUMERIC=C (igr_cli_init), so the separator is always '.'. */
static const char *fmt_val(char *buf, double v)
{
	if (isnan(v))
		return "nan";
	snprintf(buf, 32, "%.6f", v);
	return buf;
}

static const char *fmt_p(char *buf, double v)
{
	if (isnan(v))
		return "nan";
	snprintf(buf, 32, "%.6g", v);
	return buf;
}

static const char *fmt_bin(char *buf, const igr_calib_bin *b)
{
	snprintf(buf, 64, "%g-%g", b->lo, b->hi);
	return buf;
}

static double coverage(const igr_eval_result *res, int j, uint64_t items)
{
	return items ? (double)res->covered[j] / (double)items : NAN;
}

static int tsv_single(igr_out *out, const igr_eval *ev,
		      const igr_eval_result *res, uint64_t items)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m, b;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	char v[32], bin[64];

	if (out_printf(out, "users\t-\t%zu\n", nusers) < 0 ||
	    out_printf(out, "items\t-\t%llu\n", (unsigned long long)items) < 0)
		return -1;
	for (m = 0; m < IGR_NMETRIC; m++)
		for (j = 0; j < nk; j++)
			if (out_printf(out, "%s\t%u\t%s\n", igr_metric_name(m),
				       k[j], fmt_val(v, res->mean[j][m])) < 0)
				return -1;
	for (j = 0; j < nk; j++)
		if (out_printf(out, "coverage\t%u\t%s\n", k[j],
			       fmt_val(v, coverage(res, j, items))) < 0)
			return -1;
	if (res->has_prob) {
		const igr_prob_result *p = &res->prob;
		if (out_printf(out, "pairs\t-\t%llu\n",
			       (unsigned long long)p->pairs) < 0 ||
		    out_printf(out, "positives\t-\t%llu\n",
			       (unsigned long long)p->positives) < 0 ||
		    out_printf(out, "auc\t-\t%s\n", fmt_val(v, p->auc)) < 0 ||
		    out_printf(out, "logloss\t-\t%s\n",
			       fmt_val(v, p->logloss)) < 0 ||
		    out_printf(out, "brier\t-\t%s\n", fmt_val(v, p->brier)) <
			    0 ||
		    out_printf(out, "ece\t-\t%s\n", fmt_val(v, p->ece)) < 0)
			return -1;
		for (b = 0; b < p->nbins; b++) {
			const igr_calib_bin *c = &p->bins[b];
			fmt_bin(bin, c);
			if (out_printf(out, "calib_n\t%s\t%llu\n", bin,
				       (unsigned long long)c->n) < 0 ||
			    out_printf(out, "calib_mean\t%s\t%s\n", bin,
				       fmt_val(v, c->n ? c->sum_p / (double)c->n
						       : NAN)) < 0 ||
			    out_printf(out, "calib_rate\t%s\t%s\n", bin,
				       fmt_val(v, c->n ? (double)c->pos /
							      (double)c->n
						       : NAN)) < 0)
				return -1;
		}
	}
	return 0;
}

static int tsv_compare(igr_out *out, const igr_eval *ev,
		       const igr_eval_result *a, const igr_eval_result *b,
		       uint64_t items)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	char v1[32], v2[32], v3[32], p1[32], p2[32];
	static const char *const pnames[] = { "auc", "logloss", "brier",
					      "ece" };

	if (out_printf(out, "metric\tk\ta\tb\tdiff\tb_better\ta_better\tties\t"
			    "p_ttest\tp_sign\n") < 0 ||
	    out_printf(out, "users\t-\t%zu\t%zu\t0\t-\t-\t-\t-\t-\n", nusers,
		       nusers) < 0 ||
	    out_printf(out, "items\t-\t%llu\t%llu\t0\t-\t-\t-\t-\t-\n",
		       (unsigned long long)items,
		       (unsigned long long)items) < 0)
		return -1;
	for (m = 0; m < IGR_NMETRIC; m++)
		for (j = 0; j < nk; j++) {
			igr_paired t;
			size_t stride = (size_t)nk * IGR_NMETRIC;
			igr_paired_test(a->user + j * IGR_NMETRIC + m,
					b->user + j * IGR_NMETRIC + m, nusers,
					stride, &t);
			if (out_printf(out,
				       "%s\t%u\t%s\t%s\t%s\t%llu\t%llu\t%llu\t"
				       "%s\t%s\n",
				       igr_metric_name(m), k[j],
				       fmt_val(v1, a->mean[j][m]),
				       fmt_val(v2, b->mean[j][m]),
				       fmt_val(v3, b->mean[j][m] - a->mean[j][m]),
				       (unsigned long long)t.b_better,
				       (unsigned long long)t.a_better,
				       (unsigned long long)t.ties,
				       fmt_p(p1, t.p_ttest),
				       fmt_p(p2, t.p_sign)) < 0)
				return -1;
		}
	for (j = 0; j < nk; j++) {
		double ca = coverage(a, j, items), cb = coverage(b, j, items);
		if (out_printf(out, "coverage\t%u\t%s\t%s\t%s\t-\t-\t-\t-\t-\n",
			       k[j], fmt_val(v1, ca), fmt_val(v2, cb),
			       fmt_val(v3, cb - ca)) < 0)
			return -1;
	}
	if (a->has_prob || b->has_prob)
		for (m = 0; m < 4; m++) {
			double va = NAN, vb = NAN;
			const igr_prob_result *pa = &a->prob, *pb = &b->prob;
			double xa[4] = { pa->auc, pa->logloss, pa->brier,
					 pa->ece };
			double xb[4] = { pb->auc, pb->logloss, pb->brier,
					 pb->ece };
			if (a->has_prob)
				va = xa[m];
			if (b->has_prob)
				vb = xb[m];
			if (out_printf(out,
				       "%s\t-\t%s\t%s\t%s\t-\t-\t-\t-\t-\n",
				       pnames[m],
				       a->has_prob ? fmt_val(v1, va) : "-",
				       b->has_prob ? fmt_val(v2, vb) : "-",
				       a->has_prob && b->has_prob
					       ? fmt_val(v3, vb - va)
					       : "-") < 0)
				return -1;
		}
	return 0;
}

/* External name of user U in *NAME, or NULL if it was forgotten
 * (erasure).  Returns 0, or -1 when U has no name. */
static int user_name(const igr_vocabset *vs, uint32_t u, char *buf,
		     const char **name)
{
	if (vs == NULL) {
		snprintf(buf, 16, "%u", u);
		*name = buf;
		return 0;
	}
	*name = igr_vocab_name(vs->v[IGR_USER], u);
	if (*name == NULL)
		return igr_error("user %u is not in the vocabulary %s", u,
				 vs->dir);
	if (igr_vocab_is_forgotten(vs->v[IGR_USER], u))
		*name = NULL;
	return 0;
}

static uint64_t hits_of(const double *row, uint32_t k)
{
	return (uint64_t)llround(row[IGR_M_PRECISION] * k);
}

/* The per-user name of metric M: AP and RR rather than their means. */
static const char *user_metric_name(int m)
{
	return m == IGR_M_MAP ? "ap" : m == IGR_M_MRR ? "rr"
						      : igr_metric_name(m);
}

/* One row of the per-user report: user NAME (the I-th user with truth)
 * at the J-th cutoff, its metrics ROW. */
typedef int (*row_fn)(void *arg, const char *name, size_t i, int j,
		      const double *row);

/* Call FN for every user with truth and every cutoff, in order, leaving
 * out (and counting) the forgotten users. */
static int each_user_row(igr_evalreport *er, const igr_eval_result *res,
			 row_fn fn, void *arg)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(er->ev, &k), j;
	size_t nusers = igr_eval_users(er->ev, &users, NULL), i;
	char ubuf[16];

	for (i = 0; i < nusers; i++) {
		const char *name;
		if (user_name(er->o->vs, users[i], ubuf, &name) < 0)
			return -1;
		if (name == NULL) {
			er->st.forgotten++;
			continue;
		}
		for (j = 0; j < nk; j++)
			if (fn(arg, name, i, j,
			       res->user + (i * nk + j) * IGR_NMETRIC) < 0)
				return -1;
	}
	return 0;
}

/* What a row function needs besides the row. */
struct row_ctx {
	igr_evalreport *er;
	const igr_eval_result *res;
	igr_out *out;   /* TSV */
	cJSON *arr;     /* JSON */
	int bad;        /* JSON: an allocation failed */
};

static int tsv_row(void *arg, const char *name, size_t i, int j,
		   const double *row)
{
	struct row_ctx *c = arg;
	const uint32_t *k, *users, *ntruth;
	char v[32];
	int m;

	igr_eval_k(c->er->ev, &k);
	igr_eval_users(c->er->ev, &users, &ntruth);
	if (igr_out_printf(c->out, "%s\t%u\t%u\t%u\t%llu", name, k[j],
			   ntruth[i], c->res->user_nrecs[i],
			   (unsigned long long)hits_of(row, k[j])) < 0)
		return -1;
	for (m = 0; m < IGR_NMETRIC; m++)
		if (out_printf(c->out, "\t%s", fmt_val(v, row[m])) < 0)
			return -1;
	return out_printf(c->out, "\n");
}

static int tsv_per_user(igr_out *out, igr_evalreport *er,
			const igr_eval_result *res)
{
	struct row_ctx c = { er, res, out, NULL, 0 };
	int m;

	if (out_printf(out, "user\tk\ttruth\trecs\thits") < 0)
		return -1;
	for (m = 0; m < IGR_NMETRIC; m++)
		if (out_printf(out, "\t%s", user_metric_name(m)) < 0)
			return -1;
	if (out_printf(out, "\n") < 0)
		return -1;
	return each_user_row(er, res, tsv_row, &c);
}

/* ---- JSON -------------------------------------------------------------- */

/* The JSON builders do not stop at the first allocation that fails: a
 * NULL object makes every later addition to it fail too, and *BAD
 * remembers that one did ("out of memory" at the end). */

static void jnum(cJSON *obj, const char *name, double v, int *bad)
{
	/* cJSON writes NaN and infinities as null */
	if (cJSON_AddNumberToObject(obj, name, v) == NULL)
		*bad = 1;
}

static void jstr(cJSON *obj, const char *name, const char *s, int *bad)
{
	if (cJSON_AddStringToObject(obj, name, s) == NULL)
		*bad = 1;
}

static cJSON *jobj(cJSON *parent, const char *name, int *bad)
{
	cJSON *n = cJSON_AddObjectToObject(parent, name);
	if (n == NULL)
		*bad = 1;
	return n;
}

static void json_run(cJSON *o, const igr_eval *ev, const igr_eval_result *res,
		     const struct run *in, uint64_t items, int *bad)
{
	const uint32_t *k;
	int nk = igr_eval_k(ev, &k), j, m, b;
	cJSON *metrics, *p, *bins;
	char key[16];

	jstr(o, "file", in->path ? in->path : "-", bad);
	jnum(o, "recs", (double)res->recs, bad);
	jnum(o, "users_with_recs", (double)res->users_listed, bad);
	jnum(o, "users_ignored", (double)res->users_ignored, bad);
	jnum(o, "recs_ignored", (double)res->recs_ignored, bad);
	jnum(o, "rank_ties", (double)res->rank_ties, bad);
	metrics = jobj(o, "metrics", bad);
	for (j = 0; j < nk; j++) {
		cJSON *at;
		snprintf(key, sizeof key, "%u", k[j]);
		at = jobj(metrics, key, bad);
		for (m = 0; m < IGR_NMETRIC; m++)
			jnum(at, igr_metric_name(m), res->mean[j][m], bad);
		jnum(at, "coverage", coverage(res, j, items), bad);
		jnum(at, "covered_items", (double)res->covered[j], bad);
	}
	if (!res->has_prob)
		return;
	p = jobj(o, "probability", bad);
	jnum(p, "pairs", (double)res->prob.pairs, bad);
	jnum(p, "positives", (double)res->prob.positives, bad);
	jnum(p, "truth_pairs_unscored", (double)res->prob.unscored, bad);
	jnum(p, "auc", res->prob.auc, bad);
	jnum(p, "logloss", res->prob.logloss, bad);
	jnum(p, "brier", res->prob.brier, bad);
	jnum(p, "ece", res->prob.ece, bad);
	bins = cJSON_AddArrayToObject(p, "calibration");
	if (bins == NULL)
		*bad = 1;
	for (b = 0; b < res->prob.nbins; b++) {
		const igr_calib_bin *c = &res->prob.bins[b];
		cJSON *x = cJSON_CreateObject();
		if (x == NULL || !cJSON_AddItemToArray(bins, x)) {
			cJSON_Delete(x);
			*bad = 1;
			return;
		}
		jnum(x, "lo", c->lo, bad);
		jnum(x, "hi", c->hi, bad);
		jnum(x, "count", (double)c->n, bad);
		jnum(x, "positives", (double)c->pos, bad);
		jnum(x, "mean_predicted", c->n ? c->sum_p / (double)c->n : NAN,
		     bad);
		jnum(x, "observed_rate",
		     c->n ? (double)c->pos / (double)c->n : NAN, bad);
	}
}

static int json_row(void *arg, const char *name, size_t i, int j,
		    const double *row)
{
	struct row_ctx *c = arg;
	const uint32_t *k, *users, *ntruth;
	cJSON *x = cJSON_CreateObject();
	int m;

	igr_eval_k(c->er->ev, &k);
	igr_eval_users(c->er->ev, &users, &ntruth);
	if (x == NULL || !cJSON_AddItemToArray(c->arr, x)) {
		cJSON_Delete(x);
		return igr_error("out of memory");
	}
	jstr(x, "user", name, &c->bad);
	jnum(x, "k", k[j], &c->bad);
	jnum(x, "truth", ntruth[i], &c->bad);
	jnum(x, "recs", c->res->user_nrecs[i], &c->bad);
	jnum(x, "hits", (double)hits_of(row, k[j]), &c->bad);
	for (m = 0; m < IGR_NMETRIC; m++)
		jnum(x, user_metric_name(m), row[m], &c->bad);
	return c->bad ? igr_error("out of memory") : 0;
}

static int json_per_user(cJSON *o, igr_evalreport *er,
			 const igr_eval_result *res)
{
	struct row_ctx c = { er, res, NULL, NULL, 0 };

	c.arr = cJSON_AddArrayToObject(o, "per_user");
	if (c.arr == NULL)
		return igr_error("out of memory");
	return each_user_row(er, res, json_row, &c);
}

static void json_compare(cJSON *o, const igr_eval *ev,
			 const igr_eval_result *a, const igr_eval_result *b,
			 int *bad)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	cJSON *cmp = jobj(o, "compare", bad);
	char key[16];

	for (j = 0; j < nk; j++) {
		cJSON *at;
		snprintf(key, sizeof key, "%u", k[j]);
		at = jobj(cmp, key, bad);
		for (m = 0; m < IGR_NMETRIC; m++) {
			igr_paired t;
			cJSON *x = jobj(at, igr_metric_name(m), bad);
			igr_paired_test(a->user + j * IGR_NMETRIC + m,
					b->user + j * IGR_NMETRIC + m, nusers,
					(size_t)nk * IGR_NMETRIC, &t);
			jnum(x, "a", a->mean[j][m], bad);
			jnum(x, "b", b->mean[j][m], bad);
			jnum(x, "diff", b->mean[j][m] - a->mean[j][m], bad);
			jnum(x, "b_better", (double)t.b_better, bad);
			jnum(x, "a_better", (double)t.a_better, bad);
			jnum(x, "ties", (double)t.ties, bad);
			jnum(x, "t", t.t, bad);
			jnum(x, "p_ttest", t.p_ttest, bad);
			jnum(x, "p_sign", t.p_sign, bad);
		}
	}
}

/* The JSON object of the whole report. */
static cJSON *json_report(igr_evalreport *er)
{
	const struct igr_evalreport_opts *o = er->o;
	cJSON *root = cJSON_CreateObject(), *kk;
	const uint32_t *ks, *users;
	int nks = igr_eval_k(er->ev, &ks), j, bad = 0;
	uint64_t items = er->st.items;
	char bl[128];

	if (root == NULL)
		return igr_error("out of memory"), NULL;
	kk = cJSON_AddArrayToObject(root, "k");
	if (kk == NULL)
		bad = 1;
	for (j = 0; j < nks && !bad; j++)
		if (!cJSON_AddItemToArray(kk, cJSON_CreateNumber(ks[j])))
			bad = 1;
	jnum(root, "users", (double)igr_eval_users(er->ev, &users, NULL), &bad);
	jnum(root, "items", (double)items, &bad);
	jstr(root, "items_source", er->st.items_source, &bad);
	jstr(root, "truth", o->truth, &bad);
	jstr(root, "behavior", igr_behavior_list(o->behaviors, bl, sizeof bl),
	     &bad);
	jnum(root, "truth_events", (double)er->st.truth_read, &bad);
	jnum(root, "truth_relevant_events", (double)er->st.truth_relevant,
	     &bad);
	jnum(root, "truth_pairs", (double)igr_eval_truth_pairs(er->ev), &bad);
	if (bad)
		goto oom;
	if (o->nruns == 1) {
		json_run(root, er->ev, er->res[0], &er->in[0], items, &bad);
		if (bad)
			goto oom;
		if (o->per_user && json_per_user(root, er, er->res[0]) < 0)
			goto fail;
	} else {
		json_run(jobj(root, "a", &bad), er->ev, er->res[0], &er->in[0],
			 items, &bad);
		json_run(jobj(root, "b", &bad), er->ev, er->res[1], &er->in[1],
			 items, &bad);
		json_compare(root, er->ev, er->res[0], er->res[1], &bad);
	}
	if (bad)
		goto oom;
	return root;
oom:
	igr_error("out of memory");
fail:
	cJSON_Delete(root);
	return NULL;
}

static int json_write(igr_evalreport *er, igr_out *out)
{
	cJSON *root = json_report(er);
	char *text;
	int rc;

	if (root == NULL)
		return -1;
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return igr_error("out of memory");
	rc = igr_out_write(out, text, strlen(text)) < 0 ||
			     igr_out_write(out, "\n", 1) < 0
		     ? -1
		     : 0;
	free(text);
	return rc;
}

int igr_evalreport_write(igr_evalreport *er, igr_out *out)
{
	er->st.forgotten = 0;
	if (er->o->json)
		return json_write(er, out);
	if (er->o->per_user)
		return tsv_per_user(out, er, er->res[0]);
	if (er->o->nruns == 1)
		return tsv_single(out, er->ev, er->res[0], er->st.items);
	return tsv_compare(out, er->ev, er->res[0], er->res[1], er->st.items);
}

const igr_eval *igr_evalreport_eval(const igr_evalreport *er)
{
	return er->ev;
}

void igr_evalreport_stats(const igr_evalreport *er,
			  struct igr_evalreport_stats *st)
{
	*st = er->st;
}

void igr_evalreport_free(igr_evalreport *er)
{
	if (er == NULL)
		return;
	igr_eval_free(er->ev);
	free(er);
}
