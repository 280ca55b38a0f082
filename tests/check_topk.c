/* check_topk.c - the bounded top-K heap, the accumulator, and the fused
 * sgemm scorer against brute force. */
#include "testutil.h"

#include "embed.h"
#include "error.h"
#include "topk.h"

#include <math.h>

/* A deterministic generator (the suite must not depend on rand()). */
static uint64_t st = 88172645463325252ull;
static uint32_t rnd(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return (uint32_t)(st >> 11);
}

/* Reference order: score desc, tie rank asc, id asc. */
static const uint32_t *ref_tie;
static int ref_cmp(const void *a, const void *b)
{
	const igr_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (ref_tie && ref_tie[x->id] != ref_tie[y->id])
		return ref_tie[x->id] < ref_tie[y->id] ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

START_TEST(heap_matches_sort)
{
	/* many sizes, duplicate scores on purpose (ties), with and without
	 * a tie rank */
	uint32_t n, k, i, trial;
	for (trial = 0; trial < 200; trial++) {
		igr_topk t;
		igr_hit all[300], got[300];
		uint32_t tie[300];
		n = 1 + rnd() % 300;
		k = rnd() % 40;
		for (i = 0; i < n; i++) {
			all[i].id = i;
			all[i].score = (float)(rnd() % 7); /* many ties */
			tie[i] = rnd() % 5;
		}
		ref_tie = trial % 2 ? tie : NULL;
		ck_assert_int_eq(igr_topk_init(&t, k, ref_tie), 0);
		for (i = 0; i < n; i++)
			igr_topk_push(&t, all[i].score, all[i].id);
		ck_assert_uint_eq(t.n, k < n ? k : n);
		ck_assert_uint_eq(igr_topk_sorted(&t, got), k < n ? k : n);
		qsort(all, n, sizeof *all, ref_cmp);
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

/* Brute force top-K of user j under the rules. */
static uint32_t brute(const igr_embed *e, const float *u, uint32_t user,
		      const igr_csr *x, const uint8_t *blocked, float floor_,
		      const uint32_t *tie, uint32_t k, igr_hit *out)
{
	igr_hit *all = malloc(e->nitems * sizeof *all);
	uint32_t i, n = 0, c;
	for (i = 0; i < e->nitems; i++) {
		float s = 0;
		if (blocked && blocked[i])
			continue;
		if (x && user < x->nrows) {
			uint64_t q;
			int ex = 0;
			for (q = x->ptr[user]; q < x->ptr[user + 1]; q++)
				ex |= x->idx[q] == i;
			if (ex)
				continue;
		}
		for (c = 0; c < e->dim; c++)
			s += u[c] * e->item[(size_t)i * e->dim + c];
		if (e->item_bias)
			s += e->item_bias[i];
		if (s < floor_)
			continue;
		all[n].id = i;
		all[n++].score = s;
	}
	ref_tie = tie;
	qsort(all, n, sizeof *all, ref_cmp);
	n = n < k ? n : k;
	memcpy(out, all, n * sizeof *out);
	free(all);
	return n;
}

START_TEST(embed_matches_brute_force)
{
	/* sizes that cross the 128-user and 512-item block edges; integer
	 * valued vectors so sgemm's summation order cannot change a score
	 * and ties really happen */
	static const uint32_t shapes[][3] = {
		{ 1, 1, 1 }, { 5, 3, 2 }, { 130, 513, 4 }, { 257, 1100, 16 },
		{ 40, 600, 64 },
	};
	size_t s;
	for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		uint32_t nu = shapes[s][0], ni = shapes[s][1], d = shapes[s][2];
		uint32_t k = 7, i, j;
		float *U = malloc((size_t)nu * d * sizeof *U);
		float *V = malloc((size_t)ni * d * sizeof *V);
		float *bias = malloc(ni * sizeof *bias);
		uint32_t *users = malloc(nu * sizeof *users);
		uint32_t *tie = malloc(ni * sizeof *tie), *nout;
		uint8_t *blocked = calloc(ni, 1);
		igr_hit *out = malloc((size_t)nu * k * sizeof *out);
		igr_hit ref[16];
		uint32_t *r = malloc(nu * 3 * sizeof *r);
		uint32_t *c = malloc(nu * 3 * sizeof *c);
		igr_csr *x;
		igr_embed e;
		igr_embed_rules ru;
		int variant;
		nout = malloc(nu * sizeof *nout);
		for (i = 0; i < nu * d; i++)
			U[i] = (float)(rnd() % 5) - 2;
		for (i = 0; i < ni * d; i++)
			V[i] = (float)(rnd() % 5) - 2;
		for (i = 0; i < ni; i++) {
			bias[i] = (float)(rnd() % 3);
			tie[i] = rnd() % 11;
			blocked[i] = rnd() % 9 == 0;
		}
		for (j = 0; j < nu; j++) {
			users[j] = nu - 1 - j; /* not the identity */
			for (i = 0; i < 3; i++) {
				r[j * 3 + i] = j;
				c[j * 3 + i] = rnd() % ni;
			}
		}
		x = igr_csr_from_coo(nu, ni, (uint64_t)nu * 3, r, c, NULL,
				     NULL, NULL, 0);
		ck_assert_ptr_nonnull(x);
		for (variant = 0; variant < 4; variant++) {
			e.dim = d;
			e.nusers = nu;
			e.nitems = ni;
			e.user = U;
			e.item = V;
			e.item_bias = variant & 1 ? bias : NULL;
			igr_embed_rules_init(&ru);
			if (variant >= 1)
				ru.exclude = x;
			if (variant >= 2) {
				ru.blocked = blocked;
				ru.tie = tie;
			}
			if (variant == 3)
				ru.min_score = 0.5f;
			ck_assert_int_eq(igr_embed_topk(&e, users, U, nu, k, &ru,
							out, nout),
					 0);
			for (j = 0; j < nu; j++) {
				uint32_t n = brute(&e, U + (size_t)j * d,
						   users[j], ru.exclude,
						   ru.blocked,
						   variant == 3 ? 0.5f
								: -INFINITY,
						   ru.tie, k, ref);
				ck_assert_uint_eq(nout[j], n);
				for (i = 0; i < n; i++) {
					ck_assert_uint_eq(out[j * k + i].id,
							  ref[i].id);
					ck_assert(out[j * k + i].score ==
						  ref[i].score);
				}
			}
		}
		/* dense scores agree too, for a list of items */
		{
			uint32_t items[3] = { 0, ni - 1, ni + 5 };
			float sc[3 * 2];
			ck_assert_int_eq(
				igr_embed_scores(&e, U, nu < 2 ? nu : 2, items,
						 3, sc),
				0);
			ck_assert(isinf(sc[2]) && sc[2] < 0);
			{
				float s0 = 0;
				for (i = 0; i < d; i++)
					s0 += U[i] * V[(size_t)(ni - 1) * d + i];
				s0 += e.item_bias ? bias[ni - 1] : 0;
				ck_assert(sc[1] == s0);
			}
		}
		igr_csr_free(x);
		free(U);
		free(V);
		free(bias);
		free(users);
		free(tie);
		free(blocked);
		free(out);
		free(nout);
		free(r);
		free(c);
	}
}
END_TEST

START_TEST(sgemm_rate)
{
	double rate = igr_embed_sgemm_rate(16, 600, 0.05);
	ck_assert(rate > 0);
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
	tcase_add_test(tc, embed_matches_brute_force);
	tcase_add_test(tc, sgemm_rate);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
