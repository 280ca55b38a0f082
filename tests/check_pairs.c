/* check_pairs.c - pair features (lib/pairs.c): hand-computed values, and
 * the proof that no feature uses an event at or after the cut. */
#include "testutil.h"

#include "error.h"
#include "graph.h"
#include "model.h"
#include "pairs.h"
#include "stream.h"
#include "models/pop.h"
#include "train.h"

#include <math.h>

#define CUT 1512230400LL
#define H 3600LL
#define DAY 86400LL

static igr_event ev(int64_t ts, uint32_t u, uint32_t i, uint32_t c, int b)
{
	igr_event e;
	e.ts = ts;
	e.user = u;
	e.item = i;
	e.category = c;
	e.behavior = (uint8_t)b;
	e.value = 1;
	return e;
}

static int col(igr_pairs *p, const char *name)
{
	const char *const *n = igr_pairs_names(p);
	uint32_t j;

	for (j = 0; j < igr_pairs_dim(p); j++)
		if (strcmp(n[j], name) == 0)
			return (int)j;
	ck_abort_msg("no feature column %s", name);
	return -1;
}

static void add(igr_pairs *p, igr_event e)
{
	ck_assert_msg(igr_pairs_add_event(p, &e) == 0, "%s", igr_errmsg());
}

static void cand(igr_pairs *p, uint32_t u, uint32_t i, float s, uint32_t r)
{
	igr_score sc;
	sc.query_type = IGR_USER;
	sc.target_type = IGR_ITEM;
	sc.query = u;
	sc.target = i;
	sc.score = s;
	sc.rank = r;
	ck_assert_msg(igr_pairs_add_candidate(p, &sc) == 0, "%s",
		      igr_errmsg());
}

