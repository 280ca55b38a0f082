/* check_mlp.c - the ranker's network (lib/mlp.c): gradients against finite
 * differences, the preprocessing, training on a known problem, the prior
 * correction of negative sampling, model files, feature streams. */
#include "testutil.h"

#include "error.h"
#include "metrics.h"
#include "models/mlp.h"
#include "model.h"
#include "stream.h"

#include <math.h>

static uint64_t st_rng = 42;

static double urand(void)
{
	st_rng = st_rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(st_rng >> 11) * 0x1.0p-53;
}

/* The loss's derivative in parameter K by finite differences: central
 * (DIR 0), forward (1) or backward (-1). */
static double numeric_dir(igr_mlp *n, igr_mlp_work *w, const float *x,
			  const float *y, const float *c, size_t rows,
			  double l2, uint64_t dseed, size_t k, double eps,
			  int dir)
{
	float keep = n->param[k];
	float hi = dir >= 0 ? (float)(keep + eps) : keep;
	float lo = dir <= 0 ? (float)(keep - eps) : keep;
	double lp, lm;

	n->param[k] = hi;
	lp = igr_mlp_loss_grad(n, w, x, y, c, rows, l2, dseed, NULL);
	n->param[k] = lo;
	lm = igr_mlp_loss_grad(n, w, x, y, c, rows, l2, dseed, NULL);
	n->param[k] = keep;
	/* the step actually taken, after rounding to float */
	return (lp - lm) / ((double)hi - (double)lo);
}

static double numeric(igr_mlp *n, igr_mlp_work *w, const float *x,
		      const float *y, const float *c, size_t rows, double l2,
		      uint64_t dseed, size_t k, double eps)
{
	return numeric_dir(n, w, x, y, c, rows, l2, dseed, k, eps, 0);
}

static int agrees(double analytic, double nd, double abs_tol)
{
	return fabs(nd - analytic) <= abs_tol + 2e-2 * fabs(nd);
}

/*
 * Every parameter's derivative: analytic (back-propagation through the
 * sgemm layers, the dropout masks, the activations, the weighted loss and
 * L2) against central differences, parameter by parameter.  relu has a
 * kink at 0: when a pre-activation lies within the step of it, the
 * central difference averages two slopes, so there the analytic value
 * must instead match the one-sided difference on the side without the
 * kink (the two one-sided differences then disagree, which is how such a
 * parameter is recognised); at most a quarter of the parameters may be
 * near a kink (dropout seed 77 would put a relu unit 1e-5 from its kink,
 * which reaches 18 of the 69 parameters).
 */
START_TEST(gradient_check)
{
	const int act = _i % 3, drop = _i >= 3;
	uint32_t hidden[2] = { 6, 4 };
	enum { NIN = 5, ROWS = 9 };
	float x[ROWS * NIN], y[ROWS], c[ROWS], *g;
	igr_mlp *n;
	igr_mlp_work *w;
	size_t k, i, kinks = 0;
	double l2 = 0.03, num2 = 0;
	const double eps = 4e-3;
	uint64_t dseed = drop ? 78 : 0;

	n = igr_mlp_new(NIN, hidden, 2, act, _i % 2, 5 + (uint64_t)_i);
	ck_assert_ptr_nonnull(n);
	n->dropout = drop ? 0.3f : 0.0f;
	for (k = 0; k < n->nparam; k++) /* biases too, away from 0 */
		n->param[k] += (float)(0.2 * (urand() - 0.5));
	for (i = 0; i < ROWS * NIN; i++)
		x[i] = (float)(2 * urand() - 1);
	for (i = 0; i < ROWS; i++) {
		y[i] = (float)(i % 3 == 0);
		c[i] = y[i] > 0 ? 2.5f : 1.0f;
	}
	w = igr_mlp_work_new(n, ROWS);
	g = malloc(n->nparam * sizeof *g);
	ck_assert_ptr_nonnull(w);
	ck_assert(isfinite(igr_mlp_loss_grad(n, w, x, y, c, ROWS, l2, dseed,
					     g)));
	for (k = 0; k < n->nparam; k++) {
		double nd = numeric(n, w, x, y, c, ROWS, l2, dseed, k, eps);
		num2 += nd * nd;
		if (agrees(g[k], nd, 5e-4))
			continue;
		if (act == IGR_ACT_RELU) {
			double f = numeric_dir(n, w, x, y, c, ROWS, l2, dseed,
					       k, eps, 1);
			double b = numeric_dir(n, w, x, y, c, ROWS, l2, dseed,
					       k, eps, -1);
			if (!agrees(f, b, 5e-4) &&
			    (agrees(g[k], f, 5e-4) || agrees(g[k], b, 5e-4))) {
				kinks++;
				continue;
			}
		}
		ck_abort_msg("%s%s: parameter %zu: analytic %.7g, numeric "
			     "%.7g", igr_mlp_act_name(act),
			     drop ? " + dropout" : "", k, g[k], nd);
	}
	ck_assert_uint_le(kinks, n->nparam / 4);
	ck_assert(num2 > 0);
	free(g);
	igr_mlp_work_free(w);
	igr_mlp_free(n);
}
END_TEST

