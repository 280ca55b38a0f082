/* rand.c - the generators' out-of-line parts (see rand.h). */
#include "rand.h"

#include <math.h>

void igr_rng_stream(igr_rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t x = seed;
	uint64_t h = igr_splitmix64(&x);

	x = h ^ (a * 0xd1342543de82ef95ULL);
	h = igr_splitmix64(&x);
	x = h ^ (b * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
	igr_rng_seed(r, igr_splitmix64(&x));
}

double igr_rng_normal(igr_rng *r)
{
	double u1 = igr_rng_unit(r), u2 = igr_rng_unit(r);

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}
