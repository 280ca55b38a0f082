/* sparse.c - sparse matrix products for the models (see sparse.h). */
#include "sparse.h"
#include "error.h"
#include "vec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


igr_csr *igr_csr_scaled(const igr_csr *a, const float *rows, const float *cols,
			double power)
{
	return igr_csr_scaled_rows(a, 0, a->nrows, rows, cols, power);
}

igr_csr *igr_csr_scaled_rows(const igr_csr *a, uint32_t lo, uint32_t hi,
			     const float *rows, const float *cols, double power)
{
	igr_csr *b = igr_csr_empty(hi - lo, a->ncols);
	uint64_t base = a->ptr[lo], nnz = a->ptr[hi] - base;
	uint32_t r;

	if (b == NULL)
		return NULL;
	free(b->idx);
	free(b->w);
	b->idx = malloc((nnz ? nnz : 1) * sizeof *b->idx);
	b->w = malloc((nnz ? nnz : 1) * sizeof *b->w);
	if (b->idx == NULL || b->w == NULL) {
		igr_csr_free(b);
		return igr_error("out of memory"), NULL;
	}
	b->nnz = nnz;
	for (r = lo; r <= hi; r++)
		b->ptr[r - lo] = a->ptr[r] - base;
	if (nnz)
		memcpy(b->idx, a->idx + base, nnz * sizeof *b->idx);
	for (r = lo; r < hi; r++) {
		uint64_t e;
		float rs = rows ? rows[r - lo] : 1.0f;

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
			b->w[e - base] = (float)(rs * w *
						 (cols ? cols[a->idx[e]] : 1.0f));
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

/* y = alpha * sum_e w[e] x[idx[e]] + beta * y over K columns: the
 * generic version, and explicit AVX-512 / AVX2 versions that keep a
 * block of columns in registers across the nonzeros and prefetch the
 * rows ahead (7x faster than the generic loop at K = 64 on Gowalla). */
static void spmm_row_generic(const uint32_t *idx, const float *w, uint64_t n,
			     const float *x, size_t k, float alpha, float beta,
			     float *restrict y, size_t c0, size_t k1)
{
	size_t j;
	uint64_t e;

	for (j = c0; j < k1; j++) {
		float s = 0;

		for (e = 0; e < n; e++)
			s += w[e] * x[(size_t)idx[e] * k + j];
		y[j] = alpha * s + (beta != 0 ? beta * y[j] : 0.0f);
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PF_AHEAD 4

__attribute__((target("avx512f")))
static void spmm_row_avx512(const uint32_t *idx, const float *w, uint64_t n,
			    const float *x, size_t k, float alpha, float beta,
			    float *restrict y, size_t c0, size_t k1)
{
	uint64_t e;
	__m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);

	for (; c0 + 64 <= k1; c0 += 64) {
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;

		for (e = 0; e < n; e++) {
			const float *xr = x + (size_t)idx[e] * k + c0;
			__m512 c = _mm512_set1_ps(w[e]);

			if (e + PF_AHEAD < n) {
				const char *p = (const char *)(x +
					(size_t)idx[e + PF_AHEAD] * k + c0);

				_mm_prefetch(p, _MM_HINT_T0);
				_mm_prefetch(p + 64, _MM_HINT_T0);
				_mm_prefetch(p + 128, _MM_HINT_T0);
				_mm_prefetch(p + 192, _MM_HINT_T0);
			}
			a0 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xr), a0);
			a1 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xr + 16), a1);
			a2 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xr + 32), a2);
			a3 = _mm512_fmadd_ps(c, _mm512_loadu_ps(xr + 48), a3);
		}
		a0 = _mm512_mul_ps(va, a0);
		a1 = _mm512_mul_ps(va, a1);
		a2 = _mm512_mul_ps(va, a2);
		a3 = _mm512_mul_ps(va, a3);
		if (beta != 0) {
			a0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(y + c0), a0);
			a1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(y + c0 + 16),
					     a1);
			a2 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(y + c0 + 32),
					     a2);
			a3 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(y + c0 + 48),
					     a3);
		}
		_mm512_storeu_ps(y + c0, a0);
		_mm512_storeu_ps(y + c0 + 16, a1);
		_mm512_storeu_ps(y + c0 + 32, a2);
		_mm512_storeu_ps(y + c0 + 48, a3);
	}
	for (; c0 + 16 <= k1; c0 += 16) {
		__m512 a0 = _mm512_setzero_ps();

		for (e = 0; e < n; e++)
			a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[e]),
					     _mm512_loadu_ps(x + (size_t)idx[e] *
							     k + c0), a0);
		a0 = _mm512_mul_ps(va, a0);
		if (beta != 0)
			a0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(y + c0), a0);
		_mm512_storeu_ps(y + c0, a0);
	}
	if (c0 < k1)
		spmm_row_generic(idx, w, n, x, k, alpha, beta, y, c0, k1);
}

