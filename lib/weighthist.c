/* weighthist.c - weight distributions (see weighthist.h). */
#include "weighthist.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NBIN (1u << IGR_WEIGHTHIST_BITS)

int igr_weighthist_first(igr_weighthist *h, float w)
{
	h->bin = calloc(NBIN, sizeof *h->bin);
	if (h->bin == NULL)
		return igr_error("out of memory");
	h->min = INFINITY;
	h->max = -INFINITY;
	return igr_weighthist_add(h, w);
}

/* The middle of fine bin B. */
static double bin_mid(uint32_t b)
{
	uint32_t u = b << (32 - IGR_WEIGHTHIST_BITS) |
		     1u << (31 - IGR_WEIGHTHIST_BITS);
	float f;

	if (b == 0)
		return 0;
	memcpy(&f, &u, 4);
	return f;
}

double igr_weighthist_quantile(const igr_weighthist *h, double q)
{
	uint64_t want, sum = 0;
	uint32_t b;
	double v;

	if (h->n == 0 || h->bin == NULL)
		return 0;
	want = (uint64_t)ceil(q * (double)h->n);
	if (want < 1)
		want = 1;
	for (b = 0; b < NBIN; b++) {
		sum += h->bin[b];
		if (sum >= want)
			break;
	}
	v = bin_mid(b);
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

void igr_weighthist_octaves(const igr_weighthist *h, uint64_t cnt[256])
{
	uint32_t b;

	memset(cnt, 0, 256 * sizeof *cnt);
	if (h->bin == NULL)
		return;
	for (b = 0; b < NBIN; b++)
		cnt[(b >> (IGR_WEIGHTHIST_BITS - 9)) & 0xff] += h->bin[b];
}

double igr_weighthist_octave_lo(int e)
{
	return e == 0 ? 0 : ldexp(1, e - 127);
}

void igr_weighthist_release(igr_weighthist *h)
{
	free(h->bin);
	memset(h, 0, sizeof *h);
}
