/* annindex.c - an embedding model's item index and its file (see
 * annindex.h). */
#include "annindex.h"
#include "clock.h"
#include "crc32.h"
#include "error.h"
#include "mem.h"
#include "model.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_NAME "faiss-index"
#define INDEX_ARRAY "faiss"

uint32_t igr_index_fingerprint(const igr_embed *e)
{
	uint32_t c = igr_crc32(0, e->item,
			       (size_t)e->nitems * e->dim * sizeof(float));

	if (e->item_bias != NULL)
		c = igr_crc32(c, e->item_bias, e->nitems * sizeof(float));
	return c;
}

uint32_t igr_index_qdim(const igr_index *x)
{
	return x->dim + (uint32_t)x->bias;
}

void igr_index_query(const igr_index *x, const float *u, float *out)
{
	memcpy(out, u, x->dim * sizeof *out);
	if (x->bias)
		out[x->dim] = 1.0f;
}

igr_index *igr_index_build(const igr_embed *e, const char *model,
			   const struct igr_ann_params *p)
{
	igr_index *x = calloc(1, sizeof *x);
	const float *v = e->item;
	float *aug = NULL;
	double t0 = igr_now();

	if (x == NULL)
		return igr_error("out of memory"), NULL;
	snprintf(x->model, sizeof x->model, "%s", model);
	x->dim = e->dim;
	x->bias = e->item_bias != NULL;
	x->nitems = e->nitems;
	x->fingerprint = igr_index_fingerprint(e);
	if (x->bias) {
		/* [V[i], b[i]]: the bias is a coordinate the query's 1 picks */
		uint32_t D = e->dim + 1, i;
		aug = igr_alloc_large((size_t)e->nitems * D, sizeof *aug);
		if (aug == NULL) {
			free(x);
			return igr_error("out of memory (%u item vectors)",
					 e->nitems), NULL;
		}
		for (i = 0; i < e->nitems; i++) {
			memcpy(aug + (size_t)i * D, e->item + (size_t)i * e->dim,
			       e->dim * sizeof *aug);
			aug[(size_t)i * D + e->dim] = e->item_bias[i];
		}
		v = aug;
	}
	x->ann = igr_ann_build(p, v, e->nitems, igr_index_qdim(x));
	free(aug);
	if (x->ann == NULL) {
		free(x);
		return NULL;
	}
	x->build_seconds = igr_now() - t0;
	return x;
}

void igr_index_free(igr_index *x)
{
	if (x == NULL)
		return;
	igr_ann_free(x->ann);
	free(x);
}

/* The serialised index grows in one buffer (FAISS writes it piecemeal). */
struct membuf {
	unsigned char *p;
	size_t n, cap;
};

