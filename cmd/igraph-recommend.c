/* igraph-recommend - top-K items per user, similar items, audiences. */
#include "cli.h"
#include "embed.h"
#include "error.h"
#include "mem.h"
#include "graph.h"
#include "io.h"
#include "model.h"
#include "recommend.h"
#include "rerank.h"
#include "stream.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static const char usage[] =
	"usage: igraph-recommend --model file [-qv] [--binary | --tsv | --json]\n"
	"                        [-k n] [--exclude seen | bought | none]\n"
	"                        [--events file] [--users file] [--allow file]\n"
	"                        [--block file] [--per-category n]\n"
	"                        [--min-score x] [--no-fallback] [--explain]\n"
	"                        [--similar file] [--audience file]\n"
	"                        [--audience-category file] [--vectors file]\n"
	"                        [--skip-unknown] [--threads n] [--timing]\n"
	"                        [--progress] [-o file] [--vocab dir] [graph]\n"
	"       igraph-recommend --rerank file [--predict] [-qv] [--binary | --tsv]\n"
	"                        [-k n] [--threads n] [-o file] [--vocab dir]\n"
	"                        [features]\n"
	"\n"
	"Top-K items for every user of the graph (a graph stream from\n"
	"igraph-featurize or igraph-propagate), items similar to given items,\n"
	"or the users most likely to engage with given items (audiences).\n"
	"\n"
	"  -m, --model FILE       the model (igraph-train)\n"
	"  -k, --top N            list length: items per user or item, users per\n"
	"                         audience (default 20)\n"
	"      --exclude RULE     leave out, per user, the items with an edge from\n"
	"                         the user ('seen', the default for lists), those\n"
	"                         bought ('bought', needs --events), or nothing\n"
	"                         ('none', the default for audiences)\n"
	"      --events FILE      events stream whose buy events define 'bought'\n"
	"      --users FILE       only these users (one id a line), in this order\n"
	"      --allow FILE       recommend only these items (one id a line)\n"
	"      --block FILE       never recommend these items\n"
	"      --per-category N   at most N items of one category per list\n"
	"      --min-score X      leave out items scoring below X\n"
	"      --no-fallback      empty lists, not popular items, for users the\n"
	"                         model knows nothing about\n"
	"      --explain          add the items behind each recommendation\n"
	"      --similar FILE     items similar to these items (one a line)\n"
	"      --audience FILE    users for these items: one item a line, or\n"
	"                         several tab-separated items (a campaign)\n"
	"      --audience-category FILE\n"
	"                         users for these categories (one a line)\n"
	"      --vectors FILE     user vectors from igraph-propagate\n"
	"      --skip-unknown     skip unknown ids in the files above (a warning)\n"
	"                         instead of stopping\n"
	"      --json             write JSON lines (one object per list)\n"
	"      --tsv              write the TSV scores stream\n"
	"      --binary           write the binary scores stream\n"
	"      --threads N        threads (default: all cores)\n"
	"      --rerank FILE      order the candidate pairs of a features stream\n"
	"                         (igraph-pairs) by the purchase probability of\n"
	"                         this ranker (igraph-train --model mlp); the\n"
	"                         best -k per user, scores are probabilities\n"
	"      --predict          with --rerank: every pair, in input order\n"
	"      --timing           print where the time went (and, for embedding\n"
	"                         models, the sgemm arithmetic limit)\n"
	"      --vocab DIR        read and print external ids\n"
	"  -o, --output FILE      write to FILE atomically\n"
	"      --progress         show progress even when stderr is not a terminal\n"
	"  -v, --verbose          print a summary on stderr\n"
	"  -q, --quiet            no warnings or progress\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show the version\n";

enum {
	OPT_EXCLUDE = IGR_OPT_TOOL,
	OPT_EVENTS,
	OPT_USERS,
	OPT_ALLOW,
	OPT_BLOCK,
	OPT_PER_CATEGORY,
	OPT_MIN_SCORE,
	OPT_NO_FALLBACK,
	OPT_EXPLAIN,
	OPT_SIMILAR,
	OPT_AUDIENCE,
	OPT_AUDIENCE_CAT,
	OPT_VECTORS,
	OPT_SKIP_UNKNOWN,
	OPT_JSON,
	OPT_TIMING,
	OPT_RERANK,
	OPT_PREDICT,
};

