/* igraph-eval - score recommendations against held-out behaviour. */
#include "cli.h"
#include "error.h"
#include "io.h"
#include "metrics.h"
#include "stream.h"
#include "vocab.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-eval",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET | IGR_CO_VOCAB,
	.operands = "[file]",
	.about = "Score a scores stream of user -> item recommendations (FILE, "
		 "or stdin)\nagainst the truth: the distinct items of each "
		 "user's events in the\nheld-out period.  Metrics are averaged "
		 "over the users with truth.",
};

enum { OPT_K = 1, OPT_BEHAVIOR };

/* What was read, for the summary and the JSON header. */
struct input {
	const char *path;
	uint64_t records;
	int64_t max_item; /* largest recommended item, -1 if none */
	int prob;
};

struct opts {
	struct igr_cli cli;
	const char *truth;
	unsigned behaviors; /* bit per enum igr_behavior; 0 = all */
	uint64_t items;     /* --items, 0 if not given */
	int json, per_user, prob, nbins;
	const char *compare;
	igr_vocabset *vs;
};

static unsigned parse_behaviors(const char *arg)
{
	unsigned mask = 0;
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int b = igr_behavior_parse(p, len);
		if (b < 0)
			igr_usage_error("--behavior: unknown behavior '%.*s' "
					"(view, click, fav, cart, buy, review)",
					(int)len, p);
		mask |= 1u << b;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return mask;
}

/* PATH as the stream library names it in messages. */
static const char *disp(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* Report the library's last error and exit 1, releasing what is open
 * first (a leak checker then sees a clean exit). */
static noreturn void fail(struct opts *o, igr_eval *ev, igr_reader *r)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_reader_close(r);
	igr_eval_free(ev);
	igr_vocabset_close(o->vs);
	igr_die("%s", msg);
}

static void read_truth(struct opts *o, igr_eval *ev, uint64_t *nread,
		       uint64_t *nrel)
{
	igr_reader *r = igr_reader_open(o->truth, IGR_KIND_EVENTS);
	igr_event e;
	int rc;

	if (r == NULL)
		fail(o, ev, NULL);
	if (o->vs)
		igr_reader_set_vocab(r, o->vs);
	while ((rc = igr_read_event(r, &e)) == 1) {
		if (o->behaviors && !(o->behaviors & (1u << e.behavior)))
			continue;
		(*nrel)++;
		if (igr_eval_add_truth(ev, e.user, e.item) < 0)
			fail(o, ev, r);
	}
	if (rc < 0)
		fail(o, ev, r);
	*nread = igr_reader_records(r);
	igr_reader_close(r);
}

static void read_recs(struct opts *o, igr_eval *ev, int run,
		      struct input *in)
{
	igr_reader *r = igr_reader_open(in->path, IGR_KIND_SCORES);
	const char *meta;
	igr_score s;
	int rc;

	if (r == NULL)
		fail(o, ev, NULL);
	if (o->vs)
		igr_reader_set_vocab(r, o->vs);
	meta = igr_header_get(igr_reader_header(r), "score");
	in->prob = o->prob || (meta != NULL && strcmp(meta, "probability") == 0);
	if (in->prob && igr_eval_set_prob(ev, run, o->nbins) < 0)
		fail(o, ev, r);
	in->max_item = -1;
	while ((rc = igr_read_score(r, &s)) == 1) {
		if (s.query_type != IGR_USER || s.target_type != IGR_ITEM) {
			igr_error("%s: record %llu: %s -> %s scores; "
				  "igraph-eval evaluates user -> item "
				  "recommendations", igr_reader_name(r),
				  (unsigned long long)igr_reader_records(r),
				  igr_node_name(s.query_type),
				  igr_node_name(s.target_type));
			fail(o, ev, r);
		}
		if (igr_eval_add_rec(ev, run, s.query, s.target, s.rank,
				     s.score) < 0) {
			igr_error_prefix("%s: record %llu", igr_reader_name(r),
					 (unsigned long long)
						 igr_reader_records(r));
			fail(o, ev, r);
		}
		if ((int64_t)s.target > in->max_item)
			in->max_item = s.target;
	}
	if (rc < 0)
		fail(o, ev, r);
	in->records = igr_reader_records(r);
	igr_reader_close(r);
}

/* ---- output ------------------------------------------------------------ */

