/* check_svd.c - the randomised truncated SVD (svd.c)
 * reconstructs a full-rank matrix and refuses an impossible rank; its
 * truncated values match a dense SVD's; a rank-deficient matrix (where
 * the one-pass re-orthonormalisation fails and the full one takes over)
 * is reconstructed. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "rand.h"
#include "sparse.h"
#include "svd.h"

#include "testutil.h"

START_TEST(svd_reconstructs)
{
	igr_csr *a = tu_random_csr(40, 15, 0.3, 9), *at = igr_csr_transpose(a);
	igr_svd_opts o = { 15, 8, 3, 11, 0 };
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

/* the singular values of A (m x n) by LAPACK's dense SVD, in double */
static void dense_values(const igr_csr *a, double *sv)
{
	uint32_t m = a->nrows, n = a->ncols, i, j;
	double *d = malloc((size_t)m * n * sizeof *d);
	double *sup = malloc((size_t)n * sizeof *sup);

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			d[(size_t)i * n + j] = tu_dense_at(a, i, j);
	ck_assert_int_eq(LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', m, n, d, n,
					sv, NULL, 1, NULL, 1, sup), 0);
	free(d);
	free(sup);
}

START_TEST(svd_truncated_values)
{
	/* a sparse 300 x 120 matrix (a slowly decaying spectrum): its top 10
	 * singular values to 1% relative with 4 iterations (the gf
	 * default) and to 0.1% with 8 */
	igr_csr *a = tu_random_csr(300, 120, 0.05, 3), *at = igr_csr_transpose(a);
	igr_svd_opts o = { 10, 20, 4, 5, 0 };
	double ref[120];
	float s[10], v[120 * 10];
	uint32_t c, it;

	dense_values(a, ref);
	for (it = 0; it < 2; it++) {
		o.iters = it == 0 ? 4 : 8;
		ck_assert_int_eq(igr_svd_sparse(a, at, &o, s, v, NULL), 0);
		for (c = 0; c < 10; c++)
			ck_assert_msg(fabs(s[c] - ref[c]) <
				      (o.iters == 4 ? 1e-2 : 1e-3) * ref[c],
				      "iters %u value %u: %g vs %g", o.iters,
				      c, s[c], ref[c]);
	}
	igr_csr_free(a);
	igr_csr_free(at);
}
END_TEST

/* The blocks the dense steps go by (igr_svd_block): powers of two from
 * 256 to 65,536, growing with the rows; cuts land on block boundaries
 * or the end; the item ranges of 1 to 64 ranks tile the rows in order.
 * And a matrix of several blocks a side (1,200 x 700: blocks of 256)
 * still gives a dense SVD's top values (to 1%: its spectrum is flat, so
 * 8 iterations get the second value to 0.12%; wrong block sums would be
 * far off). */
START_TEST(svd_blocks)
{
	static const uint64_t rows[] = { 0, 1, 255, 256, 20000, 29858,
					 1000000, 4000000, 100000000 };
	uint32_t prev = 0;

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		uint32_t b = igr_svd_block(rows[i]);
		ck_assert(b >= 256 && b <= 65536 && (b & (b - 1)) == 0);
		ck_assert(b >= prev);
		prev = b;
		ck_assert_uint_eq(igr_svd_cut(rows[i], rows[i]), rows[i]);
		for (uint64_t x = 0; x < rows[i]; x += rows[i] / 7 + 1) {
			uint64_t c = igr_svd_cut(rows[i], x);
			ck_assert(c <= rows[i]);
			ck_assert(c == rows[i] || c % b == 0);
			ck_assert(c + b / 2 >= x && x + b / 2 >= c);
		}
	}
	for (int n = 1; n <= 64; n++) {
		uint64_t at = 0, lo, hi;
		for (int r = 0; r < n; r++) {
			igr_svd_item_range(40981, r, n, &lo, &hi);
			ck_assert_uint_eq(lo, at);
			ck_assert(hi >= lo);
			ck_assert(hi == 40981 || hi % igr_svd_block(40981) == 0);
			at = hi;
		}
		ck_assert_uint_eq(at, 40981);
	}
	{
		igr_csr *a = tu_random_csr(1200, 700, 0.01, 4),
			*at2 = igr_csr_transpose(a);
		igr_svd_opts o = { 8, 24, 8, 5, 0 };
		double *ref = malloc(700 * sizeof *ref);
		float sv[8], *v = malloc(700 * 8 * sizeof *v);
		ck_assert(ref != NULL && v != NULL);
		dense_values(a, ref);
		ck_assert_int_eq(igr_svd_sparse(a, at2, &o, sv, v, NULL), 0);
		for (int c = 0; c < 8; c++)
			ck_assert_msg(fabs(sv[c] - ref[c]) < 1e-2 * ref[c],
				      "value %d: %g vs %g", c, sv[c], ref[c]);
		free(ref);
		free(v);
		igr_csr_free(a);
		igr_csr_free(at2);
	}
}
END_TEST

START_TEST(svd_rank_deficient)
{
	/* rank 3 (rows repeat three patterns), 12 test vectors: the
	 * products inside the iteration are singular, the one-pass Cholesky
	 * QR fails and Householder takes over; A is still U S V^T */
	uint32_t m = 60, n = 24, i, j, c, k = 8;
	uint32_t *r = malloc((size_t)m * n * sizeof *r);
	uint32_t *cc = malloc((size_t)m * n * sizeof *cc);
	float *w = malloc((size_t)m * n * sizeof *w);
	uint64_t nnz = 0;
	igr_csr *a, *at;
	igr_svd_opts o = { 8, 4, 3, 7, 0 };
	float s[8], v[24 * 8], u[60 * 8];

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			if ((i + j) % 3 == 0 || (i % 3 == 1 && j % 4 == 0)) {
				r[nnz] = i;
				cc[nnz] = j;
				w[nnz++] = 1.0f + (float)(i % 3);
			}
	a = igr_csr_from_coo(m, n, nnz, r, cc, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(a);
	at = igr_csr_transpose(a);
	ck_assert_int_eq(igr_svd_sparse(a, at, &o, s, v, u), 0);
	for (c = 3; c < k; c++)
		ck_assert_msg(s[c] < 1e-3 * s[0], "value %u: %g", c, s[c]);
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			double x = 0;

			for (c = 0; c < k; c++)
				x += u[i * k + c] * s[c] * v[j * k + c];
			ck_assert_msg(fabs(x - tu_dense_at(a, i, j)) < 1e-3,
				      "(%u, %u): %g vs %g", i, j, x,
				      tu_dense_at(a, i, j));
		}
	igr_csr_free(a);
	igr_csr_free(at);
	free(r);
	free(cc);
	free(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("svd");
	TCase *tc = tcase_create("svd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, svd_reconstructs);
	tcase_add_test(tc, svd_truncated_values);
	tcase_add_test(tc, svd_rank_deficient);
	tcase_add_test(tc, svd_blocks);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
