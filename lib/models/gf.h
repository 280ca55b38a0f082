/*
 * models/gf.h - the graph filter: GF-CF with BSPM sharpening, or ChebyCF's
 * Chebyshev filter (gf.c), with settings chosen on a holdout of the
 * user's own edges (gf.c's tuner).
 *
 * Ownership: igr_train_gf() returns a model the caller frees with
 * igr_model_free(); igr_gf_fit() adds arrays to the caller's model;
 * igr_gf_side_build() fills a side freed with igr_gf_side_free().
 */
#ifndef IGR_MODELS_GF_H
#define IGR_MODELS_GF_H

#include "learn.h"
#include "train.h"

extern const struct igr_model_type igr_gf_model;
extern const struct igr_model_ops igr_gf_ops;

enum { IGR_GF_BSPM = 0, IGR_GF_CHEBY = 1 };
#define IGR_GF_MAXDEG 12
#define IGR_GF_MAXEXACT 4

/* One filter setting. */
typedef struct igr_gf_spec {
	int filter;           /* IGR_GF_BSPM or IGR_GF_CHEBY */
	uint32_t rank;        /* singular vectors */
	double beta;          /* weight of the ideal low-pass term */
	double sharpen;       /* bspm: sharpening time (0: GF-CF) */
	uint32_t order;       /* bspm: Taylor order of the step */
	uint32_t degree;      /* cheby: Chebyshev degree */
	double flatness;      /* cheby: plateau exponent phi */
	double norm;          /* item degree scaling Di^-norm .. Di^norm */
	uint32_t exact;       /* powers of P applied exactly (1 .. 4) */
	uint32_t nbrs;        /* P pruned to its NBRS largest entries an
				 item (exact = 1), or 0: through the graph */
	int taylor;           /* 1: their coefficients are f's Taylor
				 coefficients at 0 (igraph 1.1's model, bspm),
				 not f's fit below the span's smallest
				 eigenvalue (cheby) */
} igr_gf_spec;

/* The response f(l) = sum_j A[j] l^j over P's spectrum (A has
 * IGR_GF_MAXDEG + 1 entries).  0 or -1. */
int igr_gf_response(const igr_gf_spec *s, double *a) IGR_WUR;

/* What scoring needs of a fitted filter (gf.c explains each array). */
typedef struct igr_gf_side {
	uint32_t k, w, ni;    /* rank, item_vm width (k or 2k), items */
	uint32_t nexact;      /* E: powers of P applied exactly */
	float coef[IGR_GF_MAXEXACT + 1]; /* c0 .. cE */
	float *vm;            /* ni x w */
	float *lambda, *h;    /* k */
	float *pre, *post;    /* ni or NULL */
	float *dinv;          /* ni, when w = 2k */
	/* The pruned sparse part (spec nbrs > 0), or NULL: each item's
	 * row of P cut to its largest entries (item i's neighbours
	 * pnbr[pptr[i] .. pptr[i + 1]), values psim), not owned by the
	 * side.  PFOLD 0: psim is P itself (the tuner's, shared by its
	 * settings; c1, pre and post applied in scoring); 1: psim is
	 * c1 pre_i P_ij post_j and the side is folded as the spectral
	 * form is (the model's: score = u . item_vm_j + the sparse part
	 * + c0 x_j). */
	const uint64_t *pptr;
	const uint32_t *pnbr;
	const float *psim;
	int pfold;
} igr_gf_side;

/* The top K singular values S and right vectors V (ncols x K) of RN, with
 * O's SVD settings and seed.  0 or -1. */
int igr_gf_svd(const igr_csr *rn, const igr_csr *rnt, uint32_t k,
	       const igr_learn_opts *o, float *s, float *v) IGR_WUR;
/* Build F for setting S from R~ (RN, RNT), the column sums DC, and the
 * top KV singular triplets (SV, V ncols x KV; S->rank <= KV uses the
 * first S->rank).  0 or -1. */
int igr_gf_side_build(igr_gf_side *f, const igr_gf_spec *s,
		      const igr_csr *rn, const igr_csr *rnt, const double *dc,
		      const float *sv, const float *v, uint32_t kv) IGR_WUR;
void igr_gf_side_free(igr_gf_side *f);

/* A filter bound to a graph: R (weights^power), its R~ and transpose. */
typedef struct igr_gf_scorer {
	igr_gf_side side;
	const igr_csr *r, *rn, *rnt;
	uint32_t ni;          /* row length of the scores: max(items) */
} igr_gf_scorer;

typedef struct igr_gf_ws igr_gf_ws;  /* buffers, reused across calls */
igr_gf_ws *igr_gf_ws_new(void) IGR_WUR;
void igr_gf_ws_free(igr_gf_ws *ws);
/* Users per igr_gf_score() call that keep the buffers near 256 MB. */
uint32_t igr_gf_block(const igr_gf_scorer *sc);
/* Scores of NU users into FULL (NU x sc->ni); threads inside.  WS from
 * igr_gf_ws_new().  0 or -1. */
int igr_gf_score(const igr_gf_scorer *sc, igr_gf_ws *ws,
		 const uint32_t *users, size_t nu, float *full) IGR_WUR;

/* The filter's sparse terms Y_j = x~ P^j (j = 1 .. sc->side.nexact; x~
 * the rows of NU users scaled by side.pre) into the rows of OUT[j - 1]
 * (LD floats apart, sc->r->ncols used); and the scores of a filter of the
 * same normalisation from them: what the tuner shares between settings.
 * 0 or -1. */
int igr_gf_powers(const igr_gf_scorer *sc, igr_gf_ws *ws,
		  const uint32_t *users, size_t nu, float *const *out,
		  size_t ld) IGR_WUR;
int igr_gf_score_powers(const igr_gf_scorer *sc, igr_gf_ws *ws,
			const uint32_t *users, size_t nu,
			const float *const *pw, size_t ld,
			float *full) IGR_WUR;

/* The largest rank (a multiple of 8, at least 32) at which serving
 * every one of USERS through a default pq index of ITEMS items stays
 * within the scan the train function allows (gf.c SERVE_SCAN); the
 * spectral and pruned forms are trained at most at this rank unless
 * --rank is given. */
uint32_t igr_gf_serve_rank(uint64_t users, uint64_t items);

/* The setting O describes. */
void igr_gf_spec_of(igr_gf_spec *s, const igr_learn_opts *o);
/* Fit model M (new, named "gf") on the user -> item relation of G with
 * settings O: adds the model's arrays.  0 or -1. */
int igr_gf_fit(igr_model *m, const igr_graph *g,
	       const igr_learn_opts *o) IGR_WUR;
/* The train function: options from CTX, the tuner, then igr_gf_fit(). */
igr_model *igr_train_gf(const igr_graph *g, const struct igr_train_ctx *ctx);

#endif
