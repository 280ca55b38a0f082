/* igraph-split - split an events stream into train and test sets. */
#include "cli.h"
#include "error.h"
#include "split.h"
#include "stream.h"
#include "timefmt.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-split",
	.accepts = IGR_CO_VERBOSE | IGR_CO_QUIET | IGR_CO_ENCODING |
		   IGR_CO_SEED | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Split events streams into a train and a test stream; every "
		 "event goes\nto exactly one of them, in input order.",
};

enum { OPT_AT = 1, OPT_LAST, OPT_FRACTION };

/* The rule options: which split, and its parameter. */
static void option(igr_split_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_AT:
		o->mode = IGR_SPLIT_AT;
		o->at = igr_opt_time(arg, "--at");
		break;
	case OPT_LAST:
		o->mode = IGR_SPLIT_LAST;
		o->last = (uint32_t)igr_opt_u64(arg, 1, UINT32_MAX, "--last");
		break;
	case OPT_FRACTION:
		o->mode = IGR_SPLIT_FRACTION;
		o->fraction = igr_opt_double(arg, 0, 1, "--fraction");
		break;
	}
}

static int is_dash(const char *p)
{
	return strcmp(p, "-") == 0;
}

/* Header of one output: the input's meta and provenance, which part it
 * is, and the rule. */
