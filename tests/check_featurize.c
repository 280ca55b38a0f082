/* check_featurize.c - the interest graph: hand-computed weights, the merge
 * equal to a rebuild (with and without co-engagement), pruning and the
 * degree cap, forgetting, the report, base graph checks. */
#include "testutil.h"

#include "error.h"
#include "featurize.h"
#include "stream.h"

#include <math.h>

static igr_event ev(int64_t ts, uint32_t user, uint32_t item, uint32_t cat,
		    int b)
{
	igr_event e;

	memset(&e, 0, sizeof e);
	e.ts = ts;
	e.user = user;
	e.item = item;
	e.category = cat;
	e.behavior = (uint8_t)b;
	e.value = 1;
	return e;
}

static void put_events(const char *path, const igr_event *e, size_t n)
{
	igr_writer *w = igr_writer_open(path, IGR_KIND_EVENTS, IGR_ENC_BINARY);
	size_t i;

	ck_assert_ptr_nonnull(w);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(igr_write_event(w, &e[i]), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
}

/* Featurize EVENTS (a path) onto BASE (a path or NULL) into OUT; returns
 * what igr_fz_use_base / igr_fz_write returned. */
static int build(const igr_fz_opts *o, const char *events, const char *base,
		 const char *out, const uint32_t *forget, int nforget,
		 igr_fz_report *rep)
{
	igr_fz *f = igr_fz_new(o);
	igr_reader *r = igr_reader_open(events, IGR_KIND_EVENTS), *b = NULL;
	igr_writer *w;
	int rc = 0, i;

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	for (i = 0; i < nforget; i++)
		ck_assert_int_eq(igr_fz_forget(f, forget[i]), 0);
	if (base != NULL) {
		b = igr_reader_open(base, 0);
		ck_assert_msg(b != NULL, "%s", igr_errmsg());
		rc = igr_fz_use_base(f, b);
	}
	if (rc == 0)
		ck_assert_int_eq(igr_fz_read_events(f, r), 0);
	w = igr_writer_open(out, IGR_KIND_GRAPH, IGR_ENC_BINARY);
	ck_assert_ptr_nonnull(w);
	if (rc == 0)
		rc = igr_fz_write(f, b, w, rep);
	if (rc == 0)
		ck_assert_int_eq(igr_writer_close(w), 0);
	else
		igr_writer_abort(w);
	igr_reader_close(r);
	igr_reader_close(b);
	igr_fz_free(f);
	return rc;
}

/* All edges of graph PATH, checked to be in strictly increasing order. */
static size_t load(const char *path, igr_edge **out, igr_reader **keep)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_GRAPH);
	igr_edge *a = NULL, e;
	size_t n = 0, cap = 0;
	int rc;

	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	while ((rc = igr_read_edge(r, &e)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			a = realloc(a, cap * sizeof *a);
			ck_assert_ptr_nonnull(a);
		}
		if (n > 0) {
			const igr_edge *p = &a[n - 1];
			int order = p->src_type != e.src_type
					    ? p->src_type < e.src_type
				    : p->src != e.src ? p->src < e.src
				    : p->dst_type != e.dst_type
					    ? p->dst_type < e.dst_type
					    : p->dst < e.dst;
			ck_assert_msg(order, "edge %zu out of order", n);
		}
		a[n++] = e;
	}
	ck_assert_int_eq(rc, 0);
	if (keep != NULL)
		*keep = r;
	else
		igr_reader_close(r);
	*out = a;
	return n;
}

static const igr_edge *find(const igr_edge *a, size_t n, int st, uint32_t s,
			    int dt, uint32_t d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].src_type == st && a[i].src == s && a[i].dst_type == dt &&
		    a[i].dst == d)
			return &a[i];
	return NULL;
}

#define DAY 86400

