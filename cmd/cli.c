/* cli.c - shared command-line front end (see cli.h). */
#include "cli.h"
#include "error.h"
#include "stream.h"
#include "timefmt.h"
#include "vocab.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's own thread control; declared here so commands that never
 * touch BLAS still link (the symbol comes from -lopenblas). */
void openblas_set_num_threads(int num_threads);

static const char *progname = "igraph";

const char *igr_cli_prog(void)
{
	return progname;
}

void igr_cli_init(struct igr_cli *c, const char *prog, int argc, char **argv,
		  unsigned accepts)
{
	/* Numbers in streams never go through the process locale (the
	 * library uses the C locale explicitly); messages may. */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	memset(c, 0, sizeof *c);
	c->prog = prog;
	progname = prog;
	c->accepts = accepts;
	c->argc = argc;
	c->argv = argv;
	c->encoding = IGR_ENC_AUTO;
	c->seed = 1;
}

const char *igr_cli_shortopts(struct igr_cli *c, const char *tool)
{
	snprintf(c->shortopts, sizeof c->shortopts, "%s%s%s%s%s",
		 (c->accepts & IGR_CO_OUTPUT) ? "o:" : "",
		 (c->accepts & IGR_CO_VERBOSE) ? "v" : "",
		 (c->accepts & IGR_CO_QUIET) ? "q" : "", "hV", tool);
	return c->shortopts;
}

static void flush_stdout_quietly(void)
{
	fflush(stdout);
}

