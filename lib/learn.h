/*
 * learn.h - what the learned models share: settings, a seeded random
 * generator, BPR sampling, validation while training, progress reports
 * and checkpoints.
 *
 * The graph filter (models/gf.c), BPR matrix factorisation (models/mf.c)
 * and LightGCN (models/lightgcn.c) train from the user -> item relation of an interest graph.
 * igraph-train fills an igr_learn_opts (igr_learn_defaults() gives each
 * model's documented defaults), calls the model's train function and
 * saves the model it returns.
 *
 * Progress: the library never prints; a trainer calls opts->progress (if
 * set) after every epoch and every validation with an igr_learn_status.
 *
 * Validation (--valid FILE): a stream of (user, item) pairs held out from
 * training (an events or graph stream); every VALID_EVERY epochs the
 * trainer ranks all items not in the user's training row for every
 * validation user and reports recall@K and NDCG@K (lib/metrics), and the
 * model keeps the parameters of the best recall seen.
 *
 * Determinism: the generator is xoshiro256** (Blackman & Vigna 2018)
 * seeded through splitmix64; every trainer draws its samples from
 * per-thread generators seeded from (seed, epoch, thread), so the same
 * seed and thread count give the same model.
 *
 * Ownership: igr_valid_read() returns a set the caller frees with
 * igr_valid_free().
 */
#ifndef IGR_LEARN_H
#define IGR_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "rand.h"

/* ---- settings --------------------------------------------------------- */

/* mf's default --strata (dsgd.h): on Gowalla's benchmark split
 * (BENCHMARKS.md) recall@20 0.1578 with 4 strata (2 rounds), 0.1551 with
 * 8, against 0.1588 and 0.1581 (seeds 1 and 2) for the sampler over the
 * whole matrix: each block's negatives come from its own item range, and
 * a user's only from the ranges that hold their items, which costs more
 * the more ranges there are. */
#define IGR_DSGD_STRATA 4

typedef struct igr_learn_status {
	const char *model;
	uint32_t epoch, epochs;  /* epoch just finished (1-based) */
	double loss;             /* mean training loss of the epoch */
	double examples_per_s;
	double elapsed, eta;     /* seconds */
	int validated;           /* recall/ndcg are for this epoch */
	double recall, ndcg;     /* at valid_k */
	uint32_t best_epoch;
	double best_recall;
} igr_learn_status;

typedef struct igr_valid igr_valid;

typedef struct igr_learn_opts {
	/* learned models */
	uint32_t epochs;
	uint32_t dim;
	uint32_t layers;         /* LightGCN propagation layers */
	uint32_t strata;         /* mf: DSGD ranges of users and items */
	uint32_t batch;          /* positive pairs per gradient step */
	uint32_t negatives;      /* sampled negatives per positive */
	double lr, lr_final;     /* Adam step, cosine-annealed to lr_final */
	double reg;              /* L2 on the (layer-0) embeddings */
	double init_std;         /* N(0, init_std) initialisation */
	int init_svd;            /* start from the top singular vectors */
	double weight_power;     /* confidence = edge weight ^ power (0: off) */
	uint64_t seed;
	int threads;             /* 0: all cores (the caller sets OpenMP) */
	double time_limit;       /* seconds of training, 0: none */
	uint32_t stop_epoch;     /* tests: stop after this epoch as if
				    interrupted (0: never) */
	/* graph filter (gf) */
	uint32_t rank;           /* singular vectors of the low-pass term */
	uint32_t svd_iters, svd_oversample;
	double gf_beta;          /* weight of the ideal low-pass term */
	double gf_sharpen;       /* sharpening time T (0: none) */
	uint32_t gf_order;       /* Taylor order of the sharpening step */
	int gf_filter;           /* IGR_GF_BSPM or IGR_GF_CHEBY (models/gf.h) */
	double gf_norm;          /* item degree normalisation of the filter */
	uint32_t gf_degree;      /* Chebyshev degree (cheby) */
	double gf_flatness;      /* plateau flatness (cheby) */
	uint32_t gf_exact;       /* powers of P applied through the graph */
	uint32_t gf_nbrs;        /* P pruned to this many entries an item
				    (0: exact) */
	/* validation and checkpoints */
	const igr_valid *valid;
	uint32_t valid_every;    /* epochs between validations (0: end only) */
	uint32_t valid_k;        /* cutoff (20) */
	const char *checkpoint;  /* file written every checkpoint_every */
	uint32_t checkpoint_every;
	int resume;              /* continue from CHECKPOINT */
	void (*progress)(void *ctx, const igr_learn_status *st);
	void *progress_ctx;
	igr_valid *valid_owned;  /* read by igr_learn_opts_from_ctx() */
} igr_learn_opts;