START_TEST(hand_computed_weights)
{
	int64_t now = 1000 * DAY;
	igr_event e[] = {
		ev(now, 0, 0, 0, IGR_VIEW),          /* 1 */
		ev(now - DAY, 0, 0, 0, IGR_BUY),     /* 5 * 0.5 */
		ev(now - 2 * DAY, 0, 1, 0, IGR_CART), /* 3 * 0.25 */
		ev(now, 1, 1, IGR_NONE, IGR_CLICK),  /* 1, no category */
		ev(now - 9, 1, 3, 0, IGR_FAV),
	};
	igr_fz_opts o;
	igr_fz_report rep;
	igr_edge *a;
	const igr_edge *x;
	igr_reader *r;
	const igr_header *h;
	size_t n;

	igr_fz_opts_init(&o);
	o.half_life = DAY;
	o.min_weight = 0;
	o.weight[IGR_FAV] = 0; /* ignored */
	put_events(tu_path("ev"), e, 5);
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("g"), NULL, 0,
			       &rep),
			 0);
	n = load(tu_path("g"), &a, &r);
	h = igr_reader_header(r);
	ck_assert_str_eq(igr_header_get(h, "now"), "86400000");
	ck_assert_str_eq(igr_header_get(h, "half_life"), "86400");
	ck_assert_str_eq(igr_header_get(h, "weights"),
			 "view=1,click=1,fav=0,cart=3,buy=5,review=4");
	ck_assert_str_eq(igr_header_get(h, "nodes.user"), "2");
	ck_assert_str_eq(igr_header_get(h, "nodes.item"), "2");
	ck_assert_str_eq(igr_header_get(h, "nodes.category"), "1");
	igr_reader_close(r);
	/* UI (0,0) (0,1) (1,1); UC (0,0); IC (0,0) (1,0) */
	ck_assert_uint_eq(n, 6);
	x = find(a, n, IGR_USER, 0, IGR_ITEM, 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_float_eq_tol(x->weight, 3.5, 1e-6);
	ck_assert_uint_eq(x->count, 2);
	ck_assert_int_eq(x->last_ts, now);
	x = find(a, n, IGR_USER, 0, IGR_ITEM, 1);
	ck_assert_float_eq_tol(x->weight, 0.75, 1e-6);
	ck_assert_int_eq(x->last_ts, now - 2 * DAY);
	x = find(a, n, IGR_USER, 1, IGR_ITEM, 1);
	ck_assert_float_eq_tol(x->weight, 1, 1e-6);
	x = find(a, n, IGR_USER, 0, IGR_CATEGORY, 0);
	ck_assert_float_eq_tol(x->weight, 4.25, 1e-6);
	ck_assert_uint_eq(x->count, 3);
	ck_assert_ptr_null(find(a, n, IGR_USER, 1, IGR_CATEGORY, 0));
	x = find(a, n, IGR_ITEM, 0, IGR_CATEGORY, 0);
	ck_assert_float_eq_tol(x->weight, 3.5, 1e-6);
	x = find(a, n, IGR_ITEM, 1, IGR_CATEGORY, 0);
	ck_assert_float_eq_tol(x->weight, 0.75, 1e-6);
	ck_assert_uint_eq(x->count, 1);
	ck_assert_uint_eq(rep.events, 5);
	ck_assert_uint_eq(rep.users_touched, 2);
	ck_assert_uint_eq(rep.users_new, 2);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UI].added, 3);
	ck_assert_uint_eq(rep.rel[IGR_FZ_IC].edges, 2);
	igr_fz_report_free(&rep);
	free(a);

	/* no decay, and an explicit now */
	o.half_life = INFINITY;
	o.has_now = 1;
	o.now = now + 77 * DAY;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("g"), NULL, 0,
			       NULL),
			 0);
	n = load(tu_path("g"), &a, &r);
	ck_assert_str_eq(igr_header_get(igr_reader_header(r), "half_life"),
			 "inf");
	igr_reader_close(r);
	x = find(a, n, IGR_USER, 0, IGR_CATEGORY, 0);
	ck_assert_float_eq_tol(x->weight, 1 + 5 + 3, 1e-6);
	free(a);
}
END_TEST

/* A reproducible log: NU users, NI items in NC categories, N events over
 * DAYS days, time-ordered (xorshift64, Marsaglia 2003). */
#define NU 60
#define NI 300
#define NC 12
#define NEV 6000
#define DAYS 6

