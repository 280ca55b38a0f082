/*
 * gen.h - a synthetic, Taobao-shaped behaviour log generator.
 *
 * Writes logs in the exact layout of Alibaba's Taobao UserBehavior data
 * set (CSV, no header: user_id,item_id,category_id,behavior_type,timestamp
 * with behavior_type one of pv, cart, fav, buy and Unix-second times), of
 * any size, for benchmarks, tests and the shipped sample-data/.  The shape
 * follows the real logs (see /work/shared/data/taobao-userbehavior): id
 * magnitudes, a pv/cart/fav/buy mix near 89.8/5.3/2.8/2.1 %, a heavy-tailed
 * number of events per user, bursty sessions with the real gap and
 * time-of-day profiles, Zipf-Mandelbrot category and item popularity.  On
 * top it models what the downstream tools look for, more regularly than
 * the real logs do: a few interest categories per user that drift from
 * day to day, and a view -> fav/cart -> buy funnel in which carted items
 * are often bought in a later session.
 *
 * Determinism: the output is a pure function of the options (seed
 * included) on every machine.  Randomness comes from our own xoshiro256**
 * generator, seeded per user and per item, so a user's events do not
 * depend on the other users and the time-ordered output can regenerate
 * them pass by pass.  Everything after option parsing is integer
 * arithmetic (probabilities in 32-bit fixed point, Zipf weights through
 * integer square roots): no floating point, no libm, nothing that could
 * differ in a last bit between machines or compilers.
 *
 * Memory: 4 bytes per user (event counts), O(categories + the largest
 * category), the events of one user, and for the time-ordered output one
 * time slice of at most igr_gen_opts.chunk_events events.
 *
 * Ownership: igr_gen_new() returns a generator the caller frees with
 * igr_gen_free(); event arrays returned by igr_gen_user() belong to the
 * generator and are valid until its next call.
 */
#ifndef IGR_GEN_H
#define IGR_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

/* 2017-11-25T00:00:00+08:00, the first day of the Taobao UserBehavior log */
#define IGR_GEN_TAOBAO_START 1511539200

enum igr_gen_behavior {
	IGR_GEN_PV = 0,
	IGR_GEN_CART = 1,
	IGR_GEN_FAV = 2,
	IGR_GEN_BUY = 3,
};
#define IGR_GEN_NBEHAVIOR 4

enum igr_gen_order {
	IGR_GEN_BY_USER = 0, /* grouped by user, time-sorted within a user */
	IGR_GEN_BY_TIME = 1, /* sorted by time (ties: user order) */
};

typedef struct igr_gen_opts {
	uint64_t users;           /* >= 1 */
	uint64_t items;           /* 0: 4 per user (at least 100) */
	uint64_t categories;      /* 0: items / 50, 1 to 9439 */
	uint64_t events;          /* total rows; 0: users * events_per_user */
	uint64_t events_per_user; /* mean, used when events is 0 */
	uint32_t days;            /* length of the log */
	int64_t start;            /* first second; the daily cycle is
				   * relative to it (give a local midnight) */
	uint64_t seed;
	double drift;             /* chance per user and day that a new
				   * interest takes the top place, 0-1 */
	uint64_t chunk_events;    /* time order: events held per pass */
} igr_gen_opts;

typedef struct igr_gen_event {
	int64_t ts;
	uint32_t user;     /* indices 0..n-1; see the *_id() functions */
	uint32_t item;
	uint32_t category;
	uint8_t behavior;  /* enum igr_gen_behavior */
} igr_gen_event;

typedef struct igr_gen igr_gen;

/* Fill O with the defaults: 1000 users, 100 events per user, 9 days from
 * IGR_GEN_TAOBAO_START, seed 1, drift 0.3, automatic item and category
 * counts, 2^21 events per time-order pass. */
void igr_gen_opts_init(igr_gen_opts *o);

/* Check the options, resolve the automatic counts and build the tables.
 * Returns NULL with the error set if an option is out of range. */
igr_gen *igr_gen_new(const igr_gen_opts *o) IGR_WUR;

/* The options in effect (automatic counts resolved). */
const igr_gen_opts *igr_gen_options(const igr_gen *g);

/* The events of user U (0 <= U < users), time-sorted; *N is the count
 * the user was given.  The array belongs to G. */
int igr_gen_user(igr_gen *g, uint32_t u, const igr_gen_event **ev,
		 size_t *n) IGR_WUR;

/* External ids as they appear in the CSV: users numbered from 1 in
 * index order with small gaps, items and categories scattered over the
 * Taobao id range (1 to about 5.16 million, or wider for larger sets). */
uint64_t igr_gen_user_id(const igr_gen *g, uint32_t u);
uint64_t igr_gen_item_id(const igr_gen *g, uint32_t item);
uint64_t igr_gen_category_id(const igr_gen *g, uint32_t cat);

/* The category index of ITEM. */
uint32_t igr_gen_item_category(const igr_gen *g, uint32_t item);

/* "pv", "cart", "fav", "buy". */
const char *igr_gen_behavior_name(int b);

/* Progress callback: DONE of TOTAL units of work. */
typedef void igr_gen_progress_fn(void *arg, uint64_t done, uint64_t total);

/* Write every event as Taobao CSV to OUT in ORDER.  Returns 0 or -1. */
int igr_gen_write_events(igr_gen *g, igr_out *out, int order,
			 igr_gen_progress_fn *progress, void *arg) IGR_WUR;

/* Write the item catalogue, one line per item in item index order:
 * item_id,category_id,price,title (price in yuan with two decimals; the
 * title is ASCII words and never holds a comma or a quote). */
int igr_gen_write_items(igr_gen *g, igr_out *out) IGR_WUR;

/* Events written so far per behaviour (by igr_gen_write_events). */
void igr_gen_counts(const igr_gen *g, uint64_t counts[IGR_GEN_NBEHAVIOR]);

void igr_gen_free(igr_gen *g);

#endif
