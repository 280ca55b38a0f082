/* mlp.c - the purchase ranker's network (see mlp.h). */
#include "mlp.h"
#include "error.h"
#include "rand.h"
#include "mem.h"
#include "metrics.h"
#include "train.h"

#include <cJSON.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's thread control (the openmp build): the layers here are small,
 * so the network runs its own threads over slices of rows, each calling a
 * single-threaded sgemm (OpenBLAS's threads would mostly wait). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

static int max_threads(void)
{
#ifdef _OPENMP
	return omp_get_max_threads();
#else
	return 1;
#endif
}

/* ---- activations ---------------------------------------------------------- */

static const char *const act_names[] = { "relu", "tanh", "sigmoid" };

const char *igr_mlp_act_name(int act)
{
	return act >= 0 && act <= IGR_ACT_SIGMOID ? act_names[act] : "unknown";
}

int igr_mlp_act_parse(const char *s)
{
	int a;

	for (a = 0; a <= IGR_ACT_SIGMOID; a++)
		if (strcmp(s, act_names[a]) == 0)
			return a;
	return -1;
}

static float sigmoidf(float z)
{
	return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
}

static void act_apply(int act, float *a, size_t n)
{
	size_t i;

	switch (act) {
	case IGR_ACT_RELU:
		for (i = 0; i < n; i++)
			a[i] = a[i] > 0 ? a[i] : 0;
		break;
	case IGR_ACT_TANH:
		for (i = 0; i < n; i++)
			a[i] = tanhf(a[i]);
		break;
	default:
		for (i = 0; i < n; i++)
			a[i] = sigmoidf(a[i]);
	}
}

/* d act / d z, from the activation's value A. */
static float act_deriv(int act, float a)
{
	switch (act) {
	case IGR_ACT_RELU:
		return a > 0 ? 1.0f : 0.0f;
	case IGR_ACT_TANH:
		return 1.0f - a * a;
	default:
		return a * (1.0f - a);
	}
}

/* ---- the network ----------------------------------------------------------- */

void igr_mlp_free(igr_mlp *n)
{
	if (n == NULL)
		return;
	free(n->param);
	free(n->woff);
	free(n->boff);
	free(n->mean);
	free(n->std);
	free(n);
}

/* Allocate a network of the given shape (parameters zero). */
static igr_mlp *alloc_net(uint32_t nin, const uint32_t *hidden, uint32_t nh,
			  int act, int linear)
{
	igr_mlp *n;
	uint32_t l, i;
	size_t off = 0;

	if (nin == 0 || nh > IGR_MLP_MAXHIDDEN || act < 0 ||
	    act > IGR_ACT_SIGMOID)
		return igr_error("bad network shape"), NULL;
	for (i = 0; i < nh; i++)
		if (hidden[i] == 0 || hidden[i] > 65536)
			return igr_error("bad hidden layer size %u", hidden[i]),
			       NULL;
	n = calloc(1, sizeof *n);
	if (n == NULL)
		return igr_error("out of memory"), NULL;
	n->nin = nin;
	n->nlayers = nh + 1;
	n->act = act;
	n->size[0] = nin;
	for (i = 0; i < nh; i++)
		n->size[i + 1] = hidden[i];
	n->size[nh + 1] = 1;
	n->woff = calloc(n->nlayers, sizeof *n->woff);
	n->boff = calloc(n->nlayers, sizeof *n->boff);
	n->mean = calloc(nin, sizeof *n->mean);
	n->std = malloc(nin * sizeof *n->std);
	if (n->woff == NULL || n->boff == NULL || n->mean == NULL ||
	    n->std == NULL)
		goto oom;
	for (l = 0; l < n->nlayers; l++) {
		n->woff[l] = off;
		off += (size_t)n->size[l] * n->size[l + 1];
		n->boff[l] = off;
		off += n->size[l + 1];
	}
	n->linear = linear != 0;
	n->loff = off;
	if (n->linear)
		off += nin;
	n->nparam = off;
	n->param = calloc(off, sizeof *n->param);
	if (n->param == NULL)
		goto oom;
	for (i = 0; i < nin; i++)
		n->std[i] = 1;
	return n;
oom:
	igr_mlp_free(n);
	return igr_error("out of memory"), NULL;
}

igr_mlp *igr_mlp_new(uint32_t nin, const uint32_t *hidden, uint32_t nh,
		     int act, int linear, uint64_t seed)
{
	igr_mlp *n = alloc_net(nin, hidden, nh, act, linear);
	uint64_t s = seed ^ 0x6d6c70696e6974ULL; /* "mlpinit" */
	uint32_t l;

	if (n == NULL)
		return NULL;
	for (l = 0; l < n->nlayers; l++) {
		uint32_t fin = n->size[l], fout = n->size[l + 1];
		/* He et al. 2015 (relu): N(0, 2/fan_in); Glorot and Bengio
		 * 2010 (tanh, sigmoid): N(0, 2/(fan_in + fan_out)); the
		 * output layer is linear: Glorot */
		double sd = act == IGR_ACT_RELU && l + 1 < n->nlayers
				    ? sqrt(2.0 / fin)
				    : sqrt(2.0 / (fin + fout));
		size_t k, nw = (size_t)fin * fout;
		for (k = 0; k < nw; k++)
			n->param[n->woff[l] + k] =
				(float)(sd * igr_splitmix_normal(&s));
	}
	return n;
}

/* The signed log of pairs.h's raw values. */
static float slog(float x)
{
	return x >= 0 ? log1pf(x) : -log1pf(-x);
}

void igr_mlp_prepare(const igr_mlp *n, const float *raw, size_t rows,
		     float *out)
{
	size_t r;
	uint32_t j;

	for (r = 0; r < rows; r++)
		for (j = 0; j < n->nin; j++) {
			float x = raw[r * n->nin + j];
			out[r * n->nin + j] =
				isfinite(x) ? (slog(x) - n->mean[j]) / n->std[j]
					    : 0.0f;
		}
}

/* ---- forward and backward ------------------------------------------------- */

struct igr_mlp_work {
	size_t maxrows;
	uint32_t maxw;
	float *a[IGR_MLP_MAXHIDDEN + 2];    /* activations of layer l (1..) */
	float *h[IGR_MLP_MAXHIDDEN + 2];    /* after dropout (or = a) */
	float *mask[IGR_MLP_MAXHIDDEN + 2]; /* 0 or 1/(1-p) */
	float *z;                           /* the logits */
	float *d0, *d1;                     /* deltas */
};

void igr_mlp_work_free(igr_mlp_work *w)
{
	uint32_t l;

	if (w == NULL)
		return;
	for (l = 0; l < IGR_MLP_MAXHIDDEN + 2; l++) {
		free(w->a[l]);
		free(w->h[l]);
		free(w->mask[l]);
	}
	free(w->z);
	free(w->d0);
	free(w->d1);
	free(w);
}

igr_mlp_work *igr_mlp_work_new(const igr_mlp *n, size_t maxrows)
{
	igr_mlp_work *w = calloc(1, sizeof *w);
	uint32_t l;

	if (w == NULL)
		return igr_error("out of memory"), NULL;
	if (maxrows == 0)
		maxrows = 1;
	w->maxrows = maxrows;
	for (l = 0; l <= n->nlayers; l++)
		if (n->size[l] > w->maxw)
			w->maxw = n->size[l];
	for (l = 1; l < n->nlayers; l++) {
		size_t sz = maxrows * n->size[l] * sizeof(float);
		w->a[l] = malloc(sz);
		w->h[l] = malloc(sz);
		w->mask[l] = malloc(sz);
		if (!w->a[l] || !w->h[l] || !w->mask[l])
			goto oom;
	}
	w->z = malloc(maxrows * sizeof *w->z);
	w->d0 = malloc(maxrows * w->maxw * sizeof *w->d0);
	w->d1 = malloc(maxrows * w->maxw * sizeof *w->d1);
	if (!w->z || !w->d0 || !w->d1)
		goto oom;
	return w;
oom:
	igr_mlp_work_free(w);
	return igr_error("out of memory"), NULL;
}

/* OUT (rows x out) = IN (rows x in) W + b, through sgemm. */
static void affine(const igr_mlp *n, uint32_t l, const float *in, size_t rows,
		   float *out)
{
	uint32_t fin = n->size[l], fout = n->size[l + 1];
	const float *W = n->param + n->woff[l], *b = n->param + n->boff[l];
	size_t r;

	for (r = 0; r < rows; r++)
		memcpy(out + r * fout, b, fout * sizeof *out);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows,
		    (int)fout, (int)fin, 1.0f, in, (int)fin, W, (int)fout, 1.0f,
		    out, (int)fout);
}

