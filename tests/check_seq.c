/* check_seq.c - the behaviour-sequence model: its gradient against finite
 * differences, the packing of sequences, determinism, and serving from
 * the current events without retraining. */
#include "testutil.h"

#include "error.h"
#include "model.h"
#include "models/seq.h"
#include "seqs.h"
#include "stream.h"
#include "train.h"

#include <math.h>

/* Three sequences of 3, 5 and 1 rows (L = 5), 7 items, mixed behaviours. */
static const uint32_t TOK[] = { 1, 2, 3, 0, 4, 5, 6, 2, 3 };
static const uint8_t BEH[] = { 0, 1, 5, 0, 2, 3, 4, 0, 1 };
static const uint32_t TGT[] = { 2, 3, 4, 4, 5, 6, 2, 1, 0 };
static const uint32_t OFF[] = { 0, 3, 8, 9 };

/* The loss and gradient with dropout DROP, the masks drawn from the
 * same stream every time (so they stay fixed under the finite
 * differences). */
static double drop_loss(const igr_seqnet *n, igr_seqnet_work *w, float *g,
			double drop)
{
	double loss;
	igr_rng rng;

	igr_rng_seed(&rng, 5);
	ck_assert_int_eq(igr_seqnet_loss_grad(n, w, TOK, BEH, TGT, OFF, 3, drop,
					      &rng, &loss, g), 0);
	return loss;
}

static double loss_of(const igr_seqnet *n, igr_seqnet_work *w, float *g)
{
	return drop_loss(n, w, g, 0);
}

START_TEST(gradient)
{
	igr_seqnet_cfg c = { .ni = 7, .d = 8, .L = 5, .heads = 2,
			     .blocks = 2, .ffn = 16 };
	igr_seqnet *n = igr_seqnet_new(&c, 3);
	igr_seqnet_work *w = igr_seqnet_work_new();
	float *g, *g2;
	size_t i, bad = 0;
	double worst = 0;
	uint64_t s = 99;

	ck_assert_ptr_nonnull(n);
	/* larger weights than the initialiser's, so that every gradient
	 * stands well above the rounding of the float passes */
	for (i = 0; i < n->nparam; i++)
		n->param[i] += (float)(0.3 * igr_splitmix_normal(&s));
	g = malloc(n->nparam * sizeof *g);
	g2 = malloc(n->nparam * sizeof *g2);
	loss_of(n, w, g);
	for (i = 0; i < n->nparam; i++) {
		float keep = n->param[i];
		const float h = 1e-2f;
		double lp, lm, num, err;

		n->param[i] = keep + h;
		lp = loss_of(n, w, g2);
		n->param[i] = keep - h;
		lm = loss_of(n, w, g2);
		n->param[i] = keep;
		num = (lp - lm) / (2.0 * h);
		err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
		if (err > worst)
			worst = err;
		if (err > 0.05) {
			if (bad < 5)
				fprintf(stderr, "param %zu: numeric %g, "
					"analytic %g\n", i, num, g[i]);
			bad++;
		}
	}
	ck_assert_msg(bad == 0, "%zu of %zu gradients off (worst %g)", bad,
		      n->nparam, worst);
	/* and through the dropout masks, every seventh parameter */
	drop_loss(n, w, g, 0.3);
	for (i = 0; i < n->nparam; i += 7) {
		float keep = n->param[i];
		const float h = 1e-2f;
		double lp, lm, num, err;

		n->param[i] = keep + h;
		lp = drop_loss(n, w, g2, 0.3);
		n->param[i] = keep - h;
		lm = drop_loss(n, w, g2, 0.3);
		n->param[i] = keep;
		num = (lp - lm) / (2.0 * h);
		err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
		ck_assert_msg(err <= 0.05, "with dropout, param %zu: numeric "
			      "%g, analytic %g", i, num, g[i]);
	}
	free(g);
	free(g2);
	igr_seqnet_work_free(w);
	igr_seqnet_free(n);
}
END_TEST


