/* check_stream.c - the record stream library: round trips of every kind in
 * both encodings, truncation anywhere, corruption, version refusal, a
 * decimal-comma locale, external ids; the batched edge API
 * (igr_read_edges / igr_write_edges): the same records as one at a time,
 * in both encodings, across block boundaries, with truncation still
 * detected; the `features` kind (stream 1.1): round trips in both
 * encodings, the names as TSV columns, labels, truncation, bad names and
 * bad records. */
#include "testutil.h"

#include "endian.h"
#include "error.h"
#include "stream.h"
#include "vocab.h"

#include <locale.h>
#include <math.h>
#include <zlib.h>

#define NEV 3000 /* more than one 64 KiB block of 25-byte events */

static igr_event ev_at(int i)
{
	igr_event e;
	e.ts = 1511544070 + (int64_t)i * 37 - (i % 7 == 0 ? 2000000000 : 0);
	e.user = (uint32_t)(i * 7919u) % 100000u;
	e.item = i == 5 ? IGR_NONE - 1 : (uint32_t)i * 13u;
	e.category = i % 3 == 0 ? IGR_NONE : (uint32_t)i % 50;
	e.behavior = (uint8_t)(i % IGR_NBEHAVIOR);
	e.value = i % 4 == 0 ? 1.0f : i % 4 == 1 ? 0.1f : i % 4 == 2 ? 3.4e38f
								  : 1e-30f * i;
	return e;
}

static void write_events(const char *path, int enc, int n)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_EVENTS, enc);
	char *argv[] = { "igraph-test", "--x", "a b" };
	int i;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(igr_writer_set_meta(w, "now", "1511999999"), 0);
	ck_assert_int_eq(igr_writer_add_pg(w, "igraph-test", "1", 3, argv), 0);
	for (i = 0; i < n; i++) {
		igr_event e = ev_at(i);
		ck_assert_int_eq(igr_write_event(w, &e), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
}

static void check_events(const char *path, int n)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	igr_event e;
	int i, rc;

	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "now"),
			 "1511999999");
	ck_assert_uint_eq(igr_reader_header(r)->npg, 1);
	ck_assert_str_eq(igr_reader_header(r)->pg[0],
			 "igraph-test\t1\tigraph-test --x 'a b'");
	for (i = 0; i < n; i++) {
		igr_event want = ev_at(i);
		rc = igr_read_event(r, &e);
		ck_assert_msg(rc == 1, "record %d: %d %s", i, rc, igr_errmsg());
		ck_assert_int_eq(e.ts, want.ts);
		ck_assert_uint_eq(e.user, want.user);
		ck_assert_uint_eq(e.item, want.item);
		ck_assert_uint_eq(e.category, want.category);
		ck_assert_uint_eq(e.behavior, want.behavior);
		ck_assert_msg(e.value == want.value, "value %d: %.9g != %.9g",
			      i, e.value, want.value);
	}
	rc = igr_read_event(r, &e);
	ck_assert_msg(rc == 0, "end: %d %s", rc, igr_errmsg());
	ck_assert_uint_eq(igr_reader_records(r), (uint64_t)n);
	igr_reader_close(r);
}

START_TEST(events_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;

	write_events(tu_path("e"), enc, NEV);
	check_events(tu_path("e"), NEV);
	/* an empty stream is a header and an end block, and valid */
	write_events(tu_path("empty"), enc, 0);
	check_events(tu_path("empty"), 0);
}
END_TEST