static const struct option longopts[] = {
	IGR_COMMON_LONGOPTS,
	{ "model", required_argument, NULL, 'm' },
	{ "top", required_argument, NULL, 'k' },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "per-category", required_argument, NULL, OPT_PER_CATEGORY },
	{ "min-score", required_argument, NULL, OPT_MIN_SCORE },
	{ "no-fallback", no_argument, NULL, OPT_NO_FALLBACK },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "similar", required_argument, NULL, OPT_SIMILAR },
	{ "audience", required_argument, NULL, OPT_AUDIENCE },
	{ "audience-category", required_argument, NULL, OPT_AUDIENCE_CAT },
	{ "vectors", required_argument, NULL, OPT_VECTORS },
	{ "skip-unknown", no_argument, NULL, OPT_SKIP_UNKNOWN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ "rerank", required_argument, NULL, OPT_RERANK },
	{ "predict", no_argument, NULL, OPT_PREDICT },
	{ NULL, 0, NULL, 0 },
};

/* Contributions per recommended item with --explain. */
#define EXPLAIN_N 3
/* Users per batch: the output is written batch by batch, in order; a
 * batch holds at most about 4 M results (long lists, smaller batches). */
#define CHUNK 8192
#define CHUNK_SLOTS (4u << 20)

struct cfg {
	struct igr_cli cli;
	igr_vocabset *vs;
	int skip_unknown;
	uint64_t skipped;
};

/* ---- id files ---------------------------------------------------------- */

struct idlist {
	uint32_t *id;
	size_t n, cap;
	uint32_t *line_start; /* per line: first index (for campaigns) */
	size_t nlines, lcap;
};

static int push_id(struct idlist *l, uint32_t id)
{
	if (igr_grow(&l->id, &l->cap, l->n + 1, sizeof *l->id) < 0)
		return -1;
	l->id[l->n++] = id;
	return 0;
}

/* Close a group (an audience line) whose ids start at index FROM. */
static int push_line(struct idlist *l, size_t from)
{
	if (igr_grow(&l->line_start, &l->lcap, l->nlines + 2,
		     sizeof *l->line_start) < 0)
		return -1;
	l->line_start[l->nlines++] = (uint32_t)from;
	l->line_start[l->nlines] = (uint32_t)l->n;
	return 0;
}

/*
 * Read a file of TYPE ids: one a line (MULTI: several tab-separated ids
 * a line, kept as one group); blank lines and lines starting with '#'
 * are skipped.  External ids with --vocab, dense ids otherwise.  BOUND:
 * dense ids >= BOUND are unknown (users: 0 = no bound, a new user).
 */
