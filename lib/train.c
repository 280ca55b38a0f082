/* train.c - igraph-train's model and option tables (see train.h). */
#include "train.h"
#include "error.h"
#include "learn.h"
#include "mlp.h"
#include "vecmodel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * Hyper-parameter options of igraph-train, one line each.  The --help
 * text names the models an option applies to.  Keep the order: it is the
 * order of --help and of the man page.
 */
const struct igr_train_param igr_train_params[] = {
	{ "popularity", IGR_P_STR, 0, 0, "how",
	  "pop: rank items by 'weight' (sum of edge weights,\n"
	  "the default) or 'users' (number of users)" },
	{ "neighbours", IGR_P_INT, 1, 100000, "n",
	  "itemknn: neighbours kept per item (default 200)" },
	{ "shrink", IGR_P_NUM, 0, 1e9, "x",
	  "itemknn: shrinkage added to the cosine denominator\n"
	  "(default 0)" },
	{ "alpha", IGR_P_NUM, 0, 1, "x",
	  "itemknn: asymmetric cosine exponent, 0.5 = cosine\n"
	  "(default 0.85)" },
	{ "user-damping", IGR_P_NUM, 0, 4, "x",
	  "itemknn: a user of degree d counts d^-x in\n"
	  "co-occurrences (default 1)" },
	{ "locality", IGR_P_NUM, 0.1, 10, "x",
	  "itemknn: similarities raised to this power\n"
	  "(default 1)" },
	{ "normalise", IGR_P_INT, 0, 1, "0|1",
	  "itemknn: 1 divides each item's similarities by\n"
	  "its largest (default 1)" },
	{ "binary", IGR_P_FLAG, 0, 0, NULL,
	  "itemknn: ignore edge weights (every edge counts 1)" },
	{ "hidden", IGR_P_STR, 0, 0, "sizes",
	  "mlp: hidden layer sizes, e.g. 64,32 (the default;\n"
	  "0: none, logistic regression)" },
	{ "activation", IGR_P_STR, 0, 0, "name",
	  "mlp: relu (the default), tanh or sigmoid" },
	{ "linear", IGR_P_INT, 0, 1, "0|1",
	  "mlp: 1 adds a linear term of the inputs to the\n"
	  "output (wide and deep; default 0)" },
	{ "dropout", IGR_P_NUM, 0, 0.9, "p",
	  "mlp: dropout of hidden units while training\n"
	  "(default 0.1)" },
	{ "l2", IGR_P_NUM, 0, 10, "x",
	  "mlp: L2 penalty on the weights (default 1e-4)" },
	{ "lr", IGR_P_NUM, 1e-9, 1, "x",
	  "mlp: Adam step size (default 0.001); mf, lightgcn:\n"
	  "first step of the cosine schedule (0.01, 0.005)" },
	{ "batch", IGR_P_INT, 1, 1000000, "n",
	  "mlp: rows per mini-batch (default 512); mf,\n"
	  "lightgcn: positive pairs per step (2048, 65536)" },
	{ "epochs", IGR_P_INT, 1, 100000, "n",
	  "mlp: passes over the training rows (default 30);\n"
	  "mf, lightgcn: as many pairs as edges (40, 300)" },
	{ "patience", IGR_P_INT, 0, 100000, "n",
	  "mlp: stop after N epochs without a better\n"
	  "validation score (default 3; 0: never)" },
	{ "stop", IGR_P_STR, 0, 0, "score",
	  "mlp: the validation score of early stopping: auc\n"
	  "(the default), logloss, ndcg (mean NDCG@20 of each\n"
	  "user's candidates) or gauc (mean per-user AUC)" },
	{ "neg-rate", IGR_P_NUM, 1e-6, 1, "r",
	  "mlp: keep each negative pair with probability R\n"
	  "(default 0.3)" },
	{ "pos-weight", IGR_P_NUM, 1e-3, 1e6, "w",
	  "mlp: weight of positive pairs in the loss\n"
	  "(default 5)" },
	{ "label", IGR_P_STR, 0, 0, "list",
	  "mlp: behaviours in the label period that make a\n"
	  "positive: buy (the default), cart, cart,buy ..." },
	{ "valid", IGR_P_STR, 0, 0, "file",
	  "mlp: features stream of a later cut, for early\n"
	  "stopping; mf, lightgcn: held-out user->item pairs\n"
	  "(events or graph): recall@20 reported, best kept" },
	{ "vectors", IGR_P_STR, 0, 0, "file",
	  "vectors: the vectors stream of user and item\n"
	  "vectors to serve (trained elsewhere)" },
	/* learned models: gf, mf, lightgcn (learn.h; --lr, --batch,
	 * --epochs and --valid above serve them too) */
	{ "dim", IGR_P_INT, 1, 4096, "n",
	  "mf, lightgcn: embedding dimension (default 64)" },
	{ "layers", IGR_P_INT, 1, 8, "n",
	  "lightgcn: propagation layers (default 3)" },
	{ "reg", IGR_P_NUM, 0, 100, "x",
	  "mf, lightgcn: L2 on a batch's (layer-0) embeddings\n"
	  "(defaults 0.01, 0.001)" },
	{ "lr-final", IGR_P_NUM, 0, 1, "x",
	  "mf, lightgcn: Adam step at the end of the cosine\n"
	  "schedule (default: a tenth of --lr)" },
	{ "negatives", IGR_P_INT, 1, 1000, "n",
	  "mf, lightgcn: sampled negatives per positive; the\n"
	  "best-scored is used (defaults 8, 16)" },
	{ "init-svd", IGR_P_INT, 0, 1, "0|1",
	  "mf, lightgcn: 1 starts from the top singular\n"
	  "vectors (defaults 0, 1)" },
	{ "time-limit", IGR_P_DURATION, 0, 0, "time",
	  "mf, lightgcn: stop after this much training\n"
	  "(e.g. 25m; default none)" },
	{ "valid-every", IGR_P_INT, 0, 100000, "n",
	  "mf, lightgcn: epochs between --valid checks\n"
	  "(default 5; 0: at the end only)" },
	{ "checkpoint", IGR_P_STR, 0, 0, "file",
	  "mf, lightgcn: save the training state there\n"
	  "(every --valid-every epochs and at the end)" },
	{ "resume", IGR_P_FLAG, 0, 0, NULL,
	  "mf, lightgcn: continue from --checkpoint" },
	{ "weight-power", IGR_P_NUM, 0, 4, "x",
	  "gf, mf, lightgcn: an edge counts weight^x\n"
	  "(default 0: every edge 1)" },
	{ "rank", IGR_P_INT, 1, 4096, "n",
	  "gf: singular vectors of the low-pass term\n"
	  "(default 448)" },
	{ "beta", IGR_P_NUM, 0, 100, "x",
	  "gf: weight of the ideal low-pass term (default 0.2)" },
	{ "sharpen", IGR_P_NUM, 0, 100, "t",
	  "gf: sharpening time, 0 for none (default 2.5)" },
	{ "order", IGR_P_INT, 0, 8, "n",
	  "gf: Runge-Kutta/Taylor order of the sharpening\n"
	  "step (default 4)" },
	{ "svd-iters", IGR_P_INT, 0, 50, "n",
	  "gf: subspace iterations of the SVD (default 4)" },
	{ "svd-oversample", IGR_P_INT, 0, 1024, "n",
	  "gf: extra vectors of the SVD (default 64)" },
	{ NULL, 0, 0, 0, NULL, NULL },
};