START_TEST(items_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;
	igr_writer *w = igr_writer_open(tu_path("i"), IGR_KIND_ITEMS, enc);
	igr_reader *r;
	igr_item it, got;
	const char *titles[] = { "Red Shoes, size 42", "tab\there\\back\nline",
				 "", "~0000abcd  plain ~zz" };
	int i;

	ck_assert_ptr_nonnull(w);
	for (i = 0; i < 4; i++) {
		memset(&it, 0, sizeof it);
		it.item = (uint32_t)i;
		it.category = i == 2 ? IGR_NONE : 7;
		it.price = i == 1 ? NAN : 19.99f * (float)i;
		it.text = titles[i];
		it.ntok = (uint8_t)igr_hash_tokens(titles[i], it.tok);
		ck_assert_int_eq(igr_write_item(w, &it), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("i"), IGR_KIND_ITEMS);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	for (i = 0; i < 4; i++) {
		uint32_t tok[IGR_ITEM_TOKENS];
		int nt = igr_hash_tokens(titles[i], tok);
		ck_assert_int_eq(igr_read_item(r, &got), 1);
		ck_assert_uint_eq(got.item, (uint32_t)i);
		ck_assert_uint_eq(got.category, i == 2 ? IGR_NONE : 7);
		if (i == 1)
			ck_assert(isnan(got.price));
		else
			ck_assert(got.price == 19.99f * (float)i);
		ck_assert_int_eq(got.ntok, nt);
		ck_assert_mem_eq(got.tok, tok, (size_t)nt * 4);
		if (enc == IGR_ENC_TSV)
			ck_assert_str_eq(got.text, titles[i]);
		else
			ck_assert_ptr_null(got.text);
	}
	ck_assert_int_eq(igr_read_item(r, &got), 0);
	igr_reader_close(r);
}
END_TEST

START_TEST(tokens)
{
	uint32_t a[IGR_ITEM_TOKENS], b[IGR_ITEM_TOKENS];
	int na = igr_hash_tokens("Red SHOES red", a);
	int nb = igr_hash_tokens("red shoes", b);

	ck_assert_int_eq(na, 2); /* duplicates dropped, case folded */
	ck_assert_int_eq(nb, 2);
	ck_assert_mem_eq(a, b, 8);
	ck_assert_int_eq(igr_hash_tokens("~0000abcd", a), 1);
	ck_assert_uint_eq(a[0], 0xabcd);
	ck_assert_int_eq(igr_hash_tokens("a b c d e f g h i j k", a), 8);
	ck_assert_int_eq(igr_hash_tokens("  ,, ", a), 0);
}
END_TEST

/* binary -> TSV -> binary keeps item token hashes */
START_TEST(items_hash_survives_tsv)
{
	igr_writer *w = igr_writer_open(tu_path("b"), IGR_KIND_ITEMS,
					IGR_ENC_BINARY);
	igr_reader *r;
	igr_item it = { 0 }, got;
	igr_writer *t;

	it.item = 1;
	it.category = 2;
	it.price = 3;
	it.ntok = (uint8_t)igr_hash_tokens("alpha beta", it.tok);
	ck_assert_int_eq(igr_write_item(w, &it), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("b"), IGR_KIND_ITEMS);
	t = igr_writer_open(tu_path("t"), IGR_KIND_ITEMS, IGR_ENC_TSV);
	ck_assert_int_eq(igr_read_item(r, &got), 1);
	ck_assert_int_eq(igr_write_item(t, &got), 0);
	ck_assert_int_eq(igr_writer_close(t), 0);
	igr_reader_close(r);
	r = igr_reader_open(tu_path("t"), IGR_KIND_ITEMS);
	ck_assert_int_eq(igr_read_item(r, &got), 1);
	ck_assert_int_eq(got.ntok, 2);
	ck_assert_mem_eq(got.tok, it.tok, 8);
	igr_reader_close(r);
}
END_TEST

START_TEST(graph_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;
	igr_writer *w = igr_writer_open(tu_path("g"), IGR_KIND_GRAPH, enc);
	igr_reader *r;
	igr_edge e, g;
	int i;

	for (i = 0; i < 5000; i++) {
		e.src_type = (uint8_t)(i % 3);
		e.dst_type = (uint8_t)((i + 1) % 3);
		e.src = (uint32_t)i;
		e.dst = (uint32_t)(i * 31);
		e.weight = (float)ldexp(1.0 / (i + 1), -(i % 40));
		e.count = (uint32_t)i * 1000003u;
		e.last_ts = -(int64_t)i * 86400 * 365 * 1000;
		ck_assert_int_eq(igr_write_edge(w, &e), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	for (i = 0; i < 5000; i++) {
		ck_assert_int_eq(igr_read_edge(r, &g), 1);
		ck_assert_uint_eq(g.src_type, (uint8_t)(i % 3));
		ck_assert_uint_eq(g.dst_type, (uint8_t)((i + 1) % 3));
		ck_assert_uint_eq(g.src, (uint32_t)i);
		ck_assert_uint_eq(g.dst, (uint32_t)(i * 31));
		ck_assert(g.weight == (float)ldexp(1.0 / (i + 1), -(i % 40)));
		ck_assert_uint_eq(g.count, (uint32_t)i * 1000003u);
		ck_assert_int_eq(g.last_ts, -(int64_t)i * 86400 * 365 * 1000);
	}
	ck_assert_int_eq(igr_read_edge(r, &g), 0);
	igr_reader_close(r);
}
END_TEST

START_TEST(vectors_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;
	igr_writer *w = igr_writer_open(tu_path("v"), IGR_KIND_VECTORS, enc);
	igr_reader *r;
	float vals[64];
	igr_vector v = { IGR_USER, 0, vals }, g;
	int i, d;

	ck_assert_int_eq(igr_writer_set_dim(w, 64), 0);
	for (i = 0; i < 1500; i++) {
		v.node_type = (uint8_t)(i % 2 ? IGR_ITEM : IGR_USER);
		v.node = (uint32_t)i;
		for (d = 0; d < 64; d++)
			vals[d] = sinf((float)(i * 64 + d)) * 1e3f;
		ck_assert_int_eq(igr_write_vector(w, &v), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("v"), IGR_KIND_VECTORS);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(igr_reader_header(r)->dim, 64);
	for (i = 0; i < 1500; i++) {
		ck_assert_int_eq(igr_read_vector(r, &g), 1);
		ck_assert_uint_eq(g.node, (uint32_t)i);
		ck_assert_uint_eq(g.node_type, i % 2 ? IGR_ITEM : IGR_USER);
		for (d = 0; d < 64; d++)
			ck_assert(g.v[d] == sinf((float)(i * 64 + d)) * 1e3f);
	}
	ck_assert_int_eq(igr_read_vector(r, &g), 0);
	igr_reader_close(r);
}
END_TEST

START_TEST(scores_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;
	igr_writer *w = igr_writer_open(tu_path("s"), IGR_KIND_SCORES, enc);
	igr_reader *r;
	igr_score s, g;
	int i;

	for (i = 0; i < 4000; i++) {
		s.query_type = IGR_USER;
		s.query = (uint32_t)i / 20;
		s.target_type = i % 5 ? IGR_ITEM : IGR_CATEGORY;
		s.target = (uint32_t)i * 3;
		s.score = -1.0f / (float)(i + 1);
		s.rank = (uint32_t)i % 20 + 1;
		ck_assert_int_eq(igr_write_score(w, &s), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("s"), IGR_KIND_SCORES);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	for (i = 0; i < 4000; i++) {
		ck_assert_int_eq(igr_read_score(r, &g), 1);
		ck_assert_uint_eq(g.query, (uint32_t)i / 20);
		ck_assert_uint_eq(g.target_type,
				  i % 5 ? IGR_ITEM : IGR_CATEGORY);
		ck_assert_uint_eq(g.target, (uint32_t)i * 3);
		ck_assert(g.score == -1.0f / (float)(i + 1));
		ck_assert_uint_eq(g.rank, (uint32_t)i % 20 + 1);
	}
	ck_assert_int_eq(igr_read_score(r, &g), 0);
	igr_reader_close(r);
}
END_TEST

/* Read every record; returns the final read status (0 clean end, -1). */
static int drain(const char *path)
{
	igr_reader *r = igr_reader_open(path, 0);
	igr_event e;
	int rc;

	if (r == NULL)
		return -1;
	while ((rc = igr_read_event(r, &e)) == 1)
		;
	igr_reader_close(r);
	return rc;
}

static void expect_error(const char *path, const char *needle)
{
	int rc = drain(path);

	ck_assert_msg(rc == -1, "%s: expected an error containing '%s'",
		      path, needle);
	ck_assert_msg(strstr(igr_errmsg(), needle) != NULL,
		      "message '%s' lacks '%s'", igr_errmsg(), needle);
}

START_TEST(binary_truncated_anywhere)
{
	unsigned char *b;
	size_t n, cut, hdr;
	const char *t = tu_path("cut");

	write_events(tu_path("e"), IGR_ENC_BINARY, NEV);
	b = tu_read(tu_path("e"), &n);
	/* header length: find the first block count (NEV fits in 2 blocks
	 * of 2621 records) by scanning for it after the header text */
	for (hdr = 28; hdr + 4 <= n; hdr++)
		if (igr_get_u32(b + hdr) == 65536 / 25)
			break;
	ck_assert_uint_lt(hdr, 400);
	for (cut = 0; cut < n; cut++) {
		int at_record = cut > hdr + 4 && (cut - hdr - 4) % 25 == 0;
		if (!(cut <= hdr + 8 || at_record || cut + 40 >= n ||
		      cut % 97 == 0))
			continue;
		tu_write(t, b, cut);
		if (cut == 0) {
			expect_error(t, "empty input");
			continue;
		}
		expect_error(t, "truncated");
	}
	/* the whole file reads cleanly */
	tu_write(t, b, n);
	ck_assert_int_eq(drain(t), 0);
	free(b);
}
END_TEST

START_TEST(binary_corruption)
{
	unsigned char *b;
	size_t n;
	const char *t = tu_path("bad");

	write_events(tu_path("e"), IGR_ENC_BINARY, 100);
	b = tu_read(tu_path("e"), &n);
	/* a flipped bit in a record: the end block's CRC catches it (or a
	 * field check, first) */
	b[n - 100] ^= 0x10;
	tu_write(t, b, n);
	expect_error(t, "corrupted stream");
	b[n - 100] ^= 0x10;
	/* a flipped bit in a float is only seen by the CRC: value of the
	 * last record is the 4 bytes before the 20-byte end block */
	b[n - 22] ^= 0x01;
	tu_write(t, b, n);
	expect_error(t, "checksum mismatch");
	b[n - 22] ^= 0x01;
	/* a flipped bit in the header text */
	b[40] ^= 0x01;
	tu_write(t, b, n);
	ck_assert_ptr_null(igr_reader_open(t, 0));
	b[40] ^= 0x01;
	/* trailing garbage */
	{
		unsigned char *c = malloc(n + 3);
		memcpy(c, b, n);
		memcpy(c + n, "xyz", 3);
		tu_write(t, c, n + 3);
		expect_error(t, "trailing data");
		free(c);
	}
	/* a text-mode transfer mangles the magic */
	b[4] = '\n';
	tu_write(t, b, n);
	ck_assert_ptr_null(igr_reader_open(t, 0));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "damaged"));
	free(b);
}
END_TEST

START_TEST(newer_major_refused)
{
	unsigned char *b;
	size_t n;
	const char *t = tu_path("v2");

	write_events(tu_path("e"), IGR_ENC_BINARY, 10);
	b = tu_read(tu_path("e"), &n);
	igr_put_u16(b + 8, 2);
	tu_write(t, b, n);
	ck_assert_ptr_null(igr_reader_open(t, 0));
	{
		/* the message names this reader's version */
		char ours[32];
		snprintf(ours, sizeof ours, "(1.%d)", IGR_STREAM_MINOR);
		ck_assert_msg(strstr(igr_errmsg(), "2.0 is newer") &&
				      strstr(igr_errmsg(), ours),
			      "%s", igr_errmsg());
	}
	free(b);
	tu_write(t, "#igraph events 3.1\nts\n", 22);
	ck_assert_ptr_null(igr_reader_open(t, 0));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "3.1 is newer"));
}
END_TEST

/* A newer minor version may append columns; this reader skips them. */
START_TEST(newer_minor_extra_columns)
{
	const char *tsv = "#igraph scores 1.7\n"
			  "query_type\tquery\ttarget_type\ttarget\tscore\trank"
			  "\tnovelty\n"
			  "user\t3\titem\t4\t0.5\t1\t0.25\n";
	const char *t = tu_path("m");
	igr_reader *r;
	igr_score s;
	unsigned char hb[512], *p = hb;
	size_t hl;
	static const struct {
		const char *name;
		uint8_t type;
	} cols[] = { { "query_type", 1 }, { "query", 2 },
		     { "target_type", 1 }, { "target", 2 }, { "score", 4 },
		     { "rank", 2 }, { "novelty", 4 } };
	int i;

	tu_write_sealed(t, tsv, strlen(tsv));
	r = igr_reader_open(t, IGR_KIND_SCORES);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_read_score(r, &s), 1);
	ck_assert_uint_eq(s.target, 4);
	ck_assert(s.score == 0.5f);
	ck_assert_int_eq(igr_read_score(r, &s), 0);
	igr_reader_close(r);

	/* the same in binary, built by hand: 22-byte records */
	memcpy(p, "\x89IGR\r\n\x1a\n", 8);
	igr_put_u16(p + 8, 1);
	igr_put_u16(p + 10, 7);
	igr_put_u16(p + 12, IGR_KIND_SCORES);
	igr_put_u16(p + 14, 0);
	igr_put_u32(p + 16, 22);
	igr_put_u32(p + 20, 0);
	igr_put_u32(p + 24, 7);
	p += 28;
	for (i = 0; i < 7; i++) {
		size_t nl = strlen(cols[i].name);
		p[0] = cols[i].type;
		igr_put_u32(p + 1, 1);
		p[5] = (uint8_t)nl;
		memcpy(p + 6, cols[i].name, nl);
		p += 6 + nl;
	}
	igr_put_u32(p, 0);
	p += 4;
	igr_put_u32(p, (uint32_t)crc32(0, hb, (uInt)(p - hb)));
	p += 4;
	{
		unsigned char *rec = p + 4;
		igr_put_u32(p, 1);
		rec[0] = IGR_USER;
		igr_put_u32(rec + 1, 3);
		rec[5] = IGR_ITEM;
		igr_put_u32(rec + 6, 4);
		igr_put_f32(rec + 10, 0.5f);
		igr_put_u32(rec + 14, 1);
		igr_put_f32(rec + 18, 0.25f);
		p = rec + 22;
		igr_put_u32(p, 0);
		igr_put_u64(p + 4, 1);
		igr_put_u32(p + 12, (uint32_t)crc32(0, rec, 22));
		memcpy(p + 16, "IEND", 4);
		p += 20;
	}
	hl = (size_t)(p - hb);
	tu_write(t, hb, hl);
	r = igr_reader_open(t, IGR_KIND_SCORES);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_read_score(r, &s), 1);
	ck_assert_uint_eq(s.query, 3);
	ck_assert_uint_eq(s.rank, 1);
	ck_assert(s.score == 0.5f);
	ck_assert_int_eq(igr_read_score(r, &s), 0);
	igr_reader_close(r);
}
END_TEST

