/* svd.c - randomised truncated SVD of a sparse matrix (see svd.h). */
#include "svd.h"
#include "error.h"
#include "mem.h"
#include "par.h"
#include "rand.h"
#include "sparse.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One run: A (this rank's rows when split), its products' blocks and
 * scratch.  Split over R ranks (par.h), A holds rows UB[rank] ..
 * UB[rank + 1] - 1 of the whole (MALL rows); Y = A Z holds this rank's
 * rows, Z = A^T Y is a sum over the ranks, reduce-scattered into item
 * blocks (IB), orthonormalised by block with the small Gram matrices
 * summed over the ranks, then gathered whole for the next product. */
struct svd_run {
	const igr_csr *a, *at;
	uint32_t l;
	float *y, *z, *tau, *g;
	int par;             /* A is this rank's rows of a split matrix */
	size_t *ub, *ib;     /* par: rank r's rows of A, of A^T */
	uint32_t mall;       /* rows of the whole A */
	int err;             /* par: a collective failed (error set) */
};

/* the block of side SIDE (0: Y, A's rows; 1: Z, A^T's) this rank
 * holds: its first row into *X, its rows into *ROWS, all rows into
 * *ALL, the bounds into *B */
static void side_block(const struct svd_run *s, int side, float **x,
		       uint32_t *rows, uint32_t *all, const size_t **b)
{
	const size_t *bb = side == 0 ? s->ub : s->ib;
	int me = igr_par_rank();

	*x = side == 0 ? s->y : s->z;
	*rows = side == 0 ? s->a->nrows : s->a->ncols;
	*all = side == 0 ? s->mall : s->a->ncols;
	*b = bb;
	if (s->par && side == 1) {
		*x += bb[me] * s->l;
		*rows = (uint32_t)(bb[me + 1] - bb[me]);
	}
}

/* 1 if COND holds on every rank (on one rank: COND) */
static int everywhere(struct svd_run *s, int cond)
{
	uint64_t bad = !cond;

	if (s->par && igr_par_sum_u64(&bad, 1) < 0)
		s->err = 1;
	return bad == 0;
}

/* G = X^T X (upper triangle) of the M x L block X, summed over the
 * ranks when split */
static void gram(struct svd_run *s, const float *x, uint32_t m, float *g)
{
	uint32_t l = s->l;

	if (s->par)
		memset(g, 0, (size_t)l * l * sizeof *g);
	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)l, (int)m, 1,
		    x, (int)l, 0, g, (int)l);
	if (s->par && igr_par_sum_f32(g, (size_t)l * l) < 0)
		s->err = 1;
}

/* Householder QR, then the explicit Q: the fallback of orth().  Split,
 * every rank gathers the whole matrix, factors it as one rank would and
 * keeps its rows. */
static int orth_householder(struct svd_run *s, int side)
{
	const size_t *b;
	uint32_t m, all, l = s->l;
	float *x, *w;
	lapack_int rc;

	side_block(s, side, &x, &m, &all, &b);
	w = x;
	if (s->par) {
		w = igr_alloc_large((size_t)all * l + 1, sizeof *w);
		if (w == NULL)
			return igr_error("out of memory");
		memcpy(w + b[igr_par_rank()] * l, x, (size_t)m * l * sizeof *w);
		if (igr_par_allgather_f32(w, b, l) < 0) {
			free(w);
			return -1;
		}
	}
	rc = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, all, l, w, l, s->tau);
	if (rc == 0)
		rc = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, all, l, l, w, l, s->tau);
	if (s->par) {
		memcpy(x, w + b[igr_par_rank()] * l, (size_t)m * l * sizeof *x);
		free(w);
	}
	if (rc != 0)
		return igr_error("svd: QR failed (LAPACK info %d)", (int)rc);
	return 0;
}

/* One Cholesky-QR pass on the M x L block X: G = X^T X = R^T R, X = X
 * R^-1.  -1 when G is not positive definite in single precision (on
 * any rank: every rank takes the same way). */
static int chol_pass(struct svd_run *s, float *x, uint32_t m, float *g)
{
	uint32_t l = s->l;

	gram(s, x, m, g);
	if (!everywhere(s, LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', l, g, l) ==
			   0))
		return -1;
	cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans,
		    CblasNonUnit, (int)m, (int)l, 1, g, (int)l, x, (int)l);
	return 0;
}

/* 1 if the columns of the block X (M x L) are orthonormal to 1e-3 (max
 * |X^T X - I|, NaN counts as not); G is L x L scratch. */
static int orthonormal(struct svd_run *s, const float *x, uint32_t m,
		       float *g)
{
	size_t i, j, l = s->l;
	int ok = 1;

	gram(s, x, m, g);
	for (i = 0; i < l && ok; i++)
		for (j = i; j < l; j++)
			if (!(fabsf(g[i * l + j] - (i == j)) < 1e-3f)) {
				ok = 0;
				break;
			}
	return everywhere(s, ok);
}

