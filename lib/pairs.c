/* pairs.c - features of (user, item) pairs at a cut time (see pairs.h and
 * igraph-pairs(1)). */
#include "pairs.h"
#include "embed.h"
#include "error.h"
#include "mem.h"
#include "numtext.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR 3600.0
#define MAX_BUCKETS 256

const char *const igr_pairs_meta_keys[] = {
	"half_life", "pop_short", "pop_long", "token_buckets", NULL,
};

void igr_pairs_opts_init(igr_pairs_opts *o)
{
	memset(o, 0, sizeof *o);
	o->half_life = 3 * 86400.0;
	o->label_period = 86400.0;
	o->pop_short = 86400.0;
	o->pop_long = 7 * 86400.0;
	o->token_buckets = 16;
}

/* Behaviour -> group (-1: none). */
static int group_of(int b)
{
	switch (b) {
	case IGR_VIEW:
	case IGR_CLICK:
		return IGR_PG_VIEW;
	case IGR_FAV:
		return IGR_PG_FAV;
	case IGR_CART:
		return IGR_PG_CART;
	case IGR_BUY:
		return IGR_PG_BUY;
	}
	return -1;
}

static const char *const group_names[IGR_PG_N] = { "view", "fav", "cart",
						   "buy" };

/* qsort, which must not be given a null array even for no elements. */
static void sort_n(void *a, size_t n, size_t size,
		   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(a, n, size, cmp);
}

/* ---- state ------------------------------------------------------------- */

struct ev {
	int64_t ts;
	uint32_t user, item, category;
	uint8_t behavior;
};

/* The user's events on one item (or one category), per group. */
struct agg {
	uint32_t key;
	uint32_t n[IGR_PG_N];
	float w[IGR_PG_N];
	int64_t last[IGR_PG_N]; /* INT64_MIN: none */
	int64_t last_any;       /* newest event of any behaviour */
	uint32_t recent;        /* items: 1 + the user's items engaged with
				   more recently (1 = the latest) */
};

struct cand {
	uint32_t user, item, rank;
	float score;
};

struct lab {
	uint32_t user, item;
	uint8_t mask;
};

struct catalog {
	uint32_t category;
	float price;
	uint8_t ntok;
	uint32_t tok[IGR_ITEM_TOKENS];
	uint8_t known;
};

struct igr_pairs {
	igr_pairs_opts o;
	int finished;
	/* input */
	struct ev *hist;
	size_t nhist, caphist;
	struct ev *lev;
	size_t nlev, caplev;
	struct cand *cand;
	size_t ncand, capcand;
	struct catalog *cat;
	size_t ncat_items;
	int has_items, has_titles;
	igr_model *model;
	const igr_graph *graph;
	igr_embed emb;
	int has_emb;
	igr_pairs_stats st;
	/* id bounds */
	uint32_t nusers, nitems, ncats;
	/* indexes (after finish) */
	uint32_t *icat;           /* item -> category (IGR_NONE) */
	struct agg *ui;           /* by (user, item) */
	uint64_t *ui_ptr;         /* nusers + 1 */
	struct agg *uc;           /* by (user, category) */
	uint64_t *uc_ptr;
	uint32_t *u_n, *u_n_short, *u_buy, *u_items;
	int64_t *u_last;
	uint32_t *i_n_short, *i_n_long, *i_cart, *i_buy, *i_users;
	float *i_w;
	uint32_t *c_n, *c_buy;
	struct lab *lab;
	size_t nlab;
	uint64_t *cand_ptr;       /* nusers + 1 into cand (sorted) */
	/* columns */
	uint32_t dim;
	char **names;
	int col_graph, col_emb, col_price, col_tok; /* -1: absent */
};

igr_pairs *igr_pairs_new(const igr_pairs_opts *o)
{
	igr_pairs *p;

	if (!(o->half_life > 0) || o->label_period < 0 ||
	    !(o->pop_short > 0) || o->pop_long < o->pop_short ||
	    o->token_buckets > MAX_BUCKETS)
		return igr_error("bad pair feature options"), NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return igr_error("out of memory"), NULL;
	p->o = *o;
	p->st.newest = INT64_MIN;
	p->col_graph = p->col_emb = p->col_price = p->col_tok = -1;
	return p;
}

