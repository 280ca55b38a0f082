/* svd.c - randomised truncated SVD of a sparse matrix (see svd.h). */
#include "svd.h"
#include "error.h"
#include "mem.h"
#include "rand.h"
#include "sparse.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Householder QR, then the explicit Q: the fallback of orth(). */
static int orth_householder(float *x, uint32_t m, uint32_t l, float *tau)
{
	lapack_int rc;

	rc = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, l, x, l, tau);
	if (rc == 0)
		rc = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, l, l, x, l, tau);
	if (rc != 0)
		return igr_error("svd: QR failed (LAPACK info %d)", (int)rc);
	return 0;
}

/* One Cholesky-QR pass: G = X^T X = R^T R, X = X R^-1.  -1 when G is
 * not positive definite in single precision. */
static int chol_pass(float *x, uint32_t m, uint32_t l, float *g)
{
	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)l, (int)m, 1,
		    x, (int)l, 0, g, (int)l);
	if (LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', l, g, l) != 0)
		return -1;
	cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans,
		    CblasNonUnit, (int)m, (int)l, 1, g, (int)l, x, (int)l);
	return 0;
}

/* 1 if the columns of X (M x L) are orthonormal to 1e-3 (max |X^T X -
 * I|, NaN counts as not); G is L x L scratch. */
static int orthonormal(const float *x, uint32_t m, uint32_t l, float *g)
{
	size_t i, j;

	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)l, (int)m, 1,
		    x, (int)l, 0, g, (int)l);
	for (i = 0; i < l; i++)
		for (j = i; j < l; j++)
			if (!(fabsf(g[i * l + j] - (i == j)) < 1e-3f))
				return 0;
	return 1;
}

/* Orthonormalise the columns of the row-major M x L matrix X in place.
 * Cholesky QR twice (Fukaya et al., "CholeskyQR2", 2014): three large
 * BLAS-3 calls a pass instead of LAPACK's many panel steps, several
 * times faster on a tall thin X; the result is checked (max |X^T X - I|)
 * and Householder QR is the fallback when X is too ill-conditioned for
 * it (rank-deficient inputs: a small graph with L near its rank).  G is
 * L x L scratch. */
static int orth(float *x, uint32_t m, uint32_t l, float *tau, float *g)
{
	if (chol_pass(x, m, l, g) == 0 && chol_pass(x, m, l, g) == 0 &&
	    orthonormal(x, m, l, g))
		return 0;
	return orth_householder(x, m, l, tau);
}

/* Y = A X orthonormalised, within the subspace iteration, where only
 * the span matters and the next step orthonormalises again: one Cholesky
 * QR pass (its loss of orthogonality, about eps cond(Y)^2, does not
 * change the span); when Y is too ill-conditioned for it, Y again and
 * the full orth().  With FULL, orth() directly.  The pass is a third of
 * orth()'s work, and orthonormalising is most of the SVD's time at a
 * high rank. */
static int product_orth(const igr_csr *a, const float *x, float *y,
			uint32_t l, int full, float *tau, float *g)
{
	igr_spmm(a, x, l, 1, 0, y);
	if (!full && chol_pass(y, a->nrows, l, g) == 0)
		return 0;
	if (!full)
		igr_spmm(a, x, l, 1, 0, y); /* the failed pass spoiled Y */
	return orth(y, a->nrows, l, tau, g);
}

/* X = Q R by Cholesky QR twice, R (L x L upper, row-major) into R =
 * R2 R1; G is L x L scratch.  0, or 1 when X is too ill-conditioned
 * (then X is spoiled and the caller falls back to Householder). */
static int orth_r(float *x, uint32_t m, uint32_t l, float *g, float *r)
{
	size_t i, j;

	if (chol_pass(x, m, l, r) != 0 || chol_pass(x, m, l, g) != 0)
		return 1;
	/* R = R2 R1: both upper; zero their strict lower parts first */
	for (i = 0; i < l; i++)
		for (j = 0; j < i; j++) {
			g[i * l + j] = 0;
			r[i * l + j] = 0;
		}
	cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans,
		    CblasNonUnit, (int)l, (int)l, 1, g, (int)l, r, (int)l);
	return orthonormal(x, m, l, g) ? 0 : 1;
}

