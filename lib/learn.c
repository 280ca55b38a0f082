/* learn.c - settings, sampling, validation and reports for the learned
 * models (see learn.h). */
#include "learn.h"
#include "clock.h"
#include "error.h"
#include "mem.h"
#include "metrics.h"
#include "model.h"
#include "sparse.h"
#include "stream.h"
#include "train.h"
#include "vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- settings --------------------------------------------------------- */

void igr_learn_defaults(igr_learn_opts *o, const char *name)
{
	memset(o, 0, sizeof *o);
	o->seed = 1;
	o->valid_k = 20;
	o->svd_oversample = 64;
	o->svd_iters = 4;
	o->init_std = 0.1;
	o->negatives = 1;
	o->layers = 3;
	if (strcmp(name, "gf") == 0) {
		/* BSPM-EM on Gowalla (Choi et al., SIGIR 2023, their README):
		 * 448 singular vectors, ideal low-pass weight 0.2, one RK4
		 * sharpening step of length 2.5 */
		o->rank = 448;
		o->gf_beta = 0.2;
		o->gf_sharpen = 2.5;
		o->gf_order = 4;
		o->gf_filter = 0;
		o->gf_norm = 0;
		o->gf_degree = 8;
		o->gf_flatness = 1.5;
		o->gf_exact = 2;
	} else if (strcmp(name, "mf") == 0) {
		/* tuned on Gowalla (BENCHMARKS.md): a stronger L2 than
		 * LightGCN's and dynamic negative sampling */
		o->epochs = 40;
		o->dim = 64;
		o->batch = 2048;
		o->lr = 0.01;
		o->lr_final = 0.001;
		o->reg = 0.01;
		o->negatives = 8;
		o->valid_every = 5;
		o->strata = 0; /* from the data: igr_dsgd_strata() */
	} else if (strcmp(name, "lightgcn") == 0) {
		/* the paper's model and loss; large batches (each step
		 * propagates the whole graph), a larger step, spectral start
		 * and dynamic negative sampling to converge in minutes */
		o->epochs = 300;
		o->dim = 64;
		o->batch = 65536;
		o->lr = 0.01;
		o->lr_final = 0.0005;
		/* ten times the paper's: with hard negatives and this step
		 * the paper's 1e-4 overfits after 45 epochs (BENCHMARKS.md) */
		o->reg = 1e-3;
		o->negatives = 16;
		o->init_svd = 1;
		o->valid_every = 5;
	} else if (strcmp(name, "seq") == 0) {
		/* the published protocol's settings of SASRec, ICLRec and
		 * BSARec on the Amazon files (d 64, batch 256, Adam 0.001),
		 * constant step; early stopping on --valid decides the epochs */
		o->epochs = 100;
		o->dim = 64;
		o->batch = 256;
		o->lr = 0.001;
		o->lr_final = 0.001;
		o->valid_every = 1;
	}
}

int igr_learn_out_of_time(const igr_learn_opts *o, double start)
{
	return o->time_limit > 0 && igr_now() - start >= o->time_limit;
}

double igr_learn_lr(const igr_learn_opts *o, double t)
{
	double lo = o->lr_final > 0 ? o->lr_final : o->lr;

	if (t < 0)
		t = 0;
	if (t > 1)
		t = 1;
	/* cosine annealing (Loshchilov & Hutter, ICLR 2017), no restarts */
	return lo + 0.5 * (o->lr - lo) * (1 + cos(3.141592653589793 * t));
}

void igr_learn_report(const igr_learn_opts *o, igr_learn_status *st,
		      double start, uint64_t examples)
{
	st->elapsed = igr_now() - start;
	st->examples_per_s = st->elapsed > 0 ? examples / st->elapsed : 0;
	st->eta = st->epoch > 0 && st->epochs > st->epoch
		  ? st->elapsed / st->epoch * (st->epochs - st->epoch) : 0;
	if (o->progress != NULL)
		o->progress(o->progress_ctx, st);
}

/* Progress through igraph-train: a progress line per epoch, and with -v
 * one line per validation (the --valid report users asked for). */
