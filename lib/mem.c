/* mem.c - growing arrays (see mem.h). */
#include "mem.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>
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

static uint64_t budget; /* 0: not set */

uint64_t igr_physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

void igr_memory_set(uint64_t bytes)
{
	budget = bytes;
}

uint64_t igr_memory_budget(void)
{
	uint64_t phys;

	if (budget > 0)
		return budget;
	phys = igr_physical_memory();
	return phys > 0 ? phys / 8 * 5 : (uint64_t)8 << 30;
}

int igr_parse_size(const char *text, const char *what, uint64_t *bytes)
{
	char *end;
	double x, mul = 1;

	errno = 0;
	x = strtod(text, &end);
	if (end == text || errno != 0 || !(x >= 0) || isinf(x))
		goto bad;
	switch (*end) {
	case 'k': case 'K': mul = 1024.0; end++; break;
	case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
	case '%':
		if (x > 100 || igr_physical_memory() == 0)
			goto bad;
		mul = (double)igr_physical_memory() / 100;
		end++;
		break;
	}
	if (mul > 1 && end[-1] != '%' && (*end == 'i' || *end == 'I'))
		end++;
	if ((*end == 'b' || *end == 'B') && end[-1] != '%')
		end++;
	if (*end != '\0' || x * mul < 1 || x * mul > 1.8e19)
		goto bad;
	*bytes = (uint64_t)(x * mul);
	return 0;
bad:
	return igr_error("%s: '%s' is not a size (e.g. 16G, 800M, 50%%)", what,
			 text);
}

uint64_t igr_memory_resident(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, res = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return page > 0 ? (uint64_t)res * (uint64_t)page : 0;
}
