/* ingest_dedup.c - the exact window of recent records used to drop
 * duplicates (see ingest.h).
 *
 * A FIFO ring holds the last W distinct keys; an open-addressing table
 * (linear probing, load at most 1/2) maps keys to ring slots.  When the
 * ring is full the oldest key leaves the table by backward-shift deletion
 * (Knuth, TAOCP vol. 3, 6.4 Algorithm R), so no tombstones pile up and a
 * lookup costs the same after a billion records as after a thousand.
 * Until the window is full the ring and table grow by doubling, so small
 * inputs use little memory. */
#include "ingest.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

struct igr_dedup {
	uint64_t window;
	unsigned char *keys; /* ring of IGR_DEDUP_KEY-byte keys */
	uint32_t cap, n;     /* ring capacity, keys held */
	uint32_t head;       /* when full: the oldest slot */
	uint64_t *slots;     /* table: ring index | hash fragment << 32 */
	size_t nslots;       /* power of two */
};

static uint64_t key_hash(const unsigned char *k)
{
	return igr_hash_bytes(k, IGR_DEDUP_KEY, 0x6a09e667f3bcc909ULL);
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
	if (window > (1u << 30))
		window = 1u << 30;
	d->window = window;
	return d;
}

void igr_dedup_free(igr_dedup *d)
{
	if (d == NULL)
		return;
	free(d->keys);
	free(d->slots);
	free(d);
}

static void table_put(uint64_t *slots, size_t mask, uint64_t h,
		      uint32_t idx)
{
	size_t i = (size_t)h & mask;

	while (slot_idx(slots[i]) != EMPTY)
		i = (i + 1) & mask;
	slots[i] = idx | (h & 0xffffffff00000000ULL);
}

/* Grow the ring (still filling up, so slots 0..n-1 are in order). */
static int grow(igr_dedup *d)
{
	uint64_t ncap = d->cap ? (uint64_t)d->cap * 2 : 1024;
	size_t ns, i;
	unsigned char *nk;
	uint64_t *nsl;

	if (ncap > d->window)
		ncap = d->window;
	nk = realloc(d->keys, ncap * IGR_DEDUP_KEY);
	if (nk == NULL)
		return igr_error("out of memory");
	d->keys = nk;
	for (ns = 16; ns < ncap * 2; ns *= 2)
		;
	nsl = malloc(ns * sizeof *nsl);
	if (nsl == NULL)
		return igr_error("out of memory");
	memset(nsl, 0xff, ns * sizeof *nsl);
	for (i = 0; i < d->n; i++)
		table_put(nsl, ns - 1, key_hash(d->keys + i * IGR_DEDUP_KEY),
			  (uint32_t)i);
	free(d->slots);
	d->slots = nsl;
	d->nslots = ns;
	d->cap = (uint32_t)ncap;
	return 0;
}

/* Remove ring slot IDX (whose key hashes to H) from the table. */
static void table_del(igr_dedup *d, uint64_t h, uint32_t idx)
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
		home = (size_t)key_hash(d->keys + (size_t)k * IGR_DEDUP_KEY) &
		       mask;
		if (i <= j ? (i < home && home <= j)
			   : (i < home || home <= j))
			continue;
		d->slots[i] = d->slots[j];
		i = j;
	}
	d->slots[i] = (uint64_t)-1;
}

int igr_dedup_check(igr_dedup *d, const unsigned char *key)
{
	uint64_t h;
	size_t mask, i;
	uint32_t frag, idx;

	if (d->window == 0)
		return 0;
	if (d->n == d->cap && d->cap < d->window && grow(d) < 0)
		return -1;
	h = key_hash(key);
	mask = d->nslots - 1;
	frag = (uint32_t)(h >> 32);
	for (i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint64_t s = d->slots[i];
		uint32_t k = slot_idx(s);
		if (k == EMPTY)
			break;
		if ((uint32_t)(s >> 32) == frag &&
		    memcmp(d->keys + (size_t)k * IGR_DEDUP_KEY, key,
			   IGR_DEDUP_KEY) == 0)
			return 1;
	}
	if (d->n < d->cap) {
		idx = d->n++;
	} else {
		/* full window: the oldest key makes room */
		idx = d->head;
		table_del(d, key_hash(d->keys + (size_t)idx * IGR_DEDUP_KEY),
			  idx);
		d->head = (d->head + 1) % d->cap;
	}
	memcpy(d->keys + (size_t)idx * IGR_DEDUP_KEY, key, IGR_DEDUP_KEY);
	table_put(d->slots, mask, h, idx);
	return 0;
}