/* Orthonormalise the columns of side SIDE's block in place.
 * Cholesky QR twice (Fukaya et al., "CholeskyQR2", 2014): three large
 * BLAS-3 calls a pass instead of LAPACK's many panel steps, several
 * times faster on a tall thin X; the result is checked (max |X^T X - I|)
 * and Householder QR is the fallback when X is too ill-conditioned for
 * it (rank-deficient inputs: a small graph with L near its rank). */
static int orth(struct svd_run *s, int side)
{
	const size_t *b;
	uint32_t m, all;
	float *x;

	side_block(s, side, &x, &m, &all, &b);
	if (chol_pass(s, x, m, s->g) == 0 && chol_pass(s, x, m, s->g) == 0 &&
	    orthonormal(s, x, m, s->g))
		return 0;
	return orth_householder(s, side);
}

/* Side SIDE's product: Y = A Z, or Z = A^T Y (split: this rank's
 * part of the sum, reduce-scattered into the item blocks) */
static void product(struct svd_run *s, int side)
{
	if (side == 0) {
		igr_spmm(s->a, s->z, s->l, 1, 0, s->y);
		return;
	}
	igr_spmm(s->at, s->y, s->l, 1, 0, s->z);
	if (s->par && igr_par_reduce_scatter_f32(s->z, s->ib, s->l) < 0)
		s->err = 1;
}

/* Side SIDE's product orthonormalised, within the subspace iteration,
 * where only the span matters and the next step orthonormalises again:
 * one Cholesky QR pass (its loss of orthogonality, about eps cond(Y)^2,
 * does not change the span); when it is too ill-conditioned for it, the
 * product again and the full orth().  With FULL, orth() directly.  The
 * pass is a third of orth()'s work, and orthonormalising is most of the
 * SVD's time at a high rank.  Split, Z is then gathered whole. */
static int product_orth(struct svd_run *s, int side, int full)
{
	const size_t *b;
	uint32_t m, all;
	float *x;
	int rc = 0;

	side_block(s, side, &x, &m, &all, &b);
	product(s, side);
	if (full || chol_pass(s, x, m, s->g) != 0) {
		if (!full)
			product(s, side); /* the failed pass spoiled it */
		rc = orth(s, side);
	}
	if (rc == 0 && s->par && side == 1 &&
	    igr_par_allgather_f32(s->z, s->ib, s->l) < 0)
		s->err = 1;
	return rc;
}

/* The block X = Q R by Cholesky QR twice, R (L x L upper, row-major)
 * into R = R2 R1; G is L x L scratch.  0, or 1 when X is too
 * ill-conditioned (then X is spoiled and the caller falls back to
 * Householder). */
static int orth_r(struct svd_run *s, float *x, uint32_t m, float *r)
{
	size_t i, j, l = s->l;
	float *g = s->g;

	if (chol_pass(s, x, m, r) != 0 || chol_pass(s, x, m, g) != 0)
		return 1;
	/* R = R2 R1: both upper; zero their strict lower parts first */
	for (i = 0; i < l; i++)
		for (j = 0; j < i; j++) {
			g[i * l + j] = 0;
			r[i * l + j] = 0;
		}
	cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans,
		    CblasNonUnit, (int)l, (int)l, 1, g, (int)l, r, (int)l);
	return orthonormal(s, x, m, g) ? 0 : 1;
}

/* Split: this rank's rows of A (*M), the bounds of every rank's rows of
 * A and of A^T (even item blocks), the whole row count.  0 or -1. */
static int split_bounds(struct svd_run *s)
{
	int n = igr_par_size(), me = igr_par_rank(), r;
	uint64_t *rows = calloc((size_t)n, sizeof *rows);

	s->ub = malloc(((size_t)n + 1) * sizeof *s->ub);
	s->ib = malloc(((size_t)n + 1) * sizeof *s->ib);
	if (rows == NULL || s->ub == NULL || s->ib == NULL) {
		free(rows);
		return igr_error("out of memory");
	}
	rows[me] = s->a->nrows;
	if (igr_par_sum_u64(rows, (size_t)n) < 0) {
		free(rows);
		return -1;
	}
	s->ub[0] = s->ib[0] = 0;
	for (r = 0; r < n; r++) {
		s->ub[r + 1] = s->ub[r] + rows[r];
		s->ib[r + 1] = (size_t)s->a->ncols * (size_t)(r + 1) /
			       (size_t)n;
	}
	free(rows);
	if (s->ub[n] > UINT32_MAX)
		return igr_error("svd: %zu rows", s->ub[n]);
	s->mall = (uint32_t)s->ub[n];
	return 0;
}

