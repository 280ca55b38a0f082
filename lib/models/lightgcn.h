/*
 * models/lightgcn.h - LightGCN (He et al., SIGIR 2020) and the BPR
 * embedding trainer it shares with mf (see lightgcn.c).
 *
 * Ownership: igr_train_lightgcn() returns a model the caller frees with
 * igr_model_free(); the fit functions add arrays to the caller's model.
 */
#ifndef IGR_MODELS_LIGHTGCN_H
#define IGR_MODELS_LIGHTGCN_H

#include <stddef.h>
#include <stdint.h>

#include "learn.h"
#include "sparse.h"
#include "train.h"

extern const struct igr_model_type igr_lightgcn_model;
extern const struct igr_model_ops igr_lightgcn_ops;

/* Fit model M (new, named "lightgcn") on the user -> item relation of G
 * with settings O.  0 or -1. */
int igr_lightgcn_fit(igr_model *m, const igr_graph *g,
		     const igr_learn_opts *o) IGR_WUR;
igr_model *igr_train_lightgcn(const igr_graph *g,
			      const struct igr_train_ctx *ctx);

/* The BPR loop shared by LightGCN (LAYERS > 0) and MF (LAYERS 0): the
 * model's arrays are named after NAME's conventions. */
int igr_emb_fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o,
		uint32_t layers, const char *name) IGR_WUR;
/* For the gradient checks: the loss (BPR mean + reg/2 * squared norms of
 * the batch's layer-0 rows / B) of the fixed triples (U, I, J)[0..B) for
 * layer-0 embeddings E0 ((nrows + ncols) x D, users first) of a LightGCN
 * with LAYERS on R (0: MF), and its gradient into GRAD (same shape).
 * NaN on failure. */
double igr_emb_loss_grad(const igr_csr *r, uint32_t layers, const float *e0,
			 uint32_t d, const uint32_t *u, const uint32_t *i,
			 const uint32_t *j, size_t b, double reg, float *grad);

#endif
