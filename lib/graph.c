/* graph.c - CSR interest graph (see graph.h). */
#include "graph.h"
#include "error.h"
#include "mem.h"
#include "numtext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void igr_csr_free(igr_csr *a)
{
	if (a == NULL)
		return;
	free(a->ptr);
	free(a->idx);
	free(a->w);
	free(a->count);
	free(a->last_ts);
	free(a);
}

static igr_csr *csr_alloc(uint32_t nrows, uint32_t ncols, uint64_t nnz,
			  int details)
{
	igr_csr *a = calloc(1, sizeof *a);
	size_t n = nnz ? (size_t)nnz : 1;

	if (a == NULL)
		return igr_error("out of memory"), NULL;
	a->nrows = nrows;
	a->ncols = ncols;
	a->nnz = nnz;
	a->ptr = calloc((size_t)nrows + 1, sizeof *a->ptr);
	a->idx = malloc(n * sizeof *a->idx);
	a->w = malloc(n * sizeof *a->w);
	if (details) {
		a->count = malloc(n * sizeof *a->count);
		a->last_ts = malloc(n * sizeof *a->last_ts);
	}
	if (a->ptr == NULL || a->idx == NULL || a->w == NULL ||
	    (details && (a->count == NULL || a->last_ts == NULL))) {
		igr_csr_free(a);
		return igr_error("out of memory (%llu edges)",
				 (unsigned long long)nnz), NULL;
	}
	return a;
}

igr_csr *igr_csr_empty(uint32_t nrows, uint32_t ncols)
{
	return csr_alloc(nrows, ncols, 0, 0);
}

struct colpos {
	uint32_t c;
	uint32_t k; /* position within the row before sorting */
};

