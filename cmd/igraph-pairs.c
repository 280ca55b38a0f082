/* igraph-pairs - features of (user, item) candidate pairs at a cut time,
 * for the purchase ranker (igraph-train --model mlp, igraph-recommend
 * --rerank). */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "model.h"
#include "pairs.h"
#include "stream.h"
#include "timefmt.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: igraph-pairs --at time [-qv] [--binary | --tsv]\n"
	"                    [--candidates file] [--top n] [--history n]\n"
	"                    [--items file] [--model file --graph file]\n"
	"                    [--half-life duration] [--label-period duration]\n"
	"                    [--short duration] [--long duration]\n"
	"                    [--token-buckets n] [--progress] [-o file]\n"
	"                    [--vocab dir] [events ...]\n"
	"\n"
	"Write the features of (user, item) pairs at a cut time: the candidates\n"
	"of a graph model and the users' recent items, described by the\n"
	"behaviour before the cut, labelled by the behaviour after it.\n"
	"\n"
	"      --at TIME            the cut: features use events before TIME\n"
	"                           only, labels the events from TIME on\n"
	"      --candidates FILE    scores stream of user->item candidates\n"
	"                           (igraph-recommend)\n"
	"      --top N              only candidates of rank <= N (default all)\n"
	"      --history N          also each user's N items engaged with most\n"
	"                           recently before the cut (default 0)\n"
	"      --items FILE         items stream (catalogue): category, price,\n"
	"                           title tokens\n"
	"      --model FILE         the graph model: scores of the additions,\n"
	"                           and embedding features when it has them\n"
	"      --graph FILE         the graph the model scores from (events\n"
	"                           before the cut only)\n"
	"      --half-life DUR      decay of the weight features (default 3d)\n"
	"      --label-period DUR   labels from [TIME, TIME + DUR) (default 1d;\n"
	"                           0: no labels)\n"
	"      --short DUR          recent popularity window (default 1d)\n"
	"      --long DUR           longer popularity window (default 7d)\n"
	"      --token-buckets N    hashed title token columns (default 16)\n"
	"  -o, --output FILE        write to FILE atomically\n"
	"      --tsv                write TSV\n"
	"      --binary             write the binary encoding (the default\n"
	"                           unless writing to a terminal)\n"
	"      --vocab DIR          read and write TSV with external ids\n"
	"      --progress           show progress on stderr\n"
	"  -v, --verbose            print a summary on stderr\n"
	"  -q, --quiet              no warnings or progress\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n";

enum {
	OPT_AT = IGR_OPT_TOOL,
	OPT_CANDIDATES,
	OPT_TOP,
	OPT_HISTORY,
	OPT_ITEMS,
	OPT_MODEL,
	OPT_GRAPH,
	OPT_HALF_LIFE,
	OPT_LABEL_PERIOD,
	OPT_SHORT,
	OPT_LONG,
	OPT_TOKEN_BUCKETS,
};

static const struct option longopts[] = {
	IGR_COMMON_LONGOPTS,
	{ "at", required_argument, NULL, OPT_AT },
	{ "candidates", required_argument, NULL, OPT_CANDIDATES },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "items", required_argument, NULL, OPT_ITEMS },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "graph", required_argument, NULL, OPT_GRAPH },
	{ "half-life", required_argument, NULL, OPT_HALF_LIFE },
	{ "label-period", required_argument, NULL, OPT_LABEL_PERIOD },
	{ "short", required_argument, NULL, OPT_SHORT },
	{ "long", required_argument, NULL, OPT_LONG },
	{ "token-buckets", required_argument, NULL, OPT_TOKEN_BUCKETS },
	{ NULL, 0, NULL, 0 },
};

static igr_reader *open_stream(const char *path, int kind,
			       const igr_vocabset *vs)
{
	igr_reader *r = igr_reader_open(path, kind);

	if (r == NULL)
		igr_die_lib();
	if (vs != NULL)
		igr_reader_set_vocab(r, vs);
	return r;
}