void igr_pairs_free(igr_pairs *p)
{
	uint32_t i;

	if (p == NULL)
		return;
	free(p->hist);
	free(p->lev);
	free(p->cand);
	free(p->cat);
	free(p->icat);
	free(p->ui);
	free(p->ui_ptr);
	free(p->uc);
	free(p->uc_ptr);
	free(p->u_n);
	free(p->u_n_short);
	free(p->u_buy);
	free(p->u_items);
	free(p->u_last);
	free(p->i_n_short);
	free(p->i_n_long);
	free(p->i_cart);
	free(p->i_buy);
	free(p->i_users);
	free(p->i_w);
	free(p->c_n);
	free(p->c_buy);
	free(p->lab);
	free(p->cand_ptr);
	for (i = 0; i < p->dim && p->names; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

static int not_finished(const igr_pairs *p)
{
	if (p->finished)
		return igr_error("internal error: pair input after "
				 "igr_pairs_finish");
	return 0;
}

/* ---- input ------------------------------------------------------------- */

int igr_pairs_add_event(igr_pairs *p, const igr_event *e)
{
	struct ev v;

	if (not_finished(p) < 0)
		return -1;
	if (e->user == IGR_NONE || e->item == IGR_NONE)
		return igr_error("event without a user or an item");
	p->st.events++;
	if (e->ts > p->st.newest)
		p->st.newest = e->ts;
	v.ts = e->ts;
	v.user = e->user;
	v.item = e->item;
	v.category = e->category;
	v.behavior = e->behavior;
	/* The only place an event is filed: before the cut it may feed the
	 * features; at or after it, only the label. */
	if (e->ts < p->o.cut) {
		if (igr_grow(&p->hist, &p->caphist, p->nhist + 1,
			 sizeof *p->hist) < 0)
			return -1;
		p->hist[p->nhist++] = v;
		p->st.history_events++;
	} else if ((double)(e->ts - p->o.cut) < p->o.label_period) {
		if (igr_grow(&p->lev, &p->caplev, p->nlev + 1,
			 sizeof *p->lev) < 0)
			return -1;
		p->lev[p->nlev++] = v;
		p->st.label_events++;
	} else {
		p->st.later_events++;
	}
	return 0;
}

int igr_pairs_add_item(igr_pairs *p, const igr_item *it)
{
	struct catalog *c;

	if (not_finished(p) < 0)
		return -1;
	if (it->item == IGR_NONE)
		return igr_error("catalogue entry without an item");
	if (it->item >= p->ncat_items) {
		size_t n = p->ncat_items;
		if (igr_grow(&p->cat, &p->ncat_items, (size_t)it->item + 1,
			     sizeof *p->cat) < 0)
			return -1;
		/* the whole room is in use: unknown items are zero entries */
		memset(p->cat + n, 0, (p->ncat_items - n) * sizeof *p->cat);
	}
	c = &p->cat[it->item];
	c->category = it->category;
	c->price = it->price;
	c->ntok = it->ntok > IGR_ITEM_TOKENS ? IGR_ITEM_TOKENS : it->ntok;
	memcpy(c->tok, it->tok, sizeof c->tok);
	c->known = 1;
	p->has_items = 1;
	p->has_titles |= c->ntok > 0;
	return 0;
}

int igr_pairs_add_candidate(igr_pairs *p, const igr_score *s)
{
	struct cand c;

	if (not_finished(p) < 0)
		return -1;
	if (s->query_type != IGR_USER || s->target_type != IGR_ITEM)
		return igr_error("candidates must be user -> item scores, "
				 "found %s -> %s (a list written with "
				 "--explain or --audience?)",
				 igr_node_name(s->query_type),
				 igr_node_name(s->target_type));
	if (s->query == IGR_NONE || s->target == IGR_NONE)
		return igr_error("candidate without a user or an item");
	p->st.candidates++;
	if (p->o.top && s->rank > p->o.top) {
		p->st.candidates_cut++;
		return 0;
	}
	if (igr_grow(&p->cand, &p->capcand, p->ncand + 1,
		     sizeof *p->cand) < 0)
		return -1;
	c.user = s->query;
	c.item = s->target;
	c.rank = s->rank ? s->rank : 1;
	c.score = s->score;
	p->cand[p->ncand++] = c;
	return 0;
}

int igr_pairs_read_events(igr_pairs *p, igr_reader *r)
{
	igr_event e;
	int rc;

	while ((rc = igr_read_event(r, &e)) == 1)
		if (igr_pairs_add_event(p, &e) < 0)
			return igr_error_prefix("%s: event %llu",
						igr_reader_name(r),
						(unsigned long long)
							igr_reader_records(r));
	return rc;
}

int igr_pairs_read_items(igr_pairs *p, igr_reader *r)
{
	igr_item it;
	int rc;

	while ((rc = igr_read_item(r, &it)) == 1)
		if (igr_pairs_add_item(p, &it) < 0)
			return igr_error_prefix("%s", igr_reader_name(r));
	return rc;
}

int igr_pairs_read_candidates(igr_pairs *p, igr_reader *r)
{
	const char *now = igr_header_get(igr_reader_header(r), "now");
	igr_score s;
	int64_t t;
	int rc;

	if (now != NULL && igr_parse_i64(now, strlen(now), &t) == 0 &&
	    t > p->o.cut)
		return igr_error("%s: the candidates come from a graph of "
				 "time %lld, after the cut %lld (the model saw "
				 "events at or after the cut)",
				 igr_reader_name(r), (long long)t,
				 (long long)p->o.cut);
	while ((rc = igr_read_score(r, &s)) == 1)
		if (igr_pairs_add_candidate(p, &s) < 0)
			return igr_error_prefix("%s: record %llu",
						igr_reader_name(r),
						(unsigned long long)
							igr_reader_records(r));
	return rc;
}

int igr_pairs_set_model(igr_pairs *p, igr_model *m, const igr_graph *g)
{
	int src;

	if (not_finished(p) < 0)
		return -1;
	if (m->ops == NULL)
		return igr_error("model '%s' cannot score (unknown type)",
				 igr_model_name(m));
	/* look-ahead: an edge that holds an event at or after the cut */
	for (src = 0; src < IGR_NNODE; src++) {
		int dst;
		for (dst = 0; dst < IGR_NNODE; dst++) {
			const igr_csr *a = g->rel[src][dst];
			uint64_t k;
			if (a == NULL)
				continue;
			if (a->last_ts == NULL)
				return igr_error("internal error: graph read "
						 "without edge details");
			for (k = 0; k < a->nnz; k++)
				if (a->last_ts[k] >= p->o.cut)
					return igr_error(
						"the graph holds events at or "
						"after the cut (a %s -> %s edge "
						"of time %lld >= %lld): build "
						"it from the events before the "
						"cut",
						igr_node_name(src),
						igr_node_name(dst),
						(long long)a->last_ts[k],
						(long long)p->o.cut);
		}
	}
	if (m->ops->prepare != NULL && m->ops->prepare(m, g) < 0)
		return -1;
	p->model = m;
	p->graph = g;
	p->has_emb = m->ops->embedding != NULL &&
		     m->ops->embedding(m, &p->emb) == 0 && p->emb.dim > 0;
	return 0;
}

/* ---- indexing ---------------------------------------------------------- */

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->behavior > y->behavior) - (x->behavior < y->behavior);
}