START_TEST(tsv_errors)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "", "empty input" },
		{ "user,item\n1,2\n", "not an igraph stream" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t3\t4\tview\t1", "no newline" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t3\t4\tclik\t1\n", "bad behavior 'clik'" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t3\t4\tview\n", "expected 6 fields, found 5" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t4294967295\t4\tview\t1\n", "bad item" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t-2\t3\t4\tview\t1\n", "bad user" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1.5\t2\t3\t4\tview\t1\n", "bad timestamp" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t3\t4\tview\t1,5\n", "bad value '1,5'" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n1\t2\t3\t4\tview\t1e999\n", "bad value" },
		{ "#igraph events 1.0\nts\tuser\titem\n", "column names" },
		{ "#igraph events 1.0\n", "truncated" },
		{ "#igraph graph 1.0\nsrc_type\tsrc\tdst_type\tdst\tweight\t"
		  "count\tlast_ts\n", "expected an events stream, got graph" },
		{ "#igraph nodes 1.0\n", "unknown stream kind" },
		{ "#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\t"
		  "value\n99999999999999999999\t2\t3\t4\tview\t1\n",
		  "bad timestamp" },
	};
	const char *t = tu_path("t");
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tu_write(t, cases[i].text, strlen(cases[i].text));
		{
			igr_reader *r = igr_reader_open(t, IGR_KIND_EVENTS);
			int rc = -1;
			igr_event e;
			if (r != NULL) {
				while ((rc = igr_read_event(r, &e)) == 1)
					;
				igr_reader_close(r);
			}
			ck_assert_msg(rc == -1, "case %zu passed", i);
			ck_assert_msg(strstr(igr_errmsg(), cases[i].needle),
				      "case %zu: '%s' lacks '%s'", i,
				      igr_errmsg(), cases[i].needle);
		}
	}
}
END_TEST

