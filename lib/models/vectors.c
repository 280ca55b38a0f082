/*
 * vecmodel.c - a dot-product model from vectors trained elsewhere.
 *
 * igraph-train --model vectors --vectors FILE GRAPH imports a `vectors`
 * stream of user and item vectors (one dimension), for instance written
 * from another framework, and serves it like the models trained here:
 * score(u, i) = dot(U[u], V[i]) through the blocked sgemm scorer
 * (embed.h).  Users and items absent from the stream have no vector.
 *
 * A user without a vector (added after the vectors were made) is placed at
 * the weighted mean of the vectors of the items they have an edge to in
 * the current graph (the edge weights as weights): the "fold-in" of
 * item-based latent models, exact for none of them but a fair start.
 *
 * Model arrays: "user" (f32, users x dim, zero rows for users without a
 * vector), "user_known" (u8, users), "item" (f32, items x dim).
 */
#include "vectors.h"
#include "embed.h"
#include "error.h"
#include "mem.h"
#include "stream.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

igr_model *igr_train_vectors(const igr_graph *g,
			     const struct igr_train_ctx *ctx)
{
	const char *path;
	igr_model *m = igr_model_new("vectors");
	igr_reader *r = NULL;
	const igr_header *h;
	uint32_t nu = g->n[IGR_USER], ni = g->n[IGR_ITEM], d;
	float *uv = NULL, *iv = NULL;
	uint8_t *known = NULL, *iknown = NULL;
	size_t nuv = 0, niv = 0;
	igr_vector v;
	int rc;

	if (m == NULL)
		return NULL;
	path = igr_train_str(ctx, m, "vectors", NULL);
	if (path == NULL) {
		igr_error("--model vectors needs --vectors FILE");
		goto fail;
	}
	r = igr_reader_open(path, IGR_KIND_VECTORS);
	if (r == NULL)
		goto fail;
	h = igr_reader_header(r);
	d = h->dim;
	if (d == 0) {
		igr_error("%s: vectors of dimension 0", path);
		goto fail;
	}
	/* the vectors may name users and items the graph does not have */
	for (;;) {
		rc = igr_read_vector(r, &v);
		if (rc <= 0)
			break;
		if (v.node_type == IGR_CATEGORY)
			continue;
		if (v.node_type == IGR_USER && v.node >= nu) {
			nu = v.node + 1;
		} else if (v.node_type == IGR_ITEM && v.node >= ni) {
			ni = v.node + 1;
		}
		{
			uint32_t n = v.node_type == IGR_USER ? nu : ni;
			float **a = v.node_type == IGR_USER ? &uv : &iv;
			uint8_t **k = v.node_type == IGR_USER ? &known : &iknown;
			size_t *cap = v.node_type == IGR_USER ? &nuv : &niv;
			uint32_t c;
			if (n > *cap) {
				/* a vector row and its known flag per node;
				 * rows not in the file stay zero, unknown */
				const struct igr_growing rows[] = {
					{ a, (size_t)d * sizeof **a }, { k, 1 }
				};
				size_t old = *cap;
				if (igr_grow_each(cap, n, rows, 2) < 0)
					goto fail;
				memset(*a + old * d, 0,
				       (*cap - old) * d * sizeof **a);
				memset(*k + old, 0, *cap - old);
			}
			for (c = 0; c < d; c++)
				if (!isfinite(v.v[c])) {
					igr_error("%s: record %llu: %s %u has a "
						  "value that is not finite",
						  path,
						  (unsigned long long)
							  igr_reader_records(r),
						  igr_node_name(v.node_type),
						  v.node);
					goto fail;
				}
			if ((*k)[v.node]) {
				igr_error("%s: %s %u has two vectors", path,
					  igr_node_name(v.node_type), v.node);
				goto fail;
			}
			memcpy(*a + (size_t)v.node * d, v.v, d * sizeof **a);
			(*k)[v.node] = 1;
		}
	}
	if (rc < 0)
		goto fail;
	igr_reader_close(r);
	r = NULL;
	{
		/* arrays of exactly nu / ni rows (zeros where absent) */
		float *u2 = calloc(nu > 0 && d > 0 ? (size_t)nu * d : 1,
				   sizeof *u2);
		float *i2 = calloc(ni > 0 && d > 0 ? (size_t)ni * d : 1,
				   sizeof *i2);
		uint8_t *k2 = calloc(nu ? nu : 1, 1);
		uint64_t du[2] = { nu, d }, di[2] = { ni, d }, dk[1] = { nu };
		if (u2 == NULL || i2 == NULL || k2 == NULL) {
			free(u2);
			free(i2);
			free(k2);
			igr_error("out of memory");
			goto fail;
		}
		if (uv)
			memcpy(u2, uv, (size_t)(nuv < nu ? nuv : nu) * d *
					       sizeof *u2);
		if (iv)
			memcpy(i2, iv, (size_t)(niv < ni ? niv : ni) * d *
					       sizeof *i2);
		if (known)
			memcpy(k2, known, nuv < nu ? nuv : nu);
		if (igr_model_add(m, "user", IGR_DT_F32, 2, du, u2) < 0) {
			free(u2);
			free(i2);
			free(k2);
			goto fail;
		}
		if (igr_model_add(m, "item", IGR_DT_F32, 2, di, i2) < 0) {
			free(i2);
			free(k2);
			goto fail;
		}
		if (igr_model_add(m, "user_known", IGR_DT_U8, 1, dk, k2) < 0) {
			free(k2);
			goto fail;
		}
	}
	free(uv);
	free(iv);
	free(known);
	free(iknown);
	uv = iv = NULL;
	known = iknown = NULL;
	if (igr_train_data_summary(m, g, ctx ? ctx->source : NULL) < 0)
		goto fail;
	/* the id bounds of the vectors, which may exceed the graph's */
	cJSON_ReplaceItemInObject(igr_model_data(m), "users",
				  cJSON_CreateNumber(nu));
	cJSON_ReplaceItemInObject(igr_model_data(m), "items",
				  cJSON_CreateNumber(ni));
	cJSON_AddNumberToObject(igr_model_data(m), "dim", d);
	return m;
fail:
	igr_reader_close(r);
	free(uv);
	free(iv);
	free(known);
	free(iknown);
	igr_model_free(m);
	return NULL;
}

