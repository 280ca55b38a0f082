/*
 * endian.h - explicit little-endian field access for binary files.
 * Never fwrite a struct: fields are stored one by one through these, so the
 * files are the same on every host (htslib's hts_endian.h does the same).
 */
#ifndef IGR_ENDIAN_H
#define IGR_ENDIAN_H

#include <stdint.h>
#include <string.h>

static inline void igr_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void igr_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void igr_put_u64(unsigned char *p, uint64_t v)
{
	igr_put_u32(p, (uint32_t)v);
	igr_put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline void igr_put_f32(unsigned char *p, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	igr_put_u32(p, u);
}

static inline void igr_put_f64(unsigned char *p, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	igr_put_u64(p, u);
}

static inline uint16_t igr_get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t igr_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t igr_get_u64(const unsigned char *p)
{
	return (uint64_t)igr_get_u32(p) | ((uint64_t)igr_get_u32(p + 4) << 32);
}

static inline float igr_get_f32(const unsigned char *p)
{
	uint32_t u = igr_get_u32(p);
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static inline double igr_get_f64(const unsigned char *p)
{
	uint64_t u = igr_get_u64(p);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

#endif
