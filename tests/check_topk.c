/* check_topk.c - the bounded top-K heap and the accumulator. */
#include "error.h"
#include "topk.h"

#include <math.h>
#include <string.h>

#include "testutil.h"

START_TEST(heap_matches_sort)
{
	/* many sizes, duplicate scores on purpose (ties), with and without
	 * a tie rank */
	uint32_t n, k, i, trial;
	for (trial = 0; trial < 200; trial++) {
		igr_topk t;
		igr_hit all[300], got[300];
		uint32_t tie[300];
		n = 1 + tu_rnd() % 300;
		k = tu_rnd() % 40;
		for (i = 0; i < n; i++) {
			all[i].id = i;
			all[i].score = (float)(tu_rnd() % 7); /* many ties */
			tie[i] = tu_rnd() % 5;
		}
		tu_ref_tie = trial % 2 ? tie : NULL;
		ck_assert_int_eq(igr_topk_init(&t, k, tu_ref_tie), 0);
		for (i = 0; i < n; i++)
			igr_topk_push(&t, all[i].score, all[i].id);
		ck_assert_uint_eq(t.n, k < n ? k : n);
		ck_assert_uint_eq(igr_topk_sorted(&t, got), k < n ? k : n);
		qsort(all, n, sizeof *all, tu_ref_cmp);
		for (i = 0; i < (k < n ? k : n); i++) {
			ck_assert_uint_eq(got[i].id, all[i].id);
			ck_assert(got[i].score == all[i].score);
		}
		ck_assert_uint_eq(t.n, 0);
		igr_topk_release(&t);
	}
}
END_TEST

START_TEST(push_order_irrelevant)
{
	/* the same set pushed in two orders gives the same list */
	igr_topk a, b;
	igr_hit x[50], y[50];
	uint32_t i;
	ck_assert_int_eq(igr_topk_init(&a, 10, NULL), 0);
	ck_assert_int_eq(igr_topk_init(&b, 10, NULL), 0);
	for (i = 0; i < 100; i++) {
		igr_topk_push(&a, (float)(i % 13), i);
		igr_topk_push(&b, (float)((99 - i) % 13), 99 - i);
	}
	igr_topk_sorted(&a, x);
	igr_topk_sorted(&b, y);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(x[i].id, y[i].id);
		ck_assert(x[i].score == y[i].score);
	}
	/* the best are the twelves, lowest id first */
	ck_assert_uint_eq(x[0].id, 12);
	ck_assert_uint_eq(x[1].id, 25);
	igr_topk_release(&a);
	igr_topk_release(&b);
}
END_TEST

START_TEST(nan_and_zero_k)
{
	igr_topk t;
	igr_hit h[4];
	float row[6] = { NAN, 1, NAN, -INFINITY, 3, 2 };
	ck_assert_int_eq(igr_topk_init(&t, 0, NULL), 0);
	igr_topk_push(&t, 5, 1);
	igr_topk_push_row(&t, row, 6, 0);
	ck_assert_uint_eq(t.n, 0);
	igr_topk_release(&t);
	ck_assert_int_eq(igr_topk_init(&t, 4, NULL), 0);
	igr_topk_push_row(&t, row, 6, 100);
	ck_assert_uint_eq(igr_topk_sorted(&t, h), 4);
	ck_assert_uint_eq(h[0].id, 104);
	ck_assert_uint_eq(h[1].id, 105);
	ck_assert_uint_eq(h[2].id, 101);
	ck_assert_uint_eq(h[3].id, 103); /* -inf is a score; NaN is not */
	ck_assert_int_eq(igr_topk_resize(&t, 1), 0);
	igr_topk_push_row(&t, row, 6, 0);
	ck_assert_uint_eq(igr_topk_sorted(&t, h), 1);
	ck_assert_uint_eq(h[0].id, 4);
	igr_topk_release(&t);
}
END_TEST

START_TEST(accumulator)
{
	igr_acc a;
	ck_assert_int_eq(igr_acc_init(&a, 10), 0);
	igr_acc_add(&a, 3, 1.5f);
	igr_acc_add(&a, 7, 1);
	igr_acc_add(&a, 3, 2);
	igr_acc_add(&a, 9, -1);
	ck_assert_uint_eq(a.nt, 3);
	ck_assert_uint_eq(a.touched[0], 3);
	ck_assert_uint_eq(a.touched[1], 7);
	ck_assert_uint_eq(a.touched[2], 9);
	ck_assert(a.v[3] == 3.5f);
	igr_acc_clear(&a);
	ck_assert_uint_eq(a.nt, 0);
	ck_assert(a.v[3] == 0 && a.mark[3] == 0 && a.v[9] == 0);
	/* every id touched once: the touched list never overflows */
	for (uint32_t i = 0; i < 10; i++) {
		igr_acc_add(&a, i, 1);
		igr_acc_add(&a, i, 1);
	}
	ck_assert_uint_eq(a.nt, 10);
	igr_acc_release(&a);
}
END_TEST

/* Pair mode sums what dense mode sums, to the bit (each id's values in
 * the order added), for id ranges of one to three radix passes, with
 * values whose order of addition changes the float sum; ids come out
 * increasing, find() locates them, clear() empties it for reuse. */
START_TEST(accumulator_pairs)
{
	static const uint32_t sizes[] = { 1, 2, 10, 3000, 5000000 };
	uint64_t s = 12345;

	for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
		uint32_t n = sizes[z];
		igr_acc d, p;
		ck_assert_int_eq(igr_acc_init(&d, n), 0);
		ck_assert_int_eq(igr_acc_init_pairs(&p, n), 0);
		for (int round = 0; round < 3; round++) {
			/* 9000 adds: more than the first room (4096) */
			for (int k = 0; k < 9000; k++) {
				uint32_t id;
				float w;
				s = s * 6364136223846793005ULL +
				    1442695040888963407ULL;
				id = (uint32_t)((s >> 33) % (n < 700 ? n : 700)) *
				     (n < 700 ? 1 : n / 700);
				w = (float)((int)(s >> 20 & 1023) - 300) *
				    (k % 3 ? 1e-3f : 1e4f);
				igr_acc_add(&d, id, w);
				igr_acc_add(&p, id, w);
			}
			ck_assert_int_eq(igr_acc_settle(&p), 0);
			ck_assert_uint_eq(p.ns, d.nt);
			for (uint32_t q = 0; q < p.ns; q++) {
				ck_assert(q == 0 || p.ids[q] > p.ids[q - 1]);
				ck_assert(d.mark[p.ids[q]]);
				ck_assert(memcmp(&p.sums[q], &d.v[p.ids[q]],
						 sizeof(float)) == 0);
				ck_assert_int_eq(igr_acc_find(&p, p.ids[q]),
						 (int64_t)q);
			}
			if (n > 1 && !d.mark[n - 1])
				ck_assert_int_eq(igr_acc_find(&p, n - 1), -1);
			ck_assert_int_eq(igr_acc_find(&d, p.ids[0]), 1);
			igr_acc_clear(&d);
			igr_acc_clear(&p);
			ck_assert_int_eq(igr_acc_settle(&p), 0);
			ck_assert_uint_eq(p.ns, 0);
			ck_assert_int_eq(igr_acc_find(&p, 0), -1);
		}
		igr_acc_release(&d);
		igr_acc_release(&p);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("topk");
	TCase *tc = tcase_create("topk");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, heap_matches_sort);
	tcase_add_test(tc, push_order_irrelevant);
	tcase_add_test(tc, nan_and_zero_k);
	tcase_add_test(tc, accumulator);
	tcase_add_test(tc, accumulator_pairs);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