/* ---- serving ----------------------------------------------------------- */

struct vm {
	igr_embed e;
	const uint8_t *known;
};

static int vm_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *u, *i, *k;
	struct vm *s;

	(void)g;
	if (m->state != NULL)
		return 0;
	u = igr_model_need(m, "user", IGR_DT_F32, 2);
	i = u ? igr_model_need(m, "item", IGR_DT_F32, 2) : NULL;
	k = i ? igr_model_need(m, "user_known", IGR_DT_U8, 1) : NULL;
	if (k == NULL)
		return -1;
	if (u->dim[1] != i->dim[1] || k->dim[0] != u->dim[0] ||
	    u->dim[0] > UINT32_MAX || i->dim[0] > UINT32_MAX ||
	    u->dim[1] == 0 || u->dim[1] > 65536)
		return igr_error("vectors model arrays do not agree");
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return igr_error("out of memory");
	s->e.dim = (uint32_t)u->dim[1];
	s->e.nusers = (uint32_t)u->dim[0];
	s->e.user = u->data;
	s->e.nitems = (uint32_t)i->dim[0];
	s->e.item = i->data;
	s->known = k->data;
	m->state = s;
	return 0;
}

static void vm_release(igr_model *m)
{
	free(m->state);
	m->state = NULL;
}

static int vm_embedding(const igr_model *m, igr_embed *e)
{
	const struct vm *s = m->state;

	if (s == NULL)
		return igr_error("vectors model used before prepare");
	*e = s->e;
	/* the user rows include zero rows for users without a vector, which
	 * the serving tools would take as vectors: every user goes through
	 * vm_user_vector instead (a copy of dim floats) */
	e->user = NULL;
	e->nusers = 0;
	return 0;
}

static int vm_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			  float *out)
{
	const struct vm *s = m->state;
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint32_t d, c;
	double wsum = 0;
	uint64_t k;

	if (s == NULL)
		return igr_error("vectors model used before prepare");
	d = s->e.dim;
	if (u < s->e.nusers && s->known[u]) {
		memcpy(out, s->e.user + (size_t)u * d, d * sizeof *out);
		return 0;
	}
	if (ui == NULL || u >= ui->nrows)
		return IGR_UNKNOWN_USER;
	memset(out, 0, d * sizeof *out);
	for (k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
		uint32_t i = ui->idx[k];
		float w = ui->w[k];
		if (i >= s->e.nitems || !(w > 0))
			continue;
		for (c = 0; c < d; c++)
			out[c] += w * s->e.item[(size_t)i * d + c];
		wsum += w;
	}
	if (!(wsum > 0))
		return IGR_UNKNOWN_USER;
	for (c = 0; c < d; c++)
		out[c] = (float)(out[c] / wsum);
	return 0;
}

const struct igr_model_ops igr_vectors_ops = {
	.name = "vectors",
	.prepare = vm_prepare,
	.score_users = igr_embed_score_users,
	.score_items = igr_embed_score_items,
	.dim = igr_embed_dim,
	.user_vector = vm_user_vector,
	.release = vm_release,
	.embedding = vm_embedding,
	.score_user_sparse = NULL,
	.explain = NULL,
};

/* ---- the model type (train.h) ---------------------------------------- */

static const struct igr_train_param p_vectors = { "vectors", IGR_P_STR, 0, 0, "file",
	  "vectors: the vectors stream of user and item\n"
	  "vectors to serve (trained elsewhere)" };

static const struct igr_train_param *const vectors_params[] = {
	&p_vectors,
	NULL,
};

const struct igr_model_type igr_vectors_model = {
	.name = "vectors",
	.help = "dot products of imported user and item vectors",
	.params = vectors_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.train = igr_train_vectors,
	.ops = &igr_vectors_ops,
};
