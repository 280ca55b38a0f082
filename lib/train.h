/*
 * train.h - the models igraph-train can build, and what trainers share.
 *
 * igraph-train --model NAME looks NAME up in igr_trainers[] (train.c) and
 * calls its train function on the graph it loaded.  Hyper-parameters are
 * long options declared once in igr_train_params[] (train.c): igraph-train
 * turns every entry into an option "--NAME ARG" (or "--NAME" for a flag)
 * and its --help line, range-checks the value, and hands the options that
 * were given to the trainer in ctx->params (a cJSON object: numbers,
 * strings, true for flags).  An option given to a model that does not
 * list it in its trainer's `params` is a usage error.
 *
 * Adding a model (gf, mf, lightgcn, mlp ...):
 *   1. write `igr_model *igr_train_NAME(const igr_graph *g,
 *      const struct igr_train_ctx *ctx)` in the model's module (its
 *      prototype goes below), reading each hyper-parameter with
 *      igr_train_num()/igr_train_str()/igr_train_flag() (which also record
 *      the value used in the model's "params"), and calling
 *      igr_train_data_summary();
 *   2. add one line to igr_trainers[] in train.c;
 *   3. add any new option to igr_train_params[] in train.c (options are
 *      shared: --dim serves mf and lightgcn alike);
 *   4. add the model's serving ops to lib/model_registry.c (model.h);
 *   5. document the options in man/man1/igraph-train.1, SYNOPSIS and
 *      list (tests/sh/test_man.sh checks --help against the SYNOPSIS).
 *
 * The library never prints: trainers report progress through
 * igr_report_progress(ctx->report, ...) (report.h; shown on stderr by the
 * command when it is a terminal or with --progress).
 *
 * Ownership: trainers return a model the caller frees with
 * igr_model_free(), or NULL with the error set.  ctx and its params stay
 * owned by the caller.
 */
#ifndef IGR_TRAIN_H
#define IGR_TRAIN_H

#include <cJSON.h>
#include <stdint.h>

#include "graph.h"
#include "io.h"
#include "model.h"
#include "report.h"

enum igr_param_type {
	IGR_P_INT = 1,      /* integer in [min, max] */
	IGR_P_NUM = 2,      /* real in [min, max] */
	IGR_P_STR = 3,      /* string (a file name, a choice ...) */
	IGR_P_FLAG = 4,     /* no argument; true when given */
	IGR_P_DURATION = 5, /* duration ("7d", "3600"), stored in seconds */
};

struct igr_train_param {
	const char *name;    /* the long option, without "--" */
	int type;            /* enum igr_param_type */
	double min, max;     /* range of IGR_P_INT / IGR_P_NUM */
	const char *metavar; /* argument name in --help: "n", "x", "file" */
	const char *help;    /* --help description (name the models) */
};

/* Every hyper-parameter option; the list ends with a NULL name. */
extern const struct igr_train_param igr_train_params[];

struct igr_train_ctx {
	const cJSON *params;       /* options given: name -> value */
	int threads;               /* 0 = all cores */
	uint64_t seed;             /* --seed (default 1) */
	const char *source;        /* graph file name, for the summary */
	const igr_report *report;  /* progress and -v lines (may be NULL) */
};

struct igr_trainer {
	const char *name;    /* --model NAME */
	const char *help;    /* one line for --help and errors */
	const char *params;  /* space-separated option names it accepts */
	unsigned rels;       /* graph relations to load (IGR_REL bits) */
	igr_model *(*train)(const igr_graph *g,
			    const struct igr_train_ctx *ctx);
	/* A model trained from another stream than a graph (the mlp ranker
	 * reads pair features): the kind igraph-train opens its input as,
	 * and the function it calls instead of `train` (0 / NULL: a graph). */
	int input_kind;
	igr_model *(*train_stream)(igr_reader *r,
				   const struct igr_train_ctx *ctx);
	/* Checks the options that the table's ranges cannot (a choice among
	 * names, a list), before the input is opened, so that a bad value is
	 * a usage error and costs no reading; -1 with the error set.  NULL:
	 * nothing to check. */
	int (*check)(const struct igr_train_ctx *ctx);
};

/* The table; ends with a NULL name. */
extern const struct igr_trainer igr_trainers[];

/* The trainer called NAME, or NULL. */
const struct igr_trainer *igr_trainer_find(const char *name);

/* 1 if trainer T accepts option NAME. */
int igr_trainer_accepts(const struct igr_trainer *t, const char *name);

/* The value of option NAME from ctx->params, or DEF when not given;
 * the value used is recorded in M's "params" under NAME (M may be NULL:
 * nothing recorded). */
double igr_train_num(const struct igr_train_ctx *ctx, igr_model *m,
		     const char *name, double def);
const char *igr_train_str(const struct igr_train_ctx *ctx, igr_model *m,
			  const char *name, const char *def);
int igr_train_flag(const struct igr_train_ctx *ctx, igr_model *m,
		   const char *name);

/* Record the training graph summary in M's "data": users, items,
 * categories (id bounds), user_item_edges, user_item_weight, now and
 * half_life (when the graph has them), source.  0 or -1. */
int igr_train_data_summary(igr_model *m, const igr_graph *g,
			   const char *source) IGR_WUR;

/* Id bounds recorded by igr_train_data_summary() (0 when absent). */
uint32_t igr_model_nusers(const igr_model *m);
uint32_t igr_model_nitems(const igr_model *m);

/* ---- the trainers -------------------------------------------------- */

/* pop.c: item popularity (sum of user->item weights, or user count). */
igr_model *igr_train_pop(const igr_graph *g, const struct igr_train_ctx *ctx);
int igr_check_pop(const struct igr_train_ctx *ctx);
/* itemknn.c: item-item cosine neighbourhoods. */
igr_model *igr_train_itemknn(const igr_graph *g,
			     const struct igr_train_ctx *ctx);

/* Serving ops of the models above (model_registry.c). */
extern const struct igr_model_ops igr_pop_ops;
extern const struct igr_model_ops igr_itemknn_ops;

#endif