/* Numbers never follow the process locale. */
START_TEST(decimal_comma_locale)
{
	const char *old = setlocale(LC_ALL, NULL);
	char *saved = strdup(old ? old : "C");
	char buf[32];
	float f;

	if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL &&
	    setlocale(LC_ALL, "de_DE.utf8") == NULL)
		ck_abort_msg("locale de_DE.UTF-8 is missing: run "
			     "scripts/install-deps");
	/* the locale is really decimal-comma */
	snprintf(buf, sizeof buf, "%.1f", 0.5);
	ck_assert_str_eq(buf, "0,5");
	igr_fmt_float(buf, 0.5f);
	ck_assert_str_eq(buf, "0.5");
	ck_assert_int_eq(igr_parse_float("0.25", 4, &f), 0);
	ck_assert(f == 0.25f);
	ck_assert_int_eq(igr_parse_float("0,25", 4, &f), -1);
	write_events(tu_path("e"), IGR_ENC_TSV, 50);
	check_events(tu_path("e"), 50);
	setlocale(LC_ALL, saved);
	free(saved);
}
END_TEST

START_TEST(external_ids)
{
	igr_vocabset *vs = igr_vocabset_open(tu_path("V"), IGR_VOCAB_WRITE);
	igr_writer *w;
	igr_reader *r;
	igr_score s = { IGR_USER, IGR_ITEM, 0, 0, 0.5f, 1 }, g;
	uint32_t u, it;
	FILE *f;
	char line[256];
	int found = 0;

	ck_assert_ptr_nonnull(vs);
	ck_assert_int_eq(igr_vocab_intern(vs->v[IGR_USER], "alice", 5, &u), 0);
	ck_assert_int_eq(igr_vocab_intern(vs->v[IGR_ITEM], "sku-9", 5, &it),
			 0);
	s.query = u;
	s.target = it;
	w = igr_writer_open(tu_path("x"), IGR_KIND_SCORES, IGR_ENC_TSV);
	igr_writer_set_vocab(w, vs);
	ck_assert_int_eq(igr_write_score(w, &s), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	f = fopen(tu_path("x"), "r");
	while (fgets(line, sizeof line, f))
		found |= strcmp(line, "user\talice\titem\tsku-9\t0.5\t1\n") == 0;
	fclose(f);
	ck_assert(found);
	/* without the vocabulary: a clear error */
	r = igr_reader_open(tu_path("x"), IGR_KIND_SCORES);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(igr_read_score(r, &g), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "--vocab"));
	igr_reader_close(r);
	/* with it: the dense ids come back */
	r = igr_reader_open(tu_path("x"), IGR_KIND_SCORES);
	igr_reader_set_vocab(r, vs);
	ck_assert_int_eq(igr_read_score(r, &g), 1);
	ck_assert_uint_eq(g.query, u);
	ck_assert_uint_eq(g.target, it);
	igr_reader_close(r);
	igr_vocabset_close(vs);
}
END_TEST

START_TEST(gzip_stream)
{
	unsigned char *b;
	size_t n;
	gzFile gz;

	write_events(tu_path("e"), IGR_ENC_BINARY, 500);
	b = tu_read(tu_path("e"), &n);
	gz = gzopen(tu_path("e.gz"), "wb");
	ck_assert_int_eq(gzwrite(gz, b, (unsigned)n), (int)n);
	ck_assert_int_eq(gzclose(gz), Z_OK);
	check_events(tu_path("e.gz"), 500);
	/* a cut gzip member is an error, not a short stream */
	free(b);
	b = tu_read(tu_path("e.gz"), &n);
	tu_write(tu_path("cut.gz"), b, n / 2);
	ck_assert_int_eq(drain(tu_path("cut.gz")), -1);
	free(b);
}
END_TEST