static igr_writer *open_out(const struct igr_cli *cli, const char *path,
			    const igr_header *h, const char *part,
			    const char *rule, const igr_vocabset *vs)
{
	igr_writer *w = igr_writer_open(is_dash(path) ? NULL : path,
					IGR_KIND_EVENTS, cli->encoding);
	size_t m;

	if (w == NULL)
		return NULL;
	for (m = 0; m < h->nmeta; m++) {
		const char *k = h->meta[m].key;
		if (strcmp(k, "ids") == 0 || strcmp(k, "split") == 0 ||
		    strcmp(k, "split.rule") == 0)
			continue;
		if (igr_writer_set_meta(w, k, h->meta[m].value) < 0)
			goto fail;
	}
	if (igr_writer_set_meta(w, "split", part) < 0 ||
	    igr_writer_set_meta(w, "split.rule", rule) < 0 ||
	    igr_writer_copy_pg(w, h) < 0 ||
	    igr_writer_add_pg(w, cli->prog, IGR_VERSION, cli->argc,
			      cli->argv) < 0)
		goto fail;
	if (vs != NULL)
		igr_writer_set_vocab(w, vs);
	return w;
fail:
	igr_writer_abort(w);
	return NULL;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_split_opts o;
	igr_split_stats st;
	igr_vocabset *vs = NULL;
	igr_reader **in = NULL;
	igr_writer *wtrain = NULL, *wtest = NULL;
	const char *train = NULL, *test = NULL;
	char **files, rule[96], num[32];
	int c, nfiles, i, nmodes = 0, nstdin = 0;

	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR(0, "train", "file", &train,
			    "write the train events to FILE ('-': stdout)",
			    .flags = IGR_OF_REQUIRED),
		IGR_OPT_STR(0, "test", "file", &test,
			    "write the test events to FILE ('-': stdout)",
			    .flags = IGR_OF_REQUIRED),
		IGR_OPT_CODE(0, "at", "time", OPT_AT,
			     "temporal cut: ts < TIME to train, ts >= TIME to "
			     "test (Unix seconds or ISO 8601)",
			     .flags = IGR_OF_REQUIRED),
		IGR_OPT_CODE(0, "last", "n", OPT_LAST,
			     "each user's last N events (by time, ties by input "
			     "order) to test", .flags = IGR_OF_REQUIRED | IGR_OF_OR),
		IGR_OPT_CODE(0, "fraction", "f", OPT_FRACTION,
			     "a seeded random round(F * n) of each user's n "
			     "events to test (0 <= F <= 1)",
			     .flags = IGR_OF_REQUIRED | IGR_OF_OR),
		IGR_OPT_U32(0, "min-train", "n", &o.min_train, 0, UINT32_MAX,
			    "per-user rules keep at least N events of a user "
			    "in train (default 1)"),
		IGR_OPT_COMMON("seed", "random seed for --fraction (default 1)"),
		IGR_OPT_COMMON("vocab", "read and write TSV with external ids "
			       "of DIR"),
		IGR_OPT_END
	};

	memset(&o, 0, sizeof o);
	o.min_train = 1;
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1) {
		option(&o, c, optarg);
		nmodes++;
	}
	igr_cli_ready(&cli);
	if (nmodes != 1)
		igr_usage_error("give exactly one of --at, --last and "
				"--fraction");
	if (train == NULL || test == NULL)
		igr_usage_error("both --train and --test are required");
	if (is_dash(train) && is_dash(test))
		igr_usage_error("--train and --test cannot both be stdout");
	igr_cli_output(&cli, "--train", train);
	igr_cli_output(&cli, "--test", test);
	o.seed = cli.seed;
	switch (o.mode) {
	case IGR_SPLIT_AT:
		snprintf(rule, sizeof rule, "at %lld", (long long)o.at);
		break;
	case IGR_SPLIT_LAST:
		snprintf(rule, sizeof rule, "last %u min-train %u", o.last,
			 o.min_train);
		break;
	default:
		igr_fmt_double(num, o.fraction);
		snprintf(rule, sizeof rule,
			 "fraction %s seed %llu min-train %u", num,
			 (unsigned long long)o.seed, o.min_train);
	}

	files = igr_cli_inputs(argc, argv, &nfiles);
	for (i = 0; i < nfiles; i++)
		nstdin += is_dash(files[i]);
	if (nstdin > 1)
		igr_usage_error("standard input ('-') given more than once");
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	in = calloc((size_t)nfiles, sizeof *in);
	if (in == NULL)
		igr_die("out of memory");
	for (i = 0; i < nfiles; i++) {
		in[i] = igr_reader_open(files[i], IGR_KIND_EVENTS);
		if (in[i] == NULL)
			goto fail;
		if (vs != NULL)
			igr_reader_set_vocab(in[i], vs);
	}
	wtrain = open_out(&cli, train, igr_reader_header(in[0]), "train", rule,
			  vs);
	if (wtrain == NULL)
		goto fail;
	wtest = open_out(&cli, test, igr_reader_header(in[0]), "test", rule,
			 vs);
	if (wtest == NULL)
		goto fail;
	if (igr_split_run(in, (size_t)nfiles, &o, wtrain, wtest, &st) < 0)
		goto fail;
	/* both outputs or neither: written and synced first, then renamed
	 * into place together (a failed rename puts the other back) */
	igr_out_group_begin();
	if (igr_writer_close(wtrain) < 0) {
		wtrain = NULL;
		goto fail;
	}
	wtrain = NULL;
	if (igr_writer_close(wtest) < 0) {
		wtest = NULL;
		goto fail;
	}
	wtest = NULL;
	if (igr_out_group_commit() < 0)
		goto fail;
	for (i = 0; i < nfiles; i++)
		igr_reader_close(in[i]);
	free(in);
	if (o.mode == IGR_SPLIT_AT)
		igr_info(&cli, "%llu events: %llu train, %llu test (%s)",
			 (unsigned long long)st.events,
			 (unsigned long long)st.train,
			 (unsigned long long)st.test, rule);
	else
		igr_info(&cli,
			 "%llu events of %llu users: %llu train, %llu test "
			 "(%llu users with test events; %s)",
			 (unsigned long long)st.events,
			 (unsigned long long)st.users,
			 (unsigned long long)st.train,
			 (unsigned long long)st.test,
			 (unsigned long long)st.users_test, rule);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
fail:
	{
		/* keep the message: aborting may overwrite it */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_writer_abort(wtrain);
		igr_writer_abort(wtest);
		igr_out_group_abort();
		for (i = 0; in != NULL && i < nfiles; i++)
			igr_reader_close(in[i]);
		free(in);
		igr_vocabset_close(vs);
		igr_die("%s", msg);
	}
}