static size_t make_log(igr_event *e, uint64_t seed)
{
	uint64_t s = seed;
	size_t i;

	for (i = 0; i < NEV; i++) {
		uint32_t item;
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		item = (uint32_t)(s % NI);
		/* a user browses a few items repeatedly: items near its id */
		if ((s >> 40) % 3 == 0)
			item = (uint32_t)(((s >> 20) % NU) * 5 + (s >> 50) % 4) %
			       NI;
		e[i] = ev(1500000000 + (int64_t)(i * (uint64_t)DAYS * DAY / NEV),
			  (uint32_t)((s >> 20) % NU), item,
			  item % 7 == 6 ? IGR_NONE : item % NC,
			  (int)((s >> 33) % IGR_NBEHAVIOR));
	}
	return NEV;
}

static void compare(const char *pa, const char *pb, double tol)
{
	igr_edge *a, *b;
	size_t na = load(pa, &a, NULL), nb = load(pb, &b, NULL), i;

	ck_assert_uint_eq(na, nb);
	for (i = 0; i < na; i++) {
		double d = fabs((double)a[i].weight - b[i].weight);
		double m = fmax(fabs(a[i].weight), fabs(b[i].weight));
		ck_assert_uint_eq(a[i].src_type, b[i].src_type);
		ck_assert_uint_eq(a[i].src, b[i].src);
		ck_assert_uint_eq(a[i].dst_type, b[i].dst_type);
		ck_assert_uint_eq(a[i].dst, b[i].dst);
		ck_assert_uint_eq(a[i].count, b[i].count);
		ck_assert_int_eq(a[i].last_ts, b[i].last_ts);
		ck_assert_msg(d <= tol * m, "edge %zu: %.9g vs %.9g", i,
			      a[i].weight, b[i].weight);
	}
	free(a);
	free(b);
}

/* Day d of LOG into PATH. */
static void put_day(const igr_event *log, size_t n, int d, const char *path)
{
	int64_t lo = 1500000000 + (int64_t)d * DAY, hi = lo + DAY;
	size_t i, m = 0;
	igr_event *part = malloc(n * sizeof *part);

	for (i = 0; i < n; i++)
		if (log[i].ts >= lo && log[i].ts < hi)
			part[m++] = log[i];
	put_events(path, part, m);
	free(part);
}

static void merge_vs_rebuild(const igr_fz_opts *o)
{
	igr_event *log = malloc(NEV * sizeof *log);
	size_t n = make_log(log, 88172645463325252ULL);
	int d;

	put_day(log, n, 0, tu_path("day"));
	ck_assert_int_eq(build(o, tu_path("day"), NULL, tu_path("m"), NULL, 0,
			       NULL),
			 0);
	for (d = 1; d < DAYS; d++) {
		igr_fz_opts oo = *o;
		/* the base provides half-life, weights, co-engagement */
		oo.half_life_set = oo.weights_set = oo.cooc_set = 0;
		put_day(log, n, d, tu_path("day"));
		ck_assert_int_eq(build(&oo, tu_path("day"), tu_path("m"),
				       tu_path("m2"), NULL, 0, NULL),
				 0);
		ck_assert_int_eq(rename(tu_path("m2"), tu_path("m")), 0);
		/* the rebuild of days 0..d */
		{
			size_t m = 0, i;
			int64_t hi = 1500000000 + (int64_t)(d + 1) * DAY;
			for (i = 0; i < n && log[i].ts < hi; i++)
				m++;
			put_events(tu_path("all"), log, m);
		}
		ck_assert_int_eq(build(o, tu_path("all"), NULL, tu_path("f"),
				       NULL, 0, NULL),
				 0);
		compare(tu_path("m"), tu_path("f"), 1e-5);
	}
	free(log);
}

START_TEST(merge_equals_rebuild)
{
	igr_fz_opts o;

	igr_fz_opts_init(&o);
	o.half_life = 2 * DAY;
	o.min_weight = 0;
	merge_vs_rebuild(&o);
}
END_TEST

