/* ingest_par.c - igraph-ingest on several ranks (see ingest.h): files,
 * and line-aligned ranges of plain files, per rank, rows read and checked
 * in parallel; then, where every rank's rows allow it, their ids and
 * duplicates decided on the ranks (ingest_resolve.c) and only written by
 * rank 0; else given in the serial order by rank 0 replaying each rank's
 * log.
 *
 * Why the replay stays: times carried from the row before or
 * interpolated, times by position, and a reject that stops the run all
 * depend on every row before in ways only reading them in order settles;
 * replaying the checked rows in order keeps them exact by construction. */
#include "ingest.h"
#include "error.h"
#include "mem.h"
#include "par.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *igr_ingest_par_refuse(char **files, int n)
{
	int i;

	if (igr_par_size() <= 1)
		return NULL;
	for (i = 0; i < n; i++)
		if (files[i] == NULL || strcmp(files[i], "-") == 0)
			return "standard input is read on one rank only: name "
			       "the input files";
	return NULL;
}

/* Where a rank's share starts: at byte OFF of input FILE (0: the file's
 * start; FILE n: past the last input). */
struct cut {
	uint64_t file, off;
};

/* 1 if PATH is a plain regular file of SIZE bytes that may be cut
 * inside: not gzip (io.h looks at its first two bytes the same way). */