static void out_printf(igr_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(igr_out *out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		igr_die("output line too long");
	if (igr_out_write(out, buf, (size_t)n) < 0)
		igr_die_lib();
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

static void tsv_single(igr_out *out, const igr_eval *ev,
		       const igr_eval_result *res, uint64_t items)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m, b;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	char v[32], bin[64];

	out_printf(out, "users\t-\t%zu\n", nusers);
	out_printf(out, "items\t-\t%llu\n", (unsigned long long)items);
	for (m = 0; m < IGR_NMETRIC; m++)
		for (j = 0; j < nk; j++)
			out_printf(out, "%s\t%u\t%s\n", igr_metric_name(m),
				   k[j], fmt_val(v, res->mean[j][m]));
	for (j = 0; j < nk; j++)
		out_printf(out, "coverage\t%u\t%s\n", k[j],
			   fmt_val(v, coverage(res, j, items)));
	if (res->has_prob) {
		const igr_prob_result *p = &res->prob;
		out_printf(out, "pairs\t-\t%llu\n",
			   (unsigned long long)p->pairs);
		out_printf(out, "positives\t-\t%llu\n",
			   (unsigned long long)p->positives);
		out_printf(out, "auc\t-\t%s\n", fmt_val(v, p->auc));
		out_printf(out, "logloss\t-\t%s\n", fmt_val(v, p->logloss));
		out_printf(out, "brier\t-\t%s\n", fmt_val(v, p->brier));
		out_printf(out, "ece\t-\t%s\n", fmt_val(v, p->ece));
		for (b = 0; b < p->nbins; b++) {
			const igr_calib_bin *c = &p->bins[b];
			fmt_bin(bin, c);
			out_printf(out, "calib_n\t%s\t%llu\n", bin,
				   (unsigned long long)c->n);
			out_printf(out, "calib_mean\t%s\t%s\n", bin,
				   fmt_val(v, c->n ? c->sum_p / (double)c->n
						   : NAN));
			out_printf(out, "calib_rate\t%s\t%s\n", bin,
				   fmt_val(v, c->n ? (double)c->pos /
							  (double)c->n
						   : NAN));
		}
	}
}

static void tsv_compare(igr_out *out, const igr_eval *ev,
			const igr_eval_result *a, const igr_eval_result *b,
			uint64_t items)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	char v1[32], v2[32], v3[32], p1[32], p2[32];
	static const char *const pnames[] = { "auc", "logloss", "brier",
					      "ece" };

	out_printf(out, "metric\tk\ta\tb\tdiff\tb_better\ta_better\tties\t"
			"p_ttest\tp_sign\n");
	out_printf(out, "users\t-\t%zu\t%zu\t0\t-\t-\t-\t-\t-\n", nusers,
		   nusers);
	out_printf(out, "items\t-\t%llu\t%llu\t0\t-\t-\t-\t-\t-\n",
		   (unsigned long long)items, (unsigned long long)items);
	for (m = 0; m < IGR_NMETRIC; m++)
		for (j = 0; j < nk; j++) {
			igr_paired t;
			size_t stride = (size_t)nk * IGR_NMETRIC;
			igr_paired_test(a->user + j * IGR_NMETRIC + m,
					b->user + j * IGR_NMETRIC + m, nusers,
					stride, &t);
			out_printf(out,
				   "%s\t%u\t%s\t%s\t%s\t%llu\t%llu\t%llu\t%s\t"
				   "%s\n",
				   igr_metric_name(m), k[j],
				   fmt_val(v1, a->mean[j][m]),
				   fmt_val(v2, b->mean[j][m]),
				   fmt_val(v3, b->mean[j][m] - a->mean[j][m]),
				   (unsigned long long)t.b_better,
				   (unsigned long long)t.a_better,
				   (unsigned long long)t.ties,
				   fmt_p(p1, t.p_ttest), fmt_p(p2, t.p_sign));
		}
	for (j = 0; j < nk; j++) {
		double ca = coverage(a, j, items), cb = coverage(b, j, items);
		out_printf(out, "coverage\t%u\t%s\t%s\t%s\t-\t-\t-\t-\t-\n",
			   k[j], fmt_val(v1, ca), fmt_val(v2, cb),
			   fmt_val(v3, cb - ca));
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
			out_printf(out,
				   "%s\t-\t%s\t%s\t%s\t-\t-\t-\t-\t-\n",
				   pnames[m], a->has_prob ? fmt_val(v1, va) : "-",
				   b->has_prob ? fmt_val(v2, vb) : "-",
				   a->has_prob && b->has_prob
					   ? fmt_val(v3, vb - va)
					   : "-");
		}
}

