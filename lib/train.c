/* train.c - what the trainers share: reading their options, the
 * options several models take, the training data summary (see train.h). */
#include "train.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Options of more than one kind of model (train.h). */
const struct igr_train_param igr_param_lr = { "lr", IGR_P_NUM, 1e-9, 1, "x",
	  "mlp, seq: Adam step size (default 0.001); mf,\n"
	  "lightgcn: first step of the cosine schedule (0.01,\n"
	  "0.005)" };
const struct igr_train_param igr_param_batch = { "batch", IGR_P_INT, 1, 1000000, "n",
	  "mlp: rows per mini-batch (default 512); mf,\n"
	  "lightgcn: positive pairs per step (2048, 65536);\n"
	  "seq: users per step (256)" };
const struct igr_train_param igr_param_epochs = { "epochs", IGR_P_INT, 1, 100000, "n",
	  "mlp: passes over the training rows (default 30);\n"
	  "mf, lightgcn: as many pairs as edges (40, 300);\n"
	  "seq: passes over the users (100)" };
const struct igr_train_param igr_param_valid = { "valid", IGR_P_STR, 0, 0, "file",
	  "mlp: features stream of a later cut, for early\n"
	  "stopping; mf, lightgcn: held-out user->item pairs\n"
	  "(events or graph): recall@20 reported, best kept;\n"
	  "seq: each user's next event (events), best NDCG@20\n"
	  "kept, early stopping" };
const struct igr_train_param igr_param_dropout = { "dropout", IGR_P_NUM, 0, 0.9, "p",
	  "mlp: dropout of hidden units while training\n"
	  "(default 0.1); seq: of the hidden states (0.5)" };
const struct igr_train_param igr_param_patience = { "patience", IGR_P_INT, 0, 100000, "n",
	  "mlp: stop after N epochs without a better\n"
	  "validation score (default 3; 0: never); seq: after\n"
	  "N validations without a better NDCG@20 (10)" };

static const cJSON *given(const struct igr_train_ctx *ctx, const char *name)
{
	return ctx && ctx->params
		       ? cJSON_GetObjectItemCaseSensitive(ctx->params, name)
		       : NULL;
}

int igr_train_given(const struct igr_train_ctx *ctx, const char *name)
{
	return given(ctx, name) != NULL;
}

static void record(igr_model *m, const char *name, cJSON *v)
{
	cJSON *p = m != NULL ? igr_model_params(m) : NULL;

	if (p == NULL || v == NULL) {
		cJSON_Delete(v);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(p, name);
	cJSON_AddItemToObject(p, name, v);
}

double igr_train_num(const struct igr_train_ctx *ctx, igr_model *m,
		     const char *name, double def)
{
	const cJSON *v = given(ctx, name);
	double x = cJSON_IsNumber(v) ? v->valuedouble : def;

	record(m, name, cJSON_CreateNumber(x));
	return x;
}

const char *igr_train_str(const struct igr_train_ctx *ctx, igr_model *m,
			  const char *name, const char *def)
{
	const cJSON *v = given(ctx, name);
	const char *s = cJSON_IsString(v) ? v->valuestring : def;

	record(m, name, s ? cJSON_CreateString(s) : cJSON_CreateNull());
	return s;
}

int igr_train_flag(const struct igr_train_ctx *ctx, igr_model *m,
		   const char *name)
{
	int on = cJSON_IsTrue(given(ctx, name));

	record(m, name, cJSON_CreateBool(on));
	return on;
}

int igr_train_data_summary(igr_model *m, const igr_graph *g,
			   const char *source)
{
	cJSON *d = igr_model_data(m);
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	double wsum = 0;
	uint64_t k, active = 0;
	uint32_t u;

	if (d == NULL)
		return igr_error("out of memory");
	if (ui != NULL) {
		for (k = 0; k < ui->nnz; k++)
			wsum += ui->w[k];
		for (u = 0; u < ui->nrows; u++)
			active += ui->ptr[u + 1] > ui->ptr[u];
	}
	if (cJSON_AddNumberToObject(d, "users", g->n[IGR_USER]) == NULL ||
	    cJSON_AddNumberToObject(d, "items", g->n[IGR_ITEM]) == NULL ||
	    cJSON_AddNumberToObject(d, "categories", g->n[IGR_CATEGORY]) ==
		    NULL ||
	    cJSON_AddNumberToObject(d, "active_users", (double)active) ==
		    NULL ||
	    cJSON_AddNumberToObject(d, "user_item_edges",
				    ui ? (double)ui->nnz : 0) == NULL ||
	    cJSON_AddNumberToObject(d, "user_item_weight", wsum) == NULL)
		return igr_error("out of memory");
	if (g->has_now &&
	    cJSON_AddNumberToObject(d, "now", (double)g->now) == NULL)
		return igr_error("out of memory");
	if (isfinite(g->half_life) &&
	    cJSON_AddNumberToObject(d, "half_life", g->half_life) == NULL)
		return igr_error("out of memory");
	if (source != NULL &&
	    cJSON_AddStringToObject(d, "source", source) == NULL)
		return igr_error("out of memory");
	return 0;
}
