/* fuzz_stream.c - the stream reader (both encodings, every kind), which
 * every stage runs on files it did not write.
 *
 * Properties: no crash, leak or sanitizer error; a stream that reads to
 * its clean end re-encodes (binary and TSV) to a stream that reads back
 * with the same record count, and reads the same with igraph-cat --seal's
 * leniency (igr_reader_allow_unsealed); a TSV stream refused only for its
 * '#end' trailer (missing, wrong, or an old stream) and read with that
 * leniency re-encodes to a stream every reader accepts. */
#include "fuzz_util.h"
#include "stream.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Read every record of R, writing each to W when W is not NULL.
 * Returns the final read status. */
static int drain(igr_reader *r, igr_writer *w)
{
	int rc = -1;

	switch (igr_reader_kind(r)) {
	case IGR_KIND_EVENTS: {
		igr_event e;
		while ((rc = igr_read_event(r, &e)) == 1)
			if (w && igr_write_event(w, &e) < 0)
				return -1;
		break;
	}
	case IGR_KIND_ITEMS: {
		igr_item it;
		while ((rc = igr_read_item(r, &it)) == 1)
			if (w && igr_write_item(w, &it) < 0)
				return -1;
		break;
	}
	case IGR_KIND_GRAPH: {
		igr_edge e[7];
		ssize_t n;
		/* the batched path too */
		while ((n = igr_read_edges(r, e, 7)) > 0)
			if (w && igr_write_edges(w, e, (size_t)n) < 0)
				return -1;
		rc = n < 0 ? -1 : 0;
		break;
	}
	case IGR_KIND_VECTORS: {
		igr_vector v;
		while ((rc = igr_read_vector(r, &v)) == 1)
			if (w && igr_write_vector(w, &v) < 0)
				return -1;
		break;
	}
	case IGR_KIND_SCORES: {
		igr_score s;
		while ((rc = igr_read_score(r, &s)) == 1)
			if (w && igr_write_score(w, &s) < 0)
				return -1;
		break;
	}
	default: {
		igr_pair p;
		while ((rc = igr_read_pair(r, &p)) == 1)
			;
		break;
	}
	}
	return rc;
}

static uint64_t count_of(const char *path)
{
	igr_reader *r = igr_reader_open(path, 0);
	uint64_t n;

	FUZZ_ASSERT(r != NULL);
	FUZZ_ASSERT(drain(r, NULL) == 0);
	n = igr_reader_records(r);
	igr_reader_close(r);
	return n;
}

/* Read PATH (leniently if UNSEALED) to its clean end: 1 with *N the
 * records, or 0. */
static int reads_whole(const char *path, int unsealed, uint64_t *n)
{
	igr_reader *r = igr_reader_open(path, 0);
	int ok;

	if (r == NULL)
		return 0;
	if (unsealed)
		igr_reader_allow_unsealed(r);
	ok = drain(r, NULL) == 0;
	*n = igr_reader_records(r);
	/* only a TSV stream is ever taken without its trailer, and only
	 * leniently */
	if (ok && !igr_reader_trailer_ok(r))
		FUZZ_ASSERT(unsealed && igr_reader_encoding(r) == IGR_ENC_TSV);
	igr_reader_close(r);
	return ok;
}

/* Re-encode PATH (read leniently if UNSEALED) in both encodings; both must
 * read back whole, strictly, with N records. */
static void reencode(const char *path, int unsealed, uint64_t n)
{
	char out[64];
	int enc;

	/* a real file: -o writes a temporary and renames it */
	snprintf(out, sizeof out, "/tmp/fuzz-stream-%ld.igr", (long)getpid());
	for (enc = IGR_ENC_BINARY; enc <= IGR_ENC_TSV; enc++) {
		igr_reader *r2 = igr_reader_open(path, 0);
		igr_writer *w;
		FUZZ_ASSERT(r2 != NULL);
		if (unsealed)
			igr_reader_allow_unsealed(r2);
		w = igr_writer_open(out, igr_reader_kind(r2), enc);
		FUZZ_ASSERT(w != NULL);
		FUZZ_ASSERT(drain(r2, w) == 0);
		FUZZ_ASSERT(igr_writer_close(w) == 0);
		igr_reader_close(r2);
		FUZZ_ASSERT(count_of(out) == n);
	}
	unlink(out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64];
	igr_reader *r;
	int fd = memfd_create("fuzz", 0), whole, copyable;
	uint64_t n, n2;

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		return 0;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	r = igr_reader_open(path, 0);
	if (r == NULL) {
		close(fd);
		return 0;
	}
	whole = drain(r, NULL) == 0;
	n = igr_reader_records(r);
	copyable = igr_reader_kind(r) != IGR_KIND_VECTORS &&
		   igr_reader_kind(r) <= IGR_KIND_SCORES &&
		   igr_header_get(igr_reader_header(r), "ids") == NULL;
	igr_reader_close(r);
	if (whole) {
		/* what a strict reader takes, --seal takes the same */
		FUZZ_ASSERT(reads_whole(path, 1, &n2) && n2 == n);
		if (copyable)
			reencode(path, 0, n);
	} else if (copyable && reads_whole(path, 1, &n2)) {
		/* refused for its trailer only: --seal makes it whole */
		reencode(path, 1, n2);
	}
	close(fd);
	return 0;
}