/* The check is not vacuous: a gradient that misses the L2 term fails. */
START_TEST(gradient_check_can_fail)
{
	uint32_t hidden[1] = { 4 };
	float x[3 * 3] = { 1, -1, 0.5f, 0.2f, 0.3f, -0.7f, -1, 1, 1 };
	float y[3] = { 1, 0, 0 }, *g;
	igr_mlp *n = igr_mlp_new(3, hidden, 1, IGR_ACT_TANH, 1, 9);
	igr_mlp_work *w = igr_mlp_work_new(n, 3);
	size_t k;
	int bad = 0;

	g = malloc(n->nparam * sizeof *g);
	/* gradient without L2, loss with it */
	igr_mlp_loss_grad(n, w, x, y, NULL, 3, 0.0, 0, g);
	for (k = 0; k < n->woff[1]; k++) {
		double nd = numeric(n, w, x, y, NULL, 3, 0.5, 0, k, 4e-3);
		bad += fabs(nd - g[k]) > 5e-4 + 2e-2 * fabs(nd);
	}
	ck_assert_int_gt(bad, 0);
	free(g);
	igr_mlp_work_free(w);
	igr_mlp_free(n);
}
END_TEST

START_TEST(preprocessing)
{
	uint32_t h[1] = { 2 };
	igr_mlp *n = igr_mlp_new(3, h, 1, IGR_ACT_RELU, 0, 1);
	float raw[6] = { 0, -3, NAN, (float)M_E - 1, 100, INFINITY }, out[6];

	n->mean[0] = 0.5f;
	n->std[0] = 2.0f;
	igr_mlp_prepare(n, raw, 2, out);
	ck_assert_float_eq_tol(out[0], -0.25f, 1e-6f);    /* (0 - .5) / 2 */
	ck_assert_float_eq_tol(out[1], -log1pf(3), 1e-6f); /* signed log */
	ck_assert_float_eq(out[2], 0);                     /* missing */
	ck_assert_float_eq_tol(out[3], 0.25f, 1e-6f);      /* (1 - .5) / 2 */
	ck_assert_float_eq_tol(out[4], log1pf(100), 1e-5f);
	ck_assert_float_eq(out[5], 0);
	igr_mlp_free(n);
}
END_TEST

/* A rare-positive problem the network must learn: y = 1 when x0 + x1 is
 * large (about 5% of rows); x2 is noise, x3 has missing values. */
static igr_mlp_data *problem(size_t rows, uint64_t seed)
{
	igr_mlp_data *d = calloc(1, sizeof *d);
	size_t i;

	st_rng = seed;
	d->dim = 4;
	d->n = d->cap = rows;
	d->x = malloc(rows * 4 * sizeof *d->x);
	d->y = malloc(rows * sizeof *d->y);
	d->names = strdup("a,b,noise,gappy");
	d->meta_json = strdup("{}");
	for (i = 0; i < rows; i++) {
		float a = (float)(urand() * 10), b = (float)urand();
		d->x[i * 4] = a;
		d->x[i * 4 + 1] = b;
		d->x[i * 4 + 2] = (float)(urand() * 50);
		d->x[i * 4 + 3] = i % 3 ? (float)(a * urand()) : NAN;
		d->y[i] = a / 10 + b + 0.3 * (urand() - 0.5) > 1.6f;
		d->pos += d->y[i] > 0;
	}
	d->seen = rows;
	d->neg_seen = rows - d->pos;
	return d;
}

