/* jsonl.c - JSON lines through cJSON with exact number text (see jsonl.h). */
#include "jsonl.h"
#include "error.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct igr_jsonl {
	char *buf;
	size_t cap;
	cJSON *root;
	char key[256];
};

igr_jsonl *igr_jsonl_new(void)
{
	igr_jsonl *j = calloc(1, sizeof *j);

	if (j == NULL)
		igr_error("out of memory");
	return j;
}

void igr_jsonl_free(igr_jsonl *j)
{
	if (j == NULL)
		return;
	cJSON_Delete(j->root);
	free(j->buf);
	free(j);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the JSON number at S (RFC 8259, section 6), or 0. */
static size_t number_len(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && is_digit(s[i])) {
		while (i < n && is_digit(s[i]))
			i++;
	} else {
		return 0;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i == n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	/* "01" or "1x": the token must end here */
	if (i < n && (is_digit(s[i]) || s[i] == '.' ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
		return 0;
	return i;
}

int igr_jsonl_quote_numbers(const char *in, size_t len, char *out,
			    size_t *outlen, const char **why)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = in[i];
		if (c == '"') {
			/* copy the string, escapes included */
			out[o++] = in[i++];
			while (i < len && in[i] != '"') {
				if (in[i] == '\\' && i + 1 < len) {
					if (len - i >= 6 &&
					    memcmp(in + i, "\\u0000", 6) == 0) {
						*why = "a \\u0000 escape in a "
						       "string";
						return -1;
					}
					out[o++] = in[i++];
				}
				out[o++] = in[i++];
			}
			if (i < len)
				out[o++] = in[i++];
		} else if (c == '-' || is_digit(c)) {
			size_t n = number_len(in + i, len - i);
			if (n == 0) {
				*why = "malformed number";
				return -1;
			}
			out[o++] = '"';
			memcpy(out + o, in + i, n);
			o += n;
			out[o++] = '"';
			i += n;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int igr_jsonl_parse(igr_jsonl *j, const char *line, size_t len,
		    const char **why)
{
	size_t need, n;

	cJSON_Delete(j->root);
	j->root = NULL;
	if (len > ((size_t)-1 - 1) / 3)
		return igr_error("line too long"), -2;
	need = 3 * len + 1;
	if (need > j->cap) {
		char *nb = realloc(j->buf, need);
		if (nb == NULL)
			return igr_error("out of memory"), -2;
		j->buf = nb;
		j->cap = need;
	}
	if (igr_jsonl_quote_numbers(line, len, j->buf, &n, why) < 0)
		return -1;
	{
		/* the object must be all of the line: cJSON stops after the
		 * first value and would ignore "{..} trailing" or "{..}{..}" */
		const char *end = NULL;
		size_t k;
		j->root = cJSON_ParseWithLengthOpts(j->buf, n, &end, 0);
		if (j->root == NULL) {
			*why = "invalid JSON";
			return -1;
		}
		for (k = (size_t)(end - j->buf); k < n; k++)
			if (j->buf[k] != ' ' && j->buf[k] != '\t' &&
			    j->buf[k] != '\r' && j->buf[k] != '\n')
				break;
		if (k < n) {
			*why = "content after the JSON object";
			cJSON_Delete(j->root);
			j->root = NULL;
			return -1;
		}
	}
	if (!cJSON_IsObject(j->root)) {
		*why = "not a JSON object";
		cJSON_Delete(j->root);
		j->root = NULL;
		return -1;
	}
	return 0;
}

static int value_of(const cJSON *v, igr_field *out, const char **why)
{
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v)) {
		out->p = v->valuestring;
		out->len = strlen(v->valuestring);
		return 1;
	}
	*why = cJSON_IsBool(v) ? "a boolean where text or a number belongs"
			       : "an object or array where text or a number "
				 "belongs";
	return -1;
}

int igr_jsonl_get(igr_jsonl *j, const char *key, igr_field *out,
		  const char **why)
{
	const cJSON *v;
	const char *p, *dot;

	if (j->root == NULL)
		return 0;
	v = cJSON_GetObjectItemCaseSensitive(j->root, key);
	if (v != NULL || strchr(key, '.') == NULL)
		return value_of(v, out, why);
	v = j->root;
	for (p = key;; p = dot + 1) {
		size_t n;
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof j->key || !cJSON_IsObject(v))
			return 0;
		memcpy(j->key, p, n);
		j->key[n] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(v, j->key);
		if (v == NULL)
			return 0;
		if (dot == NULL)
			return value_of(v, out, why);
	}
}
