/* ingest_dedup.c - the exact window of recent records used to drop
 * duplicates (see ingest.h).
 *
 * A FIFO ring holds the last W distinct keys; an open-addressing table
 * (linear probing, load at most 1/2) maps keys to ring slots.  When the
 * ring is full the oldest key leaves the table by backward-shift deletion
 * (Knuth, TAOCP vol. 3, 6.4 Algorithm R), so no tombstones pile up and a
 * lookup costs the same after a billion records as after a thousand.
 * Until the window is full the ring and table grow by doubling, so small
 * inputs use little memory.  A table entry keeps the low 32 bits of the
 * key's hash beside the ring index: they are the home slot (the table has
 * at most 2^31 slots) and a quick filter before the key itself is read,
 * so neither probing nor deletion touches the ring for other keys. */
#include "ingest.h"
#include "error.h"
#include "mem.h"
#include "rand.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

struct igr_dedup {
	uint64_t window;
	unsigned char *keys; /* ring of IGR_DEDUP_KEY-byte keys */
	uint32_t *rh;        /* their hashes */
	uint32_t cap, n;     /* ring capacity, keys held */
	uint32_t head;       /* when full: the oldest slot */
	uint64_t *slots;     /* table: ring index | hash fragment << 32 */
	size_t nslots;       /* power of two */
};

uint32_t igr_dedup_hash(const unsigned char *k)
{
	uint64_t w[4];

	memcpy(w, k, sizeof w);
	return (uint32_t)igr_mix64(w[0] ^ igr_mix64(w[1] ^ igr_mix64(w[2] ^ igr_mix64(w[3]))));
}

static inline uint32_t slot_idx(uint64_t s)
{
	return (uint32_t)s;
}

igr_dedup *igr_dedup_new(uint64_t window)
{
	igr_dedup *d = calloc(1, sizeof *d);

	if (d == NULL)
		return igr_error("out of memory"), NULL;
	if (window > IGR_DEDUP_MAX)
		window = IGR_DEDUP_MAX;
	d->window = window;
	return d;
}

void igr_dedup_free(igr_dedup *d)
{
	if (d == NULL)
		return;
	free(d->keys);
	free(d->rh);
	free(d->slots);
	free(d);
}

static void table_put(uint64_t *slots, size_t mask, uint32_t h,
		      uint32_t idx)
{
	size_t i = (size_t)h & mask;

	while (slot_idx(slots[i]) != EMPTY)
		i = (i + 1) & mask;
	slots[i] = idx | (uint64_t)h << 32;
}

/* Grow the ring (still filling up, so slots 0..n-1 are in order). */
static int grow(igr_dedup *d)
{
	uint64_t ncap = d->cap ? (uint64_t)d->cap * 2 : 1024;
	size_t ns, i;
	unsigned char *nk;
	uint64_t *nsl;
	uint32_t *nh;

	if (ncap > d->window)
		ncap = d->window;
	for (ns = 16; ns < ncap * 2; ns *= 2)
		;
	nk = igr_calloc_large(ncap * IGR_DEDUP_KEY, 1);
	nh = igr_calloc_large(ncap * sizeof *nh, 1);
	nsl = igr_calloc_large(ns * sizeof *nsl, 1);
	if (nk == NULL || nh == NULL || nsl == NULL) {
		free(nk);
		free(nh);
		free(nsl);
		return igr_error("out of memory");
	}
	if (d->n > 0) {
		memcpy(nk, d->keys, (size_t)d->n * IGR_DEDUP_KEY);
		memcpy(nh, d->rh, (size_t)d->n * sizeof *nh);
	}
	memset(nsl, 0xff, ns * sizeof *nsl);
	for (i = 0; i < d->n; i++)
		table_put(nsl, ns - 1, nh[i], (uint32_t)i);
	free(d->keys);
	free(d->rh);
	free(d->slots);
	d->keys = nk;
	d->rh = nh;
	d->slots = nsl;
	d->nslots = ns;
	d->cap = (uint32_t)ncap;
	return 0;
}

/* Remove ring slot IDX (whose key hashes to H) from the table. */
static void table_del(igr_dedup *d, uint32_t h, uint32_t idx)
{
	size_t mask = d->nslots - 1, i = (size_t)h & mask, j;

	while (slot_idx(d->slots[i]) != idx)
		i = (i + 1) & mask;
	/* backward shift: move later members of the cluster into the hole
	 * when their home slot is not cyclically in (i, j] */
	j = i;
	for (;;) {
		size_t home;
		uint32_t k;
		j = (j + 1) & mask;
		k = slot_idx(d->slots[j]);
		if (k == EMPTY)
			break;
		home = (size_t)(d->slots[j] >> 32) & mask;
		if (i <= j ? (i < home && home <= j)
			   : (i < home || home <= j))
			continue;
		d->slots[i] = d->slots[j];
		i = j;
	}
	d->slots[i] = (uint64_t)-1;
}

void igr_dedup_prefetch(const igr_dedup *d, uint32_t h, unsigned ahead)
{
	if (d->nslots == 0)
		return;
	__builtin_prefetch(&d->slots[h & (d->nslots - 1)]);
	/* the slot of the key that the AHEAD-th next insertion evicts */
	if (d->n == d->cap && d->cap == d->window && ahead < d->cap) {
		size_t k = d->head + ahead;
		if (k >= d->cap)
			k -= d->cap;
		__builtin_prefetch(&d->slots[d->rh[k] & (d->nslots - 1)]);
	}
}

int igr_dedup_check(igr_dedup *d, const unsigned char *key)
{
	return igr_dedup_check_h(d, key, igr_dedup_hash(key));
}

int igr_dedup_check_h(igr_dedup *d, const unsigned char *key, uint32_t h)
{
	uint32_t idx;
	size_t mask, i;

	if (d->window == 0)
		return 0;
	if (d->n == d->cap && d->cap < d->window && grow(d) < 0)
		return -1;
	mask = d->nslots - 1;
	for (i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint64_t s = d->slots[i];
		uint32_t k = slot_idx(s);
		if (k == EMPTY)
			break;
		if ((uint32_t)(s >> 32) == h &&
		    memcmp(d->keys + (size_t)k * IGR_DEDUP_KEY, key,
			   IGR_DEDUP_KEY) == 0)
			return 1;
	}
	if (d->n < d->cap) {
		idx = d->n++;
	} else {
		/* full window: the oldest key makes room */
		idx = d->head;
		table_del(d, d->rh[idx], idx);
		if (++d->head == d->cap)
			d->head = 0;
	}
	memcpy(d->keys + (size_t)idx * IGR_DEDUP_KEY, key, IGR_DEDUP_KEY);
	d->rh[idx] = h;
	table_put(d->slots, mask, h, idx);
	return 0;
}

uint64_t igr_dedup_window(const igr_dedup *d)
{
	return d->window;
}

size_t igr_dedup_keys(const igr_dedup *d, unsigned char *out)
{
	size_t i, k = d->head;

	/* oldest first: from the head (slot 0 until the ring is full) */
	for (i = 0; i < d->n; i++) {
		if (out != NULL)
			memcpy(out + i * IGR_DEDUP_KEY,
			       d->keys + k * IGR_DEDUP_KEY, IGR_DEDUP_KEY);
		if (++k == d->cap)
			k = 0;
	}
	return d->n;
}
