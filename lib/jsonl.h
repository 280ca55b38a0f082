/*
 * jsonl.h - one JSON object per line, fields read as text.
 *
 * cJSON keeps numbers as doubles, so an id such as 12345678901234567891
 * would come back changed.  Before parsing, every number token of the line
 * is therefore rewritten as a string holding its exact text (the token is
 * checked against the JSON number grammar first); ids, times and values
 * are then all read as the bytes of the input.  A "\u0000" escape is
 * refused because cJSON would cut the string there.
 *
 * Ownership: the parser is owned by the caller (igr_jsonl_free).  Field
 * pointers returned by igr_jsonl_get() belong to the parser and are valid
 * until its next igr_jsonl_parse().
 */
#ifndef IGR_JSONL_H
#define IGR_JSONL_H

#include <stddef.h>

#include "csvparse.h" /* igr_field */
#include "io.h"

typedef struct igr_jsonl igr_jsonl;

igr_jsonl *igr_jsonl_new(void) IGR_WUR;
void igr_jsonl_free(igr_jsonl *j);

/* Copy IN (LEN bytes) to OUT with every number token turned into a string
 * of its text.  OUT needs 3 * LEN + 1 bytes; *OUTLEN gets the length.
 * Returns 0, or -1 with *WHY set (malformed number, NUL escape). */
int igr_jsonl_quote_numbers(const char *in, size_t len, char *out,
			    size_t *outlen, const char **why);

/* Parse one line, which must hold one JSON object and nothing after it
 * but white space ("content after the JSON object": "{..} x", "{..}{..}").
 * 0, or -1 with *WHY set to the reason (a static string); -2 when out of
 * memory. */
int igr_jsonl_parse(igr_jsonl *j, const char *line, size_t len,
		    const char **why) IGR_WUR;

/* The value at KEY in the last parsed object.  A key with dots is looked
 * up whole first, then as a path into nested objects ("ctx.user").
 * Returns 1 (string or number text in *OUT), 0 (absent or null), or -1
 * with *WHY set (an object, array or boolean). */
int igr_jsonl_get(igr_jsonl *j, const char *key, igr_field *out,
		  const char **why);

#endif
