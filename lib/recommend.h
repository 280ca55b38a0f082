/*
 * recommend.h - the serving rules engine behind igraph-recommend and
 * igraph-propagate.
 *
 * An igr_rec binds a loaded model to the current graph (calling the
 * model's prepare) and answers three kinds of request, each for a batch of
 * queries at a time so the command can stream its output:
 *
 *   igr_rec_users()     top-K items for each user;
 *   igr_rec_similar()   top-K items for each item (item-to-item);
 *   igr_rec_audience()  top-N users for each item, category or campaign
 *                       (a set of items), all queries in one blocked pass.
 *
 * Scoring takes the model's fastest path: the blocked sgemm scorer fused
 * with top-K for embedding models (embed.h), sparse accumulation for
 * neighbourhood models, dense blocks of score_users otherwise; OpenMP
 * runs inside each call (call from outside a parallel region).
 *
 * Rules, in the order they apply:
 *   1. exclusion: seen (items with an edge from the user in the graph),
 *      bought (items in the `bought` relation the caller supplies) or
 *      none; for audiences, users who saw/bought any item of the query;
 *   2. allow / block lists of items (igr_rec_allow, igr_rec_block);
 *   3. minimum score (model scores; not applied to the fallback);
 *   4. at most `per_category` items of one category per list (items
 *      without a category are not capped);
 *   5. users the model knows nothing about get the popularity fallback:
 *      the most popular items of the current graph that pass rules 1, 2
 *      and 4, scored by popularity (the largest is 1), with the list
 *      flagged `fallback`.
 * Equal scores are ordered by popularity, then by lower id, so an item a
 * sparse model does not score at all (score 0) is ordered by popularity.
 *
 * Ownership: igr_rec_new() borrows the model and the graph (both must
 * outlive the engine; the engine sets the model's state through prepare).
 * Batches are owned by the caller, reused across calls, and freed with
 * igr_rec_batch_free(); their lists stay valid until the next call that
 * fills the batch.
 */
#ifndef IGR_RECOMMEND_H
#define IGR_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "model.h"
#include "stream.h"
#include "topk.h"

/* IGR_EXCL_ZERO (user lists only): the seen items stay in the ranking
 * with score 0, as the evaluation code of S3-Rec, ICLRec and BSARec
 * ranks them (rating_pred[history] = 0) */
enum { IGR_EXCL_NONE = 0, IGR_EXCL_SEEN = 1, IGR_EXCL_BOUGHT = 2,
       IGR_EXCL_ZERO = 3 };

struct igr_rec_opts {
	uint32_t k;             /* list length (items, or users for audiences) */
	int exclude;            /* enum igr_exclude */
	const igr_csr *bought;  /* user -> item bought, for IGR_EXCL_BOUGHT */
	uint32_t per_category;  /* 0 = no cap */
	float min_score;        /* -INFINITY = none */
	int fallback;           /* 1 = popularity fallback for unknown users */
	uint32_t explain;       /* contributions per recommended item (0: no) */
};

/* Defaults: k 20, exclude seen, no cap, no minimum, fallback on. */
void igr_rec_opts_init(struct igr_rec_opts *o);

typedef struct igr_rec igr_rec;

/* Bind M to G (calls M's prepare).  NULL on error. */
igr_rec *igr_rec_new(igr_model *m, const igr_graph *g) IGR_WUR;
void igr_rec_free(igr_rec *r);

/* Set the options (copied; BOUGHT is borrowed). */
void igr_rec_set_opts(igr_rec *r, const struct igr_rec_opts *o);

/* Item universe NI and user bound of the engine. */
uint32_t igr_rec_nitems(const igr_rec *r);
uint32_t igr_rec_nusers(const igr_rec *r);

/* Recommend only ITEMS (every other item is blocked) / never recommend
 * ITEMS.  Both may be called; ids >= NI are an error.  0 or -1. */
int igr_rec_allow(igr_rec *r, const uint32_t *items, size_t n) IGR_WUR;
int igr_rec_block(igr_rec *r, const uint32_t *items, size_t n) IGR_WUR;

/* User vectors from a `vectors` stream (igraph-propagate) replace the
 * model's for the users they hold (embedding models only; the dimension
 * must match).  R must have been opened on the stream.  0 or -1. */
int igr_rec_load_vectors(igr_rec *r, igr_reader *vr) IGR_WUR;

/* Flags KNOWN[0..n) = 1 if the model can score USERS[i], 0 if the user
 * would get the fallback.  Returns the number of unknown users, or -1. */
long igr_rec_known(igr_rec *r, const uint32_t *users, size_t n,
		   uint8_t *known) IGR_WUR;

/* Embedding models: the dimension of user vectors (0 for other models)
 * and user U's vector (from --vectors, the model's trained rows, or the
 * model's user_vector for users added since): 0, IGR_UNKNOWN_USER or
 * -1. */
