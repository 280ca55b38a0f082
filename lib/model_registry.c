/*
 * model_registry.c - the model types igraph knows, by name: the one list
 * igraph-train and the serving tools consult (train.h, model.h).  A new
 * model is a file pair in lib/models/ and one line here; the order is the
 * order of igraph-train --help.
 */
#include "model.h"
#include "train.h"
#include "models/gf.h"
#include "models/itemknn.h"
#include "models/lightgcn.h"
#include "models/mf.h"
#include "models/mlp.h"
#include "models/pop.h"
#include "models/seq.h"
#include "models/vectors.h"

#include <string.h>

const struct igr_model_type *const igr_model_types[] = {
	&igr_pop_model,
	&igr_itemknn_model,
	&igr_mlp_model,
	&igr_vectors_model,
	&igr_gf_model,
	&igr_mf_model,
	&igr_lightgcn_model,
	&igr_seq_model,
	NULL,
};

const struct igr_model_type *igr_model_type_find(const char *name)
{
	size_t i;

	for (i = 0; igr_model_types[i] != NULL; i++)
		if (strcmp(igr_model_types[i]->name, name) == 0)
			return igr_model_types[i];
	return NULL;
}

int igr_model_type_accepts(const struct igr_model_type *t, const char *name)
{
	size_t i;

	for (i = 0; t->params[i] != NULL; i++)
		if (strcmp(t->params[i]->name, name) == 0)
			return 1;
	return 0;
}

const struct igr_model_ops *igr_model_ops_find(const char *name)
{
	const struct igr_model_type *t = igr_model_type_find(name);

	return t != NULL ? t->ops : NULL;
}
