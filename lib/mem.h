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

#endif
