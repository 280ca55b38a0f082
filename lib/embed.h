/*
 * embed.h - the shared embedding scorer: users x items through sgemm,
 * fused with a per-user top-K, so the users x items score matrix is never
 * held.
 *
 * Any model whose score is a dot product (BPR-MF, LightGCN, anything with
 * final user and item vectors) serves through this module.  The model
 * keeps its final vectors (e.g. as model arrays "user" and "item", f32,
 * n x dim, row-major) and implements the `embedding` member of struct
 * igr_model_ops (model.h) to describe them in an igr_embed:
 *
 *     score(u, i) = dot(U[u], V[i]) (+ item_bias[i] when not NULL)
 *
 * igraph-recommend then scores blocks of users against blocks of items
 * with OpenBLAS cblas_sgemm (a block of scores stays in cache), removes
 * the excluded items of each user (seen/bought/blocked) from the block,
 * and pushes what is left through a bounded heap (topk.h) per user.  Cost:
 * users x items x dim x 2 FLOP in sgemm, plus one comparison per score.
 *
 * The generic helpers at the end implement the other ops members
 * (score_users, score_items, dim, user_vector for trained users) for any
 * model that implements `embedding`, so an embedding model needs only
 * `embedding`, its own `prepare` (e.g. new users' vectors from the current
 * graph) and optionally `user_vector` for users added after training.
 *
 * Threads: igr_embed_topk() and igr_embed_scores() run OpenMP over user
 * blocks; call them from outside a parallel region (inside one they run
 * on the calling thread).  OpenBLAS runs single-threaded inside them.
 *
 * Ownership: an igr_embed only points into memory owned by the model (or
 * the caller); nothing here frees it.  Outputs are caller-allocated.
 */
#ifndef IGR_EMBED_H
#define IGR_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "topk.h"

typedef struct igr_embed {
	uint32_t dim;
	uint32_t nusers;         /* rows of `user` (0 when user is NULL) */
	uint32_t nitems;         /* rows of `item` */
	const float *user;       /* nusers x dim row-major, or NULL */
	const float *item;       /* nitems x dim row-major */
	const float *item_bias;  /* nitems values, or NULL */
	/* dim 1 without a bias (the popularity model): the item ids by
	 * descending value, NaN last (igr_embed_order()), or NULL.  Every
	 * user's ranking is then this order (reversed for a negative
	 * vector), and igr_embed_topk() walks it: K plus the user's
	 * excluded items a user instead of every item. */
	const uint32_t *order;
} igr_embed;

/* The order above for E (dim 1): a new array of e->nitems ids into
 * *ORDER.  0 or -1 (out of memory). */
int igr_embed_order(const igr_embed *e, uint32_t **order) IGR_WUR;

/* What igr_embed_topk() must leave out.  Every member may be NULL/none. */
typedef struct igr_embed_rules {
	/* Per-user excluded items: row USERS[j] of this CSR (seen items,
	 * bought items ...).  Rows beyond nrows exclude nothing. */
	const igr_csr *exclude;
	/* Per-item flags (nitems): nonzero = never returned (block list,
	 * items outside an allow list). */
	const uint8_t *blocked;
	/* Nonzero: the excluded items score 0 instead of leaving the
	 * ranking (the published leave-one-out protocol, recommend.h
	 * IGR_EXCL_ZERO). */
	int exclude_as_zero;
	/* Scores below this are never returned (-INFINITY: no limit). */
	float min_score;
	/* Tie rank per item (lower first), e.g. the popularity rank, or
	 * NULL for lower id first. */
	const uint32_t *tie;
} igr_embed_rules;

/* Initialise R to "nothing excluded". */
void igr_embed_rules_init(igr_embed_rules *r);

/*
 * Top-K items for NU users.  USERS[j] is user j's id (for the exclusion
 * rows); UVEC holds their vectors, NU x e->dim row-major (row j = user j;
 * e.g. rows of e->user, or vectors of new users).  OUT receives NU x K
 * hits, user j's best first at OUT[j*K]; NOUT[j] is how many were found
 * (less than K only when fewer items pass the rules).  NaN scores are
 * skipped.  Returns 0 or -1 (out of memory).
 */
int igr_embed_topk(const igr_embed *e, const uint32_t *users,
		   const float *uvec, size_t nu, uint32_t k,
		   const igr_embed_rules *r, igr_hit *out,
		   uint32_t *nout) IGR_WUR;

/*
 * Dense scores: OUT[j * ni + c] = score(user j, ITEMS[c]) for the NU user
 * vectors in UVEC (row-major NU x dim).  ITEMS NULL means all items, with
 * NI = e->nitems.  Ids >= e->nitems score -INFINITY.  Returns 0 or -1.
 */
int igr_embed_scores(const igr_embed *e, const float *uvec, size_t nu,
		     const uint32_t *items, size_t ni, float *out) IGR_WUR;

/*
 * Measured sgemm rate (GFLOP/s) at the scoring shape: users x NITEMS
 * items x DIM, for about SECONDS, the better of (a) the tiles and threads
 * of igr_embed_topk() without the selection and (b) large calls that
 * OpenBLAS threads itself.  For the "arithmetic limit" of --timing.
 * Returns a rate > 0, or -1.
 */
double igr_embed_sgemm_rate(uint32_t dim, uint32_t nitems, double seconds);

/* ---- generic ops for embedding models (see model.h) ---------------- */

struct igr_model;

/* score_users / score_items / dim / user_vector in terms of
 * ops->embedding (and ops->user_vector for users without a row in
 * e->user, when the model's own user_vector is not this one).
 * igr_embed_score_items is cosine similarity of item vectors. */
int igr_embed_score_users(const struct igr_model *m, const igr_graph *g,
			  const uint32_t *users, size_t nu,
			  const uint32_t *items, size_t ni, float *out);
int igr_embed_score_items(const struct igr_model *m, const igr_graph *g,
			  const uint32_t *items, size_t nq, float *out);
uint32_t igr_embed_dim(const struct igr_model *m);
/* User U's row of e->user; returns IGR_UNKNOWN_USER for a user without
 * one (a model that can place new users supplies its own user_vector). */
int igr_embed_user_vector(const struct igr_model *m, const igr_graph *g,
			  uint32_t u, float *out);

/* Dot product summed in index order.  Scores a user sees (fold-in of new
 * users, explanations) use it rather than a vectorised sum, whose order
 * of additions, and so whose last bits, follow the compiler's vector
 * width. */
static inline float igr_dot_seq(const float *a, const float *b, size_t n)
{
	float s = 0;
	size_t k;

	for (k = 0; k < n; k++)
		s += a[k] * b[k];
	return s;
}

#endif
