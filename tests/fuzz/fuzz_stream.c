/* fuzz_stream.c - the stream reader (both encodings, every kind), which
 * every stage runs on files it did not write.
 *
 * Properties: no crash, leak or sanitizer error; a stream that reads to
 * its clean end re-encodes (binary and TSV) to a stream that reads back
 * with the same record count. */
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char path[64], out[64];
	igr_reader *r;
	int fd = memfd_create("fuzz", 0), enc;

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		return 0;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	r = igr_reader_open(path, 0);
	if (r == NULL) {
		close(fd);
		return 0;
	}
	if (drain(r, NULL) == 0 && igr_reader_kind(r) != IGR_KIND_VECTORS &&
	    igr_reader_kind(r) <= IGR_KIND_SCORES &&
	    igr_header_get(igr_reader_header(r), "ids") == NULL) {
		uint64_t n = igr_reader_records(r);
		/* re-encode in both encodings; both must read back whole */
		/* a real file: -o writes a temporary and renames it */
		snprintf(out, sizeof out, "/tmp/fuzz-stream-%ld.igr",
			 (long)getpid());
		for (enc = IGR_ENC_BINARY; enc <= IGR_ENC_TSV; enc++) {
			igr_reader *r2 = igr_reader_open(path, 0);
			igr_writer *w;
			FUZZ_ASSERT(r2 != NULL);
			w = igr_writer_open(out, igr_reader_kind(r2), enc);
			FUZZ_ASSERT(w != NULL);
			FUZZ_ASSERT(drain(r2, w) == 0);
			FUZZ_ASSERT(igr_writer_close(w) == 0);
			igr_reader_close(r2);
			FUZZ_ASSERT(count_of(out) == n);
		}
		unlink(out);
	}
	igr_reader_close(r);
	close(fd);
	return 0;
}
