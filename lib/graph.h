/*
 * graph.h - the interest graph in memory, as compressed sparse rows.
 *
 * A `graph` stream holds typed edges (user->item, user->category,
 * item->item, item->category ...).  igr_graph_read() loads one relation per
 * (source type, destination type) pair into a CSR: the edges of source s
 * are idx[ptr[s] .. ptr[s+1]) with weights w[] (and, with
 * IGR_GRAPH_DETAILS, count[] and last_ts[]), destination ids ascending
 * within a row.  Building is a counting sort by source, O(E + N), plus a
 * sort of any row that arrives out of order.
 *
 * Node id bounds: n[type] is 1 + the largest id of that type seen in any
 * edge, raised to the header's "nodes.user" / "nodes.item" /
 * "nodes.category" meta values when present (featurize records the
 * vocabulary sizes there, so items without edges still count).
 *
 * The header meta "now" (Unix seconds the weights are decayed to) and
 * "half_life" (seconds; "inf" for none) are parsed into the struct when
 * present.
 *
 * Ownership: igr_graph_read() returns a graph the caller frees with
 * igr_graph_free(); relations and their arrays belong to the graph.
 * igr_csr_* functions return CSRs the caller frees with igr_csr_free().
 */
#ifndef IGR_GRAPH_H
#define IGR_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

typedef struct igr_csr {
	uint32_t nrows;    /* sources: ids 0 .. nrows-1 */
	uint32_t ncols;    /* destination id bound */
	uint64_t nnz;
	uint64_t *ptr;     /* nrows + 1 offsets */
	uint32_t *idx;     /* nnz destination ids */
	float *w;          /* nnz weights */
	uint32_t *count;   /* nnz event counts, or NULL */
	int64_t *last_ts;  /* nnz newest event times, or NULL */
} igr_csr;

typedef struct igr_graph {
	uint32_t n[IGR_NNODE];                 /* id bound per node type */
	igr_csr *rel[IGR_NNODE][IGR_NNODE];    /* [src_type][dst_type] or NULL */
	int has_now;
	int64_t now;                           /* weights are decayed to now */
	double half_life;                      /* seconds; INFINITY = none */
	/* The per-user event sequences the graph was built from, when it
	 * was built from an events stream (seqs.h; borrowed), else NULL. */
	const struct igr_seqs *seqs;
} igr_graph;

/* Flags for igr_graph_read(). */
enum {
	IGR_GRAPH_DETAILS = 1 << 0, /* keep count and last_ts per edge */
};

/* Relation selection: bit (src_type * 3 + dst_type).  IGR_REL_ALL loads
 * everything. */
#define IGR_REL(src, dst) (1u << ((src) * IGR_NNODE + (dst)))
#define IGR_REL_ALL 0x1ffu

/* Read the rest of graph stream R (header already read by
 * igr_reader_open) into memory.  RELS selects relations (IGR_REL bits);
 * edges of other relations are read and skipped but still count towards
 * the node bounds.  A duplicate (src, dst) edge is an error. */
igr_graph *igr_graph_read(igr_reader *r, unsigned rels,
			  unsigned flags) IGR_WUR;

void igr_graph_free(igr_graph *g);

/* The relation or NULL. */
static inline const igr_csr *igr_graph_rel(const igr_graph *g, int src,
					   int dst)
{
	return g->rel[src][dst];
}

/* Build a CSR from NNZ coordinate entries (row r[i], column c[i], weight
 * w[i]; count and ts may be NULL).  Rows are sorted by column; duplicate
 * coordinates are an error when DUP_ERROR, else summed (counts added,
 * newest time kept).  Inputs are not modified. */
igr_csr *igr_csr_from_coo(uint32_t nrows, uint32_t ncols, uint64_t nnz,
			  const uint32_t *r, const uint32_t *c, const float *w,
			  const uint32_t *count, const int64_t *ts,
			  int dup_error) IGR_WUR;

/* The transpose (e.g. item -> user from user -> item), O(nnz + n). */
igr_csr *igr_csr_transpose(const igr_csr *a) IGR_WUR;

/* An empty CSR with NROWS rows. */
igr_csr *igr_csr_empty(uint32_t nrows, uint32_t ncols) IGR_WUR;

void igr_csr_free(igr_csr *a);

/* Degree of row S. */
static inline uint64_t igr_csr_degree(const igr_csr *a, uint32_t s)
{
	return s < a->nrows ? a->ptr[s + 1] - a->ptr[s] : 0;
}

/* The first position in IDX[LO, HI) (ascending) holding a value >= KEY
 * (HI if none): the binary search every sorted row uses. */
static inline uint64_t igr_lower_bound_u32(const uint32_t *idx, uint64_t lo,
					   uint64_t hi, uint32_t key)
{
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (idx[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define IGR_NOPOS UINT64_MAX

/* Position of edge (s, d) in A's arrays, or IGR_NOPOS if absent (A may be
 * NULL). */
uint64_t igr_csr_find(const igr_csr *a, uint32_t s, uint32_t d);

/* Weight of edge (s, d) by binary search, or 0 if absent. */
float igr_csr_get(const igr_csr *a, uint32_t s, uint32_t d);

/* Write every relation of G as a graph stream, in (src_type, src,
 * dst_type, dst) order.  The caller opened W and set its meta. */
int igr_graph_write(const igr_graph *g, igr_writer *w) IGR_WUR;

#endif
