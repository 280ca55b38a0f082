/*
 * pairs.h - features of (user, item) pairs at a cut time (igraph-pairs).
 *
 * The second stage of a recommender: a graph model proposes candidate
 * items per user (a `scores` stream), and a ranker (mlp.h) orders them by
 * the probability of a purchase in the next period.  This module turns
 * candidates into a `features` stream (stream.h): one record per (user,
 * item) pair, with named values computed from the behaviour before the
 * cut time T and, as the label, the behaviours of the pair in the label
 * period [T, T + label_period).
 *
 * No look-ahead, by construction: every event with ts >= T goes to the
 * label table and nowhere else; the item catalogue and the candidates
 * carry no times; an embedding model's graph must not hold an edge whose
 * newest event is at or after T (checked).  tests/check_pairs.c proves
 * it: adding any events at or after T changes no feature value.
 *
 * The features (igraph-pairs(1) documents each one).  Behaviour groups
 * g: view (view and click events), fav, cart, buy; reviews count only in
 * the user's totals.  Ages are hours before T; NaN means "never".
 *
 *   ui_G_n, ui_G_w, ui_G_age    the user's G events on the item: count,
 *                               decayed weight sum 2^-((T - ts) / h), age
 *                               of the newest
 *   uc_G_n, uc_G_w, uc_G_age    the same over the item's category
 *   ui_age, ui_recent           age of the user's newest event on the
 *                               item, and the item's place in the user's
 *                               items by that (1 = the latest)
 *   u_n, u_n_short, u_buy_n, u_items, u_age
 *                               the user's activity
 *   i_n_short, i_n_long, i_cart_long, i_buy_long, i_users_long, i_trend,
 *   i_w                         the item's recent popularity and trend
 *   c_n_long, c_buy_long        the category's
 *   graph_score, graph_score_rel, graph_rank, graph_listed
 *                               the candidate list (with candidates):
 *                               score, score over the user's best, rank
 *   emb_dot, emb_cos            the model's user and item vectors (with
 *                               an embedding model)
 *   price, tok0 .. tokB-1       the catalogue (with items; tok columns
 *                               only when some item has a title)
 *
 * Ownership: igr_pairs_new() returns a builder the caller frees with
 * igr_pairs_free(); readers, writers, the model and the graph stay owned
 * by the caller (the model and graph must outlive the builder).  Names
 * returned by igr_pairs_names() live as long as the builder.
 */
#ifndef IGR_PAIRS_H
#define IGR_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "model.h"
#include "stream.h"

/* Behaviour groups of the per-behaviour features. */
enum { IGR_PG_VIEW, IGR_PG_FAV, IGR_PG_CART, IGR_PG_BUY };
#define IGR_PG_N 4

typedef struct igr_pairs_opts {
	int64_t cut;            /* T: features use events with ts < T */
	double half_life;       /* seconds, of the decayed weights (> 0) */
	double label_period;    /* seconds; 0: no labels */
	double pop_short;       /* seconds: the recent popularity window */
	double pop_long;        /* seconds: the longer one (>= pop_short) */
	uint32_t history;       /* per user, add the N items engaged with
				   most recently before T (0: none) */
	uint32_t top;           /* candidates of rank <= top (0: all) */
	uint32_t token_buckets; /* hashed title token columns (0: none) */
} igr_pairs_opts;

/* Defaults: half-life 3 days, label period 1 day, windows 1 and 7 days,
 * no history candidates, every candidate, 16 token buckets.  CUT must
 * still be set. */
void igr_pairs_opts_init(igr_pairs_opts *o);

typedef struct igr_pairs_stats {
	uint64_t events;          /* read */
	uint64_t history_events;  /* ts < T: behind the features */
	uint64_t label_events;    /* in the label period */
	uint64_t later_events;    /* after it: unused */
	uint64_t candidates;      /* read (user -> item records) */
	uint64_t candidates_dup;  /* repeated pairs, dropped */
	uint64_t candidates_cut;  /* rank > top, dropped */
	uint64_t pairs;           /* written */
	uint64_t from_history;    /* pairs added by `history` */
	uint64_t users;           /* with at least one pair */
	uint64_t positives[IGR_NBEHAVIOR]; /* pairs whose label has b */
	uint64_t truth[IGR_NBEHAVIOR];     /* distinct (user, item) pairs
					      with b in the label period */
	int64_t newest;           /* newest event read (INT64_MIN: none) */
} igr_pairs_stats;

typedef struct igr_pairs igr_pairs;

igr_pairs *igr_pairs_new(const igr_pairs_opts *o) IGR_WUR;
void igr_pairs_free(igr_pairs *p);

/* ---- input (any order, before igr_pairs_finish) ------------------------ */

int igr_pairs_add_event(igr_pairs *p, const igr_event *e) IGR_WUR;
/* A catalogue entry: category, price and title tokens of the item (a
 * later entry for the same item replaces an earlier one). */
int igr_pairs_add_item(igr_pairs *p, const igr_item *it) IGR_WUR;
/* A candidate: a user -> item record of a scores stream (anything else
 * is an error).  A repeated pair keeps its best rank. */
int igr_pairs_add_candidate(igr_pairs *p, const igr_score *s) IGR_WUR;

/* Read whole streams through the functions above (the reader's header is
 * already read).  For candidates, a "now" meta after T is an error (the
 * model saw events at or after the cut). */
int igr_pairs_read_events(igr_pairs *p, igr_reader *r) IGR_WUR;
int igr_pairs_read_items(igr_pairs *p, igr_reader *r) IGR_WUR;
int igr_pairs_read_candidates(igr_pairs *p, igr_reader *r) IGR_WUR;

/* Score with model M bound to graph G: candidates that the list does not
 * hold get the model's score as graph_score, and a model with embeddings
 * adds emb_dot and emb_cos.  G must have been read with
 * IGR_GRAPH_DETAILS: an edge whose newest event is at or after T is an
 * error (look-ahead).  Calls M's prepare.  0 or -1. */
int igr_pairs_set_model(igr_pairs *p, igr_model *m,
			const igr_graph *g) IGR_WUR;

/* ---- features ---------------------------------------------------------- */

/* Sort and index what was added; fixes the feature columns.  Call once,
 * after every add and before the functions below.  0 or -1. */
int igr_pairs_finish(igr_pairs *p) IGR_WUR;

uint32_t igr_pairs_dim(const igr_pairs *p);
const char *const *igr_pairs_names(const igr_pairs *p);

/* The features of (USER, ITEM) into OUT[dim], as the candidate of list
 * rank RANK with SCORE (RANK 0: not in the list; SCORE ignored then),
 * and its label.  For tests and library users. */
int igr_pairs_compute(igr_pairs *p, uint32_t user, uint32_t item,
		      uint32_t rank, float score, float *out,
		      uint8_t *label) IGR_WUR;

/* Set W's features (names), and its meta: cut, half_life, label_period,
 * label_end, pop_short, pop_long, history, token_buckets. */
int igr_pairs_writer_setup(const igr_pairs *p, igr_writer *w) IGR_WUR;

/* Write every pair: users ascending; per user the listed candidates by
 * rank, then the history additions, most recent first.  ST (may be
 * NULL) receives the counts.  0 or -1. */
int igr_pairs_write(igr_pairs *p, igr_writer *w,
		    igr_pairs_stats *st) IGR_WUR;

/* The meta keys that define the feature values (a ranker trained on one
 * stream must only score streams that agree on them), NULL-terminated. */
extern const char *const igr_pairs_meta_keys[];

#endif