static int cmp_colpos(const void *a, const void *b)
{
	const struct colpos *x = a, *y = b;

	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Sort row entries [lo, hi) by column, carrying the other arrays. */
static int sort_row(igr_csr *a, uint64_t lo, uint64_t hi)
{
	size_t n = (size_t)(hi - lo), i;
	struct colpos *cp = malloc(n * sizeof *cp);
	float *w = malloc(n * sizeof *w);
	uint32_t *cnt = a->count ? malloc(n * sizeof *cnt) : NULL;
	int64_t *ts = a->last_ts ? malloc(n * sizeof *ts) : NULL;

	if (cp == NULL || w == NULL || (a->count && cnt == NULL) ||
	    (a->last_ts && ts == NULL)) {
		free(cp);
		free(w);
		free(cnt);
		free(ts);
		return igr_error("out of memory");
	}
	for (i = 0; i < n; i++) {
		cp[i].c = a->idx[lo + i];
		cp[i].k = (uint32_t)i;
	}
	qsort(cp, n, sizeof *cp, cmp_colpos);
	memcpy(w, a->w + lo, n * sizeof *w);
	if (cnt)
		memcpy(cnt, a->count + lo, n * sizeof *cnt);
	if (ts)
		memcpy(ts, a->last_ts + lo, n * sizeof *ts);
	for (i = 0; i < n; i++) {
		a->idx[lo + i] = cp[i].c;
		a->w[lo + i] = w[cp[i].k];
		if (cnt)
			a->count[lo + i] = cnt[cp[i].k];
		if (ts)
			a->last_ts[lo + i] = ts[cp[i].k];
	}
	free(cp);
	free(w);
	free(cnt);
	free(ts);
	return 0;
}

igr_csr *igr_csr_from_coo(uint32_t nrows, uint32_t ncols, uint64_t nnz,
			  const uint32_t *r, const uint32_t *c, const float *w,
			  const uint32_t *count, const int64_t *ts,
			  int dup_error)
{
	igr_csr *a;
	uint64_t *pos, i, out;
	uint32_t s;

	a = csr_alloc(nrows, ncols, nnz, count != NULL || ts != NULL);
	if (a == NULL)
		return NULL;
	for (i = 0; i < nnz; i++) {
		if (r[i] >= nrows || c[i] >= ncols) {
			igr_csr_free(a);
			return igr_error("edge (%u, %u) outside %u x %u", r[i],
					 c[i], nrows, ncols), NULL;
		}
		a->ptr[r[i] + 1]++;
	}
	for (s = 0; s < nrows; s++)
		a->ptr[s + 1] += a->ptr[s];
	pos = malloc(((size_t)nrows + 1) * sizeof *pos);
	if (pos == NULL) {
		igr_csr_free(a);
		return igr_error("out of memory"), NULL;
	}
	memcpy(pos, a->ptr, ((size_t)nrows + 1) * sizeof *pos);
	for (i = 0; i < nnz; i++) {
		uint64_t k = pos[r[i]]++;
		a->idx[k] = c[i];
		a->w[k] = w ? w[i] : 1.0f;
		if (a->count)
			a->count[k] = count ? count[i] : 1;
		if (a->last_ts)
			a->last_ts[k] = ts ? ts[i] : 0;
	}
	free(pos);
	/* counting sort is stable: rows of sorted input are sorted already */
	for (s = 0; s < nrows; s++) {
		uint64_t lo = a->ptr[s], hi = a->ptr[s + 1], k;
		for (k = lo + 1; k < hi; k++)
			if (a->idx[k] < a->idx[k - 1])
				break;
		if (k < hi && sort_row(a, lo, hi) < 0) {
			igr_csr_free(a);
			return NULL;
		}
	}
	/* duplicates: refuse, or sum them in place */
	out = 0;
	for (s = 0; s < nrows; s++) {
		uint64_t lo = a->ptr[s], hi = a->ptr[s + 1], k;
		a->ptr[s] = out;
		for (k = lo; k < hi; k++) {
			if (k > lo && a->idx[k] == a->idx[out - 1]) {
				if (dup_error) {
					uint32_t d = a->idx[k];
					igr_csr_free(a);
					return igr_error("duplicate edge (%u, "
							 "%u)", s, d), NULL;
				}
				a->w[out - 1] += a->w[k];
				if (a->count)
					a->count[out - 1] += a->count[k];
				if (a->last_ts &&
				    a->last_ts[k] > a->last_ts[out - 1])
					a->last_ts[out - 1] = a->last_ts[k];
				continue;
			}
			a->idx[out] = a->idx[k];
			a->w[out] = a->w[k];
			if (a->count)
				a->count[out] = a->count[k];
			if (a->last_ts)
				a->last_ts[out] = a->last_ts[k];
			out++;
		}
	}
	a->ptr[nrows] = out;
	a->nnz = out;
	return a;
}

igr_csr *igr_csr_transpose(const igr_csr *a)
{
	igr_csr *t = csr_alloc(a->ncols, a->nrows, a->nnz,
			       a->count != NULL || a->last_ts != NULL);
	uint64_t *pos, k;
	uint32_t s;

	if (t == NULL)
		return NULL;
	if (a->count == NULL) {
		free(t->count);
		t->count = NULL;
	}
	if (a->last_ts == NULL) {
		free(t->last_ts);
		t->last_ts = NULL;
	}
	for (k = 0; k < a->nnz; k++)
		t->ptr[a->idx[k] + 1]++;
	for (s = 0; s < t->nrows; s++)
		t->ptr[s + 1] += t->ptr[s];
	pos = malloc(((size_t)t->nrows + 1) * sizeof *pos);
	if (pos == NULL) {
		igr_csr_free(t);
		return igr_error("out of memory"), NULL;
	}
	memcpy(pos, t->ptr, ((size_t)t->nrows + 1) * sizeof *pos);
	/* rows of A in order: every row of T comes out sorted */
	for (s = 0; s < a->nrows; s++)
		for (k = a->ptr[s]; k < a->ptr[s + 1]; k++) {
			uint64_t o = pos[a->idx[k]]++;
			t->idx[o] = s;
			t->w[o] = a->w[k];
			if (t->count)
				t->count[o] = a->count[k];
			if (t->last_ts)
				t->last_ts[o] = a->last_ts[k];
		}
	free(pos);
	return t;
}

uint64_t igr_csr_find(const igr_csr *a, uint32_t s, uint32_t d)
{
	uint64_t k;

	if (a == NULL || s >= a->nrows)
		return IGR_NOPOS;
	k = igr_lower_bound_u32(a->idx, a->ptr[s], a->ptr[s + 1], d);
	return k < a->ptr[s + 1] && a->idx[k] == d ? k : IGR_NOPOS;
}

float igr_csr_get(const igr_csr *a, uint32_t s, uint32_t d)
{
	uint64_t k = igr_csr_find(a, s, d);

	return k == IGR_NOPOS ? 0 : a->w[k];
}

void igr_graph_free(igr_graph *g)
{
	int s, d;

	if (g == NULL)
		return;
	for (s = 0; s < IGR_NNODE; s++)
		for (d = 0; d < IGR_NNODE; d++)
			igr_csr_free(g->rel[s][d]);
	free(g);
}

/* Growable coordinate list of one relation. */
struct coo {
	uint32_t *r, *c, *count;
	float *w;
	int64_t *ts;
	uint64_t n;
	size_t cap;
};

static int coo_push(struct coo *l, const igr_edge *e, int details)
{
	const struct igr_growing a[] = {
		IGR_GROWING(&l->r), IGR_GROWING(&l->c), IGR_GROWING(&l->w),
		IGR_GROWING(&l->count), IGR_GROWING(&l->ts),
	};

	/* count and ts are kept only with details */
	if (igr_grow_each(&l->cap, (size_t)l->n + 1, a, details ? 5 : 3) < 0)
		return -1;
	l->r[l->n] = e->src;
	l->c[l->n] = e->dst;
	l->w[l->n] = e->weight;
	if (details) {
		l->count[l->n] = e->count;
		l->ts[l->n] = e->last_ts;
	}
	l->n++;
	return 0;
}

static void coo_free(struct coo *l)
{
	free(l->r);
	free(l->c);
	free(l->w);
	free(l->count);
	free(l->ts);
}

static const char *const node_meta[IGR_NNODE] = { "nodes.user", "nodes.item",
						  "nodes.category" };

igr_graph *igr_graph_read(igr_reader *r, unsigned rels, unsigned flags)
{
	const igr_header *h = igr_reader_header(r);
	int details = (flags & IGR_GRAPH_DETAILS) != 0;
	struct coo lists[IGR_NNODE * IGR_NNODE];
	igr_graph *g;
	igr_edge e;
	uint64_t bound[IGR_NNODE] = { 0, 0, 0 };
	int rc, t, s, d;
	const char *v;

	if (igr_reader_kind(r) != IGR_KIND_GRAPH)
		return igr_error("%s: expected a graph stream, got %s",
				 igr_reader_name(r),
				 igr_kind_name(igr_reader_kind(r))), NULL;
	g = calloc(1, sizeof *g);
	if (g == NULL)
		return igr_error("out of memory"), NULL;
	memset(lists, 0, sizeof lists);
	g->half_life = INFINITY;
	if ((v = igr_header_get(h, "now")) != NULL &&
	    igr_parse_i64(v, strlen(v), &g->now) == 0)
		g->has_now = 1;
	if ((v = igr_header_get(h, "half_life")) != NULL &&
	    igr_parse_double(v, strlen(v), &g->half_life) < 0)
		g->half_life = INFINITY;
	for (t = 0; t < IGR_NNODE; t++) {
		uint64_t nb;
		if ((v = igr_header_get(h, node_meta[t])) != NULL &&
		    igr_parse_u64(v, strlen(v), UINT32_MAX, &nb) == 0)
			bound[t] = nb;
	}
	while ((rc = igr_read_edge(r, &e)) == 1) {
		int rel = e.src_type * IGR_NNODE + e.dst_type;
		if (e.src == IGR_NONE || e.dst == IGR_NONE) {
			igr_error("%s: record %llu: edge to no node",
				  igr_reader_name(r),
				  (unsigned long long)igr_reader_records(r));
			goto fail;
		}
		if ((uint64_t)e.src + 1 > bound[e.src_type])
			bound[e.src_type] = (uint64_t)e.src + 1;
		if ((uint64_t)e.dst + 1 > bound[e.dst_type])
			bound[e.dst_type] = (uint64_t)e.dst + 1;
		if ((rels >> rel) & 1) {
			if (coo_push(&lists[rel], &e, details) < 0)
				goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	for (t = 0; t < IGR_NNODE; t++)
		g->n[t] = (uint32_t)bound[t];
	for (s = 0; s < IGR_NNODE; s++)
		for (d = 0; d < IGR_NNODE; d++) {
			struct coo *l = &lists[s * IGR_NNODE + d];
			if (!((rels >> (s * IGR_NNODE + d)) & 1) || l->n == 0)
				continue;
			g->rel[s][d] = igr_csr_from_coo(g->n[s], g->n[d], l->n,
							l->r, l->c, l->w,
							l->count, l->ts, 1);
			if (g->rel[s][d] == NULL) {
				igr_error_prefix("%s: %s->%s",
						 igr_reader_name(r),
						 igr_node_name(s),
						 igr_node_name(d));
				goto fail;
			}
			coo_free(l);
			memset(l, 0, sizeof *l);
		}
	return g;
fail:
	for (t = 0; t < IGR_NNODE * IGR_NNODE; t++)
		coo_free(&lists[t]);
	igr_graph_free(g);
	return NULL;
}

int igr_graph_write(const igr_graph *g, igr_writer *w)
{
	int st, dt;
	uint32_t s;

	for (st = 0; st < IGR_NNODE; st++)
		for (s = 0; s < g->n[st]; s++)
			for (dt = 0; dt < IGR_NNODE; dt++) {
				const igr_csr *a = g->rel[st][dt];
				uint64_t k;
				if (a == NULL || s >= a->nrows)
					continue;
				for (k = a->ptr[s]; k < a->ptr[s + 1]; k++) {
					igr_edge e;
					e.src_type = (uint8_t)st;
					e.src = s;
					e.dst_type = (uint8_t)dt;
					e.dst = a->idx[k];
					e.weight = a->w[k];
					e.count = a->count ? a->count[k] : 1;
					e.last_ts = a->last_ts ? a->last_ts[k]
							       : 0;
					if (igr_write_edge(w, &e) < 0)
						return -1;
				}
			}
	return 0;
}