/*
 * The models igraph-train builds.  To add one, see train.h.
 */
const struct igr_trainer igr_trainers[] = {
	{ "pop", "item popularity (the baseline)", "popularity",
	  IGR_REL(IGR_USER, IGR_ITEM), igr_train_pop, 0, NULL, igr_check_pop },
	{ "itemknn", "item-kNN: asymmetric cosine neighbourhoods",
	  "neighbours shrink alpha user-damping locality normalise binary",
	  IGR_REL(IGR_USER, IGR_ITEM), igr_train_itemknn, 0, NULL, NULL },
	{ "mlp", "purchase ranker on pair features (igraph-pairs)",
	  "hidden activation linear dropout l2 lr batch epochs patience "
	  "stop neg-rate "
	  "pos-weight label valid",
	  0, NULL, IGR_KIND_FEATURES, igr_train_mlp, igr_check_mlp },
	{ "vectors", "dot products of imported user and item vectors",
	  "vectors", IGR_REL(IGR_USER, IGR_ITEM), igr_train_vectors, 0,
	  NULL, NULL },
	{ "gf", "graph filter (GF-CF/BSPM), closed form",
	  "weight-power rank beta sharpen order svd-iters svd-oversample",
	  IGR_REL(IGR_USER, IGR_ITEM), igr_train_gf, 0, NULL, NULL },
	{ "mf", "BPR matrix factorisation",
	  "epochs dim lr lr-final reg batch negatives init-svd time-limit "
	  "valid valid-every checkpoint resume weight-power",
	  IGR_REL(IGR_USER, IGR_ITEM), igr_train_mf, 0, NULL, NULL },
	{ "lightgcn", "LightGCN graph neural network (BPR)",
	  "epochs dim layers lr lr-final reg batch negatives init-svd "
	  "time-limit valid valid-every checkpoint resume weight-power",
	  IGR_REL(IGR_USER, IGR_ITEM), igr_train_lightgcn, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, NULL, 0, NULL, NULL },
};

const struct igr_trainer *igr_trainer_find(const char *name)
{
	const struct igr_trainer *t;

	for (t = igr_trainers; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

int igr_trainer_accepts(const struct igr_trainer *t, const char *name)
{
	const char *p = t->params;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		size_t l = strcspn(p, " ");
		if (l == n && strncmp(p, name, n) == 0)
			return 1;
		p += l;
		p += strspn(p, " ");
	}
	return 0;
}

static const cJSON *given(const struct igr_train_ctx *ctx, const char *name)
{
	return ctx && ctx->params
		       ? cJSON_GetObjectItemCaseSensitive(ctx->params, name)
		       : NULL;
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

static uint32_t data_u32(const igr_model *m, const char *key)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(m->meta, "data");
	const cJSON *v = d ? cJSON_GetObjectItemCaseSensitive(d, key) : NULL;

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > UINT32_MAX)
		return 0;
	return (uint32_t)v->valuedouble;
}

uint32_t igr_model_nusers(const igr_model *m)
{
	return data_u32(m, "users");
}

uint32_t igr_model_nitems(const igr_model *m)
{
	return data_u32(m, "items");
}

