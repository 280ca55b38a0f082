/* fuzz_jsonl.c - JSON lines with exact number text (jsonl.h).
 *
 * Properties: no crash or leak; the number-quoting pass never writes past
 * 3 * len + 1; when a line parses, every field read is a string whose text
 * occurs in the line (numbers keep their exact digits); and a line that
 * parses no longer does with anything after it (" x", or itself again:
 * content after the JSON object is a reject, issue 12). */
#include "fuzz_util.h"
#include "jsonl.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const keys[] = { "user", "item", "ts", "a.b",
					    "a", "" };
	igr_jsonl *j = igr_jsonl_new();
	const char *line = (const char *)data;
	size_t len = size, i, n;
	const char *why = NULL;
	char *buf;

	FUZZ_ASSERT(j != NULL);
	buf = malloc(3 * len + 1);
	FUZZ_ASSERT(buf != NULL);
	if (igr_jsonl_quote_numbers(line, len, buf, &n, &why) == 0)
		FUZZ_ASSERT(n <= 3 * len);
	else
		FUZZ_ASSERT(why != NULL);
	free(buf);
	if (igr_jsonl_parse(j, line, len, &why) == 0) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			igr_field f;
			int r = igr_jsonl_get(j, keys[i], &f, &why);
			FUZZ_ASSERT(r >= -1 && r <= 1);
			/* a number's text is copied from the line verbatim */
			if (r == 1 && f.len > 0 &&
			    (f.p[0] == '-' || (f.p[0] >= '0' && f.p[0] <= '9')) &&
			    memchr(f.p, '\\', f.len) == NULL &&
			    memchr(line, '\\', len) == NULL)
				FUZZ_ASSERT(memmem(line, len, f.p, f.len) != NULL);
		}
		/* issue 12: nothing may follow the object on its line */
		if (len < 4096) {
			char *l2 = malloc(2 * len + 3);
			FUZZ_ASSERT(l2 != NULL);
			memcpy(l2, line, len);
			memcpy(l2 + len, " x", 2);
			FUZZ_ASSERT(igr_jsonl_parse(j, l2, len + 2, &why) == -1);
			memcpy(l2 + len, line, len);
			FUZZ_ASSERT(igr_jsonl_parse(j, l2, 2 * len, &why) == -1);
			free(l2);
		}
	} else {
		FUZZ_ASSERT(why != NULL);
	}
	igr_jsonl_free(j);
	return 0;
}
