/* numtext.c - numbers as text in the C locale (see numtext.h). */
#include "numtext.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;

/* one object for the life of the process: newlocale per call would cost
 * more than the formatting */
__attribute__((constructor)) static void init_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int igr_fmt_float(char *buf, float f)
{
	locale_t old = uselocale(c_locale);
	int n = snprintf(buf, 32, "%.6g", (double)f);

	if (strtof_l(buf, NULL, c_locale) != f && !isnan(f))
		n = snprintf(buf, 32, "%.9g", (double)f);
	uselocale(old);
	return n;
}

int igr_fmt_double(char *buf, double d)
{
	locale_t old = uselocale(c_locale);
	int n = snprintf(buf, 32, "%.15g", d);

	if (strtod_l(buf, NULL, c_locale) != d && !isnan(d))
		n = snprintf(buf, 32, "%.17g", d);
	uselocale(old);
	return n;
}

static int copy_num(const char *s, size_t len, char *buf, size_t cap)
{
	if (len == 0 || len >= cap)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* strtod would skip leading blanks: a field is the number only */
	if (isspace((unsigned char)buf[0]))
		return -1;
	return 0;
}

int igr_parse_double(const char *s, size_t len, double *out)
{
	char buf[128], *end;
	double d;

	if (copy_num(s, len, buf, sizeof buf) < 0)
		return -1;
	errno = 0;
	d = strtod_l(buf, &end, c_locale);
	if (end != buf + len)
		return -1;
	if (errno == ERANGE && isinf(d))
		return -1; /* finite text too large */
	*out = d;
	return 0;
}

int igr_parse_float(const char *s, size_t len, float *out)
{
	char buf[128], *end;
	float f;

	if (copy_num(s, len, buf, sizeof buf) < 0)
		return -1;
	errno = 0;
	f = strtof_l(buf, &end, c_locale);
	if (end != buf + len)
		return -1;
	if (errno == ERANGE && isinf(f))
		return -1;
	*out = f;
	return 0;
}

int igr_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int igr_parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;

	if (len > 0 && s[0] == '-') {
		if (igr_parse_u64(s + 1, len - 1, (uint64_t)INT64_MAX + 1,
				  &v) < 0)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN
						     : -(int64_t)v;
		return 0;
	}
	if (igr_parse_u64(s, len, INT64_MAX, &v) < 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int igr_fmt_u64(char *buf, uint64_t v)
{
	char tmp[24];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int igr_fmt_i64(char *buf, int64_t v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + igr_fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return igr_fmt_u64(buf, (uint64_t)v);
}
