/* check_propagate.c - one igraph-propagate run (propagate.h): interest
 * points recomputed through a model into a graph output, sorted rows of
 * at most --points entries, --users-from keeping the other rows, a graph
 * without categories found, errors returned. */
#include "testutil.h"

#include "error.h"
#include "graph.h"
#include "model.h"
#include "models/pop.h"
#include "propagate.h"
#include "stream.h"
#include "train.h"

#define NU 12
#define NI 20
#define NC 4

/* A graph with user->item edges, item->category edges (unless NOCAT)
 * and an old interest point user->category 3 for every user. */
static void write_graph(const char *name, int nocat)
{
	char text[20000];
	size_t n = 0;
	uint32_t u, i;

	n += (size_t)sprintf(text + n,
			     "#igraph graph 1.0\n#meta\tnodes.user\t%d\n"
			     "#meta\tnodes.item\t%d\n#meta\tnodes.category\t%d\n"
			     "src_type\tsrc\tdst_type\tdst\tweight\tcount\t"
			     "last_ts\n", NU, NI, NC);
	for (u = 0; u < NU; u++) {
		for (i = 0; i < NI; i++)
			if ((u * 7 + i * 3) % 5 == 0)
				n += (size_t)sprintf(text + n,
						     "user\t%u\titem\t%u\t%u\t1\t"
						     "%u\n", u, i, 1 + i % 3,
						     1000 + u);
		n += (size_t)sprintf(text + n,
				     "user\t%u\tcategory\t3\t0.5\t1\t7\n", u);
	}
	for (i = 0; !nocat && i < NI; i++)
		n += (size_t)sprintf(text + n,
				     "item\t%u\tcategory\t%u\t1\t1\t0\n", i,
				     i % NC);
	tu_write_sealed(tu_path(name), text, n);
}

static void write_pop_model(void)
{
	struct igr_train_ctx ctx;
	igr_reader *r = igr_reader_open(tu_path("g.tsv"), IGR_KIND_GRAPH);
	igr_graph *g;
	igr_model *m;

	ck_assert_ptr_nonnull(r);
	g = igr_graph_read(r, IGR_REL_ALL, 0);
	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	igr_reader_close(r);
	memset(&ctx, 0, sizeof ctx);
	m = igr_train_pop(g, &ctx);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_model_save(m, tu_path("pop.igm")), 0);
	igr_model_free(m);
	igr_graph_free(g);
}

static void opts_init(struct igr_propagate_opts *o)
{
	static char *argv[] = { "igraph-propagate", NULL };

	memset(o, 0, sizeof *o);
	o->model = tu_path("pop.igm");
	o->graph = tu_path("g.tsv");
	o->output = tu_path("out.tsv");
	o->encoding = IGR_ENC_TSV;
	o->points = 2;
	o->depth = 5;
	o->argc = 1;
	o->argv = argv;
}

/* Every step of O; the output graph read back. */
static igr_graph *run(const struct igr_propagate_opts *o,
		      struct igr_propagate_stats *st)
{
	igr_propagate *p = igr_propagate_open(o);
	igr_reader *r;
	igr_graph *g;

	ck_assert_msg(p != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_propagate_outputs(p), 0);
	ck_assert_msg(igr_propagate_run(p) == 0, "%s", igr_errmsg());
	ck_assert_int_eq(igr_propagate_close(p), 0);
	igr_propagate_stats(p, st);
	igr_propagate_free(p);
	r = igr_reader_open(o->output, IGR_KIND_GRAPH);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "interest"),
			 "model pop, top 5 items, 2 points per user");
	g = igr_graph_read(r, IGR_REL_ALL, IGR_GRAPH_DETAILS);
	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	igr_reader_close(r);
	return g;
}

/* User U's interest points are the old single point (category 3, weight
 * 0.5) or not, and sorted. */
static int kept_old(const igr_csr *uc, uint32_t u)
{
	uint64_t k;

	for (k = uc->ptr[u] + 1; k < uc->ptr[u + 1]; k++)
		ck_assert_uint_lt(uc->idx[k - 1], uc->idx[k]);
	ck_assert_uint_le(uc->ptr[u + 1] - uc->ptr[u], 2);
	return uc->ptr[u + 1] - uc->ptr[u] == 1 && uc->idx[uc->ptr[u]] == 3 &&
	       uc->w[uc->ptr[u]] == 0.5f;
}

START_TEST(every_user)
{
	struct igr_propagate_opts o;
	struct igr_propagate_stats st;
	igr_graph *g;
	uint32_t u;

	tu_setup();
	write_graph("g.tsv", 0);
	write_pop_model();
	opts_init(&o);
	g = run(&o, &st);
	ck_assert_uint_eq(st.users, NU);
	ck_assert_uint_eq(st.vectors, 0);
	ck_assert_uint_gt(st.points, 0);
	for (u = 0; u < NU; u++)
		ck_assert(!kept_old(g->rel[IGR_USER][IGR_CATEGORY], u));
	igr_graph_free(g);
	tu_cleanup();
}
END_TEST

START_TEST(users_from_and_no_categories)
{
	static const char ev[] = "#igraph events 1.0\n"
				 "ts\tuser\titem\tcategory\tbehavior\tvalue\n"
				 "1\t4\t1\t-\tview\t1\n"
				 "2\t9\t2\t-\tbuy\t1\n"
				 "3\t4\t3\t-\tview\t1\n";
	struct igr_propagate_opts o;
	struct igr_propagate_stats st;
	igr_propagate *p;
	igr_graph *g;
	uint32_t u;

	tu_setup();
	write_graph("g.tsv", 0);
	write_pop_model();
	tu_write_sealed(tu_path("ev.tsv"), ev, sizeof ev - 1);
	opts_init(&o);
	o.users_from = tu_path("ev.tsv");
	g = run(&o, &st);
	ck_assert_uint_eq(st.users, 2);
	for (u = 0; u < NU; u++)
		ck_assert_int_eq(kept_old(g->rel[IGR_USER][IGR_CATEGORY], u),
				 u != 4 && u != 9);
	igr_graph_free(g);

	write_graph("g.tsv", 1);
	opts_init(&o);
	p = igr_propagate_open(&o);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(igr_propagate_no_categories(p), 1);
	igr_propagate_free(p);
	tu_cleanup();
}
END_TEST

START_TEST(errors_returned)
{
	struct igr_propagate_opts o;

	tu_setup();
	write_graph("g.tsv", 0);
	write_pop_model();
	opts_init(&o);
	o.graph = tu_path("missing.tsv");
	ck_assert_ptr_null(igr_propagate_open(&o));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "missing.tsv"));
	opts_init(&o);
	o.model = tu_path("missing.igm");
	ck_assert_ptr_null(igr_propagate_open(&o));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "missing.igm"));
	opts_init(&o);
	o.users_from = tu_path("missing.tsv");
	ck_assert_ptr_null(igr_propagate_open(&o));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "missing.tsv"));
	tu_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("propagate");
	TCase *tc = tcase_create("propagate");

	tcase_add_test(tc, every_user);
	tcase_add_test(tc, users_from_and_no_categories);
	tcase_add_test(tc, errors_returned);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
