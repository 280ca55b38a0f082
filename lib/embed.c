/* embed.c - blocked sgemm scoring fused with top-K (see embed.h). */
#include "embed.h"
#include "clock.h"
#include "error.h"
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/*
 * Blocking: a tile of BU users x BI items (256 KB of scores) and the BI x
 * dim item block (128 KB at dim 64) stay in the 2 MB L2 cache while the
 * tile is scanned, so the scores are read back from cache, never from
 * memory.  128 users per call amortise OpenBLAS's packing of the item
 * block: 32 x 1024 tiles ran at 0.6-0.7 of the rate of 128 x 512 ones
 * (gowalla shape, 2 cores); see BENCHMARKS.md, "Serving".
 */
#define BU 128
#define BI 512

void igr_embed_rules_init(igr_embed_rules *r)
{
	memset(r, 0, sizeof *r);
	r->min_score = -INFINITY;
}

static int nthreads(void)
{
#ifdef _OPENMP
	return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
	return 1;
#endif
}

/* malloc(n * size) that never asks for 0 bytes */
static void *alloc_n(size_t n, size_t size)
{
	return malloc((n ? n : 1) * size);
}

/* The items an embedding scorer works on: all of them, or (with a block
 * list) the allowed ones gathered into a compact matrix, which also
 * saves their arithmetic. */
struct items {
	uint32_t n;          /* compact items */
	const float *v;      /* n x dim */
	const float *bias;   /* n or NULL */
	const uint32_t *id;  /* compact -> item id, NULL = identity */
	const uint32_t *inv; /* item id -> compact or IGR_NONE, NULL = id */
	const uint32_t *tie; /* tie rank by compact index, or NULL */
	float *own_v, *own_bias;
	uint32_t *own_id, *own_inv, *own_tie;
};

static void items_free(struct items *it)
{
	free(it->own_v);
	free(it->own_bias);
	free(it->own_id);
	free(it->own_inv);
	free(it->own_tie);
}

static int items_make(struct items *it, const igr_embed *e,
		      const igr_embed_rules *r)
{
	uint32_t i, n = 0, d = e->dim;

	memset(it, 0, sizeof *it);
	if (r->blocked == NULL) {
		it->n = e->nitems;
		it->v = e->item;
		it->bias = e->item_bias;
		it->tie = r->tie;
		return 0;
	}
	for (i = 0; i < e->nitems; i++)
		n += r->blocked[i] == 0;
	it->own_v = alloc_n((size_t)n * d, sizeof(float));
	it->own_id = malloc((n ? n : 1) * sizeof(uint32_t));
	it->own_inv = malloc((e->nitems ? e->nitems : 1) * sizeof(uint32_t));
	if (e->item_bias)
		it->own_bias = malloc((n ? n : 1) * sizeof(float));
	if (r->tie)
		it->own_tie = malloc((n ? n : 1) * sizeof(uint32_t));
	if (it->own_v == NULL || it->own_id == NULL || it->own_inv == NULL ||
	    (e->item_bias && it->own_bias == NULL) ||
	    (r->tie && it->own_tie == NULL)) {
		items_free(it);
		return igr_error("out of memory (%u item vectors)", n);
	}
	n = 0;
	for (i = 0; i < e->nitems; i++) {
		if (r->blocked[i]) {
			it->own_inv[i] = IGR_NONE;
			continue;
		}
		memcpy(it->own_v + (size_t)n * d, e->item + (size_t)i * d,
		       d * sizeof(float));
		if (it->own_bias)
			it->own_bias[n] = e->item_bias[i];
		if (it->own_tie)
			it->own_tie[n] = r->tie[i];
		it->own_id[n] = i;
		it->own_inv[i] = n++;
	}
	it->n = n;
	it->v = it->own_v;
	it->bias = it->own_bias;
	it->id = it->own_id;
	it->inv = it->own_inv;
	it->tie = it->own_tie;
	return 0;
}