/* Keep the positives and a fraction R of the negatives. */
static void subsample(igr_mlp_data *d, double r, uint64_t seed)
{
	size_t i, j = 0;

	st_rng = seed;
	d->pos = 0;
	for (i = 0; i < d->n; i++) {
		if (d->y[i] == 0 && urand() >= r)
			continue;
		memmove(d->x + j * d->dim, d->x + i * d->dim,
			d->dim * sizeof *d->x);
		d->y[j] = d->y[i];
		d->pos += d->y[j] > 0;
		j++;
	}
	d->n = j;
}

static double auc_of(igr_mlp *n, igr_mlp_data *t, double *mean_p,
		     double *rate)
{
	float *p = malloc(t->n * sizeof *p);
	uint8_t *y = malloc(t->n);
	double auc, s = 0, r = 0;
	size_t i;

	ck_assert_int_eq(igr_mlp_predict(n, t->x, t->n, p), 0);
	for (i = 0; i < t->n; i++) {
		y[i] = t->y[i] > 0;
		s += p[i];
		r += y[i];
	}
	ck_assert_int_eq(igr_auc(p, y, t->n, &auc), 0);
	*mean_p = s / (double)t->n;
	*rate = r / (double)t->n;
	free(p);
	free(y);
	return auc;
}

START_TEST(learns_and_stays_calibrated)
{
	igr_mlp_data *tr = problem(20000, 3), *va = problem(5000, 4),
		     *te = problem(20000, 5);
	igr_mlp_opts o;
	igr_mlp_status st;
	igr_mlp *n;
	double auc, mp, rate;

	igr_mlp_opts_init(&o);
	o.epochs = 15;
	o.neg_rate = 0.2; /* negative sampling ... */
	o.pos_weight = 2; /* ... and class weighting */
	subsample(tr, o.neg_rate, 11);
	n = igr_mlp_train(tr, va, &o, &st);
	ck_assert_msg(n != NULL, "%s", igr_errmsg());
	ck_assert(st.validated && st.best_epoch >= 1);
	ck_assert_double_eq_tol(n->offset, log(0.2) - log(2), 1e-12);
	igr_mlp_prepare(n, te->x, te->n, te->x);
	auc = auc_of(n, te, &mp, &rate);
	ck_assert_msg(auc > 0.97, "test AUC %.4f", auc);
	/* the offset undoes the sampling: mean prediction ~ base rate */
	ck_assert_msg(fabs(mp - rate) < 0.25 * rate,
		      "mean p %.4f vs rate %.4f", mp, rate);
	ck_assert_msg(st.valid_logloss < 0.1, "valid log-loss %.4f",
		      st.valid_logloss);
	igr_mlp_free(n);
	igr_mlp_data_free(tr);
	igr_mlp_data_free(va);
	igr_mlp_data_free(te);
}
END_TEST

/* Early stopping keeps the best epoch's parameters. */
START_TEST(early_stopping)
{
	igr_mlp_data *tr = problem(300, 6), *va = problem(3000, 7);
	igr_mlp_opts o;
	igr_mlp_status st;
	igr_mlp *n;

	igr_mlp_opts_init(&o);
	o.epochs = 200;
	o.patience = 2;
	o.dropout = 0;
	o.l2 = 0;
	o.lr = 0.03; /* overfits 300 rows quickly */
	o.batch = 32;
	n = igr_mlp_train(tr, va, &o, &st);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_lt(st.epoch, 200);
	ck_assert_uint_eq(st.epoch, st.best_epoch + o.patience);
	igr_mlp_free(n);
	igr_mlp_data_free(tr);
	igr_mlp_data_free(va);
}
END_TEST

