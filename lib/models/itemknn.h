/*
 * models/itemknn.h - item-kNN, asymmetric cosine neighbourhoods (see
 * itemknn.c).
 *
 * Ownership: igr_train_itemknn() returns a model the caller frees with
 * igr_model_free().
 */
#ifndef IGR_MODELS_ITEMKNN_H
#define IGR_MODELS_ITEMKNN_H

#include "train.h"

extern const struct igr_model_type igr_itemknn_model;
extern const struct igr_model_ops igr_itemknn_ops;

/* Item-item neighbourhoods of G's user->item relation. */
igr_model *igr_train_itemknn(const igr_graph *g,
			     const struct igr_train_ctx *ctx);

#endif
