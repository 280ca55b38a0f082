/* check_sparse.c - sparse matrix products (sparse.c) against
 * dense arithmetic. */
#include <math.h>

#include "error.h"
#include "rand.h"
#include "sparse.h"

#include "testutil.h"

START_TEST(spmm_matches_dense)
{
	static const size_t ks[] = { 1, 5, 16, 33, 64, 80, 130 };
	igr_csr *a = tu_random_csr(37, 23, 0.2, 3);
	size_t q;

	for (q = 0; q < sizeof ks / sizeof ks[0]; q++) {
		size_t k = ks[q], i, j, l;
		float *x = malloc(23 * k * sizeof *x);
		float *y = malloc(37 * k * sizeof *y);

		for (i = 0; i < 23 * k; i++)
			x[i] = (float)((int)(i * 7919 % 13) - 6) / 4;
		for (i = 0; i < 37 * k; i++)
			y[i] = 1;
		igr_spmm(a, x, k, 2, 0.5f, y);
		for (i = 0; i < 37; i++)
			for (l = 0; l < k; l++) {
				double s = 0;

				for (j = 0; j < 23; j++)
					s += tu_dense_at(a, (uint32_t)i,
						      (uint32_t)j) * x[j * k + l];
				ck_assert_msg(fabs(y[i * k + l] - (2 * s + 0.5)) <
						      1e-4,
					      "k %zu (%zu, %zu): %g vs %g", k, i,
					      l, y[i * k + l], 2 * s + 0.5);
			}
		free(x);
		free(y);
	}
	igr_csr_free(a);
}
END_TEST

START_TEST(gram_row_matches_dense)
{
	igr_csr *a = tu_random_csr(30, 12, 0.25, 5), *at = igr_csr_transpose(a);
	igr_gram_ws *ws = igr_gram_ws_new(30);
	uint32_t idx[3] = { 1, 4, 9 };
	float val[3] = { 1, 2, -0.5f }, y[12];
	uint32_t i, j, u;

	ck_assert_ptr_nonnull(ws);
	memset(y, 0, sizeof y);
	igr_gram_row(a, at, idx, val, 3, 1.5f, y, ws);
	for (j = 0; j < 12; j++) {
		double s = 0;

		for (i = 0; i < 3; i++)
			for (u = 0; u < 30; u++)
				s += val[i] * tu_dense_at(a, u, idx[i]) *
				     tu_dense_at(a, u, j);
		ck_assert_msg(fabs(y[j] - 1.5 * s) < 1e-4, "column %u", j);
	}
	/* the workspace is clean again */
	for (u = 0; u < 30; u++)
		ck_assert(ws->acc[u] == 0);
	igr_gram_ws_free(ws);
	igr_csr_free(a);
	igr_csr_free(at);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sparse");
	TCase *tc = tcase_create("sparse");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, spmm_matches_dense);
	tcase_add_test(tc, gram_row_matches_dense);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
