/* check_crc32.c - the fast CRC-32 agrees with zlib's everywhere, and its
 * folding constants follow from the polynomial. */
#include "testutil.h"

#include "crc32.h"

#include <stdint.h>
#include <zlib.h>

/* x^n mod P over GF(2), P = 0x104c11db7 (bit i: coefficient of x^i). */
static uint64_t xpow_mod(unsigned n)
{
	uint64_t r = 1;

	while (n-- > 0) {
		r <<= 1;
		if (r & (1ULL << 32))
			r ^= 0x104c11db7ULL;
	}
	return r;
}

static uint64_t reflect32(uint64_t v)
{
	uint64_t r = 0;
	int i;

	for (i = 0; i < 32; i++)
		if (v & (1ULL << i))
			r |= 1ULL << (31 - i);
	return r;
}

START_TEST(constants_from_polynomial)
{
	ck_assert_uint_eq(reflect32(xpow_mod(512 + 32)) << 1, IGR_CRC32_K544);
	ck_assert_uint_eq(reflect32(xpow_mod(512 - 32)) << 1, IGR_CRC32_K480);
	ck_assert_uint_eq(reflect32(xpow_mod(128 + 32)) << 1, IGR_CRC32_K160);
	ck_assert_uint_eq(reflect32(xpow_mod(128 - 32)) << 1, IGR_CRC32_K96);
}
END_TEST

START_TEST(agrees_with_zlib)
{
	size_t n = 70000, len, off;
	unsigned char *b = malloc(n + 64);
	uint64_t s = 88172645463325252ULL;
	uint32_t init[] = { 0, 1, 0xffffffffu, 0x9e3779b9u };
	size_t i;
	int k;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n + 64; i++) {
		/* xorshift64 (Marsaglia 2003) */
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		b[i] = (unsigned char)s;
	}
	/* every length around the 16/64-byte steps and the 256-byte switch,
	 * at every alignment, from several starting values */
	for (len = 0; len < 1200; len++)
		for (off = 0; off < 16; off += (len < 300 ? 1 : 5))
			for (k = 0; k < 4; k++)
				ck_assert_uint_eq(
					igr_crc32(init[k], b + off, len),
					(uint32_t)crc32(init[k], b + off,
							(uInt)len));
	for (len = 60000; len < n; len += 997)
		ck_assert_uint_eq(igr_crc32(7, b + 3, len),
				  (uint32_t)crc32(7, b + 3, (uInt)len));
	ck_assert_uint_eq(igr_crc32_portable(5, b, n),
			  (uint32_t)crc32(5, b, (uInt)n));
	/* continuing a CRC over pieces equals one pass */
	ck_assert_uint_eq(igr_crc32(igr_crc32(0, b, 1000), b + 1000, 50000),
			  igr_crc32(0, b, 51000));
	free(b);
}
END_TEST

START_TEST(known_values)
{
	/* the check value of CRC-32 (the "123456789" test of the CRC
	 * catalogue) and of a zero-filled buffer long enough to fold */
	unsigned char z[4096];

	ck_assert_uint_eq(igr_crc32(0, "123456789", 9), 0xcbf43926u);
	memset(z, 0, sizeof z);
	ck_assert_uint_eq(igr_crc32(0, z, sizeof z),
			  (uint32_t)crc32(0, z, sizeof z));
	ck_assert_uint_eq(igr_crc32(0, NULL, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crc32");
	TCase *tc = tcase_create("crc32");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, constants_from_polynomial);
	tcase_add_test(tc, agrees_with_zlib);
	tcase_add_test(tc, known_values);
	suite_add_tcase(s, tc);
	printf("carry-less multiply path: %s\n",
	       igr_crc32_accelerated() ? "yes" : "no");
	return tu_run(s);
}