/* Scan one row of scores into heap T: only scores >= max(floor, the
 * weakest held) can enter, and the test is made 16 at a time first
 * (vectorised), so the common case is a few instructions per score. */
static void scan_row(igr_topk *t, const float *s, uint32_t n, uint32_t base,
		     float floor)
{
	uint32_t i = 0;
	float thr;

	while (i < n && t->n < t->k) {
		if (s[i] >= floor)
			igr_topk_push(t, s[i], base + i);
		i++;
	}
	if (t->k == 0)
		return;
	thr = t->h[0].score > floor ? t->h[0].score : floor;
	for (; i + 16 <= n; i += 16) {
		int any = 0, c;
#pragma omp simd reduction(| : any)
		for (c = 0; c < 16; c++)
			any |= s[i + c] >= thr;
		if (!any)
			continue;
		for (c = 0; c < 16; c++)
			if (s[i + c] >= thr) {
				igr_topk_push(t, s[i + c], base + i + c);
				thr = t->h[0].score > floor ? t->h[0].score
							    : floor;
			}
	}
	for (; i < n; i++)
		if (s[i] >= thr) {
			igr_topk_push(t, s[i], base + i);
			thr = t->h[0].score > floor ? t->h[0].score : floor;
		}
}

/* C (bu x bi, leading dimension bi) = U (bu x d) * V[0..bi)^T + bias. */
static void tile(const float *u, size_t bu, const float *v, const float *bias,
		 uint32_t bi, uint32_t d, float *c)
{
	size_t j;

	if (d == 0) {
		memset(c, 0, bu * bi * sizeof *c);
	} else {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bu,
			    (int)bi, (int)d, 1.0f, u, (int)d, v, (int)d, 0.0f,
			    c, (int)bi);
	}
	if (bias != NULL)
		for (j = 0; j < bu; j++) {
			float *row = c + j * bi;
			uint32_t i;
			for (i = 0; i < bi; i++)
				row[i] += bias[i];
		}
}

/* the values igr_embed_order() sorts by (qsort has no context) */
static const float *order_val;

static int cmp_desc(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	float x = order_val[i], y = order_val[j];
	int nx = x != x, ny = y != y;

	if (nx != ny)
		return nx - ny; /* NaN last */
	if (!nx && x != y)
		return x > y ? -1 : 1;
	return i < j ? -1 : i > j;
}

int igr_embed_order(const igr_embed *e, uint32_t **order)
{
	uint32_t *o = alloc_n(e->nitems, sizeof *o), i;

	if (o == NULL)
		return igr_error("out of memory (%u items)", e->nitems);
	for (i = 0; i < e->nitems; i++)
		o[i] = i;
#pragma omp critical(igr_embed_order)
	{
		order_val = e->item;
		qsort(o, e->nitems, sizeof *o, cmp_desc);
	}
	*order = o;
	return 0;
}

/* 1 if item I is among the sorted ids IDX[LO .. HI) */
static int excluded(const uint32_t *idx, uint64_t lo, uint64_t hi, uint32_t i)
{
	uint64_t p = igr_lower_bound_u32(idx, lo, hi, i);

	return p < hi && idx[p] == i;
}

/* igr_embed_topk for dim 1 through e->order: user value X ranks the
 * items in that order (X > 0) or its reverse (X < 0), so the walk stops
 * at the first score below the K-th held one; equal scores still go to
 * the heap, which breaks ties as the full scan does.  X = 0 (or NaN)
 * scores every item alike: those users scan every item.  The same hits
 * as the full scan, in O(K + excluded items) a user. */