static int membuf_write(void *arg, const void *p, size_t n)
{
	struct membuf *b = arg;

	if (igr_grow(&b->p, &b->cap, b->n + n, 1) < 0)
		return -1;
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

int igr_index_save(const igr_index *x, const char *path)
{
	igr_model *m = igr_model_new(INDEX_NAME);
	struct membuf b = { NULL, 0, 0 };
	struct igr_ann_info in;
	cJSON *pa, *da;
	char crc[16];
	uint64_t dim;
	int rc = -1;

	if (m == NULL)
		return -1;
	igr_ann_describe(x->ann, &in);
	snprintf(crc, sizeof crc, "%08x", x->fingerprint);
	pa = igr_model_params(m);
	da = igr_model_data(m);
	if (pa == NULL || da == NULL ||
	    cJSON_AddStringToObject(pa, "type", igr_ann_type_name(in.type)) ==
		    NULL ||
	    cJSON_AddNumberToObject(pa, "nlist", in.nlist) == NULL ||
	    cJSON_AddNumberToObject(pa, "hnsw_m", in.hnsw_m) == NULL ||
	    cJSON_AddNumberToObject(pa, "effort", in.effort) == NULL ||
	    cJSON_AddStringToObject(da, "model", x->model) == NULL ||
	    cJSON_AddNumberToObject(da, "items", x->nitems) == NULL ||
	    cJSON_AddNumberToObject(da, "dim", x->dim) == NULL ||
	    cJSON_AddBoolToObject(da, "bias", x->bias) == NULL ||
	    cJSON_AddStringToObject(da, "fingerprint", crc) == NULL ||
	    cJSON_AddStringToObject(m->meta, "igraph", IGR_VERSION) == NULL) {
		igr_error("out of memory");
		goto out;
	}
	if (igr_ann_write(x->ann, membuf_write, &b) < 0)
		goto out;
	dim = b.n;
	if (igr_model_add(m, INDEX_ARRAY, IGR_DT_U8, 1, &dim,
			  b.p ? b.p : malloc(1)) < 0)
		goto out;
	b.p = NULL;
	rc = igr_model_save(m, path);
out:
	free(b.p);
	igr_model_free(m);
	return rc;
}

igr_index *igr_index_load(const char *path)
{
	igr_model *m = igr_model_read(path);
	igr_index *x = NULL;
	const igr_array *a;
	const cJSON *d, *v;

	if (m == NULL)
		return igr_error_prefix("cannot read the index"), NULL;
	if (strcmp(igr_model_name(m), INDEX_NAME) != 0) {
		igr_error("%s: not an index file (a '%s' model: build its "
			  "index with igraph-index)", path, igr_model_name(m));
		goto fail;
	}
	d = cJSON_GetObjectItemCaseSensitive(m->meta, "data");
	v = cJSON_GetObjectItemCaseSensitive(d, "fingerprint");
	a = igr_model_get(m, INDEX_ARRAY);
	x = calloc(1, sizeof *x);
	if (x == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	if (!cJSON_IsString(v) || a == NULL || a->dtype != IGR_DT_U8) {
		igr_error("%s: damaged index file", path);
		goto fail;
	}
	x->fingerprint = (uint32_t)strtoul(v->valuestring, NULL, 16);
	v = cJSON_GetObjectItemCaseSensitive(d, "model");
	snprintf(x->model, sizeof x->model, "%s",
		 cJSON_IsString(v) ? v->valuestring : "?");
	v = cJSON_GetObjectItemCaseSensitive(d, "bias");
	x->bias = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(d, "dim");
	x->dim = cJSON_IsNumber(v) ? (uint32_t)v->valuedouble : 0;
	x->nitems = igr_model_nitems(m);
	x->ann = igr_ann_read(a->data, (size_t)a->dim[0]);
	if (x->ann == NULL) {
		igr_error_prefix("%s", path);
		goto fail;
	}
	{
		struct igr_ann_info in;
		igr_ann_describe(x->ann, &in);
		if (in.dim != igr_index_qdim(x) || in.n != x->nitems) {
			igr_error("%s: damaged index file (%llu vectors of "
				  "dimension %u, the description says %u of "
				  "%u)", path, (unsigned long long)in.n,
				  in.dim, x->nitems, igr_index_qdim(x));
			goto fail;
		}
	}
	igr_model_free(m);
	return x;
fail:
	igr_index_free(x);
	igr_model_free(m);
	return NULL;
}

int igr_index_check(const igr_index *x, const igr_embed *e, const char *model,
		    const char *path)
{
	uint32_t fp;

	if (strcmp(x->model, model) != 0)
		return igr_error("%s: index of a %s model, not of this %s "
				 "model: build it with igraph-index", path,
				 x->model, model);
	if (x->nitems != e->nitems || x->dim != e->dim ||
	    x->bias != (e->item_bias != NULL))
		return igr_error("%s: index of %u items of dimension %u, the "
				 "model has %u of dimension %u: build it for "
				 "this model with igraph-index", path,
				 x->nitems, x->dim, e->nitems, e->dim);
	fp = igr_index_fingerprint(e);
	if (fp != x->fingerprint)
		return igr_error("%s: index built from other item vectors "
				 "(fingerprint %08x, the model's are %08x): "
				 "another model, or the model over another "
				 "graph; build it again with igraph-index",
				 path, x->fingerprint, fp);
	return 0;
}
