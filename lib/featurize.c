/* featurize.c - events, aggregation into new edges, co-engagement (see
 * featurize.h; the merge with a base graph is in featurize_merge.c). */
#include "featurize_internal.h"
#include "error.h"
#include "mem.h"
#include "par.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const rel_names[IGR_FZ_NREL] = {
	"user-item", "user-category", "item-item", "item-category", "other",
};

const char *igr_fz_rel_name(int rel)
{
	return rel >= 0 && rel < IGR_FZ_NREL ? rel_names[rel] : "?";
}

void igr_fz_opts_init(igr_fz_opts *o)
{
	memset(o, 0, sizeof *o);
	o->weight[IGR_VIEW] = 1;
	o->weight[IGR_CLICK] = 1;
	o->weight[IGR_FAV] = 2;
	o->weight[IGR_CART] = 3;
	o->weight[IGR_BUY] = 5;
	o->weight[IGR_REVIEW] = 4;
	o->half_life = 7 * 86400.0;
	o->min_weight = 1e-4;
	o->cooc_max = 10;
	o->max_future = 86400;
	o->clock = (int64_t)time(NULL);
}

/* The latest time an event (or a base graph's now) may have: --now, else
 * the clock plus max_future; INT64_MAX: none. */
static int64_t horizon(const igr_fz_opts *o)
{
	double h;

	if (o->has_now)
		return o->now;
	if (isinf(o->max_future))
		return INT64_MAX;
	h = (double)o->clock + o->max_future;
	return h >= 9.2e18 ? INT64_MAX : (int64_t)h;
}

/* The error of a time T after the horizon; WHAT is "event at" or "base
 * graph's now". */
static int future_error(const igr_fz_opts *o, const char *what, int64_t t)
{
	char a[64], b[64];

	igr_fmt_iso8601(a, t);
	if (o->has_now) {
		igr_fmt_iso8601(b, o->now);
		return igr_error("%s %lld is after --now %lld (%s > %s): its "
				 "weight would grow with time", what,
				 (long long)t, (long long)o->now, a, b);
	}
	igr_fmt_iso8601(b, horizon(o));
	return igr_error("%s %lld is in the future (%s, after %s, the clock "
			 "plus --max-future): it would become the graph's now "
			 "and decay every real edge", what, (long long)t, a,
			 b);
}

