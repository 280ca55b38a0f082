/*
 * timefmt.h - times and durations as igraph reads and prints them.
 *
 * Every time inside a stream is Unix seconds, UTC.  On the command line and
 * in logs a time may be written as Unix seconds or as ISO 8601
 * ("2017-11-26", "2017-11-26T09:00:00", with an optional fraction, "Z" or
 * "+08:00" zone; a space may replace the "T"; without a zone the time is
 * UTC).  Durations are a number with an optional unit: s, m, h, d, w.
 */
#ifndef IGR_TIMEFMT_H
#define IGR_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil, "chrono-Compatible Low-Level Date Algorithms"). */
int64_t igr_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Parse an ISO 8601 date or date-time of LEN bytes.  Returns 0 or -1 (no
 * message set). */
int igr_parse_iso8601(const char *s, size_t len, int64_t *out);

/* Unix seconds (optionally negative) or ISO 8601.  0 or -1. */
int igr_parse_time(const char *s, size_t len, int64_t *out);

/* A duration in seconds: "3600", "90s", "30m", "12h", "7d", "2w",
 * fractions allowed ("1.5d"); "inf" for no limit.  0 or -1. */
int igr_parse_duration(const char *s, double *out);

/* "2017-11-26T01:00:00Z" into BUF (at least 64 bytes). */
void igr_fmt_iso8601(char *buf, int64_t t);

#endif