#define NEAR(x, want)                                                        \
	ck_assert_msg(fabs((double)(x) - (double)(want)) <=                   \
			      1e-5 * (1 + fabs((double)(want))),                     \
		      "%s = %.9g, want %.9g", #x, (double)(x), (double)(want))

/* Every value of a small case, worked out by hand. */
START_TEST(hand_computed)
{
	igr_pairs_opts o;
	igr_pairs *p;
	float x[256];
	uint8_t label;

	igr_pairs_opts_init(&o);
	o.cut = CUT;
	o.half_life = (double)DAY;
	p = igr_pairs_new(&o);
	ck_assert_ptr_nonnull(p);
	/* user 0: item 5 (category 2) viewed 2 h and 26 h before the cut,
	 * carted 1 h before; item 6 (category 2) clicked 50 h before;
	 * item 7 (category 3) bought 10 days before */
	add(p, ev(CUT - 2 * H, 0, 5, 2, IGR_VIEW));
	add(p, ev(CUT - 26 * H, 0, 5, 2, IGR_VIEW));
	add(p, ev(CUT - 1 * H, 0, 5, 2, IGR_CART));
	add(p, ev(CUT - 50 * H, 0, 6, 2, IGR_CLICK));
	add(p, ev(CUT - 10 * DAY, 0, 7, 3, IGR_BUY));
	/* user 1: item 5 viewed 3 h before; a review (no group) */
	add(p, ev(CUT - 3 * H, 1, 5, 2, IGR_VIEW));
	add(p, ev(CUT - 4 * H, 1, 6, 2, IGR_REVIEW));
	/* the label period: user 0 buys item 5, carts and buys item 6;
	 * then a buy after the period (no label) */
	add(p, ev(CUT, 0, 5, 2, IGR_BUY));
	add(p, ev(CUT + 5 * H, 0, 6, 2, IGR_CART));
	add(p, ev(CUT + 6 * H, 0, 6, 2, IGR_BUY));
	add(p, ev(CUT + DAY, 0, 7, 3, IGR_BUY));
	cand(p, 0, 6, 0.5f, 1);
	cand(p, 0, 5, 0.25f, 2);
	ck_assert_int_eq(igr_pairs_finish(p), 0);
	ck_assert_int_eq(igr_pairs_dim(p), 24 + 2 + 5 + 7 + 2 + 4);

	ck_assert_int_eq(igr_pairs_compute(p, 0, 5, 2, 0.25f, x, &label), 0);
	ck_assert_uint_eq(label, 1u << IGR_BUY);
	NEAR(x[col(p, "ui_view_n")], 2);
	NEAR(x[col(p, "ui_view_w")], exp2(-2.0 / 24) + exp2(-26.0 / 24));
	NEAR(x[col(p, "ui_view_age")], 2);
	NEAR(x[col(p, "ui_cart_n")], 1);
	NEAR(x[col(p, "ui_cart_w")], exp2(-1.0 / 24));
	NEAR(x[col(p, "ui_cart_age")], 1);
	NEAR(x[col(p, "ui_fav_n")], 0);
	ck_assert(isnan(x[col(p, "ui_fav_age")]));
	ck_assert(isnan(x[col(p, "ui_buy_age")]));
	/* category 2: items 5 and 6 */
	NEAR(x[col(p, "uc_view_n")], 3);
	NEAR(x[col(p, "uc_view_w")],
	     exp2(-2.0 / 24) + exp2(-26.0 / 24) + exp2(-50.0 / 24));
	NEAR(x[col(p, "uc_view_age")], 2);
	NEAR(x[col(p, "uc_cart_n")], 1);
	/* the newest event on the item, and its rank among the user's
	 * items by that (items 5, 6, 7: 1 h, 50 h, 240 h ago) */
	NEAR(x[col(p, "ui_age")], 1);
	NEAR(x[col(p, "ui_recent")], 1);
	/* the user */
	NEAR(x[col(p, "u_n")], 5);
	NEAR(x[col(p, "u_n_short")], 2); /* within 1 day: 2 h, 1 h; not 26 h */
	NEAR(x[col(p, "u_buy_n")], 1);
	NEAR(x[col(p, "u_items")], 3);
	NEAR(x[col(p, "u_age")], 1);
	/* item 5: 4 events, all within 7 days; 3 within 1 day */
	NEAR(x[col(p, "i_n_short")], 3);
	NEAR(x[col(p, "i_n_long")], 4);
	NEAR(x[col(p, "i_cart_long")], 1);
	NEAR(x[col(p, "i_buy_long")], 0);
	NEAR(x[col(p, "i_users_long")], 2);
	NEAR(x[col(p, "i_trend")], (3.0 + 1) / (4.0 / 7 + 1));
	NEAR(x[col(p, "i_w")], exp2(-2.0 / 24) + exp2(-26.0 / 24) +
				       exp2(-1.0 / 24) + exp2(-3.0 / 24));
	/* category 2: items 5 (4 events) and 6 (2: a click and a review) */
	NEAR(x[col(p, "c_n_long")], 6);
	NEAR(x[col(p, "c_buy_long")], 0);
	NEAR(x[col(p, "graph_score")], 0.25);
	NEAR(x[col(p, "graph_score_rel")], 0.5); /* of the top score, 0.5 */
	NEAR(x[col(p, "graph_rank")], 2);
	NEAR(x[col(p, "graph_listed")], 1);

	/* an item user 1 never viewed, not listed: rank = list length + 1 */
	ck_assert_int_eq(igr_pairs_compute(p, 1, 6, 0, 0.1f, x, &label), 0);
	ck_assert_uint_eq(label, 0);
	NEAR(x[col(p, "ui_view_n")], 0);
	/* ... but reviewed it 4 h ago: a review is in no group, but the
	 * item's newest event (and after item 5, 3 h ago) */
	NEAR(x[col(p, "ui_age")], 4);
	NEAR(x[col(p, "ui_recent")], 2);
	ck_assert(isnan(x[col(p, "graph_score_rel")])); /* user 1: no list */
	NEAR(x[col(p, "uc_view_n")], 1);
	NEAR(x[col(p, "u_n")], 2);
	NEAR(x[col(p, "graph_rank")], 1);
	NEAR(x[col(p, "graph_listed")], 0);
	/* item 6's labels: cart and buy */
	ck_assert_int_eq(igr_pairs_compute(p, 0, 6, 1, 0.5f, x, &label), 0);
	ck_assert_uint_eq(label, (1u << IGR_CART) | (1u << IGR_BUY));
	/* item 7: bought 10 days ago; the buy after the period is no label */
	ck_assert_int_eq(igr_pairs_compute(p, 0, 7, 0, 0, x, &label), 0);
	ck_assert_uint_eq(label, 0);
	NEAR(x[col(p, "ui_buy_age")], 240);
	NEAR(x[col(p, "ui_recent")], 3);
	NEAR(x[col(p, "i_n_long")], 0);
	ck_assert_int_eq(igr_pairs_compute(p, 0, 6, 1, 0.5f, x, NULL), 0);
	NEAR(x[col(p, "ui_recent")], 2);
	NEAR(x[col(p, "ui_age")], 50);
	igr_pairs_free(p);
}
END_TEST

/* ---- no look-ahead ------------------------------------------------------ */

#define NU 40
#define NI 60
#define NC 7

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((rng_state >> 33) % n);
}

