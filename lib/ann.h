/*
 * ann.h - approximate top-K by inner product through FAISS: the library's
 * one C interface to the C++ of lib/ann_faiss.cpp.
 *
 * An igr_ann is a FAISS index over N vectors of dimension D, searched
 * for the D-dimensional queries with the largest inner products (ids are
 * the rows 0 .. N-1 given to igr_ann_build()).  Three kinds:
 *
 *   IGR_ANN_IVF_SQ8  an inverted file of NLIST k-means lists (inner-product
 *                    assignment) holding each vector as 8-bit codes per
 *                    dimension (FAISS IndexIVFScalarQuantizer, QT_8bit,
 *                    residuals): D bytes a vector plus its id; a search
 *                    scans the EFFORT lists closest to the query (nprobe);
 *   IGR_ANN_HNSW     a navigable small-world graph over the float vectors
 *                    (IndexHNSWFlat, inner product, M links a node): a
 *                    search keeps EFFORT candidates (efSearch);
 *   IGR_ANN_FLAT     every vector scanned (IndexFlatIP): exact, for tests
 *                    and small catalogues.
 *
 * The scores a search returns are FAISS's (approximate for SQ8); callers
 * that print scores recompute them from their float vectors.
 *
 * Threads: FAISS runs OpenMP inside build and search (over the queries of
 * one search call: give it many at once).  A built or loaded index is
 * read-only, so searches may run concurrently.
 *
 * Errors: every function catches FAISS's exceptions and returns -1 or
 * NULL with the error set (error.h); nothing here prints.
 *
 * Ownership: igr_ann_build() and igr_ann_load() return an index the caller
 * frees with igr_ann_free().  Input arrays are only read, during the call.
 */
#ifndef IGR_ANN_H
#define IGR_ANN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum igr_ann_type {
	IGR_ANN_FLAT = 0,
	IGR_ANN_IVF_SQ8 = 1,
	IGR_ANN_HNSW = 2,
	IGR_ANN_IVF_PQ = 3,  /* inverted lists of product-quantised codes */
};

typedef struct igr_ann igr_ann;

struct igr_ann_params {
	int type;                 /* enum igr_ann_type */
	uint32_t nlist;           /* IVF lists; 0: igr_ann_default_nlist(n) */
	uint32_t hnsw_m;          /* HNSW links a node; 0: 32 */
	uint32_t ef_construction; /* HNSW build breadth; 0: 80 */
	uint32_t pq_bytes;        /* IVF_PQ: bytes a code (sub-vectors);
				     0: igr_ann_default_pq_bytes(D) */
	uint32_t effort;          /* the default search effort saved with
				     the index (nprobe / efSearch); 0: a
				     default per type */
	int seed;                 /* k-means sampling and initialisation */
	/* called between chunks of the build with (done, total) vectors */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

/* What an index is. */
struct igr_ann_info {
	int type;
	uint32_t dim;
	uint64_t n;
	uint32_t nlist;      /* IVF, else 0 */
	uint32_t hnsw_m;     /* HNSW, else 0 */
	uint32_t effort;     /* default nprobe / efSearch (0 for flat) */
	uint64_t bytes;      /* memory of the codes / vectors and links */
};

/* The type named NAME ("sq8", "pq", "hnsw", "flat"), or -1; and back. */
int igr_ann_type_parse(const char *name);
const char *igr_ann_type_name(int type);

/* About 4 sqrt(N) lists (at least 1, at most N / 39 so that k-means has
 * the 39 points a centroid FAISS asks for). */
uint32_t igr_ann_default_nlist(uint64_t n);

/* The lists an inverted file probes when the caller gives no effort: 64,
 * fewer (at least 16) where that would scan more than about 16,384 of
 * the N items in NLIST lists. */
uint32_t igr_ann_default_probes(uint64_t n, uint32_t nlist);

/* The bytes of a pq code at dimension D when the caller gives none. */
uint32_t igr_ann_default_pq_bytes(uint32_t d);

/* An index of type P->type over X (N x D row-major floats).  NULL with
 * the error set. */
igr_ann *igr_ann_build(const struct igr_ann_params *p, const float *x,
		       uint64_t n, uint32_t d);
void igr_ann_free(igr_ann *a);
void igr_ann_describe(const igr_ann *a, struct igr_ann_info *info);

/*
 * The K best vectors for each of NQ queries Q (NQ x D): for query j,
 * IDS[j*K ..] best first with their approximate inner products in
 * SCORES[j*K ..]; fewer than K found leave id -1 in the tail.  EFFORT 0
 * is the index's default.  Returns 0 or -1.
 */
int igr_ann_search(const igr_ann *a, const float *q, uint64_t nq, uint32_t k,
		   uint32_t effort, float *scores, int64_t *ids);

/* Serialise the index with FAISS's write_index, handing the bytes to
 * WRITE(ARG, bytes, n) (which returns 0 or -1 with the error set).
 * Returns 0 or -1. */
int igr_ann_write(const igr_ann *a,
		  int (*write)(void *arg, const void *p, size_t n), void *arg);
/* An index from the N bytes at BUF that igr_ann_write() gave (FAISS's
 * read_index).  NULL with the error set. */
igr_ann *igr_ann_read(const void *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