START_TEST(merge_equals_rebuild_cooc)
{
	igr_fz_opts o;

	igr_fz_opts_init(&o);
	o.half_life = 3 * DAY;
	o.min_weight = 0;
	o.cooc_window = 3600;
	o.cooc_max = 3;
	merge_vs_rebuild(&o);
}
END_TEST

START_TEST(cooc_by_hand)
{
	igr_event e[] = {
		ev(0, 0, 1, IGR_NONE, IGR_VIEW),
		ev(10, 0, 2, IGR_NONE, IGR_BUY),
		ev(5000, 0, 3, IGR_NONE, IGR_VIEW), /* out of the window */
		ev(5001, 1, 2, IGR_NONE, IGR_VIEW), /* another user */
		ev(5002, 0, 3, IGR_NONE, IGR_VIEW), /* the same item again */
	};
	igr_fz_opts o;
	igr_edge *a;
	const igr_edge *x;
	size_t n, i, nii = 0;

	igr_fz_opts_init(&o);
	o.half_life = INFINITY;
	o.cooc_window = 100;
	put_events(tu_path("ev"), e, 5);
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("g"), NULL, 0,
			       NULL),
			 0);
	n = load(tu_path("g"), &a, NULL);
	for (i = 0; i < n; i++)
		nii += a[i].src_type == IGR_ITEM && a[i].dst_type == IGR_ITEM;
	ck_assert_uint_eq(nii, 2);
	x = find(a, n, IGR_ITEM, 1, IGR_ITEM, 2);
	ck_assert_ptr_nonnull(x);
	ck_assert_float_eq_tol(x->weight, 5, 1e-6); /* the buy's weight */
	ck_assert_uint_eq(x->count, 1);
	ck_assert_int_eq(x->last_ts, 10);
	ck_assert_ptr_nonnull(find(a, n, IGR_ITEM, 2, IGR_ITEM, 1));
	free(a);
}
END_TEST

START_TEST(prune_and_cap)
{
	igr_event *log = malloc(NEV * sizeof *log);
	size_t n = make_log(log, 12345), nf, nc, i, ui = 0;
	igr_fz_opts o;
	igr_fz_report rep;
	igr_edge *full, *cut;

	put_events(tu_path("ev"), log, n);
	igr_fz_opts_init(&o);
	o.half_life = DAY;
	o.min_weight = 0;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("full"),
			       NULL, 0, NULL),
			 0);
	nf = load(tu_path("full"), &full, NULL);
	o.min_weight = 0.5;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("cut"), NULL,
			       0, &rep),
			 0);
	nc = load(tu_path("cut"), &cut, NULL);
	/* exactly the edges under 0.5 went, item->category excepted */
	for (i = 0; i < nf; i++) {
		const igr_edge *e = &full[i];
		int ic = e->src_type == IGR_ITEM && e->dst_type == IGR_CATEGORY;
		const igr_edge *k = find(cut, nc, e->src_type, e->src,
					 e->dst_type, e->dst);
		ck_assert_int_eq(k != NULL, ic || e->weight >= 0.5f);
	}
	ck_assert_uint_eq(nf - nc, rep.rel[IGR_FZ_UI].pruned +
					   rep.rel[IGR_FZ_UC].pruned);
	ck_assert_uint_gt(rep.rel[IGR_FZ_UI].pruned, 0);
	igr_fz_report_free(&rep);
	free(cut);

	/* the degree cap keeps each row's strongest */
	o.min_weight = 0;
	o.max_degree = 3;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("cut"), NULL,
			       0, NULL),
			 0);
	nc = load(tu_path("cut"), &cut, NULL);
	for (i = 0; i < nc; i++) {
		const igr_edge *e = &cut[i];
		size_t j, deg = 0, stronger = 0;
		if (e->src_type != IGR_USER || e->dst_type != IGR_ITEM)
			continue;
		ui++;
		for (j = 0; j < nf; j++)
			if (full[j].src_type == IGR_USER &&
			    full[j].dst_type == IGR_ITEM &&
			    full[j].src == e->src) {
				deg++;
				stronger += full[j].weight > e->weight;
			}
		ck_assert_uint_lt(stronger, 3);
		(void)deg;
	}
	ck_assert_uint_le(ui, 3 * NU);
	ck_assert_uint_gt(ui, 0);
	free(cut);
	free(full);
	free(log);
}
END_TEST