/* The documented defaults of model NAME ("gf", "mf", "lightgcn"). */
void igr_learn_defaults(igr_learn_opts *o, const char *name);

/* ---- validation ----------------------------------------------------- */

struct igr_valid {
	uint32_t nusers;      /* user id bound */
	uint64_t *ptr;        /* nusers + 1 */
	uint32_t *item;       /* truth items per user, ascending, distinct */
	uint32_t nlisted;     /* users with at least one item */
	uint32_t *users;      /* those users, ascending */
};

/* Read (user, item) pairs from an events or graph stream (user -> item
 * edges; other edges are ignored).  Repeats are merged. */
igr_valid *igr_valid_read(const char *path) IGR_WUR;
/* A set from pairs in memory (tests, the benchmark harness). */
igr_valid *igr_valid_from_pairs(const uint32_t *users, const uint32_t *items,
				size_t n) IGR_WUR;
void igr_valid_free(igr_valid *v);

/* Scores of NU users (USERS) against all NITEMS items into OUT (NU x
 * NITEMS, row-major); 0 or -1. */
typedef int (*igr_score_fn)(void *ctx, const uint32_t *users, size_t nu,
			    float *out);

/* Rank every item outside the user's row of EXCLUDE (the training edges;
 * NULL: none) for each listed validation user and average recall@K and
 * NDCG@K over them.  SCORE is called from one thread at a time with up
 * to 256 users.  0 or -1. */
int igr_valid_eval(const igr_valid *v, uint32_t nitems, uint32_t k,
		   const igr_csr *exclude, igr_score_fn score, void *ctx,
		   double *recall, double *ndcg) IGR_WUR;

/* The same, with each listed user's recall@K in EACH[nlisted] (in
 * v->users order; NULL: not wanted), for paired comparisons. */
int igr_valid_eval_each(const igr_valid *v, uint32_t nitems, uint32_t k,
			const igr_csr *exclude, igr_score_fn score, void *ctx,
			double *recall, double *ndcg, double *each) IGR_WUR;

/* ---- helpers for the trainers ----------------------------------------- */

/* Cosine-annealed step size at fraction T (0..1) of training. */
double igr_learn_lr(const igr_learn_opts *o, double t);
/* 1 when O has a --time-limit and the training that began at START
 * (igr_now()) has used it up: the trainers check it after every step, so
 * a run stops within a step of its limit, not at the end of an epoch
 * that may take minutes (the 100M-event log: over 5 minutes). */
int igr_learn_out_of_time(const igr_learn_opts *o, double start);

/* Fill the status times from START and report it through o->progress. */
void igr_learn_report(const igr_learn_opts *o, igr_learn_status *st,
		      double start, uint64_t examples);

/* Fill O for model NAME from igraph-train's options (train.h): the
 * defaults of igr_learn_defaults() overridden by the options given, every
 * value used recorded in M's "params" under its option name.  Reads the
 * --valid file.  0 or -1 (the caller frees O->valid with
 * igr_learn_opts_release()). */
struct igr_model;
struct igr_train_ctx;
int igr_learn_opts_from_ctx(igr_learn_opts *o, const char *name,
			    const struct igr_train_ctx *ctx,
			    struct igr_model *m) IGR_WUR;