/* -o output is atomic: an aborted writer leaves the old file alone. */
START_TEST(atomic_output)
{
	const char *p = tu_path("keep");
	igr_writer *w;
	igr_event e = ev_at(1);
	char tmp[600];
	unsigned char *b;
	size_t n;

	tu_write(p, "old", 3);
	w = igr_writer_open(p, IGR_KIND_EVENTS, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_write_event(w, &e), 0);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
	ck_assert_int_eq(access(tmp, F_OK), 0);
	igr_writer_abort(w);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	b = tu_read(p, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(b, "old", 3);
	free(b);
}
END_TEST

/* ---- the batched edge API ------------------------------------------ */

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

START_TEST(batch_round_trip)
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

START_TEST(batch_truncated_and_wrong_kind)
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

START_TEST(batch_raw_copy)
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

/* ---- the features kind --------------------------------------------- */

#define NP 5000 /* more than one 64 KiB block at dim 4 */
#define DIM 4

static const char *const names[DIM] = { "ui_view_n", "ui_cart_age",
					"item.pop_1d", "graph_score" };

static igr_pair pair_at(int i, float *v)
{
	igr_pair p;
	p.user = (uint32_t)i / 7u;
	p.item = i == 3 ? IGR_NONE - 1 : (uint32_t)(i * 31u) % 1000u;
	p.label = (uint8_t)(i % 5 == 0 ? 0 : (i * 11) % 64);
	v[0] = (float)(i % 9);
	v[1] = i % 4 == 0 ? NAN : 0.1f * (float)i;
	v[2] = i % 3 == 0 ? -3.4e38f : 1e-30f * (float)i;
	v[3] = i % 6 == 0 ? INFINITY : 1.0f / (float)(i + 1);
	p.v = v;
	return p;
}

static void write_pairs(const char *path, int enc, int n)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_FEATURES, enc);
	float v[DIM];
	int i;

	ck_assert_ptr_nonnull(w);
	ck_assert_msg(igr_writer_set_features(w, DIM, names) == 0, "%s",
		      igr_errmsg());
	ck_assert_int_eq(igr_writer_set_meta(w, "cut", "1512230400"), 0);
	for (i = 0; i < n; i++) {
		igr_pair p = pair_at(i, v);
		ck_assert_msg(igr_write_pair(w, &p) == 0, "%s", igr_errmsg());
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
}

static int same_float(float a, float b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static void check_pairs(const char *path, int n)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_FEATURES);
	igr_pair p;
	float want_v[DIM];
	int i, rc, d;

	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(igr_reader_header(r)->dim, DIM);
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "features"),
			 "ui_view_n,ui_cart_age,item.pop_1d,graph_score");
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "cut"),
			 "1512230400");
	for (i = 0; i < n; i++) {
		igr_pair want = pair_at(i, want_v);
		rc = igr_read_pair(r, &p);
		ck_assert_msg(rc == 1, "record %d: %d %s", i, rc, igr_errmsg());
		ck_assert_uint_eq(p.user, want.user);
		ck_assert_uint_eq(p.item, want.item);
		ck_assert_uint_eq(p.label, want.label);
		for (d = 0; d < DIM; d++)
			ck_assert_msg(same_float(p.v[d], want_v[d]),
				      "record %d value %d: %.9g != %.9g", i, d,
				      p.v[d], want_v[d]);
	}
	rc = igr_read_pair(r, &p);
	ck_assert_msg(rc == 0, "end: %d %s", rc, igr_errmsg());
	ck_assert_uint_eq(igr_reader_records(r), (uint64_t)n);
	igr_reader_close(r);
}

START_TEST(features_round_trip)
{
	int enc = _i ? IGR_ENC_TSV : IGR_ENC_BINARY;

	write_pairs(tu_path("f"), enc, NP);
	check_pairs(tu_path("f"), NP);
	/* empty stream: header only */
	write_pairs(tu_path("e"), enc, 0);
	check_pairs(tu_path("e"), 0);
}
END_TEST

/* The TSV names the values as columns and the labels as behaviours. */
START_TEST(features_tsv_layout)
{
	size_t n;
	unsigned char *b;

	write_pairs(tu_path("t"), IGR_ENC_TSV, 3);
	b = tu_read(tu_path("t"), &n);
	/* TSV streams are written as 1.2, the version of the trailer */
	ck_assert_msg(strstr((char *)b, "#igraph features 1.2\n") ==
			      (char *)b,
		      "%s", b);
	ck_assert_ptr_nonnull(strstr(
		(char *)b, "\nuser\titem\tlabel\tui_view_n\tui_cart_age\t"
			   "item.pop_1d\tgraph_score\n"));
	/* pair 0: no label; pair 1: 11 = view|click|cart */
	ck_assert_ptr_nonnull(strstr((char *)b, "\n0\t0\t-\t0\tnan\t"));
	ck_assert_ptr_nonnull(strstr((char *)b, "\n0\t31\tview,click,cart\t"));
	free(b);
}
END_TEST

/* A TSV file written by hand (the names from the column line alone). */
START_TEST(features_tsv_by_hand)
{
	static const char good[] =
		"#igraph features 1.1\n"
		"user\titem\tlabel\ta\tb_2\n"
		"1\t2\tbuy,cart\t0.5\t-1\n"
		"3\t4\t-\tnan\t1e-3\n";
	igr_reader *r;
	igr_pair p;

	tu_write_sealed(tu_path("h"), good, sizeof good - 1);
	r = igr_reader_open(tu_path("h"), 0);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_reader_kind(r), IGR_KIND_FEATURES);
	ck_assert_uint_eq(igr_reader_header(r)->dim, 2);
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "features"),
			 "a,b_2");
	ck_assert_int_eq(igr_read_pair(r, &p), 1);
	ck_assert_uint_eq(p.user, 1);
	ck_assert_uint_eq(p.item, 2);
	ck_assert_uint_eq(p.label, (1u << IGR_BUY) | (1u << IGR_CART));
	ck_assert(p.v[0] == 0.5f && p.v[1] == -1.0f);
	ck_assert_int_eq(igr_read_pair(r, &p), 1);
	ck_assert_uint_eq(p.label, 0);
	ck_assert(isnan(p.v[0]) && p.v[1] == 1e-3f);
	ck_assert_int_eq(igr_read_pair(r, &p), 0);
	igr_reader_close(r);
}
END_TEST

