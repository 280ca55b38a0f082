/*
 * rand.h - the random numbers every module draws from.
 *
 * One implementation of each generator, so that seeded output is the same
 * whichever stage draws it:
 *   - splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
 *     number generators", OOPSLA 2014): seeds, hashing of ids into
 *     streams, small generators;
 *   - igr_mix64: splitmix64's output function alone, a bijective 64-bit
 *     mixer (hash tables);
 *   - xoshiro256** 1.0 (Blackman and Vigna, "Scrambled linear pseudorandom
 *     number generators", ACM TOMS 47(4), 2021): the general generator.
 * Two stages kept the draws they were written with, because their output
 * is compared byte for byte and a different sequence would change it:
 *   - igraph-gen (sample-data/ and the tests are its output) derives its
 *     streams with igr_rng_gen_stream and draws bounded integers with
 *     igr_rng_below64;
 *   - the mlp model draws its initial weights, dropout masks, negative
 *     sampling and shuffles straight from splitmix64 (igr_splitmix_unit,
 *     igr_splitmix_normal): seeded training gives the same model bytes.
 * No state is shared between threads: each owns its igr_rng.
 */
#ifndef IGR_RAND_H
#define IGR_RAND_H

#include <stdint.h>

static inline uint64_t igr_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The next output of the splitmix64 generator whose state is *S. */
static inline uint64_t igr_splitmix64(uint64_t *s)
{
	return igr_mix64(*s += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [0, 1) from the splitmix64 generator whose state is *S. */
static inline double igr_splitmix_unit(uint64_t *s)
{
	return (double)(igr_splitmix64(s) >> 11) * 0x1.0p-53;
}

/* Standard normal from the splitmix64 generator whose state is *S
 * (Box-Muller, two uniforms per value; a zero first uniform counts as
 * 2^-53). */
double igr_splitmix_normal(uint64_t *s);

typedef struct igr_rng {
	uint64_t s[4];
} igr_rng;

static inline uint64_t igr_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t igr_rng_next(igr_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = igr_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = igr_rng_rotl(s[3], 45);
	return res;
}

/* Seed the four words from splitmix64 started at SEED, as Vigna
 * recommends (never the all-zero state). */
static inline void igr_rng_seed(igr_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = igr_splitmix64(&seed);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

/* Uniform in 0 .. N-1 (N > 0): Lemire's multiply-shift ("Fast random
 * integer generation in an interval", ACM TOMACS 2019) without the
 * rejection step (bias < N / 2^32, negligible for our N). */
static inline uint32_t igr_rng_below(igr_rng *r, uint32_t n)
{
	return (uint32_t)(((igr_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in 0 .. N-1 (N > 0) over 64 bits: the same multiply-shift on
 * the whole output, whose bias, below N / 2^64, nothing can show. */
static inline uint64_t igr_rng_below64(igr_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)igr_rng_next(r) * n) >> 64);
}

/* 1 with probability P32 / 2^32 (P32 a 32-bit fixed-point fraction). */
static inline int igr_rng_chance(igr_rng *r, uint32_t p32)
{
	return (uint32_t)(igr_rng_next(r) >> 32) < p32;
}

/* Uniform in [0, 1). */
static inline double igr_rng_unit(igr_rng *r)
{
	return (double)(igr_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box-Muller, one value per call). */
double igr_rng_normal(igr_rng *r);

/* A generator for stream (A, B) of SEED: independent of the others. */
void igr_rng_stream(igr_rng *r, uint64_t seed, uint64_t a, uint64_t b);

/* igraph-gen's generator for stream (PURPOSE, INDEX) of SEED, e.g. one
 * per user: independent of the others like igr_rng_stream, but derived
 * differently; igraph-gen keeps it so its output stays the same. */
void igr_rng_gen_stream(igr_rng *r, uint64_t seed, uint64_t purpose,
			uint64_t index);

#endif
