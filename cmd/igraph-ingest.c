/* igraph-ingest - raw behaviour logs and item catalogues into igraph
 * streams, with dense ids, cleaning and a record of every reject. */
#include "cli.h"
#include "csvparse.h"
#include "error.h"
#include "ingest.h"
#include "par.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct igr_cli_form more_forms[] = {
	{ .common = 0, .operands = "" }, /* igraph-ingest --list-schemas */
	{ .operands = NULL },
};

static const struct igr_cli_cmd cmd = {
	.name = "igraph-ingest",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Read behaviour logs (or item catalogues) and write an igraph "
		 "events (or\nitems) stream with dense ids; bad rows are "
		 "rejected with file:line and\na reason, exact duplicates "
		 "dropped, and the counts always add up.",
	.more = more_forms,
	.parallel = 1,
};

enum {
	OPT_KIND = 1,
	OPT_FORMAT,
	OPT_DELIM,
	OPT_QUOTE,
	OPT_MINTIME,
	OPT_MAXTIME,
	OPT_MAXFIELD,
	OPT_MAXREJ,
	OPT_NOW,
	OPT_MAXFUTURE,
};

/* Reject messages shown on stderr before they are only counted. */
#define SHOW_REJECTS 10

struct ctx {
	struct igr_cli *cli;
	int strict;
	uint64_t shown;
	double start;
};

static void on_reject(void *p, const char *where, const char *reason)
{
	struct ctx *c = p;

	/* under --strict the reject is the fatal message itself */
	if (c->strict || c->cli->quiet)
		return;
	c->shown++;
	if (c->shown <= SHOW_REJECTS)
		igr_warn(c->cli, "%s: %s", where, reason);
	else if (c->shown == SHOW_REJECTS + 1)
		igr_warn(c->cli, "further rejects are only counted (see "
			 "--rejects and -v)");
}

static void on_progress(void *p, const igr_ingest_stats *st, uint64_t off)
{
	struct ctx *c = p;
	double t = igr_now() - c->start;

	igr_progress(c->cli, "%llu rows, %.0f MB, %.0f rows/s",
		     (unsigned long long)st->rows,
		     (double)(st->bytes + off) / 1e6,
		     t > 0 ? (double)st->rows / t : 0.0);
}

static int parse_char(const char *arg, const char *opt, int allow_none)
{
	if (allow_none && strcmp(arg, "none") == 0)
		return IGR_CSV_NOQUOTE;
	if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
		return '\t';
	if (strlen(arg) != 1 || arg[0] == '\n' || arg[0] == '\r')
		igr_usage_error("%s: '%s' is not one character%s", opt, arg,
				allow_none ? " or none" : " or tab");
	return (unsigned char)arg[0];
}

static void list_schemas(void)
{
	const igr_schema *s;
	int i;

	for (s = igr_ingest_schemas(); s->name != NULL; s++) {
		printf("%s\t%s\t%s\n", s->name, igr_kind_name(s->kind),
		       s->desc);
		for (i = 0; i < s->nlayouts; i++)
			printf("\t%s\n", s->layouts[i].desc);
	}
}

