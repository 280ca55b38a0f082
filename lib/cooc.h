/*
 * cooc.h - the N strongest co-occurrence neighbours of every column of a
 * sparse matrix, without the columns x columns matrix.
 *
 * For R (rows x cols, weights in R->w) and its transpose RT:
 *
 *     co(a, b) = sum over rows u of R(u, a) R(u, b)        (a != b)
 *     S(a, b)  = ( co(a, b) / (NA[a] NB[b] + shrink) )^locality
 *
 * and each column a keeps its N largest positive S(a, .), divided by the
 * largest when ROWNORM, stored by neighbour id.  The work is the sum over
 * rows of their length squared, OpenMP over columns.  Item-kNN
 * (models/itemknn.c) is this with R's rows damped and NA, NB the powers of
 * the column norms; the graph filter's P = R~^T R~ is this with R = R~
 * and NA = NB = 1.
 *
 * Ownership: the three arrays are the caller's to free().
 */
#ifndef IGR_COOC_H
#define IGR_COOC_H

#include <stdint.h>

#include "report.h"
#include "sparse.h"

struct igr_cooc_opts {
	uint32_t nbrs;    /* N: neighbours kept per column */
	double shrink;    /* added to the denominator */
	double locality;  /* the exponent (1: none) */
	int rownorm;      /* 1: each column's list divided by its largest */
	int ranks;        /* 0: this rank alone; IGR_COOC_RANKS_ALL or
			     _ROOT: called by every rank (par.h), each
			     computes a range of columns balanced by work,
			     then every rank (ALL) or rank 0 (ROOT) has
			     every list, as on one rank; the others
			     (ROOT) only their own columns' */
};
#define IGR_COOC_RANKS_ALL 1
#define IGR_COOC_RANKS_ROOT 2

/* The lists of every column of R (RT its transpose; NA, NB NULL: 1),
 * progress through REP: *PTR (cols + 1 offsets), *NBR and *SIM.  0 or -1
 * (out of memory, nothing allocated). */
int igr_cooc_topn(const igr_csr *r, const igr_csr *rt, const double *na,
		  const double *nb, const struct igr_cooc_opts *o,
		  const igr_report *rep, uint64_t **ptr, uint32_t **nbr,
		  float **sim) IGR_WUR;

#endif
