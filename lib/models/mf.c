/*
 * mf.c - BPR matrix factorisation (igraph-train --model mf).
 *
 * score(u, i) = U_u . V_i, trained with the BPR loss (Rendle et al., UAI
 * 2009) exactly as LightGCN is (lightgcn.c, igr_emb_fit with no layers):
 * the same sampler, loss, L2 and Adam, but a batch touches few rows, so
 * only those rows are updated ("lazy" sparse Adam, adam.h), and a step
 * costs O(batch x dim).
 *
 * New and changed users (fold-in).  The model keeps a signature of each
 * training user's item set.  prepare() gives every user of the current
 * graph whose items differ (or who is new) a vector fitted to their
 * current edges with the item vectors fixed: start from the mean of
 * their items' vectors, then FOLD_EPOCHS passes of BPR gradient steps
 * over their positives against sampled negatives (seeded by the user id,
 * so serving is deterministic).
 */
#include "mf.h"
#include "embed.h"
#include "error.h"
#include "learn.h"
#include "lightgcn.h"
#include "model.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { FOLD_EPOCHS = 60 };
#define FOLD_LR 0.05f
#define FOLD_REG 0.01f

/* FNV-1a of a user's item ids: a cheap test that their row changed. */
static uint64_t row_sig(const igr_csr *r, uint32_t u)
{
	uint64_t h = 0xcbf29ce484222325ULL, e;

	if (u >= r->nrows)
		return h;
	for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
		uint32_t x = r->idx[e];
		int b;

		for (b = 0; b < 4; b++) {
			h ^= (x >> (8 * b)) & 0xff;
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

int igr_mf_fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o)
{
	igr_csr *r;
	uint64_t *sig, dims[1];
	uint32_t u;

	if (igr_emb_fit(m, g, o, 0, "mf") < 0)
		return -1;
	r = igr_learn_matrix(g, 0);
	if (r == NULL)
		return -1;
	sig = malloc(((size_t)r->nrows + 1) * sizeof *sig);
	if (sig == NULL) {
		igr_csr_free(r);
		return igr_error("out of memory");
	}
	for (u = 0; u < r->nrows; u++)
		sig[u] = row_sig(r, u);
	dims[0] = r->nrows;
	igr_csr_free(r);
	if (igr_model_add(m, "user_sig", IGR_DT_U64, 1, dims, sig) < 0) {
		free(sig);
		return -1;
	}
	return 0;
}

igr_model *igr_train_mf(const igr_graph *g, const struct igr_train_ctx *ctx)
{
	return igr_learn_train("mf", g, ctx, igr_mf_fit);
}

/* ---- serving ---------------------------------------------------------- */

struct mf_state {
	uint32_t nu, ni, d;
	float *user;        /* nu x d: trained rows, fold-ins for the rest */
	uint8_t *known;     /* nu: 1 if the user has a vector */
	const float *item;  /* the model's "item" array */
	uint32_t folded;    /* users folded in by prepare */
};

static void mf_release(igr_model *m)
{
	struct mf_state *st = m->state;

	free(st->user);
	free(st->known);
	free(st);
	m->state = NULL;
}

/* Fit OUT to user U's row of R with the item vectors fixed. */
static void fold_in(const igr_csr *r, uint32_t u, const float *item,
		    uint32_t ni, uint32_t d, uint64_t seed, float *out,
		    float *grad)
{
	uint64_t n = r->ptr[u + 1] - r->ptr[u], e;
	const uint32_t *it = r->idx + r->ptr[u];
	igr_rng rng;
	uint32_t ep, k, nin = 0;

	memset(out, 0, d * sizeof *out);
	for (e = 0; e < n; e++)
		if (it[e] < ni) {
			for (k = 0; k < d; k++)
				out[k] += item[(size_t)it[e] * d + k];
			nin++;
		}
	if (nin == 0)
		return;
	for (k = 0; k < d; k++)
		out[k] /= (float)nin;
	igr_rng_stream(&rng, seed, 0x666f6c64, u);
	for (ep = 0; ep < FOLD_EPOCHS; ep++) {
		memset(grad, 0, d * sizeof *grad);
		for (e = 0; e < n; e++) {
			uint32_t i = it[e], j = igr_rng_below(&rng, ni);
			const float *vi, *vj;
			float x, c;

			if (i >= ni || igr_csr_get(r, u, j) != 0)
				continue;
			vi = item + (size_t)i * d;
			vj = item + (size_t)j * d;
			x = igr_dot_seq(out, vj, d) - igr_dot_seq(out, vi, d);
			c = 1.0f / (1.0f + expf(-x));
			for (k = 0; k < d; k++)
				grad[k] += c * (vj[k] - vi[k]);
		}
		for (k = 0; k < d; k++)
			out[k] -= FOLD_LR * (grad[k] / (float)nin +
					     FOLD_REG * out[k]);
	}
}

static int mf_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *ua = igr_model_need(m, "user", IGR_DT_F32, 2);
	const igr_array *ia = ua ? igr_model_need(m, "item", IGR_DT_F32, 2)
				 : NULL;
	const igr_array *sa = ia ? igr_model_need(m, "user_sig", IGR_DT_U64, 1)
				 : NULL;
	const uint64_t *sig;
	struct mf_state *st;
	igr_csr *r;
	uint32_t nu, d, folded = 0;
	int64_t j;
	int ret = 0;

	if (sa == NULL)
		return -1;
	d = (uint32_t)ua->dim[1];
	if (ia->dim[1] != d || sa->dim[0] != ua->dim[0])
		return igr_error("mf: model arrays disagree in size");
	sig = sa->data;
	r = igr_learn_matrix(g, 0);
	if (r == NULL) {
		/* no edges at all: serve the trained users as they are */
		igr_error_clear();
		r = igr_csr_empty(0, (uint32_t)ia->dim[0]);
		if (r == NULL)
			return -1;
	}
	nu = r->nrows > ua->dim[0] ? r->nrows : (uint32_t)ua->dim[0];
	st = calloc(1, sizeof *st);
	if (st != NULL) {
		st->user = calloc((size_t)nu * d + 1, sizeof *st->user);
		st->known = calloc((size_t)nu + 1, 1);
	}
	if (st == NULL || st->user == NULL || st->known == NULL) {
		if (st) {
			free(st->user);
			free(st->known);
		}
		free(st);
		igr_csr_free(r);
		return igr_error("out of memory");
	}
	st->nu = nu;
	st->ni = (uint32_t)ia->dim[0];
	st->d = d;
	st->item = ia->data;
	memcpy(st->user, ua->data, ua->dim[0] * d * sizeof *st->user);
	memset(st->known, 1, ua->dim[0]);
#pragma omp parallel
	{
		float *grad = malloc((d + 1) * sizeof *grad);

		if (grad == NULL) {
#pragma omp atomic write
			ret = -1;
		}
#pragma omp for schedule(dynamic, 64) reduction(+ : folded)
		for (j = 0; j < (int64_t)r->nrows; j++) {
			uint32_t u = (uint32_t)j;

			if (grad == NULL || r->ptr[u + 1] == r->ptr[u])
				continue;
			if (u < ua->dim[0] && sig[u] == row_sig(r, u))
				continue;
			fold_in(r, u, st->item, st->ni, d, 0x6d66, st->user +
				(size_t)u * d, grad);
			st->known[u] = 1;
			folded++;
		}
		free(grad);
	}
	igr_csr_free(r);
	st->folded = folded;
	if (m->state != NULL)
		mf_release(m);
	m->state = st;
	if (ret < 0)
		return igr_error("out of memory");
	return 0;
}

