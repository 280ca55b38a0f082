/* check_mf.c - BPR matrix factorisation: the gradient against finite
 * differences, determinism, and the fold-in of new and changed users. */
#include "testutil.h"

#include "dsgd.h"
#include "error.h"
#include "graph.h"
#include "learn.h"
#include "models/lightgcn.h"
#include "models/mf.h"
#include "model.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

/* Options for the tests: mf's defaults, dimension 8, EPOCHS, BATCH. */
static void opts(igr_learn_opts *o, uint32_t epochs, uint32_t batch)
{
	igr_learn_defaults(o, "mf");
	o->epochs = epochs;
	o->dim = 8;
	o->batch = batch;
}

static igr_model *fit(const igr_graph *g, const igr_learn_opts *o)
{
	igr_model *m = igr_model_new("mf");

	ck_assert_msg(igr_mf_fit(m, g, o) == 0, "%s", igr_errmsg());
	return m;
}

static igr_model *train(const igr_graph *g, uint32_t negatives)
{
	igr_learn_opts o;
	igr_model *m;

	opts(&o, 30, 5);
	o.lr = 0.05;
	o.lr_final = 0.01;
	o.negatives = negatives;
	m = fit(g, &o);
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

/* NU users and NI items, each user with 8 to 15 distinct items drawn from
 * a seed (duplicates summed), weights 1 and 2. */
static igr_graph *random_graph(uint32_t nu, uint32_t ni, uint64_t seed)
{
	igr_graph *g = calloc(1, sizeof *g);
	size_t n = 0, cap = (size_t)nu * 15;
	uint32_t *us = malloc(cap * sizeof *us), *is = malloc(cap * sizeof *is);
	float *w = malloc(cap * sizeof *w);
	igr_rng rng;
	uint32_t u, k;

	igr_rng_seed(&rng, seed);
	for (u = 0; u < nu; u++)
		for (k = 8 + igr_rng_below(&rng, 8); k > 0; k--) {
			us[n] = u;
			is[n] = igr_rng_below(&rng, ni);
			w[n] = 1.0f + (float)(n % 2);
			n++;
		}
	g->n[IGR_USER] = nu;
	g->n[IGR_ITEM] = ni;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(nu, ni, n, us, is, w, NULL, NULL, 0);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	free(us);
	free(is);
	free(w);
	return g;
}

static igr_model *train_dsgd(const igr_graph *g, uint32_t strata,
			     int threads)
{
	igr_learn_opts o;

	opts(&o, 3, 64);
	o.strata = strata;
	o.weight_power = 1;
#ifdef _OPENMP
	omp_set_num_threads(threads);
#else
	(void)threads;
#endif
	return fit(g, &o);
}

/* Strata not given (0): 4, fewer where a range would have under 5,000
 * items, never more than one range per 64 users; given: as asked, within
 * the 64-row rule. */
START_TEST(strata_from_the_data)
{
	igr_csr c = { 0 };

	c.nrows = 30000;
	c.ncols = 41000; /* Gowalla's shape */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 4);
	c.ncols = 23715; /* Amazon Video Games */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 4);
	c.ncols = 12101; /* Amazon Beauty */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 2);
	ck_assert_uint_eq(igr_dsgd_strata(&c, 4), 4);
	c.ncols = 9999;
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 1);
	c.ncols = 3870000; /* the 100M-event log */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 4);
	c.nrows = 150; /* two ranges of 64 users at most */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 2);
	ck_assert_uint_eq(igr_dsgd_strata(&c, 16), 2);
	c.nrows = 943;
	c.ncols = 1682; /* MovieLens 100K */
	ck_assert_uint_eq(igr_dsgd_strata(&c, 0), 1);
	ck_assert_uint_eq(igr_dsgd_strata(&c, 3), 3);
}
END_TEST

/* The blocks of a stratum touch disjoint rows: trained on 1 or 3 threads
 * the model is the same; the strata used are recorded, at most one per
 * 64 users and items. */
START_TEST(strata_threads)
{
	igr_graph *g = random_graph(300, 500, 7);
	igr_model *a = train_dsgd(g, 4, 1), *b = train_dsgd(g, 4, 3);
	igr_model *c = train_dsgd(g, 1, 1), *e = train_dsgd(g, 16, 1);
	const char *arr[] = { "user", "item" };
	int k;

	for (k = 0; k < 2; k++) {
		const igr_array *x = igr_model_get(a, arr[k]);
		const igr_array *y = igr_model_get(b, arr[k]);

		ck_assert_uint_eq(igr_array_len(x), igr_array_len(y));
		ck_assert_int_eq(memcmp(x->data, y->data,
					igr_array_len(x) * 4), 0);
		/* other strata, another model */
		ck_assert(memcmp(x->data, igr_model_get(c, arr[k])->data,
				 igr_array_len(x) * 4) != 0);
	}
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
				 igr_model_data(a), "strata")), 4);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
				 igr_model_data(c), "strata")), 1);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
				 igr_model_data(e), "strata")), 4);
