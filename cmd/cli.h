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
 * A command (the shape of every cmd/igraph-*.c main):
 *     static const struct igr_cli_cmd cmd = { .name = "igraph-show",
 *             .accepts = IGR_CO_OUTPUT | IGR_CO_VOCAB,
 *             .operands = "[file]", .about = "Print ..." };
 *     uint32_t k = 10;
 *     const struct igr_cli_opt opts[] = {
 *             IGR_OPT_U32('k', "top", "n", &k, 1, 1000000,
 *                         "neighbours per relation (default 10)"),
 *             IGR_OPT_CODE(0, "user", "id", OPT_USER, "show user ID"),
 *             IGR_OPT_END };
 *     igr_cli_init(&cli, &cmd, opts, argc, argv);
 *     while ((c = igr_cli_getopt(&cli)) != -1)   (or igr_cli_parse())
 *             switch (c) { case OPT_USER: ... }
 *     igr_cli_ready(&cli);
 *     ... one library call per step ...
 *     return igr_cli_finish(&cli);
 */
#ifndef IGR_CLI_H
#define IGR_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
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
	IGR_CO_MEMORY = 1 << 8,   /* --memory SIZE (lib/mem.h's budget) */
	IGR_CO_STREAM = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
			IGR_CO_ENCODING | IGR_CO_PROGRESS,
};

/* Codes of the common long-only options (getopt values inside cli.c). */
enum {
	IGR_OPT_TSV = 0x1000,
	IGR_OPT_BINARY,
	IGR_OPT_THREADS,
	IGR_OPT_SEED,
	IGR_OPT_VOCAB,
	IGR_OPT_PROGRESS,
	IGR_OPT_MEMORY,
	IGR_OPT_TOOL = 0x1100,
};

/*
 * A command's options: one table, each option declared once with its help
 * (git's parse-options.h is the model).  The table says what an option
 * stores (igr_cli_parse() range-checks and stores it) or the code
 * igr_cli_getopt() returns for the command to handle; --help, the usage
 * synopsis and the getopt_long tables are all made from it.  The common
 * options are declared once in cli.c, with their help text; the command
 * names the ones it accepts with IGR_CO_* bits.
 */
enum igr_arg_type {
	IGR_ARG_CODE = 0,  /* igr_cli_getopt() returns .code (optarg set) */
	IGR_ARG_SET,       /* int: = .code */
	IGR_ARG_STR,       /* const char *: = optarg */
	IGR_ARG_INT,       /* int, in [.min, .max] */
	IGR_ARG_U32,       /* uint32_t, in [.min, .max] */
	IGR_ARG_U64,       /* uint64_t, in [.min, .max] */
	IGR_ARG_DOUBLE,    /* double, in [.min, .max] */
	IGR_ARG_FLOAT,     /* float, in [.min, .max] (checked as double) */
	IGR_ARG_TIME,      /* int64_t Unix seconds (igr_opt_time) */
	IGR_ARG_DURATION,  /* double seconds (igr_opt_duration) */
	IGR_ARG_COMMON,    /* not an option: .help replaces the help of the
			      common option .name for this command */
};

/* How an option shows in the usage synopsis (.flags). */
enum {
	IGR_OF_REQUIRED = 1 << 0, /* no brackets; long name; before [-qv] */
	IGR_OF_OR = 1 << 1,       /* "| --this" inside the previous' group */
	IGR_OF_AND = 1 << 2,      /* " --this" inside the previous' group */
};

struct igr_cli_opt {
	const char *name;    /* long name without "--" */
	int letter;          /* short option, or 0 */
	const char *arg;     /* argument in the synopsis ("file"); NULL: none */
	int type;            /* enum igr_arg_type */
	void *value;         /* what it stores (not IGR_ARG_CODE) */
	double min, max;     /* range of the numeric types */
	int code;            /* IGR_ARG_CODE: returned; IGR_ARG_SET: stored */
	const char *help;    /* for --help; wrapped, '\n' breaks a line */
	unsigned flags;      /* IGR_OF_* */
	unsigned forms;      /* synopsis lines it shows in (bit 0: the first;
				0 = the first only) */
	const char *metavar; /* argument in the option list; NULL: ARG in
				capitals */
};