static int read_ids(struct cfg *c, const char *path, int type, int multi,
		    uint32_t bound, struct idlist *l)
{
	igr_in *in = igr_in_open(path);
	char *line;
	size_t len;
	int rc;

	memset(l, 0, sizeof *l);
	if (in == NULL)
		return -1;
	while ((rc = igr_in_getline(in, &line, &len)) == 1) {
		char *p = line, *end = line + len;
		size_t before = l->n;
		if (len > 0 && line[len - 1] == '\r')
			end--;
		if (p == end || *p == '#')
			continue;
		for (;;) {
			char *tab = memchr(p, '\t', (size_t)(end - p));
			size_t fl = tab ? (size_t)(tab - p) : (size_t)(end - p);
			uint32_t id = IGR_NONE;
			uint64_t v;
			if (!multi && tab != NULL) {
				igr_error("%s:%llu: one %s id a line", path,
					  (unsigned long long)igr_in_lineno(in),
					  igr_node_name(type));
				goto fail;
			}
			if (c->vs != NULL)
				id = igr_vocab_find(c->vs->v[type], p, fl);
			else if (igr_parse_u64(p, fl, IGR_NONE - 1, &v) == 0)
				id = (uint32_t)v;
			else {
				igr_error("%s:%llu: bad %s id '%.*s' (dense ids "
					  "are numbers; external ids need "
					  "--vocab)", path,
					  (unsigned long long)igr_in_lineno(in),
					  igr_node_name(type),
					  (int)(fl > 60 ? 60 : fl), p);
				goto fail;
			}
			if (id == IGR_NONE || (bound && id >= bound)) {
				if (!c->skip_unknown) {
					igr_error("%s:%llu: unknown %s '%.*s'",
						  path,
						  (unsigned long long)
							  igr_in_lineno(in),
						  igr_node_name(type),
						  (int)(fl > 60 ? 60 : fl), p);
					goto fail;
				}
				c->skipped++;
			} else if (push_id(l, id) < 0) {
				goto fail;
			}
			if (tab == NULL)
				break;
			p = tab + 1;
		}
		if (multi && l->n > before && push_line(l, before) < 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	igr_in_close(in);
	return 0;
fail:
	igr_in_close(in);
	free(l->id);
	free(l->line_start);
	memset(l, 0, sizeof *l);
	return -1;
}

/* ---- bought items ------------------------------------------------------ */

static igr_csr *read_bought(const char *path, uint32_t nu, uint32_t ni)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	uint32_t *us = NULL, *is = NULL;
	size_t n = 0, cap = 0;
	igr_event e;
	igr_csr *a = NULL;
	int rc;

	if (r == NULL)
		return NULL;
	while ((rc = igr_read_event(r, &e)) == 1) {
		if (e.behavior != IGR_BUY || e.item >= ni)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 4096;
			uint32_t *a1 = realloc(us, nc * sizeof *a1);
			uint32_t *a2 = a1 ? realloc(is, nc * sizeof *a2) : NULL;
			if (a1 != NULL)
				us = a1;
			if (a2 == NULL) {
				igr_error("out of memory");
				goto out;
			}
			is = a2;
			cap = nc;
		}
		if (e.user >= nu)
			nu = e.user + 1;
		us[n] = e.user;
		is[n++] = e.item;
	}
	if (rc < 0)
		goto out;
	a = igr_csr_from_coo(nu, ni, n, us, is, NULL, NULL, NULL, 0);
out:
	igr_reader_close(r);
	free(us);
	free(is);
	return a;
}

/* ---- output ------------------------------------------------------------ */

struct output {
	igr_writer *w;  /* scores stream, or NULL with --json */
	igr_out *json;  /* JSON lines */
	const igr_vocabset *vs;
	int explain;
};

/* JSON string of an id: the external name with --vocab, else the number. */
static int json_id(struct output *o, int type, uint32_t id)
{
	char buf[32];
	const char *s = buf;
	size_t n, k;

	if (o->vs != NULL) {
		s = igr_vocab_name(o->vs->v[type], id);
		if (s == NULL)
			return igr_error("%s %u is not in the vocabulary",
					 igr_node_name(type), id);
		if (igr_vocab_is_forgotten(o->vs->v[type], id))
			return igr_error("%s %u was forgotten (erasure "
					 "request) and cannot be printed",
					 igr_node_name(type), id);
	} else {
		snprintf(buf, sizeof buf, "%u", id);
	}
	n = strlen(s);
	if (igr_out_write(o->json, "\"", 1) < 0)
		return -1;
	for (k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)s[k];
		if (ch == '"' || ch == '\\') {
			char e[2] = { '\\', (char)ch };
			if (igr_out_write(o->json, e, 2) < 0)
				return -1;
		} else if (ch < 0x20) {
			if (igr_out_printf(o->json, "\\u%04x", ch) < 0)
				return -1;
		} else if (igr_out_write(o->json, &s[k], 1) < 0) {
			return -1;
		}
	}
	return igr_out_write(o->json, "\"", 1);
}

static int json_num(struct output *o, float f)
{
	char buf[32];
	int n;

	if (!isfinite(f))
		return igr_out_write(o->json, "null", 4);
	n = igr_fmt_float(buf, f);
	return igr_out_write(o->json, buf, (size_t)n);
}

#define J(s) igr_out_write(o->json, s, strlen(s))

