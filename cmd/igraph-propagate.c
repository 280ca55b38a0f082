/* igraph-propagate - refresh users' interest points and vectors from the
 * current graph through a model, without retraining. */
#include "cli.h"
#include "error.h"
#include "graph.h"
#include "model.h"
#include "recommend.h"
#include "stream.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-propagate",
	.accepts = IGR_CO_STREAM | IGR_CO_THREADS | IGR_CO_VOCAB,
	.operands = "[graph]",
	.about = "Write the graph (a graph stream from igraph-featurize) again "
		 "with each\nuser's interest points (user->category edges) "
		 "recomputed through the\nmodel; optionally write the users' "
		 "vectors (embedding models).  The\noutput is what "
		 "igraph-recommend reads.",
};

#define CHUNK 8192

/* The distinct users of an events stream that the graph holds, sorted. */
static uint32_t *users_from(const char *path, uint32_t nu, size_t *n)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	uint8_t *mark = calloc(nu ? nu : 1, 1);
	uint32_t *out = NULL, u;
	igr_event e;
	int rc;

	*n = 0;
	if (r == NULL || mark == NULL) {
		if (mark == NULL)
			igr_error("out of memory");
		igr_reader_close(r);
		free(mark);
		return NULL;
	}
	while ((rc = igr_read_event(r, &e)) == 1)
		if (e.user < nu)
			mark[e.user] = 1;
	igr_reader_close(r);
	if (rc < 0) {
		free(mark);
		return NULL;
	}
	out = malloc((nu ? nu : 1) * sizeof *out);
	if (out == NULL) {
		free(mark);
		igr_error("out of memory");
		return NULL;
	}
	for (u = 0; u < nu; u++)
		if (mark[u])
			out[(*n)++] = u;
	free(mark);
	return out;
}

