/*
 * models/gf.h - the graph filter, GF-CF with BSPM sharpening (see gf.c).
 *
 * Ownership: igr_train_gf() returns a model the caller frees with
 * igr_model_free(); igr_gf_fit() adds arrays to the caller's model.
 */
#ifndef IGR_MODELS_GF_H
#define IGR_MODELS_GF_H

#include "learn.h"
#include "train.h"

extern const struct igr_model_type igr_gf_model;
extern const struct igr_model_ops igr_gf_ops;

/* Fit model M (new, named "gf") on the user -> item relation of G with
 * settings O: adds the model's arrays.  0 or -1. */
int igr_gf_fit(igr_model *m, const igr_graph *g,
	       const igr_learn_opts *o) IGR_WUR;
/* The train function: options from CTX, then igr_gf_fit(). */
igr_model *igr_train_gf(const igr_graph *g, const struct igr_train_ctx *ctx);

#endif
