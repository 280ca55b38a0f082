/*
 * model.h - model files: a JSON description and named arrays.
 *
 * Every model igraph-train writes (popularity, item-kNN, graph filter,
 * BPR-MF, LightGCN, MLP ranker) is one file of this container:
 *
 *   magic "\x89IGM\r\n\x1a\n", u16 major, u16 minor,
 *   u32 length + JSON description (cJSON): {"model": NAME, "igraph": VERSION,
 *       "params": {hyper-parameters}, "data": {training data summary}, ...}
 *   u32 array count, then per array: u16 name length, name, u8 dtype,
 *       u8 ndim, u64 dims[ndim], the elements little-endian,
 *   "IEND", u32 CRC-32 of every byte before it.
 *
 * A newer major version is refused; a damaged or truncated file is an
 * error.  igr_model_save() writes atomically (io.h).
 *
 * Ownership: a model owns its description and arrays.  igr_model_add()
 * takes ownership of DATA (which must come from malloc).  Pointers
 * returned by igr_model_get() / igr_model_params() live as long as the
 * model.
 */
#ifndef IGR_MODEL_H
#define IGR_MODEL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"

#define IGR_MODEL_MAJOR 1
#define IGR_MODEL_MINOR 0

enum igr_dtype {
	IGR_DT_F32 = 1,
	IGR_DT_U32 = 2,
	IGR_DT_U64 = 3,
	IGR_DT_I64 = 4,
	IGR_DT_F64 = 5,
	IGR_DT_U8 = 6,
};

typedef struct igr_array {
	char *name;
	int dtype;
	int ndim;          /* 1 .. 4 */
	uint64_t dim[4];
	void *data;        /* dim[0] * ... elements */
} igr_array;

struct igr_model_ops;

typedef struct igr_model {
	cJSON *meta;                     /* the description */
	size_t narr;
	igr_array *arr;
	/* runtime, not saved: the model type's code and its working state */
	const struct igr_model_ops *ops;
	void *state;
} igr_model;

/* A new, empty model of type NAME ("pop", "itemknn" ...). */
igr_model *igr_model_new(const char *name) IGR_WUR;
void igr_model_free(igr_model *m);

const char *igr_model_name(const igr_model *m);
/* The "params" / "data" objects of the description (created if missing);
 * add members with cJSON_Add*ToObject. */
cJSON *igr_model_params(igr_model *m);
cJSON *igr_model_data(igr_model *m);
/* Numeric member of "params" (or DEF when absent). */
double igr_model_param_num(const igr_model *m, const char *key, double def);

/* Add an array (takes ownership of DATA).  0 or -1 (duplicate name, bad
 * dims). */
int igr_model_add(igr_model *m, const char *name, int dtype, int ndim,
		  const uint64_t *dims, void *data) IGR_WUR;
/* The array NAME, or NULL. */
const igr_array *igr_model_get(const igr_model *m, const char *name);
/* The array NAME checked for DTYPE and NDIM, or NULL with an error. */
const igr_array *igr_model_need(const igr_model *m, const char *name,
				int dtype, int ndim) IGR_WUR;
size_t igr_dtype_size(int dtype);
uint64_t igr_array_len(const igr_array *a);

int igr_model_save(const igr_model *m, const char *path) IGR_WUR;
/* Load a model file and bind its ops (igr_model_ops_find). */
igr_model *igr_model_load(const char *path) IGR_WUR;

/*
 * What each model type implements.  Training lives in the model's own
 * module; these are what the serving tools (igraph-propagate,
 * igraph-recommend) call on a loaded model.  Optional members may be
 * NULL.
 */
struct igr_model_ops {
	const char *name;
	/* Bind the model to the current graph G: derive what scoring needs
	 * from the current edges (user vectors of new users included).  Must
	 * be called before the score functions. */
	int (*prepare)(igr_model *m, const igr_graph *g);
	/* Dense scores of NU users against items ITEMS[0..NI) (ITEMS NULL:
	 * all items 0 .. n_items-1 with NI = n_items), row-major NU x NI in
	 * OUT.  Higher is better.  Safe to call from several threads at once
	 * on disjoint outputs. */
	int (*score_users)(const igr_model *m, const igr_graph *g,
			   const uint32_t *users, size_t nu,
			   const uint32_t *items, size_t ni, float *out);
	/* Optional: item-to-item scores of NQ query items against all
	 * items, NQ x n_items (similar items). */
	int (*score_items)(const igr_model *m, const igr_graph *g,
			   const uint32_t *items, size_t nq, float *out);
	/* Optional: dimension of user vectors, and user U's vector (after
	 * prepare) into OUT[dim]. */
	uint32_t (*dim)(const igr_model *m);
	int (*user_vector)(const igr_model *m, const igr_graph *g, uint32_t u,
			   float *out);
	/* Release m->state (called only when it is not NULL). */
	void (*release)(igr_model *m);
};

/* The ops of model type NAME, or NULL. */
const struct igr_model_ops *igr_model_ops_find(const char *name);

#endif
