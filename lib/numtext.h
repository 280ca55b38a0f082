/*
 * numtext.h - numbers as text, never through the process locale.
 *
 * Every number igraph writes as text (the TSV twin of the streams,
 * reports, feature names) or reads from text (TSV fields, CSV inputs,
 * option values) goes through here, so that a decimal-comma locale
 * changes nothing and a float written is read back to the same value.
 * The C locale is used explicitly (uselocale / strtod_l), not set for the
 * process: a command's other output may still follow the user's locale.
 *
 * Ownership: the functions write into the caller's buffers and keep no
 * state besides the C locale object, created once at load time.
 */
#ifndef IGR_NUMTEXT_H
#define IGR_NUMTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Shortest of %.6g / %.9g that reads back to F, in the C locale.  BUF
 * (the caller's) needs 32 bytes; returns the length. */
int igr_fmt_float(char *buf, float f);
/* Shortest round-trip text of a double (%.15g or %.17g), C locale; BUF as
 * igr_fmt_float. */
int igr_fmt_double(char *buf, double d);
/* Decimal text of V (BUF, the caller's, at least 21 bytes; 22 for the
 * signed one), not NUL-terminated; returns the length. */
int igr_fmt_u64(char *buf, uint64_t v);
int igr_fmt_i64(char *buf, int64_t v);

/* Strict parse of the LEN bytes at S (not NUL-terminated) as a whole
 * float/double in the C locale (accepts nan/inf; no leading blanks; a
 * finite text beyond the range is refused).  Returns 0 or -1 (no message
 * set). */
int igr_parse_float(const char *s, size_t len, float *out);
int igr_parse_double(const char *s, size_t len, double *out);
/* Strict decimal integers: optional '-' (signed only), digits only; the
 * unsigned value at most MAX. */
int igr_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
int igr_parse_i64(const char *s, size_t len, int64_t *out);

#endif
