/* topk.c - bounded top-K heap and sparse accumulator (see topk.h). */
#include "topk.h"
#include "error.h"
#include "mem.h"

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
	/* gathered from at random: huge pages spare the TLB */
	a->v = igr_calloc_large(m, sizeof *a->v);
	a->mark = igr_calloc_large(m, 1);
	a->touched = malloc((m + 1) * sizeof *a->touched);
	if (a->v == NULL || a->mark == NULL || a->touched == NULL) {
		igr_acc_release(a);
		return igr_error("out of memory (accumulator of %u)", n);
	}
	return 0;
}

int igr_acc_init_pairs(igr_acc *a, uint32_t n)
{
	memset(a, 0, sizeof *a);
	a->n = n;
	a->pairs = 1;
	return 0;
}

int igr_acc_init_for(igr_acc *a, uint32_t n)
{
	const char *e = getenv("IGRAPH_ACC_PAIRS");
	int pairs = n >= IGR_ACC_PAIRS_MIN;

	if (e != NULL && (strcmp(e, "0") == 0 || strcmp(e, "1") == 0))
		pairs = e[0] == '1';
	return pairs ? igr_acc_init_pairs(a, n) : igr_acc_init(a, n);
}

void igr_acc_release(igr_acc *a)
{
	free(a->v);
	free(a->mark);
	free(a->touched);
	free(a->pa);
	free(a->pb);
	free(a->ids);
	free(a->sums);
	memset(a, 0, sizeof *a);
}

int igr_acc_grow_pairs(igr_acc *a)
{
	const struct igr_growing g[] = { IGR_GROWING(&a->pa),
					 IGR_GROWING(&a->pb) };

	if (a->oom || igr_grow_each(&a->cap, a->np + 1, g, 2) < 0) {
		a->oom = 1;
		return -1;
	}
	return 0;
}

/* One stable counting-sort pass of N pairs FROM -> TO on the id's bits
 * SHIFT .. SHIFT + BITS - 1 (BITS <= 11). */
static void radix_pass(const uint64_t *from, uint64_t *to, size_t n,
		       unsigned shift, unsigned bits)
{
	uint32_t cnt[2048], mask = (1u << bits) - 1, o = 0, c;
	size_t i;

	memset(cnt, 0, ((size_t)mask + 1) * sizeof *cnt);
	for (i = 0; i < n; i++)
		cnt[(from[i] >> (32 + shift)) & mask]++;
	for (c = 0; c <= mask; c++) {
		uint32_t x = cnt[c];
		cnt[c] = o;
		o += x;
	}
	for (i = 0; i < n; i++)
		to[cnt[(from[i] >> (32 + shift)) & mask]++] = from[i];
}

int igr_acc_settle(igr_acc *a)
{
	unsigned bits = 1, passes, per, p;
	size_t i, j;
	uint64_t *s;

	if (!a->pairs)
		return 0;
	if (a->oom)
		return igr_error("out of memory (accumulator pairs)");
	while (bits < 32 && (a->n - 1) >> bits != 0)
		bits++;
	passes = (bits + 10) / 11;
	per = (bits + passes - 1) / passes;
	/* LSD passes, stable: each id's values stay in the order added */
	for (p = 0; p < passes; p++) {
		unsigned sh = p * per, b = bits - sh < per ? bits - sh : per;
		radix_pass(p % 2 ? a->pb : a->pa, p % 2 ? a->pa : a->pb,
			   a->np, sh, b);
	}
	s = passes % 2 ? a->pb : a->pa;
	{
		const struct igr_growing g[] = { IGR_GROWING(&a->ids),
						 IGR_GROWING(&a->sums) };
		if (igr_grow_each(&a->scap, a->np, g, 2) < 0)
			return -1;
	}
	a->ns = 0;
	for (i = 0; i < a->np; i = j) {
		uint32_t id = (uint32_t)(s[i] >> 32);
		float sum = 0.0f;
		for (j = i; j < a->np && (uint32_t)(s[j] >> 32) == id; j++) {
			uint32_t b = (uint32_t)s[j];
			float w;
			memcpy(&w, &b, sizeof w);
			sum += w;
		}
		a->ids[a->ns] = id;
		a->sums[a->ns++] = sum;
	}
	return 0;
}

int64_t igr_acc_find(const igr_acc *a, uint32_t id)
{
	uint32_t lo = 0, hi;

	if (!a->pairs)
		return id < a->n && a->mark[id] ? 1 : -1;
	hi = a->ns;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->ns && a->ids[lo] == id ? (int64_t)lo : -1;
}

void igr_acc_set(igr_acc *a, uint32_t id, float x)
{
	int64_t at;

	if (!a->pairs) {
		if (id < a->n && a->mark[id])
			a->v[id] = x;
		return;
	}
	at = igr_acc_find(a, id);
	if (at >= 0)
		a->sums[at] = x;
}

void igr_acc_clear(igr_acc *a)
{
	uint32_t i;

	if (a->pairs) {
		a->np = 0;
		a->ns = 0;
		a->oom = 0;
		return;
	}
	for (i = 0; i < a->nt; i++) {
		a->v[a->touched[i]] = 0;
		a->mark[a->touched[i]] = 0;
	}
	a->nt = 0;
}
