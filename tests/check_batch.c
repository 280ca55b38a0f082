/* check_batch.c - the batched edge API of the stream library
 * (igr_read_edges / igr_write_edges): the same records as one at a time,
 * in both encodings, across block boundaries, with truncation still
 * detected. */
#include "testutil.h"

#include "error.h"
#include "stream.h"

#define NE 20000 /* several 64 KiB blocks of 26-byte records */

static igr_edge edge_at(size_t i)
{
	igr_edge e;

	memset(&e, 0, sizeof e);
	e.src_type = (uint8_t)(i % 3);
	e.dst_type = (uint8_t)((i / 3) % 3);
	e.src = (uint32_t)(i * 2654435761u);
	e.dst = (uint32_t)i;
	e.weight = (float)i / 7.0f;
	e.count = (uint32_t)(i % 1000);
	e.last_ts = (int64_t)i * 1000003 - 5000000000LL;
	return e;
}

/* Write NE edges in chunks of growing size (1, 2, 3 ...). */
static void write_chunks(const char *path, int enc)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_GRAPH, enc);
	igr_edge *buf = malloc(NE * sizeof *buf);
	size_t i = 0, k = 1, j;

	ck_assert_ptr_nonnull(w);
	while (i < NE) {
		size_t n = k < NE - i ? k : NE - i;
		for (j = 0; j < n; j++)
			buf[j] = edge_at(i + j);
		ck_assert_int_eq(igr_write_edges(w, buf, n), 0);
		i += n;
		k = k * 3 + 1;
	}
	ck_assert_uint_eq(igr_writer_records(w), NE);
	ck_assert_int_eq(igr_writer_close(w), 0);
	free(buf);
}

static void same_edge(const igr_edge *a, const igr_edge *b, size_t i)
{
	ck_assert_msg(a->src_type == b->src_type && a->dst_type == b->dst_type &&
			      a->src == b->src && a->dst == b->dst &&
			      a->weight == b->weight && a->count == b->count &&
			      a->last_ts == b->last_ts,
		      "edge %zu differs", i);
}

START_TEST(round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;
	igr_edge buf[777], e;
	igr_reader *r;
	size_t i = 0, j;
	ssize_t got;
	int rc;

	write_chunks(tu_path("g"), enc);
	/* batches of an odd size */
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	ck_assert_ptr_nonnull(r);
	while ((got = igr_read_edges(r, buf, 777)) > 0) {
		for (j = 0; j < (size_t)got; j++, i++) {
			e = edge_at(i);
			same_edge(&buf[j], &e, i);
		}
	}
	ck_assert_msg(got == 0, "%s", igr_errmsg());
	ck_assert_uint_eq(i, NE);
	ck_assert_uint_eq(igr_reader_records(r), NE);
	ck_assert_int_eq(igr_read_edges(r, buf, 10), 0);
	igr_reader_close(r);
	/* mixed with single reads */
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	i = 0;
	for (;;) {
		rc = igr_read_edge(r, &e);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, 1);
		buf[0] = edge_at(i);
		same_edge(&e, &buf[0], i++);
		got = igr_read_edges(r, buf, 5);
		ck_assert_int_ge(got, 0);
		for (j = 0; j < (size_t)got; j++, i++) {
			e = edge_at(i);
			same_edge(&buf[j], &e, i);
		}
		if (got == 0)
			break;
	}
	ck_assert_uint_eq(i, NE);
	igr_reader_close(r);
}
END_TEST

