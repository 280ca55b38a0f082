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
	uint64_t ebound[IGR_NNODE]; /* 1 + the largest id of a kept event */
	uint32_t *kept_item; /* kept events for item->category: kept when
				serial, else those of this rank's items */
	size_t nkept_item;

	/* a parallel run (igr_fz_set_par): this rank's users [ulo, uhi) and
	 * items [ilo, ihi); the last rank's end at 2^32 and it also has the
	 * rows of every later source (categories) */
	int par, rank, size;
	uint64_t ulo, uhi, ilo, ihi;
	uint64_t *ibound;    /* rank r's items start at ibound[r] (size + 1) */
	uint32_t *partner;   /* one event's co-engagement partners */
	uint32_t *powner;    /* ... and their owners */
	struct fz_bytes {
		unsigned char *p;
		size_t n, cap;
	} *cooc_out;         /* co-engagement records for each rank */
	/* weights written, per section (0: user rows, 1: the rest) and
	 * relation, for the report's distributions on rank 0 */
	struct fz_wlog {
		float *w;
		size_t n, cap;
	} wlog[2][IGR_FZ_NREL];
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

/* Parallel run: every rank's co-engagement records to the owners of
 * their items, and this rank's summed in the serial order (ranks in
 * order, each in its users' order).  Collective.  0 or -1. */
int fz_cooc_exchange(struct igr_fz *f);

/* Parallel run: W, written in section SECTION of relation REL. */
int fz_wlog_add(struct igr_fz *f, int section, int rel, float w);

#endif