/* One list as a JSON line.  GROUP/NGROUP: a campaign's items. */
static int write_json(struct output *o, const igr_rec_list *l,
		      const uint32_t *group, size_t ngroup)
{
	int ttype = l->query_type == IGR_USER ? IGR_ITEM : IGR_USER;
	const char *list = l->query_type == IGR_USER ? "items" : "users";
	uint32_t h, c;

	if (l->query_type == IGR_ITEM && o->explain < 0) /* similar */
		ttype = IGR_ITEM, list = "similar";
	if (J("{\"") < 0 || J(ngroup > 1 ? "campaign" :
			       igr_node_name(l->query_type)) < 0 ||
	    J("\":") < 0)
		return -1;
	if (ngroup > 1) {
		if (J("[") < 0)
			return -1;
		for (c = 0; c < ngroup; c++)
			if ((c && J(",") < 0) ||
			    json_id(o, IGR_ITEM, group[c]) < 0)
				return -1;
		if (J("]") < 0)
			return -1;
	} else if (json_id(o, l->query_type, l->query) < 0) {
		return -1;
	}
	if (l->query_type == IGR_USER &&
	    J(l->fallback ? ",\"fallback\":\"popularity\""
			  : ",\"fallback\":false") < 0)
		return -1;
	if (J(",\"") < 0 || J(list) < 0 || J("\":[") < 0)
		return -1;
	for (h = 0; h < l->n; h++) {
		if ((h && J(",") < 0) || J("{\"") < 0 ||
		    J(igr_node_name(ttype)) < 0 || J("\":") < 0 ||
		    json_id(o, ttype, l->hits[h].id) < 0 ||
		    J(",\"score\":") < 0 || json_num(o, l->hits[h].score) < 0 ||
		    igr_out_printf(o->json, ",\"rank\":%u", h + 1) < 0)
			return -1;
		if (o->explain > 0 && l->nwhy != NULL) {
			const igr_contrib *w = l->why + (size_t)h * EXPLAIN_N;
			if (J(",\"because\":[") < 0)
				return -1;
			for (c = 0; c < l->nwhy[h]; c++)
				if ((c && J(",") < 0) || J("{\"") < 0 ||
				    J(igr_node_name(w[c].type)) < 0 ||
				    J("\":") < 0 ||
				    json_id(o, w[c].type, w[c].id) < 0 ||
				    J(",\"weight\":") < 0 ||
				    json_num(o, w[c].w) < 0 || J("}") < 0)
					return -1;
			if (J("]") < 0)
				return -1;
		}
		if (J("}") < 0)
			return -1;
	}
	return J("]}\n");
}

