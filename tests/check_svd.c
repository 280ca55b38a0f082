/* check_svd.c - the randomised truncated SVD (svd.c)
 * reconstructs a full-rank matrix and refuses an impossible rank. */
#include <math.h>

#include "error.h"
#include "rand.h"
#include "sparse.h"
#include "svd.h"

#include "testutil.h"

START_TEST(svd_reconstructs)
{
	igr_csr *a = tu_random_csr(40, 15, 0.3, 9), *at = igr_csr_transpose(a);
	igr_svd_opts o = { 15, 8, 3, 11 };
	float s[15], v[15 * 15], u[40 * 15];
	uint32_t i, j, c;

	ck_assert_int_eq(igr_svd_sparse(a, at, &o, s, v, u), 0);
	for (c = 1; c < 15; c++)
		ck_assert(s[c] <= s[c - 1] + 1e-5);
	/* full rank: A = U S V^T */
	for (i = 0; i < 40; i++)
		for (j = 0; j < 15; j++) {
			double x = 0;

			for (c = 0; c < 15; c++)
				x += u[i * 15 + c] * s[c] * v[j * 15 + c];
			ck_assert_msg(fabs(x - tu_dense_at(a, i, j)) < 1e-3,
				      "(%u, %u): %g vs %g", i, j, x,
				      tu_dense_at(a, i, j));
		}
	/* a rank above min(m, n) is refused */
	o.k = 16;
	ck_assert_int_eq(igr_svd_sparse(a, at, &o, s, v, u), -1);
	igr_csr_free(a);
	igr_csr_free(at);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("svd");
	TCase *tc = tcase_create("svd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, svd_reconstructs);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
