/* featurize_merge.c - the streaming merge of a base graph with new edges
 * (see featurize.h).
 *
 * The base graph and the new edges are both sorted by (src_type, src,
 * dst_type, dst), so one pass merge-joins them: a base edge is multiplied
 * by the decay factor of the time that passed, a new edge is added, an
 * edge in both gets both.  The base is never held in memory; the only
 * buffering is one row (one source node's edges of one relation) when a
 * degree cap needs the row's strongest edges.  A rebuild is the same pass
 * without a base.
 */
#include "featurize_internal.h"
#include "endian.h"
#include "error.h"
#include "par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One edge of the merged stream. */
struct ent {
	uint32_t dst;
	uint8_t from;  /* 1: in the base, 2: new, 3: both */
	uint8_t drop;  /* pruned for the degree cap */
	float wbase;   /* base weight as stored */
	uint32_t cbase, cnew;
	int64_t tbase, tnew;
	double wnew;
	float w;       /* result */
};

/* The three strongest (weight desc, id asc). */
struct top3 {
	int n;
	uint32_t id[3];
	float w[3];
};

static inline void top3_add(struct top3 *t, uint32_t id, float w)
{
	int i, j;

	if (t->n == 3 && (w < t->w[2] || (w == t->w[2] && id > t->id[2])))
		return; /* the usual case, decided at once */
	for (i = 0; i < t->n; i++)
		if (w > t->w[i] || (w == t->w[i] && id < t->id[i]))
			break;
	if (i >= 3)
		return;
	if (t->n < 3)
		t->n++;
	for (j = t->n - 1; j > i; j--) {
		t->id[j] = t->id[j - 1];
		t->w[j] = t->w[j - 1];
	}
	t->id[i] = id;
	t->w[i] = w;
}

static int top3_same_set(const struct top3 *a, const struct top3 *b)
{
	int i, j;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (a->id[i] == b->id[j])
				break;
		if (j == b->n)
			return 0;
	}
	return 1;
}

struct eng {
	igr_fz *f;
	igr_reader *base;
	igr_writer *w;
	igr_fz_report *rep;
	double decay;
	uint32_t cap;         /* max_degree */
	float minw;

	/* base cursor, read a batch at a time */
	int bvalid;
	igr_edge be;
	igr_edge *bbuf;
	size_t bi, bn;
	uint64_t bhi, blo;    /* key of be */
	int bstarted;
	uint64_t phi, plo;    /* previous base key (order check) */

	/* new cursors */
	size_t pos[4];
	int ii_ready;
	size_t seg;           /* next co-engagement segment */

	/* the current row */
	int inrow;
	int st, dt, rel;
	uint32_t src;
	uint64_t rhi;         /* key_hi(st, src) */
	int forgot;           /* the source is a forgotten user */
	int touched;          /* the source user has new events */
	int has_base;         /* the row has base edges */
	int plain;            /* no forgetting, cap or co-engagement state:
				 base edges take the fast path */
	struct ent *buf;
	size_t nbuf, capbuf;
	uint32_t *citem;      /* UI row base part, for co-engagement */
	int64_t *cts;
	size_t ncb, capcb;
	struct top3 old3, new3;
	/* output, written a batch at a time */
	igr_edge *obuf;
	size_t on;
	/* raw records in and out (binary streams of this layout) */
	int raw_in, raw_out;
	const unsigned char *rp; /* next raw base record */
	size_t rleft;
	unsigned char *op;       /* reserved output space */
	size_t oroom, oused;
	uint32_t last_forgot; /* last forgotten user counted */
	int any_forgot;
	size_t nchanged_cap;
};

static const uint8_t rel_st[4] = { IGR_USER, IGR_USER, IGR_ITEM, IGR_ITEM };
static const uint8_t rel_dt[4] = { IGR_ITEM, IGR_CATEGORY, IGR_ITEM,
				   IGR_CATEGORY };

static int rel_of(int st, int dt)
{
	int r;

	for (r = 0; r < 4; r++)
		if (rel_st[r] == st && rel_dt[r] == dt)
			return r;
	return IGR_FZ_OTHER;
}

static inline uint64_t key_hi(int st, uint32_t s)
{
	return (uint64_t)st << 32 | s;
}

static inline uint64_t key_lo(int dt, uint32_t d)
{
	return (uint64_t)dt << 32 | d;
}

#define BATCH 4096

/* A graph record as stored in a binary stream (igraph-stream(5)): u8
 * src_type, u32 src, u8 dst_type, u32 dst, f32 weight, u32 count, i64
 * last_ts, little-endian.  Base edges that only decay are copied as
 * bytes with the new weight written over the old. */
