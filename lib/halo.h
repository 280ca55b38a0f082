/*
 * halo.h - the halo of a graph sharded by user range: how many item rows
 * each rank would need from other ranks, counted on one machine.
 *
 * The parallel stages (par.h) give each rank a range of dense user ids
 * balanced by edge count, igr_par_split() over 1 + each user's
 * user->item degree (the weights propagate and recommend use).  A rank
 * that multiplies its users' rows of the user->item matrix by an item
 * matrix (gf's sparse products, lightgcn's layers, mf's item factors)
 * needs the item rows its users' edges touch: its item-side halo.  When
 * the item rows are themselves owned by ranges of item id balanced by
 * edge count (igr_par_split() over 1 + each item's user->item in-degree),
 * the rows of that halo outside the rank's own item range are the ones
 * that cross the network, once as partial sums to their owners and once
 * back as the rows.  Pure counting: no MPI, any number of parts.
 *
 * Ownership: the caller owns the graph and the PARTS array.
 */
#ifndef IGR_HALO_H
#define IGR_HALO_H

#include <stdint.h>

#include "graph.h"

/* Largest number of parts igr_halo_count() accepts. */
#define IGR_HALO_MAXPARTS 65536

typedef struct igr_halo {
	uint64_t users;  /* users in this part's user range */
	uint64_t edges;  /* user->item edges of those users */
	uint64_t items;  /* distinct items they touch: the item rows needed */
	uint64_t remote; /* of those, items owned by another part */
	uint64_t owned;  /* items in this part's own item range */
	uint64_t served; /* rows of its own items other parts need: the sum
			    over the other parts of their remote rows that
			    this part owns */
} igr_halo;

/* The halo of each of NPARTS parts of G (1 .. IGR_HALO_MAXPARTS) into
 * PARTS[0 .. NPARTS-1], the parts as igr_par_split() cuts users and
 * items; a graph without user->item edges has no halo.  Time O(E) per
 * call; memory 8 bytes per item, and 8 per user or item, whichever are
 * more.  0, or -1 with the error set (out of
 * memory, NPARTS out of range). */
int igr_halo_count(const igr_graph *g, int nparts,
		   igr_halo *parts) IGR_WUR;

#endif
