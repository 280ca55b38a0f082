/* check_itemknn.c - item-kNN similarities against hand-computed cosines, and
 * its serving ops. */
#include "testutil.h"

#include "error.h"
#include "graph.h"
#include "model.h"
#include "topk.h"
#include "models/itemknn.h"
#include "train.h"

#include <math.h>

/*
 * The graph (weights 1 unless said):
 *   user 0: items 0, 1      user 2: items 1, 2
 *   user 1: items 0, 1, 2   user 3: items 2, 3
 * Item columns: 0 = {0, 1}, 1 = {0, 1, 2}, 2 = {1, 2, 3}, 3 = {3}.
 * Plain cosines: S(0,1) = 2/sqrt(6), S(0,2) = 1/sqrt(6), S(1,2) = 2/3,
 * S(2,3) = 1/sqrt(3); items 0 and 3, 1 and 3 share no user.
 */
static igr_graph *load(const char *extra)
{
	char text[2048];
	igr_reader *r;
	igr_graph *g;
	snprintf(text, sizeof text,
		 "#igraph graph 1.0\n"
		 "#meta\tnodes.user\t5\n"
		 "#meta\tnodes.item\t5\n"
		 "src_type\tsrc\tdst_type\tdst\tweight\tcount\tlast_ts\n"
		 "user\t0\titem\t0\t1\t1\t0\n"
		 "user\t0\titem\t1\t1\t1\t0\n"
		 "user\t1\titem\t0\t1\t1\t0\n"
		 "user\t1\titem\t1\t1\t1\t0\n"
		 "user\t1\titem\t2\t1\t1\t0\n"
		 "user\t2\titem\t1\t1\t1\t0\n"
		 "user\t2\titem\t2\t1\t1\t0\n"
		 "user\t3\titem\t2\t1\t1\t0\n"
		 "user\t3\titem\t3\t%s\t1\t0\n",
		 extra ? extra : "1");
	tu_write_sealed(tu_path("g.tsv"), text, strlen(text));
	r = igr_reader_open(tu_path("g.tsv"), IGR_KIND_GRAPH);
	ck_assert_ptr_nonnull(r);
	g = igr_graph_read(r, IGR_REL_ALL, 0);
	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	igr_reader_close(r);
	return g;
}

static igr_model *train(const igr_graph *g, const char *json)
{
	struct igr_train_ctx ctx;
	cJSON *p = cJSON_Parse(json);
	igr_model *m;
	ck_assert_ptr_nonnull(p);
	memset(&ctx, 0, sizeof ctx);
	ctx.params = p;
	m = igr_train_itemknn(g, &ctx);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	cJSON_Delete(p);
	m->ops = igr_model_ops_find("itemknn");
	ck_assert_ptr_nonnull(m->ops);
	ck_assert_int_eq(m->ops->prepare(m, g), 0);
	return m;
}

/* S(a, b) from the model arrays, or -1 if b is not a neighbour of a. */
static double sim(const igr_model *m, uint32_t a, uint32_t b)
{
	const igr_array *p = igr_model_get(m, "nbr_ptr");
	const igr_array *n = igr_model_get(m, "nbr");
	const igr_array *s = igr_model_get(m, "sim");
	const uint64_t *pp = p->data;
	const uint32_t *nn = n->data;
	const float *ss = s->data;
	uint64_t k;
	for (k = pp[a]; k < pp[a + 1]; k++) {
		if (k > pp[a])
			ck_assert_uint_lt(nn[k - 1], nn[k]); /* sorted by id */
		if (nn[k] == b)
			return ss[k];
	}
	return -1;
}

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-6, "%.9g != %.9g", \
				 (double)(a), (double)(b))

