/*
 * annindex.h - the approximate-nearest-neighbour index of an embedding
 * model's items (igraph-index builds it, igraph-recommend serves from it).
 *
 * An embedding model scores score(u, i) = dot(U[u], V[i]) + b[i]
 * (embed.h).  The index holds the item vectors with the bias as one more
 * coordinate, [V[i], b[i]], so that a user's query [U[u], 1] finds by
 * inner product the items of the largest scores (ann.h: FAISS).
 *
 * The file is the model container of model.h (magic, version, JSON
 * description, CRC-32, atomic write), named "faiss-index", with one array:
 * the bytes of FAISS's write_index.  Its description records what the
 * index was built from: the model type, the items, the dimension, whether
 * a bias was appended, and the CRC-32 of the item vectors and biases (the
 * fingerprint).  An index serves only the vectors it was built from:
 * igr_index_check() compares the fingerprint, so an index of another
 * model, or of a LightGCN model propagated over another graph (its item
 * vectors follow the graph), is refused rather than served.
 *
 * Ownership: igr_index_build() and igr_index_load() return an index the
 * caller frees with igr_index_free(); it does not point into the
 * embedding it was built from.
 */
#ifndef IGR_ANNINDEX_H
#define IGR_ANNINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "ann.h"
#include "embed.h"
#include "io.h"

typedef struct igr_index {
	igr_ann *ann;
	char model[32];      /* the model type it was built for */
	uint32_t dim;        /* the model's dimension */
	int bias;            /* 1: the bias is coordinate dim */
	uint32_t nitems;
	uint32_t fingerprint;
	double build_seconds;
} igr_index;

/* The CRC-32 of E's item vectors and biases (little-endian hosts: their
 * bytes). */
uint32_t igr_index_fingerprint(const igr_embed *e);

/* An index of P's type over E's items (MODEL: the model type name, for
 * the description).  NULL with the error set. */
igr_index *igr_index_build(const igr_embed *e, const char *model,
			   const struct igr_ann_params *p) IGR_WUR;
void igr_index_free(igr_index *x);

/* Write X to PATH atomically / read it back.  0 or -1; NULL with the
 * error set (not an index file, damaged, an index of a kind this program
 * does not build). */
int igr_index_save(const igr_index *x, const char *path) IGR_WUR;
igr_index *igr_index_load(const char *path) IGR_WUR;

/* 0 if X was built from E's items of a MODEL model; -1 with an error
 * naming PATH and the difference otherwise. */
int igr_index_check(const igr_index *x, const igr_embed *e, const char *model,
		    const char *path) IGR_WUR;

/* The query of a user vector U (dim floats): U, then 1 when X carries a
 * bias.  OUT has room for igr_index_qdim(X) floats. */
uint32_t igr_index_qdim(const igr_index *x);
void igr_index_query(const igr_index *x, const float *u, float *out);

#endif