#define REC IGR_EDGE_RECSIZE
#define REC_W IGR_EDGE_WEIGHT_AT

/* The next output slot in raw mode, or NULL. */
static unsigned char *out_slot(struct eng *g)
{
	if (g->oused == g->oroom) {
		if (g->op != NULL)
			igr_writer_raw_commit(g->w, g->oused);
		g->op = igr_writer_raw_space(g->w, &g->oroom);
		g->oused = 0;
		if (g->op == NULL)
			return NULL;
	}
	return g->op + REC * g->oused++;
}

/* Write one edge (raw or batched). */
static int out_edge(struct eng *g, const igr_edge *e)
{
	if (g->raw_out) {
		unsigned char *p = out_slot(g);
		if (p == NULL)
			return -1;
		igr_edge_pack(p, e);
		return 0;
	}
	g->obuf[g->on++] = *e;
	if (g->on == BATCH) {
		if (igr_write_edges(g->w, g->obuf, g->on) < 0)
			return -1;
		g->on = 0;
	}
	return 0;
}

static int base_read(struct eng *g);

/* 1 if the base edge just read is this rank's (always when serial). */
static int base_mine(const struct eng *g)
{
	const igr_fz *f = g->f;

	if (!f->par)
		return 1;
	if (g->be.src_type == IGR_USER)
		return g->be.src >= f->ulo && g->be.src < f->uhi;
	if (g->be.src_type == IGR_ITEM)
		return g->be.src >= f->ilo && g->be.src < f->ihi;
	return f->rank == f->size - 1;
}

/* The next base edge of this rank's ranges: 1, 0 at the end, -1.  Every
 * rank reads (and checks) every edge. */
static int base_next(struct eng *g)
{
	int rc;

	while ((rc = base_read(g)) == 1 && !base_mine(g))
		;
	if (rc == 0)
		g->bvalid = 0;
	return rc;
}

static int base_read(struct eng *g)
{
	if (g->raw_in) {
		if (g->rleft == 0) {
			ssize_t got = igr_read_raw(g->base, &g->rp, BATCH);
			if (got <= 0) {
				g->bvalid = 0;
				return got < 0 ? -1 : 0;
			}
			g->rleft = (size_t)got;
		}
		igr_edge_unpack(g->rp, &g->be);
		g->rp += REC;
		g->rleft--;
		if (g->be.src_type >= IGR_NNODE || g->be.dst_type >= IGR_NNODE)
			return igr_error("%s: record %llu: bad node type "
					 "(corrupted stream)",
					 igr_reader_name(g->base),
					 (unsigned long long)
						 igr_reader_records(g->base));
	} else if (g->bi == g->bn) {
		ssize_t got = g->base ? igr_read_edges(g->base, g->bbuf, BATCH)
				      : 0;
		if (got <= 0) {
			g->bvalid = 0;
			return got < 0 ? -1 : 0;
		}
		g->bi = 0;
		g->bn = (size_t)got;
	}
	if (!g->raw_in)
		g->be = g->bbuf[g->bi++];
	g->bhi = key_hi(g->be.src_type, g->be.src);
	g->blo = key_lo(g->be.dst_type, g->be.dst);
	if (g->bstarted && (g->bhi < g->phi ||
			    (g->bhi == g->phi && g->blo <= g->plo)))
		return igr_error("%s: record %llu: edges out of order or "
				 "repeated (a base graph must be sorted, as "
				 "igraph-featurize writes it)",
				 igr_reader_name(g->base),
				 (unsigned long long)
					 igr_reader_records(g->base));
	if (!(g->be.weight >= 0) || isinf(g->be.weight))
		return igr_error("%s: record %llu: bad weight %g",
				 igr_reader_name(g->base),
				 (unsigned long long)
					 igr_reader_records(g->base),
				 (double)g->be.weight);
	if (g->be.src == IGR_NONE || g->be.dst == IGR_NONE)
		return igr_error("%s: record %llu: edge to no node",
				 igr_reader_name(g->base),
				 (unsigned long long)
					 igr_reader_records(g->base));
	g->bstarted = 1;
	g->phi = g->bhi;
	g->plo = g->blo;
	g->bvalid = 1;
	return 1;
}

/* ---- rows ------------------------------------------------------------- */

static int count_forgotten_user(struct eng *g, uint32_t u)
{
	if (g->any_forgot && g->last_forgot == u)
		return 0;
	g->any_forgot = 1;
	g->last_forgot = u;
	if (g->rep)
		g->rep->users_forgotten++;
	return 0;
}

