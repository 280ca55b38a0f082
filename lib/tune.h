/*
 * tune.h - choosing a model's settings on the user's own data.
 *
 * A model that tunes itself (gf; itemknn) holds out part of each user's
 * training edges, fits each candidate setting on the rest, ranks all
 * items for a sample of the held-out users (recall@20, NDCG@20; the
 * training edges excluded, as igraph-recommend does) and trains the final
 * model on every edge with the winner.  Nothing here reads a test file:
 * the holdout comes from the training graph alone.
 *
 * The holdout: FRAC of each user's edges (rounded, at least one, never
 * all, users with fewer than 3 edges keep theirs): the newest ones when
 * the edges carry times that differ (a temporal cut, as a next-period
 * test is), otherwise a seeded random choice.
 *
 * Ownership: igr_tune_split() fills a split freed with
 * igr_tune_split_free().
 */
#ifndef IGR_TUNE_H
#define IGR_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "learn.h"
#include "model.h"

typedef struct igr_tune_split {
	igr_csr *train;      /* R less the held-out edges (same shape) */
	igr_valid *held;     /* held-out pairs of the sampled users */
	int temporal;        /* 1: the newest edges were held out */
	uint64_t held_edges; /* edges held out (all users) */
} igr_tune_split;

/* Split R (user -> item; R->last_ts used when present).  Users sampled
 * for evaluation: at most MAX_USERS of those with held-out edges, seeded;
 * held->users lists them interleaved (every fourth first, not
 * ascending), so its first quarter is a spread-out subset for
 * screening.  0 or -1. */
int igr_tune_split_make(igr_tune_split *s, const igr_csr *r, double frac,
			uint32_t max_users, uint64_t seed) IGR_WUR;
void igr_tune_split_free(igr_tune_split *s);

/* 1 if the per-user figures CAND (n users, the held-out users in order)
 * beat BEST beyond the holdout's noise: a paired t-test, mean
 * difference > 0 and t > 1.96 (one-sided, about 2.5%).  Without it a
 * search follows the sampling noise of a thousand users (on Gowalla a 1%
 * holdout "gain" in recall@20 that was a loss on the test split). */
int igr_tune_better(const double *best, const double *cand, size_t n);

/* The screening rule: 1 if CAND's mean over the first N users (a
 * quarter of them) is above BEST's on the same users.  A candidate that
 * is not is dropped without scoring the other three quarters: it could
 * pass igr_tune_better on all of them only by gaining much more
 * elsewhere, and most candidates of a search are such losers (on Gowalla
 * this saves a fifth of the tuner's time). */
int igr_tune_promising(const double *best, const double *cand, size_t n);

/* Record one tried setting (DESC, a short text such as "cheby
 * flatness=1.5 norm=0.4") and its holdout figures in M's data.tune.tried;
 * igr_tune_chosen() records the winner and the holdout's shape. */
int igr_tune_record(igr_model *m, const char *desc, double recall,
		    double ndcg) IGR_WUR;
int igr_tune_chosen(igr_model *m, const char *desc,
		    const igr_tune_split *s, double seconds) IGR_WUR;

#endif
