/* check_numtext.c - numbers as text: round trips, strict parsing,
 * integer text (the decimal-comma locale is tested with the streams in
 * check_stream.c). */
#include "testutil.h"

#include "numtext.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

START_TEST(float_text)
{
	char buf[32];
	float vals[] = { 0.1f, 1.0f, 3.4028235e38f, 1e-45f, -0.0f, 123456.7f,
			 0.333333343f, 16777217.0f };
	size_t i;
	double d;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		float back;
		int n = igr_fmt_float(buf, vals[i]);
		ck_assert_int_eq(igr_parse_float(buf, (size_t)n, &back), 0);
		ck_assert_msg(back == vals[i] && signbit(back) ==
				      signbit(vals[i]),
			      "%s", buf);
	}
	igr_fmt_float(buf, 0.1f);
	ck_assert_str_eq(buf, "0.1"); /* short where exact */
	igr_fmt_double(buf, 0.1);
	ck_assert_str_eq(buf, "0.1");
	igr_fmt_double(buf, 1.0 / 3);
	ck_assert_int_eq(igr_parse_double(buf, strlen(buf), &d), 0);
	ck_assert(d == 1.0 / 3);
	ck_assert_int_eq(igr_parse_float(" 1", 2, &vals[0]), -1);
	ck_assert_int_eq(igr_parse_float("1x", 2, &vals[0]), -1);
	ck_assert_int_eq(igr_parse_float("", 0, &vals[0]), -1);
}
END_TEST

START_TEST(integers)
{
	uint64_t u;
	int64_t s;

	ck_assert_int_eq(igr_parse_u64("18446744073709551615", 20, UINT64_MAX,
				       &u), 0);
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(igr_parse_u64("18446744073709551616", 20, UINT64_MAX,
				       &u), -1);
	ck_assert_int_eq(igr_parse_u64("+1", 2, 10, &u), -1);
	ck_assert_int_eq(igr_parse_u64("11", 2, 10, &u), -1);
	ck_assert_int_eq(igr_parse_i64("-9223372036854775808", 20, &s), 0);
	ck_assert(s == INT64_MIN);
	ck_assert_int_eq(igr_parse_i64("9223372036854775808", 19, &s), -1);
	ck_assert_int_eq(igr_parse_i64("-", 1, &s), -1);
}
END_TEST

START_TEST(integer_text)
{
	char buf[24];
	int n;

	n = igr_fmt_u64(buf, 0);
	ck_assert_int_eq(n, 1);
	ck_assert(memcmp(buf, "0", 1) == 0);
	n = igr_fmt_u64(buf, UINT64_MAX);
	ck_assert_int_eq(n, 20);
	ck_assert(memcmp(buf, "18446744073709551615", 20) == 0);
	n = igr_fmt_i64(buf, INT64_MIN);
	ck_assert_int_eq(n, 20);
	ck_assert(memcmp(buf, "-9223372036854775808", 20) == 0);
	n = igr_fmt_i64(buf, -7);
	ck_assert_int_eq(n, 2);
	ck_assert(memcmp(buf, "-7", 2) == 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("numtext");
	TCase *tc = tcase_create("numtext");

	tcase_add_test(tc, float_text);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, integer_text);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