START_TEST(sequences_in_time_order)
{
	/* user 1's events arrive out of order; two share a time */
	const igr_event ev[] = {
		{ 5, 1, 3, IGR_NONE, IGR_VIEW, 1 },
		{ 2, 0, 0, 7, IGR_CLICK, 1 },
		{ 1, 1, 4, IGR_NONE, IGR_BUY, 1 },
		{ 5, 1, 2, IGR_NONE, IGR_CART, 1 },
		{ 3, 1, 1, IGR_NONE, IGR_VIEW, 1 },
	};
	igr_seqs *s = igr_seqs_from_events(ev, 5);
	igr_graph *g;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->nusers, 2);
	ck_assert_uint_eq(s->nitems, 5);
	ck_assert_uint_eq(igr_seqs_len(s, 1), 4);
	/* by time; the tie at 5 in input order */
	ck_assert_uint_eq(s->item[s->ptr[1] + 0], 4);
	ck_assert_uint_eq(s->item[s->ptr[1] + 1], 1);
	ck_assert_uint_eq(s->item[s->ptr[1] + 2], 3);
	ck_assert_uint_eq(s->item[s->ptr[1] + 3], 2);
	ck_assert_uint_eq(s->beh[s->ptr[1] + 3], IGR_CART);
	g = igr_seqs_graph(s);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_eq(g->seqs, s);
	ck_assert_uint_eq(g->rel[IGR_USER][IGR_ITEM]->nnz, 5);
	ck_assert_ptr_nonnull(g->rel[IGR_ITEM][IGR_CATEGORY]);
	ck_assert_float_eq(igr_csr_get(g->rel[IGR_ITEM][IGR_CATEGORY], 0, 7),
			   1.0f);
	igr_graph_free(g);
	igr_seqs_free(s);
}
END_TEST

START_TEST(packing)
{
	const igr_event ev[] = {
		{ 1, 0, 0, IGR_NONE, IGR_VIEW, 1 },
		{ 2, 0, 1, IGR_NONE, IGR_CART, 1 },
		{ 3, 0, 2, IGR_NONE, IGR_VIEW, 1 },
		{ 4, 0, 9, IGR_NONE, IGR_VIEW, 1 }, /* unknown to a 5-item net */
		{ 5, 0, 3, IGR_NONE, IGR_BUY, 1 },
		{ 1, 2, 4, IGR_NONE, IGR_VIEW, 1 },
	};
	igr_seqs *s = igr_seqs_from_events(ev, 6);
	uint32_t users[3] = { 0, 1, 2 }, tok[9], tgt[9], off[4];
	uint8_t beh[9];
	size_t r;

	ck_assert_ptr_nonnull(s);
	/* training, L = 2: the last two transitions the net knows */
	r = igr_seqnet_pack(s, users, 3, 2, 10, 1, tok, beh, tgt, off);
	ck_assert_uint_eq(r, 2);
	ck_assert_uint_eq(off[1], 2);
	ck_assert_uint_eq(off[3], 2); /* one event: nothing to learn */
	ck_assert_uint_eq(tok[0], 2);
	ck_assert_uint_eq(tgt[0], 9);
	ck_assert_uint_eq(tok[1], 9);
	ck_assert_uint_eq(tgt[1], 3);
	/* serving, L = 3, 5 items: the last three known events */
	r = igr_seqnet_pack(s, users, 3, 3, 5, 0, tok, beh, tgt, off);
	ck_assert_uint_eq(r, 4);
	ck_assert_uint_eq(off[1], 3);
	ck_assert_uint_eq(tok[0], 1);
	ck_assert_uint_eq(beh[0], IGR_CART);
	ck_assert_uint_eq(tok[1], 2);
	ck_assert_uint_eq(tok[2], 3);
	ck_assert_uint_eq(tgt[2], IGR_NONE);
	ck_assert_uint_eq(off[2], 3);
	ck_assert_uint_eq(tok[3], 4);
	igr_seqs_free(s);
}
END_TEST

/* Users walking a cycle of NI items from a random start: the next item
 * is always the last one + 1, which only the order tells. */
enum { NU = 60, NI = 12 };

static void write_cycle(const char *path, uint64_t seed, uint32_t extra_user,
			uint32_t extra_item)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_EVENTS, IGR_ENC_BINARY);
	uint32_t u, t;

	ck_assert_ptr_nonnull(w);
	for (u = 0; u < NU; u++) {
		uint32_t start = (uint32_t)(igr_splitmix64(&seed) % NI);
		uint32_t len = 5 + (uint32_t)(igr_splitmix64(&seed) % 4);

		for (t = 0; t < len; t++) {
			igr_event e = { t + 1, u, (start + t) % NI, IGR_NONE,
					t % 3 ? IGR_VIEW : IGR_CLICK, 1 };
			ck_assert_int_eq(igr_write_event(w, &e), 0);
		}
		if (u == extra_user) {
			igr_event e = { 100, u, extra_item, IGR_NONE, IGR_BUY,
					1 };
			ck_assert_int_eq(igr_write_event(w, &e), 0);
		}
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
}

