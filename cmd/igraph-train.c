/* igraph-train - build a recommendation model from an interest graph. */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "model.h"
#include "par.h"
#include "stream.h"
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { OPT_MODEL = 1, OPT_PARAM };

static const struct igr_cli_cmd cmd = {
	.name = "igraph-train",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
		   IGR_CO_PROGRESS | IGR_CO_THREADS | IGR_CO_SEED |
		   IGR_CO_MEMORY,
	.parallel = 1,
	.operands = "[graph | events]",
	.about = "Build a model from a graph stream (igraph-featurize), or from an\n"
		 "events stream for the sequence model (seq), and write it to\n"
		 "FILE (-o) or standard output.  mf, gf and lightgcn train on\n"
		 "several MPI ranks too (mpirun -np N igraph-train --model gf\n"
		 "..., srun --mpi=pmix ...: igraph-train(1), Several ranks).",
};

/* Every model type's options, each once, in registry order: a model's
 * new options appear in --help and become options without touching this
 * file. */
#define MAXPARAMS 256
static const struct igr_train_param *params_all[MAXPARAMS];
static size_t nparams_all;

static void collect_params(void)
{
	const struct igr_model_type *const *t;
	size_t i, j;

	for (t = igr_model_types; *t != NULL; t++)
		for (i = 0; (*t)->params[i] != NULL; i++) {
			const struct igr_train_param *p = (*t)->params[i];
			for (j = 0; j < nparams_all; j++)
				if (strcmp(params_all[j]->name, p->name) == 0)
					break;
			if (j < nparams_all)
				continue; /* shared: declared once */
			if (nparams_all == MAXPARAMS)
				igr_die("too many model options");
			params_all[nparams_all++] = p;
		}
}

/* The option table: --model, whose help lists the registry, then every
 * model option with its own help (returned as OPT_PARAM + its index). */
static struct igr_cli_opt *train_options(void)
{
	static char model_help[4096];
	const struct igr_model_type *const *t;
	struct igr_cli_opt *opts = calloc(nparams_all + 2, sizeof *opts);
	size_t i, len;

	if (opts == NULL)
		return NULL;
	len = (size_t)snprintf(model_help, sizeof model_help,
			       "the model to build:");
	for (t = igr_model_types; *t != NULL; t++)
		len += (size_t)snprintf(model_help + len,
					sizeof model_help - len,
					"\n%-8s  %s", (*t)->name, (*t)->help);
	opts[0] = (struct igr_cli_opt)IGR_OPT_CODE('m', "model", "name",
						   OPT_MODEL, model_help,
						   .flags = IGR_OF_REQUIRED);
	for (i = 0; i < nparams_all; i++) {
		const struct igr_train_param *p = params_all[i];
		opts[1 + i] = (struct igr_cli_opt)IGR_OPT_CODE(
			0, p->name, p->type == IGR_P_FLAG ? NULL : p->metavar,
			OPT_PARAM + (int)i, p->help);
	}
	return opts;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	/* static: still reachable when a usage error exits (LeakSanitizer) */
	static struct igr_cli_opt *opts;
	const struct igr_train_param *p;
	const struct igr_model_type *tr;
	struct igr_train_ctx ctx;
	const char *model = NULL, *arg, *path;
	cJSON *params = cJSON_CreateObject();
	igr_reader *r;
	igr_graph *g;
	igr_model *m;
	int c;
	double t0 = igr_now(), t1, t2;

