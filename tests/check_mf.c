/* check_mf.c - BPR matrix factorisation: the gradient against finite
 * differences, determinism, and the fold-in of new and changed users. */
#include "testutil.h"

#include "error.h"
#include "graph.h"
#include "learn.h"
#include "models/lightgcn.h"
#include "models/mf.h"
#include "model.h"

#include <math.h>

static igr_graph *graph_of(const uint32_t *us, const uint32_t *is, size_t n,
			   uint32_t nu)
{
	igr_graph *g = calloc(1, sizeof *g);
	float *w = malloc(n * sizeof *w);
	size_t e;

	for (e = 0; e < n; e++)
		w[e] = 1.0f + (float)(e % 2);
	g->n[IGR_USER] = nu;
	g->n[IGR_ITEM] = 6;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(nu, 6, n, us, is, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	free(w);
	return g;
}

static const uint32_t US[] = { 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 4 };
static const uint32_t IS[] = { 0, 1, 2, 1, 3, 0, 2, 4, 3, 0, 1, 4 };
#define NE (sizeof US / sizeof US[0])

START_TEST(gradient)
{
	igr_graph *g = graph_of(US, IS, NE, 5);
	enum { D = 4, N = 11 * D, B = 6 };
	const uint32_t u[B] = { 0, 1, 2, 4, 0, 3 };
	const uint32_t i[B] = { 1, 3, 4, 0, 2, 3 };
	const uint32_t j[B] = { 5, 1, 3, 2, 4, 0 };
	float e0[N], grad[N], tmp[N];
	igr_rng rng;
	int p, nonzero = 0;

	igr_rng_seed(&rng, 3);
	for (p = 0; p < N; p++)
		e0[p] = (float)(0.7 * igr_rng_normal(&rng));
	ck_assert(!isnan(igr_emb_loss_grad(g->rel[IGR_USER][IGR_ITEM], 0, e0,
					   D, u, i, j, B, 0.05, grad)));
	for (p = 0; p < N; p++) {
		const float h = 1e-2f;
		double lp, lm, fd;

		memcpy(tmp, e0, sizeof tmp);
		tmp[p] += h;
		lp = igr_emb_loss_grad(g->rel[IGR_USER][IGR_ITEM], 0, tmp, D,
				       u, i, j, B, 0.05, tmp);
		memcpy(tmp, e0, sizeof tmp);
		tmp[p] -= h;
		lm = igr_emb_loss_grad(g->rel[IGR_USER][IGR_ITEM], 0, tmp, D,
				       u, i, j, B, 0.05, tmp);
		fd = (lp - lm) / (2.0 * h);
		ck_assert_msg(fabs(fd - grad[p]) < 2e-4 + 1e-2 * fabs(fd),
			      "parameter %d: analytic %g, finite differences "
			      "%g", p, grad[p], fd);
		nonzero += grad[p] != 0;
	}
	/* MF: only the batch's rows have a gradient (user 2's row does,
	 * item 5's too; nothing else is untouched here but users beyond) */
	ck_assert_int_gt(nonzero, 20);
	igr_graph_free(g);
}
END_TEST

static igr_model *train(const igr_graph *g, uint32_t negatives)
{
	igr_model *m = igr_model_new("mf");
	igr_learn_opts o;

	igr_learn_defaults(&o, "mf");
	o.epochs = 30;
	o.dim = 8;
	o.batch = 5;
	o.lr = 0.05;
	o.lr_final = 0.01;
	o.negatives = negatives;
	ck_assert_msg(igr_mf_fit(m, g, &o) == 0, "%s", igr_errmsg());
	ck_assert_int_eq(m->ops->prepare(m, g), 0);
	return m;
}

START_TEST(deterministic_and_learns)
{
	igr_graph *g = graph_of(US, IS, NE, 5);
	igr_model *a = train(g, 1), *b = train(g, 1), *c = train(g, 4);
	const igr_array *x = igr_model_get(a, "user"), *y = igr_model_get(b,
									 "user");
	uint32_t users[5] = { 0, 1, 2, 3, 4 }, e, better = 0;
	float sc[5 * 6];

	ck_assert_int_eq(memcmp(x->data, y->data, igr_array_len(x) * 4), 0);
	/* dynamic negatives change the model */
	ck_assert(memcmp(x->data, igr_model_get(c, "user")->data,
			 igr_array_len(x) * 4) != 0);
	/* after training, a user's own items outscore item 5, which nobody
	 * has */
	ck_assert_int_eq(a->ops->score_users(a, g, users, 5, NULL, 6, sc), 0);
	for (e = 0; e < NE; e++)
		better += sc[US[e] * 6 + IS[e]] > sc[US[e] * 6 + 5];
	ck_assert_uint_ge(better, NE - 1);
	igr_model_free(a);
	igr_model_free(b);
	igr_model_free(c);
	igr_graph_free(g);
}
END_TEST

START_TEST(fold_in_new_and_changed_users)
{
	igr_graph *g = graph_of(US, IS, NE, 5), *g2, *g3;
	igr_model *m = train(g, 1);
	uint32_t us[NE + 2], is[NE + 2];
	float v0[8], v5[8], v5b[8], t[8];

	memcpy(us, US, sizeof US);
	memcpy(is, IS, sizeof IS);
	ck_assert_int_eq(m->ops->user_vector(m, g, 0, v0), 0);
	ck_assert_int_eq(m->ops->user_vector(m, g, 5, t), IGR_UNKNOWN_USER);
	/* user 5 arrives with items 3 and 4 */
	us[NE] = 5;
	is[NE] = 3;
	us[NE + 1] = 5;
	is[NE + 1] = 4;
	g2 = graph_of(us, is, NE + 2, 6);
	ck_assert_int_eq(m->ops->prepare(m, g2), 0);
	ck_assert_int_eq(m->ops->user_vector(m, g2, 5, v5), 0);
	/* unchanged users keep their trained vectors */
	ck_assert_int_eq(m->ops->user_vector(m, g2, 0, t), 0);
	ck_assert_int_eq(memcmp(t, v0, sizeof t), 0);
	/* other edges, another vector; user 0 with a new edge is refitted */
	is[NE + 1] = 0;
	is[2] = 5;
	g3 = graph_of(us, is, NE + 2, 6);
	ck_assert_int_eq(m->ops->prepare(m, g3), 0);
	ck_assert_int_eq(m->ops->user_vector(m, g3, 5, v5b), 0);
	ck_assert(memcmp(v5, v5b, sizeof v5) != 0);
	ck_assert_int_eq(m->ops->user_vector(m, g3, 0, t), 0);
	ck_assert(memcmp(t, v0, sizeof t) != 0);
	igr_model_free(m);
	igr_graph_free(g);
	igr_graph_free(g2);
	igr_graph_free(g3);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gradient);
	tcase_add_test(tc, deterministic_and_learns);
	tcase_add_test(tc, fold_in_new_and_changed_users);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
