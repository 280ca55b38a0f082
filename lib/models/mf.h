/*
 * models/mf.h - BPR matrix factorisation (see mf.c): LightGCN with no
 * layers.
 *
 * Ownership: igr_train_mf() returns a model the caller frees with
 * igr_model_free(); igr_mf_fit() adds arrays to the caller's model.
 */
#ifndef IGR_MODELS_MF_H
#define IGR_MODELS_MF_H

#include "learn.h"
#include "train.h"

extern const struct igr_model_type igr_mf_model;
extern const struct igr_model_ops igr_mf_ops;

/* Fit model M (new, named "mf") on the user -> item relation of G with
 * settings O.  0 or -1. */
int igr_mf_fit(igr_model *m, const igr_graph *g,
	       const igr_learn_opts *o) IGR_WUR;
igr_model *igr_train_mf(const igr_graph *g, const struct igr_train_ctx *ctx);

#endif
