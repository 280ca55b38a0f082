/*
 * mem.h - growing arrays without writing the doubling loop each time.
 */
#ifndef IGR_MEM_H
#define IGR_MEM_H

#include <stddef.h>

#include "io.h"

/* Make the array *PP (of elements of SIZE bytes, room for *CAP of them)
 * hold at least NEED elements: its room doubles (from 64) until it does.
 * PP is the address of the array pointer (e.g. &list->ids).  Returns 0, or
 * -1 with "out of memory" (the array is then unchanged). */
int igr_grow(void *pp, size_t *cap, size_t need, size_t size) IGR_WUR;

/* One of several parallel arrays that share one count and one room:
 * PP is the address of the array pointer, SIZE its element size.
 * IGR_GROWING(&l->ts) fills both. */
struct igr_growing {
	void *pp;
	size_t size;
};
#define IGR_GROWING(pp) { (pp), sizeof **(pp) }

/* igr_grow for the N parallel arrays A[0..N-1] sharing the room *CAP.
 * *CAP is updated only when every array grew; on error an array that did
 * grow keeps its larger room, which is harmless.  Returns 0, or -1 with
 * "out of memory". */
int igr_grow_each(size_t *cap, size_t need, const struct igr_growing *a,
		  size_t n) IGR_WUR;

/* N elements of SIZE bytes (at least one) for a large working array
 * that is gathered from at random (sparse products, the SVD's blocks):
 * from 2 MB up it is aligned to 2 MB and the kernel is asked to back it
 * with transparent huge pages (madvise; a no-op where they are off), so
 * its gathers miss the TLB less and it faults once a 2 MB page.  Free it
 * with free().  NULL (no message) when out of memory or N * SIZE
 * overflows. */
void *igr_alloc_large(size_t n, size_t size);
/* The same, zeroed (hash tables). */
void *igr_calloc_large(size_t n, size_t size);

#endif
