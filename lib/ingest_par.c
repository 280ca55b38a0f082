/* ingest_par.c - igraph-ingest on several ranks (see ingest.h): whole
 * files per rank, rows read and checked in parallel, their ids given in
 * the serial order by rank 0 replaying each rank's log.
 *
 * Why not more: the ids are dense in first-seen order and a duplicate is
 * one of the last W distinct accepted records, so both depend on every
 * row before; replaying the checked rows in order keeps them exact by
 * construction.  Parsing, time conversion and every check (the bulk of
 * the work) run on all ranks; interning, the window and the writing stay
 * on rank 0. */
#include "ingest.h"
#include "error.h"
#include "mem.h"
#include "par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Whole files W[0..n) into NPARTS runs: run r ends at the file boundary
 * nearest r/NPARTS of the total (a file goes to the run its middle falls
 * in), so three files of one size on three ranks are one each, where
 * igr_par_split's "first boundary past the share" gave rank 0 two. */
static void split_files(const uint64_t *w, size_t n, int nparts,
			size_t *bounds)
{
	uint64_t total = 0, cum = 0;
	size_t i = 0;
	int r;

	for (i = 0; i < n; i++)
		total += w[i];
	i = 0;
	bounds[0] = 0;
	for (r = 1; r < nparts; r++) {
		/* the target, r / nparts of the total, doubled: 2 cum + w[i]
		 * <= 2 target puts file i's middle at or before it */
		unsigned __int128 t2 = (unsigned __int128)total * 2 *
				       (unsigned)r / (unsigned)nparts;
		while (i < n && (unsigned __int128)cum * 2 + w[i] <= t2)
			cum += w[i++];
		bounds[r] = i;
	}
	bounds[nparts] = n;
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
	int rank = igr_par_rank(), i, rc = 0, r;
	uint64_t *w;
	size_t *bounds, lo, hi;
	const void *log = NULL;
	uint64_t len = 0;
	int fd = -1;

	if (igr_par_size() <= 1) {
		for (i = 0; i < n; i++)
			if (igr_ingest_file(ig, files[i]) < 0)
				return -1;
		return 0;
	}
	w = calloc((size_t)n + 1, sizeof *w);
	bounds = calloc((size_t)igr_par_size() + 1, sizeof *bounds);
	/* every rank past this point before the shares are sent */
	if (igr_par_agree(w != NULL && bounds != NULL
				  ? 0 : igr_error("out of memory")) < 0) {
		free(w);
		free(bounds);
		return -1;
	}
	/* rank 0 shares the files out and tells the others: a rank that
	 * saw other sizes (a log still growing, a file system's cached
	 * attributes) must not read a file twice or not at all.  One that
	 * cannot be read weighs 1, and its reader reports it. */
	if (rank == 0) {
		for (i = 0; i < n; i++) {
			struct stat st;
			w[i] = stat(files[i], &st) == 0 && st.st_size > 0
				       ? (uint64_t)st.st_size : 1;
		}
		split_files(w, (size_t)n, igr_par_size(), bounds);
	}
	if (igr_par_bcast(bounds, ((size_t)igr_par_size() + 1) *
					  sizeof *bounds) < 0) {
		free(w);
		free(bounds);
		return igr_par_agree(-1);
	}
	lo = bounds[rank];
	hi = bounds[rank + 1];
	free(w);
	free(bounds);
	igr_par_step("read");
	if (rank > 0) {
		igr_ingest_record(ig, IGR_INGEST_LOG_SPILL);
		/* a rank's first failure ends its log: the serial run would
		 * stop there too (or earlier) */
		for (i = (int)lo; i < (int)hi; i++)
			if (igr_ingest_file_logged(ig, files[i]) < 0)
				break;
		rc = igr_ingest_log(ig, &log, &fd, &len);
	} else {
		for (i = (int)lo; i < (int)hi; i++)
			if ((rc = igr_ingest_file(ig, files[i])) < 0)
				break;
	}
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
	return igr_par_agree(rc);
}
