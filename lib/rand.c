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

void igr_rng_gen_stream(igr_rng *r, uint64_t seed, uint64_t purpose,
			uint64_t index)
{
	uint64_t x = igr_mix64(igr_mix64(seed + 0x632be59bd9b4e019ULL) ^
			       (purpose * 0xd1b54a32d192ed03ULL)) ^
		     igr_mix64(index + 0x8cb92ba72f3d8dd7ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = igr_splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1; /* the one state xoshiro must not start from */
}

/* Box-Muller (one value of the pair) from uniforms U1 in (0, 1], U2 */
static double box_muller(double u1, double u2)
{
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

double igr_rng_normal(igr_rng *r)
{
	double u1 = igr_rng_unit(r), u2 = igr_rng_unit(r);

	return box_muller(u1 < 1e-300 ? 1e-300 : u1, u2);
}

double igr_splitmix_normal(uint64_t *s)
{
	double u1 = igr_splitmix_unit(s), u2 = igr_splitmix_unit(s);

	return box_muller(u1 > 0 ? u1 : 0x1.0p-53, u2);
}