/* Forward pass: logits into w->z.  DSEED != 0: dropout masks. */
static void forward(const igr_mlp *n, igr_mlp_work *w, const float *x,
		    size_t rows, uint64_t dseed)
{
	const float *in = x;
	uint32_t l;
	uint64_t s = dseed;
	float keep = 1.0f - n->dropout;

	for (l = 0; l + 1 < n->nlayers; l++) {
		size_t k, m = rows * n->size[l + 1];
		float *a = w->a[l + 1];
		affine(n, l, in, rows, a);
		act_apply(n->act, a, m);
		if (dseed != 0 && n->dropout > 0) {
			float *h = w->h[l + 1], *mk = w->mask[l + 1];
			for (k = 0; k < m; k++) {
				mk[k] = igr_splitmix_unit(&s) < n->dropout
						? 0.0f
						: 1.0f / keep;
				h[k] = a[k] * mk[k];
			}
			in = h;
		} else {
			float *mk = w->mask[l + 1];
			for (k = 0; k < m; k++)
				mk[k] = 1.0f;
			in = a;
		}
	}
	affine(n, n->nlayers - 1, in, rows, w->z);
	if (n->linear)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)n->nin,
			    1.0f, x, (int)n->nin, n->param + n->loff, 1, 1.0f,
			    w->z, 1);
}

int igr_mlp_predict(const igr_mlp *n, const float *x, size_t rows, float *p)
{
	const size_t chunk = 1024;
	size_t nchunk = (rows + chunk - 1) / chunk;
	int nt = max_threads(), failed = 0, blas = openblas_get_num_threads();

	if ((size_t)nt > nchunk)
		nt = nchunk > 0 ? (int)nchunk : 1;
	openblas_set_num_threads(1);
#pragma omp parallel num_threads(nt) reduction(| : failed)
	{
		igr_mlp_work *w = igr_mlp_work_new(n, chunk);
		long c;
		if (w == NULL)
			failed = 1;
#pragma omp for schedule(dynamic, 1)
		for (c = 0; c < (long)nchunk; c++) {
			size_t r0 = (size_t)c * chunk, i;
			size_t m = rows - r0 < chunk ? rows - r0 : chunk;
			if (w == NULL)
				continue;
			forward(n, w, x + r0 * n->nin, m, 0);
			for (i = 0; i < m; i++)
				p[r0 + i] = sigmoidf(
					(float)(w->z[i] + n->offset));
		}
		igr_mlp_work_free(w);
	}
	openblas_set_num_threads(blas);
	return failed ? igr_error("out of memory") : 0;
}

/* softplus(z) - y z: the cross-entropy of a logit, without overflow. */
static double bce_logit(double z, double y)
{
	return (z > 0 ? z : 0) + log1p(exp(-fabs(z))) - y * z;
}

