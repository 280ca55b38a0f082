/* fuzz_csv.c - the delimited record reader (csvparse.h).
 *
 * Properties: no crash or leak; every physical line of the input belongs
 * to exactly one record or is blank (nothing is lost between the fast path,
 * libcsv and the replay after a bad quote); records come in line order;
 * and a line the fast path splits gives the same fields as libcsv. */
#include "csvparse.h"
#include "fuzz_util.h"

#include <csv.h>
#include <string.h>

static const int delims[4] = { ',', '\t', ';', '|' };

struct lib_fields {
	char buf[1 << 16];
	size_t off[4200], len[4200], n, used;
	int done, overflow;
};

static void cb1(void *s, size_t len, void *data)
{
	struct lib_fields *lf = data;

	if (lf->n >= 4200 || lf->used + len > sizeof lf->buf) {
		lf->overflow = 1;
		return;
	}
	memcpy(lf->buf + lf->used, s, len);
	lf->off[lf->n] = lf->used;
	lf->len[lf->n++] = len;
	lf->used += len;
}

static void cb2(int c, void *data)
{
	(void)c;
	((struct lib_fields *)data)->done = 1;
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int nl_only(unsigned char c)
{
	return c == '\n';
}

/* libcsv on one plain line, the way csvparse configures it */
static void libcsv_compare(const igr_csvrec *r, int delim)
{
	static struct lib_fields lf;
	struct csv_parser p;
	size_t i;

	if (r->rawlen > sizeof lf.buf / 2)
		return;
	memset(&lf, 0, sizeof lf);
	FUZZ_ASSERT(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
	csv_set_delim(&p, (unsigned char)delim);
	csv_set_space_func(&p, no_space);
	csv_set_term_func(&p, nl_only);
	FUZZ_ASSERT(csv_parse(&p, r->raw, r->rawlen, cb1, cb2, &lf) ==
		    r->rawlen);
	FUZZ_ASSERT(csv_parse(&p, "\n", 1, cb1, cb2, &lf) == 1);
	csv_free(&p);
	if (lf.overflow)
		return;
	FUZZ_ASSERT(lf.done);
	FUZZ_ASSERT(lf.n == r->nf);
	for (i = 0; i < r->nf; i++)
		FUZZ_ASSERT(lf.len[i] == r->f[i].len &&
			    memcmp(lf.buf + lf.off[i], r->f[i].p,
				   r->f[i].len) == 0);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int delim, quote, r, peek;
	uint64_t lines = 0, covered = 0, last = 0;
	size_t i;
	igr_in *in;
	igr_csv *c;
	igr_csvrec rec;

	if (size < 1)
		return 0;
	delim = delims[data[0] & 3];
	quote = (data[0] & 4) ? IGR_CSV_NOQUOTE : '"';
	peek = data[0] & 8;
	data++;
	size--;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size > 0 && data[size - 1] != '\n')
		lines++;
	in = fuzz_input(data, size);
	if (in == NULL)
		return 0;
	c = igr_csv_new(in, delim, quote);
	FUZZ_ASSERT(c != NULL);
	if (peek) {
		const char *l;
		size_t n;
		/* peek first, as schema detection does */
		(void)igr_csv_peek_line(c, &l, &n);
	}
	while ((r = igr_csv_next(c, &rec)) == 1) {
		FUZZ_ASSERT(rec.lineno > last);
		FUZZ_ASSERT(rec.nlines >= 1);
		last = rec.lineno + (uint64_t)rec.nlines - 1;
		covered += (uint64_t)rec.nlines;
		FUZZ_ASSERT(rec.bad != NULL || rec.nf >= 1);
		/* issue 12: a byte order mark (a file appended to another)
		 * never reaches a record, where it would become an id */
		FUZZ_ASSERT(rec.rawlen < 3 ||
			    memcmp(rec.raw, "\xef\xbb\xbf", 3) != 0);
		FUZZ_ASSERT(rec.bom == 0 || rec.lineno > 1);
		if (rec.bad == NULL &&
		    (quote < 0 || memchr(rec.raw, '"', rec.rawlen) == NULL) &&
		    memchr(rec.raw, '"', rec.rawlen) == NULL)
			libcsv_compare(&rec, delim);
	}
	if (r == 0) {
		/* a gzip header may have turned the bytes into other lines */
		if (!igr_in_is_gzip(in))
			FUZZ_ASSERT(covered + igr_csv_blank_lines(c) == lines);
	}
	igr_csv_free(c);
	igr_in_close(in);
	return 0;
}