int igr_fz_parse_weights(const char *s, double w[IGR_NBEHAVIOR])
{
	const char *p = s;

	if (*p == '\0')
		return igr_error("empty behaviour weights");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		double v;
		int b;

		if (eq == NULL)
			return igr_error("'%.*s' is not BEHAVIOR=WEIGHT",
					 (int)len, p);
		b = igr_behavior_parse(p, (size_t)(eq - p));
		if (b < 0)
			return igr_error("unknown behavior '%.*s'",
					 (int)(eq - p), p);
		if (igr_parse_double(eq + 1, len - (size_t)(eq + 1 - p), &v) <
			    0 ||
		    !isfinite(v) || v < 0)
			return igr_error("weight of %s: '%.*s' is not a "
					 "number >= 0",
					 igr_behavior_name(b),
					 (int)(len - (size_t)(eq + 1 - p)),
					 eq + 1);
		w[b] = v;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

void igr_fz_format_weights(char *buf, const double w[IGR_NBEHAVIOR])
{
	size_t n = 0;
	int b;

	buf[0] = '\0';
	for (b = 0; b < IGR_NBEHAVIOR; b++) {
		char num[32];
		igr_fmt_double(num, w[b]);
		n += (size_t)snprintf(buf + n, 256 - n, "%s%s=%s",
				      b ? "," : "", igr_behavior_name(b), num);
	}
}

/* ---- sorting ---------------------------------------------------------- */

static void isort_u64(uint64_t *a, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		uint64_t v = a[i];
		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static void sift_u64(uint64_t *a, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		uint64_t t;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

/* Introsort (Musser, "Introspective sorting and selection algorithms",
 * 1997): quicksort with median-of-three, heapsort past a depth limit,
 * insertion sort for short ranges.  The keys are distinct here (they carry
 * an event index), so stability does not arise. */
static void sort_u64_depth(uint64_t *a, size_t n, int depth)
{
	while (n > 24) {
		uint64_t p, t;
		size_t i, j;

		if (depth-- == 0) {
			for (i = n / 2; i-- > 0;)
				sift_u64(a, n, i);
			for (i = n; i-- > 1;) {
				t = a[0];
				a[0] = a[i];
				a[i] = t;
				sift_u64(a, i, 0);
			}
			return;
		}
		{
			uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
			p = x < y ? (y < z ? y : x < z ? z : x)
				  : (x < z ? x : y < z ? z : y);
		}
		i = 0;
		j = n - 1;
		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			t = a[i];
			a[i] = a[j];
			a[j] = t;
			i++;
			j--;
		}
		/* recurse into the smaller part, loop on the larger */
		if (j + 1 < n - j - 1) {
			sort_u64_depth(a, j + 1, depth);
			a += j + 1;
			n -= j + 1;
		} else {
			sort_u64_depth(a + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	isort_u64(a, n);
}

static void sort_u64(uint64_t *a, size_t n)
{
	int depth = 0;
	size_t m;

	for (m = n; m > 1; m >>= 1)
		depth += 2;
	sort_u64_depth(a, n, depth);
}

/* IDX[0..n) reordered by KEY[IDX[i]] into OUT, stably, by a two-pass LSD
 * radix sort on 16-bit digits (a pass whose digit is the same everywhere
 * is skipped).  TMP has room for n.  Returns OUT or TMP, whichever holds
 * the result. */
static uint32_t *radix_by(const uint32_t *key, uint32_t *idx, uint32_t *tmp,
			  size_t n, size_t *cnt)
{
	uint32_t *a = idx, *b = tmp, *t;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		int sh = pass * 16;
		size_t sum = 0;
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[(key[a[i]] >> sh) & 0xffff]++;
		if (n == 0 || cnt[(key[a[0]] >> sh) & 0xffff] == n)
			continue;
		for (i = 0; i < 65536; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[(key[a[i]] >> sh) & 0xffff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	return a;
}

/* ---- lists ------------------------------------------------------------ */

static void list_free(struct fz_list *l)
{
	free(l->src);
	free(l->dst);
	free(l->cnt);
	free(l->w);
	free(l->ts);
	memset(l, 0, sizeof *l);
}

static int list_push(struct fz_list *l, uint32_t s, uint32_t d, double w,
		     uint32_t cnt, int64_t ts)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4096;
		void *p;
#define GROW(f)                                                              \
	do {                                                                 \
		p = realloc(l->f, nc * sizeof *l->f);                        \
		if (p == NULL)                                               \
			return igr_error("out of memory (%zu edges)", l->n); \
		l->f = p;                                                    \
	} while (0)
		GROW(src);
		GROW(dst);
		GROW(cnt);
		GROW(w);
		GROW(ts);
#undef GROW
		l->cap = nc;
	}
	l->src[l->n] = s;
	l->dst[l->n] = d;
	l->w[l->n] = w;
	l->cnt[l->n] = cnt;
	l->ts[l->n] = ts;
	l->n++;
	return 0;
}

/* ---- the builder ------------------------------------------------------ */

igr_fz *igr_fz_new(const igr_fz_opts *o)
{
	igr_fz *f = calloc(1, sizeof *f);

	if (f == NULL)
		return igr_error("out of memory"), NULL;
	f->o = *o;
	f->newest = INT64_MIN;
	f->horizon = horizon(o);
	if (o->has_now && !isinf(o->max_future) &&
	    (double)o->now > (double)o->clock + o->max_future) {
		char a[64], b[64];
		igr_fmt_iso8601(a, o->now);
		igr_fmt_iso8601(b, o->clock);
		free(f);
		return igr_error("--now %lld (%s) is in the future (the clock "
				 "says %s; see --max-future)",
				 (long long)o->now, a, b), NULL;
	}
	return f;
}

void igr_fz_free(igr_fz *f)
{
	int r;

	if (f == NULL)
		return;
	free(f->ts);
	free(f->user);
	free(f->item);
	free(f->cat);
	free(f->beh);
	free(f->forgot);
	free(f->contrib);
	for (r = 0; r < 4; r++)
		list_free(&f->rel[r]);
	free(f->by_user);
	free(f->seg_user);
	free(f->seg_lo);
	free(f->pairs.key);
	free(f->pairs.w);
	free(f->pairs.cnt);
	free(f->pairs.ts);
	free(f->recent.item);
	free(f->recent.ts);
	if (f->kept_item != f->kept)
		free(f->kept_item);
	free(f->kept);
	free(f->ibound);
	free(f->partner);
	free(f->powner);
	for (r = 0; f->cooc_out != NULL && r < f->size; r++)
		free(f->cooc_out[r].p);
	free(f->cooc_out);
	for (r = 0; r < 2 * IGR_FZ_NREL; r++)
		free(f->wlog[r / IGR_FZ_NREL][r % IGR_FZ_NREL].w);
	free(f);
}

const igr_fz_opts *igr_fz_options(const igr_fz *f)
{
	return &f->o;
}

int64_t igr_fz_newest(const igr_fz *f)
{
	return f->newest;
}

static int grow_events(igr_fz *f)
{
	size_t nc = f->cap ? f->cap * 2 : 65536;
	void *p;

	if (nc > UINT32_MAX)
		nc = UINT32_MAX;
	if (f->n >= nc)
		return igr_error("too many events (%zu)", f->n);
#define GROW(x)                                                              \
	do {                                                                 \
		p = realloc(f->x, nc * sizeof *f->x);                        \
		if (p == NULL)                                               \
			return igr_error("out of memory (%zu events)", f->n); \
		f->x = p;                                                    \
	} while (0)
	GROW(ts);
	GROW(user);
	GROW(item);
	GROW(cat);
	GROW(beh);
#undef GROW
	f->cap = nc;
	return 0;
}

int igr_fz_add_event(igr_fz *f, const igr_event *e)
{
	if (e->user == IGR_NONE || e->item == IGR_NONE)
		return igr_error("event without a user or an item");
	if (e->behavior >= IGR_NBEHAVIOR)
		return igr_error("bad behavior %u", e->behavior);
	if (e->ts > f->horizon)
		return future_error(&f->o, "event at", e->ts);
	if (f->n == f->cap && grow_events(f) < 0)
		return -1;
	f->ts[f->n] = e->ts;
	f->user[f->n] = e->user;
	f->item[f->n] = e->item;
	f->cat[f->n] = e->category;
	f->beh[f->n] = e->behavior;
	f->n++;
	f->nread++;
	if (e->ts > f->newest)
		f->newest = e->ts;
	return 0;
}

int igr_fz_read_events(igr_fz *f, igr_reader *r)
{
	igr_event e;
	int rc;

	while ((rc = igr_read_event(r, &e)) == 1) {
		if (e.user == IGR_NONE || e.item == IGR_NONE)
			return igr_error("%s: record %llu: event without a "
					 "user or an item",
					 igr_reader_name(r),
					 (unsigned long long)
						 igr_reader_records(r));
		if (igr_fz_add_event(f, &e) < 0)
			return igr_error_prefix("%s: record %llu",
						igr_reader_name(r),
						(unsigned long long)
							igr_reader_records(r));
	}
	return rc;
}

int igr_fz_forget(igr_fz *f, uint32_t user)
{
	if (user == IGR_NONE)
		return igr_error("cannot forget an absent user");
	if ((size_t)user / 8 >= f->forgot_bytes) {
		size_t nb = f->forgot_bytes ? f->forgot_bytes : 64;
		uint8_t *p;
		while (nb <= (size_t)user / 8)
			nb *= 2;
		p = realloc(f->forgot, nb);
		if (p == NULL)
			return igr_error("out of memory");
		memset(p + f->forgot_bytes, 0, nb - f->forgot_bytes);
		f->forgot = p;
		f->forgot_bytes = nb;
	}
	if (!fz_is_forgotten(f, user))
		f->nforgot++;
	f->forgot[user / 8] |= (uint8_t)(1u << (user % 8));
	return 0;
}

/* ---- base graph meta -------------------------------------------------- */

static int meta_double(const igr_header *h, const char *key, double *v,
		       const char *name)
{
	const char *s = igr_header_get(h, key);

	if (s == NULL)
		return 0;
	if (igr_parse_double(s, strlen(s), v) < 0 || isnan(*v))
		return igr_error("%s: bad meta %s '%s'", name, key, s);
	return 1;
}

int igr_fz_use_base(igr_fz *f, igr_reader *base)
{
	const igr_header *h = igr_reader_header(base);
	const char *name = igr_reader_name(base);
	static const char *const nodes[IGR_NNODE] = {
		"nodes.user", "nodes.item", "nodes.category"
	};
	const char *s;
	double hl, cw, cm;
	int t, rc;

	if (igr_reader_kind(base) != IGR_KIND_GRAPH)
		return igr_error("%s: base is a %s stream, not a graph", name,
				 igr_kind_name(igr_reader_kind(base)));
	s = igr_header_get(h, "now");
	if (s == NULL || igr_parse_i64(s, strlen(s), &f->base_now) < 0)
		return igr_error("%s: base graph has no valid 'now' (not "
				 "written by igraph-featurize?)", name);
	f->base_has_now = 1;
	if (f->base_now > f->horizon) {
		future_error(&f->o, "base graph's now", f->base_now);
		return igr_error_prefix("%s", name);
	}
	if ((rc = meta_double(h, "half_life", &hl, name)) < 0)
		return -1;
	if (rc == 0)
		return igr_error("%s: base graph has no 'half_life' (not "
				 "written by igraph-featurize?)", name);
	if (!(hl > 0))
		return igr_error("%s: bad half-life %g", name, hl);
	if (f->o.half_life_set && f->o.half_life != hl)
		return igr_error("%s: base graph has half-life %gs, not %gs "
				 "(rebuild it to change the half-life)",
				 name, hl, f->o.half_life);
	f->o.half_life = hl;
	s = igr_header_get(h, "weights");
	if (s == NULL)
		return igr_error("%s: base graph has no 'weights' (not "
				 "written by igraph-featurize?)", name);
	{
		double w[IGR_NBEHAVIOR];
		char a[256], b[256];
		memcpy(w, f->o.weight, sizeof w);
		if (igr_fz_parse_weights(s, w) < 0)
			return igr_error_prefix("%s: meta weights", name);
		if (f->o.weights_set &&
		    memcmp(w, f->o.weight, sizeof w) != 0) {
			igr_fz_format_weights(a, w);
			igr_fz_format_weights(b, f->o.weight);
			return igr_error("%s: base graph has weights %s, not "
					 "%s (rebuild it to change them)",
					 name, a, b);
		}
		memcpy(f->o.weight, w, sizeof w);
	}
	if ((rc = meta_double(h, "cooc_window", &cw, name)) < 0)
		return -1;
	if (rc == 0)
		cw = 0;
	if ((rc = meta_double(h, "cooc_max", &cm, name)) < 0)
		return -1;
	if (rc == 0)
		cm = f->o.cooc_max;
	if (f->o.cooc_set &&
	    (cw != f->o.cooc_window || (cw > 0 && cm != f->o.cooc_max)))
		return igr_error("%s: base graph has co-engagement window %gs "
				 "and cap %g, not %gs and %u (rebuild it to "
				 "change them)", name, cw, cm,
				 f->o.cooc_window, f->o.cooc_max);
	if (!f->o.cooc_set) {
		f->o.cooc_window = cw;
		if (cm >= 1 && cm <= UINT32_MAX)
			f->o.cooc_max = (uint32_t)cm;
	}
	for (t = 0; t < IGR_NNODE; t++) {
		uint64_t v;
		s = igr_header_get(h, nodes[t]);
		if (s != NULL &&
		    igr_parse_u64(s, strlen(s), UINT32_MAX, &v) == 0)
			f->base_nodes[t] = (uint32_t)v;
	}
	f->base_used = 1;
	return 0;
}

/* ---- aggregation ------------------------------------------------------ */

/* Sum the runs of equal high halves in sorted KEYS (high: destination,
 * low: event index) into list L as edges from SRC. */
static int emit_runs(igr_fz *f, struct fz_list *l, uint32_t src,
		     const uint64_t *keys, size_t m)
{
	size_t i = 0;

	while (i < m) {
		uint32_t d = (uint32_t)(keys[i] >> 32);
		double w = 0;
		uint64_t cnt = 0;
		int64_t ts = INT64_MIN;
		for (; i < m && (uint32_t)(keys[i] >> 32) == d; i++) {
			uint32_t e = (uint32_t)keys[i];
			w += f->contrib[e];
			cnt++;
			if (f->ts[e] > ts)
				ts = f->ts[e];
		}
		if (list_push(l, src, d, w,
			      cnt > UINT32_MAX ? UINT32_MAX : (uint32_t)cnt,
			      ts) < 0)
			return -1;
	}
	return 0;
}

struct tsidx {
	int64_t ts;
	uint32_t idx;
};

static int cmp_tsidx(const void *a, const void *b)
{
	const struct tsidx *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Put SEG[0..m) (indices in input order) in time order, ties by index. */
static int time_order(const igr_fz *f, uint32_t *seg, size_t m)
{
	struct tsidx *t;
	size_t i;

	for (i = 1; i < m; i++)
		if (f->ts[seg[i]] < f->ts[seg[i - 1]])
			break;
	if (i >= m)
		return 0;
	t = malloc(m * sizeof *t);
	if (t == NULL)
		return igr_error("out of memory");
	for (i = 0; i < m; i++) {
		t[i].ts = f->ts[seg[i]];
		t[i].idx = seg[i];
	}
	qsort(t, m, sizeof *t, cmp_tsidx);
	for (i = 0; i < m; i++)
		seg[i] = t[i].idx;
	free(t);
	return 0;
}

void igr_fz_set_par(igr_fz *f)
{
	f->size = igr_par_size();
	f->rank = igr_par_rank();
	f->par = f->size > 1;
}

/* 1 if event I makes edges: not a forgotten user's, a behaviour
 * weighted more than 0. */
static inline int counts(const igr_fz *f, size_t i)
{
	return !fz_is_forgotten(f, f->user[i]) && f->o.weight[f->beh[i]] != 0;
}

/* A parallel run: this rank's ranges of users and of items, each cut by
 * the number of kept events (every rank read every event, so every rank
 * cuts the same).  0 or -1. */
static int par_ranges(igr_fz *f)
{
	size_t nu = (size_t)f->ebound[IGR_USER];
	size_t ni = (size_t)f->ebound[IGR_ITEM];
	size_t i, *b = malloc(((size_t)f->size + 1) * sizeof *b);
	uint64_t *w = calloc((nu > ni ? nu : ni) + 1, sizeof *w);
	int r;

	f->ibound = malloc(((size_t)f->size + 1) * sizeof *f->ibound);
	f->cooc_out = calloc((size_t)f->size, sizeof *f->cooc_out);
	if (b == NULL || w == NULL || f->ibound == NULL ||
	    f->cooc_out == NULL) {
		free(b);
		free(w);
		return igr_error("out of memory");
	}
	for (i = 0; i < f->n; i++)
		if (counts(f, i))
			w[f->user[i]]++;
	igr_par_split(w, nu, f->size, b);
	f->ulo = b[f->rank];
	f->uhi = f->rank == f->size - 1 ? UINT64_C(1) << 32 : b[f->rank + 1];
	memset(w, 0, (nu > ni ? nu : ni) * sizeof *w);
	for (i = 0; i < f->n; i++)
		if (counts(f, i))
			w[f->item[i]]++;
	igr_par_split(w, ni, f->size, b);
	for (r = 0; r < f->size; r++)
		f->ibound[r] = b[r];
	f->ibound[f->size] = UINT64_C(1) << 32;
	f->ilo = f->ibound[f->rank];
	f->ihi = f->ibound[f->rank + 1];
	free(b);
	free(w);
	return 0;
}

int fz_build(igr_fz *f)
{
	const igr_fz_opts *o = &f->o;
	size_t i, k, maxseg = 0, *cnt = NULL;
	uint32_t *tmp = NULL, *grp;
	uint64_t *keys = NULL;
	int rc = -1;

	/* now: explicit, else the newest event seen or the base's now */
	if (o->has_now)
		f->now = o->now;
	else if (f->n > 0)
		f->now = f->newest;
	else
		f->now = 0;
	if (!o->has_now && f->base_has_now &&
	    (f->n == 0 || f->base_now > f->now))
		f->now = f->base_now;

	f->kept = malloc((f->n ? f->n : 1) * sizeof *f->kept);
	f->contrib = malloc((f->n ? f->n : 1) * sizeof *f->contrib);
	tmp = malloc((f->n ? f->n : 1) * sizeof *tmp);
	cnt = malloc(65536 * sizeof *cnt);
	if (f->par)
		f->kept_item = malloc((f->n ? f->n : 1) * sizeof *f->kept);
	if (f->kept == NULL || f->contrib == NULL || tmp == NULL ||
	    cnt == NULL || (f->par && f->kept_item == NULL)) {
		igr_error("out of memory (%zu events)", f->n);
		goto out;
	}
	/* the ids' bounds (the graph's node counts) */
	for (i = 0; i < f->n; i++) {
		if (!counts(f, i))
			continue;
		if ((uint64_t)f->user[i] + 1 > f->ebound[IGR_USER])
			f->ebound[IGR_USER] = (uint64_t)f->user[i] + 1;
		if ((uint64_t)f->item[i] + 1 > f->ebound[IGR_ITEM])
			f->ebound[IGR_ITEM] = (uint64_t)f->item[i] + 1;
		if (f->cat[i] != IGR_NONE &&
		    (uint64_t)f->cat[i] + 1 > f->ebound[IGR_CATEGORY])
			f->ebound[IGR_CATEGORY] = (uint64_t)f->cat[i] + 1;
	}
	if (f->par && par_ranges(f) < 0)
		goto out;
	f->nkept = 0;
	f->nkept_item = 0;
	for (i = 0; i < f->n; i++) {
		double w = o->weight[f->beh[i]];
		int mu = 1, mi = 0;
		if (f->par) {
			mu = f->user[i] >= f->ulo && f->user[i] < f->uhi;
			mi = f->item[i] >= f->ilo && f->item[i] < f->ihi;
		}
		if (fz_is_forgotten(f, f->user[i])) {
			f->events_forgotten += (uint64_t)mu;
			continue;
		}
		if (w == 0 || (!mu && !mi))
			continue; /* a behaviour weighted 0 is ignored */
		/* DESIGN.md: w(behavior) * 2^-(now - ts)/h */
		f->contrib[i] = isinf(o->half_life)
					? w
					: w * exp2(-((double)f->now -
						     (double)f->ts[i]) /
						   o->half_life);
		if (mu)
			f->kept[f->nkept++] = (uint32_t)i;
		if (mi)
			f->kept_item[f->nkept_item++] = (uint32_t)i;
	}
	if (!f->par) {
		/* the item->category edges of every kept event (taken
		 * after the users' grouping reordered them: their sums go
		 * by event index anyway) */
		f->kept_item = f->kept;
		f->nkept_item = f->nkept;
	}

	/* users: UI and UC per user segment, and the segments themselves */
	grp = radix_by(f->user, f->kept, tmp, f->nkept, cnt);
	f->by_user = malloc((f->nkept ? f->nkept : 1) * sizeof *f->by_user);
	if (f->by_user == NULL) {
		igr_error("out of memory");
		goto out;
	}
	memcpy(f->by_user, grp, f->nkept * sizeof *grp);
	f->nseg = 0;
	for (i = 0; i < f->nkept; i++)
		if (i == 0 || f->user[f->by_user[i]] !=
				      f->user[f->by_user[i - 1]])
			f->nseg++;
	f->seg_user = malloc((f->nseg ? f->nseg : 1) * sizeof *f->seg_user);
	f->seg_lo = malloc((f->nseg + 1) * sizeof *f->seg_lo);
	if (f->seg_user == NULL || f->seg_lo == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < f->nkept; i++)
		if (i == 0 || f->user[f->by_user[i]] !=
				      f->user[f->by_user[i - 1]]) {
			if (k > 0 && i - f->seg_lo[k - 1] > maxseg)
				maxseg = i - f->seg_lo[k - 1];
			f->seg_user[k] = f->user[f->by_user[i]];
			f->seg_lo[k++] = i;
		}
	f->seg_lo[f->nseg] = f->nkept;
	if (f->nseg > 0 && f->nkept - f->seg_lo[f->nseg - 1] > maxseg)
		maxseg = f->nkept - f->seg_lo[f->nseg - 1];
	keys = malloc((maxseg ? maxseg : 1) * sizeof *keys);
	if (keys == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (k = 0; k < f->nseg; k++) {
		uint32_t *seg = f->by_user + f->seg_lo[k];
		size_t m = f->seg_lo[k + 1] - f->seg_lo[k], nk = 0;
		for (i = 0; i < m; i++)
			keys[i] = (uint64_t)f->item[seg[i]] << 32 | seg[i];
		sort_u64(keys, m);
		if (emit_runs(f, &f->rel[IGR_FZ_UI], f->seg_user[k], keys, m) <
		    0)
			goto out;
		for (i = 0; i < m; i++)
			if (f->cat[seg[i]] != IGR_NONE)
				keys[nk++] = (uint64_t)f->cat[seg[i]] << 32 |
					     seg[i];
		sort_u64(keys, nk);
		if (emit_runs(f, &f->rel[IGR_FZ_UC], f->seg_user[k], keys,
			      nk) < 0)
			goto out;
		if (o->cooc_window > 0 && time_order(f, seg, m) < 0)
			goto out;
	}

	/* items: IC per item segment */
	grp = radix_by(f->item, f->kept_item, tmp, f->nkept_item, cnt);
	for (i = 0; i < f->nkept_item;) {
		uint32_t it = f->item[grp[i]];
		size_t j, nk = 0;
		for (j = i; j < f->nkept_item && f->item[grp[j]] == it; j++) {
			uint32_t e = grp[j];
			if (f->cat[e] == IGR_NONE)
				continue;
			if (nk == maxseg) {
				/* an item's events can outnumber a user's */
				size_t nc = maxseg ? maxseg * 2 : 64;
				uint64_t *p = realloc(keys, nc * sizeof *keys);
				if (p == NULL) {
					igr_error("out of memory");
					goto out;
				}
				keys = p;
				maxseg = nc;
			}
			keys[nk++] = (uint64_t)f->cat[e] << 32 | e;
		}
		sort_u64(keys, nk);
		if (emit_runs(f, &f->rel[IGR_FZ_IC], it, keys, nk) < 0)
			goto out;
		i = j;
	}
	rc = 0;
out:
	free(tmp);
	free(cnt);
	free(keys);
	return rc;
}

/* ---- co-engagement ---------------------------------------------------- */

static int pairs_grow(struct fz_pairs *p)
{
	size_t nc = p->cap ? p->cap * 2 : 1 << 16, i;
	struct fz_pairs q;

	q.cap = nc;
	q.n = p->n;
	q.key = malloc(nc * sizeof *q.key);
	q.w = malloc(nc * sizeof *q.w);
	q.cnt = malloc(nc * sizeof *q.cnt);
	q.ts = malloc(nc * sizeof *q.ts);
	if (q.key == NULL || q.w == NULL || q.cnt == NULL || q.ts == NULL) {
		free(q.key);
		free(q.w);
		free(q.cnt);
		free(q.ts);
		return igr_error("out of memory (%zu item pairs)", p->n);
	}
	memset(q.key, 0xff, nc * sizeof *q.key);
	for (i = 0; i < p->cap; i++) {
		size_t h;
		if (p->key[i] == UINT64_MAX)
			continue;
		h = (size_t)((p->key[i] * 0x9e3779b97f4a7c15ULL) >> 20) &
		    (nc - 1);
		while (q.key[h] != UINT64_MAX)
			h = (h + 1) & (nc - 1);
		q.key[h] = p->key[i];
		q.w[h] = p->w[i];
		q.cnt[h] = p->cnt[i];
		q.ts[h] = p->ts[i];
	}
	free(p->key);
	free(p->w);
	free(p->cnt);
	free(p->ts);
	*p = q;
	return 0;
}

static int pairs_add(struct fz_pairs *p, uint32_t a, uint32_t b, double w,
		     int64_t ts)
{
	uint64_t key = (uint64_t)a << 32 | b;
	size_t h;

	if (2 * (p->n + 1) > p->cap && pairs_grow(p) < 0)
		return -1;
	h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (p->cap - 1);
	while (p->key[h] != UINT64_MAX && p->key[h] != key)
		h = (h + 1) & (p->cap - 1);
	if (p->key[h] == UINT64_MAX) {
		p->key[h] = key;
		p->w[h] = 0;
		p->cnt[h] = 0;
		p->ts[h] = ts;
		p->n++;
	}
	p->w[h] += w;
	if (p->cnt[h] < UINT32_MAX)
		p->cnt[h]++;
	if (ts > p->ts[h])
		p->ts[h] = ts;
	return 0;
}

/* Insert or move ITEM to its place in the recent list (newest first, ties
 * by larger item id); keep at most CAP entries. */
static void recent_put(struct fz_recent *r, uint32_t cap, uint32_t item,
		       int64_t ts)
{
	uint32_t i, pos;

	for (i = 0; i < r->n; i++)
		if (r->item[i] == item) {
			if (r->ts[i] >= ts)
				return; /* an older event changes nothing */
			memmove(r->item + i, r->item + i + 1,
				(r->n - i - 1) * sizeof *r->item);
			memmove(r->ts + i, r->ts + i + 1,
				(r->n - i - 1) * sizeof *r->ts);
			r->n--;
			break;
		}
	for (pos = 0; pos < r->n; pos++)
		if (r->ts[pos] < ts || (r->ts[pos] == ts && r->item[pos] < item))
			break;
	if (pos >= cap)
		return;
	if (r->n == cap)
		r->n--;
	memmove(r->item + pos + 1, r->item + pos,
		(r->n - pos) * sizeof *r->item);
	memmove(r->ts + pos + 1, r->ts + pos, (r->n - pos) * sizeof *r->ts);
	r->item[pos] = item;
	r->ts[pos] = ts;
	r->n++;
}

static int cooc_send(igr_fz *f, uint32_t j, int64_t t, double c,
		     uint32_t n);

int fz_cooc_segment(igr_fz *f, size_t k, const uint32_t *bitem,
		    const int64_t *bts, size_t nbase)
{
	struct fz_recent *r = &f->recent;
	uint32_t cap = f->o.cooc_max + 1, *seg;
	size_t i, m;

	if (f->o.cooc_window <= 0 || f->o.cooc_max == 0)
		return 0;
	if (r->item == NULL) {
		r->item = malloc(((size_t)cap + 1) * sizeof *r->item);
		r->ts = malloc(((size_t)cap + 1) * sizeof *r->ts);
		if (r->item == NULL || r->ts == NULL)
			return igr_error("out of memory");
	}
	if (f->par && f->partner == NULL) {
		f->partner = malloc((size_t)cap * sizeof *f->partner);
		f->powner = malloc((size_t)cap * sizeof *f->powner);
		if (f->partner == NULL || f->powner == NULL)
			return igr_error("out of memory");
	}
	r->n = 0;
	for (i = 0; i < nbase; i++)
		recent_put(r, cap, bitem[i], bts[i]);
	seg = f->by_user + f->seg_lo[k];
	m = f->seg_lo[k + 1] - f->seg_lo[k];
	for (i = 0; i < m; i++) {
		uint32_t e = seg[i], j = f->item[e], p, taken = 0;
		int64_t t = f->ts[e];
		for (p = 0; p < r->n && taken < f->o.cooc_max; p++) {
			if (r->item[p] == j)
				continue;
			if ((double)t - (double)r->ts[p] > f->o.cooc_window)
				break;
			if (f->par) {
				f->partner[taken++] = r->item[p];
				continue;
			}
			if (pairs_add(&f->pairs, r->item[p], j, f->contrib[e],
				      t) < 0 ||
			    pairs_add(&f->pairs, j, r->item[p], f->contrib[e],
				      t) < 0)
				return -1;
			taken++;
		}
		if (f->par && taken > 0 &&
		    cooc_send(f, j, t, f->contrib[e], taken) < 0)
			return -1;
		recent_put(r, cap, j, t);
	}
	return 0;
}

/* ---- co-engagement on several ranks ------------------------------------
 *
 * A pair's weight is a sum in the order of the serial run: users in
 * order, each user's events in time order.  Floating-point sums of
 * partial sums would not give its bytes, so the events travel, not
 * sums: each rank makes the pairs of its users' events and sends each
 * event, with the partners whose pairs a rank owns, to that rank (a
 * record: item j, partner count n, time, weight, n partners; the owner
 * of j gets every partner, for j -> p).  An owner adds the records of
 * rank 0, then rank 1 ..., each in its order: the serial order. */

#define REC_HEAD (2 * sizeof(uint32_t) + sizeof(int64_t) + sizeof(double))

/* The rank that owns ITEM. */
static int item_owner(const igr_fz *f, uint32_t item)
{
	int lo = 0, hi = f->size - 1;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if ((uint64_t)item >= f->ibound[mid])
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int put_record(struct fz_bytes *b, uint32_t j, int64_t t, double c,
		      const uint32_t *p, const uint32_t *own, uint32_t n,
		      int keep)
{
	uint32_t k, m = 0;
	unsigned char *q;

	for (k = 0; k < n; k++)
		m += own == NULL || (int)own[k] == keep;
	if (igr_grow(&b->p, &b->cap, b->n + REC_HEAD + (size_t)m * 4, 1) < 0)
		return -1;
	q = b->p + b->n;
	memcpy(q, &j, 4);
	memcpy(q + 4, &m, 4);
	memcpy(q + 8, &t, 8);
	memcpy(q + 16, &c, 8);
	q += REC_HEAD;
	for (k = 0; k < n; k++)
		if (own == NULL || (int)own[k] == keep) {
			memcpy(q, &p[k], 4);
			q += 4;
		}
	b->n = (size_t)(q - b->p);
	return 0;
}

/* One event's pairs (item J at T, weight C, the N partners in
 * f->partner) to the ranks that own them. */
static int cooc_send(igr_fz *f, uint32_t j, int64_t t, double c,
		     uint32_t n)
{
	int oj = item_owner(f, j);
	uint32_t k, l;

	if (put_record(&f->cooc_out[oj], j, t, c, f->partner, NULL, n, 0) <
	    0)
		return -1;
	for (k = 0; k < n; k++)
		f->powner[k] = (uint32_t)item_owner(f, f->partner[k]);
	for (k = 0; k < n; k++) {
		int o = (int)f->powner[k];
		if (o == oj)
			continue;
		if (put_record(&f->cooc_out[o], j, t, c, f->partner,
			       f->powner, n, o) < 0)
			return -1;
		for (l = k; l < n; l++)
			if ((int)f->powner[l] == o)
				f->powner[l] = (uint32_t)oj; /* done */
	}
	return 0;
}

/* The records P[0..len) of one rank into this rank's pairs. */
static int cooc_add(igr_fz *f, const unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off + REC_HEAD <= len) {
		uint32_t j, m, k, q;
		int64_t t;
		double c;
		int ownj;
		memcpy(&j, p + off, 4);
		memcpy(&m, p + off + 4, 4);
		memcpy(&t, p + off + 8, 8);
		memcpy(&c, p + off + 16, 8);
		off += REC_HEAD;
		if ((size_t)m * 4 > len - off)
			break;
		ownj = j >= f->ilo && j < f->ihi;
		for (k = 0; k < m; k++, off += 4) {
			memcpy(&q, p + off, 4);
			/* the serial order within an event: p -> j, j -> p */
			if (q >= f->ilo && q < f->ihi &&
			    pairs_add(&f->pairs, q, j, c, t) < 0)
				return -1;
			if (ownj && pairs_add(&f->pairs, j, q, c, t) < 0)
				return -1;
		}
	}
	if (off != len)
		return igr_error("internal error: co-engagement records cut "
				 "short");
	return 0;
}

int fz_cooc_exchange(igr_fz *f)
{
	const void **send = calloc((size_t)f->size, sizeof *send);
	uint64_t *len = calloc((size_t)f->size, sizeof *len);
	uint64_t *rlen = calloc((size_t)f->size, sizeof *rlen);
	void **recv = calloc((size_t)f->size, sizeof *recv);
	int r, rc = 0;

	if (send == NULL || len == NULL || rlen == NULL || recv == NULL)
		rc = igr_error("out of memory");
	if (igr_par_agree(rc) < 0) {
		free(send);
		free(len);
		free(rlen);
		free(recv);
		return -1;
	}
	for (r = 0; r < f->size; r++) {
		send[r] = f->cooc_out[r].p;
		len[r] = f->cooc_out[r].n;
	}
	igr_par_step("co-engagement");
	rc = igr_par_alltoall(send, len, recv, rlen);
	for (r = 0; rc == 0 && r < f->size; r++)
		rc = r == f->rank
			     ? cooc_add(f, f->cooc_out[r].p, f->cooc_out[r].n)
			     : cooc_add(f, recv[r], (size_t)rlen[r]);
	for (r = 0; r < f->size; r++) {
		free(recv[r]);
		free(f->cooc_out[r].p);
		memset(&f->cooc_out[r], 0, sizeof f->cooc_out[r]);
	}
	free(send);
	free(len);
	free(rlen);
	free(recv);
	return rc;
}

int fz_wlog_add(igr_fz *f, int section, int rel, float w)
{
	struct fz_wlog *l = &f->wlog[section][rel];

	if (l->n == l->cap &&
	    igr_grow(&l->w, &l->cap, l->n + 1, sizeof *l->w) < 0)
		return -1;
	l->w[l->n++] = w;
	return 0;
}

struct kslot {
	uint64_t key;
	size_t slot;
};

static int cmp_kslot(const void *a, const void *b)
{
	const struct kslot *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

int fz_cooc_finish(igr_fz *f)
{
	struct fz_pairs *p = &f->pairs;
	struct kslot *ks;
	size_t i, n = 0;

	if (p->n == 0)
		return 0;
	ks = malloc(p->n * sizeof *ks);
	if (ks == NULL)
		return igr_error("out of memory (%zu item pairs)", p->n);
	for (i = 0; i < p->cap; i++)
		if (p->key[i] != UINT64_MAX) {
			ks[n].key = p->key[i];
			ks[n++].slot = i;
		}
	qsort(ks, n, sizeof *ks, cmp_kslot);
	for (i = 0; i < n; i++) {
		size_t s = ks[i].slot;
		if (list_push(&f->rel[IGR_FZ_II], (uint32_t)(p->key[s] >> 32),
			      (uint32_t)p->key[s], p->w[s], p->cnt[s],
			      p->ts[s]) < 0) {
			free(ks);
			return -1;
		}
	}
	free(ks);
	free(p->key);
	free(p->w);
	free(p->cnt);
	free(p->ts);
	memset(p, 0, sizeof *p);
	return 0;
}
