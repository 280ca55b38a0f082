/* ingest_ids.c - a one-cache-miss index from external ids to dense ids,
 * in front of the vocabulary (see ingest.h).
 *
 * The vocabulary keeps its names in an arena with offsets, lengths and
 * hash fragments in separate arrays: four or five cache misses per
 * lookup, which at ten million rows is most of ingest's time.  Here an
 * entry is 32 bytes holding the hash, the dense id and the name itself
 * when it has at most 19 bytes (numeric ids of up to 19 digits, the
 * common case), so a lookup usually touches one cache line.  Longer names
 * live in an arena of the index's own. */
#include "ingest.h"
#include "error.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#define INLINE 19

struct ent {
	uint64_t h;      /* 0: empty (real hashes are forced odd) */
	uint32_t id;
	uint8_t len;     /* 255: long name, in the arena at off */
	char s[INLINE];
};

struct igr_idtab {
	struct ent *t;
	size_t nslots, n;
	char *arena;
	size_t alen, acap;
};

igr_idtab *igr_idtab_new(void)
{
	igr_idtab *t = calloc(1, sizeof *t);

	if (t == NULL)
		return igr_error("out of memory"), NULL;
	t->nslots = 1024;
	t->t = igr_calloc_large(t->nslots * sizeof *t->t, 1);
	if (t->t == NULL) {
		free(t);
		return igr_error("out of memory"), NULL;
	}
	return t;
}

void igr_idtab_free(igr_idtab *t)
{
	if (t == NULL)
		return;
	free(t->t);
	free(t->arena);
	free(t);
}

uint64_t igr_idtab_hash(const char *s, size_t len)
{
	return igr_hash_bytes(s, len, 0x243f6a8885a308d3ULL) | 1;
}

/* Long names: u64 offset and u32 length stored in s[]. */
static int ent_eq(const igr_idtab *t, const struct ent *e, const char *s,
		  size_t len)
{
	uint64_t off;
	uint32_t l;

	if (e->len != 255)
		return e->len == len && memcmp(e->s, s, len) == 0;
	memcpy(&off, e->s, 8);
	memcpy(&l, e->s + 8, 4);
	return l == len && memcmp(t->arena + off, s, len) == 0;
}

int igr_idtab_find(const igr_idtab *t, const char *s, size_t len,
		   uint64_t h, uint32_t *id)
{
	size_t mask = t->nslots - 1, i = (size_t)h & mask;

	for (;; i = (i + 1) & mask) {
		const struct ent *e = &t->t[i];
		if (e->h == 0)
			return 0;
		if (e->h == h && ent_eq(t, e, s, len)) {
			*id = e->id;
			return 1;
		}
	}
}

void igr_idtab_prefetch(const igr_idtab *t, uint64_t h)
{
	__builtin_prefetch(&t->t[(size_t)h & (t->nslots - 1)]);
}

static void put(struct ent *tab, size_t mask, const struct ent *e)
{
	size_t i = (size_t)e->h & mask;

	while (tab[i].h != 0)
		i = (i + 1) & mask;
	tab[i] = *e;
}

int igr_idtab_add(igr_idtab *t, const char *s, size_t len, uint64_t h,
		  uint32_t id)
{
	struct ent e;

	memset(&e, 0, sizeof e);
	e.h = h;
	e.id = id;
	if (len <= INLINE) {
		e.len = (uint8_t)len;
		memcpy(e.s, s, len);
	} else {
		uint64_t off = t->alen;
		uint32_t l = (uint32_t)len;
		if (igr_grow(&t->arena, &t->acap, t->alen + len, 1) < 0)
			return -1;
		memcpy(t->arena + t->alen, s, len);
		t->alen += len;
		e.len = 255;
		memcpy(e.s, &off, 8);
		memcpy(e.s + 8, &l, 4);
	}
	if ((t->n + 1) * 2 > t->nslots) {
		size_t ns = t->nslots * 2, i;
		struct ent *nt = igr_calloc_large(ns * sizeof *nt, 1);
		if (nt == NULL)
			return igr_error("out of memory");
		for (i = 0; i < t->nslots; i++)
			if (t->t[i].h != 0)
				put(nt, ns - 1, &t->t[i]);
		free(t->t);
		t->t = nt;
		t->nslots = ns;
	}
	put(t->t, t->nslots - 1, &e);
	t->n++;
	return 0;
}
