/* igraph-show - look at an interest graph: a summary, one user's or
 * item's neighbourhood as TSV or Graphviz DOT, or the halo of its shards
 * on N ranks. */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "halo.h"
#include "io.h"
#include "show.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-show",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET | IGR_CO_VOCAB,
	.operands = "[file]",
	.about = "Print a summary of a graph stream (edges, degrees, weights, the\n"
	"heaviest nodes), one user's or item's strongest neighbours, or how\n"
	"many item rows each of N ranks would need from the others.",
};

enum { OPT_HALO = 1 };

/* most part counts in one --halo list */
#define MAXHALO 64

/* Dense id of NAME: through the vocabulary, or a number. */
static uint32_t resolve(const igr_vocabset *vs, int type, const char *name)
{
	uint64_t v;

	if (vs != NULL) {
		uint32_t id = igr_vocab_find(vs->v[type], name, strlen(name));
		if (id == IGR_NONE)
			igr_die("%s '%s' is not in the vocabulary",
				igr_node_name(type), name);
		if (igr_vocab_is_forgotten(vs->v[type], id))
			igr_die("%s '%s' was forgotten (erasure request)",
				igr_node_name(type), name);
		return id;
	}
	if (igr_parse_u64(name, strlen(name), UINT32_MAX - 1, &v) < 0)
		igr_usage_error("--%s: '%s' is not a dense id (give --vocab "
				"to use external ids)", igr_node_name(type),
				name);
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_vocabset *vs = NULL;
	igr_reader *r;
	igr_graph *g;
	igr_out *out;
	const char *user = NULL, *item = NULL, *path;
	uint32_t k = 10, id = 0, halo[MAXHALO];
	int dot = 0, rc, type = IGR_USER, nhalo = 0, c;

	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR(0, "user", "id", &user,
			    "show user ID: its strongest items and categories"),
		IGR_OPT_STR(0, "item", "id", &item,
			    "show item ID: its categories, co-engaged items "
			    "and strongest users", .flags = IGR_OF_OR),
		IGR_OPT_CODE(0, "halo", "list", OPT_HALO,
			     "per rank, for each rank count in LIST (e.g. "
			     "1,2,4,8,16,32,64): users and edges of its user "
			     "range, item rows they touch, those owned by "
			     "another rank's item range, its own rows others "
			     "need", .flags = IGR_OF_OR),
		IGR_OPT_FLAG(0, "dot", &dot,
			     "write a Graphviz digraph (edge widths by weight) "
			     "instead of TSV, e.g. | dot -Tsvg > user.svg"),
		IGR_OPT_U32('k', "top", "n", &k, 1, 1000000,
			    "neighbours (and heaviest nodes) per relation "
			    "(default 10)"),
		IGR_OPT_COMMON("vocab", "ids are external ids of vocabulary "
			       "DIR"),
		IGR_OPT_END
	};

	igr_cli_init(&cli, &cmd, opts, argc, argv);
	while ((c = igr_cli_getopt(&cli)) != -1)
		if (c == OPT_HALO)
			nhalo = igr_opt_u32_list(optarg, halo, MAXHALO, 1,
						 IGR_HALO_MAXPARTS, "--halo");
	igr_cli_ready(&cli);
	if ((user != NULL) + (item != NULL) + (nhalo > 0) > 1)
		igr_usage_error("give one of --user, --item and --halo");
	if (dot && user == NULL && item == NULL)
		igr_usage_error("--dot needs --user or --item");
	if (argc - optind > 1)
		igr_usage_error("one graph at a time");
	path = optind < argc ? argv[optind] : "-";
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	if (user != NULL || item != NULL) {
		type = user != NULL ? IGR_USER : IGR_ITEM;
		id = resolve(vs, type, user != NULL ? user : item);
	}
	r = igr_reader_open(path, IGR_KIND_GRAPH);
	if (r == NULL)
		igr_die_lib();
	if (vs != NULL)
		igr_reader_set_vocab(r, vs);
	/* the halo counts user->item edges only: no other relation, no
	 * details (the 100M-event log's 72.7M edges then take 1.6 GB) */
	g = nhalo > 0 ? igr_graph_read(r, IGR_REL(IGR_USER, IGR_ITEM), 0)
		      : igr_graph_read(r, IGR_REL_ALL, IGR_GRAPH_DETAILS);
	if (g == NULL)
		igr_die_lib();
	igr_reader_close(r);
	out = igr_out_open(cli.output);
	if (out == NULL)
		igr_die_lib();
	if (user != NULL || item != NULL) {
		rc = igr_show_node(g, type, id, k, dot, out, vs);
	} else if (nhalo > 0) {
		rc = igr_show_halo(g, halo, (size_t)nhalo, out);
	} else {
		rc = igr_show_summary(g, out, k, vs);
	}
	if (rc < 0) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_out_abort(out);
		igr_graph_free(g);
		igr_vocabset_close(vs);
		igr_die("%s", msg);
	}
	if (igr_out_close(out) < 0)
		igr_die_lib();
	igr_info(&cli, "%u users, %u items, %u categories",
		 g->n[IGR_USER], g->n[IGR_ITEM], g->n[IGR_CATEGORY]);
	igr_graph_free(g);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