double igr_mlp_loss_grad(const igr_mlp *n, igr_mlp_work *w, const float *x,
			 const float *y, const float *c, size_t rows,
			 double l2, uint64_t dropout_seed, float *grad)
{
	double loss = 0, reg = 0;
	size_t i, k;
	uint32_t l;
	float *dz, *dn;

	if (rows > w->maxrows || rows == 0)
		return NAN;
	forward(n, w, x, rows, dropout_seed);
	for (i = 0; i < rows; i++)
		loss += (c ? c[i] : 1.0) * bce_logit(w->z[i], y[i]);
	loss /= (double)rows;
	for (l = 0; l < n->nlayers; l++) {
		const float *W = n->param + n->woff[l];
		size_t nw = (size_t)n->size[l] * n->size[l + 1];
		for (k = 0; k < nw; k++)
			reg += (double)W[k] * W[k];
	}
	for (k = 0; n->linear && k < n->nin; k++)
		reg += (double)n->param[n->loff + k] * n->param[n->loff + k];
	loss += 0.5 * l2 * reg;
	if (grad == NULL)
		return loss;

	/* the output layer's delta: d loss / d z */
	dz = w->d0;
	dn = w->d1;
	for (i = 0; i < rows; i++)
		dz[i] = (float)((c ? c[i] : 1.0) *
				(sigmoidf(w->z[i]) - y[i]) / (double)rows);
	if (n->linear) {
		/* the linear term: x^T dz + l2 w */
		float *gl = grad + n->loff;
		for (k = 0; k < n->nin; k++)
			gl[k] = (float)(l2 * n->param[n->loff + k]);
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)n->nin,
			    1.0f, x, (int)n->nin, dz, 1, 1.0f, gl, 1);
	}
	for (l = n->nlayers; l-- > 0;) {
		uint32_t fin = n->size[l], fout = n->size[l + 1];
		const float *in = l == 0 ? x : (n->dropout > 0 && dropout_seed
							? w->h[l]
							: w->a[l]);
		const float *W = n->param + n->woff[l];
		float *gW = grad + n->woff[l], *gb = grad + n->boff[l];
		uint32_t o;

		/* dW = in^T dz + l2 W;  db = column sums of dz */
		for (k = 0; k < (size_t)fin * fout; k++)
			gW[k] = (float)(l2 * W[k]);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fin,
			    (int)fout, (int)rows, 1.0f, in, (int)fin, dz,
			    (int)fout, 1.0f, gW, (int)fout);
		for (o = 0; o < fout; o++) {
			double s = 0;
			for (i = 0; i < rows; i++)
				s += dz[i * fout + o];
			gb[o] = (float)s;
		}
		if (l == 0)
			break;
		/* back through W, the dropout mask and the activation */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows,
			    (int)fin, (int)fout, 1.0f, dz, (int)fout, W,
			    (int)fout, 0.0f, dn, (int)fin);
		for (k = 0; k < rows * fin; k++)
			dn[k] *= w->mask[l][k] * act_deriv(n->act, w->a[l][k]);
		{
			float *t = dz;
			dz = dn;
			dn = t;
		}
	}
	return loss;
}

/* ---- data ------------------------------------------------------------------ */

void igr_mlp_data_free(igr_mlp_data *d)
{
	if (d == NULL)
		return;
	free(d->x);
	free(d->y);
	free(d->user);
	free(d->item);
	free(d->names);
	free(d->meta_json);
	free(d);
}

igr_mlp_data *igr_mlp_data_read(igr_reader *r, uint8_t label_mask,
				double neg_rate, uint64_t seed)
{
	const igr_header *h = igr_reader_header(r);
	igr_mlp_data *d = calloc(1, sizeof *d);
	uint64_t s = seed ^ 0x6e6567ULL;
	igr_pair p;
	cJSON *meta = NULL;
	size_t i;
	int rc;

	if (d == NULL)
		return igr_error("out of memory"), NULL;
	if (igr_reader_kind(r) != IGR_KIND_FEATURES) {
		igr_error("%s: expected a features stream (igraph-pairs), got "
			  "%s", igr_reader_name(r),
			  igr_kind_name(igr_reader_kind(r)));
		goto fail;
	}
	d->dim = h->dim;
	d->names = strdup(igr_header_get(h, "features"));
	meta = cJSON_CreateObject();
	if (d->names == NULL || meta == NULL)
		goto oom;
	for (i = 0; i < h->nmeta; i++)
		if (strcmp(h->meta[i].key, "features") != 0 &&
		    cJSON_AddStringToObject(meta, h->meta[i].key,
					    h->meta[i].value) == NULL)
			goto oom;
	d->meta_json = cJSON_PrintUnformatted(meta);
	if (d->meta_json == NULL)
		goto oom;
	while ((rc = igr_read_pair(r, &p)) == 1) {
		int pos = (p.label & label_mask) != 0;
		d->seen++;
		if (!pos) {
			d->neg_seen++;
			/* negative sampling: keep with probability neg_rate */
			if (neg_rate < 1 && igr_splitmix_unit(&s) >= neg_rate)
				continue;
		}
		if (d->n == d->cap) {
			/* four parallel arrays: each grows from the same room
			 * to the same room (the stream's dim is at least 1) */
			size_t cx = d->cap, cy = d->cap, cu = d->cap,
			       ci = d->cap;
			if (igr_grow(&d->x, &cx, d->n + 1,
				     d->dim * sizeof *d->x) < 0 ||
			    igr_grow(&d->y, &cy, d->n + 1, sizeof *d->y) < 0 ||
			    igr_grow(&d->user, &cu, d->n + 1,
				     sizeof *d->user) < 0 ||
			    igr_grow(&d->item, &ci, d->n + 1,
				     sizeof *d->item) < 0)
				goto fail;
			d->cap = cx;
		}
		memcpy(d->x + d->n * d->dim, p.v, d->dim * sizeof *p.v);
		d->user[d->n] = p.user;
		d->item[d->n] = p.item;
		d->y[d->n++] = (float)pos;
		d->pos += pos;
	}
	if (rc < 0)
		goto fail;
	cJSON_Delete(meta);
	return d;
oom:
	igr_error("out of memory");
fail:
	cJSON_Delete(meta);
	igr_mlp_data_free(d);
	return NULL;
}

/* ---- training ------------------------------------------------------------------ */

void igr_mlp_opts_init(igr_mlp_opts *o)
{
	memset(o, 0, sizeof *o);
	o->nhidden = 2;
	o->hidden[0] = 64;
	o->hidden[1] = 32;
	o->act = IGR_ACT_RELU;
	o->linear = 0;
	o->dropout = 0.1;
	o->l2 = 1e-4;
	o->lr = 1e-3;
	o->batch = 512;
	o->epochs = 30;
	o->patience = 3;
	o->stop = IGR_MLP_STOP_AUC;
	o->neg_rate = 0.3;
	o->pos_weight = 5;
	o->label_mask = 1u << IGR_BUY;
	o->seed = 1;
}