START_TEST(model_round_trip)
{
	igr_mlp_data *tr = problem(2000, 8), *te = problem(500, 9);
	igr_mlp_opts o;
	igr_mlp *n, *back;
	igr_model *m, *loaded;
	float *p1, *p2, *raw;
	size_t i;

	igr_mlp_opts_init(&o);
	o.epochs = 2;
	o.nhidden = 3;
	o.hidden[2] = 5;
	o.act = IGR_ACT_TANH;
	n = igr_mlp_train(tr, NULL, &o, NULL);
	ck_assert_ptr_nonnull(n);
	m = igr_mlp_to_model(n, &o, tr);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(igr_model_save(m, tu_path("m.igm")), 0);
	loaded = igr_model_load(tu_path("m.igm"));
	ck_assert_msg(loaded != NULL, "%s", igr_errmsg());
	ck_assert_str_eq(igr_mlp_model_features(loaded), "a,b,noise,gappy");
	back = igr_mlp_from_model(loaded);
	ck_assert_msg(back != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(back->nlayers, 4);
	ck_assert_double_eq(back->offset, n->offset);
	raw = malloc(te->n * te->dim * sizeof *raw);
	memcpy(raw, te->x, te->n * te->dim * sizeof *raw);
	p1 = malloc(te->n * sizeof *p1);
	p2 = malloc(te->n * sizeof *p2);
	igr_mlp_prepare(n, te->x, te->n, te->x);
	igr_mlp_prepare(back, raw, te->n, raw);
	ck_assert_int_eq(igr_mlp_predict(n, te->x, te->n, p1), 0);
	ck_assert_int_eq(igr_mlp_predict(back, raw, te->n, p2), 0);
	for (i = 0; i < te->n; i++)
		ck_assert_float_eq(p1[i], p2[i]);
	/* a ranker does not serve from a graph */
	ck_assert_ptr_nonnull(loaded->ops);
	ck_assert_int_eq(loaded->ops->prepare(loaded, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "--rerank"));
	free(raw);
	free(p1);
	free(p2);
	igr_mlp_free(n);
	igr_mlp_free(back);
	igr_model_free(m);
	igr_model_free(loaded);
	igr_mlp_data_free(tr);
	igr_mlp_data_free(te);
}
END_TEST

/* Reading a features stream: the label mask picks positives, sampling
 * keeps every positive and about neg_rate of the negatives. */
START_TEST(data_from_stream)
{
	static const char *const names[2] = { "f1", "f2" };
	igr_writer *w = igr_writer_open(tu_path("f"), IGR_KIND_FEATURES,
					IGR_ENC_BINARY);
	igr_reader *r;
	igr_mlp_data *d;
	igr_pair p;
	float v[2];
	int i;

	ck_assert_int_eq(igr_writer_set_features(w, 2, names), 0);
	ck_assert_int_eq(igr_writer_set_meta(w, "half_life", "86400"), 0);
	p.v = v;
	for (i = 0; i < 10000; i++) {
		p.user = (uint32_t)i;
		p.item = 1;
		p.label = i % 50 == 0 ? 1u << IGR_BUY
			  : i % 50 == 1 ? 1u << IGR_CART : 0;
		v[0] = (float)i;
		v[1] = 1;
		ck_assert_int_eq(igr_write_pair(w, &p), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("f"), 0);
	d = igr_mlp_data_read(r, 1u << IGR_BUY, 0.1, 1);
	igr_reader_close(r);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->seen, 10000);
	ck_assert_uint_eq(d->pos, 200);
	ck_assert_uint_eq(d->neg_seen, 9800);
	ck_assert_msg(d->n > 200 + 800 && d->n < 200 + 1160, "kept %zu",
		      d->n);
	ck_assert_str_eq(d->names, "f1,f2");
	/* each kept row keeps its pair: user i bought when i % 50 == 0 */
	for (i = 0; (size_t)i < d->n; i++) {
		ck_assert_uint_eq(d->item[i], 1);
		ck_assert_int_eq(d->y[i] > 0, d->user[i] % 50 == 0);
	}
	ck_assert_ptr_nonnull(strstr(d->meta_json, "\"half_life\":\"86400\""));
	igr_mlp_data_free(d);
	/* cart or buy: 400 positives, all rows kept */
	r = igr_reader_open(tu_path("f"), 0);
	d = igr_mlp_data_read(r, (1u << IGR_BUY) | (1u << IGR_CART), 1, 1);
	igr_reader_close(r);
	ck_assert_uint_eq(d->pos, 400);
	ck_assert_uint_eq(d->n, 10000);
	igr_mlp_data_free(d);
	/* not a features stream */
	w = igr_writer_open(tu_path("s"), IGR_KIND_SCORES, IGR_ENC_TSV);
	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("s"), 0);
	ck_assert_ptr_null(igr_mlp_data_read(r, 1, 1, 1));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "features stream"));
	igr_reader_close(r);
}
END_TEST

