/* check_gen.c - the synthetic log generator: the same bytes for the same
 * seed, exact row counts, the time window, the Taobao layout and mix, the
 * funnel, drifting interests, the item catalogue, option errors. */
#include "testutil.h"

#include "error.h"
#include "gen.h"
#include "io.h"

#include <inttypes.h>

/* Check reports every ck_assert through a pipe: in loops over rows use
 * this, which costs nothing until it fails. */
#define REQUIRE(cond, ...)                                                   \
	do {                                                                 \
		if (!(cond))                                                 \
			ck_abort_msg(__VA_ARGS__);                           \
	} while (0)

typedef struct row {
	uint64_t user, item, cat;
	int64_t ts;
	int b;
	size_t seq; /* line number: a total order for sorting */
} row;

static const char *const bnames[] = { "pv", "cart", "fav", "buy" };

/* The generated files are written atomically, with fsync: on tmpfs
 * (/dev/shm) that costs nothing, on a busy disk it is most of the time. */
static void gen_setup(void)
{
	strcpy(tu_dir, "/dev/shm/igraph-check.XXXXXX");
	if (mkdtemp(tu_dir) == NULL)
		tu_setup();
}

static igr_gen_opts small_opts(void)
{
	igr_gen_opts o;

	igr_gen_opts_init(&o);
	o.users = 300;
	o.events = 20000;
	o.items = 3000;
	o.categories = 100;
	return o;
}

/* Generate O into PATH (and the catalogue into ITEMS if not NULL). */
static void gen_file(const igr_gen_opts *o, int order, const char *path,
		     const char *items)
{
	igr_gen *g = igr_gen_new(o);
	igr_out *out;

	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	out = igr_out_open(path);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(igr_gen_write_events(g, out, order, NULL, NULL), 0);
	ck_assert_int_eq(igr_out_close(out), 0);
	if (items != NULL) {
		out = igr_out_open(items);
		ck_assert_ptr_nonnull(out);
		ck_assert_int_eq(igr_gen_write_items(g, out), 0);
		ck_assert_int_eq(igr_out_close(out), 0);
	}
	igr_gen_free(g);
}

static uint64_t field_u64(char **p, char sep)
{
	char *end;
	uint64_t v;

	REQUIRE(**p >= '0' && **p <= '9', "bad field at '%.20s'", *p);
	v = strtoull(*p, &end, 10);
	REQUIRE(*end == sep, "bad separator at '%.20s'", end);
	*p = end + 1;
	return v;
}

/* Parse a Taobao CSV strictly: five fields, known behaviours. */
static row *read_rows(const char *path, size_t *n)
{
	size_t len, cap = 1024, i = 0;
	char *buf = (char *)tu_read(path, &len), *p = buf;
	row *r = malloc(cap * sizeof *r);

	REQUIRE(r != NULL, "out of memory");
	while (p < buf + len) {
		char *comma;
		int b;
		if (i == cap) {
			cap *= 2;
			r = realloc(r, cap * sizeof *r);
			REQUIRE(r != NULL, "out of memory");
		}
		r[i].user = field_u64(&p, ',');
		r[i].item = field_u64(&p, ',');
		r[i].cat = field_u64(&p, ',');
		comma = strchr(p, ',');
		REQUIRE(comma != NULL, "short line");
		for (b = 0; b < 4; b++)
			if ((size_t)(comma - p) == strlen(bnames[b]) &&
			    memcmp(p, bnames[b], strlen(bnames[b])) == 0)
				break;
		REQUIRE(b < 4, "unknown behaviour '%.*s'",
			      (int)(comma - p), p);
		r[i].b = b;
		p = comma + 1;
		r[i].ts = (int64_t)field_u64(&p, '\n');
		r[i].seq = i;
		i++;
	}
	free(buf);
	*n = i;
	return r;
}

