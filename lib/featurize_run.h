/*
 * featurize_run.h - one run of igraph-featurize: the interest graph
 * (featurize.h) built from events streams, or merged into a base graph,
 * between the command's input files and its outputs.
 *
 * A run opens every input and the vocabulary, in the mode the inputs and
 * outputs need, and applies the erasures already recorded
 * (igr_fzrun_open), reads the --forget file (igr_fzrun_forget), reads the
 * base graph and the events (igr_fzrun_read), writes the graph and the
 * report (igr_fzrun_write), and closes them after saving the vocabulary's
 * new erasure marks (igr_fzrun_close).  Every step returns 0 or -1 (NULL) with
 * the error set; the library never prints: progress goes to opts->report
 * and warnings (a --forget name missing from the vocabulary) to
 * opts->warn.
 *
 * On several MPI ranks (par.h) every rank makes the same calls: each
 * reads every input (the names it is given: see igr_in_par() for
 * standard input), the graph is written by every rank (featurize.h,
 * igr_fz_set_par(); its output is closed collectively), and rank 0 alone
 * writes the report and saves the vocabulary's erasure marks (the others
 * open the vocabulary for reading only).
 *
 * Ownership: the options (and the builder options, file names and report
 * they point to) are borrowed and must outlive the run; everything else
 * belongs to the run, and igr_fzrun_free() releases it and removes the
 * outputs that were not closed.
 */
#ifndef IGR_FEATURIZE_RUN_H
#define IGR_FEATURIZE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "featurize.h"
#include "io.h"
#include "report.h"

struct igr_fzrun_opts {
	igr_fz_opts fz;           /* the builder's options (node counts are
				     set from the vocabulary) */
	char **files;             /* events streams; "-": standard input */
	int nfiles;
	const char *base;         /* base graph, or NULL */
	const char *forget;       /* users to forget, or NULL */
	const char *report;       /* report output ("-": standard output),
				     or NULL */
	int json;                 /* the report as JSON */
	const char *vocab;        /* vocabulary directory, or NULL */
	int text_output;          /* the graph goes out as text (TSV, or a
				     terminal): external names are needed */
	const char *output;       /* graph output; NULL: standard output */
	int encoding;             /* IGR_ENC_* of the graph */
	int argc;                 /* the command line, for the #PG line */
	char **argv;
	const igr_report *report_to; /* progress (may be NULL) */
	/* a warning, a complete line without the program name (may be
	 * NULL) */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

typedef struct igr_fzrun igr_fzrun;

/* Open the inputs and the vocabulary, make the builder, apply the
 * recorded erasures.  NULL with the error set. */
igr_fzrun *igr_fzrun_open(const struct igr_fzrun_opts *o) IGR_WUR;
/* Read the --forget file (no-op without one): its users are removed and,
 * with a vocabulary, marked forgotten. */
int igr_fzrun_forget(igr_fzrun *r) IGR_WUR;
/* Read the base graph's header and every event. */
int igr_fzrun_read(igr_fzrun *r) IGR_WUR;
/* Open the graph output, write the graph, write the report. */
int igr_fzrun_write(igr_fzrun *r) IGR_WUR;
/* Save the vocabulary's erasure marks (durably), then close the outputs
 * (complete only now): a failure in between leaves the marks saved and
 * the old graph in place, never the reverse. */
int igr_fzrun_close(igr_fzrun *r) IGR_WUR;
/* What the update did (valid after igr_fzrun_write, until the free);
 * users named in the --forget file in *NFORGET. */
const igr_fz_report *igr_fzrun_report(const igr_fzrun *r, uint64_t *nforget);
void igr_fzrun_free(igr_fzrun *r);

#endif
