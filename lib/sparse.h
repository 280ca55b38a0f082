/*
 * sparse.h - sparse matrix products for the learned models.
 *
 * The models (graph filter, BPR-MF, LightGCN) and item-kNN work on the
 * user -> item relation of the interest graph as a sparse matrix R (an
 * igr_csr, graph.h).  This module holds the few products they need:
 * degree normalisation (R~ = Du^-a R Di^-b), sparse x dense products with
 * row-major dense blocks (SpMM), and one row of a sparse Gram matrix
 * x R^T R through two sparse hops, which never builds the item x item
 * matrix (6.7 GB dense on Gowalla).
 *
 * Threads: the SpMM functions split rows over OpenMP threads; every
 * output row is summed by one thread in index order, so results do not
 * depend on the thread count.
 *
 * Ownership: functions returning igr_csr * return a new CSR the caller
 * frees with igr_csr_free(); NULL with igr_error() on failure.
 */
#ifndef IGR_SPARSE_H
#define IGR_SPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"

/* A copy of A (pattern and weights only: no counts or times) whose entry
 * (r, c) is ROWS[r] * w(r, c) ^ POWER * COLS[c].  ROWS or COLS NULL means
 * 1; POWER 0 gives the binary pattern (every weight 1), POWER 1 keeps the
 * weights.  Non-finite or negative weights are an error. */
igr_csr *igr_csr_scaled(const igr_csr *a, const float *rows, const float *cols,
			double power) IGR_WUR;

/* The same for A's rows LO .. HI-1 only (HI - LO rows, ROWS[r - LO] the
 * scale of row r): a rank's rows of a matrix split by rows (par.h). */
igr_csr *igr_csr_scaled_rows(const igr_csr *a, uint32_t lo, uint32_t hi,
			     const float *rows, const float *cols,
			     double power) IGR_WUR;

/* R~ = Du^-1/2 R Di^-1/2 (Du, Di: R's row and column sums) into *RN and
 * its transpose into *RNT; the column sums into DC (ncols) when not NULL:
 * the graph filter's normalised matrix, LightGCN's A~ of the binary
 * pattern.  0 or -1 (*RN, *RNT NULL). */
int igr_csr_sym_norm(const igr_csr *r, igr_csr **rn, igr_csr **rnt,
		     double *dc) IGR_WUR;

/* Sums of the weights of each row (OUT[nrows]) / column (OUT[ncols]). */
void igr_csr_row_sums(const igr_csr *a, double *out);
void igr_csr_col_sums(const igr_csr *a, double *out);

/* D^-E as floats: OUT[i] = D[i] ^ -E, or 0 where D[i] is 0 (an empty row
 * or column contributes nothing, as in the GF-CF and LightGCN papers). */
void igr_inv_pow(const double *d, size_t n, double e, float *out);

/* Y = ALPHA * A X + BETA * Y with X ncols x K and Y nrows x K, both
 * row-major with leading dimension K.  BETA 0 overwrites Y (NaNs in Y
 * are not propagated). */
void igr_spmm(const igr_csr *a, const float *x, size_t k, float alpha,
	      float beta, float *y);

/* Workspace for igr_gram_row(): a dense accumulator over the rows of A
 * and the list of rows touched.  igr_gram_ws_new() returns NULL on out of
 * memory; free with igr_gram_ws_free(). */
typedef struct igr_gram_ws {
	uint32_t n;
	float *acc;       /* n, all zero between calls */
	uint32_t *touched;
} igr_gram_ws;

igr_gram_ws *igr_gram_ws_new(uint32_t nrows) IGR_WUR;
void igr_gram_ws_free(igr_gram_ws *ws);

/* One row of the Gram matrix of A's columns: Y[ncols] += ALPHA * x A^T A,
 * for the sparse vector x over A's columns (N entries: columns IDX[],
 * values VAL[], VAL NULL = all 1).  AT is A's transpose.  Costs the
 * number of two-hop paths from x, not ncols^2. */
void igr_gram_row(const igr_csr *a, const igr_csr *at, const uint32_t *idx,
		  const float *val, size_t n, float alpha, float *y,
		  igr_gram_ws *ws);

#endif