/* External name of user U, or NULL if it was forgotten (erasure). */
static const char *user_name(const struct opts *o, uint32_t u, char *buf)
{
	const char *name;

	if (o->vs == NULL) {
		snprintf(buf, 16, "%u", u);
		return buf;
	}
	name = igr_vocab_name(o->vs->v[IGR_USER], u);
	if (name == NULL)
		igr_die("user %u is not in the vocabulary %s", u, o->vs->dir);
	if (igr_vocab_is_forgotten(o->vs->v[IGR_USER], u))
		return NULL;
	return name;
}

static uint64_t hits_of(const double *row, uint32_t k)
{
	return (uint64_t)llround(row[IGR_M_PRECISION] * k);
}

static uint64_t tsv_per_user(igr_out *out, const struct opts *o,
			     const igr_eval *ev, const igr_eval_result *res)
{
	const uint32_t *k, *users, *ntruth;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, &ntruth), i;
	uint64_t forgotten = 0;
	char v[32], ubuf[16];

	out_printf(out, "user\tk\ttruth\trecs\thits");
	for (m = 0; m < IGR_NMETRIC; m++)
		out_printf(out, "\t%s", m == IGR_M_MAP   ? "ap"
					: m == IGR_M_MRR ? "rr"
							 : igr_metric_name(m));
	out_printf(out, "\n");
	for (i = 0; i < nusers; i++) {
		const char *name = user_name(o, users[i], ubuf);
		if (name == NULL) {
			forgotten++;
			continue;
		}
		for (j = 0; j < nk; j++) {
			const double *row =
				res->user + (i * nk + j) * IGR_NMETRIC;
			if (igr_out_printf(out, "%s\t%u\t%u\t%u\t%llu", name,
					   k[j], ntruth[i],
					   res->user_nrecs[i],
					   (unsigned long long)hits_of(row,
								       k[j])) < 0)
				igr_die_lib();
			for (m = 0; m < IGR_NMETRIC; m++)
				out_printf(out, "\t%s", fmt_val(v, row[m]));
			out_printf(out, "\n");
		}
	}
	return forgotten;
}

/* ---- JSON ------------------------------------------------------------ */

static cJSON *jnum(cJSON *obj, const char *name, double v)
{
	/* cJSON writes NaN and infinities as null */
	cJSON *n = cJSON_AddNumberToObject(obj, name, v);
	if (n == NULL)
		igr_die("out of memory");
	return n;
}

static cJSON *jobj(cJSON *parent, const char *name)
{
	cJSON *n = cJSON_AddObjectToObject(parent, name);
	if (n == NULL)
		igr_die("out of memory");
	return n;
}

static void json_run(cJSON *o, const igr_eval *ev, const igr_eval_result *res,
		     const struct input *in, uint64_t items)
{
	const uint32_t *k;
	int nk = igr_eval_k(ev, &k), j, m, b;
	cJSON *metrics, *p, *bins;
	char key[16];

	if (cJSON_AddStringToObject(o, "file", in->path ? in->path : "-") ==
	    NULL)
		igr_die("out of memory");
	jnum(o, "recs", (double)res->recs);
	jnum(o, "users_with_recs", (double)res->users_listed);
	jnum(o, "users_ignored", (double)res->users_ignored);
	jnum(o, "recs_ignored", (double)res->recs_ignored);
	jnum(o, "rank_ties", (double)res->rank_ties);
	metrics = jobj(o, "metrics");
	for (j = 0; j < nk; j++) {
		cJSON *at;
		snprintf(key, sizeof key, "%u", k[j]);
		at = jobj(metrics, key);
		for (m = 0; m < IGR_NMETRIC; m++)
			jnum(at, igr_metric_name(m), res->mean[j][m]);
		jnum(at, "coverage", coverage(res, j, items));
		jnum(at, "covered_items", (double)res->covered[j]);
	}
	if (!res->has_prob)
		return;
	p = jobj(o, "probability");
	jnum(p, "pairs", (double)res->prob.pairs);
	jnum(p, "positives", (double)res->prob.positives);
	jnum(p, "truth_pairs_unscored", (double)res->prob.unscored);
	jnum(p, "auc", res->prob.auc);
	jnum(p, "logloss", res->prob.logloss);
	jnum(p, "brier", res->prob.brier);
	jnum(p, "ece", res->prob.ece);
	bins = cJSON_AddArrayToObject(p, "calibration");
	if (bins == NULL)
		igr_die("out of memory");
	for (b = 0; b < res->prob.nbins; b++) {
		const igr_calib_bin *c = &res->prob.bins[b];
		cJSON *x = cJSON_CreateObject();
		if (x == NULL || !cJSON_AddItemToArray(bins, x))
			igr_die("out of memory");
		jnum(x, "lo", c->lo);
		jnum(x, "hi", c->hi);
		jnum(x, "count", (double)c->n);
		jnum(x, "positives", (double)c->pos);
		jnum(x, "mean_predicted", c->n ? c->sum_p / (double)c->n : NAN);
		jnum(x, "observed_rate",
		     c->n ? (double)c->pos / (double)c->n : NAN);
	}
}