/* Mean and standard deviation of each signed-log column over the finite
 * values of D. */
static void fit_standardisation(igr_mlp *n, const igr_mlp_data *d)
{
	uint32_t j;
	size_t r;

	for (j = 0; j < n->nin; j++) {
		double s = 0, s2 = 0, cnt = 0, mean, var;
		for (r = 0; r < d->n; r++) {
			float x = d->x[r * d->dim + j];
			if (!isfinite(x))
				continue;
			double v = slog(x);
			s += v;
			s2 += v * v;
			cnt++;
		}
		mean = cnt > 0 ? s / cnt : 0;
		var = cnt > 1 ? (s2 - s * mean) / (cnt - 1) : 0;
		n->mean[j] = (float)mean;
		n->std[j] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
	}
}

/* ---- grouped validation scores ---------------------------------------------- */

static const char *const stop_names[] = { "auc", "logloss", "ndcg", "gauc" };

const char *igr_mlp_stop_name(int stop)
{
	return stop >= 0 && stop <= IGR_MLP_STOP_GAUC ? stop_names[stop]
						      : "unknown";
}

int igr_mlp_stop_parse(const char *s)
{
	int a;

	for (a = 0; a <= IGR_MLP_STOP_GAUC; a++)
		if (strcmp(s, stop_names[a]) == 0)
			return a;
	return -1;
}

/* Validation: mean log-loss (predictions clipped to [1e-7, 1 - 1e-7])
 * and AUC of the full-data probabilities; with GROUPED, the grouped
 * scores too when the rows carry their users (NaN otherwise: they cost a
 * sort of the rows, so the epochs compute them only to stop on them). */
static int validate(const igr_mlp *n, const igr_mlp_data *v, float *p,
		    uint8_t *y8, int grouped, igr_mlp_status *st)
{
	size_t i;
	double s = 0;

	if (igr_mlp_predict(n, v->x, v->n, p) < 0)
		return -1;
	for (i = 0; i < v->n; i++) {
		double q = p[i] < 1e-7f ? 1e-7 : p[i] > 1 - 1e-7f ? 1 - 1e-7
								  : p[i];
		s -= v->y[i] > 0 ? log(q) : log(1 - q);
		y8[i] = v->y[i] > 0;
	}
	st->valid_logloss = v->n ? s / (double)v->n : NAN;
	st->valid_ndcg = st->valid_gauc = NAN;
	if (grouped && v->user != NULL && v->item != NULL &&
	    igr_grouped_scores(p, y8, v->user, v->item, v->n, IGR_MLP_NDCG_K,
			       &st->valid_ndcg, &st->valid_gauc) < 0)
		return -1;
	return igr_auc(p, y8, v->n, &st->valid_auc);
}

/* The validation score to minimise: the log-loss, or minus a score where
 * higher is better (NaN, e.g. no positives: never better). */
static double stop_crit(int stop, const igr_mlp_status *st)
{
	switch (stop) {
	case IGR_MLP_STOP_LOGLOSS:
		return st->valid_logloss;
	case IGR_MLP_STOP_NDCG:
		return -st->valid_ndcg;
	case IGR_MLP_STOP_GAUC:
		return -st->valid_gauc;
	default:
		return -st->valid_auc;
	}
}

/* Loss and gradient of one batch, its rows shared by NT threads: slice t
 * of the M rows weighs (its rows) / M, so the sum is the batch's mean
 * loss and gradient (each slice's L2 term too sums to one).  The slices
 * and their dropout seeds depend only on NT, and the slices' gradients
 * are summed in order: a fixed thread count gives the same result. */
static double batch_step(const igr_mlp *n, igr_mlp_work **w, float **tgrad,
			 int nt, const float *x, const float *y, const float *c,
			 size_t m, double l2, uint64_t seed, float *grad)
{
	double loss = 0, part[64];
	int t, k;

	if ((size_t)nt > m)
		nt = (int)m;
#pragma omp parallel for num_threads(nt) schedule(static, 1)
	for (t = 0; t < nt; t++) {
		size_t a = m * (size_t)t / (size_t)nt;
		size_t b = m * (size_t)(t + 1) / (size_t)nt;
		part[t] = igr_mlp_loss_grad(n, w[t], x + a * n->nin, y + a,
					    c + a, b - a, l2,
					    (seed + (uint64_t)t) | 1, tgrad[t]);
	}
	for (k = 0; k < (int)n->nparam; k++)
		grad[k] = 0;
	for (t = 0; t < nt; t++) {
		size_t a = m * (size_t)t / (size_t)nt;
		size_t b = m * (size_t)(t + 1) / (size_t)nt;
		float f = (float)((double)(b - a) / (double)m);
		const float *g = tgrad[t];
		loss += part[t] * (double)(b - a) / (double)m;
		for (k = 0; k < (int)n->nparam; k++)
			grad[k] += f * g[k];
	}
	return loss;
}