int igr_svd_sparse(const igr_csr *a, const igr_csr *at,
		   const igr_svd_opts *o, float *s, float *v, float *u)
{
	uint32_t m = a->nrows, n = a->ncols, mn = m < n ? m : n;
	uint32_t k = o->k, l, it, i, j;
	float *y = NULL, *z = NULL, *tau = NULL, *r2 = NULL, *sv = NULL;
	float *ur = NULL, *wrt = NULL, *g = NULL;
	igr_rng rng;
	int ret = -1;

	if (k == 0 || k > mn)
		return igr_error("svd: rank %u outside 1 .. %u", k, mn);
	l = k + o->oversample;
	if (l > mn)
		l = mn;
	y = igr_alloc_large((size_t)m * l, sizeof *y);
	z = igr_alloc_large((size_t)n * l, sizeof *z);
	tau = malloc((size_t)l * sizeof *tau);
	r2 = calloc((size_t)l * l, sizeof *r2);
	sv = malloc((size_t)l * sizeof *sv);
	ur = malloc((size_t)l * l * sizeof *ur);
	wrt = malloc((size_t)l * l * sizeof *wrt);
	g = malloc((size_t)l * l * sizeof *g);
	if (!y || !z || !tau || !r2 || !sv || !ur || !wrt || !g) {
		igr_error("out of memory");
		goto out;
	}
	/* Gaussian test matrix, Halko et al. Algorithm 4.4 */
	igr_rng_seed(&rng, o->seed);
	for (i = 0; i < (size_t)n * l; i++)
		z[i] = (float)igr_rng_normal(&rng);

	/* the last Q is orthonormalised fully (A ~= Q Q^T A needs it), the
	 * ones before by one pass */
	if (product_orth(a, z, y, l, o->iters == 0, tau, g) < 0)
		goto out;
	for (it = 0; it < o->iters; it++) {
		if (product_orth(at, y, z, l, 0, tau, g) < 0 ||
		    product_orth(a, z, y, l, it + 1 == o->iters, tau, g) < 0)
			goto out;
	}
	/* B^T = A^T Q (n x l) = Q2 R2; R2 = Ur S Wr^T; so A ~= (Q Wr) S
	 * (Q2 Ur)^T (Algorithm 5.1 through a QR of the tall factor) */
	igr_spmm(at, y, l, 1, 0, z);
	if (orth_r(z, n, l, g, r2) != 0) {
		/* Householder on a copy of z kept? z is spoiled: recompute */
		igr_spmm(at, y, l, 1, 0, z);
		if (LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, n, l, z, l, tau) != 0) {
			igr_error("svd: QR failed");
			goto out;
		}
		memset(r2, 0, (size_t)l * l * sizeof *r2);
		for (i = 0; i < l; i++)
			for (j = i; j < l; j++)
				r2[(size_t)i * l + j] = z[(size_t)i * l + j];
		if (LAPACKE_sorgqr(LAPACK_ROW_MAJOR, n, l, l, z, l, tau) != 0) {
			igr_error("svd: QR failed");
			goto out;
		}
	}
	/* divide and conquer: sgesvd's QR sweeps (slasr) took 1.0 of 1.5 s
	 * of a rank-512 fit on MovieLens 100K */
	if (LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'A', l, l, r2, l, sv, ur, l, wrt,
			   l) != 0) {
		igr_error("svd: SVD of the projected matrix failed");
		goto out;
	}
	memcpy(s, sv, (size_t)k * sizeof *s);
	/* V = Q2 Ur (first k columns) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, l, 1, z, l,
		    ur, l, 0, v, k);
	if (u != NULL) {
		/* U = Q Wr, Wr = (Wr^T)^T: first k columns of Wr are the
		 * first k rows of Wr^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, l, 1,
			    y, l, wrt, l, 0, u, k);
	}
	ret = 0;
out:
	free(y);
	free(z);
	free(tau);
	free(r2);
	free(sv);
	free(ur);
	free(wrt);
	free(g);
	return ret;
}