static void row_start(struct eng *g, int st, uint32_t src, int dt)
{
	g->inrow = 1;
	g->st = st;
	g->src = src;
	g->dt = dt;
	g->rhi = key_hi(st, src);
	g->rel = rel_of(st, dt);
	g->forgot = st == IGR_USER && fz_is_forgotten(g->f, src);
	g->touched = 0;
	if (st == IGR_USER) {
		const igr_fz *f = g->f;
		size_t s = g->seg;
		while (s < f->nseg && f->seg_user[s] < src)
			s++;
		g->touched = s < f->nseg && f->seg_user[s] == src;
	}
	g->plain = !g->forgot && (dt != IGR_USER || g->f->nforgot == 0) &&
		   (g->cap == 0 || g->rel == IGR_FZ_IC) &&
		   !(g->rel == IGR_FZ_UI && g->touched &&
		     g->f->o.cooc_window > 0);
	g->has_base = 0;
	g->nbuf = 0;
	g->ncb = 0;
	g->old3.n = 0;
	g->new3.n = 0;
}

/* Keep or prune one edge (the degree cap already applied) and write it. */
static int emit(struct eng *g, const struct ent *e)
{
	igr_fz_relstats *rs = g->rep ? &g->rep->rel[g->rel] : NULL;
	igr_edge out;
	uint64_t cnt;

	if (e->drop || (g->rel != IGR_FZ_IC && e->w < g->minw)) {
		if (rs)
			rs->pruned++;
		return 0;
	}
	out.src_type = (uint8_t)g->st;
	out.src = g->src;
	out.dst_type = (uint8_t)g->dt;
	out.dst = e->dst;
	out.weight = e->w;
	cnt = (uint64_t)((e->from & 1) ? e->cbase : 0) +
	      ((e->from & 2) ? e->cnew : 0);
	out.count = cnt > UINT32_MAX ? UINT32_MAX : (uint32_t)cnt;
	out.last_ts = (e->from & 1) ? e->tbase : INT64_MIN;
	if ((e->from & 2) && e->tnew > out.last_ts)
		out.last_ts = e->tnew;
	if (out_edge(g, &out) < 0)
		return -1;
	if (g->rel == IGR_FZ_UC)
		top3_add(&g->new3, e->dst, e->w);
	if (rs) {
		rs->edges++;
		if (e->from == 2)
			rs->added++;
		else if (e->from == 3)
			rs->strengthened++;
		else
			rs->decayed++;
		if (igr_weighthist_add(&rs->w, e->w) < 0)
			return -1;
		if (g->f->par &&
		    fz_wlog_add(g->f, g->ii_ready, g->rel, e->w) < 0)
			return -1;
	}
	return 0;
}

static int add_ent(struct eng *g, const struct ent *e)
{
	if (g->forgot || (g->dt == IGR_USER &&
			  fz_is_forgotten(g->f, e->dst))) {
		if (g->rep)
			g->rep->rel[g->rel].forgotten++;
		if (g->forgot)
			count_forgotten_user(g, g->src);
		return 0;
	}
	if (e->from & 1) {
		g->has_base = 1;
		if (g->rel == IGR_FZ_UC)
			top3_add(&g->old3, e->dst, e->wbase);
		if (g->rel == IGR_FZ_UI && g->touched &&
		    g->f->o.cooc_window > 0) {
			if (g->ncb == g->capcb) {
				size_t nc = g->capcb ? g->capcb * 2 : 256;
				uint32_t *a = realloc(g->citem,
						      nc * sizeof *a);
				int64_t *b;
				if (a == NULL)
					return igr_error("out of memory");
				g->citem = a;
				b = realloc(g->cts, nc * sizeof *b);
				if (b == NULL)
					return igr_error("out of memory");
				g->cts = b;
				g->capcb = nc;
			}
			g->citem[g->ncb] = e->dst;
			g->cts[g->ncb++] = e->tbase;
		}
	}
	if (g->cap == 0 || g->rel == IGR_FZ_IC)
		return emit(g, e);
	if (g->nbuf == g->capbuf) {
		size_t nc = g->capbuf ? g->capbuf * 2 : 256;
		struct ent *p = realloc(g->buf, nc * sizeof *p);
		if (p == NULL)
			return igr_error("out of memory");
		g->buf = p;
		g->capbuf = nc;
	}
	g->buf[g->nbuf++] = *e;
	return 0;
}

