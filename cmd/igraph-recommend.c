/* igraph-recommend - top-K items per user, similar items, audiences. */
#include "cli.h"
#include "error.h"
#include "model.h"
#include "par.h"
#include "rerank.h"
#include "serve.h"
#include "stream.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* igraph-recommend --rerank file ... [features] */
static const struct igr_cli_form rerank_form[] = {
	{ .common = IGR_CO_QUIET | IGR_CO_VERBOSE | IGR_CO_ENCODING |
		    IGR_CO_THREADS | IGR_CO_OUTPUT | IGR_CO_VOCAB,
	  .operands = "[features]" },
	{ .operands = NULL },
};

static const struct igr_cli_cmd cmd = {
	.name = "igraph-recommend",
	.accepts = IGR_CO_STREAM | IGR_CO_THREADS | IGR_CO_VOCAB,
	.operands = "[graph]",
	.about = "Top-K items for every user of the graph (a graph stream from"
		 "\nigraph-featurize or igraph-propagate), items similar to "
		 "given items,\nor the users most likely to engage with given "
		 "items (audiences).",
	.more = rerank_form,
	.parallel = 1,
};

enum { OPT_EXCLUDE = 1 };

/* Report the library's error and exit 1, removing the unfinished
 * output (which may overwrite the message: it is kept first). */
static noreturn void die_serve(igr_serve *s)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_serve_free(s);
	igr_die("%s", msg);
}

static void die_keep(igr_writer *w)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_writer_abort(w);
	igr_die("%s", msg);
}

