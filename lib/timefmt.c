/* timefmt.c - ISO 8601 times and durations (see timefmt.h). */
#include "timefmt.h"
#include "numtext.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t igr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(unsigned y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30,
				  31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dm[m - 1] + (m == 2 && leap);
}

int igr_parse_iso8601(const char *s, size_t len, int64_t *out)
{
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t t, off = 0;
	size_t i;

	if (len < 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo))
		return -1;
	i = 10;
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (len - i < 5 || digits(s + i, 2, &h) < 0 || s[i + 2] != ':' ||
		    digits(s + i + 3, 2, &mi) < 0)
			return -1;
		i += 5;
		if (i < len && s[i] == ':') {
			if (len - i < 3 || digits(s + i + 1, 2, &sec) < 0)
				return -1;
			i += 3;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				/* fractions of a second are dropped */
				i++;
				if (i == len || s[i] < '0' || s[i] > '9')
					return -1;
				while (i < len && s[i] >= '0' && s[i] <= '9')
					i++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (i < len) {
			unsigned oh, om = 0;
			int sign;
			if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
				i++;
			} else if (s[i] == '+' || s[i] == '-') {
				sign = s[i] == '-' ? -1 : 1;
				i++;
				if (len - i < 2 || digits(s + i, 2, &oh) < 0)
					return -1;
				i += 2;
				if (i < len && s[i] == ':')
					i++;
				if (i < len) {
					if (len - i != 2 ||
					    digits(s + i, 2, &om) < 0)
						return -1;
					i += 2;
				}
				if (oh > 23 || om > 59)
					return -1;
				off = sign * (int64_t)(oh * 3600 + om * 60);
			} else {
				return -1;
			}
		}
	}
	if (i != len)
		return -1;
	t = igr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	*out = t - off;
	return 0;
}

int igr_parse_time(const char *s, size_t len, int64_t *out)
{
	if (igr_parse_i64(s, len, out) == 0)
		return 0;
	return igr_parse_iso8601(s, len, out);
}

int igr_parse_duration(const char *s, double *out)
{
	size_t len = strlen(s), nlen = len;
	double mult = 1, v;

	if (strcmp(s, "inf") == 0 || strcmp(s, "none") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (len == 0)
		return -1;
	switch (s[len - 1]) {
	case 's':
		mult = 1;
		nlen--;
		break;
	case 'm':
		mult = 60;
		nlen--;
		break;
	case 'h':
		mult = 3600;
		nlen--;
		break;
	case 'd':
		mult = 86400;
		nlen--;
		break;
	case 'w':
		mult = 7 * 86400;
		nlen--;
		break;
	}
	if (igr_parse_double(s, nlen, &v) < 0 || !isfinite(v) || v < 0)
		return -1;
	*out = v * mult;
	return 0;
}

void igr_fmt_iso8601(char *buf, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400, y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 64, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m,
		 d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
		 (unsigned)(rem % 60));
}
