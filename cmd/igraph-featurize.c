/* igraph-featurize - build or update the user interest graph from events. */
#include "cli.h"
#include "error.h"
#include "mem.h"
#include "featurize.h"
#include "io.h"
#include "stream.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-featurize",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Turn events into the interest graph (user->item, "
		 "user->category,\nitem->category and optional item->item "
		 "edges, weighted by behaviour\nand decayed with time), or "
		 "merge new events into a base graph.",
};

enum { OPT_NOW = 1, OPT_HALF_LIFE, OPT_WEIGHTS, OPT_COOC_WINDOW,
       OPT_COOC_MAX };

static int is_dash(const char *p)
{
	return p != NULL && strcmp(p, "-") == 0;
}

/* Forgotten users found by igr_vocabset_stat(). */
struct idlist {
	uint32_t *id;
	size_t n, cap;
};

static int add_forgotten(void *arg, uint32_t user)
{
	struct idlist *l = arg;

	if (igr_grow(&l->id, &l->cap, l->n + 1, sizeof *l->id) < 0)
		return -1;
	l->id[l->n++] = user;
	return 0;
}

/* 1 if R's ids are external names (TSV written with a vocabulary). */
static int external(const igr_reader *r)
{
	const char *ids = igr_header_get(igr_reader_header(r), "ids");

	return ids != NULL && strcmp(ids, "external") == 0;
}

/* Read the users to forget from PATH (external ids through VS, else dense
 * ids), mark them in F and, with VS, in the vocabulary. */
static int read_forget(const struct igr_cli *cli, igr_fz *f, const char *path,
		       igr_vocabset *vs, uint64_t *nusers)
{
	igr_in *in = igr_in_open(path);
	char *line;
	size_t len;
	int rc;

	if (in == NULL)
		return -1;
	while ((rc = igr_in_getline(in, &line, &len)) == 1) {
		uint32_t id;
		uint64_t v;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (vs != NULL) {
			id = igr_vocab_find(vs->v[IGR_USER], line, len);
			if (id == IGR_NONE) {
				igr_warn(cli, "%s:%llu: user '%s' is not in the "
					 "vocabulary", igr_in_name(in),
					 (unsigned long long)igr_in_lineno(in),
					 line);
				continue;
			}
			if (!igr_vocab_is_forgotten(vs->v[IGR_USER], id)) {
				igr_vocab_forget(vs->v[IGR_USER], id);
				if (!igr_vocab_is_forgotten(vs->v[IGR_USER],
							    id)) {
					igr_error("out of memory");
					goto fail;
				}
				vs->forgot[IGR_USER] = 1;
			}
		} else {
			if (igr_parse_u64(line, len, UINT32_MAX - 1, &v) < 0) {
				igr_error("%s:%llu: '%s' is not a dense user id "
					  "(give --vocab to use external ids)",
					  igr_in_name(in),
					  (unsigned long long)igr_in_lineno(in),
					  line);
				goto fail;
			}
			id = (uint32_t)v;
		}
		if (igr_fz_forget(f, id) < 0)
			goto fail;
		(*nusers)++;
	}
	if (rc < 0)
		goto fail;
	igr_in_close(in);
	return 0;
fail:
	igr_in_close(in);
	return -1;
}

