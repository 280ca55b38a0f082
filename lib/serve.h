/*
 * serve.h - one run of igraph-recommend: the recommendation engine
 * (recommend.h) between its input files and its output.
 *
 * A run opens the model and the current graph and binds the engine
 * (igr_serve_open), reads the rule and query files (igr_serve_lists:
 * --allow, --block, --users, --similar, --audience, --audience-category;
 * one id a line, external ids through the vocabulary), then scores in
 * batches and writes each batch as it is ready (igr_serve_run: a scores
 * stream with its header, or JSON lines), and closes the output
 * (igr_serve_close).  Every step returns 0 or -1 with the error set; the
 * library never prints: progress goes to opts->report.
 *
 * Ownership: the options (and the vocabulary and report they point to)
 * are borrowed and must outlive the run; igr_serve_free() releases the
 * rest and removes an output that was not closed.
 */
#ifndef IGR_SERVE_H
#define IGR_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "model.h"
#include "recommend.h"
#include "report.h"
#include "vocab.h"

/* Catalogues of at least this many items are served through an index
 * built at load time when no --index is given (and not --exact).  Not a
 * measured crossover but an extrapolation (BENCHMARKS.md, "Approximate
 * serving"): at 394K items on 2 cores, building an sq8 index and serving
 * through it (31 + 41 s) still cost more than scoring every item (59 s);
 * the exhaustive cost grows with the items, the index's about with their
 * square root. */
#define IGR_SERVE_ANN_ITEMS 1000000

/* Contributions per recommended item with `explain`. */
#define IGR_SERVE_EXPLAIN 3

/* How lists for users choose their candidates (igr_rec_index_open). */
struct igr_index_choice {
	const char *index;        /* item index (igraph-index), or NULL */
	int exact;                /* score every item (no index) */
	uint32_t ann_items;       /* no index given: build one from this
				     many items (0: never) */
	uint32_t candidates;      /* index candidates beyond k and the
				     excluded items (UINT32_MAX: k; for pq
				     k x max(5, dim / 20)) */
	uint32_t effort;          /* index search effort (0: its default) */
};

struct igr_index;

/* The index REC's lists of K items go through, for the embedding model
 * NAME: loaded from C->index and checked against the model's vectors,
 * or built now for a catalogue of at least C->ann_items items; none
 * with C->exact, for a model without item vectors (an --index given
 * for one is an error) or, unless given, for a rank-1 model walked in
 * its one order (pop).  *OUT: the index (the caller frees it after
 * REC), or NULL.  Says what it chose on REPORT.  0 or -1. */
int igr_rec_index_open(igr_rec *rec, const char *name,
		       const struct igr_index_choice *c, uint32_t k,
		       const igr_report *report, struct igr_index **out)
	IGR_WUR;

/* This rank's share [*LO, *HI) of the N ids IDS (rows of C, which may
 * be NULL), balanced by their edges in C plus one each (a query without
 * edges still costs its scoring); all of them on one rank.  IDS NULL:
 * the ids 0 .. N-1 (every row of C).  0 or -1. */
int igr_serve_range(const igr_csr *c, const uint32_t *ids, size_t n,
		    size_t *lo, size_t *hi) IGR_WUR;
/* Every rank's share: rank r's is [BOUNDS[r], BOUNDS[r + 1]) (BOUNDS:
 * igr_par_size() + 1 entries).  0 or -1. */
int igr_serve_bounds(const igr_csr *c, const uint32_t *ids, size_t n,
		     size_t *bounds) IGR_WUR;

enum igr_serve_mode {
	IGR_SERVE_USERS,    /* top-K items per user */
	IGR_SERVE_SIMILAR,  /* top-K items per item */
	IGR_SERVE_AUDIENCE, /* top-K users per item, campaign or category */
};

struct igr_serve_opts {
	const char *model;        /* model file (igraph-train) */
	const char *graph;        /* graph stream; "-": standard input */
	const char *events;       /* events whose buys define 'bought' */
	const char *users;        /* user id file, or NULL: every user */
	const char *users_from;   /* or the users of this events stream */
	const char *allow, *block; /* item id files, or NULL */
	const char *similar;      /* item id file (IGR_SERVE_SIMILAR) */
	const char *audience;     /* item id file, tab-separated campaigns */
	const char *audience_cat; /* category id file */
	const char *vectors;      /* vectors stream replacing user vectors */
	struct igr_index_choice ix; /* the item index of the lists */
	int mode;                 /* enum igr_serve_mode */
	const char *exclude;      /* "seen", "bought" or "none" (header) */
	int json;                 /* JSON lines instead of a scores stream */
	int explain;              /* add each item's contributions */
	int skip_unknown;         /* unknown ids are counted, not errors */
	struct igr_rec_opts rec;  /* k, rules (exclude, explain and bought
				     are set from the members above) */
	const igr_vocabset *vs;   /* external ids, or NULL */
	const char *output;       /* NULL: standard output */
	int encoding;             /* IGR_ENC_* of the scores stream */
	int argc;                 /* the command line, for the #PG line */
	char **argv;
	const igr_report *report; /* progress (may be NULL) */
};

typedef struct igr_serve igr_serve;

struct igr_serve_stats {
	uint64_t lists, rows, fallback_lists;
	uint64_t skipped;          /* unknown ids left out (skip_unknown) */
	size_t users;              /* users scored (IGR_SERVE_USERS) */
	double t_load, t_score, t_write; /* seconds */
};

/* Load the model, read the graph, bind the engine, read the vectors and
 * the bought items.  NULL with the error set. */
igr_serve *igr_serve_open(const struct igr_serve_opts *o) IGR_WUR;
/* The model (for messages) and whether it can explain its scores. */
const igr_model *igr_serve_model(const igr_serve *s);
int igr_serve_can_explain(const igr_serve *s);
/* Read the allow, block, user and query files. */
int igr_serve_lists(igr_serve *s) IGR_WUR;
/* Open the output, write its header, score and write every list. */
int igr_serve_run(igr_serve *s) IGR_WUR;
/* Close the output (it is complete only now). */
int igr_serve_close(igr_serve *s) IGR_WUR;
void igr_serve_stats(const igr_serve *s, struct igr_serve_stats *st);
/* For embedding models in IGR_SERVE_USERS: the arithmetic of the scoring
 * (users x items x dim, in GFLOP) and the sgemm rate measured now
 * (GFLOP/s).  1 with both set, or 0 when it does not apply. */
int igr_serve_sgemm(const igr_serve *s, double *gflop, double *rate,
		    uint32_t *nitems, uint32_t *dim);
void igr_serve_free(igr_serve *s);

struct igr_ann_params;

/* igraph-index: the item index (annindex.h) of the embedding model in
 * the file MODEL bound to the graph GRAPH (as igraph-recommend binds
 * them: LightGCN's item vectors follow the graph), built with P.  VS: the
 * vocabulary of a TSV graph with external ids, or NULL.  NULL with the
 * error set (not an embedding model, ...). */
struct igr_index *igr_serve_index(const char *model, const char *graph,
				  const igr_vocabset *vs,
				  const struct igr_ann_params *p) IGR_WUR;

#endif
