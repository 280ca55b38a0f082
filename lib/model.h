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
 * Compression (major version 2, written only when used): a 2-D float
 * array marked with igr_model_quantize() is stored as dtype IGR_DT_Q8:
 * the dims, then one f32 scale per row, then the rows as int8 codes
 * (symmetric: code = round(x / scale), scale = max |x| of the row / 127),
 * a quarter of the bytes.  Loading restores it as an F32 array of the
 * decoded values (x = code * scale, within scale / 2 of the original),
 * so the model code reads it as before; serving memory is unchanged.
 *
 * Pad arrays: array names that begin with "." belong to the container
 * (igr_model_add() refuses them; readers skip them, never adding them to
 * the model).  Before every array of IGR_MODEL_MAP_MIN bytes or more that
 * is not int8-coded, igr_model_save() writes a pad array: dtype U8, one
 * dim, N zero bytes, named ".pad" + the number of the array it precedes
 * (unique, since older readers refuse a name twice), N (0 .. 63) such
 * that the next array's elements start at a multiple of IGR_MODEL_ALIGN
 * bytes in the file.  The array count includes the pads.  Older readers
 * see one more small array no model looks up; re-saving a loaded model
 * writes the same pads again, so the file comes out byte for byte the
 * same.  Pads need no new version number: they are ordinary arrays.
 *
 * A newer major version is refused; a damaged or truncated file is an
 * error.  igr_model_save() writes atomically (io.h).
 *
 * Reading: igr_model_read() of a regular, uncompressed file on a
 * little-endian host maps the whole file (mmap, private, readable and
 * writable) and parses it from the mapping, unless IGRAPH_MMAP is "0" or
 * the mapping fails; stdin, compressed files, FIFOs and big-endian hosts
 * are read through igr_in as a stream, every array copied.  From a
 * mapping, a plain array of IGR_MODEL_MAP_MIN bytes or more whose
 * elements lie at a multiple of their size in the file stays in the
 * mapping (igr_array.mapped): processes that load the same model share
 * those pages through the page cache instead of each holding a copy.
 * Smaller, unaligned and int8-coded arrays are copied as from a stream.
 * Every byte is checked against the CRC either way (so loading reads the
 * whole file once), and the errors are the same.  A write into a mapped
 * array copies that page for this process only; the file never changes.
 * A file truncated in place while mapped would kill the process with
 * SIGBUS on access: igraph replaces files by rename (io.h), never in place.
 *
 * Ownership: a model owns its description and arrays.  igr_model_add()
 * takes ownership of DATA (which must come from malloc).  A mapped
 * array's data belongs to the model's mapping (igr_model.map), which
 * igr_model_free() unmaps: code that wants to free, realloc or keep an
 * array's data beyond the model copies it first.  Pointers returned by
 * igr_model_get() / igr_model_params() live as long as the model.
 */
#ifndef IGR_MODEL_H
#define IGR_MODEL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"

#define IGR_MODEL_MAJOR 2  /* the newest this program reads */
#define IGR_MODEL_MINOR 0

#define IGR_MODEL_RESERVED '.'   /* first byte of the container's names */
#define IGR_MODEL_PAD ".pad"     /* + the number of the next array */
#define IGR_MODEL_ALIGN 64       /* file offset of a large array's data */
#define IGR_MODEL_MAP_MIN ((uint64_t)1 << 20) /* bytes: padded, mapped */

enum igr_dtype {
	IGR_DT_F32 = 1,
	IGR_DT_U32 = 2,
	IGR_DT_U64 = 3,
	IGR_DT_I64 = 4,
	IGR_DT_F64 = 5,
	IGR_DT_U8 = 6,
	IGR_DT_Q8 = 7,     /* in files only: rows of int8 codes + scales */
};

typedef struct igr_array {
	char *name;
	int dtype;
	int ndim;          /* 1 .. 4 */
	uint64_t dim[4];
	void *data;        /* dim[0] * ... elements */
	int q8;            /* 1: saved as IGR_DT_Q8 (igr_model_quantize) */
	int mapped;        /* 1: DATA lies in the model's mapping, not malloc */
} igr_array;

struct igr_model_ops;