static void walk_order(const igr_embed *e, const igr_embed_rules *rules,
		       uint32_t u, float x, igr_topk *t)
{
	const igr_csr *xr = rules->exclude;
	uint64_t p0 = 0, p1 = 0, q;
	uint32_t n = e->nitems, s;
	float floor = rules->min_score;

	if (t->k == 0)
		return;
	if (xr != NULL && u < xr->nrows) {
		p0 = xr->ptr[u];
		p1 = xr->ptr[u + 1];
	}
	/* excluded items scoring 0 sit outside the order's ranking */
	if (rules->exclude_as_zero)
		for (q = p0; q < p1; q++) {
			uint32_t i = xr->idx[q];

			if (i < n && !(rules->blocked && rules->blocked[i]) &&
			    0.0f >= floor)
				igr_topk_push(t, 0.0f, i);
		}
	for (s = 0; s < n; s++) {
		uint32_t i = x > 0 ? e->order[s]
			   : x < 0 ? e->order[n - 1 - s] : s;
		float v = x * e->item[i];

		if (v != v)
			continue; /* a NaN value (first when reversed) */
		if (x != 0 && (v < floor ||
			       (t->n == t->k && t->k > 0 && v < t->h[0].score)))
			break;
		if ((rules->blocked && rules->blocked[i]) ||
		    (p0 < p1 && excluded(xr->idx, p0, p1, i)))
			continue;
		if (v >= floor)
			igr_topk_push(t, v, i);
	}
}

static int topk_order(const igr_embed *e, const uint32_t *users,
		      const float *uvec, size_t nu, uint32_t k,
		      const igr_embed_rules *rules, igr_hit *out,
		      uint32_t *nout)
{
	int failed = 0;

#pragma omp parallel num_threads(nthreads()) reduction(| : failed)
	{
		igr_topk t;
		int64_t j;

		t.h = NULL;
		if (igr_topk_init(&t, k, rules->tie) < 0)
			failed = 1;
#pragma omp for schedule(dynamic, 256)
		for (j = 0; j < (int64_t)nu; j++) {
			if (t.h == NULL)
				continue;
			igr_topk_clear(&t);
			walk_order(e, rules, users[j], uvec[j], &t);
			nout[j] = igr_topk_sorted(&t, out + (size_t)j * k);
		}
		if (t.h != NULL)
			igr_topk_release(&t);
	}
	if (failed)
		return igr_error("out of memory (embedding scorer)");
	return 0;
}

int igr_embed_topk(const igr_embed *e, const uint32_t *users,
		   const float *uvec, size_t nu, uint32_t k,
		   const igr_embed_rules *rules, igr_hit *out, uint32_t *nout)
{
	igr_embed_rules none;
	struct items it;
	int nt = nthreads(), failed = 0;
	size_t nblocks = (nu + BU - 1) / BU;
	uint32_t d = e->dim;

	if (rules == NULL) {
		igr_embed_rules_init(&none);
		rules = &none;
	}
	if (e->order != NULL && d == 1 && e->item_bias == NULL)
		return topk_order(e, users, uvec, nu, k, rules, out, nout);
	if (items_make(&it, e, rules) < 0)
		return -1;
#pragma omp parallel num_threads(nt) reduction(| : failed)
	{
		float *c = malloc((size_t)BU * BI * sizeof *c);
		igr_topk heap[BU];
		uint64_t cur[BU], end[BU];
		int ok = c != NULL, j;
		size_t b;

		for (j = 0; j < BU; j++) {
			heap[j].h = NULL;
			if (ok && igr_topk_init(&heap[j], k, it.tie) < 0)
				ok = 0;
		}
		if (!ok)
			failed = 1;
#pragma omp for schedule(dynamic, 1)
		for (b = 0; b < nblocks; b++) {
			size_t u0 = b * BU, bu = nu - u0 < BU ? nu - u0 : BU;
			uint32_t ib;
			if (!ok)
				continue;
			for (j = 0; j < (int)bu; j++) {
				uint32_t u = users[u0 + j];
				const igr_csr *x = rules->exclude;
				igr_topk_clear(&heap[j]);
				cur[j] = end[j] = 0;
				if (x != NULL && u < x->nrows) {
					cur[j] = x->ptr[u];
					end[j] = x->ptr[u + 1];
				}
			}
			for (ib = 0; ib < it.n; ib += BI) {
				uint32_t bi = it.n - ib < BI ? it.n - ib : BI;
				tile(uvec + u0 * d, bu, it.v + (size_t)ib * d,
				     it.bias ? it.bias + ib : NULL, bi, d, c);
				for (j = 0; j < (int)bu; j++) {
					float *row = c + (size_t)j * bi;
					const uint32_t *xi =
						rules->exclude
							? rules->exclude->idx
							: NULL;
					/* excluded items become NaN, which
					 * no heap ever holds */
					while (cur[j] < end[j]) {
						uint32_t ci = xi[cur[j]];
						if (it.inv != NULL) {
							ci = ci < e->nitems
								? it.inv[ci]
								: IGR_NONE;
							if (ci == IGR_NONE) {
								cur[j]++;
								continue;
							}
						}
						if (ci >= ib + bi)
							break;
						if (ci >= ib)
							row[ci - ib] =
								rules->exclude_as_zero
									? 0.0f
									: NAN;
						cur[j]++;
					}
					scan_row(&heap[j], row, bi, ib,
						 rules->min_score);
				}
			}
			for (j = 0; j < (int)bu; j++) {
				igr_hit *o = out + (u0 + j) * (size_t)k;
				uint32_t n = igr_topk_sorted(&heap[j], o), q;
				if (it.id != NULL)
					for (q = 0; q < n; q++)
						o[q].id = it.id[o[q].id];
				nout[u0 + j] = n;
			}
		}
		for (j = 0; j < BU; j++)
			if (heap[j].h != NULL)
				igr_topk_release(&heap[j]);
		free(c);
	}
	items_free(&it);
	if (failed)
		return igr_error("out of memory (embedding scorer)");
	return 0;
}

