/* featurize_internal.h -- NOT the public API: see featurize.h.
 *
 * Internals shared by the featurize module's files only: featurize.c
 * (events, aggregation, co-engagement) and featurize_merge.c (the
 * streaming merge).  No other file includes this header.
 */
#ifndef IGR_FEATURIZE_INTERNAL_H
#define IGR_FEATURIZE_INTERNAL_H

#include "featurize.h"

/* Aggregated new edges of one relation, sorted by (src, dst). */
struct fz_list {
	size_t n, cap;
	uint32_t *src, *dst, *cnt;
	double *w;   /* decayed to now */
	int64_t *ts; /* newest event */
};

/* Co-engagement pair accumulator: open addressing on (a << 32 | b). */
struct fz_pairs {
	size_t n, cap; /* cap is a power of two */
	uint64_t *key; /* UINT64_MAX: empty */
	double *w;
	uint32_t *cnt;
	int64_t *ts;
};

/* One user's recent items for co-engagement, newest first. */
struct fz_recent {
	uint32_t n;
	uint32_t *item;
	int64_t *ts;
};

struct igr_fz {
	igr_fz_opts o;

	/* events as read (structure of arrays) */
	size_t n, cap;
	int64_t *ts;
	uint32_t *user, *item, *cat;
	uint8_t *beh;
	int64_t newest;
	int64_t horizon; /* no event after it (igr_fz_opts: max_future) */
	uint64_t nread;

	/* forgotten users: bitmap */
	uint8_t *forgot;
	size_t forgot_bytes;
	uint64_t nforgot;

	/* base graph facts (igr_fz_use_base) */
	int base_used, base_has_now;
	int64_t base_now;
	uint32_t base_nodes[IGR_NNODE];

	/* built by fz_build() */
	int64_t now;
	double *contrib;     /* per kept event: w(b) * decay(ts) */
	uint32_t *kept;      /* indices of kept events */
	size_t nkept;
	uint64_t events_forgotten;
	struct fz_list rel[4]; /* UI, UC, II, IC */

	/* per-user segments of kept events in time order (co-engagement) */
	uint32_t *by_user;   /* event indices grouped by user, time order */
	size_t nseg;
	uint32_t *seg_user;  /* ascending */
	size_t *seg_lo;      /* segment k: by_user[seg_lo[k] .. seg_lo[k+1]) */
	struct fz_pairs pairs;
	struct fz_recent recent;
};

static inline int fz_is_forgotten(const struct igr_fz *f, uint32_t u)
{
	return f->forgot != NULL && (size_t)u / 8 < f->forgot_bytes &&
	       ((f->forgot[u / 8] >> (u % 8)) & 1);
}

/* Build the new edges (everything except item->item when a base graph
 * must provide the co-engagement state): kept events, contributions, the
 * UI, UC and IC lists and the per-user segments.  0 or -1. */
int fz_build(struct igr_fz *f);

/* Co-engagement of segment K's events, starting from the base state
 * (NBASE items with their newest times, any order).  0 or -1. */
int fz_cooc_segment(struct igr_fz *f, size_t k, const uint32_t *bitem,
		    const int64_t *bts, size_t nbase);

/* Turn the accumulated pairs into the sorted item->item list.  0 or -1. */
int fz_cooc_finish(struct igr_fz *f);

#endif
