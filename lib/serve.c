/* serve.c - one run of igraph-recommend (see serve.h). */
#include "serve.h"
#include "annindex.h"
#include "clock.h"
#include "embed.h"
#include "error.h"
#include "mem.h"
#include "par.h"
#include "seqs.h"
#include "stream.h"
#include "version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Users per batch: the output is written batch by batch, in order; a
 * batch holds at most about 4 M results (long lists, smaller batches). */
#define CHUNK 8192
#define CHUNK_SLOTS (4u << 20)

/* ---- id files ---------------------------------------------------------- */

struct idlist {
	uint32_t *id;
	size_t n, cap;
	uint32_t *line_start; /* per line: first index (for campaigns) */
	size_t nlines, lcap;
};

static int push_id(struct idlist *l, uint32_t id)
{
	if (igr_grow(&l->id, &l->cap, l->n + 1, sizeof *l->id) < 0)
		return -1;
	l->id[l->n++] = id;
	return 0;
}

/* Close a group (an audience line) whose ids start at index FROM. */
static int push_line(struct idlist *l, size_t from)
{
	if (igr_grow(&l->line_start, &l->lcap, l->nlines + 2,
		     sizeof *l->line_start) < 0)
		return -1;
	l->line_start[l->nlines++] = (uint32_t)from;
	l->line_start[l->nlines] = (uint32_t)l->n;
	return 0;
}

struct output {
	igr_writer *w;  /* scores stream, or NULL with --json */
	igr_out *json;  /* JSON lines */
	const igr_vocabset *vs;
	int explain;
};

struct igr_serve {
	const struct igr_serve_opts *o;
	struct igr_rec_opts ro;
	igr_model *m;
	igr_reader *r;      /* the graph's, open until the header is written */
	igr_graph *g;
	igr_seqs *seqs;     /* the events behind G, when it came from events */
	igr_rec *rec;
	igr_index *ix;      /* the item index serving the lists, or NULL */
	igr_csr *bought;
	struct idlist users, qitems, qcats;
	struct output out;
	igr_rec_batch b;
	struct igr_serve_stats st;
	double t0;
};

/*
 * Read a file of TYPE ids: one a line (MULTI: several tab-separated ids
 * a line, kept as one group); blank lines and lines starting with '#'
 * are skipped.  External ids with --vocab, dense ids otherwise.  BOUND:
 * dense ids >= BOUND are unknown (users: 0 = no bound, a new user).
 */