static igr_model *train_file(const char *path, int threads)
{
	cJSON *p = cJSON_Parse("{\"epochs\": 40, \"dim\": 16, \"heads\": 2,"
			       "\"blocks\": 1, \"max-len\": 8, \"batch\": 16,"
			       "\"lr\": 0.01, \"dropout\": 0.1}");
	struct igr_train_ctx ctx;
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	igr_model *m;

	memset(&ctx, 0, sizeof ctx);
	ctx.params = p;
	ctx.seed = 7;
	ctx.threads = threads;
	ck_assert_ptr_nonnull(r);
	m = igr_train_seq(r, &ctx);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	igr_reader_close(r);
	cJSON_Delete(p);
	return m;
}

/* The model's top item for user U of the events in PATH. */
static uint32_t top_item(igr_model *m, const char *path, uint32_t u)
{
	igr_reader *r = igr_reader_open(path, 0);
	igr_seqs *s;
	igr_graph *g;
	float sc[NI];
	uint32_t i, best = 0;

	ck_assert_ptr_nonnull(r);
	g = igr_seqs_input(r, IGR_REL_ALL, 0, &s);
	ck_assert_ptr_nonnull(g);
	igr_reader_close(r);
	ck_assert_int_eq(m->ops->prepare(m, g), 0);
	ck_assert_int_eq(m->ops->score_users(m, g, &u, 1, NULL, NI, sc), 0);
	for (i = 1; i < NI; i++)
		if (sc[i] > sc[best])
			best = i;
	m->ops->release(m);
	igr_graph_free(g);
	igr_seqs_free(s);
	return best;
}

START_TEST(learns_the_order_deterministically)
{
	const char *ev = tu_path("cycle.igr");
	igr_model *a, *b;
	const igr_array *pa, *pb;
	uint32_t u, right = 0;
	uint64_t seed = 11;

	tu_setup();
	ev = tu_path("cycle.igr");
	write_cycle(ev, 5, NU, 0);
	a = train_file(ev, 1);
	b = train_file(ev, 1);
	pa = igr_model_get(a, "param");
	pb = igr_model_get(b, "param");
	ck_assert_ptr_nonnull(pa);
	ck_assert_uint_eq(pa->dim[0], pb->dim[0]);
	ck_assert_msg(memcmp(pa->data, pb->data, pa->dim[0] * 4) == 0,
		      "same seed and threads, different models");
	/* the next item of every user is their last + 1 */
	for (u = 0; u < NU; u++) {
		uint32_t len, start;

		start = (uint32_t)(igr_splitmix64(&seed) % NI);
		(void)start;
		len = 0;
		(void)len;
	}
	{
		igr_reader *r = igr_reader_open(ev, IGR_KIND_EVENTS);
		igr_seqs *s = igr_seqs_read(r);

		igr_reader_close(r);
		for (u = 0; u < NU; u++) {
			uint32_t last = s->item[s->ptr[u + 1] - 1];

			right += top_item(a, ev, u) == (last + 1) % NI;
		}
		igr_seqs_free(s);
	}
	ck_assert_msg(right >= NU * 9 / 10, "%u of %u next items right", right,
		      NU);
	igr_model_free(a);
	igr_model_free(b);
	tu_cleanup();
}
END_TEST

START_TEST(serves_new_events_without_retraining)
{
	const char *ev, *ev2;
	igr_model *m;
	uint32_t before, after;

	tu_setup();
	ev = tu_path("cycle.igr");
	ev2 = tu_path("cycle2.igr");
	write_cycle(ev, 5, NU, 0);
	m = train_file(ev, 0);
	before = top_item(m, ev, 3);
	/* user 3 buys item 6 after training: the next is now 7 */
	write_cycle(ev2, 5, 3, 6);
	after = top_item(m, ev2, 3);
	ck_assert_uint_eq(after, 7);
	ck_assert_uint_ne(before, after);
	igr_model_free(m);
	tu_cleanup();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("seq");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gradient);
	tcase_add_test(tc, sequences_in_time_order);
	tcase_add_test(tc, packing);
	tcase_add_test(tc, learns_the_order_deterministically);
	tcase_add_test(tc, serves_new_events_without_retraining);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
