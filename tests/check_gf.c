/* check_gf.c - the graph filter (models/gf.c): scores against the dense
 * formula, new users, bad weights. */
#include "embed.h"
#include "error.h"
#include "graph.h"
#include "learn.h"
#include "models/gf.h"
#include "model.h"
#include "sparse.h"
#include "topk.h"

#include <math.h>

#include "testutil.h"

/* 8 users x 6 items. */
static igr_graph *graph_of(const uint32_t *us, const uint32_t *is, size_t n,
			   uint32_t nu)
{
	igr_graph *g = calloc(1, sizeof *g);
	float *w = malloc(n * sizeof *w);
	size_t e;

	for (e = 0; e < n; e++)
		w[e] = 1;
	g->n[IGR_USER] = nu;
	g->n[IGR_ITEM] = 6;
	g->rel[IGR_USER][IGR_ITEM] =
		igr_csr_from_coo(nu, 6, n, us, is, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(g->rel[IGR_USER][IGR_ITEM]);
	free(w);
	return g;
}

static const uint32_t US[] = { 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 6,
			       6, 7, 7 };
static const uint32_t IS[] = { 0, 1, 1, 2, 3, 0, 4, 2, 5, 0, 3, 5, 1, 4,
			       5, 2, 3 };

/* The BSPM scores, densely: s = y p(TP), y = x P + beta x D^-1/2 V V^T
 * D^1/2, with V every right singular vector (so the model's low-rank
 * parts are exact). */
static void dense_scores(const igr_graph *g, uint32_t user, double beta,
			 double t, int order, double *out)
{
	const igr_csr *r = g->rel[IGR_USER][IGR_ITEM];
	uint32_t nu = r->nrows, i, j, u;
	double du[8] = { 0 }, di[6] = { 0 }, rn[8][6], p[6][6], y[6], z[6];
	double x[6] = { 0 };
	int q;

	for (u = 0; u < nu; u++)
		for (i = 0; i < 6; i++) {
			du[u] += tu_dense_at(r, u, i);
			di[i] += tu_dense_at(r, u, i);
		}
	for (u = 0; u < nu; u++)
		for (i = 0; i < 6; i++)
			rn[u][i] = du[u] > 0 && di[i] > 0
				   ? tu_dense_at(r, u, i) / sqrt(du[u] * di[i])
				   : 0;
	for (i = 0; i < 6; i++)
		for (j = 0; j < 6; j++) {
			p[i][j] = 0;
			for (u = 0; u < nu; u++)
				p[i][j] += rn[u][i] * rn[u][j];
		}
	for (i = 0; i < 6; i++)
		x[i] = tu_dense_at(r, user, i);
	/* V V^T is the projector on the row space of R~: with full rank it
	 * is the identity on items that have edges */
	for (j = 0; j < 6; j++) {
		y[j] = 0;
		for (i = 0; i < 6; i++)
			y[j] += x[i] * p[i][j];
		y[j] += beta * x[j];
	}
	/* Horner: acc = c_n y; acc = acc P + c_q y */
	{
		double c[9], acc[6];

		c[0] = 1;
		for (q = 1; q <= order; q++)
			c[q] = c[q - 1] * -t / q;
		for (i = 0; i < 6; i++)
			acc[i] = c[order] * y[i];
		for (q = order - 1; q >= 0; q--) {
			for (j = 0; j < 6; j++) {
				z[j] = 0;
				for (i = 0; i < 6; i++)
					z[j] += acc[i] * p[i][j];
			}
			for (j = 0; j < 6; j++)
				acc[j] = z[j] + c[q] * y[j];
		}
		for (j = 0; j < 6; j++)
			out[j] = acc[j];
	}
}

static igr_model *fit(const igr_graph *g, double beta, double t, int order)
{
	igr_model *m = igr_model_new("gf");
	igr_learn_opts o;

	igr_learn_defaults(&o, "gf");
	o.rank = 6;
	o.gf_beta = beta;
	o.gf_sharpen = t;
	o.gf_order = (uint32_t)order;
	o.svd_iters = 6;
	ck_assert_msg(igr_gf_fit(m, g, &o) == 0, "%s", igr_errmsg());
	ck_assert_int_eq(m->ops->prepare(m, g), 0);
	return m;
}

START_TEST(scores_match_dense_formula)
{
	static const double cfg[][3] = {
		{ 0.2, 2.5, 4 }, { 0.3, 0, 0 }, { 0, 1.5, 1 }, { 0.5, 1, 2 },
	};
	igr_graph *g = graph_of(US, IS, sizeof US / sizeof US[0], 8);
	size_t q;

	for (q = 0; q < sizeof cfg / sizeof cfg[0]; q++) {
		igr_model *m = fit(g, cfg[q][0], cfg[q][1], (int)cfg[q][2]);
		uint32_t users[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, u, i;
		float sc[8 * 6];

		ck_assert_int_eq(m->ops->score_users(m, g, users, 8, NULL, 6,
						     sc), 0);
		for (u = 0; u < 8; u++) {
			double want[6];

			dense_scores(g, u, cfg[q][0], cfg[q][1],
				     (int)cfg[q][2], want);
			for (i = 0; i < 6; i++)
				ck_assert_msg(fabs(sc[u * 6 + i] - want[i]) <
						      2e-4,
					      "config %zu user %u item %u: %g "
					      "vs %g", q, u, i, sc[u * 6 + i],
					      want[i]);
		}
		igr_model_free(m);
	}
	igr_graph_free(g);
}
END_TEST

START_TEST(new_user_scored_from_own_edges)
{
	igr_graph *g = graph_of(US, IS, sizeof US / sizeof US[0], 8), *g2, *g3;
	uint32_t us2[20], is2[20], nu = 9, u = 8;
	size_t n = sizeof US / sizeof US[0];
	igr_model *m = fit(g, 0.2, 2.5, 4);
	float a[6], b[6], sub[2];
	uint32_t items[2] = { 4, 0 };

	memcpy(us2, US, n * sizeof *us2);
	memcpy(is2, IS, n * sizeof *is2);
	/* user 8 arrives after training with items 0 and 1 */
	us2[n] = 8;
	is2[n] = 0;
	us2[n + 1] = 8;
	is2[n + 1] = 1;
	g2 = graph_of(us2, is2, n + 2, nu);
	ck_assert_int_eq(m->ops->prepare(m, g2), 0);
	ck_assert_int_eq(m->ops->score_users(m, g2, &u, 1, NULL, 6, a), 0);
	/* a subset of items gives the same scores */
	ck_assert_int_eq(m->ops->score_users(m, g2, &u, 1, items, 2, sub),
			 0);
	ck_assert_float_eq(sub[0], a[4]);
	ck_assert_float_eq(sub[1], a[0]);
	/* ... and other edges give other scores */
	is2[n + 1] = 5;
	g3 = graph_of(us2, is2, n + 2, nu);
	ck_assert_int_eq(m->ops->prepare(m, g3), 0);
	ck_assert_int_eq(m->ops->score_users(m, g3, &u, 1, NULL, 6, b), 0);
	ck_assert(memcmp(a, b, sizeof a) != 0);
	ck_assert(b[5] > a[5] - 1e-6 || b[4] != a[4]);
	igr_model_free(m);
	igr_graph_free(g);
	igr_graph_free(g2);
	igr_graph_free(g3);
}
END_TEST

/* ChebyCF's response interpolates the plateau at the Chebyshev nodes:
 * f(l_n) = target(extremum_n) with 1 - 2 l_n = node_n. */
START_TEST(cheby_response_interpolates_plateau)
{
	igr_gf_spec s;
	double a[IGR_GF_MAXDEG + 1];
	uint32_t K, n, j;

	memset(&s, 0, sizeof s);
	s.filter = IGR_GF_CHEBY;
	s.flatness = 1.5;
	for (K = 2; K <= 10; K += 4) {
		s.degree = K;
		ck_assert_int_eq(igr_gf_response(&s, a), 0);
		for (n = 0; n <= K; n++) {
			double x = cos((K + 0.5 - n) / (K + 1) * M_PI);
			double e = cos((double)(K - n) / K * M_PI), t, f = 0;
			double l = (1 - x) / 2;

			e = round(e * 1000) / 1000;
			t = e < 0 ? 0.5 + 0.5 * pow(-e, 1.5)
				  : 0.5 - 0.5 * pow(e, 1.5);
			t = round(t * 1000) / 1000;
			for (j = K + 1; j-- > 0;)
				f = f * l + a[j];
			ck_assert_msg(fabs(f - t) < 1e-9, "K %u node %u: %g vs %g",
				      K, n, f, t);
		}
	}
	s.degree = IGR_GF_MAXDEG + 1;
	ck_assert_int_eq(igr_gf_response(&s, a), -1);
}
END_TEST

/* The Chebyshev filter between degree scalings, against the dense
 * formula s = Di^n ((x Di^-n) (f(P) + beta V V^T)) with every singular
 * vector: the sparse terms (fitted below the span) and the low-rank
 * remainder add up to f exactly, for 1 to 3 sparse powers. */
START_TEST(cheby_scores_match_dense_formula)
{
	igr_graph *g = graph_of(US, IS, sizeof US / sizeof US[0], 8);
	const igr_csr *r = g->rel[IGR_USER][IGR_ITEM];
	double di[6] = { 0 }, du[8] = { 0 }, rn[8][6], p[6][6];
	double a[IGR_GF_MAXDEG + 1];
	uint32_t e, u, i, j, q;

	for (u = 0; u < 8; u++)
		for (i = 0; i < 6; i++) {
			du[u] += tu_dense_at(r, u, i);
			di[i] += tu_dense_at(r, u, i);
		}
	for (u = 0; u < 8; u++)
		for (i = 0; i < 6; i++)
			rn[u][i] = tu_dense_at(r, u, i) / sqrt(du[u] * di[i]);
	for (i = 0; i < 6; i++)
		for (j = 0; j < 6; j++) {
			p[i][j] = 0;
			for (u = 0; u < 8; u++)
				p[i][j] += rn[u][i] * rn[u][j];
		}
	for (e = 0; e <= 3; e++) {
		igr_model *m = igr_model_new("gf");
		igr_learn_opts o;
		igr_gf_spec s;
		uint32_t users[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
		float sc[8 * 6];

		igr_learn_defaults(&o, "gf");
		o.rank = 6;
		o.svd_iters = 6;
		o.gf_filter = IGR_GF_CHEBY;
		o.gf_degree = 6;
		o.gf_flatness = 2;
		o.gf_norm = 0.3;
		o.gf_beta = 0.25;
		o.gf_exact = e;
		igr_gf_spec_of(&s, &o);
		ck_assert_int_eq(igr_gf_response(&s, a), 0);
		ck_assert_msg(igr_gf_fit(m, g, &o) == 0, "%s", igr_errmsg());
		ck_assert_int_eq(m->ops->prepare(m, g), 0);
		ck_assert_int_eq(m->ops->score_users(m, g, users, 8, NULL, 6,
						     sc), 0);
		for (u = 0; u < 8; u++) {
			double x[6], y[6], pw[6], nx[6];

			/* y = sum_q a_q x~ P^q + beta x~, then Di^n */
			for (i = 0; i < 6; i++) {
				x[i] = tu_dense_at(r, u, i) * pow(di[i], -0.3);
				pw[i] = x[i];
				y[i] = (a[0] + 0.25) * x[i];
			}
			for (q = 1; q <= 6; q++) {
				for (j = 0; j < 6; j++) {
					nx[j] = 0;
					for (i = 0; i < 6; i++)
						nx[j] += pw[i] * p[i][j];
				}
				for (j = 0; j < 6; j++) {
					pw[j] = nx[j];
					y[j] += a[q] * pw[j];
				}
			}
			for (i = 0; i < 6; i++) {
				double want = y[i] * pow(di[i], 0.3);

				ck_assert_msg(fabs(sc[u * 6 + i] - want) < 5e-4,
					      "E %u user %u item %u: %g vs %g",
					      e, u, i, sc[u * 6 + i], want);
			}
		}
		igr_model_free(m);
	}
	igr_graph_free(g);
}
END_TEST

/* The spectral form (no sparse terms) is an embedding model: the user's
 * vector dotted with the item rows gives score_users' scores, for both
 * families and with the degree scaling folded into the rows; with sparse
 * terms the model says it is not one. */
START_TEST(spectral_form_is_an_embedding)
{
	igr_graph *g = graph_of(US, IS, sizeof US / sizeof US[0], 8);
	int fam, e;

	for (fam = 0; fam < 2; fam++)
		for (e = 0; e <= 1; e++) {
			igr_model *m = igr_model_new("gf");
			igr_learn_opts o;
			igr_embed em;
			uint32_t users[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, u, i, c;
			float sc[8 * 6], v[12];
			int x;

			igr_learn_defaults(&o, "gf");
			o.rank = 4;
			o.svd_iters = 6;
			o.gf_filter = fam ? IGR_GF_CHEBY : IGR_GF_BSPM;
			o.gf_norm = 0.3;
			o.gf_beta = 0.25;
			o.gf_sharpen = 1.5;
			o.gf_order = 2;
			o.gf_exact = (uint32_t)e;
			ck_assert_msg(igr_gf_fit(m, g, &o) == 0, "%s",
				      igr_errmsg());
			ck_assert_int_eq(m->ops->prepare(m, g), 0);
			x = m->ops->embedding(m, &em);
			if (e > 0) {
				ck_assert_int_eq(x, 1);
				igr_model_free(m);
				continue;
			}
			ck_assert_int_eq(x, 0);
			ck_assert_uint_eq(em.nitems, 6);
			ck_assert_uint_eq(em.dim, fam ? 4 : 8);
			ck_assert_int_eq(m->ops->score_users(m, g, users, 8,
							     NULL, 6, sc), 0);
			for (u = 0; u < 8; u++) {
				ck_assert_int_eq(m->ops->user_vector(m, g, u, v),
						 0);
				for (i = 0; i < 6; i++) {
					double d = 0;

					for (c = 0; c < em.dim; c++)
						d += v[c] * em.item[i * em.dim +
								    c];
					ck_assert_msg(fabs(d - sc[u * 6 + i]) <
						      1e-5,
						      "family %d user %u item "
						      "%u: %g vs %g", fam, u, i,
						      d, sc[u * 6 + i]);
				}
			}
			igr_model_free(m);
		}
	igr_graph_free(g);
}
END_TEST

/* The pruned sparse part (--sparse-nbrs): with every neighbour kept it
 * scores as the exact E = 1 filter does (but on a user's own items: P's
 * diagonal is left out); pruned, the model is a hybrid whose dot product
 * plus its sparse part gives score_users' scores, own items included. */
/* the serving ceiling: the 100M-event log's 1M users x 3.87M items
 * (33 probes of 492 pq codes a user: rank 72 scans 2.9e11 bytes), no
 * ceiling at Gowalla's or the 10M log's size, fewer users more rank,
 * never below 32 */
START_TEST(serve_rank_follows_the_scan)
{
	ck_assert_uint_eq(igr_gf_serve_rank(1000000, 3870000), 72);
	ck_assert_uint_ge(igr_gf_serve_rank(29858, 40981), 512);
	ck_assert_uint_ge(igr_gf_serve_rank(100000, 400000), 512);
	ck_assert_uint_gt(igr_gf_serve_rank(500000, 3870000),
			  igr_gf_serve_rank(1000000, 3870000));
	ck_assert_uint_eq(igr_gf_serve_rank(1000000000, 3870000), 32);
	ck_assert_uint_eq(igr_gf_serve_rank(1000000, 3870000) % 8, 0);
}
END_TEST

START_TEST(pruned_form_is_a_hybrid)
{
	igr_graph *g = graph_of(US, IS, sizeof US / sizeof US[0], 8);
	const igr_csr *r = g->rel[IGR_USER][IGR_ITEM];
	int fam;

	for (fam = 0; fam < 2; fam++) {
		uint32_t users[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, u, i, c, nb;
		float ex[8 * 6], sc[8 * 6], v[12];
		igr_learn_opts o;
		igr_model *m;
		igr_embed em;
		igr_acc acc;

		igr_learn_defaults(&o, "gf");
		o.rank = 3;
		o.svd_iters = 6;
		o.gf_filter = fam ? IGR_GF_CHEBY : IGR_GF_BSPM;
		o.gf_norm = 0.3;
		o.gf_beta = 0.25;
		o.gf_sharpen = 1.5;
		o.gf_order = 2;
		o.gf_exact = 1;
		m = igr_model_new("gf");
		ck_assert_msg(igr_gf_fit(m, g, &o) == 0, "%s", igr_errmsg());
		ck_assert_int_eq(m->ops->prepare(m, g), 0);
		ck_assert_int_eq(m->ops->hybrid(m, &em), 1);
		ck_assert_int_eq(m->ops->score_users(m, g, users, 8, NULL, 6,
						     ex), 0);
		igr_model_free(m);
		for (nb = 5; nb >= 2 && nb <= 5; nb -= 3) {
			o.gf_nbrs = nb;
			m = igr_model_new("gf");
			ck_assert_msg(igr_gf_fit(m, g, &o) == 0, "%s",
				      igr_errmsg());
			ck_assert_int_eq(m->ops->prepare(m, g), 0);
			ck_assert_int_eq(m->ops->embedding(m, &em), 1);
			ck_assert_int_eq(m->ops->hybrid(m, &em), 0);
			ck_assert_uint_eq(em.nitems, 6);
			ck_assert_uint_eq(em.dim, fam ? 3 : 6);
			ck_assert_int_eq(m->ops->score_users(m, g, users, 8,
							     NULL, 6, sc), 0);
			ck_assert_int_eq(igr_acc_init(&acc, 6), 0);
			for (u = 0; u < 8; u++) {
				ck_assert_int_eq(m->ops->user_vector(m, g, u, v),
						 0);
				ck_assert_int_eq(m->ops->add_sparse(m, g, u,
								    &acc), 0);
				for (i = 0; i < 6; i++) {
					double d = acc.v[i];

					for (c = 0; c < em.dim; c++)
						d += v[c] * em.item[i * em.dim +
								    c];
					ck_assert_msg(fabs(d - sc[u * 6 + i]) <
						      1e-5,
						      "family %d nbrs %u user %u "
						      "item %u: %g vs %g", fam,
						      nb, u, i, d,
						      sc[u * 6 + i]);
					if (nb == 5 &&
					    tu_dense_at(r, u, i) == 0)
						ck_assert_msg(
							fabs(sc[u * 6 + i] -
							     ex[u * 6 + i]) <
								1e-5,
							"family %d user %u "
							"item %u: %g vs exact "
							"%g", fam, u, i,
							sc[u * 6 + i],
							ex[u * 6 + i]);
				}
				igr_acc_clear(&acc);
			}
			igr_acc_release(&acc);
			igr_model_free(m);
		}
	}
	igr_graph_free(g);
}
END_TEST

START_TEST(bad_weights_refused)
{
	uint32_t r[2] = { 0, 1 }, c[2] = { 0, 1 };
	float w[2] = { 1, -2 };
	igr_csr *a = igr_csr_from_coo(2, 2, 2, r, c, w, NULL, NULL, 1);

	ck_assert_ptr_null(igr_csr_scaled(a, NULL, NULL, 1));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "weight"));
	igr_csr_free(a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gf");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, scores_match_dense_formula);
	tcase_add_test(tc, new_user_scored_from_own_edges);
	tcase_add_test(tc, bad_weights_refused);
	tcase_add_test(tc, cheby_response_interpolates_plateau);
	tcase_add_test(tc, cheby_scores_match_dense_formula);
	tcase_add_test(tc, spectral_form_is_an_embedding);
	tcase_add_test(tc, pruned_form_is_a_hybrid);
	tcase_add_test(tc, serve_rank_follows_the_scan);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
