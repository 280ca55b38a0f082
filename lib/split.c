/* split.c - train/test splits of an events stream (see split.h). */
#include "split.h"
#include "error.h"
#include "mem.h"
#include "rand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* Uniform integer in [0, range) without modulo bias (Lemire, "Fast random
 * integer generation in an interval", ACM TOMACS 2019). */
static uint32_t bounded(uint64_t *s, uint32_t range)
{
	uint64_t m = (igr_splitmix64(s) >> 32) * range;
	uint32_t lo = (uint32_t)m;

	if (lo < range) {
		uint32_t t = (uint32_t)-range % range;
		while (lo < t) {
			m = (igr_splitmix64(s) >> 32) * range;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

static const igr_event *cmp_ev;

/* Time order within one user; the index breaks ties (input order), which
 * also makes qsort's result unique. */
static int cmp_time(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (cmp_ev[x].ts != cmp_ev[y].ts)
		return cmp_ev[x].ts < cmp_ev[y].ts ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Indices 0..n-1 grouped by user (stable: input order within a user), by
 * a two-pass LSD radix sort on the 32-bit user id.  Returns a malloc'd
 * array or NULL. */
static uint32_t *group_by_user(const igr_event *ev, size_t n)
{
	uint32_t *a = malloc((n ? n : 1) * sizeof *a);
	uint32_t *b = malloc((n ? n : 1) * sizeof *b);
	size_t *cnt = malloc(65536 * sizeof *cnt);
	size_t i;
	int pass;

	if (a == NULL || b == NULL || cnt == NULL) {
		free(a);
		free(b);
		free(cnt);
		return igr_error("out of memory (%zu events)", n), NULL;
	}
	for (i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	for (pass = 0; pass < 2; pass++) {
		int sh = pass * 16;
		size_t sum = 0;
		uint32_t *t;
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[(ev[a[i]].user >> sh) & 0xffff]++;
		if (cnt[(ev[0].user >> sh) & 0xffff] == n && n > 0)
			continue; /* one bucket: the order stays */
		for (i = 0; i < 65536; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[(ev[a[i]].user >> sh) & 0xffff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	free(b);
	free(cnt);
	return a;
}

int igr_split_assign(const igr_event *ev, size_t n, const igr_split_opts *o,
		     uint8_t *test, igr_split_stats *st)
{
	uint32_t *ord;
	size_t lo, hi, i;
	uint64_t users = 0, users_test = 0;

	if (n > UINT32_MAX)
		return igr_error("too many events to split per user (%zu)", n);
	ord = group_by_user(ev, n);
	if (ord == NULL)
		return -1;
	memset(test, 0, n);
	cmp_ev = ev;
	for (lo = 0; lo < n; lo = hi) {
		uint32_t u = ev[ord[lo]].user;
		size_t m, k = 0;

		for (hi = lo + 1; hi < n && ev[ord[hi]].user == u; hi++)
			;
		m = hi - lo;
		users++;
		for (i = lo + 1; i < hi; i++)
			if (ev[ord[i]].ts < ev[ord[i - 1]].ts)
				break;
		if (i < hi)
			qsort(ord + lo, m, sizeof *ord, cmp_time);
		if (o->mode == IGR_SPLIT_LAST)
			k = o->last;
		else
			k = (size_t)floor(o->fraction * (double)m + 0.5);
		if (k > m)
			k = m;
		if (m - k < o->min_train)
			k = m > o->min_train ? m - o->min_train : 0;
		if (k == 0)
			continue;
		users_test++;
		if (o->mode == IGR_SPLIT_LAST) {
			for (i = hi - k; i < hi; i++)
				test[ord[i]] = 1;
		} else {
			/* partial Fisher-Yates over the user's events in time
			 * order: the last k positions are the chosen ones */
			uint64_t s = igr_mix64(o->seed) ^
				     igr_mix64(0x51a3c0de00000000ULL | u);
			size_t j;
			for (j = m; j > m - k; j--) {
				uint32_t r = bounded(&s, (uint32_t)j);
				uint32_t t = ord[lo + r];
				ord[lo + r] = ord[lo + j - 1];
				ord[lo + j - 1] = t;
				test[t] = 1;
			}
		}
	}
	free(ord);
	if (st != NULL) {
		st->users = users;
		st->users_test = users_test;
	}
	return 0;
}

static int put(igr_writer *w, const igr_event *e, uint64_t *cnt)
{
	(*cnt)++;
	return igr_write_event(w, e);
}

int igr_split_run(igr_reader **in, size_t nin, const igr_split_opts *o,
		  igr_writer *train, igr_writer *test, igr_split_stats *st)
{
	igr_split_stats s;
	igr_event e, *ev = NULL;
	uint8_t *mark = NULL;
	size_t n = 0, cap = 0, f, i;
	int rc = 0;

	memset(&s, 0, sizeof s);
	for (f = 0; f < nin; f++) {
		while ((rc = igr_read_event(in[f], &e)) == 1) {
			s.events++;
			if (o->mode == IGR_SPLIT_AT) {
				if (put(e.ts < o->at ? train : test, &e,
					e.ts < o->at ? &s.train : &s.test) < 0)
					goto fail;
				continue;
			}
			if (igr_grow(&ev, &cap, n + 1, sizeof *ev) < 0) {
				igr_error("out of memory (%zu events)", n);
				goto fail;
			}
			ev[n++] = e;
		}
		if (rc < 0)
			goto fail;
	}
	if (o->mode != IGR_SPLIT_AT) {
		mark = malloc(n ? n : 1);
		if (mark == NULL) {
			igr_error("out of memory (%zu events)", n);
			goto fail;
		}
		if (igr_split_assign(ev, n, o, mark, &s) < 0)
			goto fail;
		for (i = 0; i < n; i++)
			if (put(mark[i] ? test : train, &ev[i],
				mark[i] ? &s.test : &s.train) < 0)
				goto fail;
	}
	free(ev);
	free(mark);
	if (st != NULL)
		*st = s;
	return 0;
fail:
	free(ev);
	free(mark);
	return -1;
}
