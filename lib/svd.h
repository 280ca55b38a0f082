/*
 * svd.h - truncated SVD of a sparse matrix by randomised subspace
 * iteration (OpenBLAS + LAPACKE).
 *
 * The graph filter's ideal low-pass term and LightGCN's initialisation use
 * the top singular vectors of the degree-normalised interaction matrix
 * (29,858 x 40,981 with 810k nonzeros on Gowalla).  Halko, Martinsson and
 * Tropp, "Finding structure with randomness", SIAM Review 2011: range
 * finder with subspace iteration (their Algorithm 4.4, re-orthonormalising
 * after every product) on K + OVERSAMPLE Gaussian test vectors, then the
 * SVD of the small projected matrix (Algorithm 5.1).  The error of the
 * K-th vector falls with (sigma_{K+p} / sigma_K)^(2 ITERS + 1).
 *
 * Determinism: the Gaussian test matrix comes from SEED; the sparse
 * products are thread-count independent (sparse.h); the dense steps go
 * by blocks at fixed places (igr_svd_block), so the rank count changes
 * nothing (split below); OpenBLAS's own blocking may change the last
 * bits with a different thread count.
 */
#ifndef IGR_SVD_H
#define IGR_SVD_H

#include <stdint.h>

#include "graph.h"
#include "io.h"

typedef struct igr_svd_opts {
	uint32_t k;          /* singular triplets wanted */
	uint32_t oversample; /* extra test vectors (e.g. 32 .. 128) */
	uint32_t iters;      /* subspace iterations (e.g. 2 .. 8) */
	uint64_t seed;
	/* 1: A holds this rank's rows of a matrix split by rows over the
	 * ranks of a parallel run (par.h; on one rank, the whole matrix),
	 * starting at a block boundary (igr_svd_cut), and AT the rows
	 * igr_svd_item_range() gives this rank of the whole A^T: every rank
	 * calls with its rows, in rank order, and gets the whole S and V,
	 * and in U its own rows.  Each side's product is computed by the
	 * ranks owning its rows and gathered (allgather), the Gram matrices
	 * block by block: the result is the one-rank result to the bit
	 * (svd.c), with the same threads a rank. */
	int split;
} igr_svd_opts;

/* Top K singular triplets of A (m x n, AT its transpose): A ~= U S V^T.
 * Fills S[k] (descending), V[n x k] row-major (right vectors, one row per
 * column of A) and, if U is not NULL, U[m x k] row-major.  K must not
 * exceed min(m, n); K + OVERSAMPLE is clipped to min(m, n).  Returns 0 or
 * -1 (out of memory, LAPACK failure). */
int igr_svd_sparse(const igr_csr *a, const igr_csr *at,
		   const igr_svd_opts *o, float *s, float *v, float *u) IGR_WUR;

/* The rows of the blocks the dense steps work in, for a side of ROWS
 * rows: a power of two from 256 to 65,536, about ROWS / 64.  The same on
 * any number of ranks: each block is computed by the same calls. */
uint32_t igr_svd_block(uint64_t rows);
/* X (0 .. ROWS) moved to the nearest block boundary; ROWS stays ROWS. */
uint64_t igr_svd_cut(uint64_t rows, uint64_t x);
/* Rank RANK's rows [*LO, *HI) of A^T (ITEMS rows) among RANKS: even
 * shares cut at block boundaries (some may be empty on a small A). */
void igr_svd_item_range(uint32_t items, int rank, int ranks, uint64_t *lo,
			uint64_t *hi);

#endif
