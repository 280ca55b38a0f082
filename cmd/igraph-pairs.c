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

static const struct igr_cli_cmd cmd = {
	.name = "igraph-pairs",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[events ...]",
	.about = "Write the features of (user, item) pairs at a cut time: the "
		 "candidates\nof a graph model and the users' recent items, "
		 "described by the\nbehaviour before the cut, labelled by the "
		 "behaviour after it.",
};

enum { OPT_AT = 1, OPT_HALF_LIFE, OPT_LABEL_PERIOD };

/* The options that are more than a value to store. */
static void option(igr_pairs_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_AT:
		o->cut = igr_opt_time(arg, "--at");
		break;
	case OPT_HALF_LIFE:
		o->half_life = igr_opt_duration(arg, "--half-life");
		if (!(o->half_life > 0))
			igr_usage_error("--half-life must be more than 0");
		break;
	case OPT_LABEL_PERIOD:
		o->label_period = igr_opt_duration(arg, "--label-period");
		if (isinf(o->label_period))
			igr_usage_error("--label-period must be finite");
		break;
	}
}

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

	const struct igr_cli_opt opts[] = {
		IGR_OPT_CODE(0, "at", "time", OPT_AT,
			     "the cut: features use events before TIME only, "
			     "labels the events from TIME on",
			     .flags = IGR_OF_REQUIRED),
		IGR_OPT_STR(0, "candidates", "file", &cand_path,
			    "scores stream of user->item candidates "
			    "(igraph-recommend)"),
		IGR_OPT_U32(0, "top", "n", &o.top, 1, 100000000,
			    "only candidates of rank <= N (default all)"),
		IGR_OPT_U32(0, "history", "n", &o.history, 0, 100000000,
			    "also each user's N items engaged with most "
			    "recently before the cut (default 0)"),
		IGR_OPT_STR(0, "items", "file", &items_path,
			    "items stream (catalogue): category, price, title "
			    "tokens"),
		IGR_OPT_STR(0, "model", "file", &model_path,
			    "the graph model: scores of the additions, and "
			    "embedding features when it has them"),
		IGR_OPT_STR(0, "graph", "file", &graph_path,
			    "the graph the model scores from (events before the "
			    "cut only)", .flags = IGR_OF_AND),
		IGR_OPT_CODE(0, "half-life", "duration", OPT_HALF_LIFE,
			     "decay of the weight features (default 3d)",
			     .metavar = "DUR"),
		IGR_OPT_CODE(0, "label-period", "duration", OPT_LABEL_PERIOD,
			     "labels from [TIME, TIME + DUR) (default 1d; 0: no "
			     "labels)", .metavar = "DUR"),
		IGR_OPT_DURATION(0, "short", "duration", &o.pop_short,
				 "recent popularity window (default 1d)",
				 .metavar = "DUR"),
		IGR_OPT_DURATION(0, "long", "duration", &o.pop_long,
				 "longer popularity window (default 7d)",
				 .metavar = "DUR"),
		IGR_OPT_U32(0, "token-buckets", "n", &o.token_buckets, 0, 256,
			    "hashed title token columns (default 16)"),
		IGR_OPT_COMMON("output", "write to FILE atomically"),
		IGR_OPT_COMMON("vocab", "read and write TSV with external ids"),
		IGR_OPT_END
	};

	igr_pairs_opts_init(&o);
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1) {
		have_at |= c == OPT_AT;
		option(&o, c, optarg);
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