igr_mlp *igr_mlp_train(igr_mlp_data *train, igr_mlp_data *valid,
		       const igr_mlp_opts *o, igr_mlp_status *stout)
{
	igr_mlp *n = NULL;
	igr_mlp_work *w[64] = { NULL };
	float *tgrad[64] = { NULL };
	float *grad = NULL, *m1 = NULL, *m2 = NULL, *best = NULL;
	float *xb = NULL, *yb = NULL, *cb = NULL, *vp = NULL;
	uint8_t *vy = NULL;
	size_t *perm = NULL, i, k;
	uint64_t s = o->seed ^ 0x73687566ULL, t = 0;
	double best_loss = INFINITY, b1t = 1, b2t = 1;
	const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
	uint32_t epoch, since_best = 0, batch = o->batch ? o->batch : 1;
	igr_mlp_status st;
	double start = 0;
	/* every epoch's validation computes the grouped scores only when
	 * they decide the stop */
	int grouped = valid != NULL && (o->stop == IGR_MLP_STOP_NDCG ||
					o->stop == IGR_MLP_STOP_GAUC);
	/* Threads share a batch in slices of at least 2048 rows: a smaller
	 * slice is under a millisecond of work, less than what a thread
	 * waiting at the batch's barrier costs on a busy machine (measured:
	 * 512-row batches on 2 threads took 5 times as long as on one while
	 * other jobs ran). */
	int nt = max_threads(), t_, blas = openblas_get_num_threads();

	if (nt > 64)
		nt = 64;
	if ((uint32_t)nt > batch / 2048)
		nt = (int)(batch / 2048);
	if (nt < 1)
		nt = 1;
	memset(&st, 0, sizeof st);
	if (train->n == 0 || train->pos == 0 || train->pos == train->n)
		return igr_error("training needs positive and negative pairs "
				 "(%zu rows, %llu positive)", train->n,
				 (unsigned long long)train->pos),
		       NULL;
	if (valid != NULL && (valid->dim != train->dim ||
			      strcmp(valid->names, train->names) != 0))
		return igr_error("the validation stream has other features "
				 "than the training stream"),
		       NULL;
	if (valid != NULL && (valid->pos == 0 || valid->pos == valid->n))
		return igr_error("the validation stream needs positive and "
				 "negative pairs (%zu rows, %llu positive)",
				 valid->n, (unsigned long long)valid->pos),
		       NULL;
	if (grouped && (valid->user == NULL || valid->item == NULL))
		return igr_error("--stop %s: the validation rows carry no "
				 "users",
				 igr_mlp_stop_name(o->stop)),
		       NULL;
	n = igr_mlp_new(train->dim, o->hidden, o->nhidden, o->act, o->linear,
			o->seed);
	if (n == NULL)
		return NULL;
	n->dropout = (float)o->dropout;
	/* the prior correction (King and Zeng 2001): sampling negatives at
	 * rate r and weighting positives by w multiply the odds by w / r */
	n->offset = log(o->neg_rate) - log(o->pos_weight);
	fit_standardisation(n, train);
	igr_mlp_prepare(n, train->x, train->n, train->x);
	if (valid != NULL)
		igr_mlp_prepare(n, valid->x, valid->n, valid->x);

	for (t_ = 0; t_ < nt; t_++) {
		w[t_] = igr_mlp_work_new(n, batch / (uint32_t)nt + 1);
		tgrad[t_] = malloc(n->nparam * sizeof *tgrad[t_]);
		if (w[t_] == NULL || tgrad[t_] == NULL) {
			igr_error("out of memory");
			goto fail;
		}
	}
	openblas_set_num_threads(1);
	grad = malloc(n->nparam * sizeof *grad);
	m1 = calloc(n->nparam, sizeof *m1);
	m2 = calloc(n->nparam, sizeof *m2);
	best = malloc(n->nparam * sizeof *best);
	xb = malloc((size_t)batch * n->nin * sizeof *xb);
	yb = malloc((size_t)batch * sizeof *yb);
	cb = malloc((size_t)batch * sizeof *cb);
	perm = malloc(train->n * sizeof *perm);
	if (valid != NULL) {
		vp = malloc((valid->n ? valid->n : 1) * sizeof *vp);
		vy = malloc(valid->n ? valid->n : 1);
	}
	if (!grad || !m1 || !m2 || !best || !xb || !yb || !cb || !perm ||
	    (valid && (!vp || !vy))) {
		igr_error("out of memory");
		goto fail;
	}
	memcpy(best, n->param, n->nparam * sizeof *best);
	for (i = 0; i < train->n; i++)
		perm[i] = i;
	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		start = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
	}
	st.epochs = o->epochs;
	for (epoch = 1; epoch <= o->epochs; epoch++) {
		double lsum = 0;
		size_t nb = 0;
		/* Fisher-Yates shuffle */
		for (i = train->n; i > 1; i--) {
			size_t j = (size_t)(igr_splitmix_unit(&s) * (double)i);
			size_t tmp;
			if (j >= i)
				j = i - 1;
			tmp = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = tmp;
		}
		for (i = 0; i < train->n; i += batch) {
			size_t m = train->n - i < batch ? train->n - i : batch;
			double lr_t, loss;
			for (k = 0; k < m; k++) {
				size_t r = perm[i + k];
				memcpy(xb + k * n->nin, train->x + r * n->nin,
				       n->nin * sizeof *xb);
				yb[k] = train->y[r];
				cb[k] = yb[k] > 0 ? (float)o->pos_weight : 1.0f;
			}
			loss = batch_step(n, w, tgrad, nt, xb, yb, cb, m,
					  o->l2, igr_splitmix64(&s), grad);
			if (!isfinite(loss)) {
				igr_error("training diverged at epoch %u (loss "
					  "%g): lower --lr",
					  epoch, loss);
				goto fail;
			}
			lsum += loss;
			nb++;
			/* Adam, with the bias corrections of Kingma and Ba */
			t++;
			b1t *= b1;
			b2t *= b2;
			lr_t = o->lr * sqrt(1 - b2t) / (1 - b1t);
			for (k = 0; k < n->nparam; k++) {
				double g = grad[k];
				m1[k] = (float)(b1 * m1[k] + (1 - b1) * g);
				m2[k] = (float)(b2 * m2[k] + (1 - b2) * g * g);
				n->param[k] -= (float)(lr_t * m1[k] /
						       (sqrt(m2[k]) + eps));
			}
		}
		st.epoch = epoch;
		st.loss = nb ? lsum / (double)nb : NAN;
		{
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			st.elapsed = (double)ts.tv_sec +
				     1e-9 * (double)ts.tv_nsec - start;
		}
		st.rows_per_s = st.elapsed > 0 ? (double)train->n * epoch /
							 st.elapsed
					       : 0;
		if (valid != NULL) {
			double crit;
			if (validate(n, valid, vp, vy, grouped, &st) < 0)
				goto fail;
			st.validated = 1;
			crit = stop_crit(o->stop, &st);
			if (crit < best_loss) {
				best_loss = crit;
				st.best_epoch = epoch;
				memcpy(best, n->param,
				       n->nparam * sizeof *best);
				since_best = 0;
			} else {
				since_best++;
			}
		} else {
			st.best_epoch = epoch;
			memcpy(best, n->param, n->nparam * sizeof *best);
		}
		if (o->progress != NULL)
			o->progress(o->progress_ctx, &st);
		if (o->patience > 0 && since_best >= o->patience)
			break;
	}
	memcpy(n->param, best, n->nparam * sizeof *best);
	if (valid != NULL &&
	    validate(n, valid, vp, vy, 1, &st) < 0)
		goto fail;
	if (stout != NULL)
		*stout = st;
	goto out;