typedef struct igr_model {
	cJSON *meta;                     /* the description */
	size_t narr;
	igr_array *arr;
	size_t arr_cap;                  /* room of arr (model.c's) */
	void *map;                       /* the file mapped by igr_model_read */
	size_t map_len;                  /* (NULL: no array lives in one) */
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
/* Id bounds of the training graph, from "data" (train.h
 * igr_train_data_summary(); 0 when absent). */
uint32_t igr_model_nusers(const igr_model *m);
uint32_t igr_model_nitems(const igr_model *m);

/* Add an array (takes ownership of DATA).  0 or -1 (duplicate name, a
 * name beginning with IGR_MODEL_RESERVED, bad dims). */
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
/* Mark every 2-D F32 array of at least MIN_ELEMS elements to be saved
 * as int8 rows (IGR_DT_Q8 above); returns how many were marked. */
size_t igr_model_quantize(igr_model *m, uint64_t min_elems);
/* Load a model file and bind its ops (igr_model_ops_find). */
igr_model *igr_model_load(const char *path) IGR_WUR;
/* Load a file of this container without binding ops (other files kept in
 * it, e.g. the FAISS index of annindex.h): m->ops stays NULL. */
igr_model *igr_model_read(const char *path) IGR_WUR;

/*
 * What each model type implements.  Training lives in the model's own
 * module (lib/models/NAME.c; train.h has struct igr_model_type, which
 * ties a model's training to these ops); these are what the serving
 * tools (igraph-propagate, igraph-recommend) call on a loaded model.
 * Optional members may be NULL.  A model type is listed once, in
 * lib/model_registry.c.
 *
 * Conventions every model keeps:
 * - The description's "data" object records the training graph summary,
 *   at least "users" and "items" (id bounds); igr_train_data_summary()
 *   (train.h) writes it.
 * - Item universe: the serving tools score item ids 0 .. NI-1 with
 *   NI = max(g->n[IGR_ITEM], data.items): the current graph may know
 *   items the model never saw.  Ids the model cannot score get -INFINITY
 *   (never recommended by the model).  Higher scores are better.
 * - Users: ids 0 .. g->n[IGR_USER]-1 of the current graph, which may be
 *   newer than the model.  A user the model knows nothing about (no
 *   trained vector, no edges in G) is reported as IGR_UNKNOWN_USER where
 *   a member can say so; the serving tools then use the popularity
 *   fallback and say so in their output.
 * - Every scoring member is called concurrently from OpenMP threads on
 *   disjoint outputs, after prepare(): it must not modify M.
 */
#define IGR_UNKNOWN_USER 1

struct igr_acc;   /* topk.h: dense accumulator with a touched list */
struct igr_embed; /* embed.h: an embedding model's final vectors */

/* One contribution to a score, for explanations. */
typedef struct igr_contrib {
	uint8_t type;  /* IGR_ITEM or IGR_CATEGORY (enum igr_node_type) */
	uint32_t id;
	float w;       /* part of the score it accounts for */
} igr_contrib;

struct igr_model_ops {
	const char *name;
	/* Bind the model to the current graph G: derive what scoring needs
	 * from the current edges (user vectors of new users included), in
	 * m->state.  Called once before any other member below. */
	int (*prepare)(igr_model *m, const igr_graph *g);
	/* Dense scores of NU users against items ITEMS[0..NI) (ITEMS NULL:
	 * all items 0 .. NI-1, NI as above), row-major NU x NI in OUT.
	 * Required: the generic path of every serving feature. */
	int (*score_users)(const igr_model *m, const igr_graph *g,
			   const uint32_t *users, size_t nu,
			   const uint32_t *items, size_t ni, float *out);
	/* Optional: models whose score_users threads itself and is
	 * fastest on large blocks (sparse-times-dense products, sgemm)
	 * return the users per call they want (after prepare); the serving
	 * tools then call score_users from one thread at a time with that
	 * many users.  NULL or 0: small blocks from every thread. */
	uint32_t (*block_users)(const igr_model *m);
	/* Optional: item-to-item scores of NQ query items against all
	 * items, NQ x NI (similar items). */
	int (*score_items)(const igr_model *m, const igr_graph *g,
			   const uint32_t *items, size_t nq, float *out);
	/* Optional: dimension of user vectors, and user U's vector (after
	 * prepare) into OUT[dim].  user_vector returns 0, IGR_UNKNOWN_USER
	 * (nothing known about U: OUT untouched), or -1. */
	uint32_t (*dim)(const igr_model *m);
	int (*user_vector)(const igr_model *m, const igr_graph *g, uint32_t u,
			   float *out);
	/* Release m->state (called only when it is not NULL). */
	void (*release)(igr_model *m);

	/* ---- fast paths and extras (optional, added after the draft) */

	/* Embedding models: after prepare, describe the final vectors in E
	 * (embed.h) so serving uses the blocked sgemm scorer fused with
	 * top-K.  E->user may cover fewer users than the graph (or be
	 * NULL): the serving tools get the other users' vectors from
	 * user_vector.  score(u, i) = dot(U[u], V[i]) (+ bias), and must
	 * agree with score_users.  Returns 0, -1, or 1 when this model
	 * (as trained) is not a dot product (gf with sparse terms). */
	int (*embedding)(const igr_model *m, struct igr_embed *e);
	/* Neighbourhood models: add user U's nonzero scores into ACC
	 * (acc->n >= NI); untouched items score 0.  Returns 0,
	 * IGR_UNKNOWN_USER or -1.  Must agree with score_users. */
	int (*score_user_sparse)(const igr_model *m, const igr_graph *g,
				 uint32_t u, struct igr_acc *acc);
	/* Hybrid models (gf with a pruned sparse part): score(u, i) =
	 * dot(U[u], V[i]) for the vectors hybrid() describes in E (user
	 * vectors from user_vector) + what add_sparse() adds for U into ACC
	 * (acc->n >= NI; untouched items add 0), so an index serves the dot
	 * product and the sparse part joins its candidates.  embedding()
	 * returns 1 for them.  hybrid returns 0, -1, or 1 when the model
	 * (as trained) is not one; add_sparse 0 or -1.  Must agree with
	 * score_users. */
	int (*hybrid)(const igr_model *m, struct igr_embed *e);
	int (*add_sparse)(const igr_model *m, const igr_graph *g, uint32_t u,
			  struct igr_acc *acc);
	/* Explanations: the at most MAX largest contributions of U's graph
	 * (items, or categories) to score(U, ITEM), largest first, in OUT.
	 * Returns the count or -1. */
	int (*explain)(const igr_model *m, const igr_graph *g, uint32_t u,
		       uint32_t item, igr_contrib *out, size_t max);
};

/* The ops of model type NAME, or NULL (model_registry.c). */
const struct igr_model_ops *igr_model_ops_find(const char *name);

#endif