static void die_keep(igr_writer *w)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_writer_abort(w);
	igr_die("%s", msg);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_pairs_opts o;
	igr_pairs_stats st;
	const char *cand_path = NULL, *items_path = NULL, *model_path = NULL;
	const char *graph_path = NULL;
	char **files;
	int nfiles, i, c, have_at = 0;
	igr_vocabset *vs = NULL;
	igr_model *m = NULL;
	igr_graph *g = NULL;
	igr_pairs *p;
	igr_writer *w;
	double t0 = igr_now();

	igr_pairs_opts_init(&o);
	igr_cli_init(&cli, "igraph-pairs", argc, argv,
		     IGR_CO_STREAM | IGR_CO_VOCAB);
	while ((c = getopt_long(argc, argv, igr_cli_shortopts(&cli, ""),
				longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AT:
			o.cut = igr_opt_time(optarg, "--at");
			have_at = 1;
			break;
		case OPT_CANDIDATES:
			cand_path = optarg;
			break;
		case OPT_TOP:
			o.top = (uint32_t)igr_opt_u64(optarg, 1, 100000000,
						      "--top");
			break;
		case OPT_HISTORY:
			o.history = (uint32_t)igr_opt_u64(optarg, 0, 100000000,
							  "--history");
			break;
		case OPT_ITEMS:
			items_path = optarg;
			break;
		case OPT_MODEL:
			model_path = optarg;
			break;
		case OPT_GRAPH:
			graph_path = optarg;
			break;
		case OPT_HALF_LIFE:
			o.half_life = igr_opt_duration(optarg, "--half-life");
			if (!(o.half_life > 0))
				igr_usage_error("--half-life must be more "
						"than 0");
			break;
		case OPT_LABEL_PERIOD:
			o.label_period = igr_opt_duration(optarg,
							  "--label-period");
			if (isinf(o.label_period))
				igr_usage_error("--label-period must be "
						"finite");
			break;
		case OPT_SHORT:
			o.pop_short = igr_opt_duration(optarg, "--short");
			break;
		case OPT_LONG:
			o.pop_long = igr_opt_duration(optarg, "--long");
			break;
		case OPT_TOKEN_BUCKETS:
			o.token_buckets = (uint32_t)igr_opt_u64(
				optarg, 0, 256, "--token-buckets");
			break;
		default:
			igr_cli_option(&cli, c, optarg, usage);
		}
	}
	igr_cli_ready(&cli);
	if (!have_at)
		igr_usage_error("--at TIME (the cut) is required");
	if ((model_path == NULL) != (graph_path == NULL))
		igr_usage_error("--model and --graph go together");
	if (!(o.pop_short > 0) || !isfinite(o.pop_long) ||
	    o.pop_long < o.pop_short)
		igr_usage_error("the windows need 0 < --short <= --long < inf");
	if (cand_path == NULL && o.history == 0)
		igr_usage_error("no pairs: give --candidates FILE, --history N "
				"or both");
	files = igr_cli_inputs(argc, argv, &nfiles);
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);

	p = igr_pairs_new(&o);
	if (p == NULL)
		igr_die_lib();
	for (i = 0; i < nfiles; i++) {
		igr_reader *r = open_stream(files[i], IGR_KIND_EVENTS, vs);
		if (igr_pairs_read_events(p, r) < 0)
			igr_die_lib();
		igr_reader_close(r);
		igr_progress(&cli, "read %s", files[i]);
	}
	if (items_path != NULL) {
		igr_reader *r = open_stream(items_path, IGR_KIND_ITEMS, vs);
		if (igr_pairs_read_items(p, r) < 0)
			igr_die_lib();
		igr_reader_close(r);
	}
	if (cand_path != NULL) {
		igr_reader *r = open_stream(cand_path, IGR_KIND_SCORES, vs);
		if (igr_pairs_read_candidates(p, r) < 0)
			igr_die_lib();
		igr_reader_close(r);
	}
	if (model_path != NULL) {
		igr_reader *r = open_stream(graph_path, IGR_KIND_GRAPH, vs);
		m = igr_model_load(model_path);
		if (m == NULL)
			igr_die_lib();
		g = igr_graph_read(r, IGR_REL_ALL, IGR_GRAPH_DETAILS);
		if (g == NULL)
			igr_die_lib();
		igr_reader_close(r);
		if (igr_pairs_set_model(p, m, g) < 0)
			igr_die_lib();
	}
	igr_progress(&cli, "indexing");
	if (igr_pairs_finish(p) < 0)
		igr_die_lib();

	w = igr_writer_open(cli.output, IGR_KIND_FEATURES, cli.encoding);
	if (w == NULL)
		igr_die_lib();
	if (igr_pairs_writer_setup(p, w) < 0 ||
	    igr_writer_add_pg(w, "igraph-pairs", IGR_VERSION, argc, argv) < 0)
		die_keep(w);
	if (vs != NULL)
		igr_writer_set_vocab(w, vs);
	igr_progress(&cli, "writing");
	if (igr_pairs_write(p, w, &st) < 0)
		die_keep(w);
	if (igr_writer_close(w) < 0)
		igr_die_lib();
	igr_progress_done(&cli);
	if (o.label_period > 0 && st.label_events == 0)
		igr_warn(&cli, "no events in the label period: every label "
			       "is '-' (--label-period 0 says so on purpose)");
	{
		double cover = st.truth[IGR_BUY]
				       ? 100.0 * (double)st.positives[IGR_BUY] /
						 (double)st.truth[IGR_BUY]
				       : 0;
		igr_info(&cli,
			 "%llu pairs for %llu users (%llu candidates read, "
			 "%llu duplicate, %llu beyond --top; %llu from "
			 "history), %u features; events: %llu before the cut, "
			 "%llu in the label period, %llu later; buy labels "
			 "%llu of %llu bought pairs (%.1f%%); %.2fs",
			 (unsigned long long)st.pairs,
			 (unsigned long long)st.users,
			 (unsigned long long)st.candidates,
			 (unsigned long long)st.candidates_dup,
			 (unsigned long long)st.candidates_cut,
			 (unsigned long long)st.from_history,
			 igr_pairs_dim(p),
			 (unsigned long long)st.history_events,
			 (unsigned long long)st.label_events,
			 (unsigned long long)st.later_events,
			 (unsigned long long)st.positives[IGR_BUY],
			 (unsigned long long)st.truth[IGR_BUY], cover,
			 igr_now() - t0);
	}
	igr_pairs_free(p);
	igr_graph_free(g);
	igr_model_free(m);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
