/*
 * propagate.h - one run of igraph-propagate: users' interest points (and
 * vectors) recomputed from the current graph through a model, without
 * retraining.
 *
 * A run loads the model, reads the graph and binds the recommendation
 * engine (igr_propagate_open), opens the graph output and the optional
 * vectors output with their headers (igr_propagate_outputs), recomputes
 * the user->category rows of the chosen users in batches while keeping
 * the other rows, writes the vectors as it goes and then the graph
 * (igr_propagate_run), and closes the outputs (igr_propagate_close).
 * Every step returns 0 or -1 (NULL) with the error set; the library never
 * prints: progress goes to opts->report.
 *
 * Ownership: the options (and the vocabulary and report they point to)
 * are borrowed and must outlive the run; everything else belongs to the
 * run, and igr_propagate_free() releases it and removes the outputs that
 * were not closed.
 */
#ifndef IGR_PROPAGATE_H
#define IGR_PROPAGATE_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "report.h"
#include "serve.h"
#include "vocab.h"

struct igr_propagate_opts {
	const char *model;        /* model file (igraph-train) */
	const char *graph;        /* graph stream; "-": standard input */
	const char *vectors;      /* vectors output, or NULL: none */
	const char *users_from;   /* events stream: only its users are
				     recomputed; NULL: every user */
	uint32_t points;          /* interest points kept per user */
	uint32_t depth;           /* the model's top items behind them */
	struct igr_index_choice ix; /* the item index behind those (serve.h;
				     all zero: none) */
	const igr_vocabset *vs;   /* external ids, or NULL */
	const char *output;       /* graph output; NULL: standard output */
	int encoding;             /* IGR_ENC_* of both outputs */
	int argc;                 /* the command line, for the #PG lines */
	char **argv;
	const igr_report *report; /* progress (may be NULL) */
};

struct igr_propagate_stats {
	size_t users;       /* users recomputed */
	uint64_t fallback;  /* of which unknown to the model */
	uint64_t points;    /* interest points written for them */
	uint64_t vectors;   /* vectors written */
};

typedef struct igr_propagate igr_propagate;

/* Load the model, read the graph, bind the engine, check that the model
 * has user vectors when they are asked for, read the users.  NULL with
 * the error set. */
igr_propagate *igr_propagate_open(const struct igr_propagate_opts *o)
	IGR_WUR;
/* 1 when the graph has no item->category edges: then no interest points
 * can be computed and the graph passes through. */
int igr_propagate_no_categories(const igr_propagate *p);
/* Open the outputs and set their headers (the input's meta and #PG lines,
 * the "interest" meta, this run's #PG line). */
int igr_propagate_outputs(igr_propagate *p) IGR_WUR;
/* Recompute the interest points, write the vectors and the graph. */
int igr_propagate_run(igr_propagate *p) IGR_WUR;
/* Close the outputs (they are complete only now). */
int igr_propagate_close(igr_propagate *p) IGR_WUR;
void igr_propagate_stats(const igr_propagate *p,
			 struct igr_propagate_stats *st);
void igr_propagate_free(igr_propagate *p);

#endif