static void ctx_progress(void *c, const igr_learn_status *st)
{
	const struct igr_train_ctx *ctx = c;
	char rb[64] = "";

	if (st->validated)
		snprintf(rb, sizeof rb, ", recall@20 %.4f ndcg@20 %.4f",
			 st->recall, st->ndcg);
	igr_report_progress(ctx->report, "%s: epoch %u/%u, loss %.4f, %.0f examples/s, "
			   "%.0fs left%s", st->model, st->epoch, st->epochs,
			   st->loss, st->examples_per_s, st->eta, rb);
	if (st->validated) {
		igr_report_progress_done(ctx->report);
		igr_report_info(ctx->report, "%s: epoch %u, %.1fs: recall@20 %.4f "
			 "ndcg@20 %.4f (best %.4f at epoch %u)", st->model,
			 st->epoch, st->elapsed, st->recall, st->ndcg,
			 st->best_recall, st->best_epoch);
	}
}

int igr_learn_opts_from_ctx(igr_learn_opts *o, const char *name,
			    const struct igr_train_ctx *ctx, igr_model *m)
{
	int lgn = strcmp(name, "lightgcn") == 0;
	int seq = strcmp(name, "seq") == 0;
	const char *valid;

	igr_learn_defaults(o, name);
	o->seed = ctx->seed;
	o->threads = ctx->threads;
	if (!seq)
		o->weight_power = igr_train_num(ctx, m, "weight-power",
						o->weight_power);
	o->epochs = (uint32_t)igr_train_num(ctx, m, "epochs", o->epochs);
	o->dim = (uint32_t)igr_train_num(ctx, m, "dim", o->dim);
	if (lgn)
		o->layers = (uint32_t)igr_train_num(ctx, m, "layers",
						    o->layers);
	if (strcmp(name, "mf") == 0)
		o->strata = (uint32_t)igr_train_num(ctx, m, "strata",
						    o->strata);
	o->batch = (uint32_t)igr_train_num(ctx, m, "batch", o->batch);
	o->lr = igr_train_num(ctx, m, "lr", o->lr);
	/* seq: a constant step unless --lr-final asks for the schedule */
	o->lr_final = igr_train_num(ctx, m, "lr-final",
				    seq ? o->lr : o->lr_final);
	if (o->lr_final > o->lr)
		o->lr_final = o->lr;
	if (!seq) {
		o->reg = igr_train_num(ctx, m, "reg", o->reg);
		o->negatives = (uint32_t)igr_train_num(ctx, m, "negatives",
						       o->negatives);
		o->init_svd = (int)igr_train_num(ctx, m, "init-svd",
						 o->init_svd);
	}
	o->time_limit = igr_train_num(ctx, m, "time-limit", o->time_limit);
	o->valid_every = (uint32_t)igr_train_num(ctx, m, "valid-every",
						 o->valid_every);
	o->checkpoint = igr_train_str(ctx, m, "checkpoint", NULL);
	o->resume = igr_train_flag(ctx, m, "resume");
	if (o->resume && o->checkpoint == NULL)
		return igr_error("--resume needs --checkpoint FILE");
	o->checkpoint_every = o->valid_every ? o->valid_every : 10;
	valid = igr_train_str(ctx, m, "valid", NULL);
	if (valid != NULL) {
		o->valid_owned = igr_valid_read(valid);
		if (o->valid_owned == NULL)
			return -1;
		o->valid = o->valid_owned;
	}
	o->progress = ctx_progress;
	o->progress_ctx = (void *)ctx;
	return 0;
}

void igr_learn_opts_release(igr_learn_opts *o)
{
	igr_valid_free(o->valid_owned);
	o->valid_owned = NULL;
	o->valid = NULL;
}

