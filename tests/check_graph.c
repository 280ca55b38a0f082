/* check_graph.c - the CSR graph store. */
#include "testutil.h"

#include "error.h"
#include "graph.h"

#include <math.h>

static void write_graph(const char *path, const igr_edge *e, int n,
			const char *nodes_item)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_GRAPH, IGR_ENC_BINARY);
	int i;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(igr_writer_set_meta(w, "now", "1000"), 0);
	ck_assert_int_eq(igr_writer_set_meta(w, "half_life", "86400"), 0);
	if (nodes_item)
		ck_assert_int_eq(igr_writer_set_meta(w, "nodes.item",
						     nodes_item), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(igr_write_edge(w, &e[i]), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
}

static igr_edge E(int st, uint32_t s, int dt, uint32_t d, float w)
{
	igr_edge e = { (uint8_t)st, (uint8_t)dt, s, d, w, 2, 500 };
	return e;
}

START_TEST(load_unsorted)
{
	/* out of order on purpose: rows must come out sorted */
	igr_edge e[] = {
		E(IGR_USER, 2, IGR_ITEM, 5, 1.5f),
		E(IGR_USER, 0, IGR_ITEM, 3, 1.0f),
		E(IGR_USER, 2, IGR_ITEM, 1, 2.0f),
		E(IGR_USER, 0, IGR_CATEGORY, 0, 4.0f),
		E(IGR_USER, 2, IGR_ITEM, 3, 0.5f),
		E(IGR_ITEM, 3, IGR_CATEGORY, 1, 1.0f),
	};
	igr_reader *r;
	igr_graph *g;
	const igr_csr *ui;
	igr_csr *tr;

	write_graph(tu_path("g"), e, 6, "10");
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	g = igr_graph_read(r, IGR_REL_ALL, IGR_GRAPH_DETAILS);
	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(g->n[IGR_USER], 3);
	ck_assert_uint_eq(g->n[IGR_ITEM], 10); /* from nodes.item */
	ck_assert_uint_eq(g->n[IGR_CATEGORY], 2);
	ck_assert(g->has_now && g->now == 1000);
	ck_assert(g->half_life == 86400);
	ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	ck_assert_uint_eq(ui->nnz, 4);
	ck_assert_uint_eq(igr_csr_degree(ui, 0), 1);
	ck_assert_uint_eq(igr_csr_degree(ui, 1), 0);
	ck_assert_uint_eq(igr_csr_degree(ui, 2), 3);
	ck_assert_uint_eq(ui->idx[ui->ptr[2]], 1);
	ck_assert_uint_eq(ui->idx[ui->ptr[2] + 1], 3);
	ck_assert_uint_eq(ui->idx[ui->ptr[2] + 2], 5);
	ck_assert(ui->w[ui->ptr[2]] == 2.0f);
	ck_assert(ui->w[ui->ptr[2] + 2] == 1.5f);
	ck_assert_uint_eq(ui->count[0], 2);
	ck_assert_int_eq(ui->last_ts[0], 500);
	ck_assert(igr_csr_get(ui, 2, 3) == 0.5f);
	ck_assert(igr_csr_get(ui, 2, 4) == 0.0f);
	ck_assert(igr_csr_get(ui, 7, 4) == 0.0f);
	ck_assert_ptr_nonnull(igr_graph_rel(g, IGR_ITEM, IGR_CATEGORY));
	ck_assert_ptr_null(igr_graph_rel(g, IGR_ITEM, IGR_ITEM));
	tr = igr_csr_transpose(ui);
	ck_assert_uint_eq(tr->nrows, 10);
	ck_assert_uint_eq(igr_csr_degree(tr, 3), 2);
	ck_assert_uint_eq(tr->idx[tr->ptr[3]], 0);
	ck_assert_uint_eq(tr->idx[tr->ptr[3] + 1], 2);
	ck_assert(tr->w[tr->ptr[3] + 1] == 0.5f);
	igr_csr_free(tr);
	/* write it back: sorted order, same edges */
	{
		igr_writer *w = igr_writer_open(tu_path("g2"), IGR_KIND_GRAPH,
						IGR_ENC_TSV);
		igr_reader *r2;
		igr_edge x;
		int n = 0;
		ck_assert_int_eq(igr_graph_write(g, w), 0);
		ck_assert_int_eq(igr_writer_close(w), 0);
		r2 = igr_reader_open(tu_path("g2"), IGR_KIND_GRAPH);
		ck_assert_int_eq(igr_read_edge(r2, &x), 1);
		ck_assert(x.src_type == IGR_USER && x.src == 0 &&
			  x.dst_type == IGR_ITEM && x.dst == 3);
		n = 1;
		while (igr_read_edge(r2, &x) == 1)
			n++;
		ck_assert_int_eq(n, 6);
		ck_assert(x.src_type == IGR_ITEM && x.src == 3);
		igr_reader_close(r2);
	}
	igr_graph_free(g);
	igr_reader_close(r);
	/* selecting one relation */
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	g = igr_graph_read(r, IGR_REL(IGR_USER, IGR_CATEGORY), 0);
	ck_assert_ptr_null(igr_graph_rel(g, IGR_USER, IGR_ITEM));
	ck_assert_ptr_nonnull(igr_graph_rel(g, IGR_USER, IGR_CATEGORY));
	ck_assert_ptr_null(igr_graph_rel(g, IGR_USER, IGR_CATEGORY)->count);
	ck_assert_uint_eq(g->n[IGR_ITEM], 10);
	igr_graph_free(g);
	igr_reader_close(r);
}
END_TEST

START_TEST(duplicate_edge_refused)
{
	igr_edge e[] = { E(IGR_USER, 1, IGR_ITEM, 2, 1), E(IGR_USER, 1, IGR_ITEM, 2, 1) };
	igr_reader *r;

	write_graph(tu_path("g"), e, 2, NULL);
	r = igr_reader_open(tu_path("g"), IGR_KIND_GRAPH);
	ck_assert_ptr_null(igr_graph_read(r, IGR_REL_ALL, 0));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "duplicate edge (1, 2)"));
	igr_reader_close(r);
}
END_TEST

START_TEST(coo_sums_duplicates)
{
	uint32_t r[] = { 1, 0, 1, 1 }, c[] = { 2, 0, 2, 0 };
	float w[] = { 1, 2, 3, 4 };
	uint32_t cnt[] = { 1, 1, 2, 1 };
	int64_t ts[] = { 10, 20, 30, 5 };
	igr_csr *a = igr_csr_from_coo(2, 3, 4, r, c, w, cnt, ts, 0);

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->nnz, 3);
	ck_assert(igr_csr_get(a, 1, 2) == 4.0f);
	ck_assert_uint_eq(a->count[a->ptr[1] + 1], 3);
	ck_assert_int_eq(a->last_ts[a->ptr[1] + 1], 30);
	ck_assert(igr_csr_get(a, 1, 0) == 4.0f);
	igr_csr_free(a);
	/* out of range coordinates */
	c[0] = 3;
	ck_assert_ptr_null(igr_csr_from_coo(2, 3, 4, r, c, w, NULL, NULL, 0));
}
END_TEST

static Suite *graph_suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, load_unsorted);
	tcase_add_test(tc, duplicate_edge_refused);
	tcase_add_test(tc, coo_sums_duplicates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(graph_suite());
}
