/* topk.c - bounded top-K heap and sparse accumulator (see topk.h). */
#include "topk.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

int igr_topk_init(igr_topk *t, uint32_t k, const uint32_t *tie)
{
	t->k = k;
	t->n = 0;
	t->tie = tie;
	t->h = malloc((k ? (size_t)k : 1) * sizeof *t->h);
	if (t->h == NULL)
		return igr_error("out of memory (top-%u heap)", k);
	return 0;
}

void igr_topk_release(igr_topk *t)
{
	free(t->h);
	t->h = NULL;
	t->k = t->n = 0;
}

int igr_topk_resize(igr_topk *t, uint32_t k)
{
	igr_hit *h = realloc(t->h, (k ? (size_t)k : 1) * sizeof *h);

	if (h == NULL)
		return igr_error("out of memory (top-%u heap)", k);
	t->h = h;
	t->k = k;
	t->n = 0;
	return 0;
}

/* "worse" is the heap order: the root is the entry every other beats. */
static inline int worse(const igr_topk *t, const igr_hit *a, const igr_hit *b)
{
	return igr_hit_better(t, b->score, b->id, a->score, a->id);
}

static void sift_down(igr_topk *t, uint32_t i)
{
	igr_hit *h = t->h, x = h[i];
	uint32_t n = t->n;

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && worse(t, &h[c + 1], &h[c]))
			c++;
		if (!worse(t, &h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void sift_up(igr_topk *t, uint32_t i)
{
	igr_hit *h = t->h, x = h[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!worse(t, &x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

void igr_topk_push(igr_topk *t, float score, uint32_t id)
{
	if (score != score) /* NaN */
		return;
	if (t->n < t->k) {
		t->h[t->n].score = score;
		t->h[t->n].id = id;
		sift_up(t, t->n++);
		return;
	}
	if (t->k == 0 || !igr_hit_better(t, score, id, t->h[0].score,
					 t->h[0].id))
		return;
	t->h[0].score = score;
	t->h[0].id = id;
	sift_down(t, 0);
}

void igr_topk_push_row(igr_topk *t, const float *s, size_t n, uint32_t base)
{
	size_t i = 0;

	/* fill phase: every score enters until the heap is full */
	while (i < n && t->n < t->k)
		igr_topk_push(t, s[i], base + (uint32_t)i), i++;
	if (t->k == 0)
		return;
	for (; i < n; i++) {
		/* the common case: below the weakest held entry */
		if (s[i] < t->h[0].score)
			continue;
		igr_topk_push(t, s[i], base + (uint32_t)i);
	}
}

/* Sort context for qsort (no qsort_r in C11; a thread-local pointer). */
static _Thread_local const igr_topk *sort_t;

static int cmp_hits(const void *a, const void *b)
{
	const igr_hit *x = a, *y = b;

	if (igr_hit_better(sort_t, x->score, x->id, y->score, y->id))
		return -1;
	if (igr_hit_better(sort_t, y->score, y->id, x->score, x->id))
		return 1;
	return 0;
}

void igr_hits_sort(const igr_topk *t, igr_hit *hits, size_t n)
{
	const igr_topk *save = sort_t;

	sort_t = t;
	qsort(hits, n, sizeof *hits, cmp_hits);
	sort_t = save;
}

uint32_t igr_topk_sorted(igr_topk *t, igr_hit *out)
{
	uint32_t n = t->n, i;

	/* pop the weakest repeatedly: fills OUT from the back */
	for (i = n; i > 0; i--) {
		out[i - 1] = t->h[0];
		t->h[0] = t->h[--t->n];
		if (t->n > 0)
			sift_down(t, 0);
	}
	return n;
}

/* ---- accumulator ----------------------------------------------------- */

int igr_acc_init(igr_acc *a, uint32_t n)
{
	size_t m = n ? n : 1;

	memset(a, 0, sizeof *a);
	a->n = n;
	a->v = calloc(m, sizeof *a->v);
	a->mark = calloc(m, 1);
	a->touched = malloc((m + 1) * sizeof *a->touched);
	if (a->v == NULL || a->mark == NULL || a->touched == NULL) {
		igr_acc_release(a);
		return igr_error("out of memory (accumulator of %u)", n);
	}
	return 0;
}

void igr_acc_release(igr_acc *a)
{
	free(a->v);
	free(a->mark);
	free(a->touched);
	memset(a, 0, sizeof *a);
}

void igr_acc_clear(igr_acc *a)
{
	uint32_t i;

	for (i = 0; i < a->nt; i++) {
		a->v[a->touched[i]] = 0;
		a->mark[a->touched[i]] = 0;
	}
	a->nt = 0;
}