fail:
	igr_mlp_free(n);
	n = NULL;
out:
	for (t_ = 0; t_ < nt; t_++) {
		igr_mlp_work_free(w[t_]);
		free(tgrad[t_]);
	}
	openblas_set_num_threads(blas);
	free(grad);
	free(m1);
	free(m2);
	free(best);
	free(xb);
	free(yb);
	free(cb);
	free(perm);
	free(vp);
	free(vy);
	return n;
}

/* ---- model files ------------------------------------------------------------ */

static float *copy_f32(const float *p, size_t n)
{
	float *q = malloc((n ? n : 1) * sizeof *q);

	if (q != NULL)
		memcpy(q, p, n * sizeof *q);
	return q;
}

igr_model *igr_mlp_to_model(const igr_mlp *n, const igr_mlp_opts *o,
			    const igr_mlp_data *train)
{
	igr_model *m = igr_model_new("mlp");
	cJSON *params, *data, *hid, *pairs;
	uint64_t dims[1];
	uint32_t *sizes;
	double *off;
	float *a;
	uint32_t l, b;
	char label[64] = "";

	if (m == NULL)
		return NULL;
	params = igr_model_params(m);
	data = igr_model_data(m);
	hid = cJSON_CreateArray();
	if (params == NULL || data == NULL || hid == NULL)
		goto oom;
	for (l = 1; l < n->nlayers; l++)
		cJSON_AddItemToArray(hid, cJSON_CreateNumber(n->size[l]));
	cJSON_AddItemToObject(params, "hidden", hid);
	for (b = 0; b < IGR_NBEHAVIOR; b++)
		if (o->label_mask & (1u << b)) {
			if (label[0])
				strcat(label, ",");
			strcat(label, igr_behavior_name((int)b));
		}
	if (!cJSON_AddStringToObject(params, "activation",
				     igr_mlp_act_name(n->act)) ||
	    !cJSON_AddNumberToObject(params, "linear", n->linear) ||
	    !cJSON_AddNumberToObject(params, "dropout", o->dropout) ||
	    !cJSON_AddNumberToObject(params, "l2", o->l2) ||
	    !cJSON_AddNumberToObject(params, "lr", o->lr) ||
	    !cJSON_AddNumberToObject(params, "batch", o->batch) ||
	    !cJSON_AddNumberToObject(params, "epochs", o->epochs) ||
	    !cJSON_AddNumberToObject(params, "patience", o->patience) ||
	    !cJSON_AddStringToObject(params, "stop",
				     igr_mlp_stop_name(o->stop)) ||
	    !cJSON_AddNumberToObject(params, "neg_rate", o->neg_rate) ||
	    !cJSON_AddNumberToObject(params, "pos_weight", o->pos_weight) ||
	    !cJSON_AddStringToObject(params, "label", label) ||
	    !cJSON_AddNumberToObject(params, "offset", n->offset) ||
	    !cJSON_AddStringToObject(m->meta, "features", train->names) ||
	    !cJSON_AddNumberToObject(data, "rows", (double)train->n) ||
	    !cJSON_AddNumberToObject(data, "records", (double)train->seen) ||
	    !cJSON_AddNumberToObject(data, "positives", (double)train->pos) ||
	    !cJSON_AddNumberToObject(data, "negatives",
				     (double)train->neg_seen))
		goto oom;
	pairs = cJSON_Parse(train->meta_json);
	if (pairs == NULL)
		goto oom;
	cJSON_AddItemToObject(m->meta, "pairs", pairs);

	dims[0] = n->nlayers + 1;
	sizes = malloc((n->nlayers + 1) * sizeof *sizes);
	if (sizes == NULL)
		goto oom;
	memcpy(sizes, n->size, (n->nlayers + 1) * sizeof *sizes);
	if (igr_model_add(m, "sizes", IGR_DT_U32, 1, dims, sizes) < 0)
		goto fail;
	dims[0] = n->nparam;
	a = copy_f32(n->param, n->nparam);
	if (a == NULL || igr_model_add(m, "param", IGR_DT_F32, 1, dims, a) < 0)
		goto fail_a;
	dims[0] = n->nin;
	a = copy_f32(n->mean, n->nin);
	if (a == NULL || igr_model_add(m, "mean", IGR_DT_F32, 1, dims, a) < 0)
		goto fail_a;
	a = copy_f32(n->std, n->nin);
	if (a == NULL || igr_model_add(m, "std", IGR_DT_F32, 1, dims, a) < 0)
		goto fail_a;
	dims[0] = 1;
	off = malloc(sizeof *off);
	if (off == NULL)
		goto oom;
	*off = n->offset;
	if (igr_model_add(m, "offset", IGR_DT_F64, 1, dims, off) < 0)
		goto fail;
	return m;
fail_a:
	if (a == NULL)
		goto oom;
	goto fail;
oom:
	igr_error("out of memory");
fail:
	igr_model_free(m);
	return NULL;
}

const char *igr_mlp_model_features(const igr_model *m)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(m->meta, "features");

	return cJSON_IsString(f) ? f->valuestring : NULL;
}