static const struct {
	const char *text, *err;
} bad_tsv[] = {
	{ "#igraph features 1.1\nuser\titem\tlabel\n", "without feature" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\ta\n", "twice" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta b\n", "bad feature" },
	{ "#igraph features 1.1\nuser\titem\tlabel\titem\n",
	  "is a column name" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\t\n", "bad feature" },
	{ "#igraph features 1.1\n#meta\tfeatures\ta,c\n"
	  "user\titem\tlabel\ta\tb\n", "do not match" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\n1\t2\tbuyy\t1\n",
	  "bad label" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\n1\t2\tbuy,\t1\n",
	  "bad label" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\n1\t2\t-\t1\t2\n",
	  "expected 4 fields" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\n1\t2\t-\tx\n",
	  "bad value" },
	{ "#igraph features 1.1\nuser\titem\tlabel\ta\n1\t2\t-\t1",
	  "truncated" },
	{ "#igraph features 1.1\nitem\tuser\tlabel\ta\n", "do not match" },
};

START_TEST(features_bad_input)
{
	igr_reader *r;
	igr_pair p;
	int rc = 0;

	tu_write(tu_path("b"), bad_tsv[_i].text, strlen(bad_tsv[_i].text));
	r = igr_reader_open(tu_path("b"), IGR_KIND_FEATURES);
	if (r != NULL) {
		while ((rc = igr_read_pair(r, &p)) == 1)
			;
		igr_reader_close(r);
	}
	ck_assert_msg(r == NULL || rc < 0, "case %d accepted", _i);
	ck_assert_msg(strstr(igr_errmsg(), bad_tsv[_i].err) != NULL,
		      "case %d: '%s' lacks '%s'", _i, igr_errmsg(),
		      bad_tsv[_i].err);
}
END_TEST

/* A binary stream cut anywhere is an error, never a short valid one. */
START_TEST(features_truncated_binary)
{
	size_t n, cut;
	unsigned char *b;
	int fails = 0, tries = 0;

	write_pairs(tu_path("full"), IGR_ENC_BINARY, 50);
	b = tu_read(tu_path("full"), &n);
	for (cut = 0; cut < n; cut += (cut < 200 ? 1 : 7)) {
		igr_reader *r;
		igr_pair p;
		int rc = 0;
		tu_write(tu_path("cut"), b, cut);
		r = igr_reader_open(tu_path("cut"), IGR_KIND_FEATURES);
		if (r != NULL) {
			while ((rc = igr_read_pair(r, &p)) == 1)
				;
			igr_reader_close(r);
		}
		tries++;
		fails += r == NULL || rc < 0;
	}
	free(b);
	ck_assert_int_eq(fails, tries);
}
END_TEST

START_TEST(features_writer_checks)
{
	igr_writer *w;
	igr_pair p;
	float v[2] = { 1, 2 };
	static const char *const comma[2] = { "a,b", "c" };
	static const char *const dup[2] = { "a", "a" };
	static const char *const ok[2] = { "a", "b" };

	w = igr_writer_open(tu_path("w"), IGR_KIND_FEATURES, IGR_ENC_BINARY);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(igr_writer_set_features(w, 2, comma), -1);
	ck_assert_int_eq(igr_writer_set_features(w, 2, dup), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "twice"));
	ck_assert_int_eq(igr_writer_set_features(w, 2, ok), 0);
	p.user = 1;
	p.item = 2;
	p.label = 1u << IGR_NBEHAVIOR;
	p.v = v;
	ck_assert_int_eq(igr_write_pair(w, &p), -1);
	igr_writer_abort(w);
	/* no names: the header cannot be written */
	w = igr_writer_open(tu_path("w"), IGR_KIND_FEATURES, IGR_ENC_TSV);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(igr_writer_set_dim(w, 2), 0);
	p.label = 0;
	ck_assert_int_eq(igr_write_pair(w, &p), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "features"));
	igr_writer_abort(w);
	/* other kinds refuse names */
	w = igr_writer_open(tu_path("w"), IGR_KIND_VECTORS, IGR_ENC_TSV);
	ck_assert_int_eq(igr_writer_set_features(w, 2, ok), -1);
	igr_writer_abort(w);
}
END_TEST

/* A features stream is not a vectors stream (and the other way). */
START_TEST(features_kind_checks)
{
	igr_reader *r;

	write_pairs(tu_path("k"), IGR_ENC_BINARY, 2);
	r = igr_reader_open(tu_path("k"), IGR_KIND_VECTORS);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "got features"));
	ck_assert_int_eq(igr_kind_parse("features"), IGR_KIND_FEATURES);
	ck_assert_str_eq(igr_kind_name(IGR_KIND_FEATURES), "features");
}
END_TEST

/* ---- the TSV trailer (issue 12) ---------------------------------------- */

static const char trail_events[] =
	"#igraph events 1.2\n"
	"#meta\tschema\ttest\n"
	"ts\tuser\titem\tcategory\tbehavior\tvalue\n"
	"10\t1\t2\t3\tview\t1\n"
	"11\t1\t4\t-\tbuy\t2.5\n"
	"12\t5\t2\t3\tcart\t1\n";

/* Read every event of PATH, with --seal's leniency if UNSEALED: 0 at the
 * clean end (*N the records), or -1 with the error set. */
static int read_all_events(const char *path, int unsealed, uint64_t *n,
			   int *trailer_ok)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	igr_event e;
	int rc;

	if (r == NULL)
		return -1;
	if (unsealed)
		igr_reader_allow_unsealed(r);
	while ((rc = igr_read_event(r, &e)) == 1)
		;
	if (n != NULL)
		*n = igr_reader_records(r);
	if (trailer_ok != NULL)
		*trailer_ok = igr_reader_trailer_ok(r);
	/* reading on after the end stays at the end */
	if (rc == 0)
		ck_assert_int_eq(igr_read_event(r, &e), 0);
	igr_reader_close(r);
	return rc;
}

