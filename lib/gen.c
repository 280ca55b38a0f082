/* gen.c - synthetic Taobao-shaped behaviour logs (see gen.h).
 *
 * The model, per user, in the order the code runs:
 *   1. a number of events, drawn from the real per-user distribution
 *      (scaled so that the whole log has exactly the rows asked for);
 *   2. an active span of days, some idle days, and sessions whose sizes
 *      and start times (day, then hour by the real time-of-day profile)
 *      follow the real UserBehavior log; sessions never overlap;
 *   3. two to five interest categories drawn by popularity; on drift days
 *      a new one (often a neighbour of a current one) takes the top place
 *      and the old top fades or goes;
 *   4. inside a session, one event per slot: mostly views (of the current
 *      category, a switch to another interest or a random category, or a
 *      repeat of a recent view), carts and favs of recently viewed items,
 *      rare direct buys, and the buys that earlier carts and favs put on a
 *      pending list, due some minutes to days later, made in the first
 *      session after they fall due (often after viewing the item again).
 * The distributions marked "real" below were measured on
 * /work/shared/data/taobao-userbehavior/UserBehavior_head_814users.csv
 * (84,287 rows, 814 complete users); the tables hold their quantiles.
 */
#include "gen.h"

#include "error.h"
#include "mem.h"
#include "rand.h"

#include <stdlib.h>
#include <string.h>

/* ---- random numbers --------------------------------------------------- */

/* The generators, igraph-gen's stream derivation and its bounded draws
 * come from rand.h. */

/* Independent streams: one per (purpose, index), so a user's or an item's
 * draws never depend on any other's. */
enum { ST_COUNT = 1, ST_USER, ST_ITEM, ST_TABLE };

/* Probabilities as 32-bit fixed point, folded by the compiler. */
#define P32(p) ((uint32_t)((p) * 4294967296.0))

/* A value from a quantile table of N+1 equally spaced points, linearly
 * interpolated (integer arithmetic only). */
static uint32_t quantile(igr_rng *r, const uint32_t *q, unsigned n)
{
	uint64_t u = igr_rng_below64(r, (uint64_t)n << 16);
	unsigned seg = (unsigned)(u >> 16);
	uint64_t frac = u & 0xffff;

	return q[seg] + (uint32_t)(((uint64_t)(q[seg + 1] - q[seg]) * frac) >>
				   16);
}

/* ---- what was measured on the real log --------------------------------- */

/* Events per user / mean, x1000, at 0, 5, ..., 100 % (real). */
static const uint32_t q_user_events[21] = {
	39, 145, 183, 251, 319, 377, 444, 522, 599, 657, 753,
	850, 927, 1014, 1188, 1323, 1507, 1758, 2183, 2839, 5205,
};

/* Session size in events x100 (sessions split at gaps over 30 minutes)
 * at 0, 5, ..., 100 % (real, mean 6.0; the top 5 % capped at 60, the real
 * maximum being 130, so the mean stays near the real one).  Scaled per
 * user by sqrt(events / 100): light users make a few short visits on
 * several days rather than one long one, as in the real log. */
static const uint32_t q_session_len[21] = {
	100, 100, 100, 100, 100, 100, 100, 200, 200, 200, 300,
	300, 400, 500, 600, 700, 900, 1100, 1500, 2200, 6000,
};

/* Seconds between events inside a session, 0, 5, ..., 100 % (real). */
static const uint32_t q_gap[21] = {
	0, 6, 10, 13, 17, 21, 26, 32, 38, 46, 54,
	65, 77, 92, 112, 138, 176, 235, 337, 591, 1800,
};

/* Seconds from a cart to the buy of the same item, 0, 10, ..., 100 %
 * (real, the 292 carts bought inside the 9-day window). */
static const uint32_t q_cart_to_buy[11] = {
	92, 655, 2760, 19605, 48451, 59371, 81692, 96279, 138362, 263339,
	596157,
};

/* Events per hour of the local day, 00 to 23, UTC+8 (real). */
static const uint32_t hour_weight[24] = {
	2947, 1323, 672, 375, 451, 632, 1346, 2230, 2744, 3394, 3768, 3867,
	3413, 4285, 4206, 4659, 4543, 3877, 4170, 5492, 6610, 7458, 6687, 5138,
};

/* ---- the funnel and the interests (tuned so the generated mix matches
 * the real 89.8 / 5.3 / 2.8 / 2.1 % and about 25 categories and 1.27
 * views per viewed item per user of 100 events) ------------------------- */

#define P_CART P32(0.056)         /* per slot: cart a recent view */
#define P_FAV P32(0.029)          /* per slot: fav a recent view */
#define P_DIRECT P32(0.003)       /* per slot: buy something unviewed */
#define P_BUY_CART P32(0.30)      /* a cart is bought later */
#define P_BUY_FAV P32(0.12)       /* a fav is bought later */
#define P_IMPULSE P32(0.004)      /* a view is bought later, no cart */
#define P_DUE P32(0.45)           /* per slot: make a due buy now */
#define P_VIEW_FIRST P32(0.7)     /* view a due item again before buying */
#define P_SWITCH P32(0.60)        /* a view moves to another category */
#define P_EXPLORE P32(0.40)       /* ... to a random one, not an interest */
#define P_REPEAT P32(0.04)        /* a view repeats a recent view */
#define P_FULL_SPAN P32(0.85)     /* the user is there all the days */
#define P_RELATED P32(0.5)        /* a new interest is a neighbour */
#define P_DROP_TOP P32(0.5)       /* a drift drops the old top interest */