START_TEST(forget_users)
{
	igr_event *log = malloc(NEV * sizeof *log);
	size_t n = make_log(log, 777), i, nb, nm;
	igr_fz_opts o;
	igr_fz_report rep;
	igr_edge *a;
	uint32_t gone[] = { 3, 17 };
	uint64_t ev3 = 0;

	for (i = 0; i < n; i++)
		ev3 += log[i].user == 3 || log[i].user == 17;
	put_events(tu_path("ev"), log, n / 2);
	put_events(tu_path("ev2"), log + n / 2, n - n / 2);
	igr_fz_opts_init(&o);
	o.min_weight = 0;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("base"), NULL,
			       0, NULL),
			 0);
	nb = load(tu_path("base"), &a, NULL);
	for (i = 0, nm = 0; i < nb; i++)
		nm += a[i].src_type == IGR_USER && a[i].src == 3;
	ck_assert_uint_gt(nm, 0); /* there is something to forget */
	free(a);
	igr_fz_opts_init(&o);
	o.min_weight = 0;
	ck_assert_int_eq(build(&o, tu_path("ev2"), tu_path("base"),
			       tu_path("g"), gone, 2, &rep),
			 0);
	nm = load(tu_path("g"), &a, NULL);
	for (i = 0; i < nm; i++)
		ck_assert(!(a[i].src_type == IGR_USER &&
			    (a[i].src == 3 || a[i].src == 17)));
	ck_assert_uint_gt(rep.rel[IGR_FZ_UI].forgotten, 0);
	ck_assert_uint_gt(rep.rel[IGR_FZ_UC].forgotten, 0);
	ck_assert_uint_eq(rep.users_forgotten, 2);
	ck_assert_uint_gt(rep.events_forgotten, 0);
	ck_assert_uint_lt(rep.events_forgotten, ev3);
	igr_fz_report_free(&rep);
	free(a);
	free(log);
}
END_TEST