static int agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static int cand_item_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

static int cand_rank_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

static int lab_cmp(const void *a, const void *b)
{
	const struct lab *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

static void agg_clear(struct agg *a, uint32_t key)
{
	int g;

	memset(a, 0, sizeof *a);
	a->key = key;
	for (g = 0; g < IGR_PG_N; g++)
		a->last[g] = INT64_MIN;
	a->last_any = INT64_MIN;
}

/* The weight of an event at TS: 2^-((T - ts) / h), the decay of the
 * interest graph (DESIGN.md, "The dynamic update"). */
static double decay(const igr_pairs *p, int64_t ts)
{
	return exp2(-(double)(p->o.cut - ts) / p->o.half_life);
}

static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int add_name(igr_pairs *p, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_name(igr_pairs *p, size_t *cap, const char *fmt, ...)
{
	char buf[80];
	va_list ap;

	if (igr_grow(&p->names, cap, (size_t)p->dim + 1, sizeof *p->names) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	p->names[p->dim] = strdup(buf);
	if (p->names[p->dim] == NULL)
		return igr_error("out of memory");
	p->dim++;
	return 0;
}

/* Columns, in the order of pairs.h. */
static int make_names(igr_pairs *p)
{
	size_t cap = 0;
	uint32_t b;
	int g;
	const char *lvl[2] = { "ui", "uc" };
	int l;

	for (l = 0; l < 2; l++)
		for (g = 0; g < IGR_PG_N; g++)
			if (add_name(p, &cap, "%s_%s_n", lvl[l],
				     group_names[g]) < 0 ||
			    add_name(p, &cap, "%s_%s_w", lvl[l],
				     group_names[g]) < 0 ||
			    add_name(p, &cap, "%s_%s_age", lvl[l],
				     group_names[g]) < 0)
				return -1;
	if (add_name(p, &cap, "ui_age") < 0 ||
	    add_name(p, &cap, "ui_recent") < 0 ||
	    add_name(p, &cap, "u_n") < 0 || add_name(p, &cap, "u_n_short") < 0 ||
	    add_name(p, &cap, "u_buy_n") < 0 ||
	    add_name(p, &cap, "u_items") < 0 || add_name(p, &cap, "u_age") < 0 ||
	    add_name(p, &cap, "i_n_short") < 0 ||
	    add_name(p, &cap, "i_n_long") < 0 ||
	    add_name(p, &cap, "i_cart_long") < 0 ||
	    add_name(p, &cap, "i_buy_long") < 0 ||
	    add_name(p, &cap, "i_users_long") < 0 ||
	    add_name(p, &cap, "i_trend") < 0 || add_name(p, &cap, "i_w") < 0 ||
	    add_name(p, &cap, "c_n_long") < 0 ||
	    add_name(p, &cap, "c_buy_long") < 0)
		return -1;
	if (p->ncand > 0 || p->model != NULL) {
		p->col_graph = (int)p->dim;
		if (add_name(p, &cap, "graph_score") < 0 ||
		    add_name(p, &cap, "graph_score_rel") < 0 ||
		    add_name(p, &cap, "graph_rank") < 0 ||
		    add_name(p, &cap, "graph_listed") < 0)
			return -1;
	}
	if (p->has_emb) {
		p->col_emb = (int)p->dim;
		if (add_name(p, &cap, "emb_dot") < 0 ||
		    add_name(p, &cap, "emb_cos") < 0)
			return -1;
	}
	if (p->has_items) {
		p->col_price = (int)p->dim;
		if (add_name(p, &cap, "price") < 0)
			return -1;
	}
	if (p->has_titles && p->o.token_buckets > 0) {
		p->col_tok = (int)p->dim;
		for (b = 0; b < p->o.token_buckets; b++)
			if (add_name(p, &cap, "tok%u", b) < 0)
				return -1;
	}
	return 0;
}

static void bound(uint32_t *n, uint32_t id)
{
	if (id != IGR_NONE && id >= *n)
		*n = id + 1;
}

struct recent {
	int64_t ts;
	uint32_t item;
};

/* Newest first; ties by lower item id. */
static int recent_cmp(const void *a, const void *b)
{
	const struct recent *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts > y->ts ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/* Each user's items ranked by their newest event (the order of the
 * recency baseline): agg.recent. */
static int recency_ranks(igr_pairs *p)
{
	struct recent *r = NULL;
	size_t cap = 0;
	uint32_t u;

	for (u = 0; u < p->nusers; u++) {
		uint64_t a = p->ui_ptr[u], b = p->ui_ptr[u + 1], k;
		size_t n = (size_t)(b - a), j;
		if (igr_grow(&r, &cap, n, sizeof *r) < 0) {
			free(r);
			return -1;
		}
		for (k = a; k < b; k++) {
			r[k - a].ts = p->ui[k].last_any;
			r[k - a].item = (uint32_t)(k - a); /* index in the run */
		}
		/* ties by the index, i.e. by item id (the run is sorted) */
		sort_n(r, n, sizeof *r, recent_cmp);
		for (j = 0; j < n; j++)
			p->ui[a + r[j].item].recent = (uint32_t)j + 1;
	}
	free(r);
	return 0;
}

int igr_pairs_finish(igr_pairs *p)
{
	const igr_pairs_opts *o = &p->o;
	size_t i, j, nui = 0;
	uint32_t u;
	int64_t *icat_ts = NULL;

	if (not_finished(p) < 0)
		return -1;
	p->finished = 1;

	/* id bounds */
	for (i = 0; i < p->nhist; i++) {
		bound(&p->nusers, p->hist[i].user);
		bound(&p->nitems, p->hist[i].item);
		bound(&p->ncats, p->hist[i].category);
	}
	for (i = 0; i < p->nlev; i++) {
		bound(&p->nusers, p->lev[i].user);
		bound(&p->nitems, p->lev[i].item);
	}
	for (i = 0; i < p->ncand; i++) {
		bound(&p->nusers, p->cand[i].user);
		bound(&p->nitems, p->cand[i].item);
	}
	for (i = 0; i < p->ncat_items; i++)
		if (p->cat[i].known) {
			bound(&p->nitems, (uint32_t)i);
			bound(&p->ncats, p->cat[i].category);
		}

	/* item -> category: the catalogue's, else the newest one the
	 * history gives (never a label event's) */
	p->icat = malloc((p->nitems ? p->nitems : 1) * sizeof *p->icat);
	icat_ts = malloc((p->nitems ? p->nitems : 1) * sizeof *icat_ts);
	if (p->icat == NULL || icat_ts == NULL)
		goto oom;
	for (i = 0; i < p->nitems; i++) {
		p->icat[i] = IGR_NONE;
		icat_ts[i] = INT64_MIN;
	}
	for (i = 0; i < p->nhist; i++) {
		const struct ev *e = &p->hist[i];
		if (e->category != IGR_NONE && e->ts >= icat_ts[e->item]) {
			p->icat[e->item] = e->category;
			icat_ts[e->item] = e->ts;
		}
	}
	free(icat_ts);
	icat_ts = NULL;
	for (i = 0; i < p->ncat_items && i < p->nitems; i++)
		if (p->cat[i].known && p->cat[i].category != IGR_NONE)
			p->icat[i] = p->cat[i].category;

	/* per-user, per-item aggregates */
	sort_n(p->hist, p->nhist, sizeof *p->hist, ev_cmp);
	for (i = 0; i < p->nhist; i++)
		nui += i == 0 || p->hist[i].user != p->hist[i - 1].user ||
		       p->hist[i].item != p->hist[i - 1].item;
	p->ui = zalloc(nui, sizeof *p->ui);
	p->ui_ptr = zalloc((size_t)p->nusers + 1, sizeof *p->ui_ptr);
	p->u_n = zalloc(p->nusers, sizeof *p->u_n);
	p->u_n_short = zalloc(p->nusers, sizeof *p->u_n_short);
	p->u_buy = zalloc(p->nusers, sizeof *p->u_buy);
	p->u_items = zalloc(p->nusers, sizeof *p->u_items);
	p->u_last = zalloc(p->nusers, sizeof *p->u_last);
	p->i_n_short = zalloc(p->nitems, sizeof *p->i_n_short);
	p->i_n_long = zalloc(p->nitems, sizeof *p->i_n_long);
	p->i_cart = zalloc(p->nitems, sizeof *p->i_cart);
	p->i_buy = zalloc(p->nitems, sizeof *p->i_buy);
	p->i_users = zalloc(p->nitems, sizeof *p->i_users);
	p->i_w = zalloc(p->nitems, sizeof *p->i_w);
	p->c_n = zalloc(p->ncats, sizeof *p->c_n);
	p->c_buy = zalloc(p->ncats, sizeof *p->c_buy);
	if (!p->ui || !p->ui_ptr || !p->u_n || !p->u_n_short || !p->u_buy ||
	    !p->u_items || !p->u_last || !p->i_n_short || !p->i_n_long ||
	    !p->i_cart || !p->i_buy || !p->i_users || !p->i_w || !p->c_n ||
	    !p->c_buy)
		goto oom;
	for (u = 0; u < p->nusers; u++)
		p->u_last[u] = INT64_MIN;
	{
		size_t k = 0;
		double wsum[IGR_PG_N] = { 0 };
		for (i = 0; i < p->nhist; i++) {
			const struct ev *e = &p->hist[i];
			double age = (double)(o->cut - e->ts);
			double d = decay(p, e->ts);
			int g = group_of(e->behavior);
			struct agg *a;
			if (i == 0 || e->user != p->hist[i - 1].user ||
			    e->item != p->hist[i - 1].item) {
				if (i > 0) {
					for (int h = 0; h < IGR_PG_N; h++)
						p->ui[k - 1].w[h] =
							(float)wsum[h];
				}
				agg_clear(&p->ui[k++], e->item);
				memset(wsum, 0, sizeof wsum);
				p->ui_ptr[e->user + 1]++;
				p->u_items[e->user]++;
			}
			a = &p->ui[k - 1];
			if (g >= 0) {
				a->n[g]++;
				wsum[g] += d;
				if (e->ts > a->last[g])
					a->last[g] = e->ts;
			}
			if (e->ts > a->last_any)
				a->last_any = e->ts;
			/* the user's activity */
			p->u_n[e->user]++;
			p->u_n_short[e->user] += age <= o->pop_short;
			p->u_buy[e->user] += e->behavior == IGR_BUY;
			if (e->ts > p->u_last[e->user])
				p->u_last[e->user] = e->ts;
			/* the item's popularity */
			p->i_w[e->item] += (float)d;
			if (age <= o->pop_short)
				p->i_n_short[e->item]++;
			if (age <= o->pop_long) {
				p->i_n_long[e->item]++;
				p->i_cart[e->item] += e->behavior == IGR_CART;
				p->i_buy[e->item] += e->behavior == IGR_BUY;
			}
		}
		if (k > 0)
			for (int h = 0; h < IGR_PG_N; h++)
				p->ui[k - 1].w[h] = (float)wsum[h];
	}
	for (u = 0; u < p->nusers; u++)
		p->ui_ptr[u + 1] += p->ui_ptr[u];
	if (recency_ranks(p) < 0)
		goto oom;
	for (j = 0; j < nui; j++)
		if ((double)(o->cut - p->ui[j].last_any) <= o->pop_long)
			p->i_users[p->ui[j].key]++;
	for (i = 0; i < p->nitems; i++)
		if (p->icat[i] != IGR_NONE) {
			p->c_n[p->icat[i]] += p->i_n_long[i];
			p->c_buy[p->icat[i]] += p->i_buy[i];
		}

	/* per-user, per-category aggregates: the user's item aggregates
	 * summed by the item's category */
	p->uc = zalloc(nui, sizeof *p->uc);
	p->uc_ptr = zalloc((size_t)p->nusers + 1, sizeof *p->uc_ptr);
	if (p->uc == NULL || p->uc_ptr == NULL)
		goto oom;
	{
		size_t k = 0;
		for (u = 0; u < p->nusers; u++) {
			size_t s0 = k, a, b;
			for (j = p->ui_ptr[u]; j < p->ui_ptr[u + 1]; j++) {
				uint32_t c = p->icat[p->ui[j].key];
				if (c == IGR_NONE)
					continue;
				p->uc[k] = p->ui[j];
				p->uc[k++].key = c;
			}
			sort_n(p->uc + s0, k - s0, sizeof *p->uc, agg_cmp);
			/* merge runs of one category */
			for (a = s0, b = s0; a < k; a++) {
				int g;
				if (b > s0 && p->uc[b - 1].key == p->uc[a].key) {
					struct agg *t = &p->uc[b - 1];
					for (g = 0; g < IGR_PG_N; g++) {
						t->n[g] += p->uc[a].n[g];
						t->w[g] += p->uc[a].w[g];
						if (p->uc[a].last[g] > t->last[g])
							t->last[g] =
								p->uc[a].last[g];
					}
					if (p->uc[a].last_any > t->last_any)
						t->last_any = p->uc[a].last_any;
				} else {
					p->uc[b++] = p->uc[a];
				}
			}
			k = b;
			p->uc_ptr[u + 1] = k;
		}
	}

	/* labels: the behaviours of each (user, item) in the label period */
	p->lab = zalloc(p->nlev, sizeof *p->lab);
	if (p->lab == NULL)
		goto oom;
	for (i = 0; i < p->nlev; i++) {
		p->lab[i].user = p->lev[i].user;
		p->lab[i].item = p->lev[i].item;
		p->lab[i].mask = (uint8_t)(1u << p->lev[i].behavior);
	}
	sort_n(p->lab, p->nlev, sizeof *p->lab, lab_cmp);
	for (i = 0, j = 0; i < p->nlev; i++) {
		if (j > 0 && p->lab[j - 1].user == p->lab[i].user &&
		    p->lab[j - 1].item == p->lab[i].item)
			p->lab[j - 1].mask |= p->lab[i].mask;
		else
			p->lab[j++] = p->lab[i];
	}
	p->nlab = j;
	for (j = 0; j < p->nlab; j++)
		for (int b = 0; b < IGR_NBEHAVIOR; b++)
			p->st.truth[b] += (p->lab[j].mask >> b) & 1;

	/* candidates: one per (user, item), the best rank; then by rank */
	sort_n(p->cand, p->ncand, sizeof *p->cand, cand_item_cmp);
	for (i = 0, j = 0; i < p->ncand; i++) {
		if (j > 0 && p->cand[j - 1].user == p->cand[i].user &&
		    p->cand[j - 1].item == p->cand[i].item) {
			p->st.candidates_dup++;
			continue;
		}
		p->cand[j++] = p->cand[i];
	}
	p->ncand = j;
	sort_n(p->cand, p->ncand, sizeof *p->cand, cand_rank_cmp);
	p->cand_ptr = zalloc((size_t)p->nusers + 1, sizeof *p->cand_ptr);
	if (p->cand_ptr == NULL)
		goto oom;
	for (i = 0; i < p->ncand; i++)
		p->cand_ptr[p->cand[i].user + 1]++;
	for (u = 0; u < p->nusers; u++)
		p->cand_ptr[u + 1] += p->cand_ptr[u];

	return make_names(p);
oom:
	free(icat_ts);
	return igr_error("out of memory");
}

uint32_t igr_pairs_dim(const igr_pairs *p)
{
	return p->dim;
}

const char *const *igr_pairs_names(const igr_pairs *p)
{
	return (const char *const *)p->names;
}

/* ---- features ---------------------------------------------------------- */

static const struct agg *lookup(const struct agg *a, const uint64_t *ptr,
				uint32_t n, uint32_t user, uint32_t key)
{
	uint64_t lo, hi;

	if (user >= n || key == IGR_NONE)
		return NULL;
	lo = ptr[user];
	hi = ptr[user + 1];
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (a[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ptr[user + 1] && a[lo].key == key ? &a[lo] : NULL;
}

static uint8_t label_of(const igr_pairs *p, uint32_t user, uint32_t item)
{
	size_t lo = 0, hi = p->nlab;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lab *l = &p->lab[mid];
		if (l->user < user || (l->user == user && l->item < item))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nlab && p->lab[lo].user == user &&
			       p->lab[lo].item == item
		       ? p->lab[lo].mask
		       : 0;
}

static float hours(const igr_pairs *p, int64_t ts)
{
	return ts == INT64_MIN ? NAN : (float)((double)(p->o.cut - ts) / HOUR);
}

static float *put_agg(const igr_pairs *p, const struct agg *a, float *x)
{
	int g;

	for (g = 0; g < IGR_PG_N; g++) {
		*x++ = a ? (float)a->n[g] : 0;
		*x++ = a ? a->w[g] : 0;
		*x++ = a ? hours(p, a->last[g]) : NAN;
	}
	return x;
}

/* The user's vector for the embedding features into V (dim); 0, or 1
 * when the model has none. */
static int user_vec(const igr_pairs *p, uint32_t u, float *v)
{
	const igr_model *m = p->model;

	if (p->emb.user != NULL && u < p->emb.nusers) {
		memcpy(v, p->emb.user + (size_t)u * p->emb.dim,
		       p->emb.dim * sizeof *v);
		return 0;
	}
	if (m->ops->user_vector == NULL || p->graph == NULL ||
	    u >= p->graph->n[IGR_USER])
		return 1;
	return m->ops->user_vector(m, p->graph, u, v) == 0 ? 0 : 1;
}

static void emb_features(const igr_pairs *p, const float *uv, uint32_t item,
			 float *x)
{
	const float *iv;
	double dot = 0, nu = 0, ni = 0;
	uint32_t d;

	if (uv == NULL || item >= p->emb.nitems) {
		x[0] = x[1] = NAN;
		return;
	}
	iv = p->emb.item + (size_t)item * p->emb.dim;
	for (d = 0; d < p->emb.dim; d++) {
		dot += (double)uv[d] * iv[d];
		nu += (double)uv[d] * uv[d];
		ni += (double)iv[d] * iv[d];
	}
	x[0] = (float)dot;
	x[1] = nu > 0 && ni > 0 ? (float)(dot / sqrt(nu * ni)) : 0;
}

/* Features of one pair; UV is the user's vector (NULL: none), NLIST the
 * length of the user's candidate list. */
static void features(const igr_pairs *p, uint32_t user, uint32_t item,
		     uint32_t rank, float score, uint64_t nlist,
		     const float *uv, float *out)
{
	const igr_pairs_opts *o = &p->o;
	uint32_t c = item < p->nitems ? p->icat[item] : IGR_NONE;
	int known_u = user < p->nusers, known_i = item < p->nitems;
	float *x = out;

	const struct agg *ui = lookup(p->ui, p->ui_ptr, p->nusers, user, item);

	x = put_agg(p, ui, x);
	x = put_agg(p, lookup(p->uc, p->uc_ptr, p->nusers, user, c), x);
	*x++ = ui ? hours(p, ui->last_any) : NAN;
	*x++ = ui ? (float)ui->recent : NAN;
	*x++ = known_u ? (float)p->u_n[user] : 0;
	*x++ = known_u ? (float)p->u_n_short[user] : 0;
	*x++ = known_u ? (float)p->u_buy[user] : 0;
	*x++ = known_u ? (float)p->u_items[user] : 0;
	*x++ = known_u ? hours(p, p->u_last[user]) : NAN;
	{
		double ns = known_i ? p->i_n_short[item] : 0;
		double nl = known_i ? p->i_n_long[item] : 0;
		*x++ = (float)ns;
		*x++ = (float)nl;
		*x++ = known_i ? (float)p->i_cart[item] : 0;
		*x++ = known_i ? (float)p->i_buy[item] : 0;
		*x++ = known_i ? (float)p->i_users[item] : 0;
		/* the short window's rate over the long window's, smoothed
		 * by one event so that unseen items have trend 1 */
		*x++ = (float)((ns + 1) / (nl * o->pop_short / o->pop_long + 1));
		*x++ = known_i ? p->i_w[item] : 0;
	}
	*x++ = c != IGR_NONE ? (float)p->c_n[c] : 0;
	*x++ = c != IGR_NONE ? (float)p->c_buy[c] : 0;
	if (p->col_graph >= 0) {
		/* the list's best score: its first candidate's */
		float top = nlist > 0 ? p->cand[p->cand_ptr[user]].score : NAN;
		*x++ = isfinite(score) ? score : NAN;
		*x++ = isfinite(score) && isfinite(top) && top > 0
			       ? score / top
			       : NAN;
		*x++ = rank ? (float)rank : (float)(nlist + 1);
		*x++ = rank ? 1.0f : 0.0f;
	}
	if (p->col_emb >= 0) {
		emb_features(p, uv, item, x);
		x += 2;
	}
	if (p->col_price >= 0)
		*x++ = item < p->ncat_items && p->cat[item].known
			       ? p->cat[item].price
			       : NAN;
	if (p->col_tok >= 0) {
		uint32_t b, t;
		for (b = 0; b < o->token_buckets; b++)
			x[b] = 0;
		if (item < p->ncat_items && p->cat[item].known)
			for (t = 0; t < p->cat[item].ntok; t++)
				x[p->cat[item].tok[t] % o->token_buckets] += 1;
		x += o->token_buckets;
	}
}

int igr_pairs_compute(igr_pairs *p, uint32_t user, uint32_t item,
		      uint32_t rank, float score, float *out, uint8_t *label)
{
	float *uv = NULL;
	uint64_t nlist;

	if (!p->finished)
		return igr_error("internal error: igr_pairs_finish not called");
	nlist = user < p->nusers ? p->cand_ptr[user + 1] - p->cand_ptr[user]
				 : 0;
	if (p->has_emb) {
		uv = malloc(p->emb.dim * sizeof *uv);
		if (uv == NULL)
			return igr_error("out of memory");
		if (user_vec(p, user, uv) != 0) {
			free(uv);
			uv = NULL;
		}
	}
	features(p, user, item, rank, score, nlist, uv, out);
	free(uv);
	if (label != NULL)
		*label = label_of(p, user, item);
	return 0;
}

int igr_pairs_writer_setup(const igr_pairs *p, igr_writer *w)
{
	char buf[64];

	if (igr_writer_set_features(w, p->dim,
				    (const char *const *)p->names) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%lld", (long long)p->o.cut);
	if (igr_writer_set_meta(w, "cut", buf) < 0)
		return -1;
#define META_D(key, v)                                                       \
	do {                                                                 \
		igr_fmt_double(buf, (v));                                    \
		if (igr_writer_set_meta(w, key, buf) < 0)                    \
			return -1;                                           \
	} while (0)
	META_D("half_life", p->o.half_life);
	META_D("label_period", p->o.label_period);
	snprintf(buf, sizeof buf, "%lld",
		 (long long)(p->o.cut + (int64_t)p->o.label_period));
	if (igr_writer_set_meta(w, "label_end", buf) < 0)
		return -1;
	META_D("pop_short", p->o.pop_short);
	META_D("pop_long", p->o.pop_long);
#undef META_D
	snprintf(buf, sizeof buf, "%u", p->o.history);
	if (igr_writer_set_meta(w, "history", buf) < 0)
		return -1;
	snprintf(buf, sizeof buf, "%u", p->o.token_buckets);
	return igr_writer_set_meta(w, "token_buckets", buf);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int igr_pairs_write(igr_pairs *p, igr_writer *w, igr_pairs_stats *st)
{
	float *x = malloc(((size_t)p->dim + 1) * sizeof *x);
	float *uv = p->has_emb ? malloc(p->emb.dim * sizeof *uv) : NULL;
	uint32_t *listed = NULL, *extra = NULL;
	struct recent *rec = NULL;
	const struct igr_growing grown[] = {
		IGR_GROWING(&listed), IGR_GROWING(&extra), IGR_GROWING(&rec),
	};
	float *mscore = NULL;
	size_t cap = 0, mcap = 0;
	uint32_t u;
	int rc = -1;
#ifdef _OPENMP
	int omp_threads = omp_get_max_threads();
#endif

	if (!p->finished)
		return free(x), free(uv),
		       igr_error("internal error: igr_pairs_finish not called");
	if (x == NULL || (p->has_emb && uv == NULL))
		goto oom;
	/* The model scores a handful of items per user: its parallel
	 * regions would cost more than the work (measured: 4 s instead of
	 * 0.1 s for 814 users), so it runs on this thread. */
#ifdef _OPENMP
	omp_set_num_threads(1);
#endif
	for (u = 0; u < p->nusers; u++) {
		uint64_t c0 = p->cand_ptr[u], c1 = p->cand_ptr[u + 1], k;
		uint64_t h0 = p->ui_ptr[u], h1 = p->ui_ptr[u + 1];
		size_t nl = (size_t)(c1 - c0), nx = 0, need;
		float minscore = INFINITY;
		const float *uvp = NULL;
		igr_pair pr;

		if (nl == 0 && (p->o.history == 0 || h0 == h1))
			continue;
		need = nl + (size_t)(h1 - h0) + 1;
		if (igr_grow_each(&cap, need, grown, 3) < 0)
			goto oom;
		for (k = c0; k < c1; k++) {
			listed[k - c0] = p->cand[k].item;
			if (p->cand[k].score < minscore)
				minscore = p->cand[k].score;
		}
		if (nl == 0)
			minscore = NAN;
		sort_n(listed, nl, sizeof *listed, u32_cmp);
		if (p->o.history > 0 && h1 > h0) {
			size_t nr = 0, t;
			for (k = h0; k < h1; k++) {
				rec[nr].ts = p->ui[k].last_any;
				rec[nr++].item = p->ui[k].key;
			}
			sort_n(rec, nr, sizeof *rec, recent_cmp);
			for (t = 0; t < nr && nx < p->o.history; t++)
				if (bsearch(&rec[t].item, listed, nl,
					    sizeof *listed, u32_cmp) == NULL)
					extra[nx++] = rec[t].item;
		}
		/* the model's own scores of the additions */
		if (igr_grow(&mscore, &mcap, nx, sizeof *mscore) < 0)
			goto oom;
		for (k = 0; k < nx; k++)
			mscore[k] = minscore;
		if (nx > 0 && p->model != NULL && p->graph != NULL &&
		    u < p->graph->n[IGR_USER] &&
		    p->model->ops->score_users != NULL) {
			if (p->model->ops->score_users(p->model, p->graph, &u, 1,
						       extra, nx, mscore) < 0)
				goto out;
			for (k = 0; k < nx; k++)
				if (!isfinite(mscore[k]))
					mscore[k] = minscore;
		}
		if (p->has_emb && user_vec(p, u, uv) == 0)
			uvp = uv;
		pr.user = u;
		pr.v = x;
		for (k = 0; k < nl + nx; k++) {
			int listed_pair = k < nl;
			const struct cand *c = listed_pair ? &p->cand[c0 + k]
							   : NULL;
			pr.item = c ? c->item : extra[k - nl];
			features(p, u, pr.item, c ? c->rank : 0,
				 c ? c->score : mscore[k - nl], nl, uvp, x);
			pr.label = label_of(p, u, pr.item);
			for (int b = 0; b < IGR_NBEHAVIOR; b++)
				p->st.positives[b] += (pr.label >> b) & 1;
			if (igr_write_pair(w, &pr) < 0)
				goto out;
		}
		p->st.pairs += nl + nx;
		p->st.from_history += nx;
		p->st.users++;
	}
	rc = 0;
	goto out;
oom:
	igr_error("out of memory");
out:
#ifdef _OPENMP
	omp_set_num_threads(omp_threads);
#endif
	if (st != NULL)
		*st = p->st;
	free(x);
	free(uv);
	free(listed);
	free(extra);
	free(rec);
	free(mscore);
	return rc;
}
