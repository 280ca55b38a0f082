/* check_embed.c - the fused sgemm scorer (embed.c) against
 * brute force under the serving rules. */
#include <math.h>

#include "embed.h"
#include "error.h"
#include "topk.h"

#include "testutil.h"

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
	tu_ref_tie = tie;
	qsort(all, n, sizeof *all, tu_ref_cmp);
	n = n < k ? n : k;
	memcpy(out, all, n * sizeof *out);
	free(all);
	return n;
}

/* The rules of test variant V: nothing; exclusions; + blocked items and
 * a tie order; + a floor FL (v 3); exclusions scoring 0 (v 4). */
static void rules_variant(igr_embed_rules *ru, int v, const igr_csr *x,
			  const uint8_t *blocked, const uint32_t *tie, float fl)
{
	igr_embed_rules_init(ru);
	if (v >= 1)
		ru->exclude = x;
	if (v >= 2) {
		ru->blocked = blocked;
		ru->tie = tie;
	}
	if (v == 3)
		ru->min_score = fl;
	if (v == 4)
		ru->exclude_as_zero = 1;
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
			U[i] = (float)(tu_rnd() % 5) - 2;
		for (i = 0; i < ni * d; i++)
			V[i] = (float)(tu_rnd() % 5) - 2;
		for (i = 0; i < ni; i++) {
			bias[i] = (float)(tu_rnd() % 3);
			tie[i] = tu_rnd() % 11;
			blocked[i] = tu_rnd() % 9 == 0;
		}
		for (j = 0; j < nu; j++) {
			users[j] = nu - 1 - j; /* not the identity */
			for (i = 0; i < 3; i++) {
				r[j * 3 + i] = j;
				c[j * 3 + i] = tu_rnd() % ni;
			}
		}
		x = igr_csr_from_coo(nu, ni, (uint64_t)nu * 3, r, c, NULL,
				     NULL, NULL, 0);
		ck_assert_ptr_nonnull(x);
		memset(&e, 0, sizeof e);
		for (variant = 0; variant < 4; variant++) {
			e.dim = d;
			e.nusers = nu;
			e.nitems = ni;
			e.user = U;
			e.item = V;
			e.item_bias = variant & 1 ? bias : NULL;
			rules_variant(&ru, variant, x, blocked, tie, 0.5f);
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

START_TEST(order_walk_matches_full_scan)
{
	/* dim 1 (the popularity model's shape): walking the sorted order
	 * gives the full scan's hits, ties, rules and NaNs included */
	uint32_t nu = 300, ni = 1100, k = 9, i, j;
	float *U = malloc(nu * sizeof *U), *V = malloc(ni * sizeof *V);
	uint32_t *users = malloc(nu * sizeof *users), *tie = malloc(ni * 4);
	uint32_t *n1 = malloc(nu * 4), *n2 = malloc(nu * 4), *order;
	uint32_t *r = malloc(nu * 5 * 4), *c = malloc(nu * 5 * 4);
	uint8_t *blocked = calloc(ni, 1);
	igr_hit *o1 = malloc((size_t)nu * k * sizeof *o1);
	igr_hit *o2 = malloc((size_t)nu * k * sizeof *o2);
	igr_csr *x;
	igr_embed e;
	igr_embed_rules ru;
	int variant;

	for (j = 0; j < nu; j++) {
		/* positive, negative, zero and NaN users */
		U[j] = j % 7 == 6 ? NAN : (float)((int)(tu_rnd() % 5) - 2);
		users[j] = j;
		for (i = 0; i < 5; i++) {
			r[j * 5 + i] = j;
			c[j * 5 + i] = tu_rnd() % ni;
		}
	}
	for (i = 0; i < ni; i++) {
		V[i] = i % 97 == 3 ? NAN : (float)(tu_rnd() % 13) / 4 - 1;
		tie[i] = tu_rnd() % 50;
		blocked[i] = tu_rnd() % 9 == 0;
	}
	x = igr_csr_from_coo(nu, ni, (uint64_t)nu * 5, r, c, NULL, NULL, NULL,
			     0);
	ck_assert_ptr_nonnull(x);
	memset(&e, 0, sizeof e);
	e.dim = 1;
	e.nitems = ni;
	e.item = V;
	ck_assert_int_eq(igr_embed_order(&e, &order), 0);
	for (i = 1; i < ni; i++)
		ck_assert(V[order[i]] != V[order[i]] ||
			  V[order[i - 1]] >= V[order[i]]);
	for (variant = 0; variant < 5; variant++) {
		rules_variant(&ru, variant, x, blocked, tie, -0.5f);
		e.order = NULL;
		ck_assert_int_eq(igr_embed_topk(&e, users, U, nu, k, &ru, o1,
						n1), 0);
		e.order = order;
		ck_assert_int_eq(igr_embed_topk(&e, users, U, nu, k, &ru, o2,
						n2), 0);
		for (j = 0; j < nu; j++) {
			ck_assert_uint_eq(n1[j], n2[j]);
			for (i = 0; i < n1[j]; i++) {
				ck_assert_msg(o1[j * k + i].id == o2[j * k + i].id,
					      "variant %d user %u (%g) hit %u: "
					      "%u vs %u", variant, j, U[j], i,
					      o1[j * k + i].id,
					      o2[j * k + i].id);
				ck_assert(o1[j * k + i].score ==
					  o2[j * k + i].score);
			}
		}
	}
	igr_csr_free(x);
	free(order);
	free(U);
	free(V);
	free(users);
	free(tie);
	free(n1);
	free(n2);
	free(r);
	free(c);
	free(blocked);
	free(o1);
	free(o2);
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
	Suite *s = suite_create("embed");
	TCase *tc = tcase_create("embed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, embed_matches_brute_force);
	tcase_add_test(tc, order_walk_matches_full_scan);
	tcase_add_test(tc, sgemm_rate);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