static int read_ids(igr_serve *s, const char *path, int type, int multi,
		    uint32_t bound, struct idlist *l)
{
	igr_in *in = igr_in_open(path);
	char *line;
	size_t len;
	int rc;

	memset(l, 0, sizeof *l);
	if (in == NULL)
		return -1;
	while ((rc = igr_in_getline(in, &line, &len)) == 1) {
		char *p = line, *end = line + len;
		size_t before = l->n;
		if (len > 0 && line[len - 1] == '\r')
			end--;
		if (p == end || *p == '#')
			continue;
		for (;;) {
			char *tab = memchr(p, '\t', (size_t)(end - p));
			size_t fl = tab ? (size_t)(tab - p) : (size_t)(end - p);
			uint32_t id = IGR_NONE;
			uint64_t v;
			if (!multi && tab != NULL) {
				igr_error("%s:%llu: one %s id a line", path,
					  (unsigned long long)igr_in_lineno(in),
					  igr_node_name(type));
				goto fail;
			}
			if (s->o->vs != NULL)
				id = igr_vocab_find(s->o->vs->v[type], p, fl);
			else if (igr_parse_u64(p, fl, IGR_NONE - 1, &v) == 0)
				id = (uint32_t)v;
			else {
				igr_error("%s:%llu: bad %s id '%.*s' (dense ids "
					  "are numbers; external ids need "
					  "--vocab)", path,
					  (unsigned long long)igr_in_lineno(in),
					  igr_node_name(type),
					  (int)(fl > 60 ? 60 : fl), p);
				goto fail;
			}
			if (id == IGR_NONE || (bound && id >= bound)) {
				if (!s->o->skip_unknown) {
					igr_error("%s:%llu: unknown %s '%.*s'",
						  path,
						  (unsigned long long)
							  igr_in_lineno(in),
						  igr_node_name(type),
						  (int)(fl > 60 ? 60 : fl), p);
					goto fail;
				}
				s->st.skipped++;
			} else if (push_id(l, id) < 0) {
				goto fail;
			}
			if (tab == NULL)
				break;
			p = tab + 1;
		}
		if (multi && l->n > before && push_line(l, before) < 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	igr_in_close(in);
	return 0;
fail:
	igr_in_close(in);
	free(l->id);
	free(l->line_start);
	memset(l, 0, sizeof *l);
	return -1;
}

/* ---- bought items ------------------------------------------------------ */

static igr_csr *read_bought(const char *path, uint32_t nu, uint32_t ni)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	uint32_t *us = NULL, *is = NULL;
	size_t n = 0, cap_u = 0, cap_i = 0;
	igr_event e;
	igr_csr *a = NULL;
	int rc;

	if (r == NULL)
		return NULL;
	while ((rc = igr_read_event(r, &e)) == 1) {
		if (e.behavior != IGR_BUY || e.item >= ni)
			continue;
		if (igr_grow(&us, &cap_u, n + 1, sizeof *us) < 0 ||
		    igr_grow(&is, &cap_i, n + 1, sizeof *is) < 0)
			goto out;
		if (e.user >= nu)
			nu = e.user + 1;
		us[n] = e.user;
		is[n++] = e.item;
	}
	if (rc < 0)
		goto out;
	a = igr_csr_from_coo(nu, ni, n, us, is, NULL, NULL, NULL, 0);
out:
	igr_reader_close(r);
	free(us);
	free(is);
	return a;
}

/* ---- output ------------------------------------------------------------ */

/* JSON string of an id: the external name with --vocab, else the number. */
static int json_id(struct output *o, int type, uint32_t id)
{
	char buf[32];
	const char *s = buf;
	size_t n, k;

	if (o->vs != NULL) {
		s = igr_vocab_name(o->vs->v[type], id);
		if (s == NULL)
			return igr_error("%s %u is not in the vocabulary",
					 igr_node_name(type), id);
		if (igr_vocab_is_forgotten(o->vs->v[type], id))
			return igr_error("%s %u was forgotten (erasure "
					 "request) and cannot be printed",
					 igr_node_name(type), id);
	} else {
		snprintf(buf, sizeof buf, "%u", id);
	}
	n = strlen(s);
	if (igr_out_write(o->json, "\"", 1) < 0)
		return -1;
	for (k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)s[k];
		if (ch == '"' || ch == '\\') {
			char e[2] = { '\\', (char)ch };
			if (igr_out_write(o->json, e, 2) < 0)
				return -1;
		} else if (ch < 0x20) {
			if (igr_out_printf(o->json, "\\u%04x", ch) < 0)
				return -1;
		} else if (igr_out_write(o->json, &s[k], 1) < 0) {
			return -1;
		}
	}
	return igr_out_write(o->json, "\"", 1);
}

static int json_num(struct output *o, float f)
{
	char buf[32];
	int n;

	if (!isfinite(f))
		return igr_out_write(o->json, "null", 4);
	n = igr_fmt_float(buf, f);
	return igr_out_write(o->json, buf, (size_t)n);
}

#define J(s) igr_out_write(o->json, s, strlen(s))