START_TEST(report_counts_and_drift)
{
	int64_t t0 = 1000 * DAY;
	igr_event base[] = {
		/* user 0: categories 0 > 1 > 2 > 3, items 0 1 */
		ev(t0, 0, 0, 0, IGR_BUY),
		ev(t0, 0, 1, 1, IGR_CART),
		ev(t0, 0, 2, 2, IGR_FAV),
		ev(t0, 0, 3, 3, IGR_VIEW),
		/* user 1: one category */
		ev(t0, 1, 0, 0, IGR_VIEW),
	};
	igr_event more[] = {
		/* user 0 buys in category 3 twice: new top category */
		ev(t0 + 10, 0, 3, 3, IGR_BUY),
		ev(t0 + 20, 0, 4, 3, IGR_BUY),
		/* user 2 is new */
		ev(t0 + 30, 2, 1, 1, IGR_VIEW),
	};
	igr_fz_opts o;
	igr_fz_report rep;
	char *text;
	size_t len;
	igr_out *out;

	igr_fz_opts_init(&o);
	o.min_weight = 0;
	put_events(tu_path("b"), base, 5);
	put_events(tu_path("m"), more, 3);
	ck_assert_int_eq(build(&o, tu_path("b"), NULL, tu_path("g0"), NULL, 0,
			       NULL),
			 0);
	igr_fz_opts_init(&o);
	o.min_weight = 0;
	ck_assert_int_eq(build(&o, tu_path("m"), tu_path("g0"), tu_path("g1"),
			       NULL, 0, &rep),
			 0);
	ck_assert(rep.has_base);
	ck_assert_int_eq(rep.now, t0 + 30);
	ck_assert_int_eq(rep.base_now, t0);
	ck_assert_uint_eq(rep.users_touched, 2);
	ck_assert_uint_eq(rep.users_new, 1);
	/* UI: base 5 edges; (0,3) strengthened, (0,4) (2,1) added */
	ck_assert_uint_eq(rep.rel[IGR_FZ_UI].edges, 7);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UI].added, 2);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UI].strengthened, 1);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UI].decayed, 4);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UC].strengthened, 1);
	ck_assert_uint_eq(rep.rel[IGR_FZ_UC].added, 1);
	/* user 0: top 0,1,2 became 3,0,1 */
	ck_assert_uint_eq(rep.users_top1_changed, 1);
	ck_assert_uint_eq(rep.users_top3_changed, 1);
	ck_assert_uint_eq(rep.changed[0].user, 0);
	ck_assert_uint_eq(rep.changed[0].old_top[0], 0);
	ck_assert_uint_eq(rep.changed[0].old_top[2], 2);
	ck_assert_uint_eq(rep.changed[0].new_top[0], 3);
	ck_assert_uint_eq(rep.changed[0].new_top[1], 0);
	ck_assert_float_eq_tol(rep.rel[IGR_FZ_UI].w.max, 5 + 1 * 1.0, 0.01);
	/* the two report formats */
	out = igr_out_open(tu_path("rep.tsv"));
	ck_assert_int_eq(igr_fz_report_write(&rep, out, 0, NULL), 0);
	ck_assert_int_eq(igr_out_close(out), 0);
	text = (char *)tu_read(tu_path("rep.tsv"), &len);
	ck_assert_ptr_nonnull(strstr(text, "metric\tkey\tvalue\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nadded\tuser-item\t2\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nusers_top3_changed\t-\t1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\ntop3_changed\t0\t0,1,2>3,0,1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nweight_hist\tuser-item:[4,8)\t"));
	free(text);
	out = igr_out_open(tu_path("rep.json"));
	ck_assert_int_eq(igr_fz_report_write(&rep, out, 1, NULL), 0);
	ck_assert_int_eq(igr_out_close(out), 0);
	text = (char *)tu_read(tu_path("rep.json"), &len);
	ck_assert_ptr_nonnull(strstr(text, "\"users_top3_changed\":1"));
	ck_assert_ptr_nonnull(
		strstr(text, "{\"user\":\"0\",\"old\":[\"0\",\"1\",\"2\"],"
			     "\"new\":[\"3\",\"0\",\"1\"]}"));
	free(text);
	igr_fz_report_free(&rep);
}
END_TEST

START_TEST(base_checks)
{
	igr_event e[] = { ev(100, 0, 0, 0, IGR_VIEW), ev(200, 1, 1, 0, IGR_BUY) };
	igr_fz_opts o;
	igr_writer *w;
	igr_edge x;

	put_events(tu_path("ev"), e, 2);
	igr_fz_opts_init(&o);
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("g"), NULL, 0,
			       NULL),
			 0);
	/* a different half-life or weights, given explicitly */
	o.half_life = 3600;
	o.half_life_set = 1;
	ck_assert_int_eq(build(&o, tu_path("ev"), tu_path("g"), tu_path("h"),
			       NULL, 0, NULL),
			 -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "half-life"));
	igr_fz_opts_init(&o);
	o.weight[IGR_BUY] = 7;
	o.weights_set = 1;
	ck_assert_int_eq(build(&o, tu_path("ev"), tu_path("g"), tu_path("h"),
			       NULL, 0, NULL),
			 -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "weights"));
	/* events where the base belongs */
	igr_fz_opts_init(&o);
	ck_assert_int_eq(build(&o, tu_path("ev"), tu_path("ev"), tu_path("h"),
			       NULL, 0, NULL),
			 -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "not a graph"));
	/* a graph without featurize's header */
	w = igr_writer_open(tu_path("bare"), IGR_KIND_GRAPH, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_writer_close(w), 0);
	ck_assert_int_eq(build(&o, tu_path("ev"), tu_path("bare"),
			       tu_path("h"), NULL, 0, NULL),
			 -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "now"));
	/* out of order */
	w = igr_writer_open(tu_path("bad"), IGR_KIND_GRAPH, IGR_ENC_TSV);
	ck_assert_int_eq(igr_writer_set_meta(w, "now", "150"), 0);
	ck_assert_int_eq(igr_writer_set_meta(w, "half_life", "604800"), 0);
	ck_assert_int_eq(igr_writer_set_meta(w, "weights", "buy=5"), 0);
	x = (igr_edge){ IGR_USER, IGR_ITEM, 5, 1, 1.0f, 1, 100 };
	ck_assert_int_eq(igr_write_edge(w, &x), 0);
	x.src = 2;
	ck_assert_int_eq(igr_write_edge(w, &x), 0);
	ck_assert_int_eq(igr_writer_close(w), 0);
	ck_assert_int_eq(build(&o, tu_path("ev"), tu_path("bad"), tu_path("h"),
			       NULL, 0, NULL),
			 -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "out of order"));
}
END_TEST