igr_mlp *igr_mlp_from_model(const igr_model *m)
{
	const igr_array *sz, *pa, *me, *sd, *of;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(m->meta, "params");
	const cJSON *act = p ? cJSON_GetObjectItemCaseSensitive(p, "activation")
			     : NULL;
	const uint32_t *sizes;
	igr_mlp *n;
	int a;

	if (strcmp(igr_model_name(m), "mlp") != 0)
		return igr_error("a %s model is not a ranker (train one with "
				 "igraph-train --model mlp)",
				 igr_model_name(m)),
		       NULL;
	sz = igr_model_need(m, "sizes", IGR_DT_U32, 1);
	pa = igr_model_need(m, "param", IGR_DT_F32, 1);
	me = igr_model_need(m, "mean", IGR_DT_F32, 1);
	sd = igr_model_need(m, "std", IGR_DT_F32, 1);
	of = igr_model_need(m, "offset", IGR_DT_F64, 1);
	if (!sz || !pa || !me || !sd || !of)
		return NULL;
	a = cJSON_IsString(act) ? igr_mlp_act_parse(act->valuestring) : -1;
	sizes = sz->data;
	if (a < 0 || sz->dim[0] < 2 || sz->dim[0] > IGR_MLP_MAXHIDDEN + 2 ||
	    sizes[sz->dim[0] - 1] != 1 || igr_mlp_model_features(m) == NULL)
		return igr_error("damaged mlp model (shape)"), NULL;
	{
		const cJSON *lin = cJSON_GetObjectItemCaseSensitive(p, "linear");
		n = alloc_net(sizes[0], sizes + 1, (uint32_t)sz->dim[0] - 2, a,
			      cJSON_IsNumber(lin) && lin->valuedouble != 0);
	}
	if (n == NULL)
		return NULL;
	if (pa->dim[0] != n->nparam || me->dim[0] != n->nin ||
	    sd->dim[0] != n->nin || of->dim[0] != 1) {
		igr_mlp_free(n);
		return igr_error("damaged mlp model (array sizes)"), NULL;
	}
	memcpy(n->param, pa->data, n->nparam * sizeof *n->param);
	memcpy(n->mean, me->data, n->nin * sizeof *n->mean);
	memcpy(n->std, sd->data, n->nin * sizeof *n->std);
	n->offset = *(const double *)of->data;
	return n;
}

/* ---- serving ops and the trainer ---------------------------------------------- */

static int mlp_prepare(igr_model *m, const igr_graph *g)
{
	(void)m;
	(void)g;
	return igr_error("an mlp model ranks candidate pairs: use "
			 "igraph-recommend --rerank (or --predict) on a "
			 "features stream from igraph-pairs");
}

const struct igr_model_ops igr_mlp_ops = {
	.name = "mlp",
	.prepare = mlp_prepare,
};