/* One list as a JSON line.  GROUP/NGROUP: a campaign's items. */
static int write_json(struct output *o, const igr_rec_list *l,
		      const uint32_t *group, size_t ngroup)
{
	int ttype = l->query_type == IGR_USER ? IGR_ITEM : IGR_USER;
	const char *list = l->query_type == IGR_USER ? "items" : "users";
	uint32_t h, c;

	if (l->query_type == IGR_ITEM && o->explain < 0) /* similar */
		ttype = IGR_ITEM, list = "similar";
	if (J("{\"") < 0 || J(ngroup > 1 ? "campaign" :
			       igr_node_name(l->query_type)) < 0 ||
	    J("\":") < 0)
		return -1;
	if (ngroup > 1) {
		if (J("[") < 0)
			return -1;
		for (c = 0; c < ngroup; c++)
			if ((c && J(",") < 0) ||
			    json_id(o, IGR_ITEM, group[c]) < 0)
				return -1;
		if (J("]") < 0)
			return -1;
	} else if (json_id(o, l->query_type, l->query) < 0) {
		return -1;
	}
	if (l->query_type == IGR_USER &&
	    J(l->fallback ? ",\"fallback\":\"popularity\""
			  : ",\"fallback\":false") < 0)
		return -1;
	if (J(",\"") < 0 || J(list) < 0 || J("\":[") < 0)
		return -1;
	for (h = 0; h < l->n; h++) {
		if ((h && J(",") < 0) || J("{\"") < 0 ||
		    J(igr_node_name(ttype)) < 0 || J("\":") < 0 ||
		    json_id(o, ttype, l->hits[h].id) < 0 ||
		    J(",\"score\":") < 0 || json_num(o, l->hits[h].score) < 0 ||
		    igr_out_printf(o->json, ",\"rank\":%u", h + 1) < 0)
			return -1;
		if (o->explain > 0 && l->nwhy != NULL) {
			const igr_contrib *w = l->why + (size_t)h * IGR_SERVE_EXPLAIN;
			if (J(",\"because\":[") < 0)
				return -1;
			for (c = 0; c < l->nwhy[h]; c++)
				if ((c && J(",") < 0) || J("{\"") < 0 ||
				    J(igr_node_name(w[c].type)) < 0 ||
				    J("\":") < 0 ||
				    json_id(o, w[c].type, w[c].id) < 0 ||
				    J(",\"weight\":") < 0 ||
				    json_num(o, w[c].w) < 0 || J("}") < 0)
					return -1;
			if (J("]") < 0)
				return -1;
		}
		if (J("}") < 0)
			return -1;
	}
	return J("]}\n");
}

