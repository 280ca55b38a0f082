/* ingest_time.c - the time formats of igraph-ingest (see ingest.h). */
#define _XOPEN_SOURCE 700
#include "ingest.h"
#include "error.h"
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int igr_utc_offset_parse(const char *s, int64_t *sec)
{
	unsigned h = 0, m = 0;
	int sign, n;
	size_t len = strlen(s), i;

	if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0 ||
	    strcmp(s, "0") == 0) {
		*sec = 0;
		return 0;
	}
	if (len < 3 || (s[0] != '+' && s[0] != '-'))
		return -1;
	sign = s[0] == '-' ? -1 : 1;
	for (i = 1; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') && !(s[i] == ':' && i == 3))
			return -1;
	if (len == 3)
		n = sscanf(s + 1, "%2u", &h) == 1 ? 0 : -1;
	else if (len == 5)
		n = sscanf(s + 1, "%2u%2u", &h, &m) == 2 ? 0 : -1;
	else if (len == 6 && s[3] == ':')
		n = sscanf(s + 1, "%2u:%2u", &h, &m) == 2 ? 0 : -1;
	else
		n = -1;
	if (n < 0 || h > 23 || m > 59)
		return -1;
	*sec = sign * (int64_t)(h * 3600 + m * 60);
	return 0;
}

int igr_timefmt_set(igr_timefmt *tf, const char *spec)
{
	static const struct {
		const char *name;
		int kind;
	} names[] = {
		{ "auto", IGR_TF_AUTO },	{ "s", IGR_TF_S },
		{ "unix", IGR_TF_S },		{ "ms", IGR_TF_MS },
		{ "us", IGR_TF_US },		{ "iso", IGR_TF_ISO },
		{ "iso8601", IGR_TF_ISO },	{ "date", IGR_TF_ISO },
		{ "days", IGR_TF_DAYS },	{ "position", IGR_TF_POSITION },
		{ "none", IGR_TF_NONE },
	};
	size_t i;

	if (strchr(spec, '%') != NULL) {
		if (strlen(spec) >= sizeof tf->pattern)
			return igr_error("time pattern '%s' too long", spec);
		tf->kind = IGR_TF_PATTERN;
		strcpy(tf->pattern, spec);
		return 0;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(spec, names[i].name) == 0) {
			tf->kind = names[i].kind;
			return 0;
		}
	return igr_error("unknown time format '%s' (s, ms, us, iso, days, "
			 "auto, position, none, or a strptime pattern)", spec);
}

/* [-]digits[.digits] times NUM/DEN milliseconds per unit, floored.
 * 0 or -1. */
static int decimal_ms(const char *s, size_t len, int64_t num, int64_t den,
		      int64_t *ms)
{
	size_t i = 0, nd = 0, nf = 0;
	__int128 ip = 0, fp = 0, scale = 1, total, q;
	int neg = 0;

	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (++nd > 18)
			return -1;
		ip = ip * 10 + (s[i++] - '0');
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (nf < 9) { /* finer digits cannot change ms */
				fp = fp * 10 + (s[i] - '0');
				scale *= 10;
			}
			nf++;
			i++;
		}
		if (nf == 0)
			return -1;
	}
	if (i != len || nd == 0)
		return -1;
	if (nf == 0 && den == 1 && num <= 1000 && !neg && nd <= 15) {
		/* the common case, whole seconds or ms: no 128-bit division */
		*ms = (int64_t)ip * num;
		return 0;
	}
	total = (ip * scale + fp) * num;
	den *= (int64_t)scale;
	if (neg) {
		/* floor of a negative quotient */
		q = total / den + (total % den != 0);
		q = -q;
	} else {
		q = total / den;
	}
	if (q > INT64_MAX / 2 || q < -(INT64_MAX / 2))
		return -1;
	*ms = (int64_t)q;
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* ISO 8601 as igraph reads it, to milliseconds; zone-less times are in
 * OFFSET seconds east of UTC. */
static int iso_ms(const char *s, size_t len, int64_t offset, int64_t *ms)
{
	char buf[48];
	int64_t sec, frac = 0;
	int zoned = 0;
	size_t i;

	if (len == 8 && all_digits(s, 8)) {
		/* basic format date, YYYYMMDD */
		snprintf(buf, sizeof buf, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
		s = buf;
		len = 10;
	} else if (len == 13 && (s[10] == ' ' || s[10] == 'T') &&
		   all_digits(s + 11, 2)) {
		/* reduced precision to the hour, "2014-12-06 02" */
		memcpy(buf, s, 13);
		memcpy(buf + 13, ":00", 4);
		s = buf;
		len = 16;
	}
	if (igr_parse_iso8601(s, len, &sec) < 0)
		return -1;
	if (len > 10) {
		for (i = 11; i < len; i++)
			if (s[i] == '+' || s[i] == '-' || s[i] == 'Z' ||
			    s[i] == 'z')
				zoned = 1;
		for (i = 11; i < len; i++)
			if (s[i] == '.' || s[i] == ',') {
				int k;
				i++;
				for (k = 0; k < 3; k++) {
					int d = i < len && s[i] >= '0' &&
							s[i] <= '9'
						? s[i++] - '0' : 0;
					frac = frac * 10 + d;
				}
				break;
			}
	}
	if (!zoned)
		sec -= offset;
	*ms = sec * 1000 + frac;
	return 0;
}

static int pattern_ms(const igr_timefmt *tf, const char *s, size_t len,
		      int64_t *ms)
{
	char buf[128];
	struct tm tm;
	const char *end;
	time_t t;
	long gmtoff;

	if (len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(&tm, 0, sizeof tm);
	tm.tm_mday = 1;
	end = strptime(buf, tf->pattern, &tm);
	if (end == NULL || *end != '\0')
		return -1;
	/* timegm() resets tm_gmtoff: read the zone %z gave first */
	gmtoff = strstr(tf->pattern, "%z") != NULL ? tm.tm_gmtoff
						     : tf->offset_s;
	t = timegm(&tm) - gmtoff;
	*ms = (int64_t)t * 1000;
	return 0;
}

static int looks_numeric(const char *s, size_t len)
{
	size_t i = (len > 0 && s[0] == '-');

	if (i == len)
		return 0;
	for (; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return 0;
	return 1;
}

int igr_time_parse(const igr_timefmt *tf, const char *s, size_t len,
		   int64_t *ms)
{
	switch (tf->kind) {
	case IGR_TF_S:
		return decimal_ms(s, len, 1000, 1, ms);
	case IGR_TF_MS:
		return decimal_ms(s, len, 1, 1, ms);
	case IGR_TF_US:
		return decimal_ms(s, len, 1, 1000, ms);
	case IGR_TF_ISO:
		return iso_ms(s, len, tf->offset_s, ms);
	case IGR_TF_DAYS:
		if (decimal_ms(s, len, 86400000, 1, ms) < 0)
			return -1;
		*ms += tf->epoch_ms;
		return 0;
	case IGR_TF_PATTERN:
		return pattern_ms(tf, s, len, ms);
	case IGR_TF_AUTO:
		if (looks_numeric(s, len))
			return decimal_ms(s, len, 1000, 1, ms);
		return iso_ms(s, len, tf->offset_s, ms);
	}
	return -1;
}
