/*
 * show.h - looking at an interest graph (igraph-show): a summary of the
 * whole graph, one node's neighbourhood, and the halo of its shards, as
 * text for people.
 *
 * Both read a loaded igr_graph (graph.h) and write lines to an igr_out;
 * ids are printed through a vocabulary set when one is given (external
 * names), as numbers otherwise.
 *
 * Ownership: the caller owns the graph, the output and the vocabularies;
 * nothing returned needs freeing.
 */
#ifndef IGR_SHOW_H
#define IGR_SHOW_H

#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "vocab.h"

/* Summary of G as TSV lines "metric<TAB>key<TAB>value": per relation the
 * edges, source nodes, degrees and weights, and the K heaviest nodes of
 * each type (users by their user->item weight, items and categories by
 * the weight users give them).  Ids through VS when not NULL.  0 or -1. */
int igr_show_summary(const igr_graph *g, igr_out *out, uint32_t k,
		     const igr_vocabset *vs) IGR_WUR;

/* One node's neighbourhood: for a user its K strongest items and
 * categories (and the categories of those items); for an item its
 * categories, K strongest co-engaged items and K strongest users.  As TSV
 * lines "relation<TAB>node<TAB>weight<TAB>count<TAB>last_ts" strongest
 * first, or (DOT) a Graphviz digraph with edge widths by weight.  0 or
 * -1. */
int igr_show_node(const igr_graph *g, int type, uint32_t id, uint32_t k,
		  int dot, igr_out *out, const igr_vocabset *vs) IGR_WUR;

/* The halo of G sharded by user range (halo.h) for each of the N part
 * counts NPARTS[] (each 1 .. IGR_HALO_MAXPARTS): a header line, then per
 * part count one TSV line per part "ranks<TAB>rank<TAB>users<TAB>edges
 * <TAB>items<TAB>remote<TAB>owned<TAB>served".  0 or -1. */
int igr_show_halo(const igr_graph *g, const uint32_t *nparts, size_t n,
		  igr_out *out) IGR_WUR;

#endif
