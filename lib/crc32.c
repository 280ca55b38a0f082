/* crc32.c - CRC-32 with carry-less multiplication (see crc32.h). */
#include "crc32.h"

#include <limits.h>
#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define IGR_HAVE_CLMUL 1
#endif

uint32_t igr_crc32_portable(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* zlib takes an unsigned length */
	while (len > 0) {
		unsigned part = len > UINT_MAX ? UINT_MAX : (unsigned)len;
		crc = (uint32_t)crc32(crc, p, part);
		p += part;
		len -= part;
	}
	return crc;
}

#ifdef IGR_HAVE_CLMUL
#define K_544 IGR_CRC32_K544
#define K_480 IGR_CRC32_K480
#define K_160 IGR_CRC32_K160
#define K_96 IGR_CRC32_K96

__attribute__((target("pclmul,sse4.1"))) static inline __m128i
fold(__m128i x, __m128i k, __m128i data)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
	__m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
	return _mm_xor_si128(_mm_xor_si128(lo, hi), data);
}

__attribute__((target("pclmul,sse4.1"))) static uint32_t
crc32_clmul(uint32_t crc, const unsigned char *p, size_t len)
{
	const __m128i k512 = _mm_set_epi64x((long long)K_480, (long long)K_544);
	const __m128i k128 = _mm_set_epi64x((long long)K_96, (long long)K_160);
	__m128i x0, x1, x2, x3;
	unsigned char lane[16];
	uint32_t r;

	/* the register's initial value enters as the first 32 message bits:
	 * zlib's crc32(c, m) is the plain remainder of m with ~c folded in
	 * and the result inverted */
	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
			   _mm_cvtsi32_si128((int)~crc));
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	len -= 64;
	while (len >= 64) {
		x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)p));
		x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}
	x0 = fold(x0, k128, x1);
	x0 = fold(x0, k128, x2);
	x0 = fold(x0, k128, x3);
	while (len >= 16) {
		x0 = fold(x0, k128, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	/* the 128-bit remainder has the CRC of everything so far: finish it
	 * and the tail with the table method (no initial or final xor) */
	_mm_storeu_si128((__m128i *)lane, x0);
	r = ~(uint32_t)crc32(0xffffffffUL, lane, 16);
	return (uint32_t)crc32(~r, p, (unsigned)len);
}

static int have_clmul(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (c < 0) {
		__builtin_cpu_init();
		c = __builtin_cpu_supports("pclmul") &&
		    __builtin_cpu_supports("sse4.1");
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return c;
}
#endif

int igr_crc32_accelerated(void)
{
#ifdef IGR_HAVE_CLMUL
	return have_clmul();
#else
	return 0;
#endif
}

uint32_t igr_crc32(uint32_t crc, const void *buf, size_t len)
{
#ifdef IGR_HAVE_CLMUL
	if (len >= 256 && have_clmul())
		return crc32_clmul(crc, buf, len);
#endif
	return igr_crc32_portable(crc, buf, len);
}
