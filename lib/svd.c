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
 * UB[rank + 1] - 1 of the whole (MALL rows) and AT rows IB[rank] ..
 * IB[rank + 1] - 1 of the whole A^T; Y = A Z is this rank's rows,
 * orthonormalised and gathered whole, then Z = A^T Y this rank's item
 * rows, orthonormalised and gathered whole for the next product.
 *
 * The dense steps go by blocks of BS[side] rows at fixed places in the
 * whole (igr_svd_block): each block's Gram matrix by one ssyrk, summed
 * over the blocks in their order (every rank gets every block's), each
 * block's triangular solve and product by one call.  A rank's rows start
 * at a block boundary, so every block is computed by the same calls on
 * the same numbers however many ranks there are, and the sparse products
 * are row by row: the result is the one-rank result to the bit. */
struct svd_run {
	const igr_csr *a, *at;
	uint32_t l;
	float *y, *z, *tau, *g, *g2, *gp;
	double *gd;
	int par;             /* A is this rank's rows of a split matrix */
	size_t *ub, *ib;     /* par: rank r's rows of A, of A^T */
	size_t *bb[2];       /* par: the same in blocks of side 0, 1 */
	uint32_t bs[2];      /* block rows of side 0 (A's rows), 1 (A^T's) */
	uint32_t mall;       /* rows of the whole A */
	int err;             /* par: a collective failed (error set) */
};

uint32_t igr_svd_block(uint64_t rows)
{
	uint32_t b = 256;

	while (b < 65536 && (uint64_t)b * 64 < rows)
		b *= 2;
	return b;
}

uint64_t igr_svd_cut(uint64_t rows, uint64_t x)
{
	uint64_t b = igr_svd_block(rows), c = (x + b / 2) / b * b;

	return x >= rows || c > rows ? rows : c;
}

/* the block of side SIDE (0: Y, A's rows; 1: Z, A^T's) this rank
 * holds: its first row into *X, its rows into *ROWS, all rows into
 * *ALL, the bounds into *B (NULL on one rank) */
static void side_block(const struct svd_run *s, int side, float **x,
		       uint32_t *rows, uint32_t *all, const size_t **b)
{
	const size_t *bb = side == 0 ? s->ub : s->ib;
	int me = igr_par_rank();

	*x = side == 0 ? s->y : s->z;
	*rows = side == 0 ? s->a->nrows : s->a->ncols;
	*all = side == 0 ? s->mall : s->a->ncols;
	*b = s->par ? bb : NULL;
	if (s->par) {
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

/* G = X^T X (upper triangle; the lower is zeroed) of side SIDE's rows:
 * each block's by one ssyrk, packed into GP at the block's place, every
 * rank's blocks gathered when split, then summed in block order in
 * double and rounded once */
static void gram(struct svd_run *s, int side, float *g)
{
	const size_t *b;
	uint32_t m, all, bs = s->bs[side], l = s->l, i, j;
	size_t tri = (size_t)l * (l + 1) / 2, q, first, nall;
	float *x;

	side_block(s, side, &x, &m, &all, &b);
	first = b ? b[igr_par_rank()] / bs : 0;
	nall = ((size_t)all + bs - 1) / bs;
	for (q = 0; q * bs < m; q++) {
		uint32_t rows = m - q * bs < bs ? m - (uint32_t)(q * bs) : bs;
		float *pk = s->gp + (first + q) * tri;
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)l,
			    (int)rows, 1, x + q * bs * l, (int)l, 0, s->g2,
			    (int)l);
		for (i = 0; i < l; i++)
			for (j = i; j < l; j++)
				*pk++ = s->g2[(size_t)i * l + j];
	}
	if (b != NULL && igr_par_allgather_f32(s->gp, s->bb[side], tri) < 0)
		s->err = 1;
	memset(s->gd, 0, tri * sizeof *s->gd);
	for (q = 0; q < nall; q++) {
		const float *pk = s->gp + q * tri;
		size_t t;
		for (t = 0; t < tri; t++)
			s->gd[t] += pk[t];
	}
	for (i = 0, q = 0; i < l; i++) {
		for (j = 0; j < i; j++)
			g[(size_t)i * l + j] = 0;
		for (j = i; j < l; j++)
			g[(size_t)i * l + j] = (float)s->gd[q++];
	}
}

/* X = X R^-1 for side SIDE's rows, R upper L x L, block by block */
static void solve_r(struct svd_run *s, int side, const float *r)
{
	const size_t *b;
	uint32_t m, all, bs = s->bs[side], l = s->l, q;
	float *x;

	side_block(s, side, &x, &m, &all, &b);
	for (q = 0; q < m; q += bs)
		cblas_strsm(CblasRowMajor, CblasRight, CblasUpper,
			    CblasNoTrans, CblasNonUnit,
			    (int)(m - q < bs ? m - q : bs), (int)l, 1, r,
			    (int)l, x + (size_t)q * l, (int)l);
}

/* OUT = X C (C: L x K, row-major, leading dimension LDC; OUT: K
 * columns) for side SIDE's rows, block by block */
static void times_small(struct svd_run *s, int side, const float *c,
			uint32_t k, int ldc, int trans, float *out)
{
	const size_t *b;
	uint32_t m, all, bs = s->bs[side], l = s->l, q;
	float *x;

	side_block(s, side, &x, &m, &all, &b);
	for (q = 0; q < m; q += bs)
		cblas_sgemm(CblasRowMajor, CblasNoTrans,
			    trans ? CblasTrans : CblasNoTrans,
			    (int)(m - q < bs ? m - q : bs), (int)k, (int)l, 1,
			    x + (size_t)q * l, (int)l, c, ldc, 0,
			    out + (size_t)q * k, (int)k);
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

/* One Cholesky-QR pass on side SIDE's rows X: G = X^T X = R^T R, X = X
 * R^-1.  -1 when G is not positive definite in single precision (on
 * any rank: every rank takes the same way). */
static int chol_pass(struct svd_run *s, int side, float *g)
{
	uint32_t l = s->l;

	gram(s, side, g);
	if (!everywhere(s, LAPACKE_spotrf(LAPACK_ROW_MAJOR, 'U', l, g, l) ==
			   0))
		return -1;
	solve_r(s, side, g);
	return 0;
}

/* 1 if the columns of side SIDE's X are orthonormal to 1e-3 (max
 * |X^T X - I|, NaN counts as not); G is L x L scratch. */
static int orthonormal(struct svd_run *s, int side, float *g)
{
	size_t i, j, l = s->l;
	int ok = 1;

	gram(s, side, g);
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
	if (chol_pass(s, side, s->g) == 0 && chol_pass(s, side, s->g) == 0 &&
	    orthonormal(s, side, s->g))
		return 0;
	return orth_householder(s, side);
}

/* Side SIDE's product, this rank's rows of it: Y = A Z, or Z = A^T Y
 * (the other side whole) */
static void product(struct svd_run *s, int side)
{
	const size_t *b;
	uint32_t m, all;
	float *x;

	side_block(s, side, &x, &m, &all, &b);
	igr_spmm(side == 0 ? s->a : s->at, side == 0 ? s->z : s->y, s->l, 1,
		 0, x);
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
	int rc = 0;

	product(s, side);
	if (full || chol_pass(s, side, s->g) != 0) {
		if (!full)
			product(s, side); /* the failed pass spoiled it */
		rc = orth(s, side);
	}
	if (rc == 0 && s->par &&
	    igr_par_allgather_f32(side == 0 ? s->y : s->z,
				  side == 0 ? s->ub : s->ib, s->l) < 0)
		s->err = 1;
	return rc;
}

/* Side SIDE's X = Q R by Cholesky QR twice, R (L x L upper, row-major)
 * into R = R2 R1; G is L x L scratch.  0, or 1 when X is too
 * ill-conditioned (then X is spoiled and the caller falls back to
 * Householder). */
static int orth_r(struct svd_run *s, int side, float *r)
{
	size_t i, j, l = s->l;
	float *g = s->g;

	if (chol_pass(s, side, r) != 0 || chol_pass(s, side, g) != 0)
		return 1;
	/* R = R2 R1: both upper; zero their strict lower parts first */
	for (i = 0; i < l; i++)
		for (j = 0; j < i; j++) {
			g[i * l + j] = 0;
			r[i * l + j] = 0;
		}
	cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans,
		    CblasNonUnit, (int)l, (int)l, 1, g, (int)l, r, (int)l);
	return orthonormal(s, side, g) ? 0 : 1;
}

/* Split: the bounds of every rank's rows of A (from their counts) and
 * of A^T (igr_svd_item_range), checked against the block boundaries and
 * AT's rows, in rows and in blocks; the whole row count.  0 or -1. */
static int split_bounds(struct svd_run *s)
{
	int n = igr_par_size(), me = igr_par_rank(), r, side;
	uint64_t *rows = calloc((size_t)n, sizeof *rows), lo, hi;
	const char *bad = NULL;

	s->ub = malloc(((size_t)n + 1) * sizeof *s->ub);
	s->ib = malloc(((size_t)n + 1) * sizeof *s->ib);
	s->bb[0] = malloc(((size_t)n + 1) * sizeof *s->bb[0]);
	s->bb[1] = malloc(((size_t)n + 1) * sizeof *s->bb[1]);
	if (rows == NULL || !s->ub || !s->ib || !s->bb[0] || !s->bb[1]) {
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
		igr_svd_item_range(s->a->ncols, r, n, &lo, &hi);
		s->ib[r + 1] = hi;
	}
	free(rows);
	if (s->ub[n] > UINT32_MAX)
		return igr_error("svd: %zu rows", s->ub[n]);
	s->mall = (uint32_t)s->ub[n];
	s->bs[0] = igr_svd_block(s->mall);
	s->bs[1] = igr_svd_block(s->a->ncols);
	for (r = 0; r < n; r++)
		if (s->ub[r] % s->bs[0] != 0)
			bad = "A's rows";
	if (s->at->nrows != s->ib[me + 1] - s->ib[me] ||
	    s->at->ncols != s->mall)
		bad = "A^T's rows";
	if (bad != NULL)
		return igr_error("svd: a rank's %s do not start at a block "
				 "boundary (igr_svd_cut, igr_svd_item_range)",
				 bad);
	for (side = 0; side < 2; side++)
		for (r = 0; r <= n; r++) {
			size_t x = side == 0 ? s->ub[r] : s->ib[r];
			s->bb[side][r] = (x + s->bs[side] - 1) / s->bs[side];
		}
	return 0;
}

void igr_svd_item_range(uint32_t items, int rank, int ranks, uint64_t *lo,
			uint64_t *hi)
{
	*lo = igr_svd_cut(items, (uint64_t)items * (uint64_t)rank /
					 (uint64_t)ranks);
	*hi = igr_svd_cut(items, (uint64_t)items * (uint64_t)(rank + 1) /
					 (uint64_t)ranks);
}

int igr_svd_sparse(const igr_csr *a, const igr_csr *at,
		   const igr_svd_opts *o, float *s, float *v, float *u)
{
	struct svd_run run;
	uint32_t m = a->nrows, n = a->ncols, mn, k = o->k, l, it, i, j;
	float *r2 = NULL, *sv = NULL, *ur = NULL, *wrt = NULL;
	size_t i0 = 0;
	igr_rng rng;
	int ret = -1, rc;

	memset(&run, 0, sizeof run);
	run.a = a;
	run.at = at;
	run.mall = m;
	run.par = o->split && igr_par_size() > 1;
	run.bs[0] = igr_svd_block(m);
	run.bs[1] = igr_svd_block(n);
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
	run.y = igr_alloc_large((size_t)run.mall * l + 1, sizeof *run.y);
	run.z = igr_alloc_large((size_t)n * l, sizeof *run.z);
	run.tau = malloc((size_t)l * sizeof *run.tau);
	run.g = malloc((size_t)l * l * sizeof *run.g);
	run.g2 = malloc((size_t)l * l * sizeof *run.g2);
	run.gd = malloc((size_t)l * (l + 1) / 2 * sizeof *run.gd);
	{
		size_t nbk = ((size_t)run.mall + run.bs[0] - 1) / run.bs[0];
		size_t nbi = ((size_t)n + run.bs[1] - 1) / run.bs[1];
		run.gp = malloc((nbk > nbi ? nbk : nbi) * ((size_t)l *
				(l + 1) / 2) * sizeof *run.gp + 1);
	}
	r2 = calloc((size_t)l * l, sizeof *r2);
	sv = malloc((size_t)l * sizeof *sv);
	ur = malloc((size_t)l * l * sizeof *ur);
	wrt = malloc((size_t)l * l * sizeof *wrt);
	if (!run.y || !run.z || !run.tau || !r2 || !sv || !ur || !wrt ||
	    !run.g || !run.g2 || !run.gd || !run.gp) {
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
	if (orth_r(&run, 1, r2) != 0) {
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
	times_small(&run, 1, ur, k, (int)l, 0, v + i0 * k);
	if (run.par && igr_par_allgather_f32(v, run.ib, k) < 0)
		goto out;
	if (u != NULL) {
		/* U = Q Wr, Wr = (Wr^T)^T: first k columns of Wr are the
		 * first k rows of Wr^T (this rank's rows) */
		times_small(&run, 0, wrt, k, (int)l, 1, u);
	}
	ret = run.err ? -1 : 0;
out:
	rc = ret;
	free(run.y);
	free(run.z);
	free(run.tau);
	free(run.g);
	free(run.g2);
	free(run.gd);
	free(run.gp);
	free(run.ub);
	free(run.ib);
	free(run.bb[0]);
	free(run.bb[1]);
	free(r2);
	free(sv);
	free(ur);
	free(wrt);
	return rc;
}
