/*
 * dsgd.h - BPR matrix factorisation (igraph-train --model mf) by DSGD
 * strata (Gemulla, Nijkamp, Haas and Sismanis, "Large-scale matrix
 * factorization with distributed stochastic gradient descent", KDD 2011),
 * on one rank or several (par.h).
 *
 * Blocks.  Users (in id order) and items (in an order drawn from the
 * seed: ids follow the log, so a run of ids goes with a run of users) are
 * each cut into S ranges of about equal edge counts (igr_par_split:
 * integer arithmetic, the same on every rank), so the user x item matrix
 * is S x S blocks.  S (--strata) is a setting, never the rank count, so
 * the model does not depend on how many ranks train it.  An epoch is S
 * sub-epochs; sub-epoch q trains the stratum of the S blocks
 * (a, (a + p_q) mod S), p a permutation of 0 .. S-1 drawn per epoch from
 * the seed.  The blocks of a stratum share no user range and no item
 * range: they touch disjoint rows of the tables (and of Adam's moments),
 * so they train independently, on OpenMP threads or on ranks, with one
 * result.
 *
 * Rounds.  An epoch passes over the S strata R times (each pass in its own
 * order), a block training 1/R of its samples a pass, so that a user meets
 * about IGR_DSGD_RUN of their samples in a row from one item range.  One
 * pass (Gemulla's schedule) learned about half as fast per epoch on the
 * generated 100M-event log (some 17 samples a user in a row; the user's
 * row drifts toward the one range), where Gowalla (7) lost nothing
 * (BENCHMARKS.md "mf by DSGD strata: rounds").  R comes from the graph
 * (edges, active users, S), never from the rank count.
 *
 * Within a block: BPR mini-batches (Rendle et al., UAI 2009) of --batch / S
 * triples (a row is hit as often a step as by a serial step of --batch
 * over the whole matrix), lazy sparse Adam on the rows they touch
 * (adam.h), the per-sample terms summed in sample order.  A user is drawn
 * with probability (their edges in the block) / (their edges), one of
 * their edges in the block uniformly, each negative uniformly in the
 * block's item range outside the user's row (the best-scored of
 * --negatives candidates: dynamic negative sampling).  A block's share of
 * an epoch's samples (as many as edges) is nnz * W_ab / (active users),
 * W_ab the sum of those weights, so over an epoch every active user is
 * drawn equally often in expectation, as igr_bpr_sample() draws them.  A
 * block's generator is seeded from (seed, epoch, block), never from who
 * trains it; step k of a block in a sub-epoch is Adam step t0 + k + 1, t0
 * the count before the sub-epoch, which then advances by the longest
 * block's steps.
 *
 * Several ranks: rank r owns the user ranges a with a mod N = r and trains
 * their blocks; before each sub-epoch every item range goes, with its Adam
 * moments, from the rank that trained it to the rank that trains it next
 * (point-to-point, counted under the step "mf: item blocks").  Validation,
 * checkpoints and the end need every row on rank 0: igr_dsgd_gather()
 * ("mf: gather").  Each rank holds whole tables, up to date in the rows it
 * owns or holds.  A time limit is rank 0's clock, passed on between
 * sub-epochs.
 *
 * Ownership: igr_dsgd_new() keeps pointers to R, O, the table X and Adam
 * A, which must outlive the schedule; igr_dsgd_free() frees the rest.
 */
#ifndef IGR_DSGD_H
#define IGR_DSGD_H

#include <stddef.h>
#include <stdint.h>

#include "adam.h"
#include "learn.h"
#include "sparse.h"

#define IGR_DSGD_MIN_ROWS 64 /* users and items a range, on average */
#define IGR_DSGD_MIN_ITEMS 5000 /* items a range when S is not given */
#define IGR_DSGD_RUN 4        /* a user's samples a block a round */
#define IGR_DSGD_MAX_ROUNDS 64

typedef struct igr_dsgd igr_dsgd;

/* The S used for R when STRATA are asked for: at most one range per
 * IGR_DSGD_MIN_ROWS users and items (a small graph gets fewer, down to
 * 1, one block: plain BPR-MF), so that a range has negatives to draw.
 * STRATA 0 (not given): IGR_DSGD_STRATA, fewer where a range would have
 * under IGR_DSGD_MIN_ITEMS items (a block's negatives come from its own
 * item range, and narrow ranges cost recall: BENCHMARKS.md "Strata on
 * the small sets"). */
uint32_t igr_dsgd_strata(const igr_csr *r, uint32_t strata);

/* Passes over the strata an epoch for NNZ edges of ACTIVE users in STRATA
 * ranges: ceil(NNZ / (IGR_DSGD_RUN * STRATA * ACTIVE)), 1 to
 * IGR_DSGD_MAX_ROUNDS. */
uint32_t igr_dsgd_rounds(uint64_t nnz, uint64_t active, uint32_t strata);

/* The rounds S's schedule uses. */
uint32_t igr_dsgd_rounds_of(const igr_dsgd *s);

/* The schedule of R (nu x ni, the trainer's matrix: weights ^ power)
 * with STRATA ranges of users and of items, training the rows of X
 * ((nu + ni) x o->dim, users first) with Adam A (moments of X's shape),
 * with O's batch, negatives, reg, seed, weight_power and time_limit.
 * NULL with the error set. */
igr_dsgd *igr_dsgd_new(const igr_csr *r, uint32_t strata,
		       const igr_learn_opts *o, float *x,
		       igr_adam *a) IGR_WUR;
void igr_dsgd_free(igr_dsgd *s);

/* Samples in a whole epoch (every block's). */
uint64_t igr_dsgd_samples(const igr_dsgd *s);

/* Train epoch EPOCH (0-based) at step size LR: *LOSS gets the sum of the
 * BPR terms of its samples (over every rank), *DONE how many samples were
 * trained, *CUT 1 when the time limit of training started at START
 * (igr_now()) ended the epoch early: within a step on one rank, between
 * sub-epochs on several.  Advances a->t.  Collective.  0 or -1. */
int igr_dsgd_epoch(igr_dsgd *s, uint32_t epoch, float lr, double start,
		   double *loss, uint64_t *done, int *cut) IGR_WUR;

/* Several ranks: the current values of every row (with MOMENTS, Adam's
 * moments too) to rank 0.  Collective; nothing on one rank.  0 or -1. */
int igr_dsgd_gather(igr_dsgd *s, int moments) IGR_WUR;

/* BPR-MF on B triples (U, I, J) at the rows of X (users then items of R:
 * item i is row nu + i): the per-sample factors C[s] (W[s] sigmoid(d) /
 * B, W NULL: 1) and terms LOSS[s] (W[s] softplus(d)) from the triples as
 * they are, then the gradient (+ reg / B of each row per use) of the rows
 * touched, into GRAD[k * dim] for ROWS[k] (distinct, first use first;
 * *NR of them).  SLOT: one int per row of X, -1 on entry and on return.
 * Returns the sum of LOSS. */
double igr_mf_batch_grad(const float *x, uint32_t nu, uint32_t dim,
			 const uint32_t *u, const uint32_t *i,
			 const uint32_t *j, const float *w, size_t b,
			 double reg, float *c, double *loss, int32_t *slot,
			 uint32_t *rows, float *grad, size_t *nr);

#endif