static int write_list(struct output *o, const igr_rec_list *l,
		      const uint32_t *group, size_t ngroup)
{
	igr_score s;
	uint32_t h, c;
	int ttype = l->query_type == IGR_USER ? IGR_ITEM : IGR_USER;

	if (o->explain < 0) /* similar items */
		ttype = IGR_ITEM;
	if (o->json != NULL)
		return write_json(o, l, group, ngroup);
	for (h = 0; h < l->n; h++) {
		s.query_type = l->query_type;
		s.query = l->query;
		s.target_type = (uint8_t)ttype;
		s.target = l->hits[h].id;
		s.score = l->hits[h].score;
		s.rank = h + 1;
		if (igr_write_score(o->w, &s) < 0)
			return -1;
		if (o->explain > 0 && l->nwhy != NULL) {
			const igr_contrib *w = l->why + (size_t)h * IGR_SERVE_EXPLAIN;
			for (c = 0; c < l->nwhy[h]; c++) {
				igr_score e;
				e.query_type = IGR_ITEM;
				e.query = l->hits[h].id;
				e.target_type = w[c].type;
				e.target = w[c].id;
				e.score = w[c].w;
				e.rank = c + 1;
				if (igr_write_score(o->w, &e) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* ---- the run ----------------------------------------------------------- */

int igr_rec_index_open(igr_rec *rec, const char *name,
		       const struct igr_index_choice *c, uint32_t k,
		       const igr_report *report, struct igr_index **out)
{
	const igr_embed *e = igr_rec_embedding(rec);
	struct igr_ann_info in;
	igr_index *ix;
	uint32_t margin;

	*out = NULL;
	if (c->exact) {
		igr_report_info(report, "scoring: every item (--exact)");
		return 0;
	}
	if (e == NULL) {
		if (c->index != NULL)
			return igr_error("%s: the %s model is not an embedding "
					 "model: it serves without an index",
					 c->index, name);
		return 0;
	}
	if (c->index == NULL && e->order != NULL) {
		/* a rank-1 embedding (pop) is walked in its one order,
		 * exactly and faster than any index: on the 100M log a
		 * load-time index took pop's serving from 31 s to hours */
		igr_report_info(report, "scoring: the items' one order (a "
				"rank-1 model)");
		return 0;
	}
	if (c->index != NULL) {
		ix = igr_index_load(c->index);
		if (ix == NULL || igr_index_check(ix, e, name, c->index) < 0) {
			igr_index_free(ix);
			return -1;
		}
	} else if (c->ann_items > 0 && e->nitems >= c->ann_items) {
		struct igr_ann_params p;
		memset(&p, 0, sizeof p);
		p.type = IGR_ANN_IVF_PQ;
		igr_report_progress(report, "building the item index");
		ix = igr_index_build(e, name, &p);
		igr_report_progress_done(report);
		if (ix == NULL)
			return -1;
	} else {
		igr_report_info(report, "scoring: every item (%u items, "
				"below the %u of an index; --index FILE to "
				"use one)", e->nitems, c->ann_items);
		return 0;
	}
	igr_ann_describe(ix->ann, &in);
	/* pq's scores are rough, the rougher the more dimensions a byte of
	 * code stands for: its candidates go deeper, k x max(5, dim / 20)
	 * (on the 10M log mf at dim 64 kept recall@20 within 1% of the
	 * exact lists with 5 k; gf's spectral form at dim 512 needed 25 k:
	 * overlap 0.954 against 0.880 with 5 k) */
	margin = c->candidates != UINT32_MAX ? c->candidates
		 : in.type == IGR_ANN_IVF_PQ
		 ? k * (in.dim / 20 > 5 ? in.dim / 20 : 5) : k;
	igr_report_info(report,
			"scoring: index %s (%s), %s over %llu items x %u, "
			"nlist %u, hnsw m %u, effort %u%s; candidates k + %u + "
			"excluded items",
			c->index ? c->index : "built now",
			c->index ? "loaded" : "no --index",
			igr_ann_type_name(in.type), (unsigned long long)in.n,
			in.dim, in.nlist, in.hnsw_m,
			c->effort ? c->effort : in.effort,
			c->effort ? " (--effort)" : "", margin);
	if (c->index == NULL)
		igr_report_info(report, "index built in %.2fs",
				ix->build_seconds);
	igr_rec_set_index(rec, ix, margin, c->effort);
	*out = ix;
	return 0;
}

/* The index of an embedding model's lists (igr_rec_index_open); none
 * for similar items and audiences. */
static int open_index(igr_serve *s)
{
	const struct igr_serve_opts *o = s->o;

	if (o->mode != IGR_SERVE_USERS) {
		igr_report_info(o->report,
				"scoring: every item (not lists for users)");
		return 0;
	}
	return igr_rec_index_open(s->rec, igr_model_name(s->m), &o->ix,
				  s->ro.k, o->report, &s->ix);
}

igr_serve *igr_serve_open(const struct igr_serve_opts *o)
{
	igr_serve *s = calloc(1, sizeof *s);

	if (s == NULL) {
		igr_error("out of memory");
		return NULL;
	}
	s->o = o;
	s->t0 = igr_now();
	s->ro = o->rec;
	s->ro.exclude = strcmp(o->exclude, "seen") == 0     ? IGR_EXCL_SEEN
			: strcmp(o->exclude, "zero") == 0   ? IGR_EXCL_ZERO
			: strcmp(o->exclude, "bought") == 0 ? IGR_EXCL_BOUGHT
							     : IGR_EXCL_NONE;
	if (o->explain)
		s->ro.explain = IGR_SERVE_EXPLAIN;
	igr_rec_batch_init(&s->b);
	/* the model and the current graph */
	s->m = igr_model_load(o->model);
	if (s->m == NULL)
		goto fail;
	/* a graph, or events (their sequences for the sequence model) */
	s->r = igr_reader_open(o->graph, 0);
	if (s->r == NULL)
		goto fail;
	if (o->vs != NULL)
		igr_reader_set_vocab(s->r, o->vs);
	s->g = igr_seqs_input(s->r, IGR_REL(IGR_USER, IGR_ITEM) |
					    IGR_REL(IGR_ITEM, IGR_CATEGORY),
			      0, &s->seqs);
	if (s->g == NULL)
		goto fail;
	s->rec = igr_rec_new(s->m, s->g);
	if (s->rec == NULL)
		goto fail;
	if (o->vectors != NULL) {
		igr_reader *vr = igr_reader_open(o->vectors, IGR_KIND_VECTORS);
		int rc;
		if (vr == NULL)
			goto fail;
		rc = igr_rec_load_vectors(s->rec, vr);
		igr_reader_close(vr); /* sets no error: REC's stays */
		if (rc < 0)
			goto fail;
	}
	if (o->events != NULL) {
		s->bought = read_bought(o->events, s->g->n[IGR_USER],
					igr_rec_nitems(s->rec));
		if (s->bought == NULL)
			goto fail;
		s->ro.bought = s->bought;
	}
	igr_rec_set_opts(s->rec, &s->ro);
	if (open_index(s) < 0)
		goto fail;
	return s;
fail:
	igr_serve_free(s);
	return NULL;
}

const igr_model *igr_serve_model(const igr_serve *s)
{
	return s->m;
}

int igr_serve_can_explain(const igr_serve *s)
{
	return igr_rec_can_explain(s->rec);
}

/* Read an item file into the engine's allow or block list. */
static int item_rule(igr_serve *s, const char *path,
		     int (*apply)(igr_rec *, const uint32_t *, size_t))
{
	struct idlist l;
	int rc;

	if (read_ids(s, path, IGR_ITEM, 0, igr_rec_nitems(s->rec), &l) < 0)
		return -1;
	rc = apply(s->rec, l.id, l.n);
	free(l.id);
	free(l.line_start);
	return rc;
}

int igr_serve_lists(igr_serve *s)
{
	const struct igr_serve_opts *o = s->o;
	uint32_t ni = igr_rec_nitems(s->rec), u;

	if ((o->allow != NULL && item_rule(s, o->allow, igr_rec_allow) < 0) ||
	    (o->block != NULL && item_rule(s, o->block, igr_rec_block) < 0))
		return -1;
	if (o->users != NULL &&
	    read_ids(s, o->users, IGR_USER, 0, 0, &s->users) < 0)
		return -1;
	if (o->similar != NULL &&
	    read_ids(s, o->similar, IGR_ITEM, 0, ni, &s->qitems) < 0)
		return -1;
	if (o->audience != NULL &&
	    read_ids(s, o->audience, IGR_ITEM, 1, ni, &s->qitems) < 0)
		return -1;
	if (o->audience_cat != NULL &&
	    read_ids(s, o->audience_cat, IGR_CATEGORY, 0,
		     s->g->n[IGR_CATEGORY], &s->qcats) < 0)
		return -1;
	if (o->users_from != NULL) {
		/* the users a day's events touched (the daily update) */
		size_t n, j;
		uint32_t *ids = igr_events_users(o->users_from,
						 s->g->n[IGR_USER], &n);

		if (ids == NULL)
			return -1;
		for (j = 0; j < n; j++)
			if (push_id(&s->users, ids[j]) < 0) {
				free(ids);
				return -1;
			}
		free(ids);
	} else if (o->users == NULL) {
		for (u = 0; u < s->g->n[IGR_USER]; u++)
			if (push_id(&s->users, u) < 0)
				return -1;
	}
	s->st.t_load = igr_now() - s->t0;
	return 0;
}

static const char *const mode_names[] = { "users", "similar", "audience" };

/* The scores stream and its header. */
static int open_scores(igr_serve *s)
{
	const struct igr_serve_opts *o = s->o;
	const igr_header *gh = igr_reader_header(s->r);
	igr_writer *w;
	char buf[64];

	w = s->out.w = igr_writer_open_par(o->output, IGR_KIND_SCORES,
					   o->encoding);
	if (w == NULL)
		return -1;
	snprintf(buf, sizeof buf, "%u", s->ro.k);
	if (igr_writer_set_meta(w, "model", igr_model_name(s->m)) < 0 ||
	    igr_writer_set_meta(w, "mode", mode_names[o->mode]) < 0 ||
	    igr_writer_set_meta(w, "k", buf) < 0 ||
	    igr_writer_set_meta(w, "exclude", o->exclude) < 0)
		return -1;
	if (o->mode == IGR_SERVE_USERS) {
		uint8_t *known = malloc(s->users.n ? s->users.n : 1);
		long unknown;
		if (known == NULL)
			return igr_error("out of memory");
		unknown = igr_rec_known(s->rec, s->users.id, s->users.n, known);
		free(known);
		if (unknown < 0)
			return -1;
		snprintf(buf, sizeof buf, "%ld", unknown);
		if (igr_writer_set_meta(w, "fallback",
					s->ro.fallback ? "popularity"
						       : "none") < 0 ||
		    igr_writer_set_meta(w, "fallback.users", buf) < 0)
			return -1;
	}
	if (o->explain &&
	    igr_writer_set_meta(w, "explain",
				"rows with query_type item follow the user "
				"row they explain") < 0)
		return -1;
	if (igr_header_get(gh, "now") != NULL &&
	    igr_writer_set_meta(w, "now", igr_header_get(gh, "now")) < 0)
		return -1;
	if (igr_writer_copy_pg(w, gh) < 0 ||
	    igr_writer_add_pg(w, "igraph-recommend", IGR_VERSION, o->argc,
			      o->argv) < 0)
		return -1;
	if (o->vs != NULL)
		igr_writer_set_vocab(w, o->vs);
	return 0;
}

/* Write the lists of the batch; Q: the audience queries, or NULL. */
static int write_batch(igr_serve *s, const struct igr_audience *q)
{
	size_t j;
	double tt = igr_now();

	for (j = 0; j < s->b.n; j++) {
		const igr_rec_list *l = &s->b.lists[j];
		if (write_list(&s->out, l, q ? q[j].items : NULL,
			       q && q[j].type == IGR_ITEM ? q[j].nitems : 0) < 0)
			return -1;
		s->st.rows += l->n;
		s->st.fallback_lists += (uint64_t)l->fallback;
	}
	s->st.lists += s->b.n;
	s->st.t_write += igr_now() - tt;
	return 0;
}

int igr_serve_bounds(const igr_csr *c, const uint32_t *ids, size_t n,
		     size_t *bounds)
{
	uint64_t *w;
	size_t i;

	if ((w = malloc((n ? n : 1) * sizeof *w)) == NULL)
		return igr_error("out of memory");
	for (i = 0; i < n; i++) {
		uint32_t id = ids != NULL ? ids[i] : (uint32_t)i;

		w[i] = 1 + (c != NULL && id < c->nrows
				    ? igr_csr_degree(c, id) : 0);
	}
	igr_par_split(w, n, igr_par_size(), bounds);
	free(w);
	return 0;
}

int igr_serve_range(const igr_csr *c, const uint32_t *ids, size_t n,
		    size_t *lo, size_t *hi)
{
	size_t *b;
	int rc;

	*lo = 0;
	*hi = n;
	if (igr_par_size() == 1)
		return 0;
	b = malloc(((size_t)igr_par_size() + 1) * sizeof *b);
	if (b == NULL)
		return igr_error("out of memory");
	rc = igr_serve_bounds(c, ids, n, b);
	if (rc == 0) {
		*lo = b[igr_par_rank()];
		*hi = b[igr_par_rank() + 1];
	}
	free(b);
	return rc;
}

/* This rank's share of the N queries IDS (users or items of TYPE). */
static int my_range(const igr_serve *s, int type, const uint32_t *ids,
		    size_t n, size_t *lo, size_t *hi)
{
	return igr_serve_range(s->g->rel[type][IGR_ITEM], ids, n, lo, hi);
}

static int run_users(igr_serve *s)
{
	size_t u0, n, chunk = CHUNK_SLOTS / s->ro.k, lo, hi;
	double tt;

	chunk = chunk < 64 ? 64 : chunk > CHUNK ? CHUNK : chunk;
	if (my_range(s, IGR_USER, s->users.id, s->users.n, &lo, &hi) < 0)
		return -1;
	for (u0 = lo; u0 < hi; u0 += chunk) {
		n = hi - u0 < chunk ? hi - u0 : chunk;
		tt = igr_now();
		if (igr_rec_users(s->rec, s->users.id + u0, n, &s->b) < 0)
			return -1;
		s->st.t_score += igr_now() - tt;
		if (write_batch(s, NULL) < 0)
			return -1;
		igr_report_progress(s->o->report, "%zu of %zu users",
				    u0 + n - lo, hi - lo);
	}
	return 0;
}

static int run_similar(igr_serve *s)
{
	size_t q0, n, lo, hi;
	double tt;

	if (my_range(s, IGR_ITEM, s->qitems.id, s->qitems.n, &lo, &hi) < 0)
		return -1;
	for (q0 = lo; q0 < hi; q0 += CHUNK) {
		n = hi - q0 < CHUNK ? hi - q0 : CHUNK;
		tt = igr_now();
		if (igr_rec_similar(s->rec, s->qitems.id + q0, n, &s->b) < 0)
			return -1;
		s->st.t_score += igr_now() - tt;
		if (write_batch(s, NULL) < 0)
			return -1;
	}
	return 0;
}

static int run_audience(igr_serve *s)
{
	const struct idlist *qi = &s->qitems, *qc = &s->qcats;
	size_t nq = qi->nlines + qc->n, j;
	struct igr_audience *q = calloc(nq ? nq : 1, sizeof *q);
	double tt;
	int rc;

	if (q == NULL)
		return igr_error("out of memory");
	/* one batch over every user: rank 0's alone (not split yet) */
	if (igr_par_rank() > 0) {
		free(q);
		return 0;
	}
	for (j = 0; j < qi->nlines; j++) {
		q[j].type = IGR_ITEM;
		q[j].items = qi->id + qi->line_start[j];
		q[j].nitems = qi->line_start[j + 1] - qi->line_start[j];
		q[j].id = q[j].items[0];
	}
	for (j = 0; j < qc->n; j++) {
		q[qi->nlines + j].type = IGR_CATEGORY;
		q[qi->nlines + j].id = qc->id[j];
	}
	tt = igr_now();
	rc = igr_rec_audience(s->rec, q, nq,
			      s->o->users || s->o->users_from ? s->users.id
							       : NULL,
			      s->users.n,
			      &s->b);
	s->st.t_score += igr_now() - tt;
	if (rc == 0)
		rc = write_batch(s, q);
	free(q);
	return rc;
}

int igr_serve_run(igr_serve *s)
{
	const struct igr_serve_opts *o = s->o;
	int rc;

	s->out.vs = o->vs;
	s->out.explain = o->mode == IGR_SERVE_SIMILAR ? -1 : o->explain;
	if (o->json) {
		s->out.json = igr_out_open_par(o->output);
		if (s->out.json == NULL)
			return -1;
	} else if (open_scores(s) < 0) {
		return -1;
	}
	igr_reader_close(s->r);
	s->r = NULL;
	rc = o->mode == IGR_SERVE_USERS     ? run_users(s)
	     : o->mode == IGR_SERVE_SIMILAR ? run_similar(s)
					    : run_audience(s);
	igr_report_progress_done(o->report);
	if (rc == 0 && igr_par_size() > 1) {
		/* the whole run's counts (every rank is here: a failed one
		 * ended the job) */
		uint64_t c[3] = { s->st.lists, s->st.rows,
				  s->st.fallback_lists };
		rc = igr_par_sum_u64(c, 3);
		s->st.lists = c[0];
		s->st.rows = c[1];
		s->st.fallback_lists = c[2];
	}
	if (rc == 0 && s->ix != NULL) {
		struct igr_rec_ann_stats as;
		igr_rec_ann_stats(s->rec, &as);
		igr_report_info(o->report, "index: %llu users served from its "
				"candidates, %llu scored against every item "
				"(candidates short of k)",
				(unsigned long long)(as.users - as.exact),
				(unsigned long long)as.exact);
	}
	return rc;
}

int igr_serve_close(igr_serve *s)
{
	double tt = igr_now();
	int rc = 0;

	if (s->out.w != NULL) {
		rc = igr_writer_close(s->out.w);
		s->out.w = NULL;
	}
	if (rc == 0 && s->out.json != NULL) {
		rc = igr_out_close(s->out.json);
		s->out.json = NULL;
	}
	s->st.t_write += igr_now() - tt;
	return rc;
}

void igr_serve_stats(const igr_serve *s, struct igr_serve_stats *st)
{
	*st = s->st;
	st->users = s->users.n;
}

int igr_serve_sgemm(const igr_serve *s, double *gflop, double *rate,
		    uint32_t *nitems, uint32_t *dim)
{
	igr_embed e;

	if (s->o->mode != IGR_SERVE_USERS || s->m->ops->embedding == NULL ||
	    s->m->ops->embedding(s->m, &e) != 0 || e.dim <= 1)
		return 0;
	*rate = igr_embed_sgemm_rate(e.dim, e.nitems, 1.0);
	*gflop = 2.0 * (double)s->users.n * e.nitems * e.dim / 1e9;
	*nitems = e.nitems;
	*dim = e.dim;
	return *rate > 0;
}

static void idlist_free(struct idlist *l)
{
	free(l->id);
	free(l->line_start);
}

void igr_serve_free(igr_serve *s)
{
	if (s == NULL)
		return;
	igr_writer_abort(s->out.w);
	igr_out_abort(s->out.json);
	igr_reader_close(s->r);
	igr_rec_batch_free(&s->b);
	igr_rec_free(s->rec);
	igr_index_free(s->ix);
	igr_model_free(s->m);
	igr_graph_free(s->g);
	igr_seqs_free(s->seqs);
	igr_csr_free(s->bought);
	idlist_free(&s->users);
	idlist_free(&s->qitems);
	idlist_free(&s->qcats);
	free(s);
}

igr_index *igr_serve_index(const char *model, const char *graph,
			   const igr_vocabset *vs,
			   const struct igr_ann_params *p)
{
	struct igr_serve_opts o;
	const igr_embed *e;
	igr_serve *s;
	igr_index *ix = NULL;

	memset(&o, 0, sizeof o);
	igr_rec_opts_init(&o.rec);
	o.model = model;
	o.graph = graph;
	o.vs = vs;
	o.mode = IGR_SERVE_USERS;
	o.exclude = "none";
	o.ix.exact = 1;
	s = igr_serve_open(&o);
	if (s == NULL)
		return NULL;
	e = igr_rec_embedding(s->rec);
	if (e == NULL)
		igr_error("%s: the %s model is not an embedding model: it has "
			  "no item vectors to index", model,
			  igr_model_name(s->m));
	else
		ix = igr_index_build(e, igr_model_name(s->m), p);
	igr_serve_free(s);
	return ix;
}