#define MAX_INTERESTS 8
#define RING 16       /* recent views remembered */
#define MAX_PENDING 32
#define SESSION_GAP 1800 /* sessions start at least this long apart */

/* Zipf-Mandelbrot popularity (Mandelbrot 1953; the Taobao category
 * rank-frequency curve is flat over the top ~8 ranks, then falls with
 * exponent ~1.25): category weight (r + 8)^-1.25, item weight within a
 * category (r + 4)^-1. */
#define CAT_Q 6
#define ITEM_Q 4

/* The Taobao id ranges: item and category ids reach ~5.16 million. */
#define TAOBAO_ITEM_RANGE 5163070ULL
#define TAOBAO_CAT_RANGE 5162429ULL

/* ---- the generator ------------------------------------------------------ */

struct session {
	int64_t ts;
	uint32_t size;
	uint32_t idx; /* draw order: a total order for sorting */
};

struct interest {
	uint32_t cat;
	uint32_t w;
};

struct pending {
	int64_t due;
	uint32_t item, cat;
};

struct user {
	igr_rng r;
	uint32_t d0, d1;       /* active days */
	uint64_t daykey;       /* hashes idle days and day weights */
	struct interest in[MAX_INTERESTS];
	unsigned nin;
	uint32_t day;          /* interests are those of this day */
	uint64_t next_drift;   /* next day a drift happens */
	uint32_t ring_item[RING], ring_cat[RING];
	unsigned nring, ring_head;
	struct pending pend[MAX_PENDING];
	unsigned npend;
};

struct igr_gen {
	igr_gen_opts o;
	uint32_t nusers, nitems, ncat;
	int64_t end;             /* first second after the log */
	uint32_t *nev;           /* events per user */
	uint32_t maxev;
	uint64_t *cat_cum;       /* ncat + 1 cumulative popularity */
	uint32_t *cat_start;     /* ncat + 1 first item of each category */
	uint32_t *cat_price;     /* base price in cents */
	uint64_t *rank_cum;      /* maxcat + 1 cumulative item weights */
	uint32_t maxcat;
	uint64_t hour_cum[25];
	uint64_t drift_cdf[64];  /* days to the next drift, fixed point */
	uint32_t drift32;
	uint64_t item_a, item_b, item_range;
	uint64_t cat_a, cat_b, cat_range;
	igr_gen_event *ev;       /* one user's events */
	struct session *sess;
	size_t sesscap;
	struct user us;
	uint64_t counts[IGR_GEN_NBEHAVIOR];
};

void igr_gen_opts_init(igr_gen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->users = 1000;
	o->events_per_user = 100;
	o->days = 9;
	o->start = IGR_GEN_TAOBAO_START;
	o->seed = 1;
	o->drift = 0.3;
	o->chunk_events = (uint64_t)1 << 21;
}

