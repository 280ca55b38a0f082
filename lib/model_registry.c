/* model_registry.c - the model types igraph knows, by name.  A new model
 * module adds its ops here (one line each). */
#include "learn.h"
#include "mlp.h"
#include "model.h"
#include "train.h"
#include "vecmodel.h"

#include <string.h>

static const struct igr_model_ops *const registry[] = {
	&igr_pop_ops,
	&igr_itemknn_ops,
	&igr_mlp_ops,
	&igr_gf_ops,
	&igr_mf_ops,
	&igr_lightgcn_ops,
	&igr_vectors_ops,
	NULL,
};

const struct igr_model_ops *igr_model_ops_find(const char *name)
{
	size_t i;

	for (i = 0; registry[i] != NULL; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}