int igr_learn_curve_add(igr_model *m, uint32_t epoch, double seconds,
			double recall, double ndcg)
{
	cJSON *d = igr_model_data(m), *c, *row;

	if (d == NULL)
		return igr_error("out of memory");
	c = cJSON_GetObjectItemCaseSensitive(d, "curve");
	if (c == NULL)
		c = cJSON_AddArrayToObject(d, "curve");
	row = cJSON_CreateArray();
	if (c == NULL || row == NULL)
		return igr_error("out of memory");
	cJSON_AddItemToArray(c, row);
	cJSON_AddItemToArray(row, cJSON_CreateNumber(epoch));
	cJSON_AddItemToArray(row, cJSON_CreateNumber(seconds));
	cJSON_AddItemToArray(row, cJSON_CreateNumber(recall));
	cJSON_AddItemToArray(row, cJSON_CreateNumber(ndcg));
	return 0;
}

int igr_learn_note_cut(igr_model *m, uint32_t epoch, double part)
{
	cJSON *d = igr_model_data(m);

	if (d == NULL ||
	    cJSON_AddNumberToObject(d, "time_limit_epoch", epoch) == NULL ||
	    cJSON_AddNumberToObject(d, "time_limit_epoch_part", part) == NULL)
		return igr_error("out of memory");
	return 0;
}

igr_csr *igr_learn_matrix(const igr_graph *g, double power)
{
	const igr_csr *r = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	igr_csr *b;
	uint32_t nu = g->n[IGR_USER], ni = g->n[IGR_ITEM], u;

	if (r == NULL || r->nnz == 0)
		return igr_error("the graph has no user -> item edges"), NULL;
	b = igr_csr_scaled(r, NULL, NULL, power);
	if (b == NULL)
		return NULL;
	if (ni < r->ncols)
		ni = r->ncols;
	b->ncols = ni;
	if (nu > b->nrows) {
		uint64_t *p = realloc(b->ptr, ((size_t)nu + 1) * sizeof *p);

		if (p == NULL) {
			igr_csr_free(b);
			return igr_error("out of memory"), NULL;
		}
		for (u = b->nrows + 1; u <= nu; u++)
			p[u] = p[b->nrows];
		b->ptr = p;
		b->nrows = nu;
	}
	return b;
}

/* ---- validation ----------------------------------------------------- */

void igr_valid_free(igr_valid *v)
{
	if (v == NULL)
		return;
	free(v->ptr);
	free(v->item);
	free(v->users);
	free(v);
}