/* Parse "64,32" into O. */
static int parse_hidden(const char *s, igr_mlp_opts *o)
{
	const char *p = s;

	o->nhidden = 0;
	if (strcmp(s, "0") == 0 || *s == '\0')
		return 0; /* no hidden layer: logistic regression */
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v == 0 || v > 4096 ||
		    o->nhidden == IGR_MLP_MAXHIDDEN ||
		    (*end != ',' && *end != '\0'))
			return igr_error("--hidden: '%s' is not a list of 1 to "
					 "%d layer sizes (1-4096) like 64,32",
					 s, IGR_MLP_MAXHIDDEN);
		o->hidden[o->nhidden++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Parse "buy" / "cart,buy" into a mask. */
static int parse_label(const char *s, uint8_t *mask)
{
	const char *p = s;

	*mask = 0;
	while (*p) {
		size_t l = strcspn(p, ",");
		int b = igr_behavior_parse(p, l);
		if (b < 0)
			return igr_error("--label: unknown behaviour '%.*s'",
					 (int)l, p);
		*mask |= (uint8_t)(1u << b);
		p += l + (p[l] == ',');
	}
	if (*mask == 0)
		return igr_error("--label: no behaviour given");
	return 0;
}

static void train_progress(void *c, const igr_mlp_status *st)
{
	const struct igr_train_ctx *ctx = c;
	char grouped[64] = "";

	if (isfinite(st->valid_ndcg))
		snprintf(grouped, sizeof grouped, ", NDCG@%d %.4f, GAUC %.4f",
			 IGR_MLP_NDCG_K, st->valid_ndcg, st->valid_gauc);
	if (st->validated)
		igr_report_progress(ctx->report,
				   "mlp: epoch %u/%u: loss %.5f, valid "
				   "log-loss %.5f, AUC %.4f%s (best epoch %u), "
				   "%.0f rows/s",
				   st->epoch, st->epochs, st->loss,
				   st->valid_logloss, st->valid_auc, grouped,
				   st->best_epoch, st->rows_per_s);
	else
		igr_report_progress(ctx->report, "mlp: epoch %u/%u: loss %.5f, %.0f rows/s",
				   st->epoch, st->epochs, st->loss,
				   st->rows_per_s);
}

/* The mlp options of CTX into O (and recorded in TMP's params unless TMP
 * is NULL); *VPATH is --valid or NULL.  -1 with the error set when one is bad. */
static int mlp_options(const struct igr_train_ctx *ctx, igr_model *tmp,
		       igr_mlp_opts *o, const char **vpath)
{
	const char *hidden, *act, *label, *stop;
	int a;

	igr_mlp_opts_init(o);
	hidden = igr_train_str(ctx, tmp, "hidden", "64,32");
	act = igr_train_str(ctx, tmp, "activation", "relu");
	label = igr_train_str(ctx, tmp, "label", "buy");
	*vpath = igr_train_str(ctx, tmp, "valid", NULL);
	stop = igr_train_str(ctx, tmp, "stop", "auc");
	o->dropout = igr_train_num(ctx, tmp, "dropout", o->dropout);
	o->linear = (int)igr_train_num(ctx, tmp, "linear", o->linear);
	o->l2 = igr_train_num(ctx, tmp, "l2", o->l2);
	o->lr = igr_train_num(ctx, tmp, "lr", o->lr);
	o->batch = (uint32_t)igr_train_num(ctx, tmp, "batch", o->batch);
	o->epochs = (uint32_t)igr_train_num(ctx, tmp, "epochs", o->epochs);
	o->patience =
		(uint32_t)igr_train_num(ctx, tmp, "patience", o->patience);
	o->neg_rate = igr_train_num(ctx, tmp, "neg-rate", o->neg_rate);
	o->pos_weight = igr_train_num(ctx, tmp, "pos-weight", o->pos_weight);
	o->seed = ctx ? ctx->seed : 1;
	if (parse_hidden(hidden, o) < 0 ||
	    parse_label(label, &o->label_mask) < 0)
		return -1;
	a = igr_mlp_act_parse(act);
	if (a < 0)
		return igr_error("--activation: '%s' is not relu, tanh or "
				 "sigmoid",
				 act);
	o->act = a;
	a = igr_mlp_stop_parse(stop);
	if (a < 0)
		return igr_error("--stop: '%s' is not auc, logloss, ndcg or "
				 "gauc",
				 stop);
	o->stop = a;
	if (o->dropout >= 1 || o->dropout < 0 || !(o->neg_rate > 0) ||
	    o->neg_rate > 1 || !(o->pos_weight > 0) || o->batch == 0 ||
	    o->epochs == 0)
		return igr_error("bad mlp options");
	return 0;
}

int igr_check_mlp(const struct igr_train_ctx *ctx)
{
	igr_mlp_opts o;
	const char *vpath;

	return mlp_options(ctx, NULL, &o, &vpath);
}

igr_model *igr_train_mlp(igr_reader *r, const struct igr_train_ctx *ctx)
{
	igr_mlp_opts o;
	igr_mlp_data *train = NULL, *valid = NULL;
	igr_mlp_status st;
	igr_mlp *n = NULL;
	igr_model *m = NULL, *tmp;
	const char *vpath;

	/* the options, read (and recorded) through a scratch model */
	tmp = igr_model_new("mlp");
	if (tmp == NULL)
		return NULL;
	if (mlp_options(ctx, tmp, &o, &vpath) < 0)
		goto out;
	o.progress = train_progress;
	o.progress_ctx = (void *)ctx;

	train = igr_mlp_data_read(r, o.label_mask, o.neg_rate, o.seed);
	if (train == NULL)
		goto out;
	if (vpath != NULL) {
		igr_reader *vr = igr_reader_open(vpath, IGR_KIND_FEATURES);
		if (vr == NULL)
			goto out;
		valid = igr_mlp_data_read(vr, o.label_mask, 1.0, o.seed);
		igr_reader_close(vr);
		if (valid == NULL)
			goto out;
	}
	n = igr_mlp_train(train, valid, &o, &st);
	igr_report_progress_done(ctx->report);
	if (n == NULL)
		goto out;
	m = igr_mlp_to_model(n, &o, train);
	if (m == NULL)
		goto out;
	{
		cJSON *d = igr_model_data(m);
		if (d == NULL ||
		    !cJSON_AddNumberToObject(d, "epochs_run", st.epoch) ||
		    !cJSON_AddNumberToObject(d, "best_epoch", st.best_epoch) ||
		    !cJSON_AddNumberToObject(d, "train_loss", st.loss) ||
		    (ctx && ctx->source &&
		     !cJSON_AddStringToObject(d, "source", ctx->source))) {
			igr_error("out of memory");
			igr_model_free(m);
			m = NULL;
			goto out;
		}
		if (valid != NULL &&
		    (!cJSON_AddStringToObject(d, "valid", vpath) ||
		     !cJSON_AddNumberToObject(d, "valid_rows",
					      (double)valid->n) ||
		     !cJSON_AddNumberToObject(d, "valid_positives",
					      (double)valid->pos) ||
		     !cJSON_AddNumberToObject(d, "valid_logloss",
					      st.valid_logloss) ||
		     !cJSON_AddNumberToObject(d, "valid_auc",
					      isfinite(st.valid_auc)
						      ? st.valid_auc
						      : -1) ||
		     !cJSON_AddNumberToObject(d, "valid_ndcg",
					      isfinite(st.valid_ndcg)
						      ? st.valid_ndcg
						      : -1) ||
		     !cJSON_AddNumberToObject(d, "valid_gauc",
					      isfinite(st.valid_gauc)
						      ? st.valid_gauc
						      : -1))) {
			igr_error("out of memory");
			igr_model_free(m);
			m = NULL;
		}
	}
out:
	igr_model_free(tmp);
	igr_mlp_free(n);
	igr_mlp_data_free(train);
	igr_mlp_data_free(valid);
	return m;
}

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_hidden = { "hidden", IGR_P_STR, 0, 0, "sizes",
	  "mlp: hidden layer sizes, e.g. 64,32 (the default;\n"
	  "0: none, logistic regression)" };
static const struct igr_train_param p_activation = { "activation", IGR_P_STR, 0, 0, "name",
	  "mlp: relu (the default), tanh or sigmoid" };
static const struct igr_train_param p_linear = { "linear", IGR_P_INT, 0, 1, "0|1",
	  "mlp: 1 adds a linear term of the inputs to the\n"
	  "output (wide and deep; default 0)" };
static const struct igr_train_param p_l2 = { "l2", IGR_P_NUM, 0, 10, "x",
	  "mlp: L2 penalty on the weights (default 1e-4)" };
static const struct igr_train_param p_stop = { "stop", IGR_P_STR, 0, 0, "score",
	  "mlp: the validation score of early stopping: auc\n"
	  "(the default), logloss, ndcg (mean NDCG@20 of each\n"
	  "user's candidates) or gauc (mean per-user AUC)" };
static const struct igr_train_param p_neg_rate = { "neg-rate", IGR_P_NUM, 1e-6, 1, "r",
	  "mlp: keep each negative pair with probability R\n"
	  "(default 0.3)" };
static const struct igr_train_param p_pos_weight = { "pos-weight", IGR_P_NUM, 1e-3, 1e6, "w",
	  "mlp: weight of positive pairs in the loss\n"
	  "(default 5)" };
static const struct igr_train_param p_label = { "label", IGR_P_STR, 0, 0, "list",
	  "mlp: behaviours in the label period that make a\n"
	  "positive: buy (the default), cart, cart,buy ..." };

static const struct igr_train_param *const mlp_params[] = {
	&p_hidden,
	&p_activation,
	&p_linear,
	&igr_param_dropout,
	&p_l2,
	&igr_param_lr,
	&igr_param_batch,
	&igr_param_epochs,
	&igr_param_patience,
	&p_stop,
	&p_neg_rate,
	&p_pos_weight,
	&p_label,
	&igr_param_valid,
	NULL,
};

const struct igr_model_type igr_mlp_model = {
	.name = "mlp",
	.help = "purchase ranker on pair features (igraph-pairs)",
	.params = mlp_params,
	.rels = 0,
	.input_kind = IGR_KIND_FEATURES,
	.train_stream = igr_train_mlp,
	.check = igr_check_mlp,
	.ops = &igr_mlp_ops,
};