/* The writer ends every TSV stream with "#end\tRECORDS\tCRC", the CRC-32
 * of every byte before the trailer line; an empty stream too. */
START_TEST(tsv_trailer_written)
{
	for (int nrec = 0; nrec <= 3; nrec += 3) {
		igr_writer *w = igr_writer_open(tu_path("w"), IGR_KIND_EVENTS,
						IGR_ENC_TSV);
		igr_event e = { 10, 1, 2, 3, IGR_VIEW, 1 };
		unsigned char *b;
		char want[64], *last;
		size_t n;

		ck_assert_ptr_nonnull(w);
		for (int i = 0; i < nrec; i++)
			ck_assert_int_eq(igr_write_event(w, &e), 0);
		ck_assert_int_eq(igr_writer_close(w), 0);
		b = tu_read(tu_path("w"), &n);
		ck_assert_msg(strncmp((char *)b, "#igraph events 1.2\n", 19) == 0,
			      "%s", b);
		ck_assert(n > 0 && b[n - 1] == '\n');
		b[n - 1] = '\0';
		last = strrchr((char *)b, '\n') + 1;
		snprintf(want, sizeof want, "#end\t%d\t%08lx", nrec,
			 crc32(0L, b, (uInt)(last - (char *)b)));
		ck_assert_str_eq(last, want);
		free(b);
		ck_assert_int_eq(read_all_events(tu_path("w"), 0, NULL, NULL), 0);
	}
}
END_TEST

/* A hand-written stream with a correct trailer reads; tu_sealed agrees
 * with the writer byte for byte. */
START_TEST(tsv_trailer_by_hand)
{
	igr_writer *w;
	igr_reader *r;
	igr_event e;
	size_t n, m;
	unsigned char *b;
	char *hand;
	uint64_t recs;
	int ok;

	tu_write_sealed(tu_path("h"), trail_events, sizeof trail_events - 1);
	ck_assert_msg(read_all_events(tu_path("h"), 0, &recs, &ok) == 0, "%s",
		      igr_errmsg());
	ck_assert_uint_eq(recs, 3);
	ck_assert_int_eq(ok, 1);
	r = igr_reader_open(tu_path("h"), IGR_KIND_EVENTS);
	w = igr_writer_open(tu_path("w"), IGR_KIND_EVENTS, IGR_ENC_TSV);
	ck_assert_int_eq(igr_writer_set_meta(w, "schema", "test"), 0);
	while (igr_read_event(r, &e) == 1)
		ck_assert_int_eq(igr_write_event(w, &e), 0);
	igr_reader_close(r);
	ck_assert_int_eq(igr_writer_close(w), 0);
	b = tu_read(tu_path("w"), &n);
	hand = tu_sealed(trail_events, sizeof trail_events - 1, &m);
	ck_assert_uint_eq(n, m);
	ck_assert(memcmp(b, hand, n) == 0);
	free(b);
	free(hand);
}
END_TEST

/* Every way a TSV stream can lack a valid trailer, each with its message;
 * and what igr_reader_allow_unsealed() (igraph-cat --seal) accepts. */
static const struct {
	const char *tail;   /* after trail_events; NULL: no trailer at all */
	int drop;           /* records to cut off the end of trail_events */
	const char *err;    /* message part */
	int unsealed_ok;    /* accepted with allow_unsealed */
} trailer_cases[] = {
	{ NULL, 0, "truncated TSV stream (no '#end' trailer after 3 records",
	  1 },
	{ NULL, 2, "truncated TSV stream (no '#end' trailer after 1 records",
	  1 },
	{ "#end\t2\t00000000\n", 0, "damaged or edited: 3 records, trailer "
	  "says 2", 1 },
	{ "#end\t3\t00000000\n", 0, "checksum mismatch", 1 },
	{ "#end\t3\t0000000\n", 0, "bad '#end' trailer", 1 },
	{ "#end\t3\t0000000G\n", 0, "bad '#end' trailer", 1 },
	{ "#end\t-3\t00000000\n", 0, "bad '#end' trailer", 1 },
	{ "#end\n", 0, "bad '#end' trailer", 1 },
	{ "#end\t3\t00000000", 0, "last line has no newline", 0 },
	{ "#end\t3\t00000000\r\n", 0, "CRLF", 0 },
	{ "#endx\n", 0, "expected 6 fields, found 1", 0 },
};

static char *trailer_case(int i, size_t *len)
{
	size_t n = sizeof trail_events - 1, k;
	char *s;

	for (k = 0; k < (size_t)trailer_cases[i].drop; k++) {
		n--;
		while (trail_events[n - 1] != '\n')
			n--;
	}
	s = malloc(n + 64);
	ck_assert_ptr_nonnull(s);
	memcpy(s, trail_events, n);
	if (trailer_cases[i].tail != NULL) {
		strcpy(s + n, trailer_cases[i].tail);
		n += strlen(trailer_cases[i].tail);
	}
	*len = n;
	return s;
}

START_TEST(tsv_trailer_refused)
{
	size_t n;
	char *text = trailer_case(_i, &n);
	uint64_t recs;
	int ok = -1;

	tu_write(tu_path("t"), text, n);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_msg(strstr(igr_errmsg(), trailer_cases[_i].err) != NULL,
		      "case %d: %s", _i, igr_errmsg());
	if (trailer_cases[_i].unsealed_ok) {
		ck_assert_msg(strstr(igr_errmsg(), "igraph-cat --seal") != NULL,
			      "%s", igr_errmsg());
		ck_assert_msg(read_all_events(tu_path("t"), 1, &recs, &ok) == 0,
			      "case %d: %s", _i, igr_errmsg());
		ck_assert_uint_eq(recs, 3 - (uint64_t)trailer_cases[_i].drop);
		ck_assert_int_eq(ok, 0);
	} else {
		ck_assert_int_eq(read_all_events(tu_path("t"), 1, NULL, NULL),
				 -1);
	}
	free(text);
}
END_TEST