/* Table rows.  The last argument is the help text, which may be followed
 * by more designated initializers: `.flags = IGR_OF_REQUIRED`,
 * `.metavar = "RULE"`, `.forms = 3`.  Pointers are type-checked. */
#define IGR_PTR_(T, p) ((void *)(1 ? (p) : (T *)0))
#define IGR_OPT_CODE(l, n, a, c, ...)                                        \
	{ .letter = l, .name = n, .arg = a, .type = IGR_ARG_CODE, .code = c, \
	  .help = __VA_ARGS__ }
#define IGR_OPT_FLAG(l, n, p, ...)                                           \
	{ .letter = l, .name = n, .type = IGR_ARG_SET,                       \
	  .value = IGR_PTR_(int, p), .code = 1, .help = __VA_ARGS__ }
#define IGR_OPT_SET(l, n, p, v, ...)                                         \
	{ .letter = l, .name = n, .type = IGR_ARG_SET,                       \
	  .value = IGR_PTR_(int, p), .code = v, .help = __VA_ARGS__ }
#define IGR_OPT_STR(l, n, a, p, ...)                                         \
	{ .letter = l, .name = n, .arg = a, .type = IGR_ARG_STR,             \
	  .value = IGR_PTR_(const char *, p), .help = __VA_ARGS__ }
#define IGR_OPT_NUM_(t, T, l, n, a, p, lo, hi, ...)                          \
	{ .letter = l, .name = n, .arg = a, .type = t,                       \
	  .value = IGR_PTR_(T, p), .min = lo, .max = hi, .help = __VA_ARGS__ }
#define IGR_OPT_INT(...) IGR_OPT_NUM_(IGR_ARG_INT, int, __VA_ARGS__)
#define IGR_OPT_U32(...) IGR_OPT_NUM_(IGR_ARG_U32, uint32_t, __VA_ARGS__)
#define IGR_OPT_U64(...) IGR_OPT_NUM_(IGR_ARG_U64, uint64_t, __VA_ARGS__)
#define IGR_OPT_DOUBLE(...) IGR_OPT_NUM_(IGR_ARG_DOUBLE, double, __VA_ARGS__)
#define IGR_OPT_FLOAT(...) IGR_OPT_NUM_(IGR_ARG_FLOAT, float, __VA_ARGS__)
#define IGR_OPT_TIME(l, n, a, p, ...)                                        \
	{ .letter = l, .name = n, .arg = a, .type = IGR_ARG_TIME,            \
	  .value = IGR_PTR_(int64_t, p), .help = __VA_ARGS__ }
#define IGR_OPT_DURATION(l, n, a, p, ...)                                    \
	{ .letter = l, .name = n, .arg = a, .type = IGR_ARG_DURATION,        \
	  .value = IGR_PTR_(double, p), .help = __VA_ARGS__ }
/* This command's help for common option N ("vocab", "output", ...). */
#define IGR_OPT_COMMON(n, ...)                                               \
	{ .name = n, .type = IGR_ARG_COMMON, .help = __VA_ARGS__ }
#define IGR_OPT_END { .name = NULL }

/* A further synopsis line (e.g. "igraph-ingest --list-schemas"): the
 * common options it shows and its operands; its own options are those
 * whose .forms have the line's bit. */
struct igr_cli_form {
	unsigned common;      /* IGR_CO_* shown */
	const char *operands; /* "[features]"; "" for none */
};

/* What a command is, for its --help. */
struct igr_cli_cmd {
	const char *name;     /* "igraph-eval" */
	unsigned accepts;     /* IGR_CO_* */
	const char *operands; /* synopsis operands: "[file ...]" */
	const char *about;    /* the paragraph after the synopsis */
	const struct igr_cli_form *more; /* further synopsis lines, ended by
					    an entry with NULL operands;
					    NULL: none */
	int parallel;         /* runs on several MPI ranks (lib/par.h) */
};

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
	const struct igr_cli_cmd *cmd;
	const struct igr_cli_opt *opts;
	struct option *longopts;
	char shortopts[128];
	igr_report report;  /* igr_cli_report() */
};

