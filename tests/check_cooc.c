/* check_cooc.c - the strongest co-occurrence neighbours of every column
 * (cooc.h) against sums done by hand. */
#include "cooc.h"
#include "error.h"
#include "rand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* 3 rows x 4 columns:
 *   row 0: col 0 (1), col 1 (2)
 *   row 1: col 0 (1), col 1 (1), col 2 (3)
 *   row 2: col 2 (1), col 3 (1)
 * co(0,1) = 1*2 + 1*1 = 3, co(0,2) = 3, co(1,2) = 3, co(2,3) = 1;
 * column 3 meets only column 2. */
static igr_csr *matrix(void)
{
	static const uint64_t ptr[] = { 0, 2, 5, 7 };
	static const uint32_t idx[] = { 0, 1, 0, 1, 2, 2, 3 };
	static const float w[] = { 1, 2, 1, 1, 3, 1, 1 };
	igr_csr *r = calloc(1, sizeof *r);

	ck_assert_ptr_nonnull(r);
	r->nrows = 3;
	r->ncols = 4;
	r->nnz = 7;
	r->ptr = malloc(sizeof ptr);
	r->idx = malloc(sizeof idx);
	r->w = malloc(sizeof w);
	ck_assert(r->ptr && r->idx && r->w);
	memcpy(r->ptr, ptr, sizeof ptr);
	memcpy(r->idx, idx, sizeof idx);
	memcpy(r->w, w, sizeof w);
	return r;
}

START_TEST(plain_sums)
{
	igr_csr *r = matrix(), *rt = igr_csr_transpose(r);
	struct igr_cooc_opts o = { 10, 0, 1, 0, 0 };
	uint64_t *ptr;
	uint32_t *nbr;
	float *sim;

	ck_assert_ptr_nonnull(rt);
	ck_assert_int_eq(igr_cooc_topn(r, rt, NULL, NULL, &o, NULL, &ptr,
				       &nbr, &sim), 0);
	/* by neighbour id, never the column itself */
	ck_assert_uint_eq(ptr[0], 0);
	ck_assert_uint_eq(ptr[1], 2);
	ck_assert_uint_eq(ptr[2], 4);
	ck_assert_uint_eq(ptr[3], 7);
	ck_assert_uint_eq(ptr[4], 8);
	ck_assert_uint_eq(nbr[0], 1);
	ck_assert_uint_eq(nbr[1], 2);
	ck_assert(sim[0] == 3 && sim[1] == 3);
	ck_assert_uint_eq(nbr[4], 0);
	ck_assert_uint_eq(nbr[5], 1);
	ck_assert_uint_eq(nbr[6], 3);
	ck_assert(sim[4] == 3 && sim[5] == 3 && sim[6] == 1);
	ck_assert_uint_eq(nbr[7], 2);
	ck_assert(sim[7] == 1);
	free(ptr);
	free(nbr);
	free(sim);
	igr_csr_free(r);
	igr_csr_free(rt);
}
END_TEST

/* the norms, the shrink and the locality; only the N largest kept (by
 * score, stored by id); each list divided by its largest */
START_TEST(scaled_and_cut)
{
	igr_csr *r = matrix(), *rt = igr_csr_transpose(r);
	const double na[] = { 1, 1, 2, 1 }, nb[] = { 1, 3, 1, 0.5 };
	struct igr_cooc_opts o = { 1, 1, 2, 0, 0 };
	uint64_t *ptr;
	uint32_t *nbr;
	float *sim;

	ck_assert_int_eq(igr_cooc_topn(r, rt, na, nb, &o, NULL, &ptr, &nbr,
				       &sim), 0);
	/* column 0: S(0,1) = (3 / (1*3 + 1))^2 = 0.5625, S(0,2) = (3 / 2)^2
	 * = 2.25: column 2 kept */
	ck_assert_uint_eq(ptr[1] - ptr[0], 1);
	ck_assert_uint_eq(nbr[ptr[0]], 2);
	ck_assert(fabs(sim[ptr[0]] - 2.25) < 1e-6);
	/* column 2: S(2,0) = (3/3)^2 = 1, S(2,1) = (3/7)^2, S(2,3) =
	 * (1/2)^2: column 0 */
	ck_assert_uint_eq(nbr[ptr[2]], 0);
	ck_assert(fabs(sim[ptr[2]] - 1) < 1e-6);
	free(ptr);
	free(nbr);
	free(sim);
	o.nbrs = 3;
	o.shrink = 0;
	o.locality = 1;
	o.rownorm = 1;
	ck_assert_int_eq(igr_cooc_topn(r, rt, NULL, NULL, &o, NULL, &ptr,
				       &nbr, &sim), 0);
	/* column 2: 3, 3, 1 divided by 3 */
	ck_assert(sim[4] == 1 && sim[5] == 1 && fabsf(sim[6] - 1.0f / 3) <
							     1e-6f);
	free(ptr);
	free(nbr);
	free(sim);
	igr_csr_free(r);
	igr_csr_free(rt);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cooc");
	TCase *tc = tcase_create("cooc");

	tcase_add_test(tc, plain_sums);
	tcase_add_test(tc, scaled_and_cut);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
