/*
 * featurize.h - the dynamic user interest graph (igraph-featurize).
 *
 * From behaviour events it builds a `graph` stream with four relations:
 *
 *   user->item      the user engaged with the item
 *   user->category  the user's "interest points": the same events, keyed by
 *                   the item's category
 *   item->category  each item's category (weighted like the others, so an
 *                   item seen under two categories keeps both, the usual
 *                   one strongest)
 *   item->item      co-engagement (only with a co-occurrence window, see
 *                   below), symmetric
 *
 * Every edge carries weight, count (events behind it) and last_ts (newest
 * of them).  The weight is the DESIGN.md decay sum
 *
 *     weight = sum over events e of w(behavior_e) * 2^(-(now - ts_e) / h)
 *
 * with behaviour weights w and half-life h (INFINITY: no decay).  Because
 * the decay is multiplicative, the graph at time T2 equals the graph at T1
 * multiplied by 2^(-(T2 - T1) / h) plus the events after T1: that is the
 * incremental merge igr_fz_write() performs with a base graph, streaming
 * the base once (sorted merge-join) without loading it.
 *
 * Co-engagement: with cooc_window W > 0, an event of user u on item j at
 * time t pairs with the (at most cooc_max) other items u engaged with most
 * recently, at or after t - W (recency by the newest event on each item,
 * ties by the larger item id); each pair adds w(behavior) * decay(t) to
 * both i->j and j->i.  The state this needs is each user's newest event
 * time per item, which is the user->item edge's last_ts, so a merge gives
 * the same item->item edges as a rebuild provided those user->item edges
 * were not pruned and the new events are not older than the base's.
 *
 * Output order: sorted by (src_type, src, dst_type, dst), which is also
 * what igr_fz_write() requires of a base graph.  Header meta: now,
 * half_life (seconds or "inf"), weights, min_weight, max_degree,
 * cooc_window, cooc_max, nodes.user / nodes.item / nodes.category.
 *
 * Ownership: igr_fz_new() returns a builder the caller frees with
 * igr_fz_free(); the caller owns readers and writers passed in; a report
 * filled by igr_fz_write() is released with igr_fz_report_free().
 */
#ifndef IGR_FEATURIZE_H
#define IGR_FEATURIZE_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "stream.h"
#include "vocab.h"
#include "weighthist.h"

/* Relations, in the report and internally. */
enum {
	IGR_FZ_UI = 0,    /* user -> item */
	IGR_FZ_UC = 1,    /* user -> category */
	IGR_FZ_II = 2,    /* item -> item */
	IGR_FZ_IC = 3,    /* item -> category */
	IGR_FZ_OTHER = 4, /* any other relation found in a base graph */
};
#define IGR_FZ_NREL 5

/* Name of a relation: "user-item" ... */
const char *igr_fz_rel_name(int rel);

typedef struct igr_fz_opts {
	double weight[IGR_NBEHAVIOR]; /* per behaviour, >= 0 */
	double half_life;             /* seconds, > 0; INFINITY: no decay */
	int has_now;
	int64_t now;                  /* decay reference (has_now) */
	/* times that cannot be right are errors, never weights: an event
	 * after now (has_now), or after clock + max_future (seconds;
	 * INFINITY: no horizon), and a base graph whose now is after them */
	double max_future;
	int64_t clock;                /* the time of the run (Unix seconds) */
	/* a merge whose decay and pruning drop more than IGR_FZ_MAX_PRUNE of
	 * the base graph's weighted edges is an error unless allow_prune */
	int allow_prune;
	double min_weight;            /* prune below; 0: never */
	uint32_t max_degree;          /* per (node, relation); 0: no cap */
	double cooc_window;           /* seconds; 0: no item->item edges */
	uint32_t cooc_max;            /* partners per event */
	uint32_t nodes[IGR_NNODE];    /* id bounds (vocabulary sizes) or 0 */
	/* given explicitly: checked against a base graph, which otherwise
	 * provides them */
	int weights_set, half_life_set, cooc_set;
} igr_fz_opts;

/* The share of a base graph's user-item, user-category and item-item
 * edges a merge may drop (decay below min_weight, degree cap) before it
 * is an error: a daily merge drops well under 1% (only edges ~3 months
 * old at the default half-life and min_weight), a now years ahead drops
 * nearly all. */
#define IGR_FZ_MAX_PRUNE 0.9

/* Defaults: view 1, click 1, fav 2, cart 3, buy 5, review 4; half-life
 * 7 days; min_weight 1e-4; no degree cap; no co-engagement (cooc_max 10
 * once a window is set); max_future 1 day after clock, which is the
 * current time. */
void igr_fz_opts_init(igr_fz_opts *o);

/* Parse "buy=5,cart=3" (unnamed behaviours keep their weight) into W.
 * Returns 0 or -1 with a message. */
int igr_fz_parse_weights(const char *s, double w[IGR_NBEHAVIOR]) IGR_WUR;