int igr_svd_sparse(const igr_csr *a, const igr_csr *at,
		   const igr_svd_opts *o, float *s, float *v, float *u)
{
	struct svd_run run;
	uint32_t m = a->nrows, n = a->ncols, mn, k = o->k, l, it, i, j, nb;
	float *r2 = NULL, *sv = NULL, *ur = NULL, *wrt = NULL, *zb;
	size_t i0 = 0;
	igr_rng rng;
	int ret = -1, rc;

	memset(&run, 0, sizeof run);
	run.a = a;
	run.at = at;
	run.mall = m;
	run.par = o->split && igr_par_size() > 1;
	if (run.par && split_bounds(&run) < 0)
		goto out;
	mn = run.mall < n ? run.mall : n;
	if (k == 0 || k > mn) {
		igr_error("svd: rank %u outside 1 .. %u", k, mn);
		goto out;
	}
	l = k + o->oversample;
	if (l > mn)
		l = mn;
	run.l = l;
	run.y = igr_alloc_large((size_t)m * l + 1, sizeof *run.y);
	run.z = igr_alloc_large((size_t)n * l, sizeof *run.z);
	run.tau = malloc((size_t)l * sizeof *run.tau);
	run.g = malloc((size_t)l * l * sizeof *run.g);
	r2 = calloc((size_t)l * l, sizeof *r2);
	sv = malloc((size_t)l * sizeof *sv);
	ur = malloc((size_t)l * l * sizeof *ur);
	wrt = malloc((size_t)l * l * sizeof *wrt);
	if (!run.y || !run.z || !run.tau || !r2 || !sv || !ur || !wrt ||
	    !run.g) {
		igr_error("out of memory");
		goto out;
	}
	/* Gaussian test matrix, Halko et al. Algorithm 4.4 (the same on
	 * every rank) */
	igr_rng_seed(&rng, o->seed);
	for (i = 0; i < (size_t)n * l; i++)
		run.z[i] = (float)igr_rng_normal(&rng);

	/* the last Q is orthonormalised fully (A ~= Q Q^T A needs it), the
	 * ones before by one pass */
	if (product_orth(&run, 0, o->iters == 0) < 0)
		goto out;
	for (it = 0; it < o->iters && !run.err; it++) {
		if (product_orth(&run, 1, 0) < 0 ||
		    product_orth(&run, 0, it + 1 == o->iters) < 0)
			goto out;
	}
	/* B^T = A^T Q (n x l) = Q2 R2; R2 = Ur S Wr^T; so A ~= (Q Wr) S
	 * (Q2 Ur)^T (Algorithm 5.1 through a QR of the tall factor) */
	product(&run, 1);
	if (run.par)
		i0 = run.ib[igr_par_rank()];
	zb = run.z + i0 * l;
	nb = run.par ? (uint32_t)(run.ib[igr_par_rank() + 1] - i0) : n;
	if (orth_r(&run, zb, nb, r2) != 0) {
		/* Householder on a copy of z kept? z is spoiled: recompute,
		 * split: whole on every rank, factored as one rank would */
		product(&run, 1);
		if (run.par && igr_par_allgather_f32(run.z, run.ib, l) < 0)
			goto out;
		if (LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, n, l, run.z, l,
				   run.tau) != 0) {
			igr_error("svd: QR failed");
			goto out;
		}
		memset(r2, 0, (size_t)l * l * sizeof *r2);
		for (i = 0; i < l; i++)
			for (j = i; j < l; j++)
				r2[(size_t)i * l + j] = run.z[(size_t)i * l + j];
		if (LAPACKE_sorgqr(LAPACK_ROW_MAJOR, n, l, l, run.z, l,
				   run.tau) != 0) {
			igr_error("svd: QR failed");
			goto out;
		}
	}
	/* every rank factors rank 0's R2, so that all have the same Ur */
	if (run.err || (run.par && igr_par_bcast(r2, (size_t)l * l *
						     sizeof *r2) < 0))
		goto out;
	/* divide and conquer: sgesvd's QR sweeps (slasr) took 1.0 of 1.5 s
	 * of a rank-512 fit on MovieLens 100K */
	if (LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'A', l, l, r2, l, sv, ur, l, wrt,
			   l) != 0) {
		igr_error("svd: SVD of the projected matrix failed");
		goto out;
	}
	memcpy(s, sv, (size_t)k * sizeof *s);
	/* V = Q2 Ur (first k columns): this rank's items, then every
	 * rank's */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, k, l, 1, zb,
		    l, ur, l, 0, v + i0 * k, k);
	if (run.par && igr_par_allgather_f32(v, run.ib, k) < 0)
		goto out;
	if (u != NULL) {
		/* U = Q Wr, Wr = (Wr^T)^T: first k columns of Wr are the
		 * first k rows of Wr^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, l, 1,
			    run.y, l, wrt, l, 0, u, k);
	}
	ret = run.err ? -1 : 0;
out:
	rc = ret;
	free(run.y);
	free(run.z);
	free(run.tau);
	free(run.g);
	free(run.ub);
	free(run.ib);
	free(r2);
	free(sv);
	free(ur);
	free(wrt);
	return rc;
}
