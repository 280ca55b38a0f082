/* igraph-featurize - build or update the user interest graph from events. */
#include "cli.h"
#include "error.h"
#include "featurize_run.h"
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-featurize",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Turn events into the interest graph (user->item, "
		 "user->category,\nitem->category and optional item->item "
		 "edges, weighted by behaviour\nand decayed with time), or "
		 "merge new events into a base graph.",
	.parallel = 1,
};

enum { OPT_NOW = 1, OPT_HALF_LIFE, OPT_WEIGHTS, OPT_COOC_WINDOW,
       OPT_COOC_MAX, OPT_MAX_FUTURE };

static int is_dash(const char *p)
{
	return p != NULL && strcmp(p, "-") == 0;
}

static void warn_line(void *arg, const char *msg)
{
	igr_warn(arg, "%s", msg);
}

/* Report the library's error and exit 1, removing the unfinished
 * outputs (which may overwrite the message: it is kept first). */
static noreturn void die_fzrun(igr_fzrun *r)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_fzrun_free(r);
	igr_die("%s", msg);
}

/* The options that set more than their value. */
static void option(igr_fz_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_NOW:
		o->now = igr_opt_time(arg, "--now");
		o->has_now = 1;
		break;
	case OPT_HALF_LIFE:
		o->half_life = igr_opt_duration(arg, "--half-life");
		if (!(o->half_life > 0))
			igr_usage_error("--half-life: must be more than 0 "
					"(inf: no decay)");
		o->half_life_set = 1;
		break;
	case OPT_WEIGHTS:
		if (igr_fz_parse_weights(arg, o->weight) < 0)
			igr_usage_error("--weights: %s", igr_errmsg());
		o->weights_set = 1;
		break;
	case OPT_COOC_WINDOW:
		o->cooc_window = igr_opt_duration(arg, "--cooc-window");
		o->cooc_set = 1;
		break;
	case OPT_MAX_FUTURE:
		o->max_future = igr_opt_duration(arg, "--max-future");
		if (!(o->max_future >= 0))
			igr_usage_error("--max-future: must be 0 or more (inf: "
					"no horizon)");
		break;
	case OPT_COOC_MAX:
		o->cooc_max = (uint32_t)igr_opt_u64(arg, 1, 1000,
						    "--cooc-max");
		o->cooc_set = 1;
		break;
	}
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	struct igr_fzrun_opts fo;
	igr_fz_opts *o = &fo.fz;
	const igr_fz_report *rep;
	const igr_fz_relstats *s;
	igr_fzrun *run;
	char **files;
	int c, i, nstdin = 0;
	uint64_t nforget, pruned = 0;
	double t0 = igr_now();
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR(0, "base", "graph", &fo.base,
			    "decay GRAPH to the new now and add the events"),
		IGR_OPT_CODE(0, "now", "time", OPT_NOW,
			     "decay reference (default: the newest event, or "
			     "the base graph's now if that is newer)"),
		IGR_OPT_CODE(0, "max-future", "duration", OPT_MAX_FUTURE,
			     "an event (or base graph) more than DUR after the "
			     "clock is an error (default 1d; inf: none)",
			     .metavar = "DUR"),
		IGR_OPT_FLAG(0, "allow-prune", &o->allow_prune,
			     "let a merge prune more than 90% of the base "
			     "graph's edges"),
		IGR_OPT_CODE(0, "half-life", "duration", OPT_HALF_LIFE,
			     "weight half-life, e.g. 12h, 7d, inf (default 7d, "
			     "or the base graph's)", .metavar = "DUR"),
		IGR_OPT_CODE(0, "weights", "list", OPT_WEIGHTS,
			     "behaviour weights, e.g. buy=5,cart=3 (default "
			     "view=1,click=1,fav=2,cart=3,buy=5,review=4)"),
		IGR_OPT_DOUBLE(0, "min-weight", "w", &o->min_weight, 0, 1e30,
			       "prune edges lighter than W (default 1e-4; 0 "
			       "keeps all)"),
		IGR_OPT_U32(0, "max-degree", "n", &o->max_degree, 0,
			    UINT32_MAX, "keep each node's N strongest edges "
			    "per relation (default 0: no cap)"),
		IGR_OPT_CODE(0, "cooc-window", "duration", OPT_COOC_WINDOW,
			     "item->item edges between items a user engaged "
			     "with within DUR (default 0: none)",
			     .metavar = "DUR"),
		IGR_OPT_CODE(0, "cooc-max", "n", OPT_COOC_MAX,
			     "partners per event for --cooc-window (default "
			     "10)"),
		IGR_OPT_STR(0, "forget", "file", &fo.forget,
			    "remove the users listed in FILE (one per line) and "
			    "their edges; with --vocab, mark them forgotten in "
			    "the vocabulary"),
		IGR_OPT_STR(0, "report", "file", &fo.report,
			    "write what changed to FILE (TSV)"),
		IGR_OPT_FLAG(0, "json", &fo.json, "write the report as JSON"),
		IGR_OPT_COMMON("output", "write the graph to FILE atomically"),
		IGR_OPT_COMMON("vocab", "vocabulary: node counts, external ids "
			       "in TSV and in the report, names for --forget"),
		IGR_OPT_END
	};

	memset(&fo, 0, sizeof fo);
	igr_fz_opts_init(o);
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1)
		option(o, c, optarg);
	igr_cli_ready(&cli);
	if (fo.json && fo.report == NULL)
		igr_usage_error("--json needs --report FILE");
	fo.files = igr_cli_inputs(argc, argv, &fo.nfiles);
	for (i = 0; i < fo.nfiles; i++)
		nstdin += is_dash(fo.files[i]);
	nstdin += is_dash(fo.base) + is_dash(fo.forget);
	if (nstdin > 1)
		igr_usage_error("standard input ('-') given more than once");
	/* the outputs are locked before the inputs are read: a second daily
	 * merge onto the same graph fails here instead of reading the base
	 * the first is about to replace */
	igr_cli_output(&cli, "--report", fo.report);
	/* standard input is rank 0's; every rank reads the named files (a
	 * copy of the names: the command line goes to the #PG line) */
	files = malloc(((size_t)fo.nfiles + 2) * sizeof *files);
	if (files == NULL)
		igr_die("out of memory");
	memcpy(files, fo.files, (size_t)fo.nfiles * sizeof *files);
	files[fo.nfiles] = (char *)fo.base;
	files[fo.nfiles + 1] = (char *)fo.forget;
	igr_cli_regular_inputs((const char *const *)files, fo.nfiles + 2);
	for (i = 0; i < fo.nfiles; i++)
		files[i] = (char *)igr_cli_input(fo.files[i]);
	fo.files = files;
	fo.base = igr_cli_input(fo.base);
	fo.forget = igr_cli_input(fo.forget);
	fo.vocab = cli.vocab;
	fo.text_output = cli.encoding == IGR_ENC_TSV ||
			 (cli.encoding == IGR_ENC_AUTO &&
			  (cli.output == NULL || is_dash(cli.output)) &&
			  isatty(STDOUT_FILENO));
	fo.output = cli.output;
	fo.encoding = cli.encoding;
	fo.argc = cli.argc;
	fo.argv = cli.argv;
	fo.report_to = igr_cli_report(&cli);
	fo.warn = warn_line;
	fo.warn_arg = &cli;

	/* the inputs and the vocabulary; the users to forget; the events */
	run = igr_fzrun_open(&fo);
	if (run == NULL)
		igr_die_lib();
	if (igr_fzrun_forget(run) < 0 || igr_fzrun_read(run) < 0)
		die_fzrun(run);
	/* the graph and the report; finish */
	if (igr_fzrun_write(run) < 0 || igr_fzrun_close(run) < 0)
		die_fzrun(run);
	rep = igr_fzrun_report(run, &nforget);
	s = rep->rel;
	for (i = 0; i < IGR_FZ_NREL; i++)
		pruned += s[i].pruned;
	igr_info(&cli,
		 "%llu events (%llu of forgotten users), %llu users%s; %llu "
		 "user-item, %llu user-category, %llu item-category, %llu "
		 "item-item edges; %llu pruned; %llu users' top-3 categories "
		 "changed; %.2fs",
		 (unsigned long long)rep->events,
		 (unsigned long long)rep->events_forgotten,
		 (unsigned long long)rep->users_touched,
		 fo.base ? " merged into the base" : "",
		 (unsigned long long)s[IGR_FZ_UI].edges,
		 (unsigned long long)s[IGR_FZ_UC].edges,
		 (unsigned long long)s[IGR_FZ_IC].edges,
		 (unsigned long long)s[IGR_FZ_II].edges,
		 (unsigned long long)pruned,
		 (unsigned long long)rep->users_top3_changed, igr_now() - t0);
	if (fo.forget != NULL)
		igr_info(&cli, "forgot %llu users (%llu with edges)",
			 (unsigned long long)nforget,
			 (unsigned long long)rep->users_forgotten);
	igr_fzrun_free(run);
	free(files);
	return igr_cli_finish(&cli);
}