static int cmp_strength(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

static int record_change(struct eng *g)
{
	igr_fz_report *rep = g->rep;
	igr_fz_change *c;
	int i;

	if (rep->users_top3_changed == g->nchanged_cap) {
		size_t nc = g->nchanged_cap ? g->nchanged_cap * 2 : 64;
		void *p = realloc(rep->changed, nc * sizeof *rep->changed);
		if (p == NULL)
			return igr_error("out of memory");
		rep->changed = p;
		g->nchanged_cap = nc;
	}
	c = &rep->changed[rep->users_top3_changed++];
	c->user = g->src;
	c->nold = (uint8_t)g->old3.n;
	c->nnew = (uint8_t)g->new3.n;
	for (i = 0; i < 3; i++) {
		c->old_top[i] = i < g->old3.n ? g->old3.id[i] : IGR_NONE;
		c->new_top[i] = i < g->new3.n ? g->new3.id[i] : IGR_NONE;
	}
	return 0;
}

static int row_end(struct eng *g)
{
	igr_fz *f = g->f;
	size_t i;

	if (!g->inrow)
		return 0;
	g->inrow = 0;
	if (g->nbuf > 0) {
		/* the degree cap: the strongest edges that pass min_weight */
		struct ent **p = malloc(g->nbuf * sizeof *p);
		size_t n = 0;
		if (p == NULL)
			return igr_error("out of memory");
		for (i = 0; i < g->nbuf; i++)
			if (!(g->buf[i].w < g->minw))
				p[n++] = &g->buf[i];
		if (n > g->cap) {
			qsort(p, n, sizeof *p, cmp_strength);
			for (i = g->cap; i < n; i++)
				p[i]->drop = 1;
		}
		free(p);
		for (i = 0; i < g->nbuf; i++)
			if (emit(g, &g->buf[i]) < 0)
				return -1;
	}
	if (g->st == IGR_USER && g->dt == IGR_ITEM && g->touched &&
	    !g->forgot) {
		while (g->seg < f->nseg && f->seg_user[g->seg] < g->src) {
			if (fz_cooc_segment(f, g->seg, NULL, NULL, 0) < 0)
				return -1;
			g->seg++;
		}
		if (g->seg < f->nseg && f->seg_user[g->seg] == g->src) {
			if (fz_cooc_segment(f, g->seg, g->citem, g->cts,
					    g->ncb) < 0)
				return -1;
			g->seg++;
		}
		if (g->rep && !g->has_base)
			g->rep->users_new++;
	}
	if (g->rep && g->rel == IGR_FZ_UC && !g->forgot && g->old3.n > 0) {
		if (g->new3.n == 0 || g->old3.id[0] != g->new3.id[0])
			g->rep->users_top1_changed++;
		if (!top3_same_set(&g->old3, &g->new3) &&
		    record_change(g) < 0)
			return -1;
	}
	return 0;
}

/* A parallel run's user rows are done: every rank's follow rank 0's in
 * the output, and the co-engagement goes to the owners of the items. */
static int par_users_done(struct eng *g)
{
	if (g->op != NULL) {
		igr_writer_raw_commit(g->w, g->oused);
		g->op = NULL;
		g->oroom = g->oused = 0;
	}
	if (g->on > 0 && igr_write_edges(g->w, g->obuf, g->on) < 0)
		return -1;
	g->on = 0;
	/* a rank whose part failed, and rank 0, know; now every rank */
	if (igr_par_agree(igr_writer_gather(g->w)) < 0)
		return -1;
	return fz_cooc_exchange(g->f);
}

/* All user rows are done: the remaining segments have no base state, and
 * the item->item list can be built. */
static int ii_prepare(struct eng *g)
{
	igr_fz *f = g->f;

	for (; g->seg < f->nseg; g->seg++)
		if (fz_cooc_segment(f, g->seg, NULL, NULL, 0) < 0)
			return -1;
	if (f->par && par_users_done(g) < 0)
		return -1;
	if (fz_cooc_finish(f) < 0)
		return -1;
	g->ii_ready = 1;
	return 0;
}

/* The smallest new edge: its relation, or -1 when none is left. */
static int new_head(const struct eng *g, uint64_t *hi, uint64_t *lo)
{
	int r, best = -1;
	uint64_t bh = 0, bl = 0;

	for (r = 0; r < 4; r++) {
		const struct fz_list *l = &g->f->rel[r];
		uint64_t h, lw;
		if (g->pos[r] >= l->n)
			continue;
		h = key_hi(rel_st[r], l->src[g->pos[r]]);
		lw = key_lo(rel_dt[r], l->dst[g->pos[r]]);
		if (best < 0 || h < bh || (h == bh && lw < bl)) {
			best = r;
			bh = h;
			bl = lw;
		}
	}
	*hi = bh;
	*lo = bl;
	return best;
}

/* The fast path: base edges of the current (plain) row, from g->be on,
 * while they stay in the row and their destination is below LIM (the next
 * new edge's, if it is in this row).  Each is decayed, pruned or written
 * and counted; g->be is left at the first edge not taken.  Edges that do
 * not pass the quick order and value checks go through base_next(),
 * which reports them. */
static int plain_run(struct eng *g, uint64_t lim)
{
	igr_fz_relstats *rs = &g->rep->rel[g->rel];
	const int uc = g->rel == IGR_FZ_UC;
	const float minw = g->rel == IGR_FZ_IC ? -INFINITY : g->minw;
	const double decay = g->decay;
	uint64_t kept = 0, pruned = 0;

	const igr_edge *cur = &g->be;

	g->has_base = 1;
	for (;;) {
		const igr_edge *n;
		float w = (float)((double)cur->weight * decay);

		if (w < minw) {
			pruned++;
		} else {
			igr_edge o = *cur;
			o.weight = w;
			if (out_edge(g, &o) < 0)
				return -1;
			kept++;
			if (igr_weighthist_add(&rs->w, w) < 0 ||
			    (g->f->par &&
			     fz_wlog_add(g->f, g->ii_ready, g->rel, w) < 0))
				return -1;
			if (uc)
				top3_add(&g->new3, cur->dst, w);
		}
		if (uc)
			top3_add(&g->old3, cur->dst, cur->weight);
		if (g->raw_in && g->raw_out) {
			/* raw records straight through while they are plainly
			 * the next of this row: bytes copied, weight
			 * rewritten */
			uint32_t prev = cur->dst;
			while (g->rleft > 0) {
				const unsigned char *q = g->rp;
				uint32_t d = igr_get_u32(q + 6);
				float wb = igr_get_f32(q + REC_W);
				unsigned char *o;
				if (q[0] != g->st || q[5] != g->dt ||
				    igr_get_u32(q + 1) != g->src || d <= prev ||
				    (uint64_t)d >= lim || d == IGR_NONE ||
				    !(wb >= 0) || !(wb < INFINITY))
					break;
				g->rp += REC;
				g->rleft--;
				prev = d;
				w = (float)((double)wb * decay);
				if (uc)
					top3_add(&g->old3, d, wb);
				if (w < minw) {
					pruned++;
					continue;
				}
				o = out_slot(g);
				if (o == NULL)
					return -1;
				memcpy(o, q, REC);
				igr_put_f32(o + REC_W, w);
				kept++;
				if (igr_weighthist_add(&rs->w, w) < 0 ||
				    (g->f->par &&
				     fz_wlog_add(g->f, g->ii_ready, g->rel,
						 w) < 0))
					return -1;
				if (uc)
					top3_add(&g->new3, d, w);
			}
			g->blo = g->plo = key_lo(g->dt, prev);
			if (base_next(g) < 0)
				return -1;
			cur = &g->be;
			if (!g->bvalid || g->bhi != g->rhi ||
			    g->be.dst_type != g->dt ||
			    (uint64_t)g->be.dst >= lim)
				break;
			continue;
		}
		/* the next edge straight from the batch when it is plainly
		 * the next of this row */
		n = g->bi < g->bn ? &g->bbuf[g->bi] : NULL;
		if (n != NULL && n->src == g->src && n->src_type == g->st &&
		    n->dst_type == g->dt && n->dst > cur->dst &&
		    (uint64_t)n->dst < lim && n->dst != IGR_NONE &&
		    n->weight >= 0 && n->weight < INFINITY) {
			cur = n;
			g->bi++;
			continue;
		}
		g->blo = g->plo = key_lo(g->dt, cur->dst);
		if (base_next(g) < 0)
			return -1;
		cur = &g->be;
		if (!g->bvalid || g->bhi != g->rhi || g->be.dst_type != g->dt ||
		    (uint64_t)g->be.dst >= lim)
			break;
	}
	rs->edges += kept;
	rs->decayed += kept;
	rs->pruned += pruned;
	return 0;
}

static int run(struct eng *g)
{
	igr_fz *f = g->f;
	uint64_t nh = 0, nl = 0;
	int r;

	if (base_next(g) < 0)
		return -1;
	r = new_head(g, &nh, &nl);
	for (;;) {
		int take_base;
		uint64_t hi, lo;
		struct ent e;

		if (!g->ii_ready &&
		    (!g->bvalid || g->be.src_type != IGR_USER) &&
		    (r < 0 || rel_st[r] != IGR_USER)) {
			if (row_end(g) < 0 || ii_prepare(g) < 0)
				return -1;
			r = new_head(g, &nh, &nl);
		}
		if (g->bvalid &&
		    (r < 0 || g->bhi < nh || (g->bhi == nh && g->blo < nl))) {
			/* the common case: a base edge without new events */
			if (!g->inrow || g->bhi != g->rhi ||
			    g->be.dst_type != g->dt) {
				if (row_end(g) < 0)
					return -1;
				row_start(g, g->be.src_type, g->be.src,
					  g->be.dst_type);
			}
			if (g->plain) {
				uint64_t lim = UINT64_MAX;
				if (r >= 0 && nh == g->rhi &&
				    (int)(nl >> 32) == g->dt)
					lim = (uint32_t)nl;
				if (plain_run(g, lim) < 0)
					return -1;
				continue;
			}
			e.dst = g->be.dst;
			e.from = 1;
			e.drop = 0;
			e.wbase = g->be.weight;
			e.cbase = g->be.count;
			e.tbase = g->be.last_ts;
			e.wnew = 0;
			e.cnew = 0;
			e.tnew = 0;
			e.w = (float)((double)e.wbase * g->decay);
			if (add_ent(g, &e) < 0 || base_next(g) < 0)
				return -1;
			continue;
		}
		if (r < 0)
			break; /* and no base edge either */
		take_base = g->bvalid && g->bhi == nh && g->blo == nl;
		hi = nh;
		lo = nl;
		if (!g->inrow || g->rhi != hi || (int)(lo >> 32) != g->dt) {
			if (row_end(g) < 0)
				return -1;
			row_start(g, (int)(hi >> 32), (uint32_t)hi,
				  (int)(lo >> 32));
		}
		e.dst = (uint32_t)lo;
		e.from = 2;
		e.drop = 0;
		e.wbase = 0;
		e.cbase = 0;
		e.tbase = 0;
		if (take_base) {
			e.from |= 1;
			e.wbase = g->be.weight;
			e.cbase = g->be.count;
			e.tbase = g->be.last_ts;
		}
		{
			const struct fz_list *l = &f->rel[r];
			size_t p = g->pos[r]++;
			e.wnew = l->w[p];
			e.cnew = l->cnt[p];
			e.tnew = l->ts[p];
		}
		e.w = (float)(((e.from & 1) ? (double)e.wbase * g->decay : 0) +
			      e.wnew);
		if (add_ent(g, &e) < 0)
			return -1;
		if (take_base && base_next(g) < 0)
			return -1;
		r = new_head(g, &nh, &nl);
	}
	if (row_end(g) < 0)
		return -1;
	if (!g->ii_ready && ii_prepare(g) < 0)
		return -1;
	return 0;
}

/* ---- the public entry ------------------------------------------------- */

static int set_meta_num(igr_writer *w, const char *key, double v)
{
	char buf[64];

	if (isinf(v))
		snprintf(buf, sizeof buf, "inf");
	else
		igr_fmt_double(buf, v);
	return igr_writer_set_meta(w, key, buf);
}

static int set_meta_u64(igr_writer *w, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	return igr_writer_set_meta(w, key, buf);
}

/* A merge that dropped more than IGR_FZ_MAX_PRUNE of the base graph's
 * prunable edges (all but item->category, which are never pruned) is an
 * error: a now far after the base's, not a daily update. */
static int check_prune(const igr_fz *f, igr_reader *base,
		       const igr_fz_report *rep)
{
	uint64_t read = igr_reader_records(base), kept = 0, ic, lost;
	int r;

	for (r = 0; r < IGR_FZ_NREL; r++) {
		const igr_fz_relstats *s = &rep->rel[r];
		kept += s->decayed + s->strengthened + s->forgotten;
	}
	ic = rep->rel[IGR_FZ_IC].decayed + rep->rel[IGR_FZ_IC].strengthened;
	if (read <= kept || read - ic == 0)
		return 0;
	lost = read - kept;
	if ((double)lost <= IGR_FZ_MAX_PRUNE * (double)(read - ic))
		return 0;
	return igr_error("%s: the merge would prune %llu of the base graph's "
			 "%llu edges (%.1f%%; the new now %lld is %.1f days "
			 "after the base's %lld): not a daily update; "
			 "--allow-prune if it is meant", igr_reader_name(base),
			 (unsigned long long)lost,
			 (unsigned long long)(read - ic),
			 100.0 * (double)lost / (double)(read - ic),
			 (long long)f->now,
			 ((double)f->now - (double)f->base_now) / 86400,
			 (long long)f->base_now);
}

/* ---- the report of a parallel run -------------------------------------- */

/* The counts that add up over the ranks (events, read by every rank, are
 * not among them), into or out of V. */
#define NSUM (6 + 6 * IGR_FZ_NREL)
static void sums(igr_fz_report *rep, uint64_t *v, int out)
{
	uint64_t *p[NSUM];
	int i = 0, r;

	p[i++] = &rep->events_forgotten;
	p[i++] = &rep->users_touched;
	p[i++] = &rep->users_new;
	p[i++] = &rep->users_forgotten;
	p[i++] = &rep->users_top1_changed;
	p[i++] = &rep->users_top3_changed;
	for (r = 0; r < IGR_FZ_NREL; r++) {
		igr_fz_relstats *s = &rep->rel[r];
		p[i++] = &s->edges;
		p[i++] = &s->added;
		p[i++] = &s->strengthened;
		p[i++] = &s->decayed;
		p[i++] = &s->pruned;
		p[i++] = &s->forgotten;
	}
	for (i = 0; i < NSUM; i++) {
		if (out)
			*p[i] = v[i];
		else
			v[i] = *p[i];
	}
}

/* Rank 0's weight distributions from every rank's written weights ALL
 * (TOTAL bytes; each rank's: per section and relation a u64 count and
 * the floats), added in the serial order: per relation, the user rows'
 * section rank by rank, then the rest's. */
static int rebuild_weights(igr_fz *f, igr_fz_report *rep,
			   const unsigned char *all, size_t total)
{
	size_t nl = (size_t)f->size * 2 * IGR_FZ_NREL, k = 0, off = 0;
	const unsigned char **at = malloc(nl * sizeof *at);
	uint64_t *cnt = malloc(nl * sizeof *cnt);
	int rk, sec, rel, rc = 0;

	if (at == NULL || cnt == NULL) {
		free(at);
		free(cnt);
		return igr_error("out of memory");
	}
	for (k = 0; k < nl; k++) {
		if (total - off < 8) {
			rc = igr_error("internal error: weights cut short");
			break;
		}
		memcpy(&cnt[k], all + off, 8);
		at[k] = all + off + 8;
		off += 8 + cnt[k] * sizeof(float);
	}
	for (rel = 0; rc == 0 && rel < IGR_FZ_NREL; rel++) {
		igr_weighthist *h = &rep->rel[rel].w;
		igr_weighthist_release(h);
		for (sec = 0; sec < 2; sec++)
			for (rk = 0; rk < f->size; rk++) {
				size_t x = ((size_t)rk * 2 + (size_t)sec) *
						   IGR_FZ_NREL +
					   (size_t)rel;
				uint64_t i;
				for (i = 0; rc == 0 && i < cnt[x]; i++) {
					float w;
					memcpy(&w, at[x] + i * sizeof w,
					       sizeof w);
					rc = igr_weighthist_add(h, w);
				}
			}
	}
	free(at);
	free(cnt);
	return rc;
}

/* Every rank's report into rank 0's (collective).  0 or -1 on every
 * rank. */
static int par_report(igr_fz *f, igr_fz_report *rep)
{
	uint64_t v[NSUM];
	unsigned char *mine = NULL, *p;
	void *all = NULL;
	size_t n = 0, total = 0;
	int sec, rel, rc;

	igr_par_step("report");
	sums(rep, v, 0);
	if (igr_par_sum_u64(v, NSUM) < 0)
		return -1;
	/* the changed users, in rank (user) order */
	rc = igr_par_gather(rep->changed,
			    (size_t)rep->users_top3_changed *
				    sizeof *rep->changed,
			    &all, &total);
	if (rc < 0)
		return -1;
	free(rep->changed);
	rep->changed = all;
	sums(rep, v, 1);
	if (f->rank > 0) {
		/* the whole report is rank 0's */
		free(rep->changed);
		rep->changed = NULL;
	}
	/* the weights written, in the order they were */
	for (sec = 0; sec < 2; sec++)
		for (rel = 0; rel < IGR_FZ_NREL; rel++)
			n += 8 + f->wlog[sec][rel].n * sizeof(float);
	rc = 0;
	if ((mine = malloc(n)) == NULL)
		rc = igr_error("out of memory");
	if (igr_par_agree(rc) < 0) {
		free(mine);
		return -1;
	}
	p = mine;
	for (sec = 0; sec < 2; sec++)
		for (rel = 0; rel < IGR_FZ_NREL; rel++) {
			struct fz_wlog *l = &f->wlog[sec][rel];
			uint64_t c = l->n;
			memcpy(p, &c, 8);
			if (l->n > 0)
				memcpy(p + 8, l->w, l->n * sizeof(float));
			p += 8 + l->n * sizeof(float);
			free(l->w);
			memset(l, 0, sizeof *l);
		}
	all = NULL;
	rc = igr_par_gather(mine, n, &all, &total);
	free(mine);
	if (rc == 0 && f->rank == 0)
		rc = rebuild_weights(f, rep, all, total);
	free(all);
	return igr_par_agree(rc);
}

int igr_fz_write(igr_fz *f, igr_reader *base, igr_writer *w,
		 igr_fz_report *rep)
{
	static const char *const nodes[IGR_NNODE] = {
		"nodes.user", "nodes.item", "nodes.category"
	};
	struct eng g;
	igr_fz_report local;
	uint64_t bound[IGR_NNODE];
	char wbuf[256];
	int t, rc;

	if (rep == NULL)
		rep = &local; /* the fast path counts unconditionally */
	memset(&local, 0, sizeof local);
	if (base != NULL && !f->base_used)
		return igr_error("internal error: base graph not checked");
	if (fz_build(f) < 0)
		return -1;
	for (t = 0; t < IGR_NNODE; t++) {
		bound[t] = f->o.nodes[t];
		if (f->base_nodes[t] > bound[t])
			bound[t] = f->base_nodes[t];
		if (f->ebound[t] > bound[t])
			bound[t] = f->ebound[t];
	}
	igr_fz_format_weights(wbuf, f->o.weight);
	{
		char nb[32];
		snprintf(nb, sizeof nb, "%lld", (long long)f->now);
		if (igr_writer_set_meta(w, "now", nb) < 0)
			return -1;
	}
	if (set_meta_num(w, "half_life", f->o.half_life) < 0 ||
	    igr_writer_set_meta(w, "weights", wbuf) < 0 ||
	    set_meta_num(w, "min_weight", f->o.min_weight) < 0 ||
	    set_meta_u64(w, "max_degree", f->o.max_degree) < 0 ||
	    set_meta_num(w, "cooc_window", f->o.cooc_window) < 0 ||
	    set_meta_u64(w, "cooc_max", f->o.cooc_max) < 0)
		return -1;
	for (t = 0; t < IGR_NNODE; t++)
		if (bound[t] > 0 && set_meta_u64(w, nodes[t], bound[t]) < 0)
			return -1;

	memset(&g, 0, sizeof g);
	g.f = f;
	g.base = base;
	g.w = w;
	g.rep = rep;
	g.cap = f->o.max_degree;
	g.minw = (float)f->o.min_weight;
	g.decay = 1;
	if (base != NULL && !isinf(f->o.half_life))
		g.decay = exp2(-((double)f->now - (double)f->base_now) /
			       f->o.half_life);
	if (rep != NULL) {
		memset(rep, 0, sizeof *rep);
		rep->has_base = base != NULL;
		rep->now = f->now;
		rep->base_now = f->base_now;
		rep->decay = g.decay;
		rep->events = f->nread;
		rep->events_forgotten = f->events_forgotten;
		rep->users_touched = f->nseg;
	}
	g.raw_in = base != NULL &&
		   igr_reader_encoding(base) == IGR_ENC_BINARY &&
		   igr_reader_recsize(base) == REC;
	g.raw_out = igr_writer_encoding(w) == IGR_ENC_BINARY &&
		    igr_writer_recsize(w) == REC;
	g.bbuf = malloc(BATCH * sizeof *g.bbuf);
	g.obuf = malloc(BATCH * sizeof *g.obuf);
	if (g.bbuf == NULL || g.obuf == NULL)
		rc = igr_error("out of memory");
	else
		rc = run(&g);
	if (rc == 0 && g.on > 0)
		rc = igr_write_edges(w, g.obuf, g.on);
	if (f->par && rc == 0) {
		/* every rank's counts are rank 0's, which checks them (a rank
		 * that failed alone calls no collective: the command ends
		 * the job, igr_par_abort) */
		if (par_report(f, rep) < 0) {
			rc = -1;
		} else {
			if (base != NULL && !f->o.allow_prune && f->rank == 0)
				rc = check_prune(f, base, rep);
			rc = igr_par_agree(rc);
		}
	} else if (rc == 0 && base != NULL && !f->o.allow_prune) {
		rc = check_prune(f, base, rep);
	}
	if (g.op != NULL)
		igr_writer_raw_commit(w, g.oused);
	free(g.bbuf);
	free(g.obuf);
	free(g.buf);
	free(g.citem);
	free(g.cts);
	igr_fz_report_free(&local);
	return rc;
}
