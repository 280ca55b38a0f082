/* igraph-eval - score recommendations against held-out behaviour. */
#include "cli.h"
#include "error.h"
#include "evalreport.h"
#include "io.h"
#include "par.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <errno.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-eval",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET | IGR_CO_VOCAB,
	.operands = "[file]",
	.about = "Score a scores stream of user -> item recommendations (FILE, "
		 "or stdin)\nagainst the truth: the distinct items of each "
		 "user's events in the\nheld-out period.  Metrics are averaged "
		 "over the users with truth.",
	.parallel = 1,
};

enum { OPT_K = 1, OPT_BEHAVIOR };

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

/* Report the library's last error and exit 1, releasing what is open
 * first (a leak checker then sees a clean exit). */
static noreturn void fail(igr_evalreport *er, igr_vocabset *vs, igr_out *out)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	if (out != NULL)
		igr_out_abort(out);
	igr_evalreport_free(er);
	igr_vocabset_close(vs);
	igr_die("%s", msg);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	struct igr_evalreport_opts o;
	struct igr_evalreport_stats st;
	uint32_t k[IGR_EVAL_MAXK] = { 10, 20 };
	const igr_eval_result *res;
	igr_evalreport *er;
	igr_vocabset *vs = NULL;
	igr_out *out;
	const uint32_t *users;
	size_t nusers;
	int c, r;
	char bl[128];
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR(0, "truth", "file", &o.truth,
			    "events stream of the held-out behaviour",
			    .flags = IGR_OF_REQUIRED),
		IGR_OPT_CODE('k', NULL, "list", OPT_K,
			     "cutoffs, e.g. 10,20 (default 10,20)"),
		IGR_OPT_CODE(0, "behavior", "list", OPT_BEHAVIOR,
			     "only these behaviours are relevant, e.g. buy or "
			     "cart,buy (default: every behaviour)"),
		IGR_OPT_U64(0, "items", "n", &o.items, 1,
			    (double)UINT32_MAX + 1,
			    "catalogue size for item coverage (default: the "
			    "--vocab item count, else 1 + the largest id)"),
		IGR_OPT_FLAG(0, "json", &o.json,
			     "print a JSON object instead of TSV lines"),
		IGR_OPT_FLAG(0, "per-user", &o.per_user,
			     "print one row per user and cutoff instead"),
		IGR_OPT_FLAG(0, "probabilities", &o.prob,
			     "scores are probabilities: add AUC, log-loss, "
			     "Brier score and a calibration table (implied by "
			     "the stream header meta 'score probability')"),
		IGR_OPT_INT(0, "bins", "n", &o.nbins, 1, 1000,
			    "calibration bins (default 10)"),
		IGR_OPT_STR(0, "compare", "file", &o.runs[1],
			    "a second run: print both, their difference, the "
			    "per-user wins and losses and paired tests"),
		IGR_OPT_COMMON("vocab", "read streams with external ids; "
			       "print users by external id"),
		IGR_OPT_END
	};

	memset(&o, 0, sizeof o);
	o.k = k;
	o.nk = 2;
	o.nbins = 10;
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1) {
		if (c == OPT_K)
			o.nk = igr_opt_u32_list(optarg, k, IGR_EVAL_MAXK, 1,
						IGR_EVAL_KMAX, "-k");
		else
			o.behaviors = parse_behaviors(optarg);
	}
	igr_cli_ready(&cli);
	if (o.truth == NULL)
		igr_usage_error("--truth is required");
	if (argc - optind > 1)
		igr_usage_error("one recommendations file at most (a second "
				"run goes with --compare)");
	o.runs[0] = optind < argc ? argv[optind] : "-";
	o.nruns = o.runs[1] ? 2 : 1;
	if (o.runs[1] && o.per_user)
		igr_usage_error("--per-user and --compare cannot be combined");
	if ((strcmp(o.truth, "-") == 0) + (strcmp(o.runs[0], "-") == 0) +
		    (o.runs[1] && strcmp(o.runs[1], "-") == 0) > 1)
		igr_usage_error("only one input can be stdin");
	if (cli.vocab != NULL) {
		vs = igr_vocabset_open(cli.vocab, IGR_VOCAB_READ);
		if (vs == NULL)
			igr_die_lib();
		if (vs->missing)
			igr_die("vocabulary '%s': %s", cli.vocab,
				strerror(ENOENT));
		if (vs->unchecked)
			igr_warn(&cli, IGR_VOCAB_UNCHECKED_FMT, cli.vocab,
				 cli.vocab);
	}
	o.vs = vs;
	/* standard input is rank 0's; every rank reads the named files */
	o.truth = igr_cli_input(o.truth);
	o.runs[0] = igr_cli_input(o.runs[0]);
	o.runs[1] = igr_cli_input(o.runs[1]);

	/* read the truth and the runs; compute */
	er = igr_evalreport_new(&o);
	if (er == NULL)
		fail(NULL, vs, NULL);
	if (igr_evalreport_read(er) < 0 || igr_evalreport_compute(er) < 0)
		fail(er, vs, NULL);
	for (r = 0; r < o.nruns; r++) {
		res = igr_eval_result_of(igr_evalreport_eval(er), r);
		if (res->rank_ties)
			igr_warn(&cli, "%s: %llu records share their rank "
				 "with another; they are ordered by score, then "
				 "item id", igr_evalreport_disp(o.runs[r]),
				 (unsigned long long)res->rank_ties);
	}
	/* the report: rank 0 has the whole run's results */
	out = igr_out_open_par(cli.output);
	if (out == NULL)
		igr_die_lib();
	if (igr_par_rank() == 0 && igr_evalreport_write(er, out) < 0)
		fail(er, vs, out);
	if (igr_out_close(out) < 0)
		igr_die_lib();
	igr_evalreport_stats(er, &st);
	if (st.forgotten)
		igr_warn(&cli, "%llu forgotten users (erasure requests) "
			 "left out of the per-user rows",
			 (unsigned long long)st.forgotten);
	nusers = igr_eval_users(igr_evalreport_eval(er), &users, NULL);
	for (r = 0; r < o.nruns; r++) {
		res = igr_eval_result_of(igr_evalreport_eval(er), r);
		igr_info(&cli,
			 "%s%zu users with truth, %llu with recommendations; "
			 "%llu recommendations read (%llu for %llu users "
			 "without truth, ignored); %llu truth events read "
			 "(%llu of behavior %s, %llu distinct user-item "
			 "pairs); %llu items (%s)",
			 o.nruns == 2 ? (r == 0 ? "a: " : "b: ") : "", nusers,
			 (unsigned long long)res->users_listed,
			 (unsigned long long)st.records[r],
			 (unsigned long long)res->recs_ignored,
			 (unsigned long long)res->users_ignored,
			 (unsigned long long)st.truth_read,
			 (unsigned long long)st.truth_relevant,
			 igr_behavior_list(o.behaviors, bl, sizeof bl),
			 (unsigned long long)igr_eval_truth_pairs(
				 igr_evalreport_eval(er)),
			 (unsigned long long)st.items, st.items_source);
	}
	igr_evalreport_free(er);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