/* "view=1,click=1,fav=2,cart=3,buy=5,review=4" into BUF (256 bytes). */
void igr_fz_format_weights(char *buf, const double w[IGR_NBEHAVIOR]);

/* ---- the report of one update --------------------------------------- */

typedef struct igr_fz_relstats {
	uint64_t edges;        /* written */
	uint64_t added;        /* new edges written */
	uint64_t strengthened; /* base edges with new events, written */
	uint64_t decayed;      /* base edges without new events, written */
	uint64_t pruned;       /* dropped: under min_weight or over
				  max_degree */
	uint64_t forgotten;    /* dropped: a forgotten user's */
	igr_weighthist w;      /* weights written */
} igr_fz_relstats;

/* A user whose top-3 categories changed (set or order). */
typedef struct igr_fz_change {
	uint32_t user;
	uint8_t nold, nnew;
	uint32_t old_top[3], new_top[3]; /* strongest first */
} igr_fz_change;

typedef struct igr_fz_report {
	int has_base;
	int64_t now, base_now;
	double decay;              /* factor applied to base weights */
	uint64_t events;           /* read */
	uint64_t events_forgotten; /* dropped: forgotten users */
	uint64_t users_touched;    /* users with new events */
	uint64_t users_new;        /* ... and no base edges */
	uint64_t users_forgotten;  /* users whose edges were removed */
	uint64_t users_top1_changed, users_top3_changed;
	igr_fz_relstats rel[IGR_FZ_NREL];
	igr_fz_change *changed;    /* users_top3_changed entries */
} igr_fz_report;

void igr_fz_report_free(igr_fz_report *rep);

/* Write REP as TSV lines "metric<TAB>key<TAB>value" or (JSON) one object
 * to OUT.  Ids go through VS (external names) when it is not NULL. */
int igr_fz_report_write(const igr_fz_report *rep, igr_out *out, int json,
			const igr_vocabset *vs) IGR_WUR;

/* ---- building ------------------------------------------------------- */

typedef struct igr_fz igr_fz;

igr_fz *igr_fz_new(const igr_fz_opts *o) IGR_WUR;
void igr_fz_free(igr_fz *f);

/* Read every event of R into the builder (events of forgotten users are
 * counted and dropped).  Returns 0 or -1. */
int igr_fz_read_events(igr_fz *f, igr_reader *r) IGR_WUR;

/* Add one event (for library users and tests). */
int igr_fz_add_event(igr_fz *f, const igr_event *e) IGR_WUR;

/* Remove USER: its events (read before or after) and its edges in the
 * base graph.  Returns 0 or -1. */
int igr_fz_forget(igr_fz *f, uint32_t user) IGR_WUR;

/* Check that BASE (a graph stream, header read) can be merged with the
 * options: the same half-life and behaviour weights (an option that was
 * not set explicitly is taken from the base).  Call before
 * igr_fz_write().  Returns 0 or -1. */
int igr_fz_use_base(igr_fz *f, igr_reader *base) IGR_WUR;

/* The options in force (after igr_fz_use_base). */
const igr_fz_opts *igr_fz_options(const igr_fz *f);

/* Newest event time read, or INT64_MIN. */
int64_t igr_fz_newest(const igr_fz *f);

/* Share the work of igr_fz_write() among the ranks of a parallel run
 * (par.h; a no-op in a serial one).  Every rank has read every event, the
 * same erasures and the same base graph header; users and items are cut
 * into one range per rank, each balanced by its number of events, and
 * each rank writes the edges of its range: those of its users (their
 * user->item and user->category edges, built from their events and their
 * base rows) and those of its items (item->item and item->category; the
 * last rank also every later source of the base).  A rank makes the
 * co-engagement of its users' events and sends each event's pairs to the
 * ranks that own their items, which add them in the serial order (sums
 * of partial sums would not give the serial bytes); item->category edges
 * are built by the owner of the item from the events it read.  Every
 * rank reads the whole base graph (its checksum covers all of it) and
 * merges the rows of its ranges: the decay factor is the same for every
 * row, so the merge holds range by range.  igr_fz_write() is then
 * collective: W must come from igr_writer_open_par(), whose records are
 * every rank's user rows in rank order, then every rank's item rows
 * (igr_writer_gather()), the serial stream.  Its report is rank 0's,
 * for the whole graph and equal to the serial one: counts summed, the
 * users whose top categories changed in user order, the weight
 * distributions of every written weight in the serial order (the ranks
 * send them: 4 bytes an edge).  Call before igr_fz_write(). */
void igr_fz_set_par(igr_fz *f);

/* Write the graph: BASE (NULL for none; igr_fz_use_base() called)
 * decayed to now and merged with the events, pruned, to W (opened by the
 * caller; this function sets its meta and writes records but does not
 * close it).  REP (may be NULL) receives what changed.  Returns 0 or -1. */
int igr_fz_write(igr_fz *f, igr_reader *base, igr_writer *w,
		 igr_fz_report *rep) IGR_WUR;

#endif