void igr_learn_opts_release(igr_learn_opts *o);

/* Append (epoch, seconds, recall, ndcg) to the model's "data.curve" (the
 * training curve that scripts/plot-curves draws).  0 or -1. */
int igr_learn_curve_add(struct igr_model *m, uint32_t epoch, double seconds,
			double recall, double ndcg) IGR_WUR;
/* Record in M's data that the time limit ended epoch EPOCH after PART
 * (0..1) of its steps.  0 or -1. */
int igr_learn_note_cut(struct igr_model *m, uint32_t epoch, double part);

/* The user -> item relation of G as a matrix of NU x NI (ids beyond the
 * relation's own bounds included), weights raised to POWER (0: binary).
 * A graph without user -> item edges is an error. */
igr_csr *igr_learn_matrix(const igr_graph *g, double power) IGR_WUR;

/* ---- BPR (Rendle et al., UAI 2009) ---------------------------------- */

/* Users with at least one edge in R, ascending, into a new array (*N of
 * them); NULL with an error if there are none. */
uint32_t *igr_bpr_active(const igr_csr *r, uint32_t *n) IGR_WUR;

/* Draw B triples as LightGCN's reference sampler does (He et al., SIGIR
 * 2020, code): a user uniformly among ACTIVE, one of their items
 * uniformly, and a negative uniformly among the items outside their row
 * (rejection; a user whose row holds every item gets a random item). */
void igr_bpr_sample(const igr_csr *r, const uint32_t *active,
		    uint32_t nactive, igr_rng *rng, size_t b, uint32_t *u,
		    uint32_t *i, uint32_t *j);

/* N more negatives for each of the B users U (as igr_bpr_sample draws
 * them) into OUT[b * N + c]: candidates for dynamic negative sampling. */
void igr_bpr_negatives(const igr_csr *r, igr_rng *rng, const uint32_t *u,
		       size_t b, uint32_t n, uint32_t *out);

/* Dot product of two float vectors. */
float igr_dot(const float *a, const float *b, size_t n);

/* BPR loss of one triple and its gradient on the three DIM-vectors: with
 * d = x_uj - x_ui, loss softplus(d); *C receives sigmoid(d), the factor of
 * dL/dx_uj (and -dL/dx_ui). */
double igr_bpr_pair(const float *eu, const float *ei, const float *ej,
		    size_t dim, float *c);

/* ---- options the learned models share (their help names the models) */

struct igr_train_param;
extern const struct igr_train_param igr_param_dim, igr_param_reg,
	igr_param_lr_final, igr_param_negatives, igr_param_init_svd,
	igr_param_time_limit, igr_param_valid_every, igr_param_checkpoint,
	igr_param_resume, igr_param_weight_power, igr_param_int8;

/* The options of the BPR embedding trainer (mf, lightgcn): the list
 * entries of their struct igr_model_type params. */
#define IGR_BPR_PARAMS                                                       \
	&igr_param_epochs, &igr_param_dim, &igr_param_lr,                    \
		&igr_param_lr_final, &igr_param_reg, &igr_param_batch,       \
		&igr_param_negatives, &igr_param_init_svd,                   \
		&igr_param_time_limit, &igr_param_valid,                     \
		&igr_param_valid_every, &igr_param_checkpoint,               \
		&igr_param_resume, &igr_param_weight_power, &igr_param_int8

/* ---- what the learned models share to train ------------------------- */

/* The train function of a learned model NAME (train.h): a new model,
 * its settings from CTX, the training data summary, then FIT.  Returns
 * the model or NULL with an error. */
struct igr_model *igr_learn_train(const char *name, const igr_graph *g,
				  const struct igr_train_ctx *ctx,
				  int (*fit)(struct igr_model *,
					     const igr_graph *,
					     const igr_learn_opts *)) IGR_WUR;

#endif
