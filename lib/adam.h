/*
 * adam.h - the Adam optimiser (Kingma & Ba, ICLR 2015, Algorithm 1) for
 * embedding tables.
 *
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   x -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * igr_adam_step() updates a whole table (LightGCN: every embedding gets
 * a gradient through the propagation); igr_adam_rows() updates only the
 * listed rows, with the global step t for the bias correction, the "lazy"
 * form of sparse Adam (BPR-MF: a batch touches few rows).
 *
 * Threads: rows are split over OpenMP threads; each element is updated
 * by one thread, so results do not depend on the thread count.
 *
 * Ownership: igr_adam_init() allocates the moments (zero); release them
 * with igr_adam_release().
 */
#ifndef IGR_ADAM_H
#define IGR_ADAM_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

typedef struct igr_adam {
	size_t n;        /* parameters */
	float *m, *v;    /* first and second moments */
	uint64_t t;      /* steps taken */
	float b1, b2, eps;
} igr_adam;

/* Moments for N parameters, b1 0.9, b2 0.999, eps 1e-8.  0 or -1. */
int igr_adam_init(igr_adam *a, size_t n) IGR_WUR;
void igr_adam_release(igr_adam *a);

/* One step on all N parameters X with gradient G. */
void igr_adam_step(igr_adam *a, float *x, const float *g, float lr);

/* One step on rows ROWS[0..NR) (distinct) of a table with DIM columns:
 * X and the moments are updated at row r from G[j * DIM] for ROWS[j]. */
void igr_adam_rows(igr_adam *a, float *x, const float *g, size_t dim,
		   const uint32_t *rows, size_t nr, float lr);

/* The same as the T-th step (T >= 1) without counting it in a->t: calls
 * on disjoint rows may run at the same time (DSGD blocks, dsgd.h). */
void igr_adam_rows_at(const igr_adam *a, uint64_t t, float *x,
		      const float *g, size_t dim, const uint32_t *rows,
		      size_t nr, float lr);

#endif
