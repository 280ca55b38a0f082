/*
 * evalreport.h - one run of igraph-eval: the evaluation of metrics.h
 * between its input streams and its report.
 *
 * A run reads the truth (an events stream, optionally only some
 * behaviours) and one or two scores streams of user -> item
 * recommendations (igr_evalreport_read), computes the metrics and the
 * catalogue size that coverage divides by (igr_evalreport_compute), and
 * writes the report to an output the caller opened
 * (igr_evalreport_write): TSV lines (the averages, a comparison of two
 * runs, or one row per user and cutoff) or one JSON object.  Every step
 * returns 0 or -1 with the error set; the library never prints (warnings
 * are left to the caller: see igr_evalreport_stats).
 *
 * Ownership: the options (and the vocabulary, cutoffs and paths they
 * point to) are borrowed and must outlive the run; the evaluation and its
 * results belong to the run and live until igr_evalreport_free().  The
 * output passed to igr_evalreport_write() stays the caller's.
 */
#ifndef IGR_EVALREPORT_H
#define IGR_EVALREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "metrics.h"
#include "vocab.h"

struct igr_evalreport_opts {
	const char *truth;      /* events stream; "-": standard input */
	const char *runs[2];    /* scores streams (runs[1]: --compare) */
	int nruns;              /* 1 or 2 */
	const uint32_t *k;      /* cutoffs (igr_eval_new) */
	int nk;
	unsigned behaviors;     /* bit per enum igr_behavior; 0 = all */
	uint64_t items;         /* catalogue size, 0: from the vocabulary,
				   else 1 + the largest id */
	int json;               /* one JSON object instead of TSV lines */
	int per_user;           /* one row per user and cutoff (1 run) */
	int prob;               /* scores are probabilities */
	int nbins;              /* calibration bins */
	const igr_vocabset *vs; /* external ids, or NULL */
};

/* What was read and decided, for the caller's summary and warnings. */
struct igr_evalreport_stats {
	uint64_t truth_read;      /* events of the truth stream */
	uint64_t truth_relevant;  /* of the chosen behaviours */
	uint64_t records[2];      /* records of each run */
	uint64_t items;           /* the catalogue size (after compute) */
	const char *items_source; /* "--items", "vocabulary" or
				     "largest id + 1" (static) */
	uint64_t forgotten;       /* forgotten users left out of the
				     per-user rows (after write) */
};

typedef struct igr_evalreport igr_evalreport;

/* A run with options O.  NULL with the error set. */
igr_evalreport *igr_evalreport_new(const struct igr_evalreport_opts *o)
	IGR_WUR;
/* Read the truth, then each run. */
int igr_evalreport_read(igr_evalreport *er) IGR_WUR;
/* Compute the metrics and the catalogue size; an item of a run outside
 * the catalogue is an error. */
int igr_evalreport_compute(igr_evalreport *er) IGR_WUR;
/* Write the report to OUT (after compute). */
int igr_evalreport_write(igr_evalreport *er, igr_out *out) IGR_WUR;
/* The evaluation (its results: igr_eval_result_of) and the counts. */
const igr_eval *igr_evalreport_eval(const igr_evalreport *er);
void igr_evalreport_stats(const igr_evalreport *er,
			  struct igr_evalreport_stats *st);
void igr_evalreport_free(igr_evalreport *er);

/* PATH as the stream library names it in messages ("<stdin>" for NULL or
 * "-"); a static string or PATH itself. */
const char *igr_evalreport_disp(const char *path);
/* The behaviours of MASK as "view,buy" in BUF (of SIZE bytes), or the
 * static "all" for 0. */
const char *igr_behavior_list(unsigned mask, char *buf, size_t size);

#endif
