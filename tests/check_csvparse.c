/* check_csvparse.c - delimited records (csvparse.h): the fast path and
 * libcsv, quotes, CRLF and BOM, bad and unterminated quotes, peeking. */
#include "testutil.h"

#include "csvparse.h"
#include "error.h"
#include "io.h"

static igr_csv *csv_of(const char *text, int delim, int quote, igr_in **in)
{
	igr_csv *c;

	tu_write(tu_path("csv"), text, strlen(text));
	*in = igr_in_open(tu_path("csv"));
	ck_assert_ptr_nonnull(*in);
	c = igr_csv_new(*in, delim, quote);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void field_is(const igr_csvrec *r, size_t i, const char *want)
{
	ck_assert_msg(i < r->nf, "field %zu of %zu", i, r->nf);
	ck_assert_msg(r->f[i].len == strlen(want) &&
			      memcmp(r->f[i].p, want, r->f[i].len) == 0,
		      "field %zu is '%.*s', want '%s'", i, (int)r->f[i].len,
		      r->f[i].p, want);
}

START_TEST(csv_plain)
{
	igr_in *in;
	igr_csv *c = csv_of("a,b,,c\n,\n\nx\n", ',', '"', &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.nf, 4);
	field_is(&r, 0, "a");
	field_is(&r, 2, "");
	field_is(&r, 3, "c");
	ck_assert_uint_eq(r.lineno, 1);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.nf, 2);
	field_is(&r, 0, "");
	field_is(&r, 1, "");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.lineno, 4); /* line 3 is blank */
	field_is(&r, 0, "x");
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	ck_assert_uint_eq(igr_csv_blank_lines(c), 1);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_quoted)
{
	igr_in *in;
	igr_csv *c = csv_of("1,\"a,b\",3\n\"x\"\"y\",\"\"\n"
			    "7,\"two\nlines\",9\n10,11,12\n", ',', '"', &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_null(r.bad);
	ck_assert_uint_eq(r.nf, 3);
	field_is(&r, 1, "a,b");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	field_is(&r, 0, "x\"y");
	field_is(&r, 1, "");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.lineno, 3);
	ck_assert_int_eq(r.nlines, 2);
	field_is(&r, 1, "two\nlines");
	ck_assert_uint_eq(r.rawlen, strlen("7,\"two\nlines\",9"));
	ck_assert_int_eq(memcmp(r.raw, "7,\"two\nlines\",9", r.rawlen), 0);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.lineno, 5);
	field_is(&r, 2, "12");
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_crlf_and_bom)
{
	igr_in *in;
	igr_csv *c = csv_of("\xef\xbb\xbfh1,h2\r\na\rb,\"q\r\nr\"\r\n", ',', '"',
			    &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	field_is(&r, 0, "h1");
	field_is(&r, 1, "h2");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	field_is(&r, 0, "a\rb"); /* a bare CR is data */
	field_is(&r, 1, "q\nr"); /* CRLF inside quotes becomes LF */
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_bad_quote_costs_one_line)
{
	igr_in *in;
	igr_csv *c = csv_of("a,b\"c,d\n\"x\"y,z\nok,1\n", ',', '"', &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_nonnull(r.bad);
	ck_assert_uint_eq(r.lineno, 1);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_nonnull(r.bad);
	ck_assert_uint_eq(r.lineno, 2);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_null(r.bad);
	ck_assert_uint_eq(r.lineno, 3);
	field_is(&r, 0, "ok");
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_unterminated_quote_resumes)
{
	igr_in *in;
	igr_csv *c = csv_of("1,\"abc\n2,3\n4,5", ',', '"', &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_nonnull(r.bad);
	ck_assert_uint_eq(r.lineno, 1);
	ck_assert_uint_eq(r.rawlen, 6);
	ck_assert_int_eq(memcmp(r.raw, "1,\"abc", 6), 0);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_null(r.bad);
	ck_assert_uint_eq(r.lineno, 2);
	field_is(&r, 1, "3");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.lineno, 3);
	field_is(&r, 1, "5");
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_quote_line_limit)
{
	/* a quote left open for longer than the limit: one bad line, then
	 * every following line read normally */
	char *text = malloc(200 * 8 + 16);
	size_t n = 0;
	igr_in *in;
	igr_csv *c;
	igr_csvrec r;
	int i;

	n += (size_t)sprintf(text, "x,\"open\n");
	for (i = 0; i < 150; i++)
		n += (size_t)sprintf(text + n, "%d,%d\n", i, i);
	c = csv_of(text, ',', '"', &in);
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_ptr_nonnull(r.bad);
	for (i = 0; i < 150; i++) {
		ck_assert_int_eq(igr_csv_next(c, &r), 1);
		ck_assert_ptr_null(r.bad);
		ck_assert_uint_eq(r.lineno, (uint64_t)i + 2);
		ck_assert_uint_eq(r.nf, 2);
	}
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	igr_csv_free(c);
	igr_in_close(in);
	free(text);
}
END_TEST

START_TEST(csv_peek_then_read)
{
	igr_in *in;
	igr_csv *c = csv_of("\n\nh1;h2\nx;y\n", ',', '"', &in);
	igr_csvrec r;
	const char *line;
	size_t len;

	ck_assert_int_eq(igr_csv_peek_line(c, &line, &len), 1);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(line, "h1;h2", 5), 0);
	ck_assert_int_eq(igr_csv_peek_line(c, &line, &len), 1);
	ck_assert_int_eq(memcmp(line, "h1;h2", 5), 0);
	igr_csv_set_dialect(c, ';', '"');
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.lineno, 3);
	field_is(&r, 1, "h2");
	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	field_is(&r, 0, "x");
	ck_assert_int_eq(igr_csv_next(c, &r), 0);
	ck_assert_uint_eq(igr_csv_blank_lines(c), 2);
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

START_TEST(csv_no_quote_mode)
{
	igr_in *in;
	igr_csv *c = csv_of("a\t\"b\tc\"\n", '\t', IGR_CSV_NOQUOTE, &in);
	igr_csvrec r;

	ck_assert_int_eq(igr_csv_next(c, &r), 1);
	ck_assert_uint_eq(r.nf, 3);
	field_is(&r, 1, "\"b");
	igr_csv_free(c);
	igr_in_close(in);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csvparse");
	TCase *tc = tcase_create("csvparse");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, csv_plain);
	tcase_add_test(tc, csv_quoted);
	tcase_add_test(tc, csv_crlf_and_bom);
	tcase_add_test(tc, csv_bad_quote_costs_one_line);
	tcase_add_test(tc, csv_unterminated_quote_resumes);
	tcase_add_test(tc, csv_quote_line_limit);
	tcase_add_test(tc, csv_peek_then_read);
	tcase_add_test(tc, csv_no_quote_mode);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
