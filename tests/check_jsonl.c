/* check_jsonl.c - JSON lines (jsonl.h): numbers kept exact as text,
 * malformed lines refused, strings untouched. */
#include "testutil.h"

#include "error.h"
#include "jsonl.h"

START_TEST(jsonl_exact_numbers)
{
	igr_jsonl *j = igr_jsonl_new();
	const char *why = NULL;
	const char *line = "{\"user\": 12345678901234567891, \"ts\": 1.5e9, "
			   "\"ctx\": {\"item\": \"a\\\"b\"}, \"n\": null, "
			   "\"b\": true, \"neg\": -0.25}";
	igr_field f;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(igr_jsonl_parse(j, line, strlen(line), &why), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "user", &f, &why), 1);
	ck_assert_int_eq((int)f.len, 20);
	ck_assert_int_eq(memcmp(f.p, "12345678901234567891", 20), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "ts", &f, &why), 1);
	ck_assert_int_eq(memcmp(f.p, "1.5e9", 5), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "ctx.item", &f, &why), 1);
	ck_assert_int_eq((int)f.len, 3);
	ck_assert_int_eq(memcmp(f.p, "a\"b", 3), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "n", &f, &why), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "absent", &f, &why), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "ctx.absent", &f, &why), 0);
	ck_assert_int_eq(igr_jsonl_get(j, "b", &f, &why), -1);
	ck_assert_int_eq(igr_jsonl_get(j, "ctx", &f, &why), -1);
	ck_assert_int_eq(igr_jsonl_get(j, "neg", &f, &why), 1);
	ck_assert_int_eq(memcmp(f.p, "-0.25", 5), 0);
	igr_jsonl_free(j);
}
END_TEST

START_TEST(jsonl_refuses)
{
	static const char *const bad[] = {
		"{\"a\": 01}", "{\"a\": 1.}", "{\"a\": -}", "{\"a\": 1e}",
		"{\"a\": .5}", "{\"a\": \"x\\u0000y\"}", "[1, 2]", "{\"a\": 1",
		"{\"a\" 1}", "nul", "{\"a\": 1x}", "\"str\"",
		/* issue 12: content after the object */
		"{\"a\": 1} trailing", "{\"a\": 1}{\"b\": 2}", "{} x",
		"{\"a\": 1} 2", "{\"a\": 1}\t,",
	};
	igr_jsonl *j = igr_jsonl_new();
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = NULL;
		ck_assert_msg(igr_jsonl_parse(j, bad[i], strlen(bad[i]), &why) ==
				      -1,
			      "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	igr_jsonl_free(j);
}
END_TEST

START_TEST(jsonl_trailing_space_ok)
{
	static const char *const good[] = {
		"{\"a\": 1}   ", "{\"a\": 1}\t", " {\"a\": 1} \r",
	};
	igr_jsonl *j = igr_jsonl_new();
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *why = NULL;
		ck_assert_msg(igr_jsonl_parse(j, good[i], strlen(good[i]),
					      &why) == 0,
			      "refused %s: %s", good[i], why ? why : "");
	}
	{
		const char *why = NULL;
		const char *l = "{\"a\": 1} x";
		ck_assert_int_eq(igr_jsonl_parse(j, l, strlen(l), &why), -1);
		ck_assert_str_eq(why, "content after the JSON object");
	}
	igr_jsonl_free(j);
}
END_TEST

START_TEST(jsonl_strings_untouched)
{
	/* digits inside strings, escapes before quotes */
	char out[256];
	size_t n;
	const char *why;
	const char *in = "{\"k\\\"1\": \"12\\\\\", \"v\": [1,-2]}";

	ck_assert_int_eq(igr_jsonl_quote_numbers(in, strlen(in), out, &n, &why),
			 0);
	ck_assert_str_eq(out, "{\"k\\\"1\": \"12\\\\\", \"v\": [\"1\",\"-2\"]}");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("jsonl");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, jsonl_exact_numbers);
	tcase_add_test(tc, jsonl_refuses);
	tcase_add_test(tc, jsonl_trailing_space_ok);
	tcase_add_test(tc, jsonl_strings_untouched);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