uint32_t igr_rec_dim(const igr_rec *r);
int igr_rec_user_vector(const igr_rec *r, uint32_t u, float *out) IGR_WUR;

/* ---- the index (annindex.h) -------------------------------------------- */

struct igr_index;
struct igr_embed;

/* Embedding models: the final vectors (NULL for other models), e.g. to
 * build or check an index. */
const struct igr_embed *igr_rec_embedding(const igr_rec *r);

/* Serve the lists of items for users (igr_rec_users) through index X
 * (borrowed; NULL: every item scored), which the caller has checked
 * against igr_rec_embedding() (igr_index_check).  Each user's candidates
 * are the index's best L + MARGIN + (the user's excluded items) by inner
 * product, searched with EFFORT (0: the index's default); rules 1-3 are
 * then applied to them exactly and their scores computed from the
 * vectors, as the exhaustive path computes them.  Users the candidates
 * leave short of L items are scored against every item. */
void igr_rec_set_index(igr_rec *r, const struct igr_index *x,
		       uint32_t margin, uint32_t effort);

struct igr_rec_ann_stats {
	uint64_t users;  /* users given to the index path */
	uint64_t exact;  /* of which scored against every item instead */
};
void igr_rec_ann_stats(const igr_rec *r, struct igr_rec_ann_stats *st);

/* 1 if the model can explain its scores (its own explain member, or an
 * embedding: the user's items closest to the recommended one). */
int igr_rec_can_explain(const igr_rec *r);

/* The popularity of item I in the current graph, in [0, 1]. */
float igr_rec_popularity(const igr_rec *r, uint32_t i);

/* Category of item I (the heaviest item->category edge) or IGR_NONE. */
uint32_t igr_rec_category(const igr_rec *r, uint32_t i);

/* ---- results ------------------------------------------------------- */

typedef struct igr_rec_list {
	uint8_t query_type;   /* IGR_USER, IGR_ITEM or IGR_CATEGORY */
	uint32_t query;       /* its id (a campaign: its first item) */
	int fallback;         /* 1: popularity fallback */
	uint32_t n;           /* entries in hits */
	igr_hit *hits;        /* best first: items, or users (audiences) */
	uint32_t *nwhy;       /* with explain: contributions per hit */
	igr_contrib *why;     /* with explain: hit h's at why[h * explain] */
} igr_rec_list;

typedef struct igr_rec_batch {
	size_t n;             /* lists */
	igr_rec_list *lists;
	/* storage */
	size_t cap, slots;
	igr_hit *hits;
	uint32_t *nwhy;
	igr_contrib *why;
} igr_rec_batch;

void igr_rec_batch_init(igr_rec_batch *b);
void igr_rec_batch_free(igr_rec_batch *b);

/* Top-K items for USERS[0..n): B->lists[j] is user j's list. */
int igr_rec_users(igr_rec *r, const uint32_t *users, size_t n,
		  igr_rec_batch *b) IGR_WUR;

/* Top-K items similar to each of ITEMS[0..n) (never the item itself);
 * exclusion rules do not apply (there is no user).  -1 with an error if
 * the model has no item-to-item scores. */
int igr_rec_similar(igr_rec *r, const uint32_t *items, size_t n,
		    igr_rec_batch *b) IGR_WUR;

/* An audience query: one item, a category (all its items), or a
 * campaign (several items).  A user's score for the query is the largest
 * of their scores for its items. */
struct igr_audience {
	uint8_t type;          /* IGR_ITEM (one or several items) or
				  IGR_CATEGORY */
	uint32_t id;           /* the item / category id shown in output */
	size_t nitems;         /* items (IGR_ITEM) */
	const uint32_t *items;
};

/* Top-K users for each query, among USERS[0..nu) (NULL: every user of
 * the graph).  Users the model knows nothing about are left out; the
 * exclusion rule removes users who saw/bought an item of the query.  One
 * pass over the users scores every query's items together. */
int igr_rec_audience(igr_rec *r, const struct igr_audience *q, size_t nq,
		     const uint32_t *users, size_t nu,
		     igr_rec_batch *b) IGR_WUR;

/* ---- interest points (igraph-propagate) ------------------------------ */

/* User U's top categories: each of the model's top M items for U (seen
 * items included) gives its category 1/log2(rank + 1) (the DCG discount,
 * free of the model's score scale); strengths are normalised to sum 1 and
 * the best P categories form user j's list in B (hits: id = category,
 * score = strength; nwhy[h] = how many of the top items are in it).
 * Users the model knows nothing about get their categories from their
 * own edges (weights summed by category), flagged `fallback`.  Needs
 * item->category edges. */
int igr_rec_interest(igr_rec *r, const uint32_t *users, size_t n, uint32_t m,
		     uint32_t p, igr_rec_batch *b) IGR_WUR;

#endif
