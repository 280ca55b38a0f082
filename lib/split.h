/*
 * split.h - train/test splits of an events stream (igraph-split).
 *
 * Three rules, each putting every input event into exactly one of the two
 * outputs:
 *
 *   IGR_SPLIT_AT        temporal cut: ts < at goes to train, ts >= at to
 *                       test.  Streaming: one event in memory at a time.
 *   IGR_SPLIT_LAST      leave-last-N-per-user: each user's last N events
 *                       (by time, ties broken by input order) go to test.
 *   IGR_SPLIT_FRACTION  each user's events go to test with a seeded random
 *                       choice of round(F * n) of them.
 *
 * The per-user rules keep at least min_train events of every user in train
 * (a user with fewer events keeps them all in train), hold all events in
 * memory (32 bytes each plus 5 bytes of bookkeeping) and write both outputs
 * in input order.  The random choice for one user depends only on the
 * seed, the user's id and the user's events in time order, never on the
 * other users or on the input order of users, so adding users to a log
 * does not change how the others are split.
 *
 * Ownership: the caller owns the readers and writers; the functions read
 * the readers to their end and write records, but neither open nor close
 * them.
 */
#ifndef IGR_SPLIT_H
#define IGR_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

enum igr_split_mode {
	IGR_SPLIT_AT = 1,
	IGR_SPLIT_LAST = 2,
	IGR_SPLIT_FRACTION = 3,
};

typedef struct igr_split_opts {
	int mode;           /* enum igr_split_mode */
	int64_t at;         /* IGR_SPLIT_AT: first test time */
	uint32_t last;      /* IGR_SPLIT_LAST: events per user to test */
	double fraction;    /* IGR_SPLIT_FRACTION: 0 .. 1 */
	uint64_t seed;      /* IGR_SPLIT_FRACTION */
	uint32_t min_train; /* per-user rules: events kept in train */
} igr_split_opts;

typedef struct igr_split_stats {
	uint64_t events, train, test;
	uint64_t users;      /* per-user rules: distinct users */
	uint64_t users_test; /* users with at least one test event */
} igr_split_stats;

/* Which events of EV[0..N) go to test under the per-user rule O (mode
 * IGR_SPLIT_LAST or IGR_SPLIT_FRACTION): sets TEST[i] to 1 or 0.  Fills
 * ST's users and users_test if ST is not NULL.  Returns 0 or -1 (out of
 * memory). */
int igr_split_assign(const igr_event *ev, size_t n, const igr_split_opts *o,
		     uint8_t *test, igr_split_stats *st) IGR_WUR;

/* Read every event of IN[0..NIN) (in order, as one stream) and write each
 * to TRAIN or TEST under rule O.  Fills ST (which may be NULL).  Returns 0
 * or -1; on error the writers hold part of the output and the caller
 * aborts them. */
int igr_split_run(igr_reader **in, size_t nin, const igr_split_opts *o,
		  igr_writer *train, igr_writer *test,
		  igr_split_stats *st) IGR_WUR;

#endif
