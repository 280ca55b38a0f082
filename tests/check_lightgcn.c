/* check_lightgcn.c - LightGCN: the gradient against finite differences,
 * determinism, checkpoint/resume, and serving through the current graph. */
#include "testutil.h"

#include "error.h"
#include "graph.h"
#include "learn.h"
#include "models/lightgcn.h"
#include "model.h"

#include <math.h>

/* A tiny graph: 5 users, 6 items (item 5 has no edges). */
static igr_graph *tiny_graph(void)
{
	static const uint32_t us[] = { 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 4 };
	static const uint32_t is[] = { 0, 1, 2, 1, 3, 0, 2, 4, 3, 0, 1, 4 };
	float w[12];
	igr_graph *g = calloc(1, sizeof *g);
	int k;

	ck_assert_ptr_nonnull(g);
	for (k = 0; k < 12; k++)
		w[k] = 1.0f + 0.5f * (float)(k % 3);
	g->n[IGR_USER] = 5;
	g->n[IGR_ITEM] = 6;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(5, 6, 12, us, is, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	return g;
}

/* Central differences of the loss in every parameter against the
 * analytic gradient. */
static void grad_check(uint32_t layers)
{
	igr_graph *g = tiny_graph();
	const igr_csr *r = g->rel[IGR_USER][IGR_ITEM];
	enum { D = 4, N = (5 + 6) * D, B = 5 };
	/* triples with repeats (item 1 is a positive and a negative) */
	const uint32_t u[B] = { 0, 1, 2, 4, 0 };
	const uint32_t i[B] = { 1, 3, 4, 0, 2 };
	const uint32_t j[B] = { 5, 1, 3, 2, 4 };
	float e0[N], grad[N], tmp[N];
	igr_rng rng;
	int p, checked = 0;

	igr_rng_seed(&rng, 7);
	for (p = 0; p < N; p++)
		e0[p] = (float)(0.5 * igr_rng_normal(&rng));
	ck_assert(!isnan(igr_emb_loss_grad(r, layers, e0, D, u, i, j, B, 0.1,
					   grad)));
	for (p = 0; p < N; p++) {
		const float h = 1e-2f;
		double lp, lm, fd;

		memcpy(tmp, e0, sizeof tmp);
		tmp[p] = e0[p] + h;
		lp = igr_emb_loss_grad(r, layers, tmp, D, u, i, j, B, 0.1,
				       tmp);
		memcpy(tmp, e0, sizeof tmp);
		tmp[p] = e0[p] - h;
		lm = igr_emb_loss_grad(r, layers, tmp, D, u, i, j, B, 0.1,
				       tmp);
		fd = (lp - lm) / (2.0 * h);
		ck_assert_msg(fabs(fd - grad[p]) < 2e-4 + 1e-2 * fabs(fd),
			      "layers %u parameter %d: analytic %g, finite "
			      "differences %g", layers, p, grad[p], fd);
		checked += grad[p] != 0;
	}
	/* the propagation spreads the gradient well beyond the batch rows */
	if (layers > 0)
		ck_assert_int_gt(checked, 30);
	igr_graph_free(g);
}

START_TEST(gradient_1_layer)
{
	grad_check(1);
}
END_TEST

START_TEST(gradient_3_layers)
{
	grad_check(3);
}
END_TEST

/* Six epochs on the tiny graph (checkpointing to CKPT if not NULL). */
static igr_model *train(igr_graph *g, const char *ckpt, int threads)
{
	igr_model *m = igr_model_new("lightgcn");
	igr_learn_opts o;

	ck_assert_ptr_nonnull(m);
	igr_learn_defaults(&o, "lightgcn");
	o.epochs = 6;
	o.dim = 8;
	o.batch = 7;
	o.lr = 0.05;
	o.lr_final = 0.01;
	o.checkpoint = ckpt;
	o.checkpoint_every = 1;
	o.threads = threads;
	ck_assert_msg(igr_lightgcn_fit(m, g, &o) == 0, "%s", igr_errmsg());
	return m;
}

static void same_arrays(const igr_model *a, const igr_model *b,
			const char *name)
{
	const igr_array *x = igr_model_get(a, name), *y = igr_model_get(b, name);

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	ck_assert_uint_eq(igr_array_len(x), igr_array_len(y));
	ck_assert_msg(memcmp(x->data, y->data, igr_array_len(x) * 4) == 0,
		      "array %s differs", name);
}

START_TEST(deterministic)
{
	igr_graph *g = tiny_graph();
	igr_model *a = train(g, NULL, 1);
	igr_model *b = train(g, NULL, 1);

	same_arrays(a, b, "user");
	same_arrays(a, b, "item0");
	igr_model_free(a);
	igr_model_free(b);
	igr_graph_free(g);
}
END_TEST

START_TEST(checkpoint_resume)
{
	igr_graph *g = tiny_graph();
	igr_model *full = train(g, NULL, 1), *again;
	igr_model *c;
	const char *ck = tu_path("run.ckpt");
	igr_learn_opts o;

	/* a run checkpointed every epoch leaves its last epoch */
	igr_model_free(train(g, ck, 1));
	c = igr_model_load(ck);
	ck_assert_ptr_nonnull(c);
	ck_assert_double_eq(igr_model_param_num(c, "epoch", 0), 6);
	igr_model_free(c);
	/* resuming a finished run is refused with a clear message */
	again = igr_model_new("lightgcn");
	igr_learn_defaults(&o, "lightgcn");
	o.epochs = 6;
	o.dim = 8;
	o.batch = 7;
	o.lr = 0.05;
	o.lr_final = 0.01;
	o.checkpoint = ck;
	o.resume = 1;
	ck_assert_int_eq(igr_lightgcn_fit(again, g, &o), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "--epochs"));
	igr_model_free(again);
	/* a checkpoint of another dimension is refused */
	again = igr_model_new("lightgcn");
	o.epochs = 8;
	o.dim = 4;
	ck_assert_int_eq(igr_lightgcn_fit(again, g, &o), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "checkpoint"));
	igr_model_free(again);
	igr_model_free(full);
	igr_graph_free(g);
}
END_TEST

