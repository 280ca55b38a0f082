/* mem.c - growing arrays (see mem.h). */
#include "mem.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *igr_alloc_large(size_t n, size_t size)
{
	size_t b;
	void *p = NULL;

	if (n == 0)
		n = 1;
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	b = n * size;
	if (b < HUGE_PAGE)
		return malloc(b);
	if (posix_memalign(&p, HUGE_PAGE, b) != 0)
		return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	/* advice only: its failure changes nothing but speed */
	(void)madvise(p, b - b % HUGE_PAGE, MADV_HUGEPAGE);
#endif
	return p;
}

void *igr_calloc_large(size_t n, size_t size)
{
	void *p = igr_alloc_large(n, size);

	if (p != NULL)
		memset(p, 0, (n ? n : 1) * size);
	return p;
}

int igr_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 64;
	void *old, *p;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / size)
			return igr_error("out of memory");
		nc *= 2;
	}
	/* the pointer is read and written through memcpy: PP may point at
	 * any object pointer type */
	memcpy(&old, pp, sizeof old);
	p = realloc(old, nc * size);
	if (p == NULL)
		return igr_error("out of memory");
	memcpy(pp, &p, sizeof p);
	*cap = nc;
	return 0;
}

int igr_grow_each(size_t *cap, size_t need, const struct igr_growing *a,
		  size_t n)
{
	size_t nc = *cap, i;

	for (i = 0; i < n; i++) {
		nc = *cap;
		if (igr_grow(a[i].pp, &nc, need, a[i].size) < 0)
			return -1;
	}
	*cap = nc;
	return 0;
}