	collect_params();
	opts = train_options();
	if (opts == NULL || params == NULL) {
		fprintf(stderr, "igraph-train: out of memory\n");
		return 1;
	}
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1) {
		if (c == OPT_MODEL) {
			model = optarg;
		} else {
			char name[80];
			cJSON *v = NULL;
			p = params_all[c - OPT_PARAM];
			snprintf(name, sizeof name, "--%s", p->name);
			switch (p->type) {
			case IGR_P_INT:
				v = cJSON_CreateNumber((double)igr_opt_u64(
					optarg, (uint64_t)p->min,
					(uint64_t)p->max, name));
				break;
			case IGR_P_NUM:
				v = cJSON_CreateNumber(igr_opt_double(
					optarg, p->min, p->max, name));
				break;
			case IGR_P_DURATION:
				v = cJSON_CreateNumber(
					igr_opt_duration(optarg, name));
				break;
			case IGR_P_STR:
				v = cJSON_CreateString(optarg);
				break;
			default:
				v = cJSON_CreateTrue();
			}
			if (v == NULL)
				igr_die("out of memory");
			cJSON_DeleteItemFromObjectCaseSensitive(params,
								p->name);
			cJSON_AddItemToObject(params, p->name, v);
		}
	}
	igr_cli_ready(&cli);
	if (model == NULL)
		igr_usage_error("--model is required (pop, itemknn ...)");
	tr = igr_model_type_find(model);
	if (tr == NULL) {
		char names[512] = "";
		const struct igr_model_type *const *t;
		for (t = igr_model_types; *t != NULL; t++) {
			strncat(names, (*t)->name,
				sizeof names - strlen(names) - 3);
			if (t[1] != NULL)
				strcat(names, ", ");
		}
		igr_usage_error("--model: unknown model '%s' (known: %s)", model,
				names);
	}
	{
		const cJSON *it;
		cJSON_ArrayForEach(it, params)
		{
			if (!igr_model_type_accepts(tr, it->string))
				igr_usage_error("--%s does not apply to model "
						"%s", it->string, tr->name);
		}
	}
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	if (igr_par_size() > 1 && !tr->parallel)
		igr_usage_error("--model %s trains on one rank only (the "
				"launcher started %d): run it without mpirun "
				"or srun", tr->name, igr_par_size());
	arg = optind < argc ? argv[optind] : "-";
	path = igr_cli_input(arg);
	if (cli.output == NULL && isatty(STDOUT_FILENO))
		igr_usage_error("the model is binary: give -o FILE or redirect "
				"standard output");

	memset(&ctx, 0, sizeof ctx);
	ctx.params = params;
	ctx.threads = cli.threads;
	ctx.seed = cli.seed_set ? cli.seed : 1;
	ctx.source = strcmp(arg, "-") == 0 ? "<stdin>" : arg;
	ctx.report = igr_cli_report(&cli);
	if (tr->check != NULL && tr->check(&ctx) < 0)
		igr_usage_error("%s", igr_errmsg());

	/* several ranks: each reads the graph (rank 0 alone stdin) */
	r = igr_reader_open(path, tr->input_kind ? tr->input_kind
						  : IGR_KIND_GRAPH);
	if (r == NULL)
		igr_die_lib();
	g = NULL;
	if (tr->input_kind == 0) {
		g = igr_graph_read(r, tr->rels, tr->graph_flags);
		if (g == NULL)
			igr_die_lib();
		igr_reader_close(r);
		r = NULL;
	}
	t1 = igr_now();

	/* a model of another input reads the stream itself (mlp: features) */
	m = g != NULL ? tr->train(g, &ctx) : tr->train_stream(r, &ctx);
	/* several ranks: on together only when every rank has its model */
	if (igr_par_agree(m == NULL ? -1 : 0) < 0)
		igr_die_lib();
	igr_reader_close(r);
	t2 = igr_now();
	{
		cJSON *run = cJSON_AddObjectToObject(m->meta, "training");
		int threads = cli.threads;
#ifdef _OPENMP
		if (threads == 0)
			threads = omp_get_max_threads();
#endif
		if (run == NULL ||
		    cJSON_AddNumberToObject(run, "seconds", t2 - t1) == NULL ||
		    cJSON_AddNumberToObject(run, "threads", threads) == NULL ||
		    cJSON_AddNumberToObject(run, "seed", (double)ctx.seed) ==
			    NULL ||
		    cJSON_AddNumberToObject(run, "time",
					    (double)time(NULL)) == NULL)
			igr_die("out of memory");
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "int8"))) {
		size_t nq = igr_model_quantize(m, 65536);
		cJSON *mp = igr_model_params(m);

		if (mp == NULL || cJSON_AddTrueToObject(mp, "int8") == NULL)
			igr_die("out of memory");
		igr_info(&cli, "%zu array%s stored as int8 rows", nq,
			 nq == 1 ? "" : "s");
	}
	/* several ranks: every rank trained, rank 0 writes the model */
	if (igr_par_rank() == 0 && igr_model_save(m, cli.output) < 0)
		igr_die_lib();
	if (g != NULL)
		igr_info(&cli,
			 "%s model from %u users, %u items: read %.2fs, "
			 "trained %.2fs, total %.2fs",
			 tr->name, g->n[IGR_USER], g->n[IGR_ITEM], t1 - t0,
			 t2 - t1, igr_now() - t0);
	else
		igr_info(&cli, "%s model from %s: trained %.2fs, total %.2fs",
			 tr->name, ctx.source, t2 - t1, igr_now() - t0);
	igr_model_free(m);
	igr_graph_free(g);
	cJSON_Delete(params);
	free(opts);
	return igr_cli_finish(&cli);
}
