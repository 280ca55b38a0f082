/* check_weighthist.c - weight distributions (weighthist.h): exact
 * count/sum/min/max, quantiles within a bin, octave counts. */
#include "testutil.h"

#include "weighthist.h"

#include <math.h>

START_TEST(empty)
{
	igr_weighthist h;
	uint64_t cnt[256];
	int e;

	memset(&h, 0, sizeof h);
	ck_assert(igr_weighthist_quantile(&h, 0.5) == 0);
	igr_weighthist_octaves(&h, cnt);
	for (e = 0; e < 256; e++)
		ck_assert_uint_eq(cnt[e], 0);
	igr_weighthist_release(&h);
	ck_assert_ptr_null(h.bin);
}
END_TEST

START_TEST(quantiles_and_octaves)
{
	/* 2^(-i/100), i = 0..999: the q-quantile is 2^(-(1-q)*10) */
	igr_weighthist h;
	uint64_t cnt[256], total = 0;
	int i, e;

	memset(&h, 0, sizeof h);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(igr_weighthist_add(&h, (float)exp2(-i / 100.0)),
				 0);
	ck_assert_int_eq(igr_weighthist_add(&h, 0), 0);
	ck_assert_uint_eq(h.n, 1001);
	ck_assert(h.min == 0);
	ck_assert(h.max == 1);
	ck_assert_float_eq_tol(igr_weighthist_quantile(&h, 0.5), exp2(-5.0),
			       0.032 * exp2(-5.0));
	ck_assert(igr_weighthist_quantile(&h, 0) == 0);
	ck_assert(igr_weighthist_quantile(&h, 1) == 1);
	igr_weighthist_octaves(&h, cnt);
	for (e = 0; e < 256; e++)
		total += cnt[e];
	ck_assert_uint_eq(total, 1001);
	ck_assert_uint_eq(cnt[0], 1);     /* the zero */
	ck_assert_uint_eq(cnt[127], 1);   /* [1, 2): 2^0 */
	ck_assert_uint_eq(cnt[126], 100); /* [1/2, 1) */
	ck_assert(igr_weighthist_octave_lo(0) == 0);
	ck_assert(igr_weighthist_octave_lo(126) == 0.5);
	igr_weighthist_release(&h);
	ck_assert_ptr_null(h.bin);
	ck_assert_uint_eq(h.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("weighthist");
	TCase *tc = tcase_create("weighthist");

	tcase_add_test(tc, empty);
	tcase_add_test(tc, quantiles_and_octaves);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