static int mf_embedding(const igr_model *m, igr_embed *e)
{
	const struct mf_state *st = m->state;

	if (st == NULL)
		return igr_error("mf: model used before prepare");
	memset(e, 0, sizeof *e);
	e->dim = st->d;
	e->nusers = st->nu;
	e->nitems = st->ni;
	e->user = st->user;
	e->item = st->item;
	return 0;
}

static int mf_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			  float *out)
{
	const struct mf_state *st = m->state;

	(void)g;
	if (st == NULL)
		return igr_error("mf: model used before prepare");
	if (u >= st->nu || !st->known[u])
		return IGR_UNKNOWN_USER;
	memcpy(out, st->user + (size_t)u * st->d, st->d * sizeof *out);
	return 0;
}

const struct igr_model_ops igr_mf_ops = {
	.name = "mf",
	.prepare = mf_prepare,
	.score_users = igr_embed_score_users,
	.score_items = igr_embed_score_items,
	.dim = igr_embed_dim,
	.user_vector = mf_user_vector,
	.release = mf_release,
	.embedding = mf_embedding,
};

/* ---- the model type (train.h) ---------------------------------------- */


static const struct igr_train_param p_strata = { "strata", IGR_P_INT, 1, 1024, "n",
	  "mf: ranges of users and of items trained as DSGD\n"
	  "blocks (default 4, fewer where a range would have\n"
	  "under 5,000 items); the model depends on it, not on\n"
	  "the threads or MPI ranks" };

static const struct igr_train_param *const mf_params[] = {
	&p_strata,
	IGR_BPR_PARAMS,
	NULL,
};

const struct igr_model_type igr_mf_model = {
	.name = "mf",
	.help = "BPR matrix factorisation",
	.parallel = 1,
	.params = mf_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_mf,
	.ops = &igr_mf_ops,
};
