/* fuzz_time.c - the time formats of igraph-ingest.
 *
 * Properties: no crash; a time read as ISO 8601 prints back (as UTC) to a
 * text that reads to the same second; seconds, milliseconds and
 * microseconds agree with each other on plain integers. */
#include "fuzz_util.h"
#include "ingest.h"
#include "timefmt.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const fmts[] = { "auto", "s", "ms", "us", "iso",
					    "days", "%Y-%m-%d %H:%M:%S",
					    "%d/%b/%Y:%H:%M:%S %z" };
	const char *s = (const char *)data;
	igr_timefmt tf;
	int64_t ms, a, b;
	size_t i;

	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		memset(&tf, 0, sizeof tf);
		FUZZ_ASSERT(igr_timefmt_set(&tf, fmts[i]) == 0);
		tf.offset_s = (int64_t)(size % 7) * 3600 - 3 * 3600;
		(void)igr_time_parse(&tf, s, size, &ms);
	}
	memset(&tf, 0, sizeof tf);
	FUZZ_ASSERT(igr_timefmt_set(&tf, "iso") == 0);
	if (igr_time_parse(&tf, s, size, &ms) == 0 && ms > -62135596800000LL &&
	    ms < 253402300799000LL) {
		char buf[64];
		int64_t back;
		igr_fmt_iso8601(buf, igr_ms_to_s(ms));
		FUZZ_ASSERT(igr_time_parse(&tf, buf, strlen(buf), &back) == 0);
		FUZZ_ASSERT(back == igr_ms_to_s(ms) * 1000);
	}
	/* an integer: s, ms and us scale by 1000 */
	memset(&tf, 0, sizeof tf);
	FUZZ_ASSERT(igr_timefmt_set(&tf, "ms") == 0);
	if (size > 0 && size < 16 && memchr(s, '.', size) == NULL &&
	    igr_time_parse(&tf, s, size, &a) == 0) {
		FUZZ_ASSERT(igr_timefmt_set(&tf, "s") == 0);
		FUZZ_ASSERT(igr_time_parse(&tf, s, size, &b) == 0);
		FUZZ_ASSERT(b == a * 1000);
		FUZZ_ASSERT(igr_timefmt_set(&tf, "us") == 0);
		FUZZ_ASSERT(igr_time_parse(&tf, s, size, &b) == 0);
		FUZZ_ASSERT(b == igr_ms_to_s(a));
	}
	return 0;
}