/* A random history: NEV events over the 10 days before the cut, items
 * with a fixed category (item % NC) but some events without one. */
static void history(igr_event *e, size_t n, uint64_t seed)
{
	size_t k;

	rng_state = seed;
	for (k = 0; k < n; k++) {
		uint32_t i = rnd(NI);
		e[k] = ev(CUT - 1 - (int64_t)rnd(10 * DAY), rnd(NU), i,
			  rnd(5) == 0 ? IGR_NONE : i % NC, (int)rnd(6));
	}
	/* the edge of the cut: one second before it */
	e[0].ts = CUT - 1;
}

/* Random events at or after the cut, on the same users and items and on
 * new ones (larger ids, new categories, other categories for known
 * items): none of them may change a feature. */
static void future(igr_event *e, size_t n, uint64_t seed)
{
	size_t k;

	rng_state = seed;
	for (k = 0; k < n; k++)
		e[k] = ev(CUT + (int64_t)rnd(3 * DAY), rnd(NU + 10),
			  rnd(NI + 20), rnd(NC + 5), (int)rnd(6));
	e[0].ts = CUT; /* exactly at the cut */
	e[1].ts = CUT + DAY - 1;
}

static igr_pairs *build(const igr_event *h, size_t nh, const igr_event *f,
			size_t nf, int shuffle, igr_model *m, igr_graph *g)
{
	igr_pairs_opts o;
	igr_pairs *p;
	size_t k;
	igr_item it;
	uint32_t u, i;

	igr_pairs_opts_init(&o);
	o.cut = CUT;
	o.history = 15;
	o.token_buckets = 8;
	p = igr_pairs_new(&o);
	ck_assert_ptr_nonnull(p);
	/* events interleaved: future ones first, history in some order */
	for (k = 0; k < nf; k++)
		add(p, f[k]);
	for (k = 0; k < nh; k++)
		add(p, h[shuffle ? (k * 7919) % nh : k]);
	/* a catalogue for half the items */
	for (i = 0; i < NI; i += 2) {
		memset(&it, 0, sizeof it);
		it.item = i;
		it.category = i % NC;
		it.price = i % 3 ? 1.5f * (float)i : NAN;
		it.ntok = (uint8_t)(i % 4);
		for (k = 0; k < it.ntok; k++)
			it.tok[k] = i * 2654435761u + (uint32_t)k;
		ck_assert_int_eq(igr_pairs_add_item(p, &it), 0);
	}
	/* candidates: every user, a few items, some only ever seen after
	 * the cut (ids >= NI) */
	for (u = 0; u < NU; u++)
		for (i = 0; i < 8; i++)
			cand(p, u, (u * 13 + i * 11) % (NI + 20),
			     1.0f / (float)(i + 1), i + 1);
	if (m != NULL)
		ck_assert_msg(igr_pairs_set_model(p, m, g) == 0, "%s",
			      igr_errmsg());
	ck_assert_msg(igr_pairs_finish(p) == 0, "%s", igr_errmsg());
	return p;
}

/* Compare the features of every pair the two builders can be asked
 * about (all users and items, listed or not): bit for bit. */
static void same_features(igr_pairs *a, igr_pairs *b)
{
	float xa[256], xb[256];
	uint32_t u, i, d, dim = igr_pairs_dim(a);

	ck_assert_uint_eq(igr_pairs_dim(a), igr_pairs_dim(b));
	for (d = 0; d < dim; d++)
		ck_assert_str_eq(igr_pairs_names(a)[d], igr_pairs_names(b)[d]);
	for (u = 0; u < NU + 12; u++)
		for (i = 0; i < NI + 22; i++) {
			uint32_t rank = (u + i) % 3;
			ck_assert_int_eq(igr_pairs_compute(a, u, i, rank, 0.5f,
							   xa, NULL), 0);
			ck_assert_int_eq(igr_pairs_compute(b, u, i, rank, 0.5f,
							   xb, NULL), 0);
			for (d = 0; d < dim; d++)
				ck_assert_msg(memcmp(&xa[d], &xb[d],
						     sizeof xa[d]) == 0,
					      "user %u item %u: %s %.9g != "
					      "%.9g", u, i,
					      igr_pairs_names(a)[d], xa[d],
					      xb[d]);
		}
}

