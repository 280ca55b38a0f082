/* sparse.c - sparse matrix products for the models (see sparse.h). */
#include "sparse.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hot kernels are compiled for AVX-512 and AVX2 as well as the baseline,
 * picked at load time (GCC function multi-versioning): the build does not
 * use -march=native, and SpMM gains about 2x from wider vectors. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IGR_VEC __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define IGR_VEC
#endif

igr_csr *igr_csr_scaled(const igr_csr *a, const float *rows, const float *cols,
			double power)
{
	igr_csr *b = igr_csr_empty(a->nrows, a->ncols);
	uint32_t r;

	if (b == NULL)
		return NULL;
	free(b->idx);
	free(b->w);
	b->idx = malloc((a->nnz ? a->nnz : 1) * sizeof *b->idx);
	b->w = malloc((a->nnz ? a->nnz : 1) * sizeof *b->w);
	if (b->idx == NULL || b->w == NULL) {
		igr_csr_free(b);
		return igr_error("out of memory"), NULL;
	}
	b->nnz = a->nnz;
	memcpy(b->ptr, a->ptr, ((size_t)a->nrows + 1) * sizeof *b->ptr);
	if (a->nnz)
		memcpy(b->idx, a->idx, a->nnz * sizeof *b->idx);
	for (r = 0; r < a->nrows; r++) {
		uint64_t e;
		float rs = rows ? rows[r] : 1.0f;

		for (e = a->ptr[r]; e < a->ptr[r + 1]; e++) {
			double w = a->w[e];

			if (!isfinite(w) || w < 0) {
				igr_csr_free(b);
				return igr_error("edge %u -> %u has weight %g: "
						 "weights must be finite and "
						 "not negative",
						 r, a->idx[e], w), NULL;
			}
			w = power == 0 ? 1.0 : power == 1 ? w : pow(w, power);
			b->w[e] = (float)(rs * w * (cols ? cols[a->idx[e]] : 1.0f));
		}
	}
	return b;
}

void igr_csr_row_sums(const igr_csr *a, double *out)
{
	uint32_t r;

	for (r = 0; r < a->nrows; r++) {
		double s = 0;
		uint64_t e;

		for (e = a->ptr[r]; e < a->ptr[r + 1]; e++)
			s += a->w[e];
		out[r] = s;
	}
}

void igr_csr_col_sums(const igr_csr *a, double *out)
{
	uint64_t e;

	memset(out, 0, (size_t)a->ncols * sizeof *out);
	for (e = 0; e < a->nnz; e++)
		out[a->idx[e]] += a->w[e];
}

void igr_inv_pow(const double *d, size_t n, double e, float *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = d[i] > 0 ? (float)pow(d[i], -e) : 0.0f;
}

IGR_VEC
static void spmm_row(const uint32_t *idx, const float *w, uint64_t n,
		     const float *x, size_t k, float alpha, float beta,
		     float *restrict y)
{
	uint64_t e;
	size_t j;

	if (beta == 0)
		memset(y, 0, k * sizeof *y);
	else if (beta != 1)
		for (j = 0; j < k; j++)
			y[j] *= beta;
	for (e = 0; e < n; e++) {
		const float *restrict xr = x + (size_t)idx[e] * k;
		float c = alpha * w[e];

		for (j = 0; j < k; j++)
			y[j] += c * xr[j];
	}
}

void igr_spmm(const igr_csr *a, const float *x, size_t k, float alpha,
	      float beta, float *y)
{
	int64_t r;

#pragma omp parallel for schedule(dynamic, 256)
	for (r = 0; r < (int64_t)a->nrows; r++)
		spmm_row(a->idx + a->ptr[r], a->w + a->ptr[r],
			 a->ptr[r + 1] - a->ptr[r], x, k, alpha, beta,
			 y + (size_t)r * k);
}

igr_gram_ws *igr_gram_ws_new(uint32_t nrows)
{
	igr_gram_ws *ws = calloc(1, sizeof *ws);

	if (ws == NULL)
		return igr_error("out of memory"), NULL;
	ws->n = nrows;
	ws->acc = calloc(nrows ? nrows : 1, sizeof *ws->acc);
	ws->touched = malloc((nrows ? nrows : 1) * sizeof *ws->touched);
	if (ws->acc == NULL || ws->touched == NULL) {
		igr_gram_ws_free(ws);
		return igr_error("out of memory"), NULL;
	}
	return ws;
}

void igr_gram_ws_free(igr_gram_ws *ws)
{
	if (ws == NULL)
		return;
	free(ws->acc);
	free(ws->touched);
	free(ws);
}

IGR_VEC
static void axpy_sparse(const uint32_t *idx, const float *w, uint64_t n,
			float c, float *restrict y)
{
	uint64_t e;

	for (e = 0; e < n; e++)
		y[idx[e]] += c * w[e];
}

void igr_gram_row(const igr_csr *a, const igr_csr *at, const uint32_t *idx,
		  const float *val, size_t n, float alpha, float *y,
		  igr_gram_ws *ws)
{
	uint32_t nt = 0, t;
	size_t j;

	/* hop 1: z = x A^T, over A's rows */
	for (j = 0; j < n; j++) {
		uint32_t c = idx[j];
		float xv = val ? val[j] : 1.0f;
		uint64_t e;

		if (c >= at->nrows)
			continue;
		for (e = at->ptr[c]; e < at->ptr[c + 1]; e++) {
			uint32_t r = at->idx[e];

			if (ws->acc[r] == 0)
				ws->touched[nt++] = r;
			ws->acc[r] += xv * at->w[e];
			if (ws->acc[r] == 0) /* keep it listed once */
				ws->acc[r] = 1e-38f;
		}
	}
	/* hop 2: y += alpha z A */
	for (t = 0; t < nt; t++) {
		uint32_t r = ws->touched[t];

		axpy_sparse(a->idx + a->ptr[r], a->w + a->ptr[r],
			    a->ptr[r + 1] - a->ptr[r], alpha * ws->acc[r], y);
		ws->acc[r] = 0;
	}
}