const igr_gen_opts *igr_gen_options(const igr_gen *g)
{
	return &g->o;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* An affine permutation x -> (a x + b) mod range: distinct indices get
 * distinct ids scattered over the range. */
static void affine_init(igr_rng *r, uint64_t range, uint64_t *a, uint64_t *b)
{
	*a = range / 3 + igr_rng_below64(r, range / 3 + 1);
	while (*a == 0 || gcd64(*a, range) != 1)
		(*a)++;
	*a %= range;
	if (*a == 0)
		*a = 1;
	*b = igr_rng_below64(r, range);
}

/* floor(sqrt(x)), integer only */
static uint64_t isqrt64(uint64_t x)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;

	while (bit > x)
		bit >>= 2;
	while (bit != 0) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/* 2^40 (r + CAT_Q)^-1.25 in integers: x^(1/4) 2^16 is the integer square
 * root of (the integer square root of x 2^32) 2^16. */
static uint64_t cat_weight(uint32_t r)
{
	uint64_t x = (uint64_t)r + CAT_Q;
	uint64_t root4 = isqrt64(isqrt64(x << 32) << 16);

	return ((uint64_t)1 << 56) / (x * root4) + 1;
}

/* Index of the first entry of CUM[0..n] above U (CUM[0] = 0 <= U <
 * CUM[n]): the slot U falls in. */
static uint32_t cum_find(const uint64_t *cum, uint32_t n, uint64_t u)
{
	uint32_t lo = 0, hi = n; /* cum[lo] <= u < cum[hi] */

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (cum[mid] <= u)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t draw_category(const igr_gen *g, igr_rng *r)
{
	return cum_find(g->cat_cum, g->ncat,
			igr_rng_below64(r, g->cat_cum[g->ncat]));
}

static uint32_t draw_item(const igr_gen *g, igr_rng *r, uint32_t cat)
{
	uint32_t n = g->cat_start[cat + 1] - g->cat_start[cat];

	return g->cat_start[cat] +
	       cum_find(g->rank_cum, n, igr_rng_below64(r, g->rank_cum[n]));
}

/* Split TOTAL into n parts proportional to W (cumulative rounding, so the
 * parts add up exactly); OUT[i] = floor(C_i T / S) - floor(C_{i-1} T / S). */
static void apportion(const uint64_t *w, uint32_t n, uint64_t total,
		      uint64_t *out)
{
	unsigned __int128 sum = 0, cum = 0;
	uint64_t prev = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		sum += w[i];
	for (i = 0; i < n; i++) {
		uint64_t q;
		cum += w[i];
		q = (uint64_t)(cum * total / sum);
		out[i] = q - prev;
		prev = q;
	}
}

static const uint32_t price_points[16] = {
	990, 1590, 1990, 2990, 3990, 4990, 6990, 9990,
	12900, 19900, 29900, 49900, 89900, 159900, 299900, 599900,
};

igr_gen *igr_gen_new(const igr_gen_opts *opts)
{
	igr_gen *g;
	igr_gen_opts o = *opts;
	uint64_t *tmp = NULL;
	uint32_t i;
	igr_rng r;

	if (o.users < 1 || o.users > 100000000)
		return igr_error("users: %llu is out of range (1-100000000)",
				 (unsigned long long)o.users), NULL;
	if (o.items == 0)
		o.items = o.users * 4 < 100 ? 100 : o.users * 4;
	if (o.items > 500000000)
		return igr_error("items: %llu is out of range (1-500000000)",
				 (unsigned long long)o.items), NULL;
	if (o.categories == 0) {
		o.categories = o.items / 50;
		if (o.categories > 9439) /* as many as Taobao has */
			o.categories = 9439;
		if (o.categories < 1)
			o.categories = 1;
	}
	if (o.categories > o.items || o.categories > 10000000)
		return igr_error("categories: %llu is out of range (1 to the "
				 "number of items, at most 10000000)",
				 (unsigned long long)o.categories), NULL;
	if (o.events == 0)
		o.events = o.users * o.events_per_user;
	if (o.events < o.users)
		return igr_error("events: %llu is fewer than the %llu users "
				 "(each user has at least one)",
				 (unsigned long long)o.events,
				 (unsigned long long)o.users), NULL;
	if (o.events / o.users > 1000000)
		return igr_error("events: more than 1000000 per user on "
				 "average"), NULL;
	if (o.days < 1 || o.days > 3650)
		return igr_error("days: %u is out of range (1-3650)", o.days),
		       NULL;
	if (o.start < 0 || o.start > ((int64_t)1 << 40))
		return igr_error("start: %lld is out of range",
				 (long long)o.start), NULL;
	if (!(o.drift >= 0.0 && o.drift <= 1.0))
		return igr_error("drift: not a probability"), NULL;
	if (o.chunk_events < 1)
		o.chunk_events = 1;

	g = calloc(1, sizeof *g);
	if (g == NULL)
		return igr_error("out of memory"), NULL;
	g->o = o;
	g->nusers = (uint32_t)o.users;
	g->nitems = (uint32_t)o.items;
	g->ncat = (uint32_t)o.categories;
	g->end = o.start + (int64_t)o.days * 86400;

	/* events per user: shape from the real table, scaled to the total
	 * by cumulative rounding (as apportion() does, in place) */
	g->nev = malloc(sizeof *g->nev * g->nusers);
	tmp = malloc(sizeof *tmp * (g->ncat + 1));
	if (g->nev == NULL || tmp == NULL)
		goto oom;
	{
		uint64_t sum = 0, prev = 0, cum = 0, rest = o.events - o.users;
		for (i = 0; i < g->nusers; i++) {
			igr_rng_gen_stream(&r, o.seed, ST_COUNT, i);
			g->nev[i] = quantile(&r, q_user_events, 20);
			sum += g->nev[i];
		}
		for (i = 0; i < g->nusers; i++) {
			uint64_t q, share;
			cum += g->nev[i];
			q = (uint64_t)((unsigned __int128)cum * rest / sum);
			share = q - prev;
			prev = q;
			if (share + 1 > UINT32_MAX / 2) {
				igr_error("events: too many for one user");
				goto fail;
			}
			g->nev[i] = (uint32_t)share + 1;
			if (g->nev[i] > g->maxev)
				g->maxev = g->nev[i];
		}
	}

	/* categories: popularity, then items shared out by popularity with
	 * noise, at least one each, so popular categories are also big */
	g->cat_cum = malloc(sizeof *g->cat_cum * (g->ncat + 1));
	g->cat_start = malloc(sizeof *g->cat_start * (g->ncat + 1));
	g->cat_price = malloc(sizeof *g->cat_price * g->ncat);
	if (g->cat_cum == NULL || g->cat_start == NULL || g->cat_price == NULL)
		goto oom;
	igr_rng_gen_stream(&r, o.seed, ST_TABLE, 0);
	g->cat_cum[0] = 0;
	for (i = 0; i < g->ncat; i++) {
		uint64_t w = cat_weight(i);
		g->cat_cum[i + 1] = g->cat_cum[i] + w;
		tmp[i] = w * (2 + igr_rng_below64(&r, 5));
		/* cheap goods are the common ones */
		g->cat_price[i] = price_points[igr_rng_below64(
			&r, 1 + igr_rng_below64(&r, 16))];
	}
	apportion(tmp, g->ncat, o.items - o.categories, tmp);
	g->cat_start[0] = 0;
	for (i = 0; i < g->ncat; i++) {
		uint32_t n = (uint32_t)tmp[i] + 1;
		g->cat_start[i + 1] = g->cat_start[i] + n;
		if (n > g->maxcat)
			g->maxcat = n;
	}
	g->rank_cum = malloc(sizeof *g->rank_cum * (g->maxcat + 1));
	if (g->rank_cum == NULL)
		goto oom;
	g->rank_cum[0] = 0;
	for (i = 0; i < g->maxcat; i++)
		g->rank_cum[i + 1] = g->rank_cum[i] +
				     ((uint64_t)1 << 32) / (i + ITEM_Q);

	g->hour_cum[0] = 0;
	for (i = 0; i < 24; i++)
		g->hour_cum[i + 1] = g->hour_cum[i] + hour_weight[i];

	/* days between drifts: geometric, P(k) = (1-p)^k p, as a CDF in 2^32
	 * fixed point built by repeated multiplication */
	g->drift32 = o.drift >= 1.0 ? UINT32_MAX
				    : (uint32_t)(o.drift * 4294967296.0);
	{
		uint64_t stay = ((uint64_t)1 << 32) - g->drift32, pk = stay;
		for (i = 0; i < 64; i++) {
			g->drift_cdf[i] = ((uint64_t)1 << 32) - pk;
			pk = (pk * stay) >> 32;
		}
	}

	g->item_range = o.items + o.items / 4 > TAOBAO_ITEM_RANGE
				? o.items + o.items / 4
				: TAOBAO_ITEM_RANGE;
	g->cat_range = o.categories * 2 > TAOBAO_CAT_RANGE
			       ? o.categories * 2
			       : TAOBAO_CAT_RANGE;
	affine_init(&r, g->item_range, &g->item_a, &g->item_b);
	affine_init(&r, g->cat_range, &g->cat_a, &g->cat_b);

	g->ev = malloc((size_t)g->maxev * sizeof *g->ev);
	if (g->ev == NULL)
		goto oom;
	free(tmp);
	return g;
oom:
	igr_error("out of memory");
fail:
	free(tmp);
	igr_gen_free(g);
	return NULL;
}

void igr_gen_free(igr_gen *g)
{
	if (g == NULL)
		return;
	free(g->nev);
	free(g->cat_cum);
	free(g->cat_start);
	free(g->cat_price);
	free(g->rank_cum);
	free(g->ev);
	free(g->sess);
	free(g);
}

uint64_t igr_gen_user_id(const igr_gen *g, uint32_t u)
{
	(void)g;
	/* increasing, about 3 % of the numbers unused, as in Taobao's
	 * 987,994 users numbered up to 1,018,011 */
	return (uint64_t)u + 1 + (uint64_t)u * 3 / 100;
}

uint64_t igr_gen_item_id(const igr_gen *g, uint32_t item)
{
	return (g->item_a * item + g->item_b) % g->item_range + 1;
}

uint64_t igr_gen_category_id(const igr_gen *g, uint32_t cat)
{
	return (g->cat_a * cat + g->cat_b) % g->cat_range + 1;
}

uint32_t igr_gen_item_category(const igr_gen *g, uint32_t item)
{
	uint32_t lo = 0, hi = g->ncat; /* cat_start[lo] <= item < [hi] */

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (g->cat_start[mid] <= item)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

const char *igr_gen_behavior_name(int b)
{
	static const char *const names[] = { "pv", "cart", "fav", "buy" };

	return b >= 0 && b < IGR_GEN_NBEHAVIOR ? names[b] : "?";
}

void igr_gen_counts(const igr_gen *g, uint64_t counts[IGR_GEN_NBEHAVIOR])
{
	memcpy(counts, g->counts, sizeof g->counts);
}

/* ---- one user ----------------------------------------------------------- */

static int session_cmp(const void *a, const void *b)
{
	const struct session *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A day of the user's span: idle days (1 in 12) are skipped and the
 * others weighted 2 to 5, both fixed per user and day by a hash. */
static uint32_t draw_day(struct user *us)
{
	uint32_t span = us->d1 - us->d0 + 1, d = us->d0;
	int tries;

	for (tries = 0; tries < 32; tries++) {
		uint64_t h;
		d = us->d0 + (uint32_t)igr_rng_below64(&us->r, span);
		h = igr_mix64(us->daykey ^ d);
		if ((h & 0xff) < 21)
			continue;
		if (igr_rng_below64(&us->r, 5) <= 1 + ((h >> 8) & 3))
			return d;
	}
	return d;
}

static int has_interest(const struct user *us, uint32_t cat)
{
	unsigned i;

	for (i = 0; i < us->nin; i++)
		if (us->in[i].cat == cat)
			return 1;
	return 0;
}

static uint32_t days_to_drift(const igr_gen *g, igr_rng *r)
{
	uint64_t k = 0;

	for (;;) {
		uint32_t u = (uint32_t)(igr_rng_next(r) >> 32);
		unsigned i;
		for (i = 0; i < 64; i++)
			if (u < g->drift_cdf[i])
				return (uint32_t)(k + i);
		k += 64;
		if (k > 10000)
			return UINT32_MAX / 2;
	}
}

/* A new interest takes the top place: interests drift. */
static void drift(const igr_gen *g, struct user *us)
{
	uint32_t cat = 0, topw = 0;
	unsigned i, top = 0, tries;

	for (i = 0; i < us->nin; i++)
		if (us->in[i].w > topw) {
			topw = us->in[i].w;
			top = i;
		}
	for (tries = 0; tries < 8; tries++) {
		if (us->nin > 0 && g->ncat > 1 &&
		    igr_rng_chance(&us->r, P_RELATED)) {
			/* neighbours in popularity rank stand in for related
			 * categories (a coat after a scarf) */
			uint32_t base =
				us->in[igr_rng_below64(&us->r, us->nin)].cat;
			cat = (uint32_t)((base + 1 + igr_rng_below64(&us->r, 8)) %
					 g->ncat);
		} else {
			cat = draw_category(g, &us->r);
		}
		if (!has_interest(us, cat))
			break;
	}
	if (tries == 8)
		return;
	if (us->nin > 0) {
		if (igr_rng_chance(&us->r, P_DROP_TOP)) {
			us->in[top] = us->in[--us->nin];
		} else {
			us->in[top].w = us->in[top].w / 3 + 1;
		}
	}
	if (us->nin == MAX_INTERESTS) {
		unsigned weak = 0;
		for (i = 1; i < us->nin; i++)
			if (us->in[i].w < us->in[weak].w)
				weak = i;
		us->in[weak] = us->in[--us->nin];
	}
	us->in[us->nin].cat = cat;
	us->in[us->nin].w = topw + topw / 2 + 1 +
			    (uint32_t)igr_rng_below64(&us->r, topw + 1);
	us->nin++;
	if (us->in[us->nin - 1].w > (1u << 24))
		for (i = 0; i < us->nin; i++)
			us->in[i].w = (us->in[i].w >> 12) + 1;
}

static void advance_day(const igr_gen *g, struct user *us, uint32_t day)
{
	while (us->next_drift <= day) {
		drift(g, us);
		us->next_drift += 1 + days_to_drift(g, &us->r);
	}
	us->day = day;
}

static uint32_t pick_category(const igr_gen *g, struct user *us)
{
	uint64_t total = 0, x;
	unsigned i;

	if (us->nin == 0 || igr_rng_chance(&us->r, P_EXPLORE))
		return draw_category(g, &us->r);
	for (i = 0; i < us->nin; i++)
		total += us->in[i].w;
	x = igr_rng_below64(&us->r, total);
	for (i = 0; i + 1 < us->nin; i++) {
		if (x < us->in[i].w)
			break;
		x -= us->in[i].w;
	}
	return us->in[i].cat;
}

static void ring_push(struct user *us, uint32_t item, uint32_t cat)
{
	us->ring_item[us->ring_head] = item;
	us->ring_cat[us->ring_head] = cat;
	us->ring_head = (us->ring_head + 1) % RING;
	if (us->nring < RING)
		us->nring++;
}

/* The K-th most recent view (0 = the last). */
static unsigned ring_at(const struct user *us, unsigned k)
{
	return (us->ring_head + RING - 1 - k) % RING;
}

static void schedule_buy(struct user *us, uint32_t item, uint32_t cat,
			 int64_t t)
{
	unsigned i;

	for (i = 0; i < us->npend; i++)
		if (us->pend[i].item == item)
			return;
	if (us->npend == MAX_PENDING)
		return;
	us->pend[us->npend].item = item;
	us->pend[us->npend].cat = cat;
	us->pend[us->npend].due = t + quantile(&us->r, q_cart_to_buy, 10);
	us->npend++;
}

/* Append an event at *T; a second later if the user already has the same
 * item and behaviour at that second, so no two rows are equal (the real
 * log has no duplicates). */
static inline void emit(igr_gen_event *ev, size_t *n, int64_t *t, uint32_t u,
			uint32_t item, uint32_t cat, int b)
{
	igr_gen_event *e;
	size_t k;

	for (k = *n; k > 0 && ev[k - 1].ts == *t; k--)
		if (ev[k - 1].item == item && ev[k - 1].behavior == b) {
			++*t;
			k = *n + 1;
		}
	e = &ev[(*n)++];
	e->ts = *t;
	e->user = u;
	e->item = item;
	e->category = cat;
	e->behavior = (uint8_t)b;
}

/* Bring a user whose last sessions ran past the end of the window back
 * inside it: shorten the pauses between the last sessions (never below
 * SESSION_GAP), keeping every session as it is; only if that is not
 * enough (a user with more events than the days hold at the real pace),
 * scale all the times down, which may make some rows equal. */
static void fit_window(const igr_gen *g, igr_gen_event *ev, size_t n)
{
	int64_t need = ev[n - 1].ts - (g->end - 1), shift = 0, part = 0;
	int64_t prev;
	size_t k, p = 0;

	for (k = n - 1; k > 0 && need > 0; k--) {
		int64_t gap = ev[k].ts - ev[k - 1].ts;
		if (gap > SESSION_GAP) {
			part = gap - SESSION_GAP < need ? gap - SESSION_GAP
							: need;
			need -= part;
			p = k;
		}
	}
	if (need == 0) {
		/* gaps after p lose all their excess, the one at p PART */
		prev = ev[p - 1].ts;
		for (k = p; k < n; k++) {
			int64_t gap = ev[k].ts - prev;
			prev = ev[k].ts;
			if (k == p)
				shift += part;
			else if (gap > SESSION_GAP)
				shift += gap - SESSION_GAP;
			ev[k].ts -= shift;
		}
		return;
	}
	{
		int64_t lo = g->o.start, span = ev[n - 1].ts - lo;
		int64_t room = g->end - 1 - lo;
		for (k = 0; k < n; k++)
			ev[k].ts = lo + (int64_t)((__int128)(ev[k].ts - lo) *
						  room / span);
	}
}

int igr_gen_user(igr_gen *g, uint32_t u, const igr_gen_event **evp,
		 size_t *np)
{
	struct user *us = &g->us;
	igr_gen_event *ev = g->ev;
	uint32_t nev, left, ns = 0, k, days = g->o.days;
	uint64_t scale;
	int64_t t = 0, last = 0;
	size_t n = 0;
	unsigned i;

	if (u >= g->nusers)
		return igr_error("user %u is out of range", u);
	nev = g->nev[u];
	memset(us, 0, sizeof *us);
	igr_rng_gen_stream(&us->r, g->o.seed, ST_USER, u);
	us->daykey = igr_rng_next(&us->r);
	if (igr_rng_chance(&us->r, P_FULL_SPAN)) {
		us->d0 = 0;
		us->d1 = days - 1;
	} else {
		uint32_t a = (uint32_t)igr_rng_below64(&us->r, days);
		uint32_t b = (uint32_t)igr_rng_below64(&us->r, days);
		us->d0 = a < b ? a : b;
		us->d1 = a < b ? b : a;
	}

	/* sessions: sizes until the events run out, then start times */
	scale = isqrt64((uint64_t)nev * 10000);
	scale = scale < 350 ? 350 : scale > 3000 ? 3000 : scale;
	for (left = nev; left > 0; ns++) {
		uint32_t size = (uint32_t)(((uint64_t)quantile(
			&us->r, q_session_len, 20) * scale / 1000 + 50) / 100);
		if (size == 0)
			size = 1;
		if (size > left)
			size = left;
		if (igr_grow(&g->sess, &g->sesscap, (size_t)ns + 1,
			     sizeof *g->sess) < 0)
			return -1;
		g->sess[ns].size = size;
		g->sess[ns].idx = ns;
		left -= size;
	}
	for (k = 0; k < ns; k++) {
		uint32_t day = draw_day(us);
		uint32_t hour = cum_find(
			g->hour_cum, 24,
			igr_rng_below64(&us->r, g->hour_cum[24]));
		g->sess[k].ts = g->o.start + (int64_t)day * 86400 +
				hour * 3600 +
				(int64_t)igr_rng_below64(&us->r, 3600);
	}
	qsort(g->sess, ns, sizeof *g->sess, session_cmp);

	/* interests at the start, and the first drift day */
	{
		unsigned want = 2 + (unsigned)igr_rng_below64(&us->r, 4);
		unsigned tries = 0;
		while (us->nin < want && tries++ < 32) {
			uint32_t cat = draw_category(g, &us->r);
			if (has_interest(us, cat))
				continue;
			us->in[us->nin].cat = cat;
			us->in[us->nin].w =
				16 + (uint32_t)igr_rng_below64(&us->r, 48);
			us->nin++;
		}
		us->in[0].w *= 2; /* one clear favourite */
		us->next_drift = 1 + (g->drift32 ? days_to_drift(g, &us->r)
						 : UINT32_MAX);
		us->day = 0;
	}

	for (k = 0; k < ns; k++) {
		const struct session *s = &g->sess[k];
		uint32_t day = (uint32_t)((s->ts - g->o.start) / 86400), j;
		uint32_t cur, buy_item = 0, buy_cat = 0;
		int buy_next = 0;

		if (g->drift32)
			advance_day(g, us, day);
		t = s->ts;
		if (k > 0 && t < last + SESSION_GAP)
			t = last + SESSION_GAP +
			    (int64_t)igr_rng_below64(&us->r, SESSION_GAP);
		cur = pick_category(g, us);
		for (j = 0; j < s->size; j++) {
			uint32_t remaining = s->size - j, x, item, cat;
			unsigned ndue = 0, first = 0;

			if (j > 0)
				t += quantile(&us->r, q_gap, 20);
			if (buy_next) {
				emit(ev, &n, &t, u, buy_item, buy_cat,
				     IGR_GEN_BUY);
				buy_next = 0;
				continue;
			}
			for (i = 0; i < us->npend; i++)
				if (us->pend[i].due <= t && ndue++ == 0)
					first = i;
			if (ndue > 0 && (remaining <= 2 * ndue ||
					 igr_rng_chance(&us->r, P_DUE))) {
				item = us->pend[first].item;
				cat = us->pend[first].cat;
				us->pend[first] = us->pend[--us->npend];
				if (remaining >= 2 &&
				    igr_rng_chance(&us->r, P_VIEW_FIRST)) {
					emit(ev, &n, &t, u, item, cat,
					     IGR_GEN_PV);
					ring_push(us, item, cat);
					buy_next = 1;
					buy_item = item;
					buy_cat = cat;
				} else {
					emit(ev, &n, &t, u, item, cat,
					     IGR_GEN_BUY);
				}
				continue;
			}
			x = (uint32_t)(igr_rng_next(&us->r) >> 32);
			if (us->nring > 0 && x < P_CART + P_FAV) {
				unsigned lim = us->nring < 4 ? us->nring : 4;
				unsigned at = ring_at(
					us, (unsigned)igr_rng_below64(&us->r,
								      lim));
				int b = x < P_CART ? IGR_GEN_CART : IGR_GEN_FAV;
				item = us->ring_item[at];
				cat = us->ring_cat[at];
				emit(ev, &n, &t, u, item, cat, b);
				if (igr_rng_chance(&us->r, b == IGR_GEN_CART
								   ? P_BUY_CART
								   : P_BUY_FAV))
					schedule_buy(us, item, cat, t);
				continue;
			}
			if (x >= P_CART + P_FAV &&
			    x < P_CART + P_FAV + P_DIRECT) {
				item = draw_item(g, &us->r, cur);
				emit(ev, &n, &t, u, item, cur, IGR_GEN_BUY);
				continue;
			}
			/* a view */
			if (us->nring > 0 && igr_rng_chance(&us->r, P_REPEAT)) {
				unsigned at = ring_at(
					us, (unsigned)igr_rng_below64(
						    &us->r, us->nring));
				item = us->ring_item[at];
				cur = us->ring_cat[at];
			} else {
				if (j > 0 && igr_rng_chance(&us->r, P_SWITCH))
					cur = pick_category(g, us);
				item = draw_item(g, &us->r, cur);
			}
			emit(ev, &n, &t, u, item, cur, IGR_GEN_PV);
			ring_push(us, item, cur);
			if (igr_rng_chance(&us->r, P_IMPULSE))
				schedule_buy(us, item, cur, t);
		}
		last = t;
	}

	if (n > 0 && ev[n - 1].ts >= g->end)
		fit_window(g, ev, n);
	*evp = ev;
	*np = n;
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static inline char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int i = 20;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(p, tmp + i, (size_t)(20 - i));
	return p + (20 - i);
}

static int write_event(igr_gen *g, igr_out *out, const igr_gen_event *e)
{
	static const char *const names[] = { "pv", "cart", "fav", "buy" };
	static const unsigned char lens[] = { 2, 4, 3, 3 };
	char *p0 = igr_out_space(out, 96), *p = p0;

	if (p == NULL)
		return -1;
	p = put_u64(p, igr_gen_user_id(g, e->user));
	*p++ = ',';
	p = put_u64(p, igr_gen_item_id(g, e->item));
	*p++ = ',';
	p = put_u64(p, igr_gen_category_id(g, e->category));
	*p++ = ',';
	memcpy(p, names[e->behavior], lens[e->behavior]);
	p += lens[e->behavior];
	*p++ = ',';
	p = put_u64(p, (uint64_t)e->ts); /* start >= 0 was checked */
	*p++ = '\n';
	igr_out_commit(out, (size_t)(p - p0));
	g->counts[e->behavior]++;
	return 0;
}

/* Stable sort of N events by time: counting sort over the slice's seconds
 * when that table is small, else a bottom-up merge sort. */
static int sort_by_time(igr_gen_event *a, size_t n, int64_t lo, int64_t hi)
{
	igr_gen_event *tmp;
	size_t i;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof *tmp);
	if (tmp == NULL)
		return igr_error("out of memory");
	if ((uint64_t)(hi - lo) <= 4 * (uint64_t)n + (1u << 20)) {
		size_t span = (size_t)(hi - lo), *cnt;
		cnt = calloc(span + 1, sizeof *cnt);
		if (cnt == NULL) {
			free(tmp);
			return igr_error("out of memory");
		}
		for (i = 0; i < n; i++)
			cnt[a[i].ts - lo + 1]++;
		for (i = 1; i <= span; i++)
			cnt[i] += cnt[i - 1];
		for (i = 0; i < n; i++)
			tmp[cnt[a[i].ts - lo]++] = a[i];
		memcpy(a, tmp, n * sizeof *a);
		free(cnt);
	} else {
		size_t w;
		igr_gen_event *src = a, *dst = tmp, *sw;
		for (w = 1; w < n; w *= 2) {
			size_t s;
			for (s = 0; s < n; s += 2 * w) {
				size_t m = s + w < n ? s + w : n;
				size_t e = s + 2 * w < n ? s + 2 * w : n;
				size_t x = s, y = m, d = s;
				while (x < m && y < e)
					dst[d++] = src[y].ts < src[x].ts
							   ? src[y++]
							   : src[x++];
				while (x < m)
					dst[d++] = src[x++];
				while (y < e)
					dst[d++] = src[y++];
			}
			sw = src;
			src = dst;
			dst = sw;
		}
		if (src != a)
			memcpy(a, src, n * sizeof *a);
	}
	free(tmp);
	return 0;
}

/* Append M events to the growing array *BUF. */
static int append_events(igr_gen_event **buf, size_t *cap, size_t *n,
			 const igr_gen_event *ev, size_t m)
{
	if (igr_grow(buf, cap, *n + m, sizeof **buf) < 0)
		return -1;
	memcpy(*buf + *n, ev, m * sizeof *ev);
	*n += m;
	return 0;
}

static int write_by_time(igr_gen *g, igr_out *out,
			 igr_gen_progress_fn *progress, void *arg)
{
	uint64_t passes = (g->o.events + g->o.chunk_events - 1) /
			  g->o.chunk_events;
	int64_t span = g->end - g->o.start, width;
	igr_gen_event *buf = NULL;
	size_t cap = 0;
	uint64_t p;

	if (passes > (uint64_t)span)
		passes = (uint64_t)span;
	width = (span + (int64_t)passes - 1) / (int64_t)passes;
	for (p = 0; p < passes; p++) {
		int64_t lo = g->o.start + (int64_t)p * width;
		int64_t hi = lo + width < g->end ? lo + width : g->end;
		size_t n = 0, e;
		uint32_t u;

		for (u = 0; u < g->nusers; u++) {
			const igr_gen_event *ev;
			size_t m, a, b;
			if (igr_gen_user(g, u, &ev, &m) < 0)
				goto fail;
			/* a user's events are time-sorted: find the slice */
			for (a = 0, b = m; a < b;) {
				size_t mid = a + (b - a) / 2;
				if (ev[mid].ts < lo)
					a = mid + 1;
				else
					b = mid;
			}
			for (b = a; b < m && ev[b].ts < hi; b++)
				;
			if (b > a && append_events(&buf, &cap, &n, ev + a,
						   b - a) < 0)
				goto fail;
			if (progress != NULL && (u & 255) == 0)
				progress(arg, p * g->nusers + u,
					 passes * g->nusers);
		}
		if (sort_by_time(buf, n, lo, hi) < 0)
			goto fail;
		for (e = 0; e < n; e++)
			if (write_event(g, out, &buf[e]) < 0)
				goto fail;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

int igr_gen_write_events(igr_gen *g, igr_out *out, int order,
			 igr_gen_progress_fn *progress, void *arg)
{
	uint32_t u;

	memset(g->counts, 0, sizeof g->counts);
	if (order == IGR_GEN_BY_TIME)
		return write_by_time(g, out, progress, arg);
	for (u = 0; u < g->nusers; u++) {
		const igr_gen_event *ev;
		size_t n, e;
		if (igr_gen_user(g, u, &ev, &n) < 0)
			return -1;
		for (e = 0; e < n; e++)
			if (write_event(g, out, &ev[e]) < 0)
				return -1;
		if (progress != NULL && (u & 255) == 0)
			progress(arg, u, g->nusers);
	}
	return 0;
}

/* ---- the item catalogue ------------------------------------------------- */

static const char *const adjectives[32] = {
	"new", "classic", "soft", "slim", "light", "warm", "cool", "mini",
	"smart", "pro", "premium", "basic", "casual", "sport", "vintage",
	"modern", "portable", "wireless", "organic", "fresh", "korean",
	"japanese", "summer", "winter", "luxury", "simple", "cute", "large",
	"compact", "handmade", "quick", "eco",
};

static const char *const materials[24] = {
	"cotton", "wool", "leather", "steel", "wooden", "glass", "ceramic",
	"silk", "denim", "bamboo", "plastic", "linen", "velvet", "canvas",
	"rubber", "silver", "gold", "black", "white", "red", "blue", "pink",
	"grey", "green",
};

static const char *const audiences[16] = {
	"men", "women", "kids", "home", "outdoor", "office", "travel", "party",
	"baby", "pet", "car", "garden", "gift", "student", "family", "elder",
};

static const char *const nouns[64] = {
	"shirt", "dress", "jacket", "sneakers", "boots", "scarf", "hat", "bag",
	"wallet", "watch", "phone case", "earphones", "charger", "keyboard",
	"mouse", "lamp", "pillow", "blanket", "mug", "teapot", "bowl", "pan",
	"knife", "bottle", "backpack", "skirt", "jeans", "sweater", "coat",
	"socks", "gloves", "belt", "sunglasses", "necklace", "ring",
	"lipstick", "perfume", "shampoo", "lotion", "toothbrush", "towel",
	"curtain", "rug", "chair", "desk", "shelf", "toy car", "puzzle", "doll",
	"notebook", "pen", "tea", "coffee", "snacks", "rice", "noodles",
	"honey", "nuts", "dog food", "cat litter", "tent", "yoga mat",
	"dumbbell", "bicycle",
};

int igr_gen_write_items(igr_gen *g, igr_out *out)
{
	uint32_t c, i;

	for (c = 0; c < g->ncat; c++) {
		/* a category is an audience and a kind of goods, shared by
		 * the titles of its items so the words carry its identity */
		uint64_t h = igr_mix64(g->o.seed ^ igr_mix64(c + 0x5851f42d4c957f2dULL));
		const char *aud = audiences[h & 15];
		const char *noun = nouns[(h >> 4) & 63];
		uint64_t cid = igr_gen_category_id(g, c);

		for (i = g->cat_start[c]; i < g->cat_start[c + 1]; i++) {
			igr_rng r;
			uint64_t cents;
			char *p0, *p;
			const char *adj, *mat;
			size_t len;

			igr_rng_gen_stream(&r, g->o.seed, ST_ITEM, i);
			cents = (uint64_t)g->cat_price[c] *
				(60 + igr_rng_below64(&r, 121)) / 100;
			cents = cents / 10 * 10; /* prices end in 0 fen */
			if (cents == 0)
				cents = 10;
			adj = adjectives[igr_rng_below64(&r, 32)];
			mat = materials[igr_rng_below64(&r, 24)];
			p0 = p = igr_out_space(out, 192);
			if (p == NULL)
				return -1;
			p = put_u64(p, igr_gen_item_id(g, i));
			*p++ = ',';
			p = put_u64(p, cid);
			*p++ = ',';
			p = put_u64(p, cents / 100);
			*p++ = '.';
			*p++ = (char)('0' + cents / 10 % 10);
			*p++ = (char)('0' + cents % 10);
			*p++ = ',';
			len = strlen(adj);
			memcpy(p, adj, len);
			p += len;
			*p++ = ' ';
			len = strlen(mat);
			memcpy(p, mat, len);
			p += len;
			*p++ = ' ';
			len = strlen(aud);
			memcpy(p, aud, len);
			p += len;
			*p++ = ' ';
			len = strlen(noun);
			memcpy(p, noun, len);
			p += len;
			*p++ = ' ';
			/* a model code such as K218 */
			*p++ = (char)('A' + igr_rng_below64(&r, 26));
			p = put_u64(p, 10 + igr_rng_below64(&r, 9990));
			*p++ = '\n';
			igr_out_commit(out, (size_t)(p - p0));
		}
	}
	return 0;
}