/* Set up: C locale for numbers, program name for messages, defaults, and
 * the option tables of CMD with its options OPTS (ended by IGR_OPT_END;
 * borrowed: they must outlive the parsing). */
void igr_cli_init(struct igr_cli *c, const struct igr_cli_cmd *cmd,
		  const struct igr_cli_opt *opts, int argc, char **argv);

/* The next option of the command line that the table leaves to the
 * command (IGR_ARG_CODE): its code, with optarg set; -1 at the end of the
 * options (optind: the first operand).  Every other option is handled
 * here: common options are stored in C, table options stored and
 * range-checked (a bad value is a usage error naming the option: "-k"
 * when it has a letter, else "--name"); -h prints the help and exits 0,
 * -V the version; an unknown option is a usage error (exit 2). */
int igr_cli_getopt(struct igr_cli *c);

/* All the options, for a table without IGR_ARG_CODE rows. */
void igr_cli_parse(struct igr_cli *c);

/* The --help text: usage synopsis, about, the option list. */
void igr_cli_help(const struct igr_cli *c, FILE *f);

/* The input files named after the options (ARGV[optind..]), or a single
 * "-" (standard input) when there are none; *N gets their number.  The
 * array is ARGV's own or a static one. */
char **igr_cli_inputs(int argc, char **argv, int *n);

/* --vocab DIR opened in MODE (IGR_VOCAB_READ or IGR_VOCAB_WRITE), or NULL
 * when --vocab was not given; an error exits 1. */
struct igr_vocabset *igr_cli_vocab(const struct igr_cli *c, int mode);

/* After option parsing: enters MPI mode when a launcher started the
 * command (lib/par.h; a command that is not .parallel refuses more than
 * one rank, a usage error), applies --threads to OpenMP and OpenBLAS and
 * decides whether progress is shown (stderr is a terminal, or --progress;
 * never with --quiet).  On several ranks, rank 0 alone locks -o, shows
 * progress, warnings and -v lines; every rank reports its own errors,
 * as "rank N: message", and an error on one rank ends them all (exit
 * 1). */
void igr_cli_ready(struct igr_cli *c);

/* The name to read the input PATH from (igr_in_par(): standard input,
 * "-", is read by rank 0 alone and passed on); an error exits 1.  PATH
 * itself in a serial run or when NULL (no such input). */
const char *igr_cli_input(const char *path);

/* On several ranks, a usage error (exit 2, every rank alike) when one of
 * the N inputs PATHS (NULL and "-" skipped) is not a regular file on
 * rank 0: a pipe or /dev/stdin would be read by one rank only, the others
 * reading theirs (empty).  Nothing in a serial run. */
void igr_cli_regular_inputs(const char *const *paths, int n);

/* Outputs are locked from the start of the run (io.h, igr_out_claim()):
 * igr_cli_ready() locks -o FILE, and a command locks each of its other
 * outputs (--rejects, --report, ...) with igr_cli_output() before it
 * reads any input.  Two outputs naming the same file (the same inode, or
 * the same name in the same directory) are a usage error (exit 2) that
 * leaves the file untouched; an output another process is writing exits
 * 1 at once.  OPT names the option in messages ("--report"); PATH may be
 * NULL or "-" (stdout: nothing to do). */
void igr_cli_output(struct igr_cli *c, const char *opt, const char *path);

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
 * re-raise SIGPIPE on EPIPE.  On several ranks, with -v, rank 0 prints
 * the bytes each rank sent ("mpi: 4 ranks, bytes sent per rank: ..."),
 * and MPI mode ends.  Returns the exit status to return. */
int igr_cli_finish(struct igr_cli *c);

#endif