static int write_list(struct output *o, const igr_rec_list *l,
		      const uint32_t *group, size_t ngroup)
{
	igr_score s;
	uint32_t h, c;
	int ttype = l->query_type == IGR_USER ? IGR_ITEM : IGR_USER;

	if (o->explain < 0) /* similar items */
		ttype = IGR_ITEM;
	if (o->json != NULL)
		return write_json(o, l, group, ngroup);
	for (h = 0; h < l->n; h++) {
		s.query_type = l->query_type;
		s.query = l->query;
		s.target_type = (uint8_t)ttype;
		s.target = l->hits[h].id;
		s.score = l->hits[h].score;
		s.rank = h + 1;
		if (igr_write_score(o->w, &s) < 0)
			return -1;
		if (o->explain > 0 && l->nwhy != NULL) {
			const igr_contrib *w = l->why + (size_t)h * EXPLAIN_N;
			for (c = 0; c < l->nwhy[h]; c++) {
				igr_score e;
				e.query_type = IGR_ITEM;
				e.query = l->hits[h].id;
				e.target_type = w[c].type;
				e.target = w[c].id;
				e.score = w[c].w;
				e.rank = c + 1;
				if (igr_write_score(o->w, &e) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static void die_keep(igr_writer *w, igr_out *json)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_writer_abort(w);
	igr_out_abort(json);
	igr_die("%s", msg);
}

/* --rerank: the second stage (lib/rerank.c) over a features stream. */
static int rerank_main(struct cfg *c, const char *ranker, int predict,
		       uint32_t k, const char *path, int argc, char **argv)
{
	struct igr_rerank_opts o = { predict ? 0 : k, predict };
	igr_rerank_stats st;
	igr_model *m = igr_model_load(ranker);
	igr_reader *r;
	igr_writer *w;
	double t0 = igr_now();

	if (m == NULL)
		igr_die_lib();
	r = igr_reader_open(path, IGR_KIND_FEATURES);
	if (r == NULL)
		igr_die_lib();
	if (c->vs != NULL)
		igr_reader_set_vocab(r, c->vs);
	if (igr_rerank_check(m, r) < 0)
		igr_die_lib();
	w = igr_writer_open(c->cli.output, IGR_KIND_SCORES, c->cli.encoding);
	if (w == NULL)
		igr_die_lib();
	if (c->vs != NULL)
		igr_writer_set_vocab(w, c->vs);
	if (igr_rerank_writer_setup(w, r, &o) < 0 ||
	    igr_writer_add_pg(w, "igraph-recommend", IGR_VERSION, argc, argv) <
		    0 ||
	    igr_rerank_run(m, r, w, &o, &st) < 0)
		die_keep(w, NULL);
	if (igr_writer_close(w) < 0)
		igr_die_lib();
	igr_info(&c->cli,
		 "%s: %llu pairs of %llu users, %llu rows written; network "
		 "%.2fs, total %.2fs",
		 predict ? "predict" : "rerank",
		 (unsigned long long)st.pairs, (unsigned long long)st.users,
		 (unsigned long long)st.written, st.predict_s, igr_now() - t0);
	igr_reader_close(r);
	igr_model_free(m);
	igr_vocabset_close(c->vs);
	return igr_cli_finish(&c->cli);
}

int main(int argc, char **argv)
{
	struct cfg c;
	struct igr_rec_opts ro;
	const char *model_path = NULL, *exclude = NULL, *events = NULL;
	const char *users_path = NULL, *allow = NULL, *block = NULL;
	const char *similar = NULL, *audience = NULL, *audience_cat = NULL;
	const char *vectors = NULL, *graph_path;
	const char *rerank = NULL;
	int json = 0, timing = 0, opt, explain = 0, predict = 0;
	struct output out;
	igr_reader *r;
	igr_graph *g;
	igr_model *m;
	igr_rec *rec;
	igr_csr *bought = NULL;
	igr_rec_batch b;
	struct idlist users = { 0 }, qitems = { 0 }, qcats = { 0 };
	uint64_t lists = 0, rows = 0, fallback_lists = 0;
	long unknown = 0;
	double t0 = igr_now(), t_load, t_score = 0, t_write = 0, tt;
	const char *mode;

	memset(&c, 0, sizeof c);
	igr_rec_opts_init(&ro);
	igr_cli_init(&c.cli, "igraph-recommend", argc, argv,
		     IGR_CO_STREAM | IGR_CO_THREADS | IGR_CO_VOCAB);
	while ((opt = getopt_long(argc, argv,
				  igr_cli_shortopts(&c.cli, "m:k:"), longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'm':
			model_path = optarg;
			break;
		case 'k':
			ro.k = (uint32_t)igr_opt_u64(optarg, 1, 1000000, "-k");
			break;
		case OPT_EXCLUDE:
			exclude = optarg;
			if (strcmp(optarg, "seen") != 0 &&
			    strcmp(optarg, "bought") != 0 &&
			    strcmp(optarg, "none") != 0)
				igr_usage_error("--exclude: '%s' is not seen, "
						"bought or none", optarg);
			break;
		case OPT_EVENTS:
			events = optarg;
			break;
		case OPT_USERS:
			users_path = optarg;
			break;
		case OPT_ALLOW:
			allow = optarg;
			break;
		case OPT_BLOCK:
			block = optarg;
			break;
		case OPT_PER_CATEGORY:
			ro.per_category = (uint32_t)igr_opt_u64(
				optarg, 1, 1000000, "--per-category");
			break;
		case OPT_MIN_SCORE:
			ro.min_score = (float)igr_opt_double(
				optarg, -1e30, 1e30, "--min-score");
			break;
		case OPT_NO_FALLBACK:
			ro.fallback = 0;
			break;
		case OPT_EXPLAIN:
			explain = 1;
			break;
		case OPT_SIMILAR:
			similar = optarg;
			break;
		case OPT_AUDIENCE:
			audience = optarg;
			break;
		case OPT_AUDIENCE_CAT:
			audience_cat = optarg;
			break;
		case OPT_VECTORS:
			vectors = optarg;
			break;
		case OPT_SKIP_UNKNOWN:
			c.skip_unknown = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_TIMING:
			timing = 1;
			break;
		case OPT_RERANK:
			rerank = optarg;
			break;
		case OPT_PREDICT:
			predict = 1;
			break;
		default:
			igr_cli_option(&c.cli, opt, optarg, usage);
		}
	}
	igr_cli_ready(&c.cli);
	if (predict && rerank == NULL)
		igr_usage_error("--predict goes with --rerank FILE");
	if (rerank != NULL) {
		if (model_path || exclude || events || users_path || allow ||
		    block || similar || audience || audience_cat || vectors ||
		    json || explain || timing || ro.per_category ||
		    !ro.fallback || ro.min_score != -INFINITY)
			igr_usage_error("--rerank takes the ranker, a features "
					"stream and -k only");
		if (argc - optind > 1)
			igr_usage_error("one features stream at most (got %d)",
					argc - optind);
		if (c.cli.vocab != NULL) {
			c.vs = igr_vocabset_open(c.cli.vocab, IGR_VOCAB_READ);
			if (c.vs == NULL)
				igr_die_lib();
		}
		return rerank_main(&c, rerank, predict, ro.k,
				   optind < argc ? argv[optind] : "-", argc,
				   argv);
	}
	if (model_path == NULL)
		igr_usage_error("--model is required");
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	if (similar && (audience || audience_cat))
		igr_usage_error("--similar and --audience are separate runs");
	if (json && c.cli.encoding != IGR_ENC_AUTO)
		igr_usage_error("--json cannot be combined with --tsv or "
				"--binary");
	mode = similar ? "similar" : audience || audience_cat ? "audience"
							     : "users";
	if (exclude == NULL)
		exclude = strcmp(mode, "users") == 0 ? "seen" : "none";
	ro.exclude = strcmp(exclude, "seen") == 0     ? IGR_EXCL_SEEN
		     : strcmp(exclude, "bought") == 0 ? IGR_EXCL_BOUGHT
						       : IGR_EXCL_NONE;
	if (ro.exclude == IGR_EXCL_BOUGHT && events == NULL)
		igr_usage_error("--exclude bought needs --events FILE (the "
				"buy events)");
	if (explain && strcmp(mode, "users") != 0)
		igr_usage_error("--explain applies to lists of items for "
				"users");
	if (explain)
		ro.explain = EXPLAIN_N;
	graph_path = optind < argc ? argv[optind] : "-";
	if (c.cli.vocab != NULL) {
		c.vs = igr_vocabset_open(c.cli.vocab, IGR_VOCAB_READ);
		if (c.vs == NULL)
			igr_die_lib();
	}

	/* the model and the current graph */
	m = igr_model_load(model_path);
	if (m == NULL)
		igr_die_lib();
	r = igr_reader_open(graph_path, IGR_KIND_GRAPH);
	if (r == NULL)
		igr_die_lib();
	if (c.vs != NULL)
		igr_reader_set_vocab(r, c.vs);
	g = igr_graph_read(r, IGR_REL(IGR_USER, IGR_ITEM) |
				      IGR_REL(IGR_ITEM, IGR_CATEGORY),
			   0);
	if (g == NULL)
		igr_die_lib();
	rec = igr_rec_new(m, g);
	if (rec == NULL)
		igr_die_lib();
	if (vectors != NULL) {
		igr_reader *vr = igr_reader_open(vectors, IGR_KIND_VECTORS);
		if (vr == NULL || igr_rec_load_vectors(rec, vr) < 0)
			igr_die_lib();
		igr_reader_close(vr);
	}
	if (events != NULL) {
		bought = read_bought(events, g->n[IGR_USER], igr_rec_nitems(rec));
		if (bought == NULL)
			igr_die_lib();
		ro.bought = bought;
	}
	igr_rec_set_opts(rec, &ro);
	if (explain && !igr_rec_can_explain(rec))
		igr_warn(&c.cli, "the %s model gives no explanations: lists "
			 "without them", igr_model_name(m));
	if (allow != NULL) {
		struct idlist l;
		if (read_ids(&c, allow, IGR_ITEM, 0, igr_rec_nitems(rec), &l) < 0 ||
		    igr_rec_allow(rec, l.id, l.n) < 0)
			igr_die_lib();
		free(l.id);
	}
	if (block != NULL) {
		struct idlist l;
		if (read_ids(&c, block, IGR_ITEM, 0, igr_rec_nitems(rec), &l) < 0 ||
		    igr_rec_block(rec, l.id, l.n) < 0)
			igr_die_lib();
		free(l.id);
	}
	if (users_path != NULL &&
	    read_ids(&c, users_path, IGR_USER, 0, 0, &users) < 0)
		igr_die_lib();
	if (similar != NULL &&
	    read_ids(&c, similar, IGR_ITEM, 0, igr_rec_nitems(rec), &qitems) < 0)
		igr_die_lib();
	if (audience != NULL &&
	    read_ids(&c, audience, IGR_ITEM, 1, igr_rec_nitems(rec), &qitems) < 0)
		igr_die_lib();
	if (audience_cat != NULL &&
	    read_ids(&c, audience_cat, IGR_CATEGORY, 0, g->n[IGR_CATEGORY],
		     &qcats) < 0)
		igr_die_lib();
	if (c.skipped > 0)
		igr_warn(&c.cli, "skipped %llu unknown id%s (--skip-unknown)",
			 (unsigned long long)c.skipped,
			 c.skipped == 1 ? "" : "s");
	if (users.n == 0 && users_path == NULL) {
		uint32_t u;
		for (u = 0; u < g->n[IGR_USER]; u++)
			if (push_id(&users, u) < 0)
				igr_die_lib();
	}
	t_load = igr_now() - t0;

	/* the output and its header */
	memset(&out, 0, sizeof out);
	out.vs = c.vs;
	out.explain = similar ? -1 : explain;
	if (json) {
		out.json = igr_out_open(c.cli.output);
		if (out.json == NULL)
			igr_die_lib();
	} else {
		const igr_header *gh = igr_reader_header(r);
		char buf[64];
		out.w = igr_writer_open(c.cli.output, IGR_KIND_SCORES,
					c.cli.encoding);
		if (out.w == NULL)
			igr_die_lib();
		snprintf(buf, sizeof buf, "%u", ro.k);
		if (igr_writer_set_meta(out.w, "model", igr_model_name(m)) < 0 ||
		    igr_writer_set_meta(out.w, "mode", mode) < 0 ||
		    igr_writer_set_meta(out.w, "k", buf) < 0 ||
		    igr_writer_set_meta(out.w, "exclude", exclude) < 0)
			die_keep(out.w, NULL);
		if (strcmp(mode, "users") == 0) {
			uint8_t *known = malloc(users.n ? users.n : 1);
			if (known == NULL)
				igr_die("out of memory");
			unknown = igr_rec_known(rec, users.id, users.n, known);
			free(known);
			if (unknown < 0)
				die_keep(out.w, NULL);
			snprintf(buf, sizeof buf, "%ld", unknown);
			if (igr_writer_set_meta(out.w, "fallback",
						ro.fallback ? "popularity"
							    : "none") < 0 ||
			    igr_writer_set_meta(out.w, "fallback.users", buf) <
				    0)
				die_keep(out.w, NULL);
		}
		if (explain &&
		    igr_writer_set_meta(out.w, "explain",
					"rows with query_type item follow the "
					"user row they explain") < 0)
			die_keep(out.w, NULL);
		if (igr_header_get(gh, "now") != NULL &&
		    igr_writer_set_meta(out.w, "now",
					igr_header_get(gh, "now")) < 0)
			die_keep(out.w, NULL);
		if (igr_writer_copy_pg(out.w, gh) < 0 ||
		    igr_writer_add_pg(out.w, "igraph-recommend", IGR_VERSION,
				      argc, argv) < 0)
			die_keep(out.w, NULL);
		if (c.vs != NULL)
			igr_writer_set_vocab(out.w, c.vs);
	}
	igr_reader_close(r);

	igr_rec_batch_init(&b);
	if (strcmp(mode, "users") == 0) {
		size_t u0, chunk = CHUNK_SLOTS / ro.k;
		chunk = chunk < 64 ? 64 : chunk > CHUNK ? CHUNK : chunk;
		for (u0 = 0; u0 < users.n; u0 += chunk) {
			size_t n = users.n - u0 < chunk ? users.n - u0 : chunk, j;
			tt = igr_now();
			if (igr_rec_users(rec, users.id + u0, n, &b) < 0)
				die_keep(out.w, out.json);
			t_score += igr_now() - tt;
			tt = igr_now();
			for (j = 0; j < b.n; j++) {
				if (write_list(&out, &b.lists[j], NULL, 0) < 0)
					die_keep(out.w, out.json);
				rows += b.lists[j].n;
				fallback_lists += b.lists[j].fallback;
			}
			lists += b.n;
			t_write += igr_now() - tt;
			igr_progress(&c.cli, "%zu of %zu users", u0 + n,
				     users.n);
		}
	} else if (similar != NULL) {
		size_t q0, j;
		for (q0 = 0; q0 < qitems.n; q0 += CHUNK) {
			size_t n = qitems.n - q0 < CHUNK ? qitems.n - q0 : CHUNK;
			tt = igr_now();
			if (igr_rec_similar(rec, qitems.id + q0, n, &b) < 0)
				die_keep(out.w, out.json);
			t_score += igr_now() - tt;
			tt = igr_now();
			for (j = 0; j < b.n; j++) {
				if (write_list(&out, &b.lists[j], NULL, 0) < 0)
					die_keep(out.w, out.json);
				rows += b.lists[j].n;
			}
			lists += b.n;
			t_write += igr_now() - tt;
		}
	} else {
		size_t nq = qitems.nlines + qcats.n, j;
		struct igr_audience *q = calloc(nq ? nq : 1, sizeof *q);
		if (q == NULL)
			igr_die("out of memory");
		for (j = 0; j < qitems.nlines; j++) {
			q[j].type = IGR_ITEM;
			q[j].items = qitems.id + qitems.line_start[j];
			q[j].nitems = qitems.line_start[j + 1] -
				      qitems.line_start[j];
			q[j].id = q[j].items[0];
		}
		for (j = 0; j < qcats.n; j++) {
			q[qitems.nlines + j].type = IGR_CATEGORY;
			q[qitems.nlines + j].id = qcats.id[j];
		}
		tt = igr_now();
		if (igr_rec_audience(rec, q, nq,
				     users_path ? users.id : NULL, users.n,
				     &b) < 0)
			die_keep(out.w, out.json);
		t_score += igr_now() - tt;
		tt = igr_now();
		for (j = 0; j < b.n; j++) {
			if (write_list(&out, &b.lists[j], q[j].items,
				       q[j].type == IGR_ITEM ? q[j].nitems : 0) <
			    0)
				die_keep(out.w, out.json);
			rows += b.lists[j].n;
		}
		lists += b.n;
		t_write += igr_now() - tt;
		free(q);
	}
	igr_progress_done(&c.cli);
	tt = igr_now();
	if (out.w != NULL && igr_writer_close(out.w) < 0) {
		out.w = NULL;
		die_keep(NULL, out.json);
	}
	if (out.json != NULL && igr_out_close(out.json) < 0)
		igr_die_lib();
	t_write += igr_now() - tt;
	igr_info(&c.cli,
		 "%s: %llu lists, %llu rows, %llu popularity fallbacks, "
		 "%.2fs",
		 mode, (unsigned long long)lists, (unsigned long long)rows,
		 (unsigned long long)fallback_lists, igr_now() - t0);
	if (timing) {
		igr_embed e;
		fprintf(stderr,
			"igraph-recommend: timing: load %.3fs, scoring %.3fs, "
			"output %.3fs, total %.3fs\n",
			t_load, t_score, t_write, igr_now() - t0);
		if (m->ops->embedding != NULL && m->ops->embedding(m, &e) == 0 &&
		    e.dim > 1 && strcmp(mode, "users") == 0) {
			double rate = igr_embed_sgemm_rate(e.dim, e.nitems, 1.0);
			double flop = 2.0 * (double)users.n * e.nitems * e.dim;
			if (rate > 0)
				fprintf(stderr,
					"igraph-recommend: timing: %zu users x "
					"%u items x %u dim = %.1f GFLOP; "
					"sgemm %.1f GFLOP/s measured now: "
					"arithmetic limit %.3fs, scoring at "
					"%.0f%% of it\n",
					users.n, e.nitems, e.dim, flop / 1e9,
					rate, flop / 1e9 / rate,
					100.0 * flop / 1e9 / rate / t_score);
		}
	}
	igr_rec_batch_free(&b);
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
	igr_csr_free(bought);
	free(users.id);
	free(users.line_start);
	free(qitems.id);
	free(qitems.line_start);
	free(qcats.id);
	free(qcats.line_start);
	igr_vocabset_close(c.vs);
	(void)unknown;
	return igr_cli_finish(&c.cli);
}
