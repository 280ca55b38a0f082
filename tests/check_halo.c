/* check_halo.c - the halo of user ranges (halo.c) on a hand-made graph
 * whose cuts and halos are worked out below, and the invariants on a
 * random one. */
#include "error.h"
#include "graph.h"
#include "halo.h"

#include "testutil.h"

/*
 * 4 users x 4 items, 8 edges:
 *   u0: i0 i1    u1: i1 i2    u2: i2 i3    u3: i0 i2
 * User weights (1 + degree) 3 3 3 3; item weights (1 + in-degree)
 * 3 3 4 2.  igr_par_split cuts at the first element whose preceding
 * weight reaches r/N of 12:
 *   N = 2: users {u0 u1} {u2 u3}, items {i0 i1} {i2 i3}
 *   N = 4: one user and one item each
 *   N = 8: users in parts 0 2 4 6, items i0 i1 i2 i3 in parts 0 2 4 7
 */
static const uint32_t US[] = { 0, 0, 1, 1, 2, 2, 3, 3 };
static const uint32_t IS[] = { 0, 1, 1, 2, 2, 3, 0, 2 };

static igr_graph *hand_made(void)
{
	igr_graph *g = calloc(1, sizeof *g);
	float w[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

	ck_assert_ptr_nonnull(g);
	g->n[IGR_USER] = 4;
	g->n[IGR_ITEM] = 4;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(4, 4, 8, US, IS, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	return g;
}

/* users edges items remote owned served, per part */
static void expect(const igr_halo *h, int nparts, const uint64_t (*want)[6])
{
	int r;

	for (r = 0; r < nparts; r++) {
		ck_assert_uint_eq(h[r].users, want[r][0]);
		ck_assert_uint_eq(h[r].edges, want[r][1]);
		ck_assert_uint_eq(h[r].items, want[r][2]);
		ck_assert_uint_eq(h[r].remote, want[r][3]);
		ck_assert_uint_eq(h[r].owned, want[r][4]);
		ck_assert_uint_eq(h[r].served, want[r][5]);
	}
}

START_TEST(hand_made_halos)
{
	static const uint64_t one[1][6] = { { 4, 8, 4, 0, 4, 0 } };
	/* u0 u1 touch i0 i1 i2 (i2 is part 1's); u2 u3 touch i2 i3 i0 */
	static const uint64_t two[2][6] = { { 2, 4, 3, 1, 2, 1 },
					    { 2, 4, 3, 1, 2, 1 } };
	/* u3 needs i0 (part 0's) and i2 (part 2's): part 2 serves u1 and
	 * u3 */
	static const uint64_t four[4][6] = { { 1, 2, 2, 1, 1, 1 },
					     { 1, 2, 2, 1, 1, 1 },
					     { 1, 2, 2, 1, 1, 2 },
					     { 1, 2, 2, 2, 1, 1 } };
	/* more parts than users: the odd user parts empty, i3 in part 7 */
	static const uint64_t eight[8][6] = {
		{ 1, 2, 2, 1, 1, 1 }, { 0, 0, 0, 0, 0, 0 },
		{ 1, 2, 2, 1, 1, 1 }, { 0, 0, 0, 0, 0, 0 },
		{ 1, 2, 2, 1, 1, 2 }, { 0, 0, 0, 0, 0, 0 },
		{ 1, 2, 2, 2, 0, 0 }, { 0, 0, 0, 0, 1, 1 },
	};
	igr_graph *g = hand_made();
	igr_halo h[8];

	ck_assert_int_eq(igr_halo_count(g, 1, h), 0);
	expect(h, 1, one);
	ck_assert_int_eq(igr_halo_count(g, 2, h), 0);
	expect(h, 2, two);
	ck_assert_int_eq(igr_halo_count(g, 4, h), 0);
	expect(h, 4, four);
	ck_assert_int_eq(igr_halo_count(g, 8, h), 0);
	expect(h, 8, eight);
	igr_graph_free(g);
}
END_TEST

START_TEST(refused_and_empty)
{
	igr_graph *g = hand_made();
	igr_graph *e = calloc(1, sizeof *e);
	igr_halo h[3];

	ck_assert_int_eq(igr_halo_count(g, 0, h), -1);
	ck_assert_str_eq(igr_errmsg(), "0 parts: not in 1 .. 65536");
	ck_assert_int_eq(igr_halo_count(g, IGR_HALO_MAXPARTS + 1, h), -1);
	/* no user->item edges: users cut by count, no halo */
	ck_assert_ptr_nonnull(e);
	e->n[IGR_USER] = 3;
	e->n[IGR_ITEM] = 2;
	ck_assert_int_eq(igr_halo_count(e, 3, h), 0);
	ck_assert_uint_eq(h[0].users + h[1].users + h[2].users, 3);
	ck_assert_uint_eq(h[0].owned + h[1].owned + h[2].owned, 2);
	ck_assert_uint_eq(h[0].items + h[1].items + h[2].items, 0);
	igr_graph_free(g);
	igr_graph_free(e);
}
END_TEST

/* A random skewed graph, 1 to 16 parts: the parts add up to the graph,
 * and what the parts need from others is what the others serve. */
START_TEST(random_invariants)
{
	enum { NU = 300, NI = 120, NE = 2000 };
	uint32_t *us = malloc(NE * sizeof *us), *is = malloc(NE * sizeof *is);
	float *w = malloc(NE * sizeof *w);
	uint64_t s = 88172645463325252ull;
	igr_graph *g = calloc(1, sizeof *g);
	igr_halo h[16];
	int n, r;
	size_t e;

	for (e = 0; e < NE; e++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		/* skewed: a few users and items take most edges */
		us[e] = (uint32_t)(e % 5 == 0 ? s % 10 : s % NU);
		is[e] = (uint32_t)((s >> 20) % 7 == 0 ? (s >> 24) % 5
						      : (s >> 24) % NI);
		w[e] = 1;
	}
	g->n[IGR_USER] = NU;
	g->n[IGR_ITEM] = NI;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(NU, NI, NE, us, is, w, NULL, NULL, 0);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	for (n = 1; n <= 16; n++) {
		uint64_t users = 0, edges = 0, owned = 0, remote = 0,
			 served = 0;
		ck_assert_int_eq(igr_halo_count(g, n, h), 0);
		for (r = 0; r < n; r++) {
			users += h[r].users;
			edges += h[r].edges;
			owned += h[r].owned;
			remote += h[r].remote;
			served += h[r].served;
			ck_assert_uint_le(h[r].remote, h[r].items);
			ck_assert_uint_le(h[r].items, h[r].edges);
		}
		ck_assert_uint_eq(users, NU);
		ck_assert_uint_eq(edges, g->rel[IGR_USER][IGR_ITEM]->nnz);
		ck_assert_uint_eq(owned, NI);
		ck_assert_uint_eq(remote, served);
		if (n == 1)
			ck_assert_uint_eq(remote, 0);
	}
	igr_graph_free(g);
	free(us);
	free(is);
	free(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("halo");
	TCase *tc = tcase_create("halo");

	tcase_add_test(tc, hand_made_halos);
	tcase_add_test(tc, refused_and_empty);
	tcase_add_test(tc, random_invariants);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
