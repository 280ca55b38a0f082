/* check_pseudo.c - pseudonyms (pseudo.h): HMAC-SHA256 against RFC 4231,
 * short keys refused. */
#include "testutil.h"

#include "error.h"
#include "pseudo.h"

START_TEST(pseudo_hmac)
{
	/* RFC 4231, test case 2 is too short a key for us; test case 1:
	 * key = 20 bytes 0x0b, data "Hi There" */
	unsigned char key[20];
	char out[IGR_PSEUDO_LEN + 1];
	igr_pseudo *ps;

	memset(key, 0x0b, sizeof key);
	ps = igr_pseudo_new(key, sizeof key);
	ck_assert_ptr_nonnull(ps);
	igr_pseudo_id(ps, "Hi There", 8, out);
	ck_assert_str_eq(out, "b0344c61d8db38535ca8afceaf0bf12b");
	/* the context is reusable */
	igr_pseudo_id(ps, "Hi There", 8, out);
	ck_assert_str_eq(out, "b0344c61d8db38535ca8afceaf0bf12b");
	igr_pseudo_free(ps);
	ck_assert_ptr_null(igr_pseudo_new("short", 5));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "too short"));
	ck_assert_ptr_null(igr_pseudo_open("/nonexistent/key"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pseudo");
	TCase *tc = tcase_create("pseudo");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, pseudo_hmac);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