int igr_embed_scores(const igr_embed *e, const float *uvec, size_t nu,
		     const uint32_t *items, size_t ni, float *out)
{
	uint32_t d = e->dim;
	float *v = NULL, *bias = NULL;
	const float *vv = e->item, *bb = e->item_bias;
	size_t nvalid = ni, c;
	uint32_t *pos = NULL;
	int nt = nthreads();

	if (items != NULL || ni > e->nitems) {
		/* gather the item vectors the caller asked for; ids the
		 * model does not know score -INFINITY */
		v = alloc_n(ni * d, sizeof *v);
		bias = malloc((ni ? ni : 1) * sizeof *bias);
		pos = malloc((ni ? ni : 1) * sizeof *pos);
		if (v == NULL || bias == NULL || pos == NULL) {
			free(v);
			free(bias);
			free(pos);
			return igr_error("out of memory (%zu item vectors)",
					 ni);
		}
		nvalid = 0;
		for (c = 0; c < ni; c++) {
			uint32_t id = items ? items[c] : (uint32_t)c;
			if (id >= e->nitems)
				continue;
			memcpy(v + nvalid * d, e->item + (size_t)id * d,
			       d * sizeof *v);
			bias[nvalid] = e->item_bias ? e->item_bias[id] : 0;
			pos[nvalid++] = (uint32_t)c;
		}
		vv = v;
		bb = bias;
	}
	if (pos == NULL) {
		size_t b;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
		for (b = 0; b < (nu + BU - 1) / BU; b++) {
			size_t u0 = b * BU, bu = nu - u0 < BU ? nu - u0 : BU;
			tile(uvec + u0 * d, bu, vv, bb, (uint32_t)ni, d,
			     out + u0 * ni);
		}
		return 0;
	}
	{
		int failed = 0;
#pragma omp parallel num_threads(nt) reduction(| : failed)
		{
			float *t = alloc_n(BU * nvalid, sizeof *t);
			size_t b;
			if (t == NULL)
				failed = 1;
#pragma omp for schedule(dynamic, 1)
			for (b = 0; b < (nu + BU - 1) / BU; b++) {
				size_t u0 = b * BU, j, q;
				size_t bu = nu - u0 < BU ? nu - u0 : BU;
				if (t == NULL)
					continue;
				tile(uvec + u0 * d, bu, vv, bb,
				     (uint32_t)nvalid, d, t);
				for (j = 0; j < bu; j++) {
					float *o = out + (u0 + j) * ni;
					for (q = 0; q < ni; q++)
						o[q] = -INFINITY;
					for (q = 0; q < nvalid; q++)
						o[pos[q]] = t[j * nvalid + q];
				}
			}
			free(t);
		}
		free(v);
		free(bias);
		free(pos);
		if (failed)
			return igr_error("out of memory (embedding scores)");
	}
	return 0;
}