/* Resume equivalence: a run interrupted after its first epoch and resumed
 * from its checkpoint ends with exactly the model of the same run done
 * straight. */
START_TEST(resume_matches_straight_run)
{
	igr_graph *g = tiny_graph();
	const char *ck = tu_path("mid.ckpt");
	igr_learn_opts o;
	igr_model *straight, *part, *resumed;

	igr_learn_defaults(&o, "lightgcn");
	o.epochs = 8;
	o.dim = 8;
	o.batch = 7;
	o.lr = 0.05;
	o.lr_final = 0.01;
	straight = igr_model_new("lightgcn");
	ck_assert_int_eq(igr_lightgcn_fit(straight, g, &o), 0);
	/* the same run, checkpointing every 4 epochs, interrupted after
	 * epoch 1 (which checkpoints too) */
	o.checkpoint = ck;
	o.checkpoint_every = 4;
	o.stop_epoch = 1;
	part = igr_model_new("lightgcn");
	ck_assert_int_eq(igr_lightgcn_fit(part, g, &o), 0);
	{
		igr_model *c = igr_model_load(ck);

		ck_assert_ptr_nonnull(c);
		/* the interruption checkpointed epoch 1 */
		ck_assert_double_eq(igr_model_param_num(c, "epoch", 0), 1);
		igr_model_free(c);
	}
	o.stop_epoch = 0;
	o.resume = 1;
	resumed = igr_model_new("lightgcn");
	ck_assert_msg(igr_lightgcn_fit(resumed, g, &o) == 0, "%s",
		      igr_errmsg());
	same_arrays(straight, resumed, "user");
	same_arrays(straight, resumed, "item0");
	igr_model_free(straight);
	igr_model_free(part);
	igr_model_free(resumed);
	igr_graph_free(g);
}
END_TEST

START_TEST(serving_uses_current_graph)
{
	igr_graph *g = tiny_graph(), *g2;
	igr_model *m = train(g, NULL, 1);
	const igr_array *fu = igr_model_get(m, "user");
	float v[8], v2[8], sc[6], sc2[6];
	uint32_t u = 5;
	static const uint32_t us[] = { 0, 0, 0, 1, 1, 2, 2, 2, 3, 4, 4, 4,
				       5, 5 };
	static const uint32_t is[] = { 0, 1, 2, 1, 3, 0, 2, 4, 3, 0, 1, 4,
				       3, 4 };
	float w[14];
	int k;

	m->ops = igr_model_ops_find("lightgcn");
	ck_assert_ptr_nonnull(m->ops);
	/* on the training graph, prepare reproduces the trained vectors */
	ck_assert_int_eq(m->ops->prepare(m, g), 0);
	for (k = 0; k < 5; k++) {
		ck_assert_int_eq(m->ops->user_vector(m, g, (uint32_t)k, v), 0);
		ck_assert_float_eq_tol(v[0], ((float *)fu->data)[k * 8], 1e-5);
	}
	/* user 5 is new (events after training) */
	ck_assert_int_eq(m->ops->user_vector(m, g, 5, v), IGR_UNKNOWN_USER);
	for (k = 0; k < 14; k++)
		w[k] = 1;
	g2 = calloc(1, sizeof *g2);
	g2->n[IGR_USER] = 6;
	g2->n[IGR_ITEM] = 6;
	g2->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(6, 6, 14, us, is, w, NULL, NULL, 1);
	ck_assert_int_eq(m->ops->prepare(m, g2), 0);
	ck_assert_int_eq(m->ops->user_vector(m, g2, 5, v), 0);
	ck_assert_int_eq(m->ops->score_users(m, g2, &u, 1, NULL, 6, sc), 0);
	/* the new user's vector comes from items 3 and 4 */
	for (k = 0; k < 8; k++)
		ck_assert(v[k] != 0);
	/* other edges, other vector */
	g2->rel[IGR_USER][IGR_ITEM]->idx[13] = 0;
	ck_assert_int_eq(m->ops->prepare(m, g2), 0);
	ck_assert_int_eq(m->ops->user_vector(m, g2, 5, v2), 0);
	ck_assert_int_eq(m->ops->score_users(m, g2, &u, 1, NULL, 6, sc2), 0);
	ck_assert(memcmp(v, v2, sizeof v) != 0);
	ck_assert(memcmp(sc, sc2, sizeof sc) != 0);
	igr_model_free(m);
	igr_graph_free(g);
	igr_graph_free(g2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lightgcn");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gradient_1_layer);
	tcase_add_test(tc, gradient_3_layers);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, checkpoint_resume);
	tcase_add_test(tc, resume_matches_straight_run);
	tcase_add_test(tc, serving_uses_current_graph);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