static int cuttable(const char *path, uint64_t size)
{
	unsigned char m[2];
	int fd, ok;

	if (size < 2 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = pread(fd, m, 2, 0) == 2 && !(m[0] == 0x1f && m[1] == 0x8b);
	close(fd);
	return ok;
}

/* Where a record most likely starts in the N bytes at P, which begin one
 * byte before a cut: after the first newline outside quotes, the state
 * at the cut guessed from the first quote that can only open a field in
 * RFC 4180 CSV (after a delimiter or a line break, before a byte that is
 * neither a quote, a delimiter nor a line end) and the parity of the
 * quotes before it.  The range before checks the guess as it reads
 * (ingest.h): a wrong one costs time, never a row.  0: no guess. */
static size_t guess_start(const char *p, size_t n, int delim, int quote)
{
	size_t i, q = 0, anchor = 0;
	int in;

	for (i = 1; i + 1 < n; i++) {
		if (p[i] != quote)
			continue;
		if ((p[i - 1] == delim || p[i - 1] == '\n') &&
		    p[i + 1] != quote && p[i + 1] != delim &&
		    p[i + 1] != '\n' && p[i + 1] != '\r') {
			anchor = i;
			break;
		}
		q++;
	}
	if (anchor == 0)
		return 0;
	in = (int)(q & 1);
	if (p[0] == '\n' && !in)
		return 1;
	for (i = 1; i < n; i++) {
		if (p[i] == quote)
			in = !in;
		else if (p[i] == '\n' && !in)
			return i + 1;
	}
	return 0;
}

/* The first record start at or after byte OFF (> 0) of PATH (SIZE
 * bytes): with QUOTE a quote character, guessed (guess_start()) from the
 * first MiB; else, or with no guess, just after the first newline at or
 * after OFF - 1.  SIZE when none; (uint64_t)-1 when it cannot be read. */
static uint64_t line_start(const char *path, uint64_t off, uint64_t size,
			   int delim, int quote)
{
	char buf[65536], *big;
	uint64_t at = off - 1, found = size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return (uint64_t)-1;
	if (quote >= 0 && (big = malloc((size_t)1 << 20)) != NULL) {
		ssize_t n;
		size_t g = 0;
		do
			n = pread(fd, big, (size_t)1 << 20, (off_t)at);
		while (n < 0 && errno == EINTR);
		if (n > 0 && memchr(big, quote, (size_t)n) != NULL)
			g = guess_start(big, (size_t)n, delim, quote);
		free(big);
		if (g > 0) {
			close(fd);
			return at + g;
		}
	}
	while (at < size) {
		ssize_t n;
		char *nl;
		do
			n = pread(fd, buf, sizeof buf, (off_t)at);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			found = (uint64_t)-1;
			break;
		}
		if (n == 0)
			break;
		if ((nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			found = at + (uint64_t)(nl - buf) + 1;
			break;
		}
		at += (uint64_t)n;
	}
	close(fd);
	return found;
}

/* The inputs FILES[0..n), one after another, W[i] bytes each, into
 * NPARTS shares of about equal bytes: share r is [CUTS[r], CUTS[r + 1]).
 * A share ends inside a plain file at the start of the line after its
 * byte, unless that is within a sixteenth of a share of the file's start
 * or end; a gzip file, or one that cannot be read, goes whole to the
 * share its middle falls in (so three files of one size on three ranks
 * are one each). */
static void plan(char **files, const uint64_t *w, const int *cut, size_t n,
		 int nparts, int delim, int quote, struct cut *cuts)
{
	uint64_t total = 0, cum = 0, slack;
	size_t i = 0;
	int r;

	for (i = 0; i < n; i++)
		total += w[i];
	slack = total / (uint64_t)nparts / 16;
	if (slack == 0)
		slack = 1;
	i = 0;
	cuts[0].file = 0;
	cuts[0].off = 0;
	for (r = 1; r < nparts; r++) {
		uint64_t t = (uint64_t)((unsigned __int128)total *
					(unsigned)r / (unsigned)nparts);
		uint64_t o, c = (uint64_t)-1;

		while (i < n && cum + w[i] <= t)
			cum += w[i++];
		cuts[r].file = i;
		cuts[r].off = 0;
		if (i == n)
			continue;
		o = t - cum;
		if (cut[i] && o >= slack && w[i] - o >= slack)
			c = line_start(files[i], o, w[i], delim, quote);
		if (c == (uint64_t)-1) {
			/* whole: the share its middle falls in */
			if (o * 2 >= w[i])
				cuts[r].file = i + 1;
		} else if (c >= w[i]) {
			cuts[r].file = i + 1;
		} else {
			cuts[r].off = c;
		}
		if (cuts[r].file < cuts[r - 1].file ||
		    (cuts[r].file == cuts[r - 1].file &&
		     cuts[r].off < cuts[r - 1].off))
			cuts[r] = cuts[r - 1];
	}
	cuts[nparts].file = n;
	cuts[nparts].off = 0;
}

/* Where a rank's reading began and ended (see fast_path()). */
struct span {
	uint64_t read;          /* 1: it read a range */
	uint64_t first_file, first_off;
	uint64_t last_file, last_end, last_more;
};

/* This rank's share: its inputs and ranges, each read to the first of the
 * later cuts in it where a record starts (a range after this one is
 * found out as having started inside a record when this one reads past
 * its start; ingest.h).  Rank 0 reads directly; the others log.  A
 * failure ends the share, except in a range that starts inside a file:
 * that one may be a range another has read (rank 0 skips it then), and
 * the inputs after it must be in the log. */
static int read_share(igr_ingest *ig, char **files, const struct cut *cuts,
		      int nparts, int rank, struct span *sp)
{
	struct cut a = cuts[rank], b = cuts[rank + 1];
	uint64_t *marks;
	uint64_t f;
	int rc = 0;

	marks = calloc((size_t)nparts + 1, sizeof *marks);
	if (marks == NULL)
		return igr_error("out of memory");
	for (f = a.file; f <= b.file; f++) {
		uint64_t s = f == a.file ? a.off : 0;
		size_t nm = 0;
		int k, r;

		if (f == b.file && b.off <= s)
			break;
		for (k = rank + 1; k < nparts; k++)
			if (cuts[k].file == f && cuts[k].off > s)
				marks[nm++] = cuts[k].off;
		if (rank == 0)
			r = igr_ingest_range(ig, files[f], marks, nm);
		else
			r = igr_ingest_range_logged(ig, files[f], s, marks,
						    nm);
		if (!sp->read) {
			sp->read = 1;
			sp->first_file = f;
			sp->first_off = s;
		}
		sp->last_file = f;
		{
			int more;
			igr_ingest_range_end(ig, &sp->last_end, &more);
			sp->last_more = (uint64_t)more;
		}
		if (r < 0) {
			rc = -1;
			if (rank == 0 || s == 0)
				break;
		}
	}
	free(marks);
	return rc;
}

/* Whether the ranks can resolve their own rows (igr_ingest_resolve()),
 * the same answer on every rank: every rank's part resolvable (OK), and
 * the ranges read one after another as the replay would take them, each
 * starting where the one before stopped at a mark, or at a file's start
 * after one that read its file to the end (a range that started inside a
 * record, which the replay skips, leaves the rows to rank 0). */
static int fast_path(int ok, const struct span *sp)
{
	uint64_t me[7], *all = NULL;
	size_t total;
	int r, fast = 1, have = 0, n = igr_par_size();
	struct span st;

	me[0] = (uint64_t)ok;
	memcpy(me + 1, sp, sizeof *sp);
	if (igr_par_gather(me, sizeof me, (void **)&all, &total) < 0)
		return 0;
	if (igr_par_rank() == 0) {
		for (r = 0; r < n && fast; r++) {
			struct span x;
			memcpy(&x, all + r * 7 + 1, sizeof x);
			fast = all[r * 7] != 0;
			if (!x.read)
				continue;
			if (have)
				fast = fast &&
				       (x.first_off > 0
						? st.last_more &&
							  st.last_file ==
								  x.first_file &&
							  st.last_end == x.first_off
						: !st.last_more);
			st = x;
			have = 1;
		}
	}
	free(all);
	if (igr_par_bcast(&fast, sizeof fast) < 0)
		return 0;
	return fast;
}

/* Rank 0's sink of the other ranks' logs: whole entries replayed as
 * they come, a cut one kept for the next piece; after a failure (rank
 * 0's own, or the replay's: the serial run stops there) the rest is
 * only received. */
struct replay_sink {
	igr_ingest *ig;
	char *buf;
	size_t n, cap;
	int stop;
};

static int replay_sink(void *arg, const void *p, size_t n)
{
	struct replay_sink *k = arg;
	size_t whole;

	if (k->stop)
		return 0;
	if (igr_grow(&k->buf, &k->cap, k->n + n, 1) < 0) {
		k->stop = 1;
		return igr_error("out of memory (the rows of the other ranks)");
	}
	memcpy(k->buf + k->n, p, n);
	k->n += n;
	whole = igr_ingest_log_whole(k->buf, k->n);
	if (whole > 0 && igr_ingest_replay(k->ig, k->buf, whole) < 0) {
		k->stop = 1;
		return -1;
	}
	memmove(k->buf, k->buf + whole, k->n - whole);
	k->n -= whole;
	return 0;
}

int igr_ingest_files_par(igr_ingest *ig, char **files, int n)
{
	int rank = igr_par_rank(), nparts = igr_par_size(), i, rc = 0, r;
	uint64_t *w;
	int *cut;
	struct cut *cuts;
	const void *log = NULL;
	uint64_t len = 0;
	int fd = -1, failed = 0;
	struct span sp;

	if (nparts <= 1) {
		for (i = 0; i < n; i++)
			if (igr_ingest_file(ig, files[i]) < 0)
				return -1;
		return 0;
	}
	w = calloc((size_t)n + 1, sizeof *w);
	cut = calloc((size_t)n + 1, sizeof *cut);
	cuts = calloc((size_t)nparts + 1, sizeof *cuts);
	/* every rank past this point before the shares are sent */
	if (igr_par_agree(w != NULL && cut != NULL && cuts != NULL
				  ? 0 : igr_error("out of memory")) < 0) {
		rc = -1;
		goto out;
	}
	/* rank 0 shares the files out and tells the others: a rank that
	 * saw other sizes (a log still growing, a file system's cached
	 * attributes) must not read a byte twice or not at all.  One that
	 * cannot be read weighs 1, and its reader reports it. */
	if (rank == 0) {
		int delim, quote;
		for (i = 0; i < n; i++) {
			struct stat st;
			w[i] = stat(files[i], &st) == 0 && st.st_size > 0
				       ? (uint64_t)st.st_size : 1;
			cut[i] = w[i] > 1 && S_ISREG(st.st_mode) &&
				 cuttable(files[i], w[i]);
		}
		igr_ingest_dialect(ig, &delim, &quote);
		plan(files, w, cut, (size_t)n, nparts, delim, quote, cuts);
	}
	if (igr_par_bcast(cuts, ((size_t)nparts + 1) * sizeof *cuts) < 0) {
		rc = igr_par_agree(-1);
		goto out;
	}
	memset(&sp, 0, sizeof sp);
	igr_par_step("read");
	if (rank > 0)
		igr_ingest_record(ig, IGR_INGEST_LOG_SPILL);
	rc = read_share(ig, files, cuts, nparts, rank, &sp);
	/* each rank gives its rows their ids and drops their duplicates
	 * itself where it can; else rank 0 replays the rows as read */
	if (fast_path(igr_ingest_resolvable(ig) && (rank > 0 || rc == 0),
		      &sp) &&
	    igr_ingest_resolve(ig) < 0)
		failed = 1;
	if (rank > 0)
		rc = igr_ingest_log(ig, &log, &fd, &len);
	if (failed)
		rc = -1;
	igr_par_step("rows");
	if (rank > 0) {
		/* a log that could not grow fails this rank (it says why);
		 * the rows a rank could not read are entries of its log */
		if (igr_par_send_part(rc, rc < 0 ? NULL : log,
				      rc < 0 ? -1 : fd, rc < 0 ? 0 : len,
				      0) < 0)
			rc = -1;
	} else {
		/* rank 0 replays the logs as they arrive, rank by rank, a
		 * piece at a time: it never holds them all */
		struct replay_sink k = { ig, NULL, 0, 0, rc < 0 };
		char msg[1024];
		uint64_t recs;

		if (rc < 0)
			snprintf(msg, sizeof msg, "%s", igr_errmsg());
		r = igr_par_recv_parts(1, replay_sink, &k, &recs);
		if (rc < 0)
			igr_error("%s", msg); /* its own: the serial run's */
		else if (r < 0)
			rc = -1;
		else if (k.n > 0)
			rc = igr_error("bad log of rows read (cut short?)");
		free(k.buf);
	}
	rc = igr_par_agree(rc);
out:
	free(w);
	free(cut);
	free(cuts);
	return rc;
}