/* A record changed, removed or added under a correct-looking trailer;
 * content after the trailer; an old stream; CRLF anywhere. */
START_TEST(tsv_trailer_edits)
{
	size_t n;
	char *good = tu_sealed(trail_events, sizeof trail_events - 1, &n);
	char *bad = malloc(2 * n + 128), *p; /* room for two streams */
	uint64_t recs;
	int ok;

	ck_assert_ptr_nonnull(bad);
	/* a value changed: same count, checksum mismatch */
	memcpy(bad, good, n);
	p = strstr(bad, "\tbuy\t2.5");
	p[7] = '6';
	tu_write(tu_path("t"), bad, n);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "checksum mismatch"));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), ":7:"));
	/* a header line changed (the checksum covers the header too) */
	memcpy(bad, good, n);
	strstr(bad, "test")[0] = 'b';
	tu_write(tu_path("t"), bad, n);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "checksum mismatch"));
	/* content after the trailer, even with --seal */
	memcpy(bad, good, n);
	strcpy(bad + n, "13\t1\t2\t3\tview\t1\n");
	tu_write(tu_path("t"), bad, strlen(bad));
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "after the '#end' trailer"));
	ck_assert_int_eq(read_all_events(tu_path("t"), 1, NULL, NULL), -1);
	memcpy(bad + n, good, n);
	tu_write(tu_path("t"), bad, 2 * n);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "after the '#end' trailer"));
	/* an old stream (1.0: before the trailer) is told how to convert */
	memcpy(bad, trail_events, sizeof trail_events - 1);
	memcpy(bad, "#igraph events 1.0", 18);
	tu_write(tu_path("t"), bad, sizeof trail_events - 1);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "TSV stream 1.0 has no "
					"'#end' trailer"));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "convert it with "
					"'igraph-cat --seal FILE > NEW'"));
	ck_assert_int_eq(read_all_events(tu_path("t"), 1, &recs, &ok), 0);
	ck_assert_uint_eq(recs, 3);
	ck_assert_int_eq(ok, 0);
	/* ... and with a trailer it reads like any other */
	tu_write_sealed(tu_path("t"), bad, sizeof trail_events - 1);
	ck_assert_int_eq(read_all_events(tu_path("t"), 0, NULL, NULL), 0);
	/* CRLF in the header or the records */
	tu_write(tu_path("t"), "#igraph events 1.2\r\n", 20);
	ck_assert_ptr_null(igr_reader_open(tu_path("t"), 0));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "CRLF"));
	p = strstr(good, "view\t1\n");
	memcpy(bad, good, (size_t)(p - good) + 6);
	strcpy(bad + (p - good) + 6, "\r\n");
	tu_write(tu_path("t"), bad, strlen(bad));
	ck_assert_int_eq(read_all_events(tu_path("t"), 1, NULL, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "CRLF"));
	free(good);
	free(bad);
}
END_TEST

/* The batched edge reader requires the trailer too. */
START_TEST(tsv_trailer_batch)
{
	igr_edge buf[4096];
	igr_reader *r;
	unsigned char *b;
	size_t n, cut;
	ssize_t got;

	write_chunks(tu_path("g"), IGR_ENC_TSV);
	b = tu_read(tu_path("g"), &n);
	/* drop the trailer, or the trailer and half the records: cut at a
	 * line boundary */
	cut = n - 1;
	while (b[cut - 1] != '\n')
		cut--;
	for (int k = 0; k < 2; k++) {
		tu_write(tu_path("cut"), b, cut);
		r = igr_reader_open(tu_path("cut"), IGR_KIND_GRAPH);
		ck_assert_ptr_nonnull(r);
		while ((got = igr_read_edges(r, buf, 4096)) > 0)
			;
		ck_assert_int_eq(got, -1);
		ck_assert_msg(strstr(igr_errmsg(), "no '#end' trailer") != NULL,
			      "%s", igr_errmsg());
		igr_reader_close(r);
		cut /= 2;
		while (b[cut - 1] != '\n')
			cut--;
	}
	free(b);
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, events_round_trip, 0, 2);
	tcase_add_loop_test(tc, items_round_trip, 0, 2);
	tcase_add_test(tc, tokens);
	tcase_add_test(tc, items_hash_survives_tsv);
	tcase_add_loop_test(tc, graph_round_trip, 0, 2);
	tcase_add_loop_test(tc, vectors_round_trip, 0, 2);
	tcase_add_loop_test(tc, scores_round_trip, 0, 2);
	tcase_add_test(tc, binary_truncated_anywhere);
	tcase_add_test(tc, binary_corruption);
	tcase_add_test(tc, newer_major_refused);
	tcase_add_test(tc, newer_minor_extra_columns);
	tcase_add_test(tc, tsv_errors);
	tcase_add_test(tc, decimal_comma_locale);
	tcase_add_test(tc, external_ids);
	tcase_add_test(tc, gzip_stream);
	tcase_add_test(tc, atomic_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("batch");
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_loop_test(tc, batch_round_trip, 0, 2);
	tcase_add_test(tc, batch_truncated_and_wrong_kind);
	tcase_add_test(tc, batch_raw_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("features");
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, features_round_trip, 0, 2);
	tcase_add_test(tc, features_tsv_layout);
	tcase_add_test(tc, features_tsv_by_hand);
	tcase_add_loop_test(tc, features_bad_input, 0,
			    (int)(sizeof bad_tsv / sizeof bad_tsv[0]));
	tcase_add_test(tc, features_truncated_binary);
	tcase_add_test(tc, features_writer_checks);
	tcase_add_test(tc, features_kind_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("trailer");
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tsv_trailer_written);
	tcase_add_test(tc, tsv_trailer_by_hand);
	tcase_add_loop_test(tc, tsv_trailer_refused, 0,
			    (int)(sizeof trailer_cases /
				  sizeof trailer_cases[0]));
	tcase_add_test(tc, tsv_trailer_edits);
	tcase_add_test(tc, tsv_trailer_batch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(stream_suite());
}
