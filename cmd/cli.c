/* cli.c - shared command-line front end (see cli.h). */
#include "cli.h"
#include "error.h"
#include "mem.h"
#include "par.h"
#include "stream.h"
#include "timefmt.h"
#include "vocab.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The thread controls of OpenBLAS and OpenMP are weak references: the
 * commands are linked with --as-needed, so one that computes nothing
 * (igraph-cat, -show, -split, ...) does not load those libraries at all
 * and these are then NULL.  Their constructors start thread pools and
 * per-thread buffers before main, and OpenBLAS retries a failed mmap
 * forever: under `ulimit -v` that was a hang before main. */
void openblas_set_num_threads(int num_threads) __attribute__((weak));
#ifdef _OPENMP
#pragma weak omp_set_num_threads
#pragma weak omp_get_max_threads
#endif

/* The commands that compute load OpenBLAS, whose constructor runs before
 * main: it starts a thread per core, each with a buffer of about 128 MiB
 * that it mmaps in a loop until the mmap succeeds.  Under `ulimit -v` too
 * small for that the command hung before main.  This runs earlier still
 * (.preinit_array: before any library's constructor) and bounds the
 * start: when the address space is limited and neither
 * OPENBLAS_NUM_THREADS nor OMP_NUM_THREADS is set, it runs the command
 * again with both set to the number of threads whose buffers fit (the
 * environment cannot be changed in place this early: libc's own start
 * sets it afterwards); when not even one thread fits, it exits 1 with
 * "out of memory".  Measured with OpenBLAS 0.3.21 (openmp): --help needs
 * about 195 MiB of address space with one thread and 345 MiB with two;
 * the figures below have a small margin. */
#define BLAS_BASE_KIB (40L * 1024)
#define BLAS_THREAD_KIB (155L * 1024)
#define THREADS_VAR "IGR_BLAS_THREADS="
static int blas_threads_cap; /* 0: no limit applied */

static void write_str(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0) {
		/* nowhere to say it */
	}
}