/* The options that are more than a value to store. */
static void option(igr_ingest_config *cfg, int c, const char *arg)
{
	switch (c) {
	case OPT_KIND:
		cfg->kind = igr_kind_parse(arg);
		if (cfg->kind != IGR_KIND_EVENTS && cfg->kind != IGR_KIND_ITEMS)
			igr_usage_error("--kind: '%s' is not events or items",
					arg);
		break;
	case OPT_FORMAT:
		if (strcmp(arg, "csv") == 0)
			cfg->format = IGR_FMT_CSV;
		else if (strcmp(arg, "tsv") == 0)
			cfg->format = IGR_FMT_TSV;
		else if (strcmp(arg, "jsonl") == 0 || strcmp(arg, "json") == 0)
			cfg->format = IGR_FMT_JSONL;
		else if (strcmp(arg, "adjlist") == 0)
			cfg->format = IGR_FMT_ADJLIST;
		else
			igr_usage_error("--format: '%s' is not csv, tsv, jsonl "
					"or adjlist", arg);
		break;
	case OPT_DELIM:
		cfg->delim = parse_char(arg, "--delimiter", 0);
		break;
	case OPT_QUOTE:
		cfg->quote = parse_char(arg, "--quote", 1);
		break;
	case OPT_MINTIME:
		cfg->min_time = igr_opt_time(arg, "--min-time");
		cfg->has_min_time = 1;
		break;
	case OPT_MAXTIME:
		cfg->max_time = igr_opt_time(arg, "--max-time");
		cfg->has_max_time = 1;
		break;
	case OPT_NOW:
		cfg->now = igr_opt_time(arg, "--now");
		cfg->has_now = 1;
		break;
	case OPT_MAXFUTURE:
		cfg->max_future = igr_opt_duration(arg, "--max-future");
		if (!(cfg->max_future >= 0))
			igr_usage_error("--max-future: must be 0 or more (inf: "
					"no horizon)");
		break;
	case OPT_MAXFIELD:
		cfg->max_field = (size_t)igr_opt_u64(arg, 1, 1u << 20,
						     "--max-field");
		break;
	case OPT_MAXREJ: {
		size_t n = strlen(arg);
		if (n > 1 && arg[n - 1] == '%') {
			char num[64];
			if (n - 1 >= sizeof num)
				igr_usage_error("--max-rejects: '%s' is too "
						"long", arg);
			memcpy(num, arg, n - 1);
			num[n - 1] = '\0';
			cfg->max_reject_frac =
				igr_opt_double(num, 0, 100, "--max-rejects") /
				100;
			cfg->max_rejects_kind = 2;
		} else {
			cfg->max_rejects = igr_opt_u64(arg, 0, UINT64_MAX,
						       "--max-rejects");
			cfg->max_rejects_kind = 1;
		}
		break;
	}
	}
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_ingest_config cfg;
	igr_vocabset *vs = NULL;
	igr_vocab *own[3] = { NULL, NULL, NULL }, **v;
	igr_writer *w = NULL;
	igr_ingest *ig = NULL;
	const char *rejects_path = NULL;
	char **files;
	char summary[1024];
	struct ctx ctx;
	int c, i, nfiles, usage_err, list = 0;
	const struct igr_cli_opt opts[] = {
		IGR_OPT_CODE(0, "kind", "events | items", OPT_KIND,
			     "events (default) or items (item catalogue)",
			     .metavar = "KIND"),
		IGR_OPT_CODE(0, "format", "csv | tsv | jsonl | adjlist",
			     OPT_FORMAT, "csv (default), tsv, jsonl or adjlist",
			     .metavar = "FMT"),
		IGR_OPT_STR(0, "schema", "name", &cfg.schema,
			    "preset layout: taobao, tianchi-mobile, dyhatr, "
			    "yoochoose, diginetica, movielens"),
		IGR_OPT_FLAG(0, "list-schemas", &list,
			     "print the presets and their layouts",
			     .flags = IGR_OF_REQUIRED, .forms = 2),
		IGR_OPT_STR(0, "columns", "map", &cfg.columns,
			    "ROLE=N (1-based) or ROLE=NAME, comma-separated; "
			    "roles user, item, category, behavior, ts, "
			    "offset_ms, value, price, title"),
		IGR_OPT_STR(0, "behaviors", "map", &cfg.behaviors,
			    "FROM=BEHAVIOR,...: log names to view, click, fav, "
			    "cart, buy, review (default: igraph names)"),
		IGR_OPT_STR(0, "behavior", "name", &cfg.behavior,
			    "behaviour of rows without a behavior column "
			    "(default click)"),
		IGR_OPT_STR(0, "time-format", "fmt", &cfg.time_format,
			    "s, ms, us, iso, days, auto (default), position, "
			    "none, or a strptime pattern with %"),
		IGR_OPT_STR(0, "epoch", "date", &cfg.epoch,
			    "day 0 of --time-format days (default 1970-01-01)"),
		IGR_OPT_STR(0, "utc-offset", "zone", &cfg.utc_offset,
			    "zone of times written without one (default Z)"),
		IGR_OPT_SET(0, "header", &cfg.header, 1,
			    "the first line names the columns"),
		IGR_OPT_SET(0, "no-header", &cfg.header, 0,
			    "the first line is data", .flags = IGR_OF_OR),
		IGR_OPT_CODE(0, "delimiter", "c", OPT_DELIM,
			     "field delimiter (one byte, or tab)"),
		IGR_OPT_CODE(0, "quote", "c", OPT_QUOTE,
			     "quote character (default \"), or none"),
		IGR_OPT_STR(0, "na", "list", &cfg.na,
			    "values that mean missing besides empty ones, e.g. "
			    "NA,NULL or category:0"),
		IGR_OPT_FLAG(0, "latin1", &cfg.latin1,
			     "the input is ISO 8859-1 (converted to UTF-8)"),
		IGR_OPT_FLAG(0, "trim", &cfg.trim,
			     "remove spaces and tabs around every field"),
		IGR_OPT_STR(0, "missing", "policy", &cfg.missing,
			    "COLUMN=reject|none|previous|interpolate|VALUE,..."),
		IGR_OPT_CODE(0, "min-time", "time", OPT_MINTIME,
			     "reject earlier events (default 1970-01-01)"),
		IGR_OPT_CODE(0, "max-time", "time", OPT_MAXTIME,
			     "reject events at or after (default 2100-01-01)"),
		IGR_OPT_CODE(0, "max-future", "duration", OPT_MAXFUTURE,
			     "reject events more than DUR after now (default "
			     "1d; inf: no horizon)", .metavar = "DUR"),
		IGR_OPT_CODE(0, "now", "time", OPT_NOW,
			     "the time --max-future counts from (default: the "
			     "clock)"),
		IGR_OPT_CODE(0, "max-field", "n", OPT_MAXFIELD,
			     "longest field in bytes (default 1024)"),
		IGR_OPT_U64(0, "dedup-window", "n", &cfg.dedup_window, 0,
			    IGR_DEDUP_MAX, "duplicates are looked for among the "
			    "last N accepted records (default 1048576; 0: "
			    "off)"),
		IGR_OPT_STR(0, "rejects", "file", &rejects_path,
			    "write every rejected row with its reason"),
		IGR_OPT_FLAG(0, "strict", &cfg.strict,
			     "stop at the first reject"),
		IGR_OPT_CODE(0, "max-rejects", "n | p%", OPT_MAXREJ,
			     "fail (exit 1) after more than N rejects, or when "
			     "more than P% of the rows are rejected",
			     .metavar = "N|P%"),
		IGR_OPT_STR(0, "pseudonymize", "keyfile", &cfg.pseudonymize,
			    "replace user ids by HMAC-SHA-256 with the key in "
			    "KEYFILE"),
		IGR_OPT_COMMON("vocab", "shared vocabulary of external ids "
			       "(appended to)"),
		IGR_OPT_COMMON("verbose", "print the summary (rows = accepted "
			       "+ duplicates + rejected) on stderr"),
		IGR_OPT_END
	};

	igr_ingest_config_init(&cfg);
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1)
		option(&cfg, c, optarg);
	if (list) {
		list_schemas();
		return igr_cli_finish(&cli);
	}
	igr_cli_ready(&cli);
	igr_cli_output(&cli, "--rejects", rejects_path);
	files = igr_cli_inputs(argc, argv, &nfiles);
	{
		const char *why = igr_ingest_par_refuse(files, nfiles);
		if (why != NULL)
			igr_usage_error("on %d ranks: %s", igr_par_size(), why);
	}
	/* a pipe or /dev/stdin would be read empty by another rank */
	igr_cli_regular_inputs((const char *const *)files, nfiles);
	/* --max-future's horizon: rank 0's clock on every rank, so that a
	 * time is judged alike whichever rank reads it */
	if (!cfg.has_now && igr_par_size() > 1) {
		int64_t now = (int64_t)time(NULL);
		if (igr_par_bcast(&now, sizeof now) < 0)
			igr_die_lib();
		cfg.now = now;
		cfg.has_now = 1;
	}

	memset(&ctx, 0, sizeof ctx);
	ctx.cli = &cli;
	ctx.strict = cfg.strict;
	ctx.start = igr_now();
	cfg.on_reject = on_reject;
	cfg.on_progress = on_progress;
	cfg.reject_ctx = &ctx;

	/* the configuration first: a usage error must not touch any file */
	{
		igr_vocab *probe[3];
		igr_ingest *t;
		for (i = 0; i < 3; i++)
			if ((probe[i] = igr_vocab_new()) == NULL)
				igr_die_lib();
		t = igr_ingest_new(&cfg, probe, NULL, &usage_err);
		if (t == NULL && usage_err)
			igr_usage_error("%s", igr_errmsg());
		igr_ingest_free(t);
		for (i = 0; i < 3; i++)
			igr_vocab_free(probe[i]);
	}
	/* on several ranks rank 0 alone keeps the vocabulary: the others
	 * only read and check rows (ingest.h igr_ingest_files_par) */
	if (cli.vocab != NULL && igr_par_rank() == 0) {
		vs = igr_vocabset_open(cli.vocab, IGR_VOCAB_WRITE);
		if (vs == NULL)
			igr_die_lib();
		v = vs->v;
	} else {
		/* no --vocab: ids are still dense, in first-seen order, but
		 * their names are not kept */
		for (i = 0; i < 3; i++)
			if ((own[i] = igr_vocab_new()) == NULL)
				igr_die_lib();
		v = own;
	}
	if (rejects_path != NULL && igr_par_rank() == 0) {
		cfg.rejects = igr_out_open(rejects_path);
		if (cfg.rejects == NULL)
			goto fail;
	}
	w = igr_writer_open_par(cli.output, cfg.kind, cli.encoding);
	if (w == NULL)
		goto fail;
	if (igr_writer_add_pg(w, "igraph-ingest", IGR_VERSION, argc, argv) < 0)
		goto fail;
	ig = igr_ingest_new(&cfg, v, w, &usage_err);
	if (ig == NULL)
		goto fail;
	if (igr_writer_set_meta(w, "schema", igr_ingest_schema_name(ig)) < 0)
		goto fail;
	if (igr_ingest_files_par(ig, files, nfiles) < 0)
		goto fail;
	/* the vocabulary before the stream: a stream must never hold an id
	 * the saved vocabulary lacks (extra names are harmless) */
	if (igr_par_agree(igr_ingest_finish(ig) < 0 ||
			  (vs != NULL && igr_vocabset_save(vs) < 0) ? -1
								     : 0) < 0)
		goto fail;
	igr_progress_done(&cli);
	if (igr_writer_close(w) < 0) {
		w = NULL;
		goto fail;
	}
	w = NULL;
	if (cfg.rejects != NULL && igr_out_close(cfg.rejects) < 0) {
		cfg.rejects = NULL;
		goto fail;
	}
	cfg.rejects = NULL;
	igr_ingest_summary(ig, summary, sizeof summary);
	{
		const igr_ingest_stats *st = igr_ingest_get_stats(ig);
		double t = igr_now() - ctx.start;
		igr_info(&cli, "%s; %.2f s, %.0f rows/s", summary, t,
			 t > 0 ? (double)st->rows / t : 0.0);
		if (st->rejected > 0 && !cli.verbose)
			igr_warn(&cli, "%llu of %llu rows rejected%s",
				 (unsigned long long)st->rejected,
				 (unsigned long long)st->rows,
				 rejects_path ? "" : " (see --rejects)");
		if (st->partial_files > 0)
			igr_warn(&cli, "%llu input%s ended without a newline "
				 "(cut short?)",
				 (unsigned long long)st->partial_files,
				 st->partial_files == 1 ? "" : "s");
	}
	igr_ingest_free(ig);
	igr_vocabset_close(vs);
	for (i = 0; i < 3; i++)
		igr_vocab_free(own[i]);
	return igr_cli_finish(&cli);
fail:
	{
		/* keep the message: cleaning up may overwrite it */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_progress_done(&cli);
		igr_writer_abort(w);
		if (ig != NULL && cli.verbose) {
			igr_ingest_summary(ig, summary, sizeof summary);
			igr_info(&cli, "%s (failed)", summary);
		}
		/* the rejects are what the operator needs to look at */
		if (cfg.rejects != NULL && igr_out_close(cfg.rejects) < 0)
			igr_warn(&cli, "%s", igr_errmsg());
		igr_ingest_free(ig);
		igr_vocabset_close(vs);
		for (i = 0; i < 3; i++)
			igr_vocab_free(own[i]);
		igr_die("%s", msg);
	}
}
