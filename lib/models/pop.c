/*
 * pop.c - the popularity model: every user gets the most popular items.
 *
 * The baseline every recommender is measured against.  An item's score is
 * the sum of the weights of its user->item edges (behaviour-weighted and
 * time-decayed by featurize, so recent purchases count most) or, with
 * --popularity users, the number of users with an edge to it; scores are
 * divided by the largest, so they lie in [0, 1].
 *
 * Serving: a rank-1 embedding (every user's vector is [1], item i's is
 * [pop(i)]), so it goes through the same blocked scorer as the learned
 * models and every rule of igraph-recommend applies unchanged.
 */
#include "pop.h"
#include "embed.h"
#include "error.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_how(const char *how)
{
	if (strcmp(how, "weight") != 0 && strcmp(how, "users") != 0)
		return igr_error("--popularity: '%s' is not 'weight' or 'users'",
				 how);
	return 0;
}

int igr_check_pop(const struct igr_train_ctx *ctx)
{
	return check_how(igr_train_str(ctx, NULL, "popularity", "weight"));
}

igr_model *igr_train_pop(const igr_graph *g, const struct igr_train_ctx *ctx)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint32_t ni = g->n[IGR_ITEM], i;
	uint64_t dims[1] = { ni };
	igr_model *m = igr_model_new("pop");
	const char *how;
	double *sum = NULL, max = 0;
	float *pop = NULL;

	if (m == NULL)
		return NULL;
	how = igr_train_str(ctx, m, "popularity", "weight");
	if (check_how(how) < 0)
		goto fail;
	sum = calloc(ni ? ni : 1, sizeof *sum);
	pop = malloc((ni ? ni : 1) * sizeof *pop);
	if (sum == NULL || pop == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	if (ui != NULL) {
		uint64_t k;
		int by_users = strcmp(how, "users") == 0;
		for (k = 0; k < ui->nnz; k++)
			sum[ui->idx[k]] += by_users ? 1.0 : ui->w[k];
	}
	for (i = 0; i < ni; i++)
		if (sum[i] > max)
			max = sum[i];
	for (i = 0; i < ni; i++)
		pop[i] = max > 0 ? (float)(sum[i] / max) : 0.0f;
	free(sum);
	sum = NULL;
	if (igr_model_add(m, "pop", IGR_DT_F32, 1, dims, pop) < 0)
		goto fail;
	pop = NULL;
	if (igr_train_data_summary(m, g, ctx ? ctx->source : NULL) < 0)
		goto fail;
	return m;
fail:
	free(sum);
	free(pop);
	igr_model_free(m);
	return NULL;
}

/* ---- serving ----------------------------------------------------------- */

static const float one = 1.0f;

static int pop_prepare(igr_model *m, const igr_graph *g)
{
	(void)g;
	return igr_model_need(m, "pop", IGR_DT_F32, 1) ? 0 : -1;
}

static int pop_embedding(const igr_model *m, igr_embed *e)
{
	const igr_array *a = igr_model_get(m, "pop");

	if (a == NULL || a->dtype != IGR_DT_F32)
		return igr_error("pop model lacks its 'pop' array");
	memset(e, 0, sizeof *e);
	e->dim = 1;
	e->nitems = (uint32_t)a->dim[0];
	e->item = a->data;
	return 0;
}

/* Everyone is "known" to the popularity model: it needs no history. */
static int pop_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			   float *out)
{
	(void)m;
	(void)g;
	(void)u;
	out[0] = one;
	return 0;
}

const struct igr_model_ops igr_pop_ops = {
	.name = "pop",
	.prepare = pop_prepare,
	.score_users = igr_embed_score_users,
	.score_items = NULL, /* no notion of similar items */
	.dim = igr_embed_dim,
	.user_vector = pop_user_vector,
	.release = NULL,
	.embedding = pop_embedding,
	.score_user_sparse = NULL,
	.explain = NULL,
};

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_popularity = { "popularity", IGR_P_STR, 0, 0, "how",
	  "pop: rank items by 'weight' (sum of edge weights,\n"
	  "the default) or 'users' (number of users)" };

static const struct igr_train_param *const pop_params[] = {
	&p_popularity,
	NULL,
};

const struct igr_model_type igr_pop_model = {
	.name = "pop",
	.help = "item popularity (the baseline)",
	.params = pop_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_pop,
	.check = igr_check_pop,
	.ops = &igr_pop_ops,
};
