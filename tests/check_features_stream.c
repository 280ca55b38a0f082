/* check_features_stream.c - the `features` stream kind (stream 1.1): round
 * trips in both encodings, the names as TSV columns, labels, truncation,
 * bad names and bad records. */
#include "testutil.h"

#include "error.h"
#include "stream.h"

#include <math.h>

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

START_TEST(round_trip)
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
START_TEST(tsv_layout)
{
	size_t n;
	unsigned char *b;

	write_pairs(tu_path("t"), IGR_ENC_TSV, 3);
	b = tu_read(tu_path("t"), &n);
	ck_assert_msg(strstr((char *)b, "#igraph features 1.1\n") ==
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
START_TEST(tsv_by_hand)
{
	static const char good[] =
		"#igraph features 1.1\n"
		"user\titem\tlabel\ta\tb_2\n"
		"1\t2\tbuy,cart\t0.5\t-1\n"
		"3\t4\t-\tnan\t1e-3\n";
	igr_reader *r;
	igr_pair p;

	tu_write(tu_path("h"), good, sizeof good - 1);
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

START_TEST(bad_input)
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
START_TEST(truncated_binary)
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

START_TEST(writer_checks)
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
START_TEST(kind_checks)
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

int main(void)
{
	Suite *s = suite_create("features_stream");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, round_trip, 0, 2);
	tcase_add_test(tc, tsv_layout);
	tcase_add_test(tc, tsv_by_hand);
	tcase_add_loop_test(tc, bad_input, 0,
			    (int)(sizeof bad_tsv / sizeof bad_tsv[0]));
	tcase_add_test(tc, truncated_binary);
	tcase_add_test(tc, writer_checks);
	tcase_add_test(tc, kind_checks);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