static int cmp_pair(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

igr_valid *igr_valid_from_pairs(const uint32_t *users, const uint32_t *items,
				size_t n)
{
	igr_valid *v = calloc(1, sizeof *v);
	uint64_t *key = malloc((n ? n : 1) * sizeof *key);
	size_t i, m = 0;
	uint32_t u;

	if (v == NULL || key == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		key[i] = (uint64_t)users[i] << 32 | items[i];
		if (users[i] + 1 > v->nusers)
			v->nusers = users[i] + 1;
	}
	qsort(key, n, sizeof *key, cmp_pair);
	v->ptr = calloc((size_t)v->nusers + 1, sizeof *v->ptr);
	v->item = malloc((n ? n : 1) * sizeof *v->item);
	v->users = malloc((v->nusers ? v->nusers : 1) * sizeof *v->users);
	if (v->ptr == NULL || v->item == NULL || v->users == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if (i > 0 && key[i] == key[i - 1])
			continue;
		v->item[m++] = (uint32_t)key[i];
		v->ptr[(key[i] >> 32) + 1]++;
	}
	for (u = 0; u < v->nusers; u++) {
		if (v->ptr[u + 1] > 0)
			v->users[v->nlisted++] = u;
		v->ptr[u + 1] += v->ptr[u];
	}
	free(key);
	return v;
oom:
	free(key);
	igr_valid_free(v);
	return igr_error("out of memory"), NULL;
}

igr_valid *igr_valid_read(const char *path)
{
	igr_reader *r = igr_reader_open(path, 0);
	uint32_t *us = NULL, *is = NULL;
	const struct igr_growing a[] = { IGR_GROWING(&us), IGR_GROWING(&is) };
	size_t n = 0, cap = 0;
	igr_valid *v = NULL;
	int kind, rc;

	if (r == NULL)
		return NULL;
	kind = igr_reader_kind(r);
	if (kind != IGR_KIND_EVENTS && kind != IGR_KIND_GRAPH) {
		igr_error("%s: validation pairs must be an events or graph "
			  "stream, not %s", igr_reader_name(r),
			  igr_kind_name(kind));
		goto out;
	}
	for (;;) {
		uint32_t u, i;

		if (kind == IGR_KIND_EVENTS) {
			igr_event e;

			rc = igr_read_event(r, &e);
			u = e.user;
			i = e.item;
		} else {
			igr_edge e;

			rc = igr_read_edge(r, &e);
			if (rc == 1 && (e.src_type != IGR_USER ||
					e.dst_type != IGR_ITEM))
				continue;
			u = e.src;
			i = e.dst;
		}
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		if (igr_grow_each(&cap, n + 1, a, 2) < 0)
			goto oom;
		us[n] = u;
		is[n++] = i;
	}
	if (n == 0) {
		igr_error("%s: no validation pairs", path ? path : "<stdin>");
		goto out;
	}
	v = igr_valid_from_pairs(us, is, n);
	goto out;
oom:
	igr_error("out of memory");
out:
	igr_reader_close(r);
	free(us);
	free(is);
	return v;
}

/* The K best of SC[0..N) (excluded entries are -INFINITY) into TOP,
 * best first: higher score, then lower id. */
static uint32_t top_k(const float *sc, uint32_t n, uint32_t k, uint32_t *top,
		      float *tsc)
{
	uint32_t m = 0, i, j;

	for (i = 0; i < n; i++) {
		float s = sc[i];

		if (!(s > -INFINITY))
			continue;
		if (m == k && !(s > tsc[k - 1]))
			continue;
		j = m < k ? m++ : k - 1;
		while (j > 0 && s > tsc[j - 1]) {
			tsc[j] = tsc[j - 1];
			top[j] = top[j - 1];
			j--;
		}
		tsc[j] = s;
		top[j] = i;
	}
	return m;
}

int igr_valid_eval(const igr_valid *v, uint32_t nitems, uint32_t k,
		   const igr_csr *exclude, igr_score_fn score, void *ctx,
		   double *recall, double *ndcg)
{
	return igr_valid_eval_each(v, nitems, k, exclude, score, ctx, recall,
				   ndcg, NULL);
}

int igr_valid_eval_each(const igr_valid *v, uint32_t nitems, uint32_t k,
			const igr_csr *exclude, igr_score_fn score, void *ctx,
			double *recall, double *ndcg, double *each)
{
	enum { B = 256 };
	float *sc = malloc((size_t)B * nitems * sizeof *sc);
	double sr = 0, sn = 0;
	uint32_t done, kk[1] = { k };
	int ret = 0;

	if (sc == NULL)
		return igr_error("out of memory");
	if (k == 0 || k > 1000) {
		free(sc);
		return igr_error("validation cutoff %u outside 1 .. 1000", k);
	}
	for (done = 0; done < v->nlisted && ret == 0; done += B) {
		uint32_t nb = v->nlisted - done < B ? v->nlisted - done : B;
		const uint32_t *us = v->users + done;
		int64_t j;

		if (score(ctx, us, nb, sc) < 0) {
			ret = -1;
			break;
		}
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : sr, sn)
		for (j = 0; j < nb; j++) {
			uint32_t u = us[j], top[1000], n, p;
			float tsc[1000], *row = sc + (size_t)j * nitems;
			uint8_t rel[1000];
			double out[IGR_NMETRIC];
			uint64_t e;

			if (exclude != NULL && u < exclude->nrows)
				for (e = exclude->ptr[u];
				     e < exclude->ptr[u + 1]; e++)
					if (exclude->idx[e] < nitems)
						row[exclude->idx[e]] = -INFINITY;
			n = top_k(row, nitems, k, top, tsc);
			for (p = 0; p < n; p++) {
				/* truth rows are sorted: binary search */
				const uint32_t *t = v->item + v->ptr[u];
				size_t lo = 0, hi = v->ptr[u + 1] - v->ptr[u];

				while (lo < hi) {
					size_t mid = (lo + hi) / 2;

					if (t[mid] < top[p])
						lo = mid + 1;
					else
						hi = mid;
				}
				rel[p] = lo < v->ptr[u + 1] - v->ptr[u] &&
					 t[lo] == top[p];
			}
			if (igr_metrics_user(rel, n, v->ptr[u + 1] - v->ptr[u],
					     kk, 1, out) == 0) {
				sr += out[IGR_M_RECALL];
				sn += out[IGR_M_NDCG];
				if (each != NULL)
					each[done + j] = out[IGR_M_RECALL];
			} else if (each != NULL) {
				each[done + j] = 0;
			}
		}
	}
	free(sc);
	if (ret < 0)
		return -1;
	*recall = v->nlisted ? sr / v->nlisted : 0;
	*ndcg = v->nlisted ? sn / v->nlisted : 0;
	return 0;
}

