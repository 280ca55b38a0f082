/*
 * topk.h - bounded top-K selection and a sparse score accumulator.
 *
 * Serving keeps, per user (or per audience query), only the K best of
 * millions of scores.  igr_topk is a bounded min-heap of (score, id): the
 * weakest held entry sits at the root, so a candidate is compared once
 * with igr_topk_threshold() and almost every one is rejected without
 * touching the heap.  Memory is K entries whatever the number of scores.
 *
 * Order ("better"): higher score first; equal scores are broken by a tie
 * rank (lower first; the serving tools pass the popularity rank, so an
 * item nobody scores is ordered by popularity), then by lower id.  The
 * order is total, so results do not depend on the order candidates are
 * pushed in, the block sizes or the number of threads.  NaN scores are
 * never held.
 *
 * igr_acc is a sparse accumulator: a neighbourhood model adds its
 * contributions for one user and the caller visits only the ids they
 * reached, then clears in O(touched).  Dense mode keeps a value per id
 * and a list of the touched ones; pair mode keeps the adds and sorts
 * them (igr_acc_settle), for id ranges whose dense arrays would not stay
 * in the cache (igr_acc_init_for chooses).
 *
 * Ownership: the caller owns both structures; igr_topk_release() and
 * igr_acc_release() free what init allocated.  The tie-rank array given to
 * igr_topk_init() stays owned by the caller and must outlive the heap.
 */
#ifndef IGR_TOPK_H
#define IGR_TOPK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "io.h"

typedef struct igr_hit {
	float score;
	uint32_t id;
} igr_hit;

typedef struct igr_topk {
	uint32_t k;          /* capacity */
	uint32_t n;          /* entries held */
	igr_hit *h;          /* min-heap on "better": h[0] is the weakest */
	const uint32_t *tie; /* tie rank per id (lower is better) or NULL */
} igr_topk;

/* Set up a heap of capacity K (K may be 0: nothing is ever held).  TIE
 * may be NULL (ties broken by lower id).  Returns 0 or -1. */
int igr_topk_init(igr_topk *t, uint32_t k, const uint32_t *tie) IGR_WUR;
void igr_topk_release(igr_topk *t);

/* Change the capacity (drops what is held).  Returns 0 or -1. */
int igr_topk_resize(igr_topk *t, uint32_t k) IGR_WUR;

static inline void igr_topk_clear(igr_topk *t)
{
	t->n = 0;
}

/* 1 if (sa, ia) ranks before (sb, ib). */
static inline int igr_hit_better(const igr_topk *t, float sa, uint32_t ia,
				 float sb, uint32_t ib)
{
	if (sa != sb)
		return sa > sb;
	if (t->tie != NULL && t->tie[ia] != t->tie[ib])
		return t->tie[ia] < t->tie[ib];
	return ia < ib;
}

/* A score strictly below this cannot enter; a score equal to it may
 * (tie rules decide).  -INFINITY until the heap is full. */
static inline float igr_topk_threshold(const igr_topk *t)
{
	return t->n < t->k ? -INFINITY : t->h[0].score;
}

/* Offer (SCORE, ID); keeps it if it is among the K best seen so far. */
void igr_topk_push(igr_topk *t, float score, uint32_t id);

/* Offer SCORES[0..N) as ids BASE .. BASE+N-1.  The common rejection is
 * one comparison per score. */
void igr_topk_push_row(igr_topk *t, const float *scores, size_t n,
		       uint32_t base);

/* Write the held entries best first to OUT (room for t->n), empty the
 * heap, and return how many were written. */
uint32_t igr_topk_sorted(igr_topk *t, igr_hit *out);

/* Sort HITS[0..N) best first under T's order (T supplies the tie rank). */
void igr_hits_sort(const igr_topk *t, igr_hit *hits, size_t n);

/* ---- sparse accumulator -------------------------------------------- */

