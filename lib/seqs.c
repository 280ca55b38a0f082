/* seqs.c - each user's events in order (see seqs.h). */
#include "seqs.h"
#include "error.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void igr_seqs_free(igr_seqs *s)
{
	if (s == NULL)
		return;
	free(s->ptr);
	free(s->item);
	free(s->beh);
	free(s->ts);
	free(s->cat);
	free(s);
}

/* Order of two events of one user: time, then input position. */
struct key {
	int64_t ts;
	uint64_t pos;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

igr_seqs *igr_seqs_from_events(const igr_event *ev, size_t n)
{
	igr_seqs *s = calloc(1, sizeof *s);
	uint64_t *fill = NULL, i, maxlen = 0;
	struct key *k = NULL;
	uint32_t u;

	if (s == NULL)
		return igr_error("out of memory"), NULL;
	s->n = n;
	for (i = 0; i < n; i++) {
		if (ev[i].user >= s->nusers)
			s->nusers = ev[i].user + 1;
		if (ev[i].item >= s->nitems)
			s->nitems = ev[i].item + 1;
		if (ev[i].category != IGR_NONE && ev[i].category >= s->ncats)
			s->ncats = ev[i].category + 1;
	}
	s->ptr = calloc((size_t)s->nusers + 1, sizeof *s->ptr);
	fill = malloc(((size_t)s->nusers + 1) * sizeof *fill);
	s->item = malloc((n ? n : 1) * sizeof *s->item);
	s->beh = malloc(n ? n : 1);
	s->ts = malloc((n ? n : 1) * sizeof *s->ts);
	s->cat = malloc((n ? n : 1) * sizeof *s->cat);
	if (s->ptr == NULL || fill == NULL || s->item == NULL ||
	    s->beh == NULL || s->ts == NULL || s->cat == NULL)
		goto oom;
	/* counting sort by user keeps input order within a user */
	for (i = 0; i < n; i++)
		s->ptr[ev[i].user + 1]++;
	for (u = 0; u < s->nusers; u++) {
		if (s->ptr[u + 1] > maxlen)
			maxlen = s->ptr[u + 1];
		s->ptr[u + 1] += s->ptr[u];
	}
	memcpy(fill, s->ptr, ((size_t)s->nusers + 1) * sizeof *fill);
	k = malloc((maxlen ? maxlen : 1) * sizeof *k);
	if (k == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		uint64_t p = fill[ev[i].user]++;

		s->item[p] = ev[i].item;
		s->beh[p] = ev[i].behavior < IGR_NBEHAVIOR ? ev[i].behavior : 0;
		s->ts[p] = ev[i].ts;
		s->cat[p] = ev[i].category;
	}
	/* then by time within each user, ties in input order */
	for (u = 0; u < s->nusers; u++) {
		uint64_t a = s->ptr[u], b = s->ptr[u + 1], j;
		int sorted = 1;

		for (j = a + 1; j < b && sorted; j++)
			sorted = s->ts[j - 1] <= s->ts[j];
		if (sorted)
			continue;
		for (j = a; j < b; j++) {
			k[j - a].ts = s->ts[j];
			k[j - a].pos = j;
		}
		qsort(k, b - a, sizeof *k, cmp_key);
		{
			uint32_t *it = malloc((b - a) * (sizeof *it * 2 + 1 +
							 sizeof(int64_t)));
			uint32_t *ct;
			uint8_t *bh;
			int64_t *tt;

			if (it == NULL)
				goto oom;
			ct = it + (b - a);
			tt = (int64_t *)(ct + (b - a));
			bh = (uint8_t *)(tt + (b - a));
			for (j = 0; j < b - a; j++) {
				it[j] = s->item[k[j].pos];
				ct[j] = s->cat[k[j].pos];
				tt[j] = s->ts[k[j].pos];
				bh[j] = s->beh[k[j].pos];
			}
			memcpy(s->item + a, it, (b - a) * sizeof *it);
			memcpy(s->cat + a, ct, (b - a) * sizeof *ct);
			memcpy(s->ts + a, tt, (b - a) * sizeof *tt);
			memcpy(s->beh + a, bh, b - a);
			free(it);
		}
	}
	free(fill);
	free(k);
	return s;
oom:
	free(fill);
	free(k);
	igr_seqs_free(s);
	return igr_error("out of memory"), NULL;
}

igr_seqs *igr_seqs_read(igr_reader *r)
{
	igr_event *ev = NULL;
	size_t n = 0, cap = 0;
	igr_seqs *s;
	int rc;

	if (igr_reader_kind(r) != IGR_KIND_EVENTS)
		return igr_error("%s: an events stream is needed, not %s",
				 igr_reader_name(r),
				 igr_kind_name(igr_reader_kind(r))), NULL;
	for (;;) {
		if (igr_grow(&ev, &cap, n + 1, sizeof *ev) < 0) {
			free(ev);
			return NULL;
		}
		rc = igr_read_event(r, &ev[n]);
		if (rc < 0) {
			free(ev);
			return NULL;
		}
		if (rc == 0)
			break;
		n++;
	}
	s = igr_seqs_from_events(ev, n);
	free(ev);
	return s;
}

igr_graph *igr_seqs_graph(const igr_seqs *s)
{
	igr_graph *g = calloc(1, sizeof *g);
	uint32_t *us = NULL, *is = NULL, *cnt = NULL, u;
	float *w = NULL;
	uint64_t i, nc = 0;

	if (g == NULL)
		return igr_error("out of memory"), NULL;
	g->half_life = INFINITY;
	g->n[IGR_USER] = s->nusers;
	g->n[IGR_ITEM] = s->nitems;
	g->n[IGR_CATEGORY] = s->ncats;
	us = malloc((s->n ? s->n : 1) * sizeof *us);
	is = malloc((s->n ? s->n : 1) * sizeof *is);
	cnt = malloc((s->n ? s->n : 1) * sizeof *cnt);
	w = malloc((s->n ? s->n : 1) * sizeof *w);
	if (us == NULL || is == NULL || cnt == NULL || w == NULL)
		goto oom;
	for (u = 0; u < s->nusers; u++)
		for (i = s->ptr[u]; i < s->ptr[u + 1]; i++) {
			us[i] = u;
			w[i] = 1;
			cnt[i] = 1;
		}
	g->rel[IGR_USER][IGR_ITEM] = igr_csr_from_coo(
		s->nusers, s->nitems, s->n, us, s->item, w, cnt, s->ts, 0);
	if (g->rel[IGR_USER][IGR_ITEM] == NULL)
		goto fail;
	/* item -> category: the categories events gave each item */
	for (i = 0; i < s->n; i++)
		if (s->cat[i] != IGR_NONE) {
			us[nc] = s->item[i];
			is[nc] = s->cat[i];
			nc++;
		}
	if (nc > 0) {
		igr_csr *ic = igr_csr_from_coo(s->nitems, s->ncats, nc, us, is,
					       w, NULL, NULL, 0);
		uint64_t e;

		if (ic == NULL)
			goto fail;
		for (e = 0; e < ic->nnz; e++)
			ic->w[e] = 1; /* membership, not a count */
		g->rel[IGR_ITEM][IGR_CATEGORY] = ic;
	}
	g->seqs = s;
	free(us);
	free(is);
	free(cnt);
	free(w);
	return g;
oom:
	igr_error("out of memory");
fail:
	free(us);
	free(is);
	free(cnt);
	free(w);
	igr_graph_free(g);
	return NULL;
}

igr_graph *igr_seqs_input(igr_reader *r, unsigned rels, unsigned flags,
			  igr_seqs **seqs)
{
	igr_graph *g;

	*seqs = NULL;
	if (igr_reader_kind(r) == IGR_KIND_GRAPH)
		return igr_graph_read(r, rels, flags);
	if (igr_reader_kind(r) != IGR_KIND_EVENTS)
		return igr_error("%s: a graph or events stream is needed, not "
				 "%s", igr_reader_name(r),
				 igr_kind_name(igr_reader_kind(r))), NULL;
	*seqs = igr_seqs_read(r);
	if (*seqs == NULL)
		return NULL;
	g = igr_seqs_graph(*seqs);
	if (g == NULL) {
		igr_seqs_free(*seqs);
		*seqs = NULL;
	}
	return g;
}
