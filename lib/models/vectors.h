/*
 * models/vectors.h - the "vectors" model: user and item vectors trained
 * elsewhere (a vectors stream), served as a dot-product model through the
 * embedding scorer (embed.h).  See vectors.c for how users without a
 * vector are placed.
 *
 * Ownership: igr_train_vectors() returns a model the caller frees with
 * igr_model_free().
 */
#ifndef IGR_MODELS_VECTORS_H
#define IGR_MODELS_VECTORS_H

#include "graph.h"
#include "model.h"
#include "train.h"

extern const struct igr_model_type igr_vectors_model;

/* Build the model from the vectors stream named by the --vectors option
 * (ctx->params), with G's summary.  NULL and an error on failure. */
igr_model *igr_train_vectors(const igr_graph *g,
			     const struct igr_train_ctx *ctx);

extern const struct igr_model_ops igr_vectors_ops;

#endif