typedef struct igr_acc {
	uint32_t n;         /* ids 0 .. n-1 */
	float *v;           /* n values, 0 when untouched */
	uint8_t *mark;      /* n flags: id is in touched[] */
	uint32_t *touched;  /* ids with a contribution, in first-touch order */
	uint32_t nt;
	/* pair mode (igr_acc_init_pairs): no dense arrays; each add is kept
	 * as a pair (id << 32 | the value's bits) and igr_acc_settle() sums
	 * them into ids[0..ns) (increasing) and sums[] */
	int pairs, oom;
	uint64_t *pa, *pb;  /* the pairs, and the radix sort's other half */
	size_t np, cap;
	uint32_t *ids;
	float *sums;
	uint32_t ns;
	size_t scap;
} igr_acc;

int igr_acc_init(igr_acc *a, uint32_t n) IGR_WUR;
/* An accumulator in pair mode, for ids 0 .. n-1: its memory follows the
 * adds of one query (a user's neighbourhood), not n, and settling sorts
 * them in cache where the dense arrays of millions of items are gathered
 * from at random.  Read it through ids/sums after igr_acc_settle(). */
int igr_acc_init_pairs(igr_acc *a, uint32_t n) IGR_WUR;

/* Pair mode pays where the dense arrays (5 bytes an id) leave the cache:
 * item-kNN's recommend for every user, pair against dense, took 0.75 to
 * 0.85 of the CPU time with 1.19M items and 0.59 with 3.87M, but 1.1 to
 * 1.3 with 394k and 1.65 with Gowalla's 41k (BENCHMARKS, session 8). */
#define IGR_ACC_PAIRS_MIN 800000u

/* The accumulator a query of ids 0 .. n-1 is best served by: pair mode
 * from IGR_ACC_PAIRS_MIN ids, else dense; IGRAPH_ACC_PAIRS=1 or 0 forces
 * one (igraph(7): the two give the same sums to the bit). */
int igr_acc_init_for(igr_acc *a, uint32_t n) IGR_WUR;
void igr_acc_release(igr_acc *a);

/* Room for one more pair: 0, or -1 (and A->oom set) when out of memory. */
int igr_acc_grow_pairs(igr_acc *a);

static inline void igr_acc_add(igr_acc *a, uint32_t id, float w)
{
	if (a->pairs) {
		uint32_t b;
		if (a->np == a->cap && igr_acc_grow_pairs(a) < 0)
			return;
		memcpy(&b, &w, sizeof b);
		a->pa[a->np++] = (uint64_t)id << 32 | b;
		return;
	}
	/* branch-free: the touched test is unpredictable in hot loops
	 * (touched[] has room for one more than n) */
	a->touched[a->nt] = id;
	a->nt += !a->mark[id];
	a->mark[id] = 1;
	a->v[id] += w;
}

/* Pair mode: sum the pairs added since the last clear by id, each id's
 * values in the order added (so every sum equals the dense mode's to the
 * bit), into ids/sums in increasing id order.  0, or -1 with "out of
 * memory" when an add could not be kept.  A no-op in dense mode. */
int igr_acc_settle(igr_acc *a) IGR_WUR;
/* Where ID is among the settled ids (pair mode) or 1/-1 for touched or
 * not (dense mode): -1 when it has no contribution. */
int64_t igr_acc_find(const igr_acc *a, uint32_t id);

/* Either mode, after igr_acc_settle(): the ids with a contribution (in
 * increasing order in pair mode, first-touch order in dense mode), the
 * Q-th of them and its value; igr_acc_set() changes the value of ID if
 * it has a contribution. */
static inline uint32_t igr_acc_count(const igr_acc *a)
{
	return a->pairs ? a->ns : a->nt;
}

static inline uint32_t igr_acc_id(const igr_acc *a, uint32_t q)
{
	return a->pairs ? a->ids[q] : a->touched[q];
}

static inline float igr_acc_value(const igr_acc *a, uint32_t q)
{
	return a->pairs ? a->sums[q] : a->v[a->touched[q]];
}

void igr_acc_set(igr_acc *a, uint32_t id, float x);

/* Reset the touched entries to zero (O(touched)); in pair mode drop the
 * pairs and sums. */
void igr_acc_clear(igr_acc *a);

#endif