static uint64_t json_per_user(cJSON *o, const struct opts *op,
			      const igr_eval *ev, const igr_eval_result *res)
{
	const uint32_t *k, *users, *ntruth;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, &ntruth), i;
	cJSON *arr = cJSON_AddArrayToObject(o, "per_user");
	uint64_t forgotten = 0;
	char ubuf[16];

	if (arr == NULL)
		igr_die("out of memory");
	for (i = 0; i < nusers; i++) {
		const char *name = user_name(op, users[i], ubuf);
		if (name == NULL) {
			forgotten++;
			continue;
		}
		for (j = 0; j < nk; j++) {
			const double *row =
				res->user + (i * nk + j) * IGR_NMETRIC;
			cJSON *x = cJSON_CreateObject();
			if (x == NULL || !cJSON_AddItemToArray(arr, x) ||
			    cJSON_AddStringToObject(x, "user", name) == NULL)
				igr_die("out of memory");
			jnum(x, "k", k[j]);
			jnum(x, "truth", ntruth[i]);
			jnum(x, "recs", res->user_nrecs[i]);
			jnum(x, "hits", (double)hits_of(row, k[j]));
			for (m = 0; m < IGR_NMETRIC; m++)
				jnum(x, m == IGR_M_MAP   ? "ap"
					: m == IGR_M_MRR ? "rr"
							 : igr_metric_name(m),
				     row[m]);
		}
	}
	return forgotten;
}

static void json_compare(cJSON *o, const igr_eval *ev,
			 const igr_eval_result *a, const igr_eval_result *b)
{
	const uint32_t *k, *users;
	int nk = igr_eval_k(ev, &k), j, m;
	size_t nusers = igr_eval_users(ev, &users, NULL);
	cJSON *cmp = jobj(o, "compare");
	char key[16];

	for (j = 0; j < nk; j++) {
		cJSON *at;
		snprintf(key, sizeof key, "%u", k[j]);
		at = jobj(cmp, key);
		for (m = 0; m < IGR_NMETRIC; m++) {
			igr_paired t;
			cJSON *x = jobj(at, igr_metric_name(m));
			igr_paired_test(a->user + j * IGR_NMETRIC + m,
					b->user + j * IGR_NMETRIC + m, nusers,
					(size_t)nk * IGR_NMETRIC, &t);
			jnum(x, "a", a->mean[j][m]);
			jnum(x, "b", b->mean[j][m]);
			jnum(x, "diff", b->mean[j][m] - a->mean[j][m]);
			jnum(x, "b_better", (double)t.b_better);
			jnum(x, "a_better", (double)t.a_better);
			jnum(x, "ties", (double)t.ties);
			jnum(x, "t", t.t);
			jnum(x, "p_ttest", t.p_ttest);
			jnum(x, "p_sign", t.p_sign);
		}
	}
}

static const char *behavior_list(unsigned mask, char *buf, size_t size)
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

