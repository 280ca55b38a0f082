/*
 * weighthist.h - a weight distribution: exact count, sum, minimum and
 * maximum, and a log-scale histogram for quantiles.
 *
 * The histogram bins are the top 13 bits of the float (sign, exponent, 4
 * mantissa bits: 1/16 octave, so quantiles to within 3.2 %).  Positive
 * floats order like their bit patterns, so the bin of a weight is a shift
 * of its bits; zero and negative weights go to bin 0.  The 2^13 counters
 * take 32 KiB, small enough to stay in cache while igraph-featurize's
 * merge streams millions of edges through igr_weighthist_add().
 *
 * Ownership: the caller owns the struct, zeroed to start (an empty
 * distribution allocates nothing); the first value allocates the bins,
 * which igr_weighthist_release() frees.
 */
#ifndef IGR_WEIGHTHIST_H
#define IGR_WEIGHTHIST_H

#include <stdint.h>
#include <string.h>

#include "io.h"

#define IGR_WEIGHTHIST_BITS 13

typedef struct igr_weighthist {
	uint64_t n;
	double sum, min, max;
	uint32_t *bin; /* 2^IGR_WEIGHTHIST_BITS counters, NULL while n == 0 */
} igr_weighthist;

/* The first value of an empty distribution: allocates the bins and adds
 * W.  Called by igr_weighthist_add(); 0 or -1 (out of memory). */
int igr_weighthist_first(igr_weighthist *h, float w) IGR_WUR;

/* Add W.  0 or -1 (out of memory on the first value). */
static inline int igr_weighthist_add(igr_weighthist *h, float w)
{
	uint32_t b;

	if (h->bin == NULL)
		return igr_weighthist_first(h, w);
	if (w > 0) {
		memcpy(&b, &w, 4);
		b >>= 32 - IGR_WEIGHTHIST_BITS;
	} else {
		b = 0;
	}
	if (h->bin[b] < UINT32_MAX)
		h->bin[b]++;
	h->n++;
	h->sum += w;
	if (w < h->min)
		h->min = w;
	if (w > h->max)
		h->max = w;
	return 0;
}

/* Approximate quantile Q (0..1) of H, clamped to [min, max]; 0 if empty. */
double igr_weighthist_quantile(const igr_weighthist *h, double q);

/* Power-of-two bins [2^e, 2^(e+1)) of H: counts into CNT[256] by biased
 * exponent e + 127 (0: zero and subnormal weights). */
void igr_weighthist_octaves(const igr_weighthist *h, uint64_t cnt[256]);

/* Lower bound of octave E as counted by igr_weighthist_octaves(). */
double igr_weighthist_octave_lo(int e);

/* Free the bins and empty H. */
void igr_weighthist_release(igr_weighthist *h);

#endif
