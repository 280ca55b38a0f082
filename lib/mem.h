/*
 * mem.h - growing arrays without writing the doubling loop each time.
 */
#ifndef IGR_MEM_H
#define IGR_MEM_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * The memory budget: how many bytes a stage may hold at its peak.  Set by
 * the commands from --memory or IGRAPH_MEMORY; until then five eighths
 * of the machine's physical memory (the rest for the page cache, the
 * input and other processes).  A stage whose needs grow with its input
 * sizes itself from it (the graph filter's rank, say) or stops with a
 * clear error instead of being killed by the kernel.
 */
void igr_memory_set(uint64_t bytes);
uint64_t igr_memory_budget(void);
/* TEXT as a size: a number with an optional K, M, G or T (powers of 1024,
 * an optional trailing B or iB), or a percentage of physical memory
 * ("50%").  Returns 0 and *BYTES, or -1 with an error naming WHAT. */
int igr_parse_size(const char *text, const char *what,
		   uint64_t *bytes) IGR_WUR;
/* Physical memory in bytes (0 when unknown). */
uint64_t igr_physical_memory(void);
/* This process's resident memory in bytes now (0 when unknown). */
uint64_t igr_memory_resident(void);

#endif
