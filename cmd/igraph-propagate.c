/* igraph-propagate - refresh users' interest points and vectors from the
 * current graph through a model, without retraining. */
#include "cli.h"
#include "error.h"
#include "propagate.h"
#include "vocab.h"

#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-propagate",
	.accepts = IGR_CO_STREAM | IGR_CO_THREADS | IGR_CO_VOCAB,
	.operands = "[graph]",
	.about = "Write the graph (a graph stream from igraph-featurize) again "
		 "with each\nuser's interest points (user->category edges) "
		 "recomputed through the\nmodel; optionally write the users' "
		 "vectors (embedding models).  The\noutput is what "
		 "igraph-recommend reads.",
	.parallel = 1,
};

/* Report the library's error and exit 1, removing the unfinished
 * outputs (which may overwrite the message: it is kept first). */
static noreturn void die_propagate(igr_propagate *p)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_propagate_free(p);
	igr_die("%s", msg);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	struct igr_propagate_opts po;
	struct igr_propagate_stats st;
	igr_propagate *p;
	igr_vocabset *vs;
	double t0 = igr_now();
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR('m', "model", "file", &po.model,
			    "the model (igraph-train)", .flags = IGR_OF_REQUIRED),
		IGR_OPT_U32(0, "points", "n", &po.points, 1, 100000,
			    "interest points kept per user (default 10)"),
		IGR_OPT_U32(0, "depth", "n", &po.depth, 1, 10000000,
			    "the model's top N items per user behind them "
			    "(default 100)"),
		IGR_OPT_STR(0, "vectors", "file", &po.vectors,
			    "also write the user vectors to FILE (a vectors "
			    "stream; embedding models)"),
		IGR_OPT_STR(0, "users-from", "file", &po.users_from,
			    "recompute only the users of this events stream "
			    "(the others keep their interest points)"),
		IGR_OPT_STR(0, "index", "file", &po.ix.index,
			    "take the top items from this item index "
			    "(igraph-index; embedding models)"),
		IGR_OPT_FLAG(0, "exact", &po.ix.exact,
			     "score every item (no index, even for a large "
			     "catalogue)"),
		IGR_OPT_U32(0, "candidates", "n", &po.ix.candidates, 0,
			    1000000,
			    "index candidates per user beyond --depth "
			    "(default: depth; for a pq index depth x the larger of 5 and dim / 20)"),
		IGR_OPT_U32(0, "effort", "n", &po.ix.effort, 1, 1000000,
			    "index search effort (default: the index's)"),
		IGR_OPT_COMMON("output", "write the graph to FILE atomically"),
		IGR_OPT_COMMON("binary", "write the binary encoding"),
		IGR_OPT_COMMON("vocab", "read a TSV graph written with external "
			       "ids, and write TSV with external ids"),
		IGR_OPT_END
	};

	memset(&po, 0, sizeof po);
	po.points = 10;
	po.depth = 100;
	po.ix.candidates = UINT32_MAX;
	po.ix.ann_items = IGR_SERVE_ANN_ITEMS;
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	igr_cli_parse(&cli);
	igr_cli_ready(&cli);
	if (po.model == NULL)
		igr_usage_error("--model is required");
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	/* standard input is rank 0's; every rank reads the named files */
	po.graph = igr_cli_input(optind < argc ? argv[optind] : "-");
	po.model = igr_cli_input(po.model);
	po.users_from = igr_cli_input(po.users_from);
	po.ix.index = igr_cli_input(po.ix.index);
	if (po.ix.exact && (po.ix.index || po.ix.effort ||
			    po.ix.candidates != UINT32_MAX))
		igr_usage_error("--exact scores every item: no --index, "
				"--candidates or --effort");
	igr_cli_output(&cli, "--vectors", po.vectors);
	po.vs = vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	po.output = cli.output;
	po.encoding = cli.encoding;
	po.argc = argc;
	po.argv = argv;
	po.report = igr_cli_report(&cli);

	/* load the model and the graph; open the outputs */
	p = igr_propagate_open(&po);
	if (p == NULL)
		igr_die_lib();
	if (igr_propagate_outputs(p) < 0)
		die_propagate(p);
	if (igr_propagate_no_categories(p))
		igr_warn(&cli, "%s: no item->category edges: interest points "
			 "cannot be computed, the graph passes through",
			 po.graph);
	/* recompute, write; finish */
	if (igr_propagate_run(p) < 0 || igr_propagate_close(p) < 0)
		die_propagate(p);
	igr_propagate_stats(p, &st);
	igr_info(&cli,
		 "%zu users recomputed (%llu unknown to the model: their own "
		 "edges), %llu interest points, %llu vectors, %.2fs",
		 st.users, (unsigned long long)st.fallback,
		 (unsigned long long)st.points, (unsigned long long)st.vectors,
		 igr_now() - t0);
	igr_propagate_free(p);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
