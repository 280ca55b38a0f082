/* igraph-train - build a recommendation model from an interest graph. */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "model.h"
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

enum { OPT_MODEL = 'm', OPT_PARAM = IGR_OPT_TOOL + 0x10 };

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

/* The usage text is made from the registry and the options' own help. */
static char *build_usage(void)
{
	static const char head[] =
		"usage: igraph-train --model name [-qv] [--progress] "
		"[--threads n]\n                    [--seed n] [-o file]";
	size_t cap = 8192, len;
	char *u = malloc(cap);
	const struct igr_train_param *p;
	const struct igr_model_type *const *t;
	size_t k;
	int col;

	if (u == NULL)
		return NULL;
	len = (size_t)snprintf(u, cap, "%s", head);
	col = 40;
#define ADD(...) (len += (size_t)snprintf(u + len, cap - len, __VA_ARGS__))
	for (k = 0; k < nparams_all; k++) {
		char item[96];
		p = params_all[k];
		int n = p->type == IGR_P_FLAG
				? snprintf(item, sizeof item, "[--%s]", p->name)
				: snprintf(item, sizeof item, "[--%s %s]",
					   p->name, p->metavar);
		if (col + 1 + n > 76) {
			ADD("\n                   ");
			col = 19;
		}
		ADD(" %s", item);
		col += 1 + n;
	}
	if (col + 8 > 76)
		ADD("\n                   ");
	ADD(" [graph]\n\nBuild a model from a graph stream (igraph-featurize) "
	    "and write it to\nFILE (-o) or standard output.\n\n");
	ADD("  -m, --model NAME         the model to build:\n");
	for (t = igr_model_types; *t != NULL; t++)
		ADD("                           %-9s %s\n", (*t)->name,
		    (*t)->help);
	for (k = 0; k < nparams_all; k++) {
		char opt[64];
		const char *h;
		p = params_all[k];
		h = p->help;
		if (p->type == IGR_P_FLAG) {
			snprintf(opt, sizeof opt, "--%s", p->name);
		} else {
			/* the argument in capitals, as in the other tools */
			int n = snprintf(opt, sizeof opt, "--%s ", p->name);
			const char *mv = p->metavar;
			for (; *mv && n < (int)sizeof opt - 1; mv++, n++)
				opt[n] = (char)(*mv >= 'a' && *mv <= 'z'
							? *mv - 'a' + 'A'
							: *mv);
			opt[n] = '\0';
		}
		ADD("      %-20s ", opt);
		if (strlen(opt) > 20)
			ADD("\n                           ");
		while (*h) {
			size_t l = strcspn(h, "\n");
			ADD("%.*s\n", (int)l, h);
			h += l;
			if (*h == '\n') {
				h++;
				ADD("                           ");
			}
		}
	}
	ADD("  -o, --output FILE        write the model to FILE atomically\n"
	    "      --threads N          threads (default: all cores)\n"
	    "      --seed N             seed of the random generators "
	    "(default 1)\n"
	    "      --progress           show progress even when stderr is "
	    "not a\n"
	    "                           terminal\n"
	    "  -v, --verbose            print a summary on stderr\n"
	    "  -q, --quiet              no warnings or progress\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n");
#undef ADD
	return u;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	/* static: still reachable when a usage error exits (LeakSanitizer) */
	static struct option *longopts;
	static char *usage;
	const struct igr_train_param *p;
	const struct igr_model_type *tr;
	struct igr_train_ctx ctx;
	const char *model = NULL, *path;
	cJSON *params = cJSON_CreateObject();
	igr_reader *r;
	igr_graph *g;
	igr_model *m;
	size_t np = 0, i;
	int c;
	double t0 = igr_now(), t1, t2;

	collect_params();
	usage = build_usage();
	if (usage == NULL || params == NULL) {
		fprintf(stderr, "igraph-train: out of memory\n");
		return 1;
	}
	igr_cli_init(&cli, "igraph-train", argc, argv,
		     IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
			     IGR_CO_PROGRESS | IGR_CO_THREADS | IGR_CO_SEED);
	np = nparams_all;
	{
		static const struct option common[] = { IGR_COMMON_LONGOPTS };
		size_t nc = sizeof common / sizeof common[0];
		longopts = calloc(nc + np + 2, sizeof *longopts);
		if (longopts == NULL)
			igr_die("out of memory");
		memcpy(longopts, common, sizeof common);
		longopts[nc].name = "model";
		longopts[nc].has_arg = required_argument;
		longopts[nc].val = OPT_MODEL;
		for (i = 0; i < np; i++) {
			p = params_all[i];
			longopts[nc + 1 + i].name = p->name;
			longopts[nc + 1 + i].has_arg = p->type == IGR_P_FLAG
							       ? no_argument
							       : required_argument;
			longopts[nc + 1 + i].val = OPT_PARAM + (int)i;
		}
	}
	while ((c = getopt_long(argc, argv, igr_cli_shortopts(&cli, "m:"),
				longopts, NULL)) != -1) {
		if (c == OPT_MODEL) {
			model = optarg;
		} else if (c >= OPT_PARAM && c < OPT_PARAM + (int)np) {
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
		} else {
			igr_cli_option(&cli, c, optarg, usage);
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
	path = optind < argc ? argv[optind] : "-";
	if (cli.output == NULL && isatty(STDOUT_FILENO))
		igr_usage_error("the model is binary: give -o FILE or redirect "
				"standard output");

	memset(&ctx, 0, sizeof ctx);
	ctx.params = params;
	ctx.threads = cli.threads;
	ctx.seed = cli.seed_set ? cli.seed : 1;
	ctx.source = strcmp(path, "-") == 0 ? "<stdin>" : path;
	ctx.report = igr_cli_report(&cli);
	if (tr->check != NULL && tr->check(&ctx) < 0)
		igr_usage_error("%s", igr_errmsg());

	r = igr_reader_open(path, tr->input_kind ? tr->input_kind
						  : IGR_KIND_GRAPH);
	if (r == NULL)
		igr_die_lib();
	g = NULL;
	if (tr->input_kind == 0) {
		g = igr_graph_read(r, tr->rels, 0);
		if (g == NULL)
			igr_die_lib();
		igr_reader_close(r);
		r = NULL;
	}
	t1 = igr_now();

	/* a model of another input reads the stream itself (mlp: features) */
	m = g != NULL ? tr->train(g, &ctx) : tr->train_stream(r, &ctx);
	if (m == NULL)
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
	if (igr_model_save(m, cli.output) < 0)
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
	free(longopts);
	free(usage);
	return igr_cli_finish(&cli);
}