/* GFLOP/s of U (nu x dim) x V^T in BU x BI tiles over the threads, as
 * igr_embed_topk() computes them, for about SECONDS. */
static double rate_tiles(const float *u, uint32_t nu, const float *v,
			 uint32_t nitems, uint32_t dim, double seconds)
{
	double t0 = igr_now(), t, flop = 0;
	int nt = nthreads();

	do {
#pragma omp parallel num_threads(nt)
		{
			float *c = malloc((size_t)BU * BI * sizeof *c);
			int64_t b;
#pragma omp for schedule(dynamic, 1)
			for (b = 0; b < (int64_t)(nu / BU); b++) {
				uint32_t ib;
				if (c == NULL)
					continue;
				for (ib = 0; ib < nitems; ib += BI) {
					uint32_t bi = nitems - ib < BI
							      ? nitems - ib
							      : BI;
					tile(u + (size_t)b * BU * dim, BU,
					     v + (size_t)ib * dim, NULL, bi,
					     dim, c);
				}
			}
			free(c);
		}
		flop += 2.0 * (nu / BU * BU) * nitems * dim;
		t = igr_now() - t0;
	} while (t < seconds);
	return flop / t / 1e9;
}

/* GFLOP/s of the same product as large calls that OpenBLAS threads
 * itself (512 users x every item at a time). */
static double rate_large(const float *u, uint32_t nu, const float *v,
			 uint32_t nitems, uint32_t dim, double seconds)
{
	float *c = malloc((size_t)512 * nitems * sizeof *c);
	double t0 = igr_now(), t, flop = 0;
	uint32_t b;

	if (c == NULL)
		return -1;
	do {
		for (b = 0; b + 512 <= nu; b += 512)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 512,
				    (int)nitems, (int)dim, 1.0f,
				    u + (size_t)b * dim, (int)dim, v, (int)dim,
				    0.0f, c, (int)nitems);
		flop += 2.0 * (nu / 512 * 512) * nitems * dim;
		t = igr_now() - t0;
	} while (t < seconds);
	free(c);
	return flop / t / 1e9;
}

