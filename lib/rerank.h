/*
 * rerank.h - the second stage: order candidate pairs by a ranker's
 * purchase probability (igraph-recommend --rerank, --predict).
 *
 * Input: a `features` stream (igraph-pairs) of candidate (user, item)
 * pairs; a ranker model (mlp.h) trained on streams with the same feature
 * names and settings (igr_pairs_meta_keys: half-life, windows, token
 * buckets), else an error naming the difference.  Every pair's
 * probability comes from the network in blocks of rows.  Output: a
 * `scores` stream, user -> item, score = the probability, marked with
 * the header meta "score probability" so that igraph-eval adds AUC,
 * log-loss and calibration.
 *
 *   rerank   each user's pairs ordered by probability (higher first, ties
 *            by lower item id), the best K written with ranks 1..K, users
 *            ascending;
 *   predict  every pair, in input order (a "who will buy tomorrow" list,
 *            or pairs given for scoring), rank = its position in its
 *            user's order.
 *
 * Memory: 12 bytes per pair (user, item, probability); the features are
 * read, scored and dropped a block at a time.
 *
 * Ownership: the caller owns the model, reader and writer; nothing here
 * closes them.
 */
#ifndef IGR_RERANK_H
#define IGR_RERANK_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "model.h"
#include "stream.h"

struct igr_rerank_opts {
	uint32_t k;   /* rerank: pairs kept per user (0: all) */
	int predict;  /* 1: every pair, in input order */
};

typedef struct igr_rerank_stats {
	uint64_t pairs;    /* read */
	uint64_t users;    /* distinct users */
	uint64_t written;  /* records written */
	double predict_s;  /* seconds in the network */
} igr_rerank_stats;

/* Check that features stream R can be scored by model M: M is an mlp,
 * with R's feature names in R's order and the same settings.  0 or -1. */
int igr_rerank_check(const igr_model *m, igr_reader *r) IGR_WUR;

/* Set up W for the output of R: the "score probability", "mode", "k"
 * and "cut" meta, and R's provenance (the caller then adds its own).
 * 0 or -1. */
int igr_rerank_writer_setup(igr_writer *w, igr_reader *r,
			    const struct igr_rerank_opts *o) IGR_WUR;

/* Score every pair of R with M and write the result to W (see above).
 * ST may be NULL.  0 or -1. */
int igr_rerank_run(const igr_model *m, igr_reader *r, igr_writer *w,
		   const struct igr_rerank_opts *o,
		   igr_rerank_stats *st) IGR_WUR;

#endif