/* --rerank: the second stage (lib/rerank.c) over a features stream. */
static int rerank_main(struct igr_cli *cli, igr_vocabset *vs,
		       const char *ranker, int predict, uint32_t k,
		       const char *path, int argc, char **argv)
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
	if (vs != NULL)
		igr_reader_set_vocab(r, vs);
	if (igr_rerank_check(m, r) < 0)
		igr_die_lib();
	w = igr_writer_open(cli->output, IGR_KIND_SCORES, cli->encoding);
	if (w == NULL)
		igr_die_lib();
	if (vs != NULL)
		igr_writer_set_vocab(w, vs);
	if (igr_rerank_writer_setup(w, r, &o) < 0 ||
	    igr_writer_add_pg(w, "igraph-recommend", IGR_VERSION, argc, argv) <
		    0 ||
	    igr_rerank_run(m, r, w, &o, &st) < 0)
		die_keep(w);
	if (igr_writer_close(w) < 0)
		igr_die_lib();
	igr_info(cli,
		 "%s: %llu pairs of %llu users, %llu rows written; network "
		 "%.2fs, total %.2fs",
		 predict ? "predict" : "rerank",
		 (unsigned long long)st.pairs, (unsigned long long)st.users,
		 (unsigned long long)st.written, st.predict_s, igr_now() - t0);
	igr_reader_close(r);
	igr_model_free(m);
	igr_vocabset_close(vs);
	return igr_cli_finish(cli);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	struct igr_serve_opts so;
	struct igr_serve_stats st;
	igr_serve *s;
	igr_vocabset *vs;
	const char *rerank = NULL;
	int predict = 0, timing = 0;
	double t0 = igr_now(), gflop, rate;
	uint32_t nitems, dim;
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR('m', "model", "file", &so.model,
			    "the model (igraph-train)", .flags = IGR_OF_REQUIRED),
		IGR_OPT_STR(0, "rerank", "file", &rerank,
			    "order the candidate pairs of a features stream "
			    "(igraph-pairs) by the purchase probability of this "
			    "ranker (igraph-train --model mlp); the best -k per "
			    "user, scores are probabilities",
			    .flags = IGR_OF_REQUIRED, .forms = 2),
		IGR_OPT_FLAG(0, "predict", &predict,
			     "with --rerank: every pair, in input order",
			     .forms = 2),
		IGR_OPT_U32('k', "top", "n", &so.rec.k, 1, 1000000,
			    "list length: items per user or item, users per "
			    "audience (default 20)", .forms = 3),
		IGR_OPT_CODE(0, "exclude", "seen | bought | zero | none", OPT_EXCLUDE,
			     "leave out, per user, the items with an edge from "
			     "the user ('seen', the default for lists), those "
			     "bought ('bought', needs --events), or nothing "
			     "('none', the default for audiences); 'zero' "
			     "ranks the seen items with score 0 (the "
			     "published leave-one-out protocol)",
			     .metavar = "RULE"),
		IGR_OPT_STR(0, "events", "file", &so.events,
			    "events stream whose buy events define 'bought'"),
		IGR_OPT_STR(0, "users", "file", &so.users,
			    "only these users (one id a line), in this order"),
		IGR_OPT_STR(0, "users-from", "file", &so.users_from,
			    "only the users of this events stream (a day's "
			    "events: the daily update), in id order"),
		IGR_OPT_STR(0, "allow", "file", &so.allow,
			    "recommend only these items (one id a line)"),
		IGR_OPT_STR(0, "block", "file", &so.block,
			    "never recommend these items"),
		IGR_OPT_U32(0, "per-category", "n", &so.rec.per_category, 1,
			    1000000, "at most N items of one category per list"),
		IGR_OPT_FLOAT(0, "min-score", "x", &so.rec.min_score, -1e30,
			      1e30, "leave out items scoring below X"),
		IGR_OPT_SET(0, "no-fallback", &so.rec.fallback, 0,
			    "empty lists, not popular items, for users the "
			    "model knows nothing about"),
		IGR_OPT_FLAG(0, "explain", &so.explain,
			     "add the items behind each recommendation"),
		IGR_OPT_STR(0, "similar", "file", &so.similar,
			    "items similar to these items (one a line)"),
		IGR_OPT_STR(0, "audience", "file", &so.audience,
			    "users for these items: one item a line, or several "
			    "tab-separated items (a campaign)"),
		IGR_OPT_STR(0, "audience-category", "file", &so.audience_cat,
			    "users for these categories (one a line)"),
		IGR_OPT_STR(0, "vectors", "file", &so.vectors,
			    "user vectors from igraph-propagate"),
		IGR_OPT_STR(0, "index", "file", &so.ix.index,
			    "serve an embedding model's lists through this item "
			    "index (igraph-index)"),
		IGR_OPT_FLAG(0, "exact", &so.ix.exact,
			     "score every item (no index, even for a large "
			     "catalogue)"),
		IGR_OPT_U32(0, "candidates", "n", &so.ix.candidates, 0, 1000000,
			    "index candidates per user beyond -k and the user's "
			    "excluded items (default: k; for a pq index k x the larger of 5 and dim / 20)"),
		IGR_OPT_U32(0, "effort", "n", &so.ix.effort, 1, 1000000,
			    "index search effort: lists probed (pq, sq8) or "
			    "candidates kept (hnsw); default: the index's"),
		IGR_OPT_FLAG(0, "skip-unknown", &so.skip_unknown,
			     "skip unknown ids in the files above (a warning) "
			     "instead of stopping"),
		IGR_OPT_FLAG(0, "json", &so.json,
			     "write JSON lines (one object per list)"),
		IGR_OPT_FLAG(0, "timing", &timing,
			     "print where the time went (and, for embedding "
			     "models, the sgemm arithmetic limit)"),
		IGR_OPT_COMMON("output", "write to FILE atomically"),
		IGR_OPT_COMMON("tsv", "write the TSV scores stream"),
		IGR_OPT_COMMON("binary", "write the binary scores stream"),
		IGR_OPT_COMMON("vocab", "read and print external ids"),
		IGR_OPT_END
	};

	memset(&so, 0, sizeof so);
	igr_rec_opts_init(&so.rec);
	so.ix.candidates = UINT32_MAX;
	so.ix.ann_items = IGR_SERVE_ANN_ITEMS;
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while (igr_cli_getopt(&cli) == OPT_EXCLUDE) {
		so.exclude = optarg;
		if (strcmp(optarg, "seen") != 0 &&
		    strcmp(optarg, "bought") != 0 &&
		    strcmp(optarg, "zero") != 0 && strcmp(optarg, "none") != 0)
			igr_usage_error("--exclude: '%s' is not seen, bought, "
					"zero or none", optarg);
	}
	igr_cli_ready(&cli);
	if (predict && rerank == NULL)
		igr_usage_error("--predict goes with --rerank FILE");
	if (rerank != NULL) {
		if (igr_par_size() > 1)
			igr_usage_error("--rerank runs on one rank only (not "
					"under mpirun or srun yet)");
		if (so.model || so.exclude || so.events || so.users ||
		    so.allow || so.block || so.similar || so.audience ||
		    so.audience_cat || so.vectors || so.json || so.explain ||
		    so.ix.index || so.ix.exact || so.ix.effort ||
		    so.ix.candidates != UINT32_MAX ||
		    timing || so.rec.per_category || !so.rec.fallback ||
		    so.rec.min_score != -INFINITY)
			igr_usage_error("--rerank takes the ranker, a features "
					"stream and -k only");
		if (argc - optind > 1)
			igr_usage_error("one features stream at most (got %d)",
					argc - optind);
		return rerank_main(&cli, igr_cli_vocab(&cli, IGR_VOCAB_READ),
				   rerank, predict, so.rec.k,
				   optind < argc ? argv[optind] : "-", argc,
				   argv);
	}
	if (so.model == NULL)
		igr_usage_error("--model is required");
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	if (so.similar && (so.audience || so.audience_cat))
		igr_usage_error("--similar and --audience are separate runs");
	if (so.users != NULL && so.users_from != NULL)
		igr_usage_error("--users and --users-from are alternatives");
	if (so.json && cli.encoding != IGR_ENC_AUTO)
		igr_usage_error("--json cannot be combined with --tsv or "
				"--binary");
	so.mode = so.similar			     ? IGR_SERVE_SIMILAR
		  : so.audience || so.audience_cat ? IGR_SERVE_AUDIENCE
						   : IGR_SERVE_USERS;
	if (so.exclude == NULL)
		so.exclude = so.mode == IGR_SERVE_USERS ? "seen" : "none";
	if (strcmp(so.exclude, "zero") == 0 && so.mode != IGR_SERVE_USERS)
		igr_usage_error("--exclude zero applies to lists of items for "
				"users");
	if (strcmp(so.exclude, "bought") == 0 && so.events == NULL)
		igr_usage_error("--exclude bought needs --events FILE (the "
				"buy events)");
	if ((so.ix.index || so.ix.exact || so.ix.effort ||
	     so.ix.candidates != UINT32_MAX) && so.mode != IGR_SERVE_USERS)
		igr_usage_error("--index, --exact, --candidates and --effort "
				"apply to lists of items for users");
	if (so.ix.exact && (so.ix.index || so.ix.effort || so.ix.candidates != UINT32_MAX))
		igr_usage_error("--exact scores every item: no --index, "
				"--candidates or --effort");
	if (so.explain && so.mode != IGR_SERVE_USERS)
		igr_usage_error("--explain applies to lists of items for "
				"users");
	/* standard input is rank 0's; every rank reads the named files */
	so.graph = igr_cli_input(optind < argc ? argv[optind] : "-");
	so.model = igr_cli_input(so.model);
	so.events = igr_cli_input(so.events);
	so.users = igr_cli_input(so.users);
	so.users_from = igr_cli_input(so.users_from);
	so.allow = igr_cli_input(so.allow);
	so.block = igr_cli_input(so.block);
	so.similar = igr_cli_input(so.similar);
	so.audience = igr_cli_input(so.audience);
	so.audience_cat = igr_cli_input(so.audience_cat);
	so.vectors = igr_cli_input(so.vectors);
	so.ix.index = igr_cli_input(so.ix.index);
	so.vs = vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	so.output = cli.output;
	so.encoding = cli.encoding;
	so.argc = argc;
	so.argv = argv;
	so.report = igr_cli_report(&cli);

	/* open the inputs and load the model */
	s = igr_serve_open(&so);
	if (s == NULL)
		igr_die_lib();
	if (so.explain && !igr_serve_can_explain(s))
		igr_warn(&cli, "the %s model gives no explanations: lists "
			 "without them", igr_model_name(igr_serve_model(s)));
	/* the rules and the queries */
	if (igr_serve_lists(s) < 0)
		die_serve(s);
	igr_serve_stats(s, &st);
	if (st.skipped > 0)
		igr_warn(&cli, "skipped %llu unknown id%s (--skip-unknown)",
			 (unsigned long long)st.skipped,
			 st.skipped == 1 ? "" : "s");
	/* score and write; finish */
	if (igr_serve_run(s) < 0 || igr_serve_close(s) < 0)
		die_serve(s);
	igr_serve_stats(s, &st);
	igr_info(&cli,
		 "%s: %llu lists, %llu rows, %llu popularity fallbacks, %.2fs",
		 so.mode == IGR_SERVE_USERS     ? "users"
		 : so.mode == IGR_SERVE_SIMILAR ? "similar"
						: "audience",
		 (unsigned long long)st.lists, (unsigned long long)st.rows,
		 (unsigned long long)st.fallback_lists, igr_now() - t0);
	if (timing && igr_par_rank() == 0) {
		fprintf(stderr,
			"igraph-recommend: timing: load %.3fs, scoring %.3fs, "
			"output %.3fs, total %.3fs\n",
			st.t_load, st.t_score, st.t_write, igr_now() - t0);
		if (igr_serve_sgemm(s, &gflop, &rate, &nitems, &dim))
			fprintf(stderr,
				"igraph-recommend: timing: %zu users x %u items "
				"x %u dim = %.1f GFLOP; sgemm %.1f GFLOP/s "
				"measured now: arithmetic limit %.3fs, scoring "
				"at %.0f%% of it\n",
				st.users, nitems, dim, gflop, rate,
				gflop / rate, 100.0 * gflop / rate / st.t_score);
	}
	igr_serve_free(s);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
