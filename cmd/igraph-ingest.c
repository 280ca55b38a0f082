/* igraph-ingest - raw behaviour logs and item catalogues into igraph
 * streams, with dense ids, cleaning and a record of every reject. */
#include "cli.h"
#include "csvparse.h"
#include "error.h"
#include "ingest.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: igraph-ingest [-qv] [--binary | --tsv] [--kind events | items]\n"
	"                     [--format csv | tsv | jsonl | adjlist] [--schema name]\n"
	"                     [--columns map] [--behaviors map] [--behavior name]\n"
	"                     [--time-format fmt] [--epoch date] [--utc-offset zone]\n"
	"                     [--header | --no-header] [--delimiter c] [--quote c]\n"
	"                     [--na list] [--latin1] [--trim] [--missing policy]\n"
	"                     [--min-time time] [--max-time time] [--max-field n]\n"
	"                     [--dedup-window n] [--rejects file] [--strict]\n"
	"                     [--max-rejects n | p%] [--pseudonymize keyfile]\n"
	"                     [--progress] [-o file] [--vocab dir] [file ...]\n"
	"       igraph-ingest --list-schemas\n"
	"\n"
	"Read behaviour logs (or item catalogues) and write an igraph events (or\n"
	"items) stream with dense ids; bad rows are rejected with file:line and\n"
	"a reason, exact duplicates dropped, and the counts always add up.\n"
	"\n"
	"  -o, --output FILE      write to FILE atomically instead of stdout\n"
	"      --tsv, --binary    output encoding (binary unless stdout is a tty)\n"
	"      --vocab DIR        shared vocabulary of external ids (appended to)\n"
	"      --kind KIND        events (default) or items (item catalogue)\n"
	"      --format FMT       csv (default), tsv, jsonl or adjlist\n"
	"      --schema NAME      preset layout: taobao, tianchi-mobile, dyhatr,\n"
	"                         yoochoose, diginetica, movielens\n"
	"      --list-schemas     print the presets and their layouts\n"
	"      --columns MAP      ROLE=N (1-based) or ROLE=NAME, comma-separated;\n"
	"                         roles user, item, category, behavior, ts,\n"
	"                         offset_ms, value, price, title\n"
	"      --behaviors MAP    FROM=BEHAVIOR,...: log names to view, click, fav,\n"
	"                         cart, buy, review (default: igraph names)\n"
	"      --behavior NAME    behaviour of rows without a behavior column\n"
	"                         (default click)\n"
	"      --time-format FMT  s, ms, us, iso, days, auto (default), position,\n"
	"                         none, or a strptime pattern with %\n"
	"      --epoch DATE       day 0 of --time-format days (default 1970-01-01)\n"
	"      --utc-offset ZONE  zone of times written without one (default Z)\n"
	"      --header           the first line names the columns\n"
	"      --no-header        the first line is data\n"
	"      --delimiter C      field delimiter (one byte, or tab)\n"
	"      --quote C          quote character (default \"), or none\n"
	"      --na LIST          values that mean missing besides empty ones,\n"
	"                         e.g. NA,NULL or category:0\n"
	"      --latin1           the input is ISO 8859-1 (converted to UTF-8)\n"
	"      --trim             remove spaces and tabs around every field\n"
	"      --missing POLICY   COLUMN=reject|none|previous|interpolate|VALUE,...\n"
	"      --min-time TIME    reject earlier events (default 1970-01-01)\n"
	"      --max-time TIME    reject events at or after (default 2100-01-01)\n"
	"      --max-field N      longest field in bytes (default 1024)\n"
	"      --dedup-window N   duplicates are looked for among the last N\n"
	"                         accepted records (default 1048576; 0: off)\n"
	"      --rejects FILE     write every rejected row with its reason\n"
	"      --strict           stop at the first reject\n"
	"      --max-rejects N|P% fail (exit 1) after more than N rejects, or\n"
	"                         when more than P% of the rows are rejected\n"
	"      --pseudonymize KEYFILE  replace user ids by HMAC-SHA-256 with the\n"
	"                         key in KEYFILE\n"
	"      --progress         show progress even when stderr is not a tty\n"
	"  -v, --verbose          print the summary (rows = accepted + duplicates\n"
	"                         + rejected) on stderr\n"
	"  -q, --quiet            no warnings or progress\n"
	"  -h, --help             show this help\n"
	"  -V, --version          show the version\n";