static const char *env_of(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static void bound_blas_start(int argc, char **argv, char **envp)
{
	struct rlimit rl;
	const char *env, *name;
	long have, t, fit, cpus;
	char num[3][32];

	(void)argc;
	if (openblas_set_num_threads == NULL)
		return; /* this command does not load BLAS */
	if ((env = env_of(envp, "IGR_BLAS_THREADS")) != NULL) {
		blas_threads_cap = atoi(env); /* set by the run below */
		return;
	}
	if (getrlimit(RLIMIT_AS, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	have = (long)(rl.rlim_cur / 1024);
	fit = (have - BLAS_BASE_KIB) / BLAS_THREAD_KIB;
	env = env_of(envp, "OPENBLAS_NUM_THREADS");
	if (env == NULL)
		env = env_of(envp, "OMP_NUM_THREADS");
	if (env == NULL && fit >= 1) {
		static char v[3][48];
		size_t n = 0, i;
		char **nenv;
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		t = cpus > 0 && cpus < fit ? cpus : fit;
		while (envp[n] != NULL)
			n++;
		nenv = mmap(NULL, (n + 4) * sizeof *nenv,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (nenv == MAP_FAILED)
			goto too_small;
		snprintf(v[0], sizeof v[0], "OPENBLAS_NUM_THREADS=%ld", t);
		snprintf(v[1], sizeof v[1], "OMP_NUM_THREADS=%ld", t);
		snprintf(v[2], sizeof v[2], THREADS_VAR "%ld", t);
		for (i = 0; i < n; i++)
			nenv[i] = envp[i];
		nenv[n] = v[0];
		nenv[n + 1] = v[1];
		nenv[n + 2] = v[2];
		nenv[n + 3] = NULL;
		execve("/proc/self/exe", argv, nenv);
		/* no /proc: start as before */
		munmap(nenv, (n + 4) * sizeof *nenv);
		return;
	}
	t = env != NULL ? atol(env) : 1;
	if (t < 1)
		t = 1;
	if (fit >= t)
		return;
too_small:
	name = argv != NULL && argv[0] != NULL ? strrchr(argv[0], '/') : NULL;
	name = name ? name + 1 : argv && argv[0] ? argv[0] : "igraph";
	snprintf(num[0], sizeof num[0], "%ld", have);
	snprintf(num[1], sizeof num[1], "%ld",
		 BLAS_BASE_KIB + t * BLAS_THREAD_KIB);
	snprintf(num[2], sizeof num[2], "%ld", t);
	write_str(name);
	write_str(": out of memory: the address space limit (ulimit -v ");
	write_str(num[0]);
	write_str(" KiB) is below the ");
	write_str(num[1]);
	write_str(" KiB that the BLAS library needs to start ");
	write_str(num[2]);
	write_str(" thread(s)\n");
	_exit(1);
}

__attribute__((section(".preinit_array"), used))
static void (*const preinit_bound_blas)(int, char **, char **) =
	bound_blas_start;

static const char *progname = "igraph";
/* The getopt_long table; reachable from here when a usage error exits
 * (LeakSanitizer). */
static struct option *longopts_alloc;

const char *igr_cli_prog(void)
{
	return progname;
}

static void flush_stdout_quietly(void)
{
	fflush(stdout);
}

/* "igraph-TOOL: " or, on several ranks, "igraph-TOOL: rank N: ". */
static void say_prog(void)
{
	if (igr_par_size() > 1)
		fprintf(stderr, "%s: rank %d: ", progname, igr_par_rank());
	else
		fprintf(stderr, "%s: ", progname);
}

/* Exit with STATUS; on several ranks every rank ends now (the temporary
 * files of an -o output go with them: io.c's signal handlers).  A usage
 * error is the same on every rank: each ends on its own. */
static noreturn void leave(int status)
{
	if (igr_par_size() > 1) {
		fflush(stderr);
		igr_out_cleanup_all();
		igr_par_abort(status, status == 2);
	}
	exit(status);
}

noreturn void igr_die(const char *fmt, ...)
{
	va_list ap;
	int e = igr_errno();

	flush_stdout_quietly();
	/* the rank that failed says why; the others only follow it */
	if (igr_par_failed_elsewhere())
		leave(1);
	say_prog();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (e == EPIPE) {
		/* the reader went away: die as a Unix filter does */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	leave(1);
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
	/* every rank has the same command line: one says it */
	if (igr_par_rank() == 0) {
		fprintf(stderr, "%s: ", progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\nTry '%s --help' for more information.\n",
			progname);
	}
	leave(2);
}

void igr_warn(const struct igr_cli *c, const char *fmt, ...)
{
	va_list ap;

	if ((c != NULL && c->quiet) || igr_par_rank() > 0)
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

	if (!c->verbose || igr_par_rank() > 0)
		return;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* igr_cli_init(), igr_cli_getopt() and the --help text are in the
 * option layer below. */

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
	if (vs->missing)
		igr_die("vocabulary '%s': %s", c->vocab, strerror(ENOENT));
	if (vs->unchecked && mode == IGR_VOCAB_READ)
		igr_warn(c, IGR_VOCAB_UNCHECKED_FMT, c->vocab, c->vocab);
	return vs;
}

/* The outputs named so far (-o first), for igr_cli_output(). */
static struct {
	const char *opt, *path;
} outputs[8];
static int noutputs;

static void claim(const char *opt, const char *path)
{
	int i;

	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0)
		return;
	/* a device (-o /dev/null twice) is written in place, not replaced */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return;
	/* on every rank (the same command line, a shared file system): a
	 * usage error must end every rank alike, not leave the others
	 * waiting in a collective for rank 0 */
	for (i = 0; i < noutputs; i++)
		if (igr_same_file(outputs[i].path, path))
			igr_usage_error("%s and %s name the same file '%s'",
					outputs[i].opt, opt, path);
	if (noutputs < (int)(sizeof outputs / sizeof outputs[0])) {
		outputs[noutputs].opt = opt;
		outputs[noutputs].path = path;
		noutputs++;
	}
	/* on several ranks the outputs are rank 0's: the others send it
	 * their parts */
	if (igr_par_rank() == 0 && igr_out_claim(path) < 0)
		igr_die_lib();
}

void igr_cli_output(struct igr_cli *c, const char *opt, const char *path)
{
	(void)c;
	claim(opt, path);
}

void igr_cli_ready(struct igr_cli *c)
{
	if (igr_par_start(c->cmd->parallel) < 0)
		igr_usage_error("%s", igr_errmsg());
	if (c->accepts & IGR_CO_OUTPUT)
		claim("-o", c->output);
	if (c->quiet || igr_par_rank() > 0)
		c->progress = 0;
	else if (c->progress != 2)
		c->progress = isatty(STDERR_FILENO);
#ifdef _OPENMP
	/* under a memory limit (bound_blas_start) no more threads than fit */
	if (blas_threads_cap > 0 &&
	    (c->threads == 0 || c->threads > blas_threads_cap))
		c->threads = blas_threads_cap;
	if (c->threads > 0 && omp_set_num_threads != NULL)
		omp_set_num_threads(c->threads);
	/* BLAS calls are made from one thread at a time and may use all the
	 * threads themselves */
	if (openblas_set_num_threads != NULL)
		openblas_set_num_threads(c->threads > 0 ? c->threads
				: omp_get_max_threads != NULL
					  ? omp_get_max_threads() : 1);
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

const char *igr_cli_input(const char *path)
{
	const char *p;

	if (path == NULL)
		return NULL;
	if ((p = igr_in_par(path)) == NULL)
		igr_die_lib();
	return p;
}

void igr_cli_regular_inputs(const char *const *paths, int n)
{
	int i, bad = -1;

	if (igr_par_size() <= 1)
		return;
	/* rank 0 judges and tells the others, so that every rank refuses
	 * alike; a file that cannot be opened is its reader's error */
	if (igr_par_rank() == 0)
		for (i = 0; i < n && bad < 0; i++) {
			struct stat st;
			if (paths[i] != NULL && strcmp(paths[i], "-") != 0 &&
			    stat(paths[i], &st) == 0 && !S_ISREG(st.st_mode))
				bad = i;
		}
	if (igr_par_bcast(&bad, sizeof bad) < 0)
		igr_die_lib();
	if (bad >= 0)
		igr_usage_error("'%s' is not a regular file: the other ranks "
				"cannot read it (give '-' for standard input, "
				"or a file)", paths[bad]);
}

/* -v on several ranks: what each rank sent, in all and in each step
 * (counted before these gathers). */
static void par_summary(void)
{
	const char *names[IGR_PAR_MAXSTEP];
	uint64_t bytes[IGR_PAR_MAXSTEP], all = igr_par_bytes_sent();
	int n = igr_par_size(), r, s, nsteps = igr_par_steps(names, bytes);
	uint64_t *b = calloc((size_t)n, sizeof *b);

	if (b == NULL)
		igr_die("out of memory");
	for (s = -1; s < nsteps; s++) {
		if (igr_par_gather_u64(s < 0 ? all : bytes[s], b) < 0)
			igr_die_lib();
		if (igr_par_rank() > 0)
			continue;
		if (s < 0)
			fprintf(stderr, "%s: mpi: %d ranks, bytes sent per rank:",
				progname, n);
		else
			fprintf(stderr, "%s: mpi: %s:", progname, names[s]);
		for (r = 0; r < n; r++)
			fprintf(stderr, " %llu", (unsigned long long)b[r]);
		fputc('\n', stderr);
	}
	free(b);
}

int igr_cli_finish(struct igr_cli *c)
{
	free(longopts_alloc);
	longopts_alloc = NULL;
	c->longopts = NULL;
	if (igr_par_size() > 1 && c->verbose)
		par_summary();
	if (igr_par_finish() < 0)
		igr_die_lib();
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


/* ---- the option layer ------------------------------------------------- */

/* The common options, each declared once with its help; a command shows
 * those its IGR_CO_* bits accept (and may reword one with
 * IGR_OPT_COMMON).  The order is the --help order. */
struct common_opt {
	unsigned bit;  /* IGR_CO_*; 0: every command */
	int val;       /* getopt_long value */
	struct igr_cli_opt o;
};

static const struct common_opt common[] = {
	{ IGR_CO_OUTPUT, 'o', { .name = "output", .letter = 'o',
	  .arg = "file", .help = "write to FILE atomically instead of "
	  "stdout" } },
	{ IGR_CO_ENCODING, IGR_OPT_TSV, { .name = "tsv",
	  .help = "write TSV" } },
	{ IGR_CO_ENCODING, IGR_OPT_BINARY, { .name = "binary",
	  .help = "write the binary encoding (the default unless writing "
	  "to a terminal)" } },
	{ IGR_CO_THREADS, IGR_OPT_THREADS, { .name = "threads", .arg = "n",
	  .help = "threads (default: all cores)" } },
	{ IGR_CO_SEED, IGR_OPT_SEED, { .name = "seed", .arg = "n",
	  .help = "seed of the random generators (default 1)" } },
	{ IGR_CO_VOCAB, IGR_OPT_VOCAB, { .name = "vocab", .arg = "dir",
	  .help = "read and write external ids of vocabulary DIR" } },
	{ IGR_CO_MEMORY, IGR_OPT_MEMORY, { .name = "memory", .arg = "size",
	  .help = "memory budget, e.g. 16G or 50% (default: $IGRAPH_MEMORY, "
	  "else 3/4 of physical memory)" } },
	{ IGR_CO_PROGRESS, IGR_OPT_PROGRESS, { .name = "progress",
	  .help = "show progress even when stderr is not a terminal" } },
	{ IGR_CO_VERBOSE, 'v', { .name = "verbose", .letter = 'v',
	  .help = "print a summary on stderr" } },
	{ IGR_CO_QUIET, 'q', { .name = "quiet", .letter = 'q',
	  .help = "no warnings or progress" } },
	{ 0, 'h', { .name = "help", .letter = 'h',
	  .help = "show this help" } },
	{ 0, 'V', { .name = "version", .letter = 'V',
	  .help = "show the version" } },
};
#define NCOMMON (sizeof common / sizeof common[0])

/* Not the IGR_OPT_END row (an option may have no long name). */
#define LIVE(o) ((o)->name != NULL || (o)->letter != 0)

static size_t nopts(const struct igr_cli_opt *opts)
{
	size_t n = 0;

	while (opts != NULL && LIVE(&opts[n]))
		n++;
	return n;
}

void igr_cli_init(struct igr_cli *c, const struct igr_cli_cmd *cmd,
		  const struct igr_cli_opt *opts, int argc, char **argv)
{
	size_t n = nopts(opts), i, k = 0, len;

	/* Numbers in streams never go through the process locale (the
	 * library uses the C locale explicitly); messages may. */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	/* Working arrays of tens to hundreds of MB are freed and allocated
	 * again block after block (scoring, the gf tuner): glibc maps every
	 * one over 32 MB afresh and pays a page fault and a zeroed page per
	 * 4 KB each time (16% of a gf training's CPU on Gowalla).  Up to
	 * 512 MB they come from the heap and are reused instead. */
	mallopt(M_MMAP_THRESHOLD, 512 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	memset(c, 0, sizeof *c);
	c->prog = cmd->name;
	progname = cmd->name;
	c->accepts = cmd->accepts;
	c->cmd = cmd;
	c->opts = opts;
	c->argc = argc;
	c->argv = argv;
	c->encoding = IGR_ENC_AUTO;
	c->seed = 1;
	/* the memory budget of the commands that size themselves from it;
	 * --memory overrides it */
	if ((cmd->accepts & IGR_CO_MEMORY) && getenv("IGRAPH_MEMORY") != NULL &&
	    getenv("IGRAPH_MEMORY")[0] != '\0') {
		uint64_t b;

		if (igr_parse_size(getenv("IGRAPH_MEMORY"), "IGRAPH_MEMORY",
				   &b) < 0)
			igr_usage_error("%s", igr_errmsg());
		igr_memory_set(b);
	}

	/* every common long option is known, so that one a command does not
	 * take is named as such, unless the command has an option of that
	 * name itself (igraph-train's --binary of itemknn); only the
	 * accepted short ones are */
	free(longopts_alloc);
	longopts_alloc = calloc(NCOMMON + n + 1, sizeof *longopts_alloc);
	if (longopts_alloc == NULL)
		igr_die("out of memory");
	c->longopts = longopts_alloc;
	for (i = 0; i < NCOMMON; i++) {
		size_t j;
		if (common[i].bit != 0 && !(c->accepts & common[i].bit)) {
			for (j = 0; j < n; j++)
				if (opts[j].name != NULL &&
				    strcmp(opts[j].name, common[i].o.name) == 0)
					break;
			if (j < n)
				continue;
		}
		c->longopts[k].name = common[i].o.name;
		c->longopts[k].has_arg = common[i].o.arg ? required_argument
							 : no_argument;
		c->longopts[k++].val = common[i].val;
	}
	snprintf(c->shortopts, sizeof c->shortopts, "%s%s%s%s",
		 (c->accepts & IGR_CO_OUTPUT) ? "o:" : "",
		 (c->accepts & IGR_CO_VERBOSE) ? "v" : "",
		 (c->accepts & IGR_CO_QUIET) ? "q" : "", "hV");
	for (i = 0; i < n; i++) {
		const struct igr_cli_opt *o = &opts[i];
		if (o->type == IGR_ARG_COMMON)
			continue;
		if (o->name != NULL) {
			c->longopts[k].name = o->name;
			c->longopts[k].has_arg = o->arg ? required_argument
							: no_argument;
			c->longopts[k++].val = o->letter ? o->letter
							 : IGR_OPT_TOOL + (int)i;
		}
		if (o->letter) {
			len = strlen(c->shortopts);
			if (len + 3 > sizeof c->shortopts)
				igr_die("too many short options (internal "
					"error)");
			c->shortopts[len] = (char)o->letter;
			c->shortopts[len + 1] = o->arg ? ':' : '\0';
			c->shortopts[len + 2] = '\0';
		}
	}
}

static const char *common_name(int opt)
{
	size_t i;

	for (i = 0; i < NCOMMON; i++)
		if (common[i].val == opt)
			break;
	if (common[i].o.letter) {
		static char s[3] = "-";
		s[1] = (char)common[i].o.letter;
		return s;
	}
	return common[i].o.name; /* callers add the "--" */
}

static void need(const struct igr_cli *c, unsigned bit, int opt)
{
	if (!(c->accepts & bit)) {
		const char *n = common_name(opt);
		igr_usage_error("option %s%s does not apply to %s",
				n[0] == '-' ? "" : "--", n, c->prog);
	}
}

/* A common option: 1 if OPT was one (stored in C), 0 if not. */
static int common_option(struct igr_cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'h':
		igr_cli_help(c, stdout);
		fflush(stdout);
		exit(ferror(stdout) ? 1 : 0);
	case 'V':
		printf("%s (igraph) %s\n", c->prog, IGR_VERSION);
		exit(0);
	case 'o':
		need(c, IGR_CO_OUTPUT, opt);
		c->output = arg;
		return 1;
	case 'v':
		need(c, IGR_CO_VERBOSE, opt);
		c->verbose++;
		return 1;
	case 'q':
		need(c, IGR_CO_QUIET, opt);
		c->quiet = 1;
		return 1;
	case IGR_OPT_TSV:
		need(c, IGR_CO_ENCODING, opt);
		c->encoding = IGR_ENC_TSV;
		return 1;
	case IGR_OPT_BINARY:
		need(c, IGR_CO_ENCODING, opt);
		c->encoding = IGR_ENC_BINARY;
		return 1;
	case IGR_OPT_THREADS:
		need(c, IGR_CO_THREADS, opt);
		c->threads = (int)igr_opt_u64(arg, 1, 1024, "--threads");
		return 1;
	case IGR_OPT_SEED:
		need(c, IGR_CO_SEED, opt);
		c->seed = igr_opt_u64(arg, 0, UINT64_MAX, "--seed");
		c->seed_set = 1;
		return 1;
	case IGR_OPT_VOCAB:
		need(c, IGR_CO_VOCAB, opt);
		c->vocab = arg;
		return 1;
	case IGR_OPT_MEMORY: {
		uint64_t b;

		need(c, IGR_CO_MEMORY, opt);
		if (igr_parse_size(arg, "--memory", &b) < 0)
			igr_usage_error("%s", igr_errmsg());
		igr_memory_set(b);
		return 1;
	}
	case IGR_OPT_PROGRESS:
		need(c, IGR_CO_PROGRESS, opt);
		c->progress = 2; /* forced */
		return 1;
	case '?':
		/* getopt_long already named the problem */
		fprintf(stderr, "Try '%s --help' for more information.\n",
			c->prog);
		exit(2);
	}
	return 0;
}

/* Store ARG as table option O says; returns its code for IGR_ARG_CODE,
 * 0 otherwise. */
static int store(const struct igr_cli_opt *o, const char *arg)
{
	char name[64];
	uint64_t hi;

	if (o->letter)
		snprintf(name, sizeof name, "-%c", o->letter);
	else
		snprintf(name, sizeof name, "--%s", o->name);
	/* the largest double below 2^64 converts; 2^64 itself would not */
	hi = o->max >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)o->max;
	switch (o->type) {
	case IGR_ARG_CODE:
		return o->code;
	case IGR_ARG_SET:
		*(int *)o->value = o->code;
		break;
	case IGR_ARG_STR:
		*(const char **)o->value = arg;
		break;
	case IGR_ARG_INT:
		*(int *)o->value = (int)igr_opt_u64(arg, (uint64_t)o->min, hi,
						    name);
		break;
	case IGR_ARG_U32:
		*(uint32_t *)o->value = (uint32_t)igr_opt_u64(
			arg, (uint64_t)o->min, hi, name);
		break;
	case IGR_ARG_U64:
		*(uint64_t *)o->value = igr_opt_u64(arg, (uint64_t)o->min, hi,
						    name);
		break;
	case IGR_ARG_DOUBLE:
		*(double *)o->value = igr_opt_double(arg, o->min, o->max, name);
		break;
	case IGR_ARG_FLOAT:
		*(float *)o->value = (float)igr_opt_double(arg, o->min, o->max,
							   name);
		break;
	case IGR_ARG_TIME:
		*(int64_t *)o->value = igr_opt_time(arg, name);
		break;
	case IGR_ARG_DURATION:
		*(double *)o->value = igr_opt_duration(arg, name);
		break;
	}
	return 0;
}

int igr_cli_getopt(struct igr_cli *c)
{
	int opt, code;

	while ((opt = getopt_long(c->argc, c->argv, c->shortopts, c->longopts,
				  NULL)) != -1) {
		const struct igr_cli_opt *o = NULL;
		size_t i;
		if (opt >= IGR_OPT_TOOL && opt < IGR_OPT_TOOL + 0x1000) {
			o = &c->opts[opt - IGR_OPT_TOOL];
		} else if (opt < 0x100) {
			for (i = 0; c->opts != NULL && LIVE(&c->opts[i]); i++)
				if (c->opts[i].letter == opt &&
				    c->opts[i].type != IGR_ARG_COMMON)
					o = &c->opts[i];
		}
		if (o == NULL) {
			if (!common_option(c, opt, optarg))
				igr_usage_error("unhandled option (internal "
						"error)");
			continue;
		}
		if ((code = store(o, optarg)) != 0)
			return code;
	}
	return -1;
}

void igr_cli_parse(struct igr_cli *c)
{
	if (igr_cli_getopt(c) != -1)
		igr_usage_error("unhandled option (internal error)");
}

/* ---- --help ------------------------------------------------------------- */

#define HELP_WIDTH 79

/* The help of common option O for this command (its IGR_OPT_COMMON). */
static const char *common_help(const struct igr_cli *c,
			       const struct igr_cli_opt *o)
{
	size_t i;

	for (i = 0; c->opts != NULL && LIVE(&c->opts[i]); i++)
		if (c->opts[i].type == IGR_ARG_COMMON &&
		    strcmp(c->opts[i].name, o->name) == 0)
			return c->opts[i].help;
	if (o->letter == 'q' && !(c->accepts & IGR_CO_PROGRESS))
		return "no warnings";
	return o->help;
}

/* The synopsis being built: words wrapped under the first one's end. */
struct synopsis {
	FILE *f;
	int col, indent;
};

static void syn_word(struct synopsis *s, const char *w)
{
	int n = (int)strlen(w);

	if (s->col + 1 + n > HELP_WIDTH && s->col > s->indent) {
		fprintf(s->f, "\n%*s", s->indent, "");
		s->col = s->indent;
	}
	fprintf(s->f, " %s", w);
	s->col += 1 + n;
}

/* OPTS[I] and the options grouped with it (IGR_OF_OR / IGR_OF_AND) as one
 * synopsis word; returns the index after the group. */
static size_t syn_group(const struct igr_cli_opt *opts, size_t i, char *buf,
			size_t cap, int bracket)
{
	size_t len = 0;
	int first = 1;

	if (bracket)
		len += (size_t)snprintf(buf + len, cap - len, "[");
	do {
		const struct igr_cli_opt *o = &opts[i];
		/* a required option by its long name, an optional one by its
		 * letter when it has one */
		int shrt = o->letter && (o->name == NULL ||
					 !(o->flags & IGR_OF_REQUIRED));
		if (!first)
			len += (size_t)snprintf(buf + len, cap - len, "%s",
						(o->flags & IGR_OF_OR) ? " | "
								       : " ");
		if (shrt)
			len += (size_t)snprintf(buf + len, cap - len, "-%c",
						o->letter);
		else
			len += (size_t)snprintf(buf + len, cap - len, "--%s",
						o->name);
		if (o->arg != NULL)
			len += (size_t)snprintf(buf + len, cap - len, " %s",
						o->arg);
		first = 0;
		i++;
	} while (LIVE(&opts[i]) &&
		 (opts[i].flags & (IGR_OF_OR | IGR_OF_AND)));
	if (bracket)
		snprintf(buf + len, cap - len, "]");
	return i;
}

static int in_form(const struct igr_cli_opt *o, unsigned form)
{
	return ((o->forms ? o->forms : 1u) & form) != 0 &&
	       o->type != IGR_ARG_COMMON;
}

/* One synopsis line: FORM is its bit, COMMON the common options shown. */
static void synopsis_line(const struct igr_cli *c, FILE *f, const char *lead,
			  unsigned form, unsigned co, const char *operands)
{
	const struct igr_cli_opt *opts = c->opts;
	struct synopsis s = { f, 0, 0 };
	char buf[512], flags[16];
	size_t i, nf = 0;
	int pass;

	fprintf(f, "%s%s", lead, c->prog);
	s.col = s.indent = (int)(strlen(lead) + strlen(c->prog));
	/* required options, then the flags, then the optional ones */
	for (i = 0; opts != NULL && LIVE(&opts[i]);) {
		if (in_form(&opts[i], form) &&
		    (opts[i].flags & IGR_OF_REQUIRED)) {
			i = syn_group(opts, i, buf, sizeof buf, 0);
			syn_word(&s, buf);
		} else {
			i++;
		}
	}
	flags[nf++] = '[';
	flags[nf++] = '-';
	if (co & IGR_CO_QUIET)
		flags[nf++] = 'q';
	if (co & IGR_CO_VERBOSE)
		flags[nf++] = 'v';
	if (nf > 2) {
		flags[nf++] = ']';
		flags[nf] = '\0';
		syn_word(&s, flags);
	}
	if (co & IGR_CO_ENCODING)
		syn_word(&s, "[--binary | --tsv]");
	for (i = 0; opts != NULL && LIVE(&opts[i]);) {
		if (in_form(&opts[i], form) &&
		    !(opts[i].flags & (IGR_OF_REQUIRED | IGR_OF_OR |
				       IGR_OF_AND))) {
			i = syn_group(opts, i, buf, sizeof buf, 1);
			syn_word(&s, buf);
		} else {
			i++;
		}
	}
	for (pass = 0; pass < (int)NCOMMON; pass++) {
		const struct igr_cli_opt *o = &common[pass].o;
		if (!(co & common[pass].bit) || o->letter == 'q' ||
		    o->letter == 'v' || common[pass].bit == IGR_CO_ENCODING ||
		    common[pass].bit == 0)
			continue;
		/* -o and --vocab last, as the files the command works on */
		if (o->letter == 'o' || strcmp(o->name, "vocab") == 0)
			continue;
		snprintf(buf, sizeof buf, "[--%s%s%s]", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		syn_word(&s, buf);
	}
	if (co & IGR_CO_OUTPUT)
		syn_word(&s, "[-o file]");
	if (co & IGR_CO_VOCAB)
		syn_word(&s, "[--vocab dir]");
	if (operands != NULL && *operands)
		syn_word(&s, operands);
	fputc('\n', f);
}

/* "  -k, --top N" */
static void opt_spec(const struct igr_cli_opt *o, char *buf, size_t cap)
{
	size_t len;
	const char *a;

	if (o->letter && o->name == NULL)
		len = (size_t)snprintf(buf, cap, "  -%c", o->letter);
	else if (o->letter)
		len = (size_t)snprintf(buf, cap, "  -%c, --%s", o->letter,
				       o->name);
	else
		len = (size_t)snprintf(buf, cap, "      --%s", o->name);
	a = o->metavar ? o->metavar : o->arg;
	if (a == NULL)
		return;
	len += (size_t)snprintf(buf + len, cap - len, " ");
	for (; *a && len + 1 < cap; a++)
		buf[len++] = o->metavar ? *a
					: (char)(*a >= 'a' && *a <= 'z'
							 ? *a - 'a' + 'A'
							 : *a);
	buf[len] = '\0';
}

/* HELP from column COL (the cursor is there), wrapped at HELP_WIDTH;
 * '\n' breaks a line, and a line with a gap of two spaces ("pop  item
 * popularity") continues under the text after the gap. */
static void help_text(FILE *f, const char *help, int col)
{
	int hang = 0;

	while (*help) {
		size_t l = strcspn(help, "\n"), cut = l;
		int width = HELP_WIDTH - col - hang;
		if (hang == 0) {
			const char *gap = strstr(help, "  ");
			if (gap != NULL && (size_t)(gap - help) < l) {
				while (*gap == ' ')
					gap++;
				hang = (int)(gap - help);
			}
			width = HELP_WIDTH - col;
		}
		if ((int)l > width) {
			/* the last space that fits */
			cut = (size_t)width;
			while (cut > 0 && help[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = l;
		}
		fprintf(f, "%.*s\n", (int)cut, help);
		help += cut;
		if (*help == '\n')
			hang = 0;
		if (*help == ' ' || *help == '\n')
			help++;
		if (*help)
			fprintf(f, "%*s", col + hang, "");
	}
}

static void option_line(FILE *f, const struct igr_cli_opt *o,
			const char *help, int col)
{
	char spec[128];
	int n;

	opt_spec(o, spec, sizeof spec);
	n = (int)strlen(spec);
	if (n + 2 > col)
		fprintf(f, "%s\n%*s", spec, col, "");
	else
		fprintf(f, "%-*s", col, spec);
	help_text(f, help, col);
}

void igr_cli_help(const struct igr_cli *c, FILE *f)
{
	const struct igr_cli_cmd *cmd = c->cmd;
	const struct igr_cli_opt *opts = c->opts;
	const struct igr_cli_form *m;
	char spec[128];
	size_t i;
	int col = 0, n;
	unsigned form = 2;

	synopsis_line(c, f, "usage: ", 1, cmd->accepts, cmd->operands);
	for (m = cmd->more; m != NULL && m->operands != NULL; m++, form <<= 1)
		synopsis_line(c, f, "       ", form, m->common, m->operands);
	if (cmd->about != NULL)
		fprintf(f, "\n%s\n", cmd->about);
	fputc('\n', f);
	/* the help column: after the longest option of reasonable length */
	for (i = 0; opts != NULL && LIVE(&opts[i]); i++) {
		if (opts[i].type == IGR_ARG_COMMON)
			continue;
		opt_spec(&opts[i], spec, sizeof spec);
		n = (int)strlen(spec);
		if (n <= 24 && n > col)
			col = n;
	}
	for (i = 0; i < NCOMMON; i++) {
		if (common[i].bit && !(c->accepts & common[i].bit))
			continue;
		opt_spec(&common[i].o, spec, sizeof spec);
		n = (int)strlen(spec);
		if (n > col)
			col = n;
	}
	col += 2;
	for (i = 0; opts != NULL && LIVE(&opts[i]); i++)
		if (opts[i].type != IGR_ARG_COMMON)
			option_line(f, &opts[i], opts[i].help, col);
	for (i = 0; i < NCOMMON; i++)
		if (!common[i].bit || (c->accepts & common[i].bit))
			option_line(f, &common[i].o,
				    common_help(c, &common[i].o), col);
}
