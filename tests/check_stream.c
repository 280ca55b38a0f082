/* check_stream.c - the record stream library: round trips of every kind in
 * both encodings, truncation anywhere, corruption, version refusal, a
 * decimal-comma locale, external ids. */
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

	tu_write(t, tsv, strlen(tsv));
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
	return s;
}

int main(void)
{
	return tu_run(stream_suite());
}