enum {
	OPT_KIND = IGR_OPT_TOOL,
	OPT_FORMAT,
	OPT_SCHEMA,
	OPT_LIST,
	OPT_COLUMNS,
	OPT_BEHAVIORS,
	OPT_BEHAVIOR,
	OPT_TIMEFMT,
	OPT_EPOCH,
	OPT_UTC,
	OPT_HEADER,
	OPT_NOHEADER,
	OPT_DELIM,
	OPT_QUOTE,
	OPT_NA,
	OPT_LATIN1,
	OPT_TRIM,
	OPT_MISSING,
	OPT_MINTIME,
	OPT_MAXTIME,
	OPT_MAXFIELD,
	OPT_DEDUP,
	OPT_REJECTS,
	OPT_STRICT,
	OPT_MAXREJ,
	OPT_PSEUDO,
};

static const struct option longopts[] = {
	IGR_COMMON_LONGOPTS,
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "list-schemas", no_argument, NULL, OPT_LIST },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "behaviors", required_argument, NULL, OPT_BEHAVIORS },
	{ "behavior", required_argument, NULL, OPT_BEHAVIOR },
	{ "time-format", required_argument, NULL, OPT_TIMEFMT },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "utc-offset", required_argument, NULL, OPT_UTC },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "no-header", no_argument, NULL, OPT_NOHEADER },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "quote", required_argument, NULL, OPT_QUOTE },
	{ "na", required_argument, NULL, OPT_NA },
	{ "latin1", no_argument, NULL, OPT_LATIN1 },
	{ "trim", no_argument, NULL, OPT_TRIM },
	{ "missing", required_argument, NULL, OPT_MISSING },
	{ "min-time", required_argument, NULL, OPT_MINTIME },
	{ "max-time", required_argument, NULL, OPT_MAXTIME },
	{ "max-field", required_argument, NULL, OPT_MAXFIELD },
	{ "dedup-window", required_argument, NULL, OPT_DEDUP },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "max-rejects", required_argument, NULL, OPT_MAXREJ },
	{ "pseudonymize", required_argument, NULL, OPT_PSEUDO },
	{ NULL, 0, NULL, 0 },
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

	igr_cli_init(&cli, "igraph-ingest", argc, argv,
		     IGR_CO_STREAM | IGR_CO_VOCAB);
	igr_ingest_config_init(&cfg);
	while ((c = getopt_long(argc, argv, igr_cli_shortopts(&cli, ""),
				longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KIND:
			cfg.kind = igr_kind_parse(optarg);
			if (cfg.kind != IGR_KIND_EVENTS &&
			    cfg.kind != IGR_KIND_ITEMS)
				igr_usage_error("--kind: '%s' is not events or "
						"items", optarg);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "csv") == 0)
				cfg.format = IGR_FMT_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				cfg.format = IGR_FMT_TSV;
			else if (strcmp(optarg, "jsonl") == 0 ||
				 strcmp(optarg, "json") == 0)
				cfg.format = IGR_FMT_JSONL;
			else if (strcmp(optarg, "adjlist") == 0)
				cfg.format = IGR_FMT_ADJLIST;
			else
				igr_usage_error("--format: '%s' is not csv, "
						"tsv, jsonl or adjlist", optarg);
			break;
		case OPT_SCHEMA:
			cfg.schema = optarg;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_COLUMNS:
			cfg.columns = optarg;
			break;
		case OPT_BEHAVIORS:
			cfg.behaviors = optarg;
			break;
		case OPT_BEHAVIOR:
			cfg.behavior = optarg;
			break;
		case OPT_TIMEFMT:
			cfg.time_format = optarg;
			break;
		case OPT_EPOCH:
			cfg.epoch = optarg;
			break;
		case OPT_UTC:
			cfg.utc_offset = optarg;
			break;
		case OPT_HEADER:
			cfg.header = 1;
			break;
		case OPT_NOHEADER:
			cfg.header = 0;
			break;
		case OPT_DELIM:
			cfg.delim = parse_char(optarg, "--delimiter", 0);
			break;
		case OPT_QUOTE:
			cfg.quote = parse_char(optarg, "--quote", 1);
			break;
		case OPT_NA:
			cfg.na = optarg;
			break;
		case OPT_LATIN1:
			cfg.latin1 = 1;
			break;
		case OPT_TRIM:
			cfg.trim = 1;
			break;
		case OPT_MISSING:
			cfg.missing = optarg;
			break;
		case OPT_MINTIME:
			cfg.min_time = igr_opt_time(optarg, "--min-time");
			cfg.has_min_time = 1;
			break;
		case OPT_MAXTIME:
			cfg.max_time = igr_opt_time(optarg, "--max-time");
			cfg.has_max_time = 1;
			break;
		case OPT_MAXFIELD:
			cfg.max_field = (size_t)igr_opt_u64(optarg, 1, 1u << 20,
							    "--max-field");
			break;
		case OPT_DEDUP:
			cfg.dedup_window = igr_opt_u64(optarg, 0, 1u << 30,
						       "--dedup-window");
			break;
		case OPT_REJECTS:
			rejects_path = optarg;
			break;
		case OPT_STRICT:
			cfg.strict = 1;
			break;
		case OPT_MAXREJ: {
			size_t n = strlen(optarg);
			if (n > 1 && optarg[n - 1] == '%') {
				char num[64];
				if (n - 1 >= sizeof num)
					igr_usage_error("--max-rejects: '%s' is "
							"too long", optarg);
				memcpy(num, optarg, n - 1);
				num[n - 1] = '\0';
				cfg.max_reject_frac =
					igr_opt_double(num, 0, 100,
						       "--max-rejects") / 100;
				cfg.max_rejects_kind = 2;
			} else {
				cfg.max_rejects = igr_opt_u64(optarg, 0,
							      UINT64_MAX,
							      "--max-rejects");
				cfg.max_rejects_kind = 1;
			}
			break;
		}
		case OPT_PSEUDO:
			cfg.pseudonymize = optarg;
			break;
		default:
			igr_cli_option(&cli, c, optarg, usage);
		}
	}
	if (list) {
		list_schemas();
		return igr_cli_finish(&cli);
	}
	igr_cli_ready(&cli);
	files = igr_cli_inputs(argc, argv, &nfiles);

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
	if (cli.vocab != NULL) {
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
	if (rejects_path != NULL) {
		cfg.rejects = igr_out_open(rejects_path);
		if (cfg.rejects == NULL)
			goto fail;
	}
	w = igr_writer_open(cli.output, cfg.kind, cli.encoding);
	if (w == NULL)
		goto fail;
	if (igr_writer_add_pg(w, "igraph-ingest", IGR_VERSION, argc, argv) < 0)
		goto fail;
	ig = igr_ingest_new(&cfg, v, w, &usage_err);
	if (ig == NULL)
		goto fail;
	if (igr_writer_set_meta(w, "schema", igr_ingest_schema_name(ig)) < 0)
		goto fail;
	for (i = 0; i < nfiles; i++)
		if (igr_ingest_file(ig, files[i]) < 0)
			goto fail;
	if (igr_ingest_finish(ig) < 0)
		goto fail;
	igr_progress_done(&cli);
	/* the vocabulary before the stream: a stream must never hold an id
	 * the saved vocabulary lacks (extra names are harmless) */
	if (vs != NULL && igr_vocabset_save(vs) < 0)
		goto fail;
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