START_TEST(refuses_single_class)
{
	igr_mlp_data *tr = problem(100, 1), *va;
	igr_mlp_opts o;
	size_t i;

	for (i = 0; i < tr->n; i++)
		tr->y[i] = 0;
	tr->pos = 0;
	igr_mlp_opts_init(&o);
	ck_assert_ptr_null(igr_mlp_train(tr, NULL, &o, NULL));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "positive and negative"));
	igr_mlp_data_free(tr);
	/* a validation cut without positives cannot stop anything */
	tr = problem(100, 1);
	va = problem(50, 2);
	for (i = 0; i < va->n; i++)
		va->y[i] = 0;
	va->pos = 0;
	ck_assert_ptr_null(igr_mlp_train(tr, va, &o, NULL));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "validation stream"));
	igr_mlp_data_free(tr);
	igr_mlp_data_free(va);
}
END_TEST

START_TEST(stop_names)
{
	ck_assert_int_eq(igr_mlp_stop_parse("ndcg"), IGR_MLP_STOP_NDCG);
	ck_assert_int_eq(igr_mlp_stop_parse("gauc"), IGR_MLP_STOP_GAUC);
	ck_assert_int_eq(igr_mlp_stop_parse("map"), -1);
	ck_assert_str_eq(igr_mlp_stop_name(IGR_MLP_STOP_LOGLOSS), "logloss");
}
END_TEST

struct epochs_seen {
	uint32_t n;
	double ndcg[64], auc[64];
};

static void record_epoch(void *ctx, const igr_mlp_status *st)
{
	struct epochs_seen *e = ctx;

	ck_assert_uint_eq(st->epoch, e->n + 1);
	e->ndcg[e->n] = st->valid_ndcg;
	e->auc[e->n++] = st->valid_auc;
}

/* --stop ndcg keeps the epoch of the best grouped NDCG, and needs the
 * validation rows' users. */
START_TEST(stops_on_grouped_ndcg)
{
	igr_mlp_data *tr = problem(300, 6), *va = problem(3000, 7);
	struct epochs_seen e = { 0 };
	igr_mlp_opts o;
	igr_mlp_status st;
	igr_mlp *n;
	uint32_t i, best = 0;

	igr_mlp_opts_init(&o);
	o.epochs = 40;
	o.patience = 40;
	o.dropout = 0;
	o.l2 = 0;
	o.lr = 0.03;
	o.batch = 32;
	o.stop = IGR_MLP_STOP_NDCG;
	ck_assert_ptr_null(igr_mlp_train(tr, va, &o, NULL));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "carry no users"));
	igr_mlp_data_free(tr);
	tr = problem(300, 6);
	/* 100 users of 30 candidate pairs */
	va->user = malloc(va->n * sizeof *va->user);
	va->item = malloc(va->n * sizeof *va->item);
	for (i = 0; i < va->n; i++) {
		va->user[i] = i % 100;
		va->item[i] = i;
	}
	o.progress = record_epoch;
	o.progress_ctx = &e;
	n = igr_mlp_train(tr, va, &o, &st);
	ck_assert_msg(n != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(e.n, 40);
	for (i = 0; i < e.n; i++) {
		ck_assert(isfinite(e.ndcg[i]) && e.ndcg[i] > 0 &&
			  e.ndcg[i] <= 1);
		if (e.ndcg[i] > e.ndcg[best])
			best = i;
	}
	ck_assert_uint_eq(st.best_epoch, best + 1);
	/* the final status is the kept epoch's */
	ck_assert_double_eq_tol(st.valid_ndcg, e.ndcg[best], 1e-12);
	igr_mlp_free(n);
	igr_mlp_data_free(tr);
	igr_mlp_data_free(va);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mlp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, gradient_check, 0, 6);
	tcase_add_test(tc, gradient_check_can_fail);
	tcase_add_test(tc, preprocessing);
	tcase_add_test(tc, learns_and_stays_calibrated);
	tcase_add_test(tc, early_stopping);
	tcase_add_test(tc, model_round_trip);
	tcase_add_test(tc, data_from_stream);
	tcase_add_test(tc, refuses_single_class);
	tcase_add_test(tc, stop_names);
	tcase_add_test(tc, stops_on_grouped_ndcg);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
