/*
 * seqs.h - each user's events in order: the input of the behaviour-
 * sequence model (models/seq.c).
 *
 * The graph models see a user as a bag of weighted edges; the sequence
 * model reads the order.  An igr_seqs holds every event of an events
 * stream grouped by user, each user's events in time order, ties kept in
 * input order (as igraph-split --last breaks them), so the per-position
 * times that `igraph-ingest --time-format position` gives sequence data
 * survive.
 *
 * The serving tools (igraph-recommend, igraph-propagate) take an events
 * stream where they take a graph: igr_seqs_input() reads either, and from
 * events builds the graph the serving rules need (user -> item edges of
 * weight and count the number of events, last_ts the newest; item ->
 * category from the events' categories) with the sequences attached
 * (g->seqs), so the sequence model's prepare() reads each user's current
 * last events.
 *
 * Ownership: igr_seqs_read() returns sequences the caller frees with
 * igr_seqs_free(); igr_seqs_graph() returns a graph the caller frees with
 * igr_graph_free(), which only borrows S: free S after the graph.
 */
#ifndef IGR_SEQS_H
#define IGR_SEQS_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "stream.h"

typedef struct igr_seqs {
	uint32_t nusers;  /* user id bound */
	uint32_t nitems;  /* item id bound */
	uint32_t ncats;   /* category id bound (0: none) */
	uint64_t n;       /* events */
	uint64_t *ptr;    /* nusers + 1: user u's events are ptr[u] .. */
	uint32_t *item;   /* n items, each user's in time order */
	uint8_t *beh;     /* n behaviours (enum igr_behavior) */
	int64_t *ts;      /* n times */
	uint32_t *cat;    /* n categories (IGR_NONE: none) */
} igr_seqs;

/* Every event of the rest of events stream R, grouped and ordered. */
igr_seqs *igr_seqs_read(igr_reader *r) IGR_WUR;
/* The same from N events in memory (tests). */
igr_seqs *igr_seqs_from_events(const igr_event *ev, size_t n) IGR_WUR;
void igr_seqs_free(igr_seqs *s);

/* Events of user U (0 beyond the bound). */
static inline uint64_t igr_seqs_len(const igr_seqs *s, uint32_t u)
{
	return u < s->nusers ? s->ptr[u + 1] - s->ptr[u] : 0;
}

/* The user -> item and item -> category relations of S as a graph, with
 * g->seqs = S. */
igr_graph *igr_seqs_graph(const igr_seqs *s) IGR_WUR;

/* A serving tool's input R: a graph stream read with RELS and FLAGS
 * (igr_graph_read; *SEQS = NULL), or an events stream, read into *SEQS
 * and made a graph by igr_seqs_graph().  Other kinds are an error. */
igr_graph *igr_seqs_input(igr_reader *r, unsigned rels, unsigned flags,
			  igr_seqs **seqs) IGR_WUR;

#endif