START_TEST(truncated_and_wrong_kind)
{
	size_t n, cut;
	unsigned char *b;
	igr_edge buf[4096];
	igr_reader *r;
	ssize_t got;
	igr_writer *w;

	write_chunks(tu_path("g"), IGR_ENC_BINARY);
	b = tu_read(tu_path("g"), &n);
	/* inside the last block, and exactly before the end block */
	for (cut = n - 1000; cut <= n - 20; cut += 980) {
		tu_write(tu_path("cut"), b, cut);
		r = igr_reader_open(tu_path("cut"), IGR_KIND_GRAPH);
		ck_assert_ptr_nonnull(r);
		while ((got = igr_read_edges(r, buf, 4096)) > 0)
			;
		ck_assert_int_eq(got, -1);
		ck_assert_ptr_nonnull(strstr(igr_errmsg(), "truncated"));
		igr_reader_close(r);
	}
	free(b);
	w = igr_writer_open(tu_path("ev"), IGR_KIND_EVENTS, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("ev"), 0);
	ck_assert_int_eq(igr_read_edges(r, buf, 10), -1);
	igr_reader_close(r);
	/* a bad node type is refused on writing */
	w = igr_writer_open(tu_path("bad"), IGR_KIND_GRAPH, IGR_ENC_BINARY);
	buf[0] = edge_at(0);
	buf[1] = edge_at(1);
	buf[1].dst_type = 9;
	ck_assert_int_eq(igr_write_edges(w, buf, 2), -1);
	igr_writer_abort(w);
}
END_TEST

START_TEST(raw_copy)
{
	igr_reader *r;
	igr_writer *w;
	const unsigned char *p;
	unsigned char *q;
	ssize_t got;
	size_t room, total = 0, i, n1, n2;
	unsigned char *a, *b;
	igr_edge e, want;

	write_chunks(tu_path("g"), IGR_ENC_BINARY);
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	w = igr_writer_open(tu_path("copy"), IGR_KIND_GRAPH, IGR_ENC_BINARY);
	ck_assert_uint_eq(igr_reader_recsize(r), 26);
	ck_assert_uint_eq(igr_writer_recsize(w), 26);
	/* odd read sizes against whole-block writes */
	while ((got = igr_read_raw(r, &p, 1000)) > 0) {
		size_t left = (size_t)got;
		ck_assert_uint_le(left, 1000);
		while (left > 0) {
			size_t k;
			q = igr_writer_raw_space(w, &room);
			ck_assert_ptr_nonnull(q);
			ck_assert_uint_ge(room, 1);
			k = room < left ? room : left;
			memcpy(q, p, k * 26);
			igr_writer_raw_commit(w, k);
			p += k * 26;
			left -= k;
			total += k;
		}
	}
	ck_assert_int_eq(got, 0);
	ck_assert_uint_eq(total, NE);
	ck_assert_uint_eq(igr_reader_records(r), NE);
	igr_reader_close(r);
	ck_assert_int_eq(igr_writer_close(w), 0);
	/* a valid stream with the same records */
	r = igr_reader_open(tu_path("copy"), IGR_KIND_GRAPH);
	ck_assert_ptr_nonnull(r);
	for (i = 0; i < NE; i++) {
		ck_assert_int_eq(igr_read_edge(r, &e), 1);
		want = edge_at(i);
		same_edge(&e, &want, i);
	}
	ck_assert_int_eq(igr_read_edge(r, &e), 0);
	igr_reader_close(r);
	a = tu_read(tu_path("g"), &n1);
	b = tu_read(tu_path("copy"), &n2);
	ck_assert_uint_eq(n1, n2);
	free(a);
	free(b);
	/* TSV has no raw records */
	write_chunks(tu_path("t"), IGR_ENC_TSV);
	r = igr_reader_open(tu_path("t"), IGR_KIND_GRAPH);
	ck_assert_uint_eq(igr_reader_recsize(r), 0);
	ck_assert_int_eq(igr_read_raw(r, &p, 10), -1);
	igr_reader_close(r);
	w = igr_writer_open(tu_path("t2"), IGR_KIND_GRAPH, IGR_ENC_TSV);
	ck_assert_ptr_null(igr_writer_raw_space(w, &room));
	igr_writer_abort(w);
	/* truncation is still seen */
	a = tu_read(tu_path("g"), &n1);
	tu_write(tu_path("cut"), a, n1 - 21);
	free(a);
	r = igr_reader_open(tu_path("cut"), IGR_KIND_GRAPH);
	while ((got = igr_read_raw(r, &p, 4096)) > 0)
		;
	ck_assert_int_eq(got, -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "truncated"));
	igr_reader_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = tcase_create("batch");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_loop_test(tc, round_trip, 0, 2);
	tcase_add_test(tc, truncated_and_wrong_kind);
	tcase_add_test(tc, raw_copy);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