static void die_keep(igr_writer *w, igr_writer *vw)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	igr_writer_abort(w);
	igr_writer_abort(vw);
	igr_die("%s", msg);
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	const char *model_path = NULL, *vectors = NULL, *events = NULL;
	const char *path;
	uint32_t points = 10, depth = 100, dim = 0;
	igr_vocabset *vs = NULL;
	igr_reader *r;
	const igr_header *h;
	igr_graph *g;
	igr_model *m;
	igr_rec *rec;
	igr_writer *w = NULL, *vw = NULL;
	uint32_t *users = NULL, nu;
	size_t nusers = 0, u0, j;
	igr_rec_batch b;
	igr_csr *uc_old, *uc;
	uint64_t *ptr;
	uint32_t *idx, *cnt;
	float *wt, *vec = NULL;
	int64_t *ts;
	uint8_t *redo, *redo_points;
	int no_cats;
	uint64_t nvec = 0, npoints = 0, nfallback = 0;
	size_t cap, nnz = 0;
	double t0 = igr_now();
	const struct igr_cli_opt opts[] = {
		IGR_OPT_STR('m', "model", "file", &model_path,
			    "the model (igraph-train)", .flags = IGR_OF_REQUIRED),
		IGR_OPT_U32(0, "points", "n", &points, 1, 100000,
			    "interest points kept per user (default 10)"),
		IGR_OPT_U32(0, "depth", "n", &depth, 1, 10000000,
			    "the model's top N items per user behind them "
			    "(default 100)"),
		IGR_OPT_STR(0, "vectors", "file", &vectors,
			    "also write the user vectors to FILE (a vectors "
			    "stream; embedding models)"),
		IGR_OPT_STR(0, "users-from", "file", &events,
			    "recompute only the users of this events stream "
			    "(the others keep their interest points)"),
		IGR_OPT_COMMON("output", "write the graph to FILE atomically"),
		IGR_OPT_COMMON("binary", "write the binary encoding"),
		IGR_OPT_COMMON("vocab", "read a TSV graph written with external "
			       "ids, and write TSV with external ids"),
		IGR_OPT_END
	};

	igr_cli_init(&cli, &cmd, opts, argc, argv);
	igr_cli_parse(&cli);
	igr_cli_ready(&cli);
	if (model_path == NULL)
		igr_usage_error("--model is required");
	if (argc - optind > 1)
		igr_usage_error("one graph at most (got %d)", argc - optind);
	path = optind < argc ? argv[optind] : "-";
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
	m = igr_model_load(model_path);
	if (m == NULL)
		igr_die_lib();
	r = igr_reader_open(path, IGR_KIND_GRAPH);
	if (r == NULL)
		igr_die_lib();
	if (vs != NULL)
		igr_reader_set_vocab(r, vs);
	h = igr_reader_header(r);
	g = igr_graph_read(r, IGR_REL_ALL, IGR_GRAPH_DETAILS);
	if (g == NULL)
		igr_die_lib();
	rec = igr_rec_new(m, g);
	if (rec == NULL)
		igr_die_lib();
	nu = g->n[IGR_USER];
	if (vectors != NULL) {
		dim = igr_rec_dim(rec);
		if (dim == 0)
			igr_die("the %s model has no user vectors (--vectors "
				"needs an embedding model)", igr_model_name(m));
		vec = malloc(dim * sizeof *vec);
		if (vec == NULL)
			igr_die("out of memory");
	}
	if (events != NULL) {
		users = users_from(events, nu, &nusers);
		if (users == NULL)
			igr_die_lib();
	} else {
		users = malloc((nu ? nu : 1) * sizeof *users);
		if (users == NULL)
			igr_die("out of memory");
		for (nusers = 0; nusers < nu; nusers++)
			users[nusers] = (uint32_t)nusers;
	}

	/* the outputs */
	w = igr_writer_open(cli.output, IGR_KIND_GRAPH, cli.encoding);
	if (w == NULL)
		igr_die_lib();
	for (j = 0; j < h->nmeta; j++)
		if (strcmp(h->meta[j].key, "ids") != 0 &&
		    strcmp(h->meta[j].key, "interest") != 0 &&
		    igr_writer_set_meta(w, h->meta[j].key, h->meta[j].value) < 0)
			die_keep(w, NULL);
	{
		char buf[256];
		snprintf(buf, sizeof buf,
			 "model %s, top %u items, %u points per user",
			 igr_model_name(m), depth, points);
		if (igr_writer_set_meta(w, "interest", buf) < 0 ||
		    igr_writer_copy_pg(w, h) < 0 ||
		    igr_writer_add_pg(w, "igraph-propagate", IGR_VERSION, argc,
				      argv) < 0)
			die_keep(w, NULL);
	}
	if (vs != NULL)
		igr_writer_set_vocab(w, vs);
	if (vectors != NULL) {
		vw = igr_writer_open(vectors, IGR_KIND_VECTORS, cli.encoding);
		if (vw == NULL || igr_writer_set_dim(vw, dim) < 0 ||
		    igr_writer_set_meta(vw, "model", igr_model_name(m)) < 0 ||
		    igr_writer_copy_pg(vw, h) < 0 ||
		    igr_writer_add_pg(vw, "igraph-propagate", IGR_VERSION, argc,
				      argv) < 0)
			die_keep(w, vw);
		if (vs != NULL)
			igr_writer_set_vocab(vw, vs);
	}
	igr_reader_close(r);

	/* the new user->category relation: recomputed rows, old rows kept */
	uc_old = g->rel[IGR_USER][IGR_CATEGORY];
	redo = calloc(nu ? nu : 1, 1);
	redo_points = calloc(nu ? nu : 1, 1);
	no_cats = g->rel[IGR_ITEM][IGR_CATEGORY] == NULL;
	cap = (size_t)nusers * points + (uc_old ? uc_old->nnz : 0) + 1;
	ptr = calloc((size_t)nu + 1, sizeof *ptr);
	idx = malloc(cap * sizeof *idx);
	wt = malloc(cap * sizeof *wt);
	cnt = malloc(cap * sizeof *cnt);
	ts = malloc(cap * sizeof *ts);
	if (!redo || !redo_points || !ptr || !idx || !wt || !cnt || !ts)
		igr_die("out of memory");
	for (j = 0; j < nusers; j++)
		redo[users[j]] = redo_points[users[j]] = 1;
	if (no_cats)
		igr_warn(&cli, "%s: no item->category edges: interest points "
			 "cannot be computed, the graph passes through", path);
	igr_rec_batch_init(&b);
	{
		uint32_t next = 0; /* next user row to fill */
		const igr_csr *ui = g->rel[IGR_USER][IGR_ITEM];
		for (u0 = 0; u0 < nusers || next < nu; u0 += CHUNK) {
			size_t n = u0 < nusers ? (nusers - u0 < CHUNK
							  ? nusers - u0
							  : CHUNK)
					       : 0;
			uint32_t upto = u0 + n < nusers ? users[u0 + n] : nu;
			if (n > 0 && no_cats) {
				/* nothing to compute: keep the rows */
				size_t q;
				for (q = u0; q < u0 + n; q++)
					redo_points[users[q]] = 0;
			} else if (n > 0 &&
				   igr_rec_interest(rec, users + u0, n, depth,
						    points, &b) < 0) {
				die_keep(w, vw);
			}
			/* rows next .. upto-1 in order: old or new */
			for (j = 0; next < upto; next++) {
				uint32_t u = next;
				ptr[u] = nnz;
				if (!redo_points[u] && uc_old != NULL &&
				    u < uc_old->nrows) {
					uint64_t k;
					for (k = uc_old->ptr[u];
					     k < uc_old->ptr[u + 1]; k++) {
						idx[nnz] = uc_old->idx[k];
						wt[nnz] = uc_old->w[k];
						cnt[nnz] = uc_old->count
								   ? uc_old->count[k]
								   : 1;
						ts[nnz++] = uc_old->last_ts
								    ? uc_old->last_ts[k]
								    : 0;
					}
				}
				if (redo_points[u]) {
					const igr_rec_list *l = &b.lists[j++];
					int64_t newest = g->has_now ? g->now : 0;
					uint32_t hh;
					size_t s0 = nnz;
					if (ui != NULL && u < ui->nrows &&
					    ui->last_ts != NULL &&
					    ui->ptr[u + 1] > ui->ptr[u]) {
						uint64_t k;
						newest = INT64_MIN;
						for (k = ui->ptr[u];
						     k < ui->ptr[u + 1]; k++)
							if (ui->last_ts[k] > newest)
								newest = ui->last_ts[k];
					}
					nfallback += l->fallback;
					for (hh = 0; hh < l->n; hh++) {
						idx[nnz] = l->hits[hh].id;
						wt[nnz] = l->hits[hh].score;
						cnt[nnz] = l->nwhy[hh];
						ts[nnz++] = newest;
					}
					npoints += l->n;
					/* rows are sorted by category id */
					for (hh = 1; hh < nnz - s0; hh++) {
						size_t x = s0 + hh;
						while (x > s0 && idx[x - 1] > idx[x]) {
							uint32_t ti = idx[x];
							float tw = wt[x];
							uint32_t tc = cnt[x];
							int64_t tt = ts[x];
							idx[x] = idx[x - 1];
							wt[x] = wt[x - 1];
							cnt[x] = cnt[x - 1];
							ts[x] = ts[x - 1];
							idx[x - 1] = ti;
							wt[x - 1] = tw;
							cnt[x - 1] = tc;
							ts[x - 1] = tt;
							x--;
						}
					}
				}
				if (vw != NULL && redo[u]) {
					igr_vector v;
					int x = igr_rec_user_vector(rec, u, vec);
					if (x < 0)
						die_keep(w, vw);
					if (x == 0) {
						v.node_type = IGR_USER;
						v.node = u;
						v.v = vec;
						if (igr_write_vector(vw, &v) < 0)
							die_keep(w, vw);
						nvec++;
					}
				}
			}
			igr_progress(&cli, "%zu of %zu users",
				     u0 + n < nusers ? u0 + n : nusers, nusers);
			if (n == 0)
				break;
		}
		ptr[nu] = nnz;
	}
	igr_progress_done(&cli);
	uc = calloc(1, sizeof *uc);
	if (uc == NULL)
		igr_die("out of memory");
	uc->nrows = nu;
	uc->ncols = g->n[IGR_CATEGORY];
	uc->nnz = nnz;
	uc->ptr = ptr;
	uc->idx = idx;
	uc->w = wt;
	uc->count = cnt;
	uc->last_ts = ts;
	igr_csr_free(uc_old);
	g->rel[IGR_USER][IGR_CATEGORY] = uc;
	if (igr_graph_write(g, w) < 0)
		die_keep(w, vw);
	if (igr_writer_close(w) < 0) {
		w = NULL;
		die_keep(NULL, vw);
	}
	if (vw != NULL && igr_writer_close(vw) < 0)
		igr_die_lib();
	igr_info(&cli,
		 "%zu users recomputed (%llu unknown to the model: their own "
		 "edges), %llu "
		 "interest points, %llu vectors, %.2fs",
		 nusers, (unsigned long long)nfallback,
		 (unsigned long long)npoints, (unsigned long long)nvec,
		 igr_now() - t0);
	igr_rec_batch_free(&b);
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
	free(users);
	free(redo);
	free(redo_points);
	free(vec);
	igr_vocabset_close(vs);
	return igr_cli_finish(&cli);
}
