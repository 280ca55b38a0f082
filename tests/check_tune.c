/* check_tune.c - the holdout a self-tuning model chooses on (tune.c): the
 * newest edges when the graph has times, a seeded random choice without,
 * nothing from users with fewer than 3 edges, the sample of users. */
#include "error.h"
#include "graph.h"
#include "learn.h"
#include "tune.h"

#include "testutil.h"

/* user u has u + 1 edges to items 0 .. u, edge i at time 100 * i (or no
 * times) */
static igr_csr *staircase(uint32_t nu, int times)
{
	uint32_t *r = malloc(nu * nu * sizeof *r), *c = malloc(nu * nu * sizeof *c);
	float *w = malloc(nu * nu * sizeof *w);
	int64_t *ts = malloc(nu * nu * sizeof *ts);
	uint32_t u, i;
	size_t n = 0;
	igr_csr *a;

	for (u = 0; u < nu; u++)
		for (i = 0; i <= u; i++) {
			r[n] = u;
			c[n] = i;
			w[n] = 1;
			ts[n++] = 100 * (int64_t)i;
		}
	a = igr_csr_from_coo(nu, nu, n, r, c, w, NULL, times ? ts : NULL, 1);
	ck_assert_ptr_nonnull(a);
	free(r);
	free(c);
	free(w);
	free(ts);
	return a;
}

START_TEST(newest_edges_held_out)
{
	igr_csr *a = staircase(10, 1);
	igr_tune_split s;
	uint32_t u;

	ck_assert_int_eq(igr_tune_split_make(&s, a, 0.2, 0, 7), 0);
	ck_assert_int_eq(s.temporal, 1);
	/* users 0, 1 (1 and 2 edges) keep everything; user u >= 2 loses
	 * round(0.2 (u + 1)) >= 1 of its newest items */
	for (u = 0; u < 10; u++) {
		uint64_t n = u + 1, h = u < 2 ? 0 : (uint64_t)(0.2 * n + 0.5);
		uint64_t e;

		if (u >= 2 && h < 1)
			h = 1;
		ck_assert_uint_eq(s.train->ptr[u + 1] - s.train->ptr[u], n - h);
		ck_assert_uint_eq(s.held->ptr[u + 1] - s.held->ptr[u], h);
		for (e = s.held->ptr[u]; e < s.held->ptr[u + 1]; e++)
			ck_assert_uint_ge(s.held->item[e], n - h);
	}
	ck_assert_uint_eq(s.held->nlisted, 8);
	igr_tune_split_free(&s);
	igr_csr_free(a);
}
END_TEST

START_TEST(random_without_times_seeded)
{
	igr_csr *a = staircase(40, 0);
	igr_tune_split s1, s2, s3;
	int differ = 0;
	uint64_t e;

	ck_assert_int_eq(igr_tune_split_make(&s1, a, 0.25, 0, 3), 0);
	ck_assert_int_eq(igr_tune_split_make(&s2, a, 0.25, 0, 3), 0);
	ck_assert_int_eq(igr_tune_split_make(&s3, a, 0.25, 0, 4), 0);
	ck_assert_int_eq(s1.temporal, 0);
	ck_assert_uint_eq(s1.held_edges, s2.held_edges);
	ck_assert_uint_eq(s1.train->nnz + s1.held_edges, a->nnz);
	for (e = 0; e < s1.held->ptr[s1.held->nusers]; e++)
		ck_assert_uint_eq(s1.held->item[e], s2.held->item[e]);
	for (e = 0; e < s1.held->ptr[s1.held->nusers]; e++)
		differ |= s1.held->item[e] != s3.held->item[e];
	ck_assert(differ);
	igr_tune_split_free(&s1);
	igr_tune_split_free(&s2);
	igr_tune_split_free(&s3);
	igr_csr_free(a);
}
END_TEST

START_TEST(sample_of_users)
{
	igr_csr *a = staircase(40, 1);
	igr_tune_split s;

	ck_assert_int_eq(igr_tune_split_make(&s, a, 0.2, 5, 1), 0);
	ck_assert_uint_eq(s.held->nlisted, 5);
	/* every user's edges still leave the training matrix */
	ck_assert_uint_eq(s.train->nnz + s.held_edges, a->nnz);
	igr_tune_split_free(&s);
	igr_csr_free(a);
}
END_TEST

START_TEST(users_interleaved_for_screening)
{
	/* 38 users with held-out edges (users 2 .. 39), listed every fourth
	 * first: the first quarter spans the id range */
	igr_csr *a = staircase(40, 1);
	igr_tune_split s;
	uint32_t j;

	ck_assert_int_eq(igr_tune_split_make(&s, a, 0.2, 0, 1), 0);
	ck_assert_uint_eq(s.held->nlisted, 38);
	for (j = 0; j < 10; j++)
		ck_assert_uint_eq(s.held->users[j], 2 + 4 * j);
	ck_assert_uint_eq(s.held->users[10], 3);
	ck_assert_uint_eq(s.held->users[37], 37);
	igr_tune_split_free(&s);
	igr_csr_free(a);
}
END_TEST

START_TEST(screening_rule)
{
	double best[4] = { 0.5, 0.2, 0.1, 0.0 };
	double up[4] = { 0.5, 0.3, 0.1, 0.0 };
	double same[4] = { 0.2, 0.5, 0.1, 0.0 };

	ck_assert_int_eq(igr_tune_promising(best, up, 4), 1);
	ck_assert_int_eq(igr_tune_promising(best, same, 4), 0);
	ck_assert_int_eq(igr_tune_promising(best, best, 4), 0);
	ck_assert_int_eq(igr_tune_promising(up, best, 4), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tune");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, newest_edges_held_out);
	tcase_add_test(tc, random_without_times_seeded);
	tcase_add_test(tc, sample_of_users);
	tcase_add_test(tc, users_interleaved_for_screening);
	tcase_add_test(tc, screening_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