START_TEST(weights_text)
{
	double w[IGR_NBEHAVIOR];
	char buf[256];
	igr_fz_opts o;

	igr_fz_opts_init(&o);
	memcpy(w, o.weight, sizeof w);
	ck_assert_int_eq(igr_fz_parse_weights("buy=4.5,view=0", w), 0);
	ck_assert(w[IGR_BUY] == 4.5 && w[IGR_VIEW] == 0 && w[IGR_CART] == 3);
	igr_fz_format_weights(buf, w);
	ck_assert_str_eq(buf, "view=0,click=1,fav=2,cart=3,buy=4.5,review=4");
	ck_assert_int_eq(igr_fz_parse_weights("clik=1", w), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "clik"));
	ck_assert_int_eq(igr_fz_parse_weights("buy=-1", w), -1);
	ck_assert_int_eq(igr_fz_parse_weights("buy", w), -1);
	ck_assert_int_eq(igr_fz_parse_weights("buy=1x", w), -1);
	ck_assert_int_eq(igr_fz_parse_weights("", w), -1);
}
END_TEST

START_TEST(distribution_quantiles)
{
	/* weights 2^(-i/100), i = 0..999: one user->item edge each */
	igr_event *e = malloc(1000 * sizeof *e);
	igr_fz_opts o;
	igr_fz_report rep;
	igr_weighthist d;
	const igr_weighthist *w;
	int i;

	memset(&d, 0, sizeof d);
	ck_assert(igr_weighthist_quantile(&d, 0.5) == 0);
	for (i = 0; i < 1000; i++)
		e[i] = ev(-(int64_t)i * 864, (uint32_t)i, 0, IGR_NONE,
			  IGR_VIEW);
	put_events(tu_path("ev"), e, 1000);
	free(e);
	igr_fz_opts_init(&o);
	o.half_life = 86400;
	o.min_weight = 0;
	ck_assert_int_eq(build(&o, tu_path("ev"), NULL, tu_path("g"), NULL, 0,
			       &rep),
			 0);
	w = &rep.rel[IGR_FZ_UI].w;
	ck_assert_uint_eq(w->n, 1000);
	ck_assert_float_eq_tol(w->max, 1, 1e-7);
	ck_assert_float_eq_tol(w->min, exp2(-9.99), 1e-7);
	/* the 500th smallest is i = 500 */
	ck_assert_float_eq_tol(igr_weighthist_quantile(w, 0.5), exp2(-5.0),
			       0.032 * exp2(-5.0));
	ck_assert_float_eq_tol(igr_weighthist_quantile(w, 0.9), exp2(-1.0),
			       0.032 * exp2(-1.0));
	igr_fz_report_free(&rep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("featurize");
	TCase *tc = tcase_create("featurize");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, hand_computed_weights);
	tcase_add_test(tc, merge_equals_rebuild);
	tcase_add_test(tc, merge_equals_rebuild_cooc);
	tcase_add_test(tc, cooc_by_hand);
	tcase_add_test(tc, prune_and_cap);
	tcase_add_test(tc, forget_users);
	tcase_add_test(tc, report_counts_and_drift);
	tcase_add_test(tc, base_checks);
	tcase_add_test(tc, weights_text);
	tcase_add_test(tc, distribution_quantiles);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