/* The options that set more than their value. */
static void option(igr_fz_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_NOW:
		o->now = igr_opt_time(arg, "--now");
		o->has_now = 1;
		break;
	case OPT_HALF_LIFE:
		o->half_life = igr_opt_duration(arg, "--half-life");
		if (!(o->half_life > 0))
			igr_usage_error("--half-life: must be more than 0 "
					"(inf: no decay)");
		o->half_life_set = 1;
		break;
	case OPT_WEIGHTS:
		if (igr_fz_parse_weights(arg, o->weight) < 0)
			igr_usage_error("--weights: %s", igr_errmsg());
		o->weights_set = 1;
		break;
	case OPT_COOC_WINDOW:
		o->cooc_window = igr_opt_duration(arg, "--cooc-window");
		o->cooc_set = 1;
		break;
	case OPT_COOC_MAX:
		o->cooc_max = (uint32_t)igr_opt_u64(arg, 1, 1000,
						    "--cooc-max");
		o->cooc_set = 1;
		break;
	}
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_fz_opts o;
	igr_fz *f = NULL;
	igr_fz_report rep;
	igr_vocabset *vs = NULL;
	igr_reader *base = NULL;
	igr_writer *w = NULL;
	igr_out *rout = NULL;
	const char *base_path = NULL, *forget = NULL, *report = NULL;
	char **files;
	int c, i, nfiles, json = 0, nstdin = 0, names = 0;
	igr_reader **in = NULL;
	struct idlist fg = { NULL, 0, 0 };
	uint64_t nforget = 0;
	double t0 = igr_now();

	igr_fz_opts_init(&o);
	memset(&rep, 0, sizeof rep);
	{
		const struct igr_cli_opt opts[] = {
			IGR_OPT_STR(0, "base", "graph", &base_path,
				    "decay GRAPH to the new now and add the "
				    "events"),
			IGR_OPT_CODE(0, "now", "time", OPT_NOW,
				     "decay reference (default: the newest "
				     "event, or the base graph's now if that "
				     "is newer)"),
			IGR_OPT_CODE(0, "half-life", "duration", OPT_HALF_LIFE,
				     "weight half-life, e.g. 12h, 7d, inf "
				     "(default 7d, or the base graph's)",
				     .metavar = "DUR"),
			IGR_OPT_CODE(0, "weights", "list", OPT_WEIGHTS,
				     "behaviour weights, e.g. buy=5,cart=3 "
				     "(default view=1,click=1,fav=2,cart=3,"
				     "buy=5,review=4)"),
			IGR_OPT_DOUBLE(0, "min-weight", "w", &o.min_weight, 0,
				       1e30, "prune edges lighter than W "
				       "(default 1e-4; 0 keeps all)"),
			IGR_OPT_U32(0, "max-degree", "n", &o.max_degree, 0,
				    UINT32_MAX, "keep each node's N strongest "
				    "edges per relation (default 0: no cap)"),
			IGR_OPT_CODE(0, "cooc-window", "duration",
				     OPT_COOC_WINDOW,
				     "item->item edges between items a user "
				     "engaged with within DUR (default 0: "
				     "none)", .metavar = "DUR"),
			IGR_OPT_CODE(0, "cooc-max", "n", OPT_COOC_MAX,
				     "partners per event for --cooc-window "
				     "(default 10)"),
			IGR_OPT_STR(0, "forget", "file", &forget,
				    "remove the users listed in FILE (one per "
				    "line) and their edges; with --vocab, mark "
				    "them forgotten in the vocabulary"),
			IGR_OPT_STR(0, "report", "file", &report,
				    "write what changed to FILE (TSV)"),
			IGR_OPT_FLAG(0, "json", &json,
				     "write the report as JSON"),
			IGR_OPT_COMMON("output", "write the graph to FILE "
				       "atomically"),
			IGR_OPT_COMMON("vocab", "vocabulary: node counts, "
				       "external ids in TSV and in the report, "
				       "names for --forget"),
			IGR_OPT_END
		};
		igr_cli_init(&cli, &cmd, opts, argc, argv);
		while ((c = igr_cli_getopt(&cli)) != -1)
			option(&o, c, optarg);
	}
	igr_cli_ready(&cli);
	if (json && report == NULL)
		igr_usage_error("--json needs --report FILE");
	files = igr_cli_inputs(argc, argv, &nfiles);
	for (i = 0; i < nfiles; i++)
		nstdin += is_dash(files[i]);
	nstdin += is_dash(base_path) + is_dash(forget);
	if (nstdin > 1)
		igr_usage_error("standard input ('-') given more than once");

	/* open every input first: whether the vocabulary's names are needed
	 * depends on them */
	in = calloc((size_t)nfiles, sizeof *in);
	if (in == NULL)
		igr_die("out of memory");
	for (i = 0; i < nfiles; i++) {
		in[i] = igr_reader_open(files[i], IGR_KIND_EVENTS);
		if (in[i] == NULL)
			goto fail;
		names |= external(in[i]);
	}
	if (base_path != NULL) {
		base = igr_reader_open(base_path, 0);
		if (base == NULL)
			goto fail;
		names |= external(base);
	}
	if (cli.encoding == IGR_ENC_TSV ||
	    (cli.encoding == IGR_ENC_AUTO &&
	     (cli.output == NULL || is_dash(cli.output)) &&
	     isatty(STDOUT_FILENO)))
		names = 1;
	if (forget != NULL || report != NULL)
		names = 1;
	if (cli.vocab != NULL && names) {
		int t;
		vs = igr_vocabset_open(cli.vocab, forget ? IGR_VOCAB_WRITE
							 : IGR_VOCAB_READ);
		if (vs == NULL)
			goto fail;
		for (t = 0; t < IGR_NNODE; t++)
			o.nodes[t] = igr_vocab_size(vs->v[t]);
	} else if (cli.vocab != NULL) {
		/* binary in and out: the sizes and the erasure marks are all
		 * that is needed, and a line count gives them */
		if (igr_vocabset_stat(cli.vocab, o.nodes, add_forgotten,
				      &fg) < 0)
			goto fail;
	}
	f = igr_fz_new(&o);
	if (f == NULL)
		goto fail;
	for (i = 0; (size_t)i < fg.n; i++)
		if (igr_fz_forget(f, fg.id[i]) < 0)
			goto fail;
	if (vs != NULL) {
		/* erasures already recorded stay erased */
		uint32_t u, n = igr_vocab_size(vs->v[IGR_USER]);
		for (u = 0; u < n; u++)
			if (igr_vocab_is_forgotten(vs->v[IGR_USER], u) &&
			    igr_fz_forget(f, u) < 0)
				goto fail;
	}
	if (forget != NULL && read_forget(&cli, f, forget, vs, &nforget) < 0)
		goto fail;
	if (base != NULL) {
		if (vs != NULL)
			igr_reader_set_vocab(base, vs);
		if (igr_fz_use_base(f, base) < 0)
			goto fail;
	}
	for (i = 0; i < nfiles; i++) {
		igr_reader *r = in[i];
		igr_event e;
		int rc;
		if (vs != NULL)
			igr_reader_set_vocab(r, vs);
		while ((rc = igr_read_event(r, &e)) == 1) {
			if (e.user == IGR_NONE || e.item == IGR_NONE) {
				igr_error("%s: record %llu: event without a "
					  "user or an item", files[i],
					  (unsigned long long)
						  igr_reader_records(r));
				rc = -1;
				break;
			}
			if (igr_fz_add_event(f, &e) < 0) {
				rc = -1;
				break;
			}
			if ((igr_reader_records(r) & 0xfffff) == 0)
				igr_progress(&cli, "%s: %llu events",
					     files[i],
					     (unsigned long long)
						     igr_reader_records(r));
		}
		igr_reader_close(r);
		in[i] = NULL;
		if (rc < 0)
			goto fail;
	}
	igr_progress_done(&cli);
	w = igr_writer_open(cli.output, IGR_KIND_GRAPH, cli.encoding);
	if (w == NULL)
		goto fail;
	if (igr_writer_add_pg(w, cli.prog, IGR_VERSION, cli.argc, cli.argv) <
	    0)
		goto fail;
	if (vs != NULL)
		igr_writer_set_vocab(w, vs);
	if (igr_fz_write(f, base, w, &rep) < 0)
		goto fail;
	if (report != NULL) {
		rout = igr_out_open(is_dash(report) ? NULL : report);
		if (rout == NULL ||
		    igr_fz_report_write(&rep, rout, json, vs) < 0)
			goto fail;
	}
	if (igr_writer_close(w) < 0) {
		w = NULL;
		goto fail;
	}
	w = NULL;
	if (rout != NULL) {
		igr_out *ro = rout;
		rout = NULL;
		if (igr_out_close(ro) < 0)
			goto fail;
	}
	if (vs != NULL && forget != NULL && igr_vocabset_save(vs) < 0)
		goto fail;
	{
		const igr_fz_relstats *s = rep.rel;
		uint64_t pruned = 0;
		int r;
		for (r = 0; r < IGR_FZ_NREL; r++)
			pruned += s[r].pruned;
		igr_info(&cli,
			 "%llu events (%llu of forgotten users), %llu users%s; "
			 "%llu user-item, %llu user-category, %llu "
			 "item-category, %llu item-item edges; %llu pruned; "
			 "%llu users' top-3 categories changed; %.2fs",
			 (unsigned long long)rep.events,
			 (unsigned long long)rep.events_forgotten,
			 (unsigned long long)rep.users_touched,
			 base ? " merged into the base" : "",
			 (unsigned long long)s[IGR_FZ_UI].edges,
			 (unsigned long long)s[IGR_FZ_UC].edges,
			 (unsigned long long)s[IGR_FZ_IC].edges,
			 (unsigned long long)s[IGR_FZ_II].edges,
			 (unsigned long long)pruned,
			 (unsigned long long)rep.users_top3_changed,
			 igr_now() - t0);
		if (forget != NULL)
			igr_info(&cli, "forgot %llu users (%llu with edges)",
				 (unsigned long long)nforget,
				 (unsigned long long)rep.users_forgotten);
	}
	igr_reader_close(base);
	free(in);
	free(fg.id);
	igr_fz_report_free(&rep);
	igr_fz_free(f);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
fail:
	{
		/* keep the message: aborting may overwrite it */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_writer_abort(w);
		if (rout != NULL)
			igr_out_abort(rout);
		igr_reader_close(base);
		for (i = 0; in != NULL && i < nfiles; i++)
			igr_reader_close(in[i]);
		free(in);
		free(fg.id);
		igr_fz_report_free(&rep);
		igr_fz_free(f);
		igr_vocabset_close(vs);
		igr_die("%s", msg);
	}
}