/* ---- BPR ------------------------------------------------------------ */

uint32_t *igr_bpr_active(const igr_csr *r, uint32_t *n)
{
	uint32_t *a = malloc(((size_t)r->nrows + 1) * sizeof *a), u, m = 0;

	if (a == NULL)
		return igr_error("out of memory"), NULL;
	for (u = 0; u < r->nrows; u++)
		if (r->ptr[u + 1] > r->ptr[u])
			a[m++] = u;
	if (m == 0) {
		free(a);
		return igr_error("the graph has no user -> item edges"), NULL;
	}
	*n = m;
	return a;
}

static int row_has(const igr_csr *r, uint32_t u, uint32_t it)
{
	const uint32_t *p = r->idx + r->ptr[u];
	size_t lo = 0, hi = r->ptr[u + 1] - r->ptr[u];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p[mid] < it)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->ptr[u + 1] - r->ptr[u] && p[lo] == it;
}

void igr_bpr_sample(const igr_csr *r, const uint32_t *active,
		    uint32_t nactive, igr_rng *rng, size_t b, uint32_t *u,
		    uint32_t *i, uint32_t *j)
{
	size_t s;

	for (s = 0; s < b; s++) {
		uint32_t us = active[igr_rng_below(rng, nactive)];
		uint64_t deg = r->ptr[us + 1] - r->ptr[us];
		uint32_t neg = 0;
		int tries;

		u[s] = us;
		i[s] = r->idx[r->ptr[us] + igr_rng_below(rng, (uint32_t)deg)];
		for (tries = 0; tries < 64; tries++) {
			neg = igr_rng_below(rng, r->ncols);
			if (!row_has(r, us, neg))
				break;
		}
		j[s] = neg;
	}
}

void igr_bpr_negatives(const igr_csr *r, igr_rng *rng, const uint32_t *u,
		       size_t b, uint32_t n, uint32_t *out)
{
	size_t s;
	uint32_t c;

	for (s = 0; s < b; s++)
		for (c = 0; c < n; c++) {
			uint32_t neg = 0;
			int tries;

			for (tries = 0; tries < 64; tries++) {
				neg = igr_rng_below(rng, r->ncols);
				if (!row_has(r, u[s], neg))
					break;
			}
			out[s * n + c] = neg;
		}
}

IGR_VEC
static float dot(const float *a, const float *b, size_t n)
{
	float s = 0;
	size_t k;

#pragma omp simd reduction(+ : s)
	for (k = 0; k < n; k++)
		s += a[k] * b[k];
	return s;
}

float igr_dot(const float *a, const float *b, size_t n)
{
	return dot(a, b, n);
}

double igr_bpr_pair(const float *eu, const float *ei, const float *ej,
		    size_t dim, float *c)
{
	double d = (double)dot(eu, ej, dim) - dot(eu, ei, dim);

	*c = (float)(1 / (1 + exp(-d)));
	/* softplus(d) = log(1 + e^d), stable for large |d| */
	return d > 0 ? d + log1p(exp(-d)) : log1p(exp(d));
}

