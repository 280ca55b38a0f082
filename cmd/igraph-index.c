/* igraph-index - the approximate-nearest-neighbour index of an embedding
 * model's items, for igraph-recommend --index. */
#include "ann.h"
#include "annindex.h"
#include "clock.h"
#include "cli.h"
#include "error.h"
#include "report.h"
#include "serve.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-index",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
		   IGR_CO_PROGRESS | IGR_CO_THREADS | IGR_CO_SEED |
		   IGR_CO_VOCAB,
	.operands = "[graph]",
	.about = "Build the FAISS index of an embedding model's item vectors "
		 "(mf, lightgcn)\nover the current graph, for igraph-recommend "
		 "--index: built once, served\nmany times.",
};

enum { OPT_TYPE = 1 };

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	igr_report_progress(arg, "%llu of %llu items indexed",
			    (unsigned long long)done,
			    (unsigned long long)total);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	struct igr_ann_params p;
	struct igr_ann_info in;
	const char *model = NULL, *type = "pq";
	char *deflt = NULL;
	const char *out;
	igr_vocabset *vs;
	igr_index *ix;
	double t0 = igr_now();
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR('m', "model", "file", &model,
			    "the embedding model (igraph-train)",
			    .flags = IGR_OF_REQUIRED),
		IGR_OPT_CODE(0, "type", "sq8 | pq | hnsw | flat", OPT_TYPE,
			     "'pq': inverted lists of product-quantised "
			     "codes, dim / 4 bytes an item (the default); "
			     "'sq8': inverted lists of 8-bit codes; "
			     "'hnsw': a small-world graph over the float "
			     "vectors; 'flat': every item (exact)",
			     .metavar = "TYPE"),
		IGR_OPT_U32(0, "lists", "n", &p.nlist, 1, 1u << 24,
			    "sq8, pq: inverted lists (default: 4 sqrt(items))"),
		IGR_OPT_U32(0, "bytes", "n", &p.pq_bytes, 1, 4096,
			    "pq: bytes a code, one a sub-vector (default: "
			    "dim / 4; the nearest divisor of dim is used)"),
		IGR_OPT_U32(0, "links", "n", &p.hnsw_m, 4, 256,
			    "hnsw: links per item (default 32)"),
		IGR_OPT_U32(0, "effort", "n", &p.effort, 1, 1000000,
			    "search effort saved with the index: lists probed "
			    "(sq8, pq: default 64, fewer on long lists, at "
			    "least 16) or candidates kept (hnsw, default 128)"),
		IGR_OPT_COMMON("output", "write the index to FILE atomically "
			       "(default: the model's name with .idx)"),
		IGR_OPT_COMMON("vocab", "read a TSV graph with external ids"),
		IGR_OPT_END
	};

	memset(&p, 0, sizeof p);
	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while (igr_cli_getopt(&cli) == OPT_TYPE)
		type = optarg;
	if (igr_ann_type_parse(type) < 0)
		igr_usage_error("--type: '%s' is not sq8, pq, hnsw or flat",
				type);
	if (model == NULL)
		igr_usage_error("--model is required");
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	if (cli.output == NULL) {
		size_t n = strlen(model) + 5;
		deflt = malloc(n);
		if (deflt == NULL)
			igr_die("out of memory");
		snprintf(deflt, n, "%s.idx", model);
		cli.output = deflt;
	}
	igr_cli_ready(&cli);
	out = cli.output;
	p.type = igr_ann_type_parse(type);
	p.seed = (int)(cli.seed_set ? cli.seed % 2147483647u : 1234);
	p.progress = on_progress;
	p.arg = (void *)igr_cli_report(&cli);
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	ix = igr_serve_index(model, optind < argc ? argv[optind] : "-", vs,
			     &p);
	igr_report_progress_done(igr_cli_report(&cli));
	if (ix == NULL)
		igr_die_lib();
	if (igr_index_save(ix, out) < 0)
		igr_die_lib();
	igr_ann_describe(ix->ann, &in);
	igr_info(&cli,
		 "%s index of %llu items x %u (%s model%s): nlist %u, links "
		 "%u, effort %u, %.1f MB in memory; built in %.2fs, total "
		 "%.2fs",
		 igr_ann_type_name(in.type), (unsigned long long)in.n, ix->dim,
		 ix->model, ix->bias ? ", bias as a coordinate" : "", in.nlist,
		 in.hnsw_m, in.effort, (double)in.bytes / 1e6,
		 ix->build_seconds, igr_now() - t0);
	igr_index_free(ix);
	igr_vocabset_close(vs);
	free(deflt);
	return igr_cli_finish(&cli);
}