#ifdef _OPENMP
	omp_set_num_threads(1);
#endif
	igr_model_free(a);
	igr_model_free(b);
	igr_model_free(c);
	igr_model_free(e);
	igr_graph_free(g);
}
END_TEST

/* An epoch: as many samples as edges (each block's share rounded), every
 * one trained; the user and item rows of the graph all move, Adam's step
 * count advances by about the steps of a serial epoch. */
START_TEST(epoch_schedule)
{
	igr_graph *g = random_graph(300, 500, 8);
	igr_csr *r = igr_learn_matrix(g, 0);
	igr_learn_opts o;
	igr_adam a;
	igr_dsgd *s;
	float *x, *x0;
	size_t n, q;
	uint64_t done;
	double loss;
	int cut, moved = 0;

	ck_assert_ptr_nonnull(r);
	igr_learn_defaults(&o, "mf");
	o.dim = 4;
	o.batch = 128;
	n = ((size_t)r->nrows + r->ncols) * o.dim;
	x = malloc(n * sizeof *x);
	x0 = malloc(n * sizeof *x0);
	for (q = 0; q < n; q++)
		x[q] = x0[q] = (float)(q % 7) * 0.01f;
	ck_assert_int_eq(igr_adam_init(&a, n), 0);
	s = igr_dsgd_new(r, 4, &o, x, &a);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_le(igr_dsgd_samples(s), r->nnz + 16);
	ck_assert_uint_ge(igr_dsgd_samples(s), r->nnz - 16);
	ck_assert_int_eq(igr_dsgd_epoch(s, 0, 0.01f, 0, &loss, &done, &cut),
			 0);
	ck_assert_uint_eq(done, igr_dsgd_samples(s));
	ck_assert_int_eq(cut, 0);
	ck_assert(loss > 0);
	/* R rounds of 4 strata of steps of 128 / 4 pairs: the longest
	 * block's steps, rounded up once a sub-epoch */
	ck_assert_uint_eq(igr_dsgd_rounds_of(s),
			  igr_dsgd_rounds(r->nnz, 300, 4));
	ck_assert_uint_ge(a.t, (r->nnz + 127) / 128);
	ck_assert_uint_le(a.t, (r->nnz + 127) / 128 +
				       4 * igr_dsgd_rounds_of(s));
	for (q = 0; q < ((size_t)r->nrows + r->ncols); q++)
		moved += memcmp(x + q * o.dim, x0 + q * o.dim,
				o.dim * sizeof *x) != 0;
	ck_assert_int_ge(moved, 300 + 450);
	ck_assert_int_eq(igr_dsgd_gather(s, 1), 0);
	igr_dsgd_free(s);
	igr_adam_release(&a);
	free(x);
	free(x0);
	igr_csr_free(r);
	igr_graph_free(g);
}
END_TEST

/* Rounds: about IGR_DSGD_RUN samples of a user a block a pass, at least
 * one pass, at most IGR_DSGD_MAX_ROUNDS. */
START_TEST(rounds)
{
	/* Gowalla: 810,128 edges of 29,858 users: 6.8 a user a stratum */
	ck_assert_uint_eq(igr_dsgd_rounds(810128, 29858, 4), 2);
	/* the generated 10M log: 6.85M edges of 99,714 users */
	ck_assert_uint_eq(igr_dsgd_rounds(6853029, 99714, 4), 5);
	ck_assert_uint_eq(igr_dsgd_rounds(16, 4, 4), 1);
	ck_assert_uint_eq(igr_dsgd_rounds(0, 0, 4), 1);
	ck_assert_uint_eq(igr_dsgd_rounds(10, 0, 1), 3);
	ck_assert_uint_eq(igr_dsgd_rounds(UINT64_C(1) << 40, 1000, 4),
			  IGR_DSGD_MAX_ROUNDS);
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
	tcase_add_test(tc, strata_threads);
	tcase_add_test(tc, strata_from_the_data);
	tcase_add_test(tc, epoch_schedule);
	tcase_add_test(tc, rounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