igr_model *igr_learn_train(const char *name, const igr_graph *g,
			   const struct igr_train_ctx *ctx,
			   int (*fit)(igr_model *, const igr_graph *,
				      const igr_learn_opts *))
{
	igr_model *m = igr_model_new(name);
	igr_learn_opts o;
	int rc;

	if (m == NULL)
		return NULL;
	if (igr_learn_opts_from_ctx(&o, name, ctx, m) < 0) {
		igr_model_free(m);
		return NULL;
	}
	rc = igr_train_data_summary(m, g, ctx->source);
	if (rc == 0 && strcmp(name, "lightgcn") == 0 &&
	    !igr_train_given(ctx, "batch")) {
		/* every LightGCN step propagates the whole graph, so an
		 * epoch of fixed-size batches would cost edges^2: the batch
		 * grows with the graph to keep 13 steps an epoch (Gowalla's
		 * 65,536 pairs), each epoch linear in the edges */
		const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
		uint64_t b = ui ? (ui->nnz + 12) / 13 : 0;

		if (b > o.batch && b <= UINT32_MAX / 16) {
			o.batch = (uint32_t)b;
			cJSON_DeleteItemFromObjectCaseSensitive(
				igr_model_params(m), "batch");
			if (cJSON_AddNumberToObject(igr_model_params(m),
						    "batch", b) == NULL)
				rc = igr_error("out of memory");
		}
	}
	if (rc == 0) {
		igr_report_progress(ctx->report, "%s: training", name);
		rc = fit(m, g, &o);
	}
	igr_report_progress_done(ctx->report);
	igr_learn_opts_release(&o);
	if (rc < 0) {
		igr_model_free(m);
		return NULL;
	}
	return m;
}

/* ---- options the learned models share (learn.h) ---------------------- */

const struct igr_train_param igr_param_dim = { "dim", IGR_P_INT, 1, 4096, "n",
	  "mf, lightgcn, seq: embedding dimension (default 64)" };
const struct igr_train_param igr_param_reg = { "reg", IGR_P_NUM, 0, 100, "x",
	  "mf, lightgcn: L2 on a batch's (layer-0) embeddings\n"
	  "(defaults 0.01, 0.001)" };
const struct igr_train_param igr_param_lr_final = { "lr-final", IGR_P_NUM, 0, 1, "x",
	  "mf, lightgcn, seq: Adam step at the end of the\n"
	  "cosine schedule (default: a tenth of --lr; seq:\n"
	  "--lr, a constant step)" };
const struct igr_train_param igr_param_negatives = { "negatives", IGR_P_INT, 1, 1000, "n",
	  "mf, lightgcn: sampled negatives per positive; the\n"
	  "best-scored is used (defaults 8, 16)" };
const struct igr_train_param igr_param_init_svd = { "init-svd", IGR_P_INT, 0, 1, "0|1",
	  "mf, lightgcn: 1 starts from the top singular\n"
	  "vectors (defaults 0, 1)" };
const struct igr_train_param igr_param_time_limit = { "time-limit", IGR_P_DURATION, 0, 0, "time",
	  "mf, lightgcn, seq: stop after this much training\n"
	  "(e.g. 25m; default none)" };
const struct igr_train_param igr_param_valid_every = { "valid-every", IGR_P_INT, 0, 100000, "n",
	  "mf, lightgcn, seq: epochs between --valid checks\n"
	  "(default 5, seq 1; 0: at the end only)" };
const struct igr_train_param igr_param_checkpoint = { "checkpoint", IGR_P_STR, 0, 0, "file",
	  "mf, lightgcn, seq: save the training state there\n"
	  "(every --valid-every epochs and at the end)" };
const struct igr_train_param igr_param_resume = { "resume", IGR_P_FLAG, 0, 0, NULL,
	  "mf, lightgcn, seq: continue from --checkpoint" };
const struct igr_train_param igr_param_int8 = { "int8", IGR_P_FLAG, 0, 0, NULL,
	  "gf, mf, lightgcn: store the vectors (every float\n"
	  "matrix of 65,536 values or more) as int8 rows with a\n"
	  "scale each: a quarter of the file" };
const struct igr_train_param igr_param_weight_power = { "weight-power", IGR_P_NUM, 0, 4, "x",
	  "gf, mf, lightgcn: an edge counts weight^x\n"
	  "(default 0: every edge 1)" };
