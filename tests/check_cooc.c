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

/* the two accumulators (topk.h: dense, and pairs sorted in cache, which
 * training takes from IGR_ACC_PAIRS_MIN items) give every list to the
 * bit: a random matrix with weights whose sums depend on their order and
 * many equal scores (ties broken alike) */
START_TEST(both_accumulators)
{
	enum { ROWS = 300, COLS = 500 };
	igr_csr *r = calloc(1, sizeof *r), *rt;
	struct igr_cooc_opts o = { 25, 0.5, 1, 1, 0 };
	uint64_t *ptr[2];
	uint32_t *nbr[2];
	float *sim[2];
	uint64_t k = 0;
	unsigned seed = 7;
	uint32_t u, c;
	int mode;

	ck_assert_ptr_nonnull(r);
	r->nrows = ROWS;
	r->ncols = COLS;
	r->ptr = malloc((ROWS + 1) * sizeof *r->ptr);
	r->idx = malloc((size_t)ROWS * COLS * sizeof *r->idx);
	r->w = malloc((size_t)ROWS * COLS * sizeof *r->w);
	ck_assert(r->ptr && r->idx && r->w);
	for (u = 0; u < ROWS; u++) {
		r->ptr[u] = k;
		for (c = 0; c < COLS; c++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 100 >= 6)
				continue;
			r->idx[k] = c;
			/* 1 mostly (ties), sometimes a value whose sums
			 * round differently in another order */
			r->w[k++] = (seed >> 8) % 3 ? 1.0f
						    : 0.1f * (float)(seed % 97);
		}
	}
	r->ptr[ROWS] = k;
	r->nnz = k;
	rt = igr_csr_transpose(r);
	ck_assert_ptr_nonnull(rt);
	for (mode = 0; mode < 2; mode++) {
		ck_assert_int_eq(setenv("IGRAPH_ACC_PAIRS", mode ? "1" : "0", 1),
				 0);
		ck_assert_int_eq(igr_cooc_topn(r, rt, NULL, NULL, &o, NULL,
					       &ptr[mode], &nbr[mode],
					       &sim[mode]), 0);
	}
	unsetenv("IGRAPH_ACC_PAIRS");
	ck_assert_mem_eq(ptr[0], ptr[1], (COLS + 1) * sizeof *ptr[0]);
	ck_assert_uint_gt(ptr[0][COLS], COLS * 10);
	ck_assert_mem_eq(nbr[0], nbr[1], ptr[0][COLS] * sizeof *nbr[0]);
	ck_assert_mem_eq(sim[0], sim[1], ptr[0][COLS] * sizeof *sim[0]);
	for (mode = 0; mode < 2; mode++) {
		free(ptr[mode]);
		free(nbr[mode]);
		free(sim[mode]);
	}
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
	tcase_add_test(tc, both_accumulators);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
