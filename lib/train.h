/*
 * train.h - the models igraph-train can build, and what trainers share.
 *
 * Each model is a file pair lib/models/NAME.c / NAME.h that defines one
 * struct igr_model_type: its name and --help line, the hyper-parameter
 * options it accepts (each declared once, with its help text, as a
 * struct igr_train_param), its train function and its serving ops
 * (model.h).  The registry (model_registry.c) lists every type; that list
 * is all igraph-train and the serving tools know of the models.
 * igraph-train turns every option of every type into "--NAME ARG" (or
 * "--NAME" for a flag) and its --help line, range-checks the value, and
 * hands the options that were given to the trainer in ctx->params (a
 * cJSON object: numbers, strings, true for flags).  An option given to a
 * model that does not list it is a usage error.
 *
 * Adding a model (the way gf, mf, lightgcn, mlp were added):
 *   1. write lib/models/NAME.c and NAME.h: `igr_model *train(const
 *      igr_graph *g, const struct igr_train_ctx *ctx)` reading each
 *      hyper-parameter with igr_train_num()/igr_train_str()/
 *      igr_train_flag() (which also record the value used in the model's
 *      "params") and calling igr_train_data_summary(); the serving ops;
 *      the options only it takes; and `const struct igr_model_type
 *      igr_NAME_model` tying them together.  Options several models
 *      share are declared once where they are shared (igr_param_lr and
 *      the others below; learn.h for the learned models);
 *   2. add `&igr_NAME_model,` to the list in lib/model_registry.c;
 *   3. document the options in man/man1/igraph-train.1, SYNOPSIS and
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

/* Options more than one kind of model takes (mlp and the learned models
 * of learn.h); their help text names the models. */
extern const struct igr_train_param igr_param_lr, igr_param_batch,
	igr_param_epochs, igr_param_valid, igr_param_dropout,
	igr_param_patience;

struct igr_train_ctx {
	const cJSON *params;       /* options given: name -> value */
	int threads;               /* 0 = all cores */
	uint64_t seed;             /* --seed (default 1) */
	const char *source;        /* graph file name, for the summary */
	const igr_report *report;  /* progress and -v lines (may be NULL) */
};

/* A model type: what igraph-train needs to build it and the serving
 * tools to use it. */
struct igr_model_type {
	const char *name;    /* --model NAME */
	const char *help;    /* one line for --help and errors */
	/* The hyper-parameter options it accepts, NULL-terminated. */
	const struct igr_train_param *const *params;
	unsigned rels;       /* graph relations to load (IGR_REL bits) */
	unsigned graph_flags; /* igr_graph_read() flags (edge times) */
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
	/* 1: train() runs on the ranks of a parallel run (par.h), every rank
	 * called alike, each rank's model the same (rank 0's is written):
	 * mf the serial bytes, gf and lightgcn the serial arrays within
	 * rounding; 0: igraph-train refuses more than one rank for it. */
	int parallel;
	/* Serving (model.h); its name is the type's. */
	const struct igr_model_ops *ops;
};

/* The registry (model_registry.c): every model type, in --help order,
 * NULL-terminated. */
extern const struct igr_model_type *const igr_model_types[];

/* The model type called NAME, or NULL. */
const struct igr_model_type *igr_model_type_find(const char *name);

/* 1 if model type T accepts option NAME. */
int igr_model_type_accepts(const struct igr_model_type *t, const char *name);

/* The value of option NAME from ctx->params, or DEF when not given;
 * the value used is recorded in M's "params" under NAME (M may be NULL:
 * nothing recorded). */
double igr_train_num(const struct igr_train_ctx *ctx, igr_model *m,
		     const char *name, double def);
const char *igr_train_str(const struct igr_train_ctx *ctx, igr_model *m,
			  const char *name, const char *def);
int igr_train_flag(const struct igr_train_ctx *ctx, igr_model *m,
		   const char *name);

/* 1 if option NAME was given (not left to its default). */
int igr_train_given(const struct igr_train_ctx *ctx, const char *name);

/* Record the training graph summary in M's "data": users, items,
 * categories (id bounds), user_item_edges, user_item_weight, now and
 * half_life (when the graph has them), source.  0 or -1. */
int igr_train_data_summary(igr_model *m, const igr_graph *g,
			   const char *source) IGR_WUR;

#endif