START_TEST(plain_cosine)
{
	igr_graph *g = load(NULL);
	igr_model *m = train(g, "{\"alpha\":0.5,\"user-damping\":0,"
				"\"normalise\":0}");
	NEAR(sim(m, 0, 1), 2 / sqrt(6));
	NEAR(sim(m, 1, 0), 2 / sqrt(6));
	NEAR(sim(m, 0, 2), 1 / sqrt(6));
	NEAR(sim(m, 1, 2), 2.0 / 3);
	NEAR(sim(m, 2, 3), 1 / sqrt(3));
	NEAR(sim(m, 3, 2), 1 / sqrt(3));
	ck_assert(sim(m, 0, 3) == -1); /* no common user: no neighbour */
	ck_assert(sim(m, 0, 0) == -1); /* never its own neighbour */
	ck_assert(sim(m, 4, 0) == -1); /* an item without users */
	/* every setting is recorded, defaults included */
	ck_assert(igr_model_param_num(m, "alpha", -1) == 0.5);
	ck_assert(igr_model_param_num(m, "neighbours", -1) == 200);
	ck_assert(igr_model_param_num(m, "shrink", -1) == 0);
	ck_assert_uint_eq(igr_model_nitems(m), 5);
	ck_assert_uint_eq(igr_model_nusers(m), 5);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(damping_asymmetry_shrink)
{
	igr_graph *g = load(NULL);
	/* R'(u, i) = d(u)^-1/2: users 0, 2, 3 have 2 items, user 1 has 3 */
	double co01 = 0.5 + 1.0 / 3, n0 = 0.5 + 1.0 / 3;
	double n1 = 0.5 + 1.0 / 3 + 0.5, n2 = 1.0 / 3 + 0.5 + 0.5;
	double co12 = 1.0 / 3 + 0.5;
	igr_model *m = train(g, "{\"alpha\":0.85,\"user-damping\":1,"
				"\"normalise\":0,\"shrink\":0.5}");
	NEAR(sim(m, 0, 1), co01 / (pow(n0, 0.85) * pow(n1, 0.15) + 0.5));
	NEAR(sim(m, 1, 0), co01 / (pow(n1, 0.85) * pow(n0, 0.15) + 0.5));
	NEAR(sim(m, 1, 2), co12 / (pow(n1, 0.85) * pow(n2, 0.15) + 0.5));
	igr_model_free(m);
	/* locality q = 2 squares the cosine */
	m = train(g, "{\"alpha\":0.5,\"user-damping\":0,\"normalise\":0,"
		     "\"locality\":2}");
	NEAR(sim(m, 0, 1), 4.0 / 6);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(normalise_and_truncate)
{
	igr_graph *g = load(NULL);
	igr_model *m = train(g, "{\"alpha\":0.5,\"user-damping\":0,"
				"\"normalise\":1,\"neighbours\":1}");
	/* item 2's best is item 1 (2/3 > 1/sqrt(3)): kept, as 1 */
	NEAR(sim(m, 2, 1), 1.0);
	ck_assert(sim(m, 2, 3) == -1);
	ck_assert(sim(m, 2, 0) == -1);
	NEAR(sim(m, 3, 2), 1.0);
	igr_model_free(m);
	m = train(g, "{\"alpha\":0.5,\"user-damping\":0,\"normalise\":1}");
	/* row 2: 1/sqrt(6), 2/3, 1/sqrt(3) divided by 2/3 */
	NEAR(sim(m, 2, 0), (1 / sqrt(6)) / (2.0 / 3));
	NEAR(sim(m, 2, 3), (1 / sqrt(3)) / (2.0 / 3));
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(weights_count)
{
	/* user 3's edge to item 3 weighs 4: only items 2 and 3 change */
	igr_graph *g = load("4");
	igr_model *m = train(g, "{\"alpha\":0.5,\"user-damping\":0,"
				"\"normalise\":0}");
	NEAR(sim(m, 2, 3), 4 / (sqrt(3) * 4));
	NEAR(sim(m, 0, 1), 2 / sqrt(6));
	igr_model_free(m);
	m = train(g, "{\"alpha\":0.5,\"user-damping\":0,\"normalise\":0,"
		     "\"binary\":true}");
	NEAR(sim(m, 2, 3), 1 / sqrt(3));
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(serving_ops)
{
	igr_graph *g = load(NULL);
	igr_model *m = train(g, "{\"alpha\":0.5,\"user-damping\":0,"
				"\"normalise\":0}");
	igr_acc acc;
	float dense[5];
	uint32_t u3 = 3, u4 = 4;
	igr_contrib why[4];
	int n;
	ck_assert_int_eq(igr_acc_init(&acc, 5), 0);
	/* user 3 has items 2 and 3 */
	ck_assert_int_eq(m->ops->score_user_sparse(m, g, 3, &acc), 0);
	NEAR(acc.v[0], 1 / sqrt(6));
	NEAR(acc.v[1], 2.0 / 3);
	NEAR(acc.v[2], 1 / sqrt(3));
	NEAR(acc.v[3], 1 / sqrt(3));
	ck_assert(acc.v[4] == 0 && !acc.mark[4]);
	ck_assert_int_eq(m->ops->score_users(m, g, &u3, 1, NULL, 5, dense), 0);
	for (int i = 0; i < 5; i++)
		ck_assert(dense[i] == acc.v[i]);
	igr_acc_clear(&acc);
	/* user 4 has no edges */
	ck_assert_int_eq(m->ops->score_user_sparse(m, g, 4, &acc),
			 IGR_UNKNOWN_USER);
	ck_assert_int_eq(m->ops->score_users(m, g, &u4, 1, NULL, 5, dense), 0);
	ck_assert(dense[0] == 0);
	igr_acc_release(&acc);
	/* similar items: item 0's row */
	{
		uint32_t q[2] = { 0, 4 };
		float out[10];
		ck_assert_int_eq(m->ops->score_items(m, g, q, 2, out), 0);
		NEAR(out[1], 2 / sqrt(6));
		ck_assert(out[3] == 0);
		ck_assert(out[5 + 0] == 0);
	}
	/* explanations of user 1's score for item 3 ... none (no path);
	 * user 0's for item 2: items 0 and 1 contribute */
	n = m->ops->explain(m, g, 0, 2, why, 4);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(why[0].id, 1);
	ck_assert_uint_eq(why[0].type, IGR_ITEM);
	NEAR(why[0].w, 2.0 / 3);
	ck_assert_uint_eq(why[1].id, 0);
	NEAR(why[1].w, 1 / sqrt(6));
	ck_assert_int_eq(m->ops->explain(m, g, 0, 2, why, 1), 1);
	ck_assert_uint_eq(why[0].id, 1);
	ck_assert_int_eq(m->ops->explain(m, g, 0, 3, why, 4), 0);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(save_load)
{
	igr_graph *g = load(NULL);
	igr_model *m = train(g, "{}"), *l;
	ck_assert_int_eq(igr_model_save(m, tu_path("k.igm")), 0);
	l = igr_model_load(tu_path("k.igm"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	ck_assert_str_eq(igr_model_name(l), "itemknn");
	ck_assert(igr_model_param_num(l, "alpha", 0) == 0.85);
	ck_assert(igr_model_param_num(l, "user-damping", 0) == 1);
	ck_assert_int_eq(l->ops->prepare(l, g), 0);
	igr_model_free(l);
	/* a damaged neighbour list is refused, not trusted */
	{
		const igr_array *a = igr_model_get(m, "nbr");
		((uint32_t *)a->data)[0] = 99;
		ck_assert_int_eq(igr_model_save(m, tu_path("bad.igm")), 0);
		l = igr_model_load(tu_path("bad.igm"));
		ck_assert_ptr_nonnull(l);
		ck_assert_int_eq(l->ops->prepare(l, g), -1);
		ck_assert(strstr(igr_errmsg(), "out of range") != NULL);
		igr_model_free(l);
	}
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(no_edges)
{
	const char *text = "#igraph graph 1.0\n"
			   "src_type\tsrc\tdst_type\tdst\tweight\tcount\tlast_ts\n"
			   "item\t0\tcategory\t0\t1\t1\t0\n";
	struct igr_train_ctx ctx;
	igr_reader *r;
	igr_graph *g;
	tu_write_sealed(tu_path("e.tsv"), text, strlen(text));
	r = igr_reader_open(tu_path("e.tsv"), IGR_KIND_GRAPH);
	g = igr_graph_read(r, IGR_REL_ALL, 0);
	igr_reader_close(r);
	memset(&ctx, 0, sizeof ctx);
	ck_assert_ptr_null(igr_train_itemknn(g, &ctx));
	ck_assert(strstr(igr_errmsg(), "no user->item edges") != NULL);
	igr_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("itemknn");
	TCase *tc = tcase_create("itemknn");
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, plain_cosine);
	tcase_add_test(tc, damping_asymmetry_shrink);
	tcase_add_test(tc, normalise_and_truncate);
	tcase_add_test(tc, weights_count);
	tcase_add_test(tc, serving_ops);
	tcase_add_test(tc, save_load);
	tcase_add_test(tc, no_edges);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