double igr_embed_sgemm_rate(uint32_t dim, uint32_t nitems, double seconds)
{
	uint32_t nu = 4096, i;
	float *u = malloc((size_t)nu * dim * sizeof *u);
	float *v = malloc((size_t)nitems * dim * sizeof *v);
	double a, b;

	if (u == NULL || v == NULL || dim == 0 || nitems == 0) {
		free(u);
		free(v);
		return igr_error("cannot measure sgemm"), -1;
	}
	for (i = 0; i < nu * dim; i++)
		u[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
	for (i = 0; i < nitems * dim; i++)
		v[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
	/* the better of the two: the limit is what the machine can do, not
	 * what our blocking gets */
	a = rate_tiles(u, nu, v, nitems, dim, seconds / 2);
	b = rate_large(u, nu, v, nitems, dim, seconds / 2);
	free(u);
	free(v);
	return a > b ? a : b;
}

/* ---- generic ops ------------------------------------------------------ */

/* Vectors of USERS into UV (nu x dim): rows of e->user, else the model's
 * user_vector, else zeros (a user nothing is known about). */
static int user_rows(const igr_model *m, const igr_graph *g,
		     const igr_embed *e, const uint32_t *users, size_t nu,
		     float *uv)
{
	size_t j;
	int rc = 0;
	int (*uvf)(const igr_model *, const igr_graph *, uint32_t, float *) =
		m->ops->user_vector;

	if (uvf == igr_embed_user_vector)
		uvf = NULL;
	for (j = 0; j < nu && rc >= 0; j++) {
		float *o = uv + j * e->dim;
		uint32_t u = users[j];
		if (e->user != NULL && u < e->nusers) {
			memcpy(o, e->user + (size_t)u * e->dim,
			       e->dim * sizeof *o);
			continue;
		}
		memset(o, 0, e->dim * sizeof *o);
		if (uvf != NULL && (rc = uvf(m, g, u, o)) == IGR_UNKNOWN_USER)
			memset(o, 0, e->dim * sizeof *o), rc = 0;
	}
	return rc < 0 ? -1 : 0;
}

int igr_embed_score_users(const igr_model *m, const igr_graph *g,
			  const uint32_t *users, size_t nu,
			  const uint32_t *items, size_t ni, float *out)
{
	igr_embed e;
	float *uv;
	int rc;

	if (m->ops->embedding == NULL || m->ops->embedding(m, &e) != 0)
		return igr_error("%s model has no embedding", igr_model_name(m));
	uv = alloc_n(nu * e.dim, sizeof *uv);
	if (uv == NULL)
		return igr_error("out of memory");
	rc = user_rows(m, g, &e, users, nu, uv);
	if (rc == 0)
		rc = igr_embed_scores(&e, uv, nu, items, ni, out);
	free(uv);
	return rc;
}

int igr_embed_score_items(const igr_model *m, const igr_graph *g,
			  const uint32_t *items, size_t nq, float *out)
{
	igr_embed e;
	float *qv, *norm;
	size_t q, ni;
	uint32_t i, d;

	(void)g;
	if (m->ops->embedding == NULL || m->ops->embedding(m, &e) != 0)
		return igr_error("%s model has no embedding", igr_model_name(m));
	d = e.dim;
	ni = e.nitems;
	if (g != NULL && g->n[IGR_ITEM] > ni)
		ni = g->n[IGR_ITEM];
	{
		uint32_t mi = igr_model_nitems(m);
		if (mi > ni)
			ni = mi;
	}
	qv = calloc(nq > 0 && d > 0 ? nq * d : 1, sizeof *qv);
	norm = malloc((e.nitems ? e.nitems : 1) * sizeof *norm);
	if (qv == NULL || norm == NULL) {
		free(qv);
		free(norm);
		return igr_error("out of memory");
	}
	for (i = 0; i < e.nitems; i++)
		norm[i] = cblas_snrm2((int)d, e.item + (size_t)i * d, 1);
	for (q = 0; q < nq; q++)
		if (items[q] < e.nitems && norm[items[q]] > 0) {
			uint32_t c;
			for (c = 0; c < d; c++)
				qv[q * d + c] = e.item[(size_t)items[q] * d + c] /
						norm[items[q]];
		}
	{
		/* dot products without the bias: similarity is a property
		 * of the vectors */
		igr_embed nb = e;
		nb.item_bias = NULL;
		if (igr_embed_scores(&nb, qv, nq, NULL, ni, out) < 0) {
			free(qv);
			free(norm);
			return -1;
		}
	}
	for (q = 0; q < nq; q++) {
		float *o = out + q * ni;
		int known = items[q] < e.nitems && norm[items[q]] > 0;
		for (i = 0; i < e.nitems; i++)
			o[i] = known && norm[i] > 0 ? o[i] / norm[i]
						    : -INFINITY;
	}
	free(qv);
	free(norm);
	return 0;
}

uint32_t igr_embed_dim(const igr_model *m)
{
	igr_embed e;

	if (m->ops->embedding == NULL || m->ops->embedding(m, &e) != 0)
		return 0;
	return e.dim;
}

int igr_embed_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			  float *out)
{
	igr_embed e;

	(void)g;
	if (m->ops->embedding == NULL || m->ops->embedding(m, &e) != 0)
		return igr_error("%s model has no embedding", igr_model_name(m));
	if (e.user == NULL || u >= e.nusers)
		return IGR_UNKNOWN_USER;
	memcpy(out, e.user + (size_t)u * e.dim, e.dim * sizeof *out);
	return 0;
}