int main(int argc, char **argv)
{
	struct opts o;
	uint32_t k[IGR_EVAL_MAXK] = { 10, 20 };
	int nk = 2, c, nruns, r;
	struct input in[2];
	igr_eval *ev;
	uint64_t items, truth_read = 0, truth_rel = 0, forgotten = 0;
	const char *items_source;
	const igr_eval_result *res[2];
	igr_out *out;
	char bl[128];

	memset(&o, 0, sizeof o);
	memset(in, 0, sizeof in);
	o.nbins = 10;
	{
		const struct igr_cli_opt opts[] = {
			IGR_OPT_STR(0, "truth", "file", &o.truth,
				    "events stream of the held-out behaviour",
				    .flags = IGR_OF_REQUIRED),
			IGR_OPT_CODE('k', NULL, "list", OPT_K,
				     "cutoffs, e.g. 10,20 (default 10,20)"),
			IGR_OPT_CODE(0, "behavior", "list", OPT_BEHAVIOR,
				     "only these behaviours are relevant, e.g. "
				     "buy or cart,buy (default: every "
				     "behaviour)"),
			IGR_OPT_U64(0, "items", "n", &o.items, 1,
				    (double)UINT32_MAX + 1,
				    "catalogue size for item coverage "
				    "(default: the --vocab item count, else 1 "
				    "+ the largest id)"),
			IGR_OPT_FLAG(0, "json", &o.json,
				     "print a JSON object instead of TSV lines"),
			IGR_OPT_FLAG(0, "per-user", &o.per_user,
				     "print one row per user and cutoff "
				     "instead"),
			IGR_OPT_FLAG(0, "probabilities", &o.prob,
				     "scores are probabilities: add AUC, "
				     "log-loss, Brier score and a calibration "
				     "table (implied by the stream header meta "
				     "'score probability')"),
			IGR_OPT_INT(0, "bins", "n", &o.nbins, 1, 1000,
				    "calibration bins (default 10)"),
			IGR_OPT_STR(0, "compare", "file", &o.compare,
				    "a second run: print both, their "
				    "difference, the per-user wins and losses "
				    "and paired tests"),
			IGR_OPT_COMMON("vocab", "read streams with external "
				       "ids; print users by external id"),
			IGR_OPT_END
		};
		igr_cli_init(&o.cli, &cmd, opts, argc, argv);
		while ((c = igr_cli_getopt(&o.cli)) != -1) {
			if (c == OPT_K)
				nk = igr_opt_u32_list(optarg, k, IGR_EVAL_MAXK,
						      1, IGR_EVAL_KMAX, "-k");
			else
				o.behaviors = parse_behaviors(optarg);
		}
	}
	igr_cli_ready(&o.cli);
	if (o.truth == NULL)
		igr_usage_error("--truth is required");
	if (argc - optind > 1)
		igr_usage_error("one recommendations file at most (a second "
				"run goes with --compare)");
	in[0].path = optind < argc ? argv[optind] : "-";
	in[1].path = o.compare;
	nruns = o.compare ? 2 : 1;
	if (o.compare && o.per_user)
		igr_usage_error("--per-user and --compare cannot be combined");
	{
		int stdin_users = (strcmp(o.truth, "-") == 0) +
				  (strcmp(in[0].path, "-") == 0) +
				  (o.compare && strcmp(o.compare, "-") == 0);
		if (stdin_users > 1)
			igr_usage_error("only one input can be stdin");
	}
	if (o.cli.vocab != NULL) {
		o.vs = igr_vocabset_open(o.cli.vocab, IGR_VOCAB_READ);
		if (o.vs == NULL)
			igr_die_lib();
	}

	ev = igr_eval_new(k, nk, nruns);
	if (ev == NULL)
		fail(&o, NULL, NULL);
	read_truth(&o, ev, &truth_read, &truth_rel);
	for (r = 0; r < nruns; r++)
		read_recs(&o, ev, r, &in[r]);
	if (igr_eval_run(ev, o.per_user || o.compare ? IGR_EVAL_PER_USER
						     : 0) < 0) {
		r = igr_eval_failed_run(ev);
		if (r < 0 && o.behaviors)
			igr_error_prefix("%s: behavior %s", disp(o.truth),
					 behavior_list(o.behaviors, bl,
						       sizeof bl));
		else
			igr_error_prefix("%s", disp(r < 0 ? o.truth
							    : in[r].path));
		fail(&o, ev, NULL);
	}

	/* the catalogue size that coverage divides by */
	if (o.items) {
		items = o.items;
		items_source = "--items";
	} else if (o.vs) {
		items = igr_vocab_size(o.vs->v[IGR_ITEM]);
		items_source = "vocabulary";
	} else {
		items = (uint64_t)(igr_eval_max_item(ev) + 1);
		items_source = "largest id + 1";
	}
	for (r = 0; r < nruns; r++)
		if (in[r].max_item >= 0 && (uint64_t)in[r].max_item >= items) {
			igr_error("%s: item %lld is outside the %llu items of "
				  "the catalogue (%s)", disp(in[r].path),
				  (long long)in[r].max_item,
				  (unsigned long long)items, items_source);
			fail(&o, ev, NULL);
		}

	for (r = 0; r < nruns; r++) {
		res[r] = igr_eval_result_of(ev, r);
		if (res[r]->rank_ties)
			igr_warn(&o.cli, "%s: %llu records share their rank "
				 "with another; they are ordered by score, then "
				 "item id", disp(in[r].path),
				 (unsigned long long)res[r]->rank_ties);
	}

	out = igr_out_open(o.cli.output);
	if (out == NULL)
		igr_die_lib();
	if (o.json) {
		cJSON *root = cJSON_CreateObject(), *kk;
		const uint32_t *ks;
		const uint32_t *users;
		int nks = igr_eval_k(ev, &ks), j;
		char *text;

		if (root == NULL)
			igr_die("out of memory");
		kk = cJSON_AddArrayToObject(root, "k");
		if (kk == NULL)
			igr_die("out of memory");
		for (j = 0; j < nks; j++)
			if (!cJSON_AddItemToArray(kk,
						  cJSON_CreateNumber(ks[j])))
				igr_die("out of memory");
		jnum(root, "users", (double)igr_eval_users(ev, &users, NULL));
		jnum(root, "items", (double)items);
		if (cJSON_AddStringToObject(root, "items_source",
					    items_source) == NULL ||
		    cJSON_AddStringToObject(root, "truth", o.truth) == NULL ||
		    cJSON_AddStringToObject(root, "behavior",
					    behavior_list(o.behaviors, bl,
							  sizeof bl)) == NULL)
			igr_die("out of memory");
		jnum(root, "truth_events", (double)truth_read);
		jnum(root, "truth_relevant_events", (double)truth_rel);
		jnum(root, "truth_pairs", (double)igr_eval_truth_pairs(ev));
		if (nruns == 1) {
			json_run(root, ev, res[0], &in[0], items);
			if (o.per_user)
				forgotten = json_per_user(root, &o, ev, res[0]);
		} else {
			json_run(jobj(root, "a"), ev, res[0], &in[0], items);
			json_run(jobj(root, "b"), ev, res[1], &in[1], items);
			json_compare(root, ev, res[0], res[1]);
		}
		text = cJSON_Print(root);
		if (text == NULL)
			igr_die("out of memory");
		if (igr_out_write(out, text, strlen(text)) < 0 ||
		    igr_out_write(out, "\n", 1) < 0)
			igr_die_lib();
		free(text);
		cJSON_Delete(root);
	} else if (o.per_user) {
		forgotten = tsv_per_user(out, &o, ev, res[0]);
	} else if (nruns == 1) {
		tsv_single(out, ev, res[0], items);
	} else {
		tsv_compare(out, ev, res[0], res[1], items);
	}
	if (igr_out_close(out) < 0)
		igr_die_lib();
	if (forgotten)
		igr_warn(&o.cli, "%llu forgotten users (erasure requests) "
			 "left out of the per-user rows",
			 (unsigned long long)forgotten);

	{
		const uint32_t *users;
		size_t nusers = igr_eval_users(ev, &users, NULL);
		for (r = 0; r < nruns; r++)
			igr_info(&o.cli,
				 "%s%zu users with truth, %llu with "
				 "recommendations; %llu recommendations read "
				 "(%llu for %llu users without truth, "
				 "ignored); %llu truth events read (%llu of "
				 "behavior %s, %llu distinct user-item pairs); "
				 "%llu items (%s)",
				 nruns == 2 ? (r == 0 ? "a: " : "b: ") : "",
				 nusers,
				 (unsigned long long)res[r]->users_listed,
				 (unsigned long long)in[r].records,
				 (unsigned long long)res[r]->recs_ignored,
				 (unsigned long long)res[r]->users_ignored,
				 (unsigned long long)truth_read,
				 (unsigned long long)truth_rel,
				 behavior_list(o.behaviors, bl, sizeof bl),
				 (unsigned long long)igr_eval_truth_pairs(ev),
				 (unsigned long long)items, items_source);
	}
	igr_eval_free(ev);
	igr_vocabset_close(o.vs);
	return igr_cli_finish(&o.cli);
}