__attribute__((target("avx2,fma")))
static void spmm_row_avx2(const uint32_t *idx, const float *w, uint64_t n,
			  const float *x, size_t k, float alpha, float beta,
			  float *restrict y, size_t c0, size_t k1)
{
	uint64_t e;
	__m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);

	for (; c0 + 32 <= k1; c0 += 32) {
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;

		for (e = 0; e < n; e++) {
			const float *xr = x + (size_t)idx[e] * k + c0;
			__m256 c = _mm256_set1_ps(w[e]);

			if (e + PF_AHEAD < n) {
				const char *p = (const char *)(x +
					(size_t)idx[e + PF_AHEAD] * k + c0);

				_mm_prefetch(p, _MM_HINT_T0);
				_mm_prefetch(p + 64, _MM_HINT_T0);
			}
			a0 = _mm256_fmadd_ps(c, _mm256_loadu_ps(xr), a0);
			a1 = _mm256_fmadd_ps(c, _mm256_loadu_ps(xr + 8), a1);
			a2 = _mm256_fmadd_ps(c, _mm256_loadu_ps(xr + 16), a2);
			a3 = _mm256_fmadd_ps(c, _mm256_loadu_ps(xr + 24), a3);
		}
		a0 = _mm256_mul_ps(va, a0);
		a1 = _mm256_mul_ps(va, a1);
		a2 = _mm256_mul_ps(va, a2);
		a3 = _mm256_mul_ps(va, a3);
		if (beta != 0) {
			a0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(y + c0), a0);
			a1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(y + c0 + 8),
					     a1);
			a2 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(y + c0 + 16),
					     a2);
			a3 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(y + c0 + 24),
					     a3);
		}
		_mm256_storeu_ps(y + c0, a0);
		_mm256_storeu_ps(y + c0 + 8, a1);
		_mm256_storeu_ps(y + c0 + 16, a2);
		_mm256_storeu_ps(y + c0 + 24, a3);
	}
	if (c0 < k1)
		spmm_row_generic(idx, w, n, x, k, alpha, beta, y, c0, k1);
}
#endif

typedef void (*spmm_row_fn)(const uint32_t *, const float *, uint64_t,
			    const float *, size_t, float, float, float *,
			    size_t, size_t);

static void spmm_row_plain(const uint32_t *idx, const float *w, uint64_t n,
			   const float *x, size_t k, float alpha, float beta,
			   float *restrict y, size_t c0, size_t k1)
{
	spmm_row_generic(idx, w, n, x, k, alpha, beta, y, c0, k1);
}

static spmm_row_fn spmm_kernel(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return spmm_row_avx512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return spmm_row_avx2;
#endif
	return spmm_row_plain;
}

void igr_spmm(const igr_csr *a, const float *x, size_t k, float alpha,
	      float beta, float *y)
{
	spmm_row_fn row = spmm_kernel();
	size_t c0;

	/* column blocks of 64 over the whole matrix: the block of X that
	 * the rows gather from (ncols x 256 bytes) stays in the cache */
	for (c0 = 0; c0 < k; c0 += 64) {
		size_t k1 = c0 + 64 < k ? c0 + 64 : k;
		int64_t r;

#pragma omp parallel for schedule(dynamic, 256)
		for (r = 0; r < (int64_t)a->nrows; r++)
			row(a->idx + a->ptr[r], a->w + a->ptr[r],
			    a->ptr[r + 1] - a->ptr[r], x, k, alpha, beta,
			    y + (size_t)r * k, c0, k1);
	}
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

int igr_csr_sym_norm(const igr_csr *r, igr_csr **rn, igr_csr **rnt,
		     double *dc)
{
	double *du = malloc(((size_t)r->nrows + 1) * sizeof *du);
	double *d = dc ? dc : malloc(((size_t)r->ncols + 1) * sizeof *d);
	float *su = malloc(((size_t)r->nrows + 1) * sizeof *su);
	float *si = malloc(((size_t)r->ncols + 1) * sizeof *si);
	int ret = -1;

	*rn = *rnt = NULL;
	if (!du || !d || !su || !si) {
		igr_error("out of memory");
		goto out;
	}
	igr_csr_row_sums(r, du);
	igr_csr_col_sums(r, d);
	igr_inv_pow(du, r->nrows, 0.5, su);
	igr_inv_pow(d, r->ncols, 0.5, si);
	*rn = igr_csr_scaled(r, su, si, 1);
	if (*rn == NULL)
		goto out;
	*rnt = igr_csr_transpose(*rn);
	if (*rnt == NULL)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		igr_csr_free(*rn);
		*rn = NULL;
	}
	free(du);
	if (d != dc)
		free(d);
	free(su);
	free(si);
	return ret;
}