static int cmp_user_item_ts(const void *a, const void *b)
{
	const row *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_all(const void *a, const void *b)
{
	const row *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->b - y->b;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* FNV-1a 64 of a file's bytes */
static uint64_t file_hash(const char *path)
{
	size_t n, i;
	unsigned char *b = tu_read(path, &n);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	free(b);
	return h;
}

static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *x = tu_read(a, &na), *y = tu_read(b, &nb);
	int same = na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

/* ---- determinism ------------------------------------------------------- */

START_TEST(same_seed_same_bytes)
{
	igr_gen_opts o = small_opts();
	int order = _i;

	gen_file(&o, order, tu_path("a"), tu_path("ia"));
	gen_file(&o, order, tu_path("b"), tu_path("ib"));
	ck_assert(same_file(tu_path("a"), tu_path("b")));
	ck_assert(same_file(tu_path("ia"), tu_path("ib")));
	o.seed = 2;
	gen_file(&o, order, tu_path("c"), tu_path("ic"));
	ck_assert(!same_file(tu_path("a"), tu_path("c")));
	ck_assert(!same_file(tu_path("ia"), tu_path("ic")));
}
END_TEST

/* The exact bytes for fixed options, pinned: the output must not change
 * between machines, compilers or optimisation levels.  A deliberate change
 * of the model updates these and sample-data/ together. */
START_TEST(known_answer)
{
	igr_gen_opts o;

	igr_gen_opts_init(&o);
	o.users = 50;
	o.events = 3000;
	o.items = 500;
	o.categories = 20;
	o.seed = 42;
	gen_file(&o, IGR_GEN_BY_USER, tu_path("e"), tu_path("i"));
	ck_assert_msg(file_hash(tu_path("e")) == 0x6406f5579d87a1b1ULL,
		      "events hash %016" PRIx64, file_hash(tu_path("e")));
	ck_assert_msg(file_hash(tu_path("i")) == 0x13a49f679e703d4eULL,
		      "items hash %016" PRIx64, file_hash(tu_path("i")));
}
END_TEST

static int cmp_ts_seq(const void *a, const void *b)
{
	const row *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Time order is the user-order log stably sorted by time, however many
 * passes make it. */
START_TEST(time_order)
{
	igr_gen_opts o = small_opts();
	row *u, *t;
	size_t nu, nt, i;

	gen_file(&o, IGR_GEN_BY_USER, tu_path("u"), NULL);
	gen_file(&o, IGR_GEN_BY_TIME, tu_path("t1"), NULL);
	o.chunk_events = 997; /* 21 passes */
	gen_file(&o, IGR_GEN_BY_TIME, tu_path("t2"), NULL);
	ck_assert(same_file(tu_path("t1"), tu_path("t2")));
	u = read_rows(tu_path("u"), &nu);
	t = read_rows(tu_path("t1"), &nt);
	ck_assert_uint_eq(nu, nt);
	qsort(u, nu, sizeof *u, cmp_ts_seq);
	for (i = 0; i < nu; i++) {
		REQUIRE(u[i].user == t[i].user && u[i].item == t[i].item &&
				u[i].ts == t[i].ts && u[i].b == t[i].b,
			"row %zu differs", i);
	}
	free(u);
	free(t);
}
END_TEST

/* ---- counts, ids, times ------------------------------------------------ */

static const struct {
	uint64_t users, events, per_user, items, cats;
	uint32_t days;
	int64_t start;
} shapes[] = {
	{ 1, 1, 0, 0, 0, 9, IGR_GEN_TAOBAO_START },
	{ 7, 7, 0, 10, 3, 1, 0 },
	{ 100, 12345, 0, 1000, 40, 30, 1700000000 },
	{ 10, 0, 37, 0, 0, 9, IGR_GEN_TAOBAO_START },
	{ 3, 20, 0, 1, 1, 2, IGR_GEN_TAOBAO_START },
	/* more events than one day holds at the real pace: squeezed */
	{ 2, 200000, 0, 50, 5, 1, IGR_GEN_TAOBAO_START },
};

START_TEST(counts_and_window)
{
	igr_gen_opts o;
	row *r;
	size_t n, i, users = 0;
	uint64_t want;
	int64_t end;

	igr_gen_opts_init(&o);
	o.users = shapes[_i].users;
	o.events = shapes[_i].events;
	if (shapes[_i].per_user)
		o.events_per_user = shapes[_i].per_user;
	o.items = shapes[_i].items;
	o.categories = shapes[_i].cats;
	o.days = shapes[_i].days;
	o.start = shapes[_i].start;
	want = o.events ? o.events : o.users * o.events_per_user;
	end = o.start + (int64_t)o.days * 86400;
	gen_file(&o, IGR_GEN_BY_USER, tu_path("e"), NULL);
	r = read_rows(tu_path("e"), &n);
	ck_assert_uint_eq(n, want);
	for (i = 0; i < n; i++) {
		REQUIRE(r[i].ts >= o.start && r[i].ts < end,
			      "row %zu: %" PRId64 " outside [%" PRId64
			      ", %" PRId64 ")",
			      i, r[i].ts, o.start, end);
		REQUIRE(r[i].user >= 1 && r[i].item >= 1 && r[i].cat >= 1,
			"row %zu: id 0", i);
		if (i == 0 || r[i].user != r[i - 1].user) {
			/* grouped by user, ids increasing */
			REQUIRE(i == 0 || r[i].user > r[i - 1].user,
				"row %zu: users not in increasing order", i);
			users++;
		} else {
			REQUIRE(r[i].ts >= r[i - 1].ts,
				      "row %zu: time goes back in a user", i);
		}
	}
	ck_assert_uint_eq(users, o.users); /* every user has an event */
	free(r);
}
END_TEST

START_TEST(no_duplicate_rows)
{
	igr_gen_opts o = small_opts();
	row *r;
	size_t n, i;

	o.items = 200; /* few items: repeats are likely */
	o.categories = 10;
	gen_file(&o, IGR_GEN_BY_USER, tu_path("e"), NULL);
	r = read_rows(tu_path("e"), &n);
	qsort(r, n, sizeof *r, cmp_all);
	for (i = 1; i < n; i++)
		REQUIRE(cmp_all(&r[i - 1], &r[i]) != 0,
			      "duplicate row: user %" PRIu64 " item %" PRIu64
			      " at %" PRId64,
			      r[i].user, r[i].item, r[i].ts);
	free(r);
}
END_TEST

/* ---- the shape ---------------------------------------------------------- */

/* One log for the shape tests: 1000 users of the real mean of ~100
 * events, built once. */
static row *shape_rows;
static size_t shape_n;
static igr_gen_opts shape_opts;

static void shape_setup(void)
{
	const char *path = tu_path("shape");

	if (shape_rows != NULL)
		return;
	igr_gen_opts_init(&shape_opts);
	shape_opts.users = 1000;
	shape_opts.items = 40000;
	shape_opts.categories = 1500;
	shape_opts.seed = 7;
	gen_file(&shape_opts, IGR_GEN_BY_USER, path, NULL);
	shape_rows = read_rows(path, &shape_n);
	unlink(path);
}

START_TEST(behaviour_mix)
{
	/* the real 814-user log: 89.80 / 5.33 / 2.79 / 2.08 % */
	static const double real[4] = { 89.80, 5.33, 2.79, 2.08 };
	size_t count[4] = { 0 }, i;
	int b;

	shape_setup();
	for (i = 0; i < shape_n; i++)
		count[shape_rows[i].b]++;
	for (b = 0; b < 4; b++) {
		double pct = 100.0 * (double)count[b] / (double)shape_n;
		ck_assert_msg(pct > real[b] - 0.8 && pct < real[b] + 0.8,
			      "%s: %.2f%%, real %.2f%%", bnames[b], pct,
			      real[b]);
	}
}
END_TEST

START_TEST(heavy_tailed_users)
{
	size_t i, users = 0, len = 0, *per;
	double mean;

	shape_setup();
	per = calloc(shape_opts.users, sizeof *per);
	for (i = 0; i <= shape_n; i++) {
		if (i > 0 && (i == shape_n ||
			      shape_rows[i].user != shape_rows[i - 1].user)) {
			per[users++] = len;
			len = 0;
		}
		len++;
	}
	ck_assert_uint_eq(users, shape_opts.users);
	qsort(per, users, sizeof *per, cmp_u64);
	mean = (double)shape_n / (double)users;
	/* real: median 0.75, 90th percentile 2.18 times the mean */
	ck_assert_msg(per[users / 2] > 0.55 * mean &&
			      per[users / 2] < 0.95 * mean,
		      "median %zu, mean %.1f", per[users / 2], mean);
	ck_assert_msg(per[users * 9 / 10] > 1.6 * mean,
		      "90th percentile %zu, mean %.1f", per[users * 9 / 10],
		      mean);
	free(per);
}
END_TEST

START_TEST(sessions_and_daily_cycle)
{
	size_t i, gaps = 0, short_gaps = 0, long_gaps = 0, hour[24] = { 0 };

	shape_setup();
	for (i = 0; i < shape_n; i++) {
		int64_t local = shape_rows[i].ts - shape_opts.start;
		hour[(local % 86400) / 3600]++;
		if (i == 0 || shape_rows[i].user != shape_rows[i - 1].user)
			continue;
		gaps++;
		if (shape_rows[i].ts - shape_rows[i - 1].ts <= 120)
			short_gaps++;
		if (shape_rows[i].ts - shape_rows[i - 1].ts >= 1800)
			long_gaps++;
	}
	/* real: 65 % of gaps are at most 2 minutes, 17 % over 30 */
	ck_assert_msg(short_gaps > gaps / 2, "%zu of %zu gaps <= 120 s",
		      short_gaps, gaps);
	ck_assert_msg(long_gaps > gaps / 10 && long_gaps < gaps / 3,
		      "%zu of %zu gaps >= 30 min", long_gaps, gaps);
	/* real: the evening peak is 10 times the small hours */
	ck_assert_msg(hour[21] > 4 * hour[4], "21h %zu, 4h %zu", hour[21],
		      hour[4]);
}
END_TEST

START_TEST(zipf_popularity)
{
	uint64_t *cats, top = 0;
	size_t i, ncat = 0, *cnt, k;

	shape_setup();
	cats = malloc(shape_n * sizeof *cats);
	for (i = 0; i < shape_n; i++)
		cats[i] = shape_rows[i].cat;
	qsort(cats, shape_n, sizeof *cats, cmp_u64);
	cnt = calloc(shape_n, sizeof *cnt);
	for (i = 0; i < shape_n; i++) {
		if (i == 0 || cats[i] != cats[i - 1])
			ncat++;
		cnt[ncat - 1]++;
	}
	qsort(cnt, ncat, sizeof *cnt, cmp_u64); /* ascending */
	for (k = 0; k < ncat / 10; k++)
		top += cnt[ncat - 1 - k];
	/* real: the top 10 % of categories hold 75 % of the events */
	ck_assert_msg(top > shape_n / 2, "top tenth holds %" PRIu64
		      " of %zu", top, shape_n);
	ck_assert_msg(ncat > 500, "only %zu categories seen", ncat);
	free(cats);
	free(cnt);
}
END_TEST

/* Buys follow views and carts of the same item; carted items are bought
 * the next day far more often than items only viewed. */
START_TEST(funnel)
{
	row *r;
	size_t i, j, buys = 0, after_view = 0, after_cart = 0;
	size_t carted = 0, carted_bought = 0;
	size_t c7 = 0, c7b = 0, v7 = 0, v7b = 0;
	int64_t day7, day8;

	shape_setup();
	r = malloc(shape_n * sizeof *r);
	day7 = shape_opts.start + 7 * 86400;
	day8 = day7 + 86400;
	memcpy(r, shape_rows, shape_n * sizeof *r);
	qsort(r, shape_n, sizeof *r, cmp_user_item_ts);
	for (i = 0; i < shape_n; i = j) {
		int viewed = 0, cf = 0, cart = 0, bought = 0;
		int cart7 = 0, view7 = 0, bought7 = 0, buy_on7 = 0;
		for (j = i; j < shape_n && r[j].user == r[i].user &&
			    r[j].item == r[i].item;
		     j++) {
			if (r[j].b == IGR_GEN_BUY) {
				buys++;
				after_view += viewed;
				after_cart += cf;
				bought = 1;
				if (r[j].ts < day7)
					bought7 = 1;
				else if (r[j].ts < day8)
					buy_on7 = 1;
			}
			if (r[j].b == IGR_GEN_PV) {
				viewed = 1;
				if (r[j].ts < day7)
					view7 = 1;
			}
			if (r[j].b == IGR_GEN_CART || r[j].b == IGR_GEN_FAV)
				cf = 1;
			if (r[j].b == IGR_GEN_CART) {
				if (!cart)
					carted++;
				cart = 1;
				if (r[j].ts < day7)
					cart7 = 1;
			}
		}
		carted_bought += cart && bought;
		if (!bought7 && cart7) {
			c7++;
			c7b += buy_on7;
		} else if (!bought7 && view7) {
			v7++;
			v7b += buy_on7;
		}
	}
	ck_assert_msg(buys > 1000, "%zu buys", buys);
	ck_assert_msg(after_view > buys * 3 / 4, "%zu of %zu buys viewed",
		      after_view, buys);
	ck_assert_msg(after_cart > buys / 2, "%zu of %zu buys carted or faved",
		      after_cart, buys);
	ck_assert_msg(buys - after_view > 0, "no direct buys at all");
	ck_assert_msg(carted_bought * 100 > carted * 15,
		      "%zu of %zu carted items bought", carted_bought, carted);
	ck_assert_msg(c7 > 0 && v7 > 0, "no history before day 8");
	ck_assert_msg((double)c7b / (double)c7 > 10.0 * (double)v7b / (double)v7,
		      "day-8 buys: carted %zu/%zu, viewed %zu/%zu", c7b, c7,
		      v7b, v7);
	free(r);
}
END_TEST

START_TEST(repeat_views)
{
	row *r;
	size_t i, views = 0, pairs = 0;
	double ratio;

	shape_setup();
	r = malloc(shape_n * sizeof *r);
	memcpy(r, shape_rows, shape_n * sizeof *r);
	qsort(r, shape_n, sizeof *r, cmp_user_item_ts);
	for (i = 0; i < shape_n; i++) {
		if (r[i].b != IGR_GEN_PV)
			continue;
		views++;
		if (i == 0 || r[i].user != r[i - 1].user ||
		    r[i].item != r[i - 1].item || r[i - 1].b != IGR_GEN_PV)
			pairs++;
	}
	ratio = (double)views / (double)pairs;
	/* real: 1.27 views per viewed (user, item) */
	ck_assert_msg(ratio > 1.1 && ratio < 1.5, "%.3f views per pair",
		      ratio);
	free(r);
}
END_TEST

/* Fraction of users (with 10 events in each) whose most frequent category
 * in the first three days is not the one of the last three. */
static double top_changed(const row *r, size_t n, int64_t start)
{
	size_t i, j, users = 0, changed = 0;
	uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);

	for (i = 0; i < n; i = j) {
		size_t na = 0, nb = 0;
		for (j = i; j < n && r[j].user == r[i].user; j++) {
			int64_t d = (r[j].ts - start) / 86400;
			if (d < 3)
				a[na++] = r[j].cat;
			else if (d >= 6)
				b[nb++] = r[j].cat;
		}
		if (na >= 10 && nb >= 10) {
			uint64_t ma = 0, mb = 0;
			size_t k, run, best;
			qsort(a, na, sizeof *a, cmp_u64);
			qsort(b, nb, sizeof *b, cmp_u64);
			for (k = 0, run = 0, best = 0; k < na; k++) {
				run = k > 0 && a[k] == a[k - 1] ? run + 1 : 1;
				if (run > best) {
					best = run;
					ma = a[k];
				}
			}
			for (k = 0, run = 0, best = 0; k < nb; k++) {
				run = k > 0 && b[k] == b[k - 1] ? run + 1 : 1;
				if (run > best) {
					best = run;
					mb = b[k];
				}
			}
			users++;
			changed += ma != mb;
		}
	}
	free(a);
	free(b);
	ck_assert_msg(users > 100, "only %zu users to compare", users);
	return (double)changed / (double)users;
}

START_TEST(interests_drift)
{
	igr_gen_opts o = shape_opts;
	row *r;
	size_t n;
	double still, moving;

	shape_setup();
	o = shape_opts;
	o.drift = 0;
	gen_file(&o, IGR_GEN_BY_USER, tu_path("still"), NULL);
	r = read_rows(tu_path("still"), &n);
	still = top_changed(r, n, o.start);
	free(r);
	o.drift = 0.5;
	gen_file(&o, IGR_GEN_BY_USER, tu_path("moving"), NULL);
	r = read_rows(tu_path("moving"), &n);
	moving = top_changed(r, n, o.start);
	free(r);
	ck_assert_msg(moving > still + 0.25 && moving > 0.8,
		      "top category changed for %.3f with drift, %.3f without",
		      moving, still);
}
END_TEST

/* ---- the catalogue ------------------------------------------------------ */

START_TEST(catalogue)
{
	igr_gen_opts o = small_opts();
	size_t len, n = 0, i, nr;
	char *buf, *p, *line;
	uint64_t *ids = malloc(o.items * sizeof *ids);
	uint64_t *cat_of = malloc(o.items * sizeof *cat_of);
	row *r;

	gen_file(&o, IGR_GEN_BY_USER, tu_path("e"), tu_path("i"));
	buf = (char *)tu_read(tu_path("i"), &len);
	for (p = buf; p < buf + len; n++) {
		char *nl = strchr(p, '\n'), *price;
		REQUIRE(nl != NULL, "last line without newline");
		*nl = 0;
		line = p;
		REQUIRE(n < o.items, "more than %llu items", (unsigned long long)o.items);
		ids[n] = field_u64(&p, ',');
		cat_of[n] = field_u64(&p, ',');
		price = p;
		REQUIRE(strchr(price, ',') != NULL, "%s", line);
		/* digits, a point, two digits */
		p = strchr(price, '.');
		REQUIRE(p != NULL, "no decimal point: %s", line);
		REQUIRE(p > price && p[1] >= '0' && p[1] <= '9' &&
				p[2] >= '0' && p[2] <= '9' && p[3] == ',',
			"bad price: %s", line);
		p += 4;
		REQUIRE(strlen(p) > 5 && strchr(p, ',') == NULL &&
				      strchr(p, '"') == NULL,
			      "title of '%s'", line);
		p = nl + 1;
	}
	ck_assert_uint_eq(n, o.items);
	/* every event's item is in the catalogue, in its category */
	r = read_rows(tu_path("e"), &nr);
	{
		uint64_t *sorted = malloc(n * 2 * sizeof *sorted);
		for (i = 0; i < n; i++) {
			sorted[2 * i] = ids[i];
			sorted[2 * i + 1] = cat_of[i];
		}
		/* sort (id, category) pairs by id */
		qsort(sorted, n, 2 * sizeof *sorted, cmp_u64);
		for (i = 1; i < n; i++)
			REQUIRE(sorted[2 * i] != sorted[2 * i - 2],
				      "item id %" PRIu64 " twice",
				      sorted[2 * i]);
		for (i = 0; i < nr; i++) {
			size_t lo = 0, hi = n;
			while (hi - lo > 1) {
				size_t mid = (lo + hi) / 2;
				if (sorted[2 * mid] <= r[i].item)
					lo = mid;
				else
					hi = mid;
			}
			REQUIRE(sorted[2 * lo] == r[i].item,
				      "item %" PRIu64 " not in the catalogue",
				      r[i].item);
			REQUIRE(sorted[2 * lo + 1] == r[i].cat,
				"item %" PRIu64 " in two categories", r[i].item);
		}
		free(sorted);
	}
	free(r);
	free(buf);
	free(ids);
	free(cat_of);
}
END_TEST

/* ---- options ------------------------------------------------------------ */

START_TEST(bad_options)
{
	igr_gen_opts o;

	igr_gen_opts_init(&o);
	o.users = 0;
	ck_assert_ptr_null(igr_gen_new(&o));
	ck_assert(strstr(igr_errmsg(), "users") != NULL);
	igr_gen_opts_init(&o);
	o.events = 10;
	ck_assert_ptr_null(igr_gen_new(&o));
	ck_assert(strstr(igr_errmsg(), "fewer than") != NULL);
	igr_gen_opts_init(&o);
	o.items = 10;
	o.categories = 11;
	ck_assert_ptr_null(igr_gen_new(&o));
	ck_assert(strstr(igr_errmsg(), "categories") != NULL);
	igr_gen_opts_init(&o);
	o.days = 0;
	ck_assert_ptr_null(igr_gen_new(&o));
	igr_gen_opts_init(&o);
	o.drift = 1.5;
	ck_assert_ptr_null(igr_gen_new(&o));
	igr_gen_opts_init(&o);
	o.users = 2;
	o.events = 3000000;
	ck_assert_ptr_null(igr_gen_new(&o));
	ck_assert(strstr(igr_errmsg(), "per user") != NULL);
}
END_TEST

/* Resolved defaults are those documented in igraph-gen(1). */
START_TEST(defaults)
{
	igr_gen_opts o;
	igr_gen *g;
	const igr_gen_opts *r;

	igr_gen_opts_init(&o);
	g = igr_gen_new(&o);
	ck_assert_ptr_nonnull(g);
	r = igr_gen_options(g);
	ck_assert_uint_eq(r->users, 1000);
	ck_assert_uint_eq(r->items, 4000);
	ck_assert_uint_eq(r->categories, 80);
	ck_assert_uint_eq(r->events, 100000);
	ck_assert_uint_eq(r->days, 9);
	ck_assert_int_eq(r->start, 1511539200);
	igr_gen_free(g);
}
END_TEST

static Suite *gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("gen");

	tcase_add_checked_fixture(tc, gen_setup, tu_cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, same_seed_same_bytes, 0, 2);
	tcase_add_test(tc, known_answer);
	tcase_add_test(tc, time_order);
	tcase_add_loop_test(tc, counts_and_window, 0,
			    (int)(sizeof shapes / sizeof shapes[0]));
	tcase_add_test(tc, no_duplicate_rows);
	tcase_add_test(tc, behaviour_mix);
	tcase_add_test(tc, heavy_tailed_users);
	tcase_add_test(tc, sessions_and_daily_cycle);
	tcase_add_test(tc, zipf_popularity);
	tcase_add_test(tc, funnel);
	tcase_add_test(tc, repeat_views);
	tcase_add_test(tc, interests_drift);
	tcase_add_test(tc, catalogue);
	tcase_add_test(tc, bad_options);
	tcase_add_test(tc, defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(gen_suite());
}