noreturn void igr_die(const char *fmt, ...)
{
	va_list ap;
	int e = igr_errno();

	flush_stdout_quietly();
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (e == EPIPE) {
		/* the reader went away: die as a Unix filter does */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	exit(1);
}

noreturn void igr_die_lib(void)
{
	const char *m = igr_errmsg();

	igr_die("%s", *m ? m : "unknown error");
}

noreturn void igr_usage_error(const char *fmt, ...)
{
	va_list ap;

	flush_stdout_quietly();
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
	exit(2);
}

void igr_warn(const struct igr_cli *c, const char *fmt, ...)
{
	va_list ap;

	if (c != NULL && c->quiet)
		return;
	fflush(stdout);
	fprintf(stderr, "%s: warning: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void igr_info(const struct igr_cli *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *long_name(int opt)
{
	switch (opt) {
	case 'o':
		return "-o";
	case 'v':
		return "-v";
	case 'q':
		return "-q";
	case IGR_OPT_TSV:
		return "--tsv";
	case IGR_OPT_BINARY:
		return "--binary";
	case IGR_OPT_THREADS:
		return "--threads";
	case IGR_OPT_SEED:
		return "--seed";
	case IGR_OPT_VOCAB:
		return "--vocab";
	case IGR_OPT_PROGRESS:
		return "--progress";
	}
	return NULL;
}

static void need(const struct igr_cli *c, unsigned bit, int opt)
{
	if (!(c->accepts & bit))
		igr_usage_error("option %s does not apply to %s",
				long_name(opt), c->prog);
}

void igr_cli_option(struct igr_cli *c, int opt, const char *arg,
		    const char *usage)
{
	switch (opt) {
	case 'h':
		fputs(usage, stdout);
		fflush(stdout);
		exit(ferror(stdout) ? 1 : 0);
	case 'V':
		printf("%s (igraph) %s\n", c->prog, IGR_VERSION);
		exit(0);
	case 'o':
		need(c, IGR_CO_OUTPUT, opt);
		c->output = arg;
		return;
	case 'v':
		need(c, IGR_CO_VERBOSE, opt);
		c->verbose++;
		return;
	case 'q':
		need(c, IGR_CO_QUIET, opt);
		c->quiet = 1;
		return;
	case IGR_OPT_TSV:
		need(c, IGR_CO_ENCODING, opt);
		c->encoding = IGR_ENC_TSV;
		return;
	case IGR_OPT_BINARY:
		need(c, IGR_CO_ENCODING, opt);
		c->encoding = IGR_ENC_BINARY;
		return;
	case IGR_OPT_THREADS:
		need(c, IGR_CO_THREADS, opt);
		c->threads = (int)igr_opt_u64(arg, 1, 1024, "--threads");
		return;
	case IGR_OPT_SEED:
		need(c, IGR_CO_SEED, opt);
		c->seed = igr_opt_u64(arg, 0, UINT64_MAX, "--seed");
		c->seed_set = 1;
		return;
	case IGR_OPT_VOCAB:
		need(c, IGR_CO_VOCAB, opt);
		c->vocab = arg;
		return;
	case IGR_OPT_PROGRESS:
		need(c, IGR_CO_PROGRESS, opt);
		c->progress = 2; /* forced */
		return;
	case '?':
		/* getopt_long already named the problem */
		fprintf(stderr, "Try '%s --help' for more information.\n",
			c->prog);
		exit(2);
	default:
		igr_usage_error("unhandled option (internal error)");
	}
}

char **igr_cli_inputs(int argc, char **argv, int *n)
{
	static char dash[] = "-";
	static char *stdin_only[] = { dash, NULL };

	if (optind < argc) {
		*n = argc - optind;
		return argv + optind;
	}
	*n = 1;
	return stdin_only;
}

struct igr_vocabset *igr_cli_vocab(const struct igr_cli *c, int mode)
{
	igr_vocabset *vs;

	if (c->vocab == NULL)
		return NULL;
	vs = igr_vocabset_open(c->vocab, mode);
	if (vs == NULL)
		igr_die_lib();
	return vs;
}

void igr_cli_ready(struct igr_cli *c)
{
	if (c->quiet)
		c->progress = 0;
	else if (c->progress != 2)
		c->progress = isatty(STDERR_FILENO);
#ifdef _OPENMP
	if (c->threads > 0)
		omp_set_num_threads(c->threads);
	/* BLAS calls are made from one thread at a time and may use all the
	 * threads themselves */
	openblas_set_num_threads(c->threads > 0 ? c->threads
						: omp_get_max_threads());
#endif
}

uint64_t igr_opt_u64(const char *arg, uint64_t min, uint64_t max,
		     const char *name)
{
	uint64_t v;

	if (igr_parse_u64(arg, strlen(arg), UINT64_MAX, &v) < 0)
		igr_usage_error("%s: '%s' is not a non-negative integer", name,
				arg);
	if (v < min || v > max)
		igr_usage_error("%s: %s is out of range (%llu-%llu)", name, arg,
				(unsigned long long)min,
				(unsigned long long)max);
	return v;
}

double igr_opt_double(const char *arg, double min, double max,
		      const char *name)
{
	double v;

	if (igr_parse_double(arg, strlen(arg), &v) < 0 || isnan(v))
		igr_usage_error("%s: '%s' is not a number", name, arg);
	if (v < min || v > max)
		igr_usage_error("%s: %s is out of range (%g-%g)", name, arg,
				min, max);
	return v;
}

double igr_opt_duration(const char *arg, const char *name)
{
	double v;

	if (igr_parse_duration(arg, &v) < 0)
		igr_usage_error("%s: '%s' is not a duration (e.g. 3600, 90m, "
				"12h, 7d, 2w, inf)", name, arg);
	return v;
}

int64_t igr_opt_time(const char *arg, const char *name)
{
	int64_t t;

	if (igr_parse_time(arg, strlen(arg), &t) < 0)
		igr_usage_error("%s: '%s' is not a time (Unix seconds or ISO "
				"8601, e.g. 2017-12-01T00:00:00+08:00)", name,
				arg);
	return t;
}

int igr_opt_u32_list(const char *arg, uint32_t *out, int max, uint32_t lo,
		     uint32_t hi, const char *name)
{
	const char *p = arg;
	int n = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t v;
		if (igr_parse_u64(p, len, UINT32_MAX, &v) < 0 || v < lo ||
		    v > hi)
			igr_usage_error("%s: '%s' is not a list of integers "
					"in %u-%u", name, arg, lo, hi);
		if (n == max)
			igr_usage_error("%s: at most %d values", name, max);
		out[n++] = (uint32_t)v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return n;
}

static double progress_last;
static int progress_shown;

void igr_progress(const struct igr_cli *c, const char *fmt, ...)
{
	va_list ap;
	double t;

	if (!c->progress)
		return;
	t = igr_now();
	if (t - progress_last < 0.5)
		return;
	progress_last = t;
	fprintf(stderr, "\r%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	progress_shown = 1;
}

void igr_progress_done(const struct igr_cli *c)
{
	if (c->progress && progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
	progress_last = 0;
}

static void report_progress(void *arg, const char *msg)
{
	if (msg == NULL)
		igr_progress_done(arg);
	else
		igr_progress(arg, "%s", msg);
}

static void report_info(void *arg, const char *msg)
{
	igr_info(arg, "%s", msg);
}

const igr_report *igr_cli_report(struct igr_cli *c)
{
	c->report.progress = c->progress ? report_progress : NULL;
	c->report.info = c->verbose ? report_info : NULL;
	c->report.arg = c;
	return &c->report;
}

int igr_cli_finish(struct igr_cli *c)
{
	(void)c;
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE) {
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		fprintf(stderr, "%s: write error on stdout: %s\n", progname,
			strerror(errno));
		return 1;
	}
	return 0;
}
