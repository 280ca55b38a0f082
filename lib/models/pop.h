/*
 * models/pop.h - the popularity model (see pop.c).
 *
 * Ownership: igr_train_pop() returns a model the caller frees with
 * igr_model_free().
 */
#ifndef IGR_MODELS_POP_H
#define IGR_MODELS_POP_H

#include "train.h"

extern const struct igr_model_type igr_pop_model;
extern const struct igr_model_ops igr_pop_ops;

/* Item popularity (sum of user->item weights, or user count); CTX may be
 * NULL (the defaults). */
igr_model *igr_train_pop(const igr_graph *g, const struct igr_train_ctx *ctx);
int igr_check_pop(const struct igr_train_ctx *ctx);

#endif
