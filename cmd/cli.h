/*
 * cli.h - the command-line front end shared by every igraph command.
 *
 * This is the one module that prints and exits: it turns library errors
 * into "igraph-TOOL: message" on stderr and the documented exit statuses
 * (0 success, 1 data or runtime error, 2 usage error), defines the common
 * options once (like samtools' sam_opts.h), range-checks numeric options,
 * shows progress, and closes stdout properly at the end of main (an EPIPE
 * re-raises SIGPIPE, as git does).
 *
 * A command:
 *     struct igr_cli cli;
 *     igr_cli_init(&cli, "igraph-eval", argc, argv, IGR_CO_VERBOSE | ...);
 *     while ((c = getopt_long(argc, argv, igr_cli_shortopts(&cli, "k:"),
 *                             longopts, NULL)) != -1)
 *             switch (c) { case 'k': ...; default: igr_cli_option(&cli, c,
 *                     optarg, usage_text); }
 *     ...
 *     return igr_cli_finish(&cli);
 */
#ifndef IGR_CLI_H
#define IGR_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "clock.h"
#include "report.h"
#include "version.h"

/* Which common options a command accepts (IGR_CO_* bits). */
enum {
	IGR_CO_OUTPUT = 1 << 0,   /* -o FILE */
	IGR_CO_VERBOSE = 1 << 1,  /* -v */
	IGR_CO_QUIET = 1 << 2,    /* -q, --quiet */
	IGR_CO_ENCODING = 1 << 3, /* --tsv, --binary */
	IGR_CO_THREADS = 1 << 4,  /* --threads N */
	IGR_CO_SEED = 1 << 5,     /* --seed N */
	IGR_CO_VOCAB = 1 << 6,    /* --vocab DIR */
	IGR_CO_PROGRESS = 1 << 7, /* --progress */
	IGR_CO_STREAM = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
			IGR_CO_ENCODING | IGR_CO_PROGRESS,
};

/* Codes of the common long-only options; tools number their own long-only
 * options from IGR_OPT_TOOL. */
enum {
	IGR_OPT_TSV = 0x1000,
	IGR_OPT_BINARY,
	IGR_OPT_THREADS,
	IGR_OPT_SEED,
	IGR_OPT_VOCAB,
	IGR_OPT_PROGRESS,
	IGR_OPT_TOOL = 0x1100,
};

/* Put this first in every command's struct option table. */
#define IGR_COMMON_LONGOPTS                                                  \
	{ "output", required_argument, NULL, 'o' },                          \
	{ "verbose", no_argument, NULL, 'v' },                               \
	{ "quiet", no_argument, NULL, 'q' },                                 \
	{ "help", no_argument, NULL, 'h' },                                  \
	{ "version", no_argument, NULL, 'V' },                               \
	{ "tsv", no_argument, NULL, IGR_OPT_TSV },                           \
	{ "binary", no_argument, NULL, IGR_OPT_BINARY },                     \
	{ "threads", required_argument, NULL, IGR_OPT_THREADS },             \
	{ "seed", required_argument, NULL, IGR_OPT_SEED },                   \
	{ "vocab", required_argument, NULL, IGR_OPT_VOCAB },                 \
	{ "progress", no_argument, NULL, IGR_OPT_PROGRESS }

struct igr_cli {
	const char *prog;   /* "igraph-eval" */
	unsigned accepts;   /* IGR_CO_* */
	const char *output; /* -o FILE; NULL = stdout */
	int verbose;
	int quiet;
	int progress;       /* 1 if progress goes to stderr */
	int encoding;       /* IGR_ENC_AUTO / BINARY / TSV */
	int threads;        /* 0 = all cores */
	uint64_t seed;
	int seed_set;
	const char *vocab;  /* --vocab DIR or NULL */
	int argc;
	char **argv;
	char shortopts[128];
	igr_report report;  /* igr_cli_report() */
};

/* Set up: C locale for numbers, program name for messages, defaults. */
void igr_cli_init(struct igr_cli *c, const char *prog, int argc, char **argv,
		  unsigned accepts);

/* Short option string: the common ones this command accepts plus TOOL's. */
const char *igr_cli_shortopts(struct igr_cli *c, const char *tool);

/* Handle option OPT (a getopt_long return value that the command did not
 * recognise).  Common options are stored in C; -h prints USAGE to stdout
 * and exits 0; -V prints the version and exits 0; anything else is a usage
 * error (exit 2). */
void igr_cli_option(struct igr_cli *c, int opt, const char *arg,
		    const char *usage);

/* The input files named after the options (ARGV[optind..]), or a single
 * "-" (standard input) when there are none; *N gets their number.  The
 * array is ARGV's own or a static one. */
char **igr_cli_inputs(int argc, char **argv, int *n);

/* --vocab DIR opened in MODE (IGR_VOCAB_READ or IGR_VOCAB_WRITE), or NULL
 * when --vocab was not given; an error exits 1. */
struct igr_vocabset *igr_cli_vocab(const struct igr_cli *c, int mode);

/* After option parsing: applies --threads to OpenMP and OpenBLAS and
 * decides whether progress is shown (stderr is a terminal, or --progress;
 * never with --quiet). */
void igr_cli_ready(struct igr_cli *c);

/* The program name given to igr_cli_init (for library messages). */
const char *igr_cli_prog(void);

/* Report and exit 1.  igr_die_lib() prints the library's last error. */
noreturn void igr_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void igr_die_lib(void);
/* Report a usage error and exit 2. */
noreturn void igr_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Warning on stderr (not with --quiet). */
void igr_warn(const struct igr_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The -v summary line (only with -v). */
void igr_info(const struct igr_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Range-checked option values; a bad value is a usage error naming the
 * option. */
uint64_t igr_opt_u64(const char *arg, uint64_t min, uint64_t max,
		     const char *name);
double igr_opt_double(const char *arg, double min, double max,
		      const char *name);
double igr_opt_duration(const char *arg, const char *name);
int64_t igr_opt_time(const char *arg, const char *name);
/* Comma-separated list of positive integers ("10,20"); returns the count
 * (at most MAX) and fills OUT. */
int igr_opt_u32_list(const char *arg, uint32_t *out, int max, uint32_t lo,
		     uint32_t hi, const char *name);

/* Progress on stderr, at most a few times a second; igr_progress_done()
 * ends the line.  No-ops unless c->progress. */
void igr_progress(const struct igr_cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void igr_progress_done(const struct igr_cli *c);

/* The library's reports (report.h) shown as C's progress line and -v
 * lines.  Valid while C is (call after igr_cli_ready()). */
const igr_report *igr_cli_report(struct igr_cli *c);

/* End of main: flush and close stdout, report a write error (exit 1) or
 * re-raise SIGPIPE on EPIPE.  Returns the exit status to return. */
int igr_cli_finish(struct igr_cli *c);

#endif