/* The written streams agree too, labels aside. */
static void same_streams(igr_pairs *a, igr_pairs *b, int want_labels)
{
	igr_writer *w;
	igr_reader *ra, *rb;
	igr_pair pa, pb;
	int rc, labels = 0;
	igr_pairs_stats st;

	w = igr_writer_open(tu_path("a"), IGR_KIND_FEATURES, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_pairs_writer_setup(a, w), 0);
	ck_assert_int_eq(igr_pairs_write(a, w, &st), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	ck_assert_uint_gt(st.from_history, 0);
	w = igr_writer_open(tu_path("b"), IGR_KIND_FEATURES, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_pairs_writer_setup(b, w), 0);
	ck_assert_int_eq(igr_pairs_write(b, w, NULL), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	ra = igr_reader_open(tu_path("a"), IGR_KIND_FEATURES);
	rb = igr_reader_open(tu_path("b"), IGR_KIND_FEATURES);
	ck_assert_ptr_nonnull(ra);
	ck_assert_ptr_nonnull(rb);
	while ((rc = igr_read_pair(ra, &pa)) == 1) {
		ck_assert_int_eq(igr_read_pair(rb, &pb), 1);
		ck_assert_uint_eq(pa.user, pb.user);
		ck_assert_uint_eq(pa.item, pb.item);
		ck_assert_int_eq(memcmp(pa.v, pb.v,
					igr_pairs_dim(a) * sizeof *pa.v),
				 0);
		labels += pb.label != 0;
		ck_assert_uint_eq(pa.label, 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(igr_read_pair(rb, &pb), 0);
	if (want_labels)
		ck_assert_int_gt(labels, 0);
	igr_reader_close(ra);
	igr_reader_close(rb);
}

#define NH 3000
#define NF 2000

START_TEST(no_look_ahead)
{
	static igr_event h[NH], f[NF];
	igr_pairs *a, *b, *c;

	history(h, NH, 1 + (uint64_t)_i);
	future(f, NF, 100 + (uint64_t)_i);
	a = build(h, NH, NULL, 0, 0, NULL, NULL);
	b = build(h, NH, f, NF, 0, NULL, NULL);
	c = build(h, NH, f, NF, 1, NULL, NULL);
	same_features(a, b);
	same_features(a, c);
	same_streams(a, b, 1);
	igr_pairs_free(a);
	igr_pairs_free(b);
	igr_pairs_free(c);
}
END_TEST

/* The comparison above can fail: one more event a second before the cut
 * changes features (so "identical" is not vacuous). */
START_TEST(the_proof_can_fail)
{
	static igr_event h[NH + 1];
	igr_pairs *a, *b;
	float xa[256], xb[256];
	uint32_t d;
	int differ = 0;

	history(h, NH, 7);
	h[NH] = ev(CUT - 1, 3, 5, 5 % NC, IGR_CART);
	a = build(h, NH, NULL, 0, 0, NULL, NULL);
	b = build(h, NH + 1, NULL, 0, 0, NULL, NULL);
	ck_assert_int_eq(igr_pairs_compute(a, 3, 5, 1, 0.5f, xa, NULL), 0);
	ck_assert_int_eq(igr_pairs_compute(b, 3, 5, 1, 0.5f, xb, NULL), 0);
	for (d = 0; d < igr_pairs_dim(a); d++)
		differ += memcmp(&xa[d], &xb[d], sizeof xa[d]) != 0;
	ck_assert_int_ge(differ, 5);
	ck_assert_float_eq(xb[col(b, "ui_cart_age")], 1.0f / 3600);
	igr_pairs_free(a);
	igr_pairs_free(b);
}
END_TEST

/* A graph model: it may not hold events at or after the cut, and with
 * one the additions from history get the model's scores. */
START_TEST(model_graph)
{
	static igr_event h[NH], f[NF];
	uint32_t r[4] = { 0, 0, 1, 2 }, c[4] = { 1, 2, 1, 3 };
	float w[4] = { 1, 2, 3, 4 };
	int64_t ts[4] = { CUT - 10, CUT - 5, CUT - 3, CUT - 1 };
	igr_graph g;
	igr_model *m;
	igr_pairs *a, *b;
	igr_pairs_opts o;
	igr_pairs *p;

	memset(&g, 0, sizeof g);
	g.n[IGR_USER] = NU;
	g.n[IGR_ITEM] = NI;
	g.rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(NU, NI, 4, r, c, w, NULL, ts, 1);
	ck_assert_ptr_nonnull(g.rel[IGR_USER][IGR_ITEM]);
	m = igr_train_pop(&g, NULL);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	history(h, NH, 3);
	future(f, NF, 33);
	a = build(h, NH, NULL, 0, 0, m, &g);
	b = build(h, NH, f, NF, 1, m, &g);
	same_features(a, b);
	same_streams(a, b, 1);
	igr_pairs_free(a);
	igr_pairs_free(b);

	/* an edge of the cut's own second is look-ahead */
	g.rel[IGR_USER][IGR_ITEM]->last_ts[3] = CUT;
	igr_pairs_opts_init(&o);
	o.cut = CUT;
	p = igr_pairs_new(&o);
	ck_assert_int_eq(igr_pairs_set_model(p, m, &g), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "after the cut"));
	igr_pairs_free(p);
	igr_model_free(m);
	igr_csr_free(g.rel[IGR_USER][IGR_ITEM]);
}
END_TEST

/* Candidates from a graph newer than the cut are refused. */
START_TEST(candidates_newer_than_cut)
{
	igr_writer *w;
	igr_reader *r;
	igr_pairs_opts o;
	igr_pairs *p;
	igr_score s = { IGR_USER, IGR_ITEM, 1, 2, 0.5f, 1 };
	char buf[32];

	w = igr_writer_open(tu_path("c"), IGR_KIND_SCORES, IGR_ENC_TSV);
	snprintf(buf, sizeof buf, "%lld", CUT + 1);
	ck_assert_int_eq(igr_writer_set_meta(w, "now", buf), 0);
	ck_assert_int_eq(igr_write_score(w, &s), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	igr_pairs_opts_init(&o);
	o.cut = CUT;
	p = igr_pairs_new(&o);
	r = igr_reader_open(tu_path("c"), IGR_KIND_SCORES);
	ck_assert_int_eq(igr_pairs_read_candidates(p, r), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "after the cut"));
	igr_reader_close(r);
	igr_pairs_free(p);
	/* item -> user rows (an audience) are not candidates */
	p = igr_pairs_new(&o);
	s.query_type = IGR_ITEM;
	s.target_type = IGR_USER;
	ck_assert_int_eq(igr_pairs_add_candidate(p, &s), -1);
	igr_pairs_free(p);
}
END_TEST

/* Repeated candidates keep their best rank; --top drops the rest. */
START_TEST(candidate_rules)
{
	igr_pairs_opts o;
	igr_pairs *p;
	igr_writer *w;
	igr_reader *r;
	igr_pair pr;
	igr_pairs_stats st;
	uint32_t items[8], n = 0;
	int rank_col;

	igr_pairs_opts_init(&o);
	o.cut = CUT;
	o.top = 3;
	o.label_period = 0;
	p = igr_pairs_new(&o);
	add(p, ev(CUT - 5, 1, 9, 1, IGR_VIEW));
	add(p, ev(CUT + 5, 1, 9, 1, IGR_BUY)); /* no labels: period 0 */
	cand(p, 1, 4, 0.9f, 2);
	cand(p, 1, 5, 0.8f, 1);
	cand(p, 1, 4, 0.7f, 3);
	cand(p, 1, 6, 0.6f, 4);
	ck_assert_int_eq(igr_pairs_finish(p), 0);
	rank_col = col(p, "graph_rank");
	w = igr_writer_open(tu_path("p"), IGR_KIND_FEATURES, IGR_ENC_TSV);
	ck_assert_int_eq(igr_pairs_writer_setup(p, w), 0);
	ck_assert_int_eq(igr_pairs_write(p, w, &st), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	ck_assert_uint_eq(st.candidates, 4);
	ck_assert_uint_eq(st.candidates_cut, 1);
	ck_assert_uint_eq(st.candidates_dup, 1);
	ck_assert_uint_eq(st.pairs, 2);
	r = igr_reader_open(tu_path("p"), IGR_KIND_FEATURES);
	ck_assert_ptr_nonnull(r);
	while (igr_read_pair(r, &pr) == 1) {
		ck_assert_uint_eq(pr.label, 0);
		ck_assert_float_eq(pr.v[rank_col], (float)(n + 1));
		items[n++] = pr.item;
	}
	igr_reader_close(r);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(items[0], 5);
	ck_assert_uint_eq(items[1], 4);
	igr_pairs_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pairs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hand_computed);
	tcase_add_loop_test(tc, no_look_ahead, 0, 3);
	tcase_add_test(tc, the_proof_can_fail);
	tcase_add_test(tc, model_graph);
	tcase_add_test(tc, candidates_newer_than_cut);
	tcase_add_test(tc, candidate_rules);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
