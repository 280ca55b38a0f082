/*
 * crc32.h - CRC-32 (the zlib / gzip / PNG checksum) at memory speed.
 *
 * igr_crc32() returns exactly what zlib's crc32() returns for the same
 * arguments.  On x86-64 processors with the carry-less multiply
 * instruction (PCLMULQDQ) it folds 64 bytes per step (Gopal et al., "Fast
 * CRC computation for generic polynomials using PCLMULQDQ instruction",
 * Intel white paper 323102, 2009), several times faster than zlib 1.2's
 * table method, which it falls back to elsewhere and for short buffers.
 * The record blocks of binary streams are checksummed through it, so
 * reading and writing large streams is not bound by the checksum.
 */
#ifndef IGR_CRC32_H
#define IGR_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of LEN bytes at BUF continuing from CRC (0 to start). */
uint32_t igr_crc32(uint32_t crc, const void *buf, size_t len);

/* The same through zlib alone (the reference, for tests). */
uint32_t igr_crc32_portable(uint32_t crc, const void *buf, size_t len);

/*
 * Folding constants for the bit-reflected CRC-32 polynomial
 * P = x^32 + x^26 + ... + 1 (0x104c11db7): each is x^n mod P, bit-reflected
 * over 32 bits and shifted left by one (the reflected product of
 * PCLMULQDQ comes out one bit short).  Folding a 128-bit lane forward by
 * D bits multiplies its two 64-bit halves by x^(D+32) and x^(D-32) mod P.
 * tests/check_crc32.c recomputes them from P.
 */
#define IGR_CRC32_K544 0x154442bd4ULL /* fold by 512 bits: x^(512+32) */
#define IGR_CRC32_K480 0x1c6e41596ULL /*                   x^(512-32) */
#define IGR_CRC32_K160 0x1751997d0ULL /* fold by 128 bits: x^(128+32) */
#define IGR_CRC32_K96 0x0ccaa009eULL  /*                   x^(128-32) */

/* 1 if igr_crc32() uses the carry-less multiply path on this machine. */
int igr_crc32_accelerated(void);

#endif
