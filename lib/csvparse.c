/* csvparse.c - delimited records: a fast path for plain lines, libcsv for
 * quoted ones (see csvparse.h). */
#include "csvparse.h"
#include "error.h"
#include "mem.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

/* More fields than this make a record bad (a runaway delimiter, or binary
 * garbage), so that memory stays bounded by the line length. */
#define MAX_FIELDS 4096

struct line {
	size_t off, len;
	uint64_t lineno;
	uint64_t at; /* where it starts in the input (igr_in_offset) */
};

/* A growable list of lines stored back to back. */
struct lines {
	char *buf;
	size_t len, cap;
	struct line *l;
	size_t n, ncap;
};

struct igr_csv {
	igr_in *in;
	int delim, quote;
	igr_field *f;
	size_t fcap;
	/* fields collected from libcsv: bytes in fb, offsets in fo */
	char *fb;
	size_t fblen, fbcap;
	size_t *fo, *fl;
	size_t fon, focap, flcap;
	int toomany;
	int done; /* libcsv ended the record */
	struct lines cur;    /* lines of the record being built */
	struct lines replay; /* lines read again before the input */
	size_t rpos;
	uint64_t blank;
	/* a range: the record starts to stop at (igr_csv_set_marks) */
	const uint64_t *marks;
	size_t nmarks, imark;
	int stopped;
};

static int lines_add(struct lines *ls, const char *p, size_t len,
		     uint64_t lineno, uint64_t at)
{
	if (igr_grow(&ls->l, &ls->ncap, ls->n + 1, sizeof *ls->l) < 0 ||
	    igr_grow(&ls->buf, &ls->cap, ls->len + len + 1, 1) < 0)
		return -1;
	memmove(ls->buf + ls->len, p, len); /* p may be inside buf */
	ls->buf[ls->len + len] = '\0';
	ls->l[ls->n].off = ls->len;
	ls->l[ls->n].len = len;
	ls->l[ls->n].lineno = lineno;
	ls->l[ls->n].at = at;
	ls->n++;
	ls->len += len + 1;
	return 0;
}

static void lines_clear(struct lines *ls)
{
	ls->len = 0;
	ls->n = 0;
}

static void lines_free(struct lines *ls)
{
	free(ls->buf);
	free(ls->l);
}

igr_csv *igr_csv_new(igr_in *in, int delim, int quote)
{
	igr_csv *c = calloc(1, sizeof *c);

	if (c == NULL)
		return igr_error("out of memory"), NULL;
	c->in = in;
	c->delim = delim;
	c->quote = quote;
	if (igr_grow(&c->f, &c->fcap, 64, sizeof *c->f) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void igr_csv_set_dialect(igr_csv *c, int delim, int quote)
{
	c->delim = delim;
	c->quote = quote;
}

void igr_csv_free(igr_csv *c)
{
	if (c == NULL)
		return;
	free(c->f);
	free(c->fb);
	free(c->fo);
	free(c->fl);
	lines_free(&c->cur);
	lines_free(&c->replay);
	free(c);
}

uint64_t igr_csv_blank_lines(const igr_csv *c)
{
	return c->blank;
}

/* The next physical line, replayed ones first; the CR of a CRLF is
 * removed.  1, 0 at the end, -1 on error. */
static int next_line(igr_csv *c, const char **line, size_t *len,
		     uint64_t *lineno, uint64_t *at)
{
	char *p;
	size_t n;
	int r;

	if (c->rpos < c->replay.n) {
		const struct line *l = &c->replay.l[c->rpos++];
		*line = c->replay.buf + l->off;
		*len = l->len;
		*lineno = l->lineno;
		*at = l->at;
		if (c->rpos == c->replay.n) {
			/* the buffer stays valid until the next add */
			c->rpos = 0;
			c->replay.n = 0;
			c->replay.len = 0;
		}
		return 1;
	}
	*at = igr_in_offset(c->in);
	r = igr_in_getline(c->in, &p, &n);
	if (r <= 0)
		return r;
	if (n > 0 && p[n - 1] == '\r')
		p[--n] = '\0';
	*lineno = igr_in_lineno(c->in);
	if (*lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3; /* a UTF-8 byte order mark, as Excel writes */
		n -= 3;
	}
	*line = p;
	*len = n;
	return 1;
}

int igr_csv_peek_line(igr_csv *c, const char **line, size_t *len)
{
	uint64_t lineno, at;
	int r;

	if (c->rpos < c->replay.n) {
		const struct line *l = &c->replay.l[c->rpos];
		if (l->len > 0) {
			*line = c->replay.buf + l->off;
			*len = l->len;
			return 1;
		}
	}
	for (;;) {
		r = next_line(c, line, len, &lineno, &at);
		if (r <= 0)
			return r;
		if (*len > 0)
			break;
		c->blank++;
	}
	/* push it back: the replay list is empty or fully consumed here
	 * unless it held blank lines, which next_line() has taken */
	if (c->rpos < c->replay.n) {
		/* rare: replayed lines remain after this one; rebuild */
		struct lines nl = { 0 };
		size_t i;
		if (lines_add(&nl, *line, *len, lineno, at) < 0)
			return -1;
		for (i = c->rpos; i < c->replay.n; i++) {
			const struct line *l = &c->replay.l[i];
			if (lines_add(&nl, c->replay.buf + l->off, l->len,
				      l->lineno, l->at) < 0) {
				lines_free(&nl);
				return -1;
			}
		}
		lines_free(&c->replay);
		c->replay = nl;
	} else {
		lines_clear(&c->replay);
		if (lines_add(&c->replay, *line, *len, lineno, at) < 0)
			return -1;
	}
	c->rpos = 0;
	*line = c->replay.buf;
	return 1;
}

size_t igr_csv_split_plain(const char *line, size_t len, int delim,
			   igr_field *f, size_t maxf)
{
	const char *p = line, *end = line + len;
	size_t n = 0;

	for (;;) {
		const char *d = memchr(p, delim, (size_t)(end - p));
		if (n == maxf)
			return maxf + 1;
		f[n].p = p;
		if (d == NULL) {
			f[n++].len = (size_t)(end - p);
			return n;
		}
		f[n++].len = (size_t)(d - p);
		p = d + 1;
	}
}

/* fcap is also the split limit of the fast path: it starts at 64 and
 * doubles, so it reaches MAX_FIELDS + 1 exactly when a record needs it */
static int grow_fields(igr_csv *c, size_t need)
{
	return igr_grow(&c->f, &c->fcap, need, sizeof *c->f);
}

/* ---- libcsv path ------------------------------------------------------ */

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0; /* never trim: the fast path does not either */
}

static int newline_only(unsigned char ch)
{
	return ch == '\n'; /* CRs were removed per line; a bare CR is data */
}

static void on_field(void *s, size_t len, void *data)
{
	igr_csv *c = data;

	if (c->fon >= MAX_FIELDS) {
		c->toomany = 1;
		return;
	}
	if (igr_grow(&c->fo, &c->focap, c->fon + 1, sizeof *c->fo) < 0 ||
	    igr_grow(&c->fl, &c->flcap, c->fon + 1, sizeof *c->fl) < 0 ||
	    igr_grow(&c->fb, &c->fbcap, c->fblen + len + 1, 1) < 0)
		goto oom;
	if (len > 0)
		memcpy(c->fb + c->fblen, s, len);
	c->fo[c->fon] = c->fblen;
	c->fl[c->fon] = len;
	c->fon++;
	c->fblen += len;
	return;
oom:
	c->toomany = 2; /* reported as out of memory */
}

static void on_record(int ch, void *data)
{
	igr_csv *c = data;

	(void)ch;
	c->done = 1;
}

/* Feed one line and its newline; 0, or -1 on a quoting error. */
static int feed(igr_csv *c, struct csv_parser *p, const char *line,
		size_t len)
{
	if (csv_parse(p, line, len, on_field, on_record, c) != len)
		return -1;
	if (c->done)
		return 0; /* impossible before the newline, but harmless */
	if (csv_parse(p, "\n", 1, on_field, on_record, c) != 1)
		return -1;
	return 0;
}

/* The record that began with cur.l[0] cannot be read: return its first
 * line as a bad record and replay the lines after it. */
static int fail_first_line(igr_csv *c, igr_csvrec *rec, const char *why)
{
	struct lines nl = { 0 };
	size_t i;

	for (i = 1; i < c->cur.n; i++)
		if (lines_add(&nl, c->cur.buf + c->cur.l[i].off,
			      c->cur.l[i].len, c->cur.l[i].lineno,
			      c->cur.l[i].at) < 0)
			goto oom;
	for (i = c->rpos; i < c->replay.n; i++)
		if (lines_add(&nl, c->replay.buf + c->replay.l[i].off,
			      c->replay.l[i].len, c->replay.l[i].lineno,
			      c->replay.l[i].at) < 0)
			goto oom;
	lines_free(&c->replay);
	c->replay = nl;
	c->rpos = 0;
	rec->f = c->f;
	rec->nf = 0;
	rec->raw = c->cur.buf;
	rec->rawlen = c->cur.l[0].len;
	rec->lineno = c->cur.l[0].lineno;
	rec->nlines = 1;
	rec->bad = why;
	return 1;
oom:
	lines_free(&nl);
	return igr_error("out of memory");
}

static int quoted_record(igr_csv *c, igr_csvrec *rec, const char *line,
			 size_t len, uint64_t lineno, uint64_t at)
{
	struct csv_parser p;
	size_t i, total = len;
	int r, rc;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return igr_error("out of memory");
	csv_set_delim(&p, (unsigned char)c->delim);
	csv_set_quote(&p, (unsigned char)c->quote);
	csv_set_space_func(&p, no_space);
	csv_set_term_func(&p, newline_only);
	c->fon = 0;
	c->fblen = 0;
	c->toomany = 0;
	c->done = 0;
	lines_clear(&c->cur);
	if (lines_add(&c->cur, line, len, lineno, at) < 0) {
		csv_free(&p);
		return -1;
	}
	if (feed(c, &p, line, len) < 0) {
		rc = fail_first_line(c, rec, "a quote inside an unquoted field "
				     "or after a closing quote");
		goto out;
	}
	while (!c->done) {
		const char *l;
		size_t n;
		uint64_t ln, lat;
		if (c->cur.n >= IGR_CSV_MAX_LINES ||
		    total > IGR_CSV_MAX_BYTES) {
			rc = fail_first_line(c, rec, "quoted field not closed "
					     "within " "100 lines or 1 MiB");
			goto out;
		}
		r = next_line(c, &l, &n, &ln, &lat);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (r == 0) {
			rc = fail_first_line(c, rec, "quoted field not closed "
					     "at the end of input");
			goto out;
		}
		total += n + 1;
		if (lines_add(&c->cur, l, n, ln, lat) < 0) {
			rc = -1;
			goto out;
		}
		if (feed(c, &p, l, n) < 0) {
			rc = fail_first_line(c, rec, "a quote inside an "
					     "unquoted field or after a "
					     "closing quote");
			goto out;
		}
	}
	if (c->toomany == 2) {
		rc = igr_error("out of memory");
		goto out;
	}
	if (c->fon + 1 > c->fcap && grow_fields(c, c->fon + 1) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < c->fon; i++) {
		c->f[i].p = c->fb + c->fo[i];
		c->f[i].len = c->fl[i];
	}
	/* the lines were stored NUL-separated: make the separators newlines
	 * so that raw is the record's text */
	for (i = 1; i < c->cur.n; i++)
		c->cur.buf[c->cur.l[i].off - 1] = '\n';
	rec->f = c->f;
	rec->nf = c->fon;
	rec->raw = c->cur.buf;
	rec->rawlen = c->cur.l[c->cur.n - 1].off + c->cur.l[c->cur.n - 1].len;
	rec->lineno = lineno;
	rec->nlines = (int)c->cur.n;
	rec->bad = c->toomany ? "more than 4096 fields" : NULL;
	if (c->toomany)
		rec->nf = 0;
	rc = 1;
out:
	csv_free(&p);
	return rc;
}

void igr_csv_set_marks(igr_csv *c, const uint64_t *marks, size_t n)
{
	c->marks = marks;
	c->nmarks = n;
	c->imark = 0;
	c->stopped = 0;
}

/* Where the next line starts, and its number. */
static uint64_t next_at(const igr_csv *c, uint64_t *lineno)
{
	if (c->rpos < c->replay.n) {
		*lineno = c->replay.l[c->rpos].lineno;
		return c->replay.l[c->rpos].at;
	}
	*lineno = igr_in_lineno(c->in) + 1;
	return igr_in_offset(c->in);
}

/* Between two records: 1 if the next line is at a mark (the range ends
 * there); the marks it went past were inside a record. */
static int at_mark(igr_csv *c)
{
	uint64_t ln, at = next_at(c, &ln);

	if (igr_mark_reached(c->marks, c->nmarks, &c->imark, at))
		c->stopped = 1;
	return c->stopped;
}

int igr_csv_stopped(const igr_csv *c, uint64_t *off, uint64_t *lineno)
{
	uint64_t ln, at = next_at(c, &ln);

	if (off != NULL)
		*off = c->stopped ? c->marks[c->imark] : at;
	if (lineno != NULL)
		*lineno = ln;
	return c->stopped;
}

int igr_csv_next(igr_csv *c, igr_csvrec *rec)
{
	const char *line;
	size_t len, n;
	uint64_t lineno, at;
	int r;

	int bom = 0;

	for (;;) {
		if (c->nmarks > 0 && at_mark(c))
			return 0;
		r = next_line(c, &line, &len, &lineno, &at);
		if (r <= 0)
			return r;
		/* a byte order mark at the start of a record after the first
		 * line starts a file that was appended to this one */
		bom = 0;
		while (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
			bom |= lineno > 1;
		}
		if (len > 0)
			break;
		c->blank++;
	}
	if (c->quote >= 0 && memchr(line, c->quote, len) != NULL) {
		r = quoted_record(c, rec, line, len, lineno, at);
		rec->bom = bom;
		return r;
	}
	n = igr_csv_split_plain(line, len, c->delim, c->f, c->fcap);
	if (n > c->fcap) {
		if (c->fcap < MAX_FIELDS + 1 &&
		    grow_fields(c, MAX_FIELDS + 1) < 0)
			return -1;
		n = igr_csv_split_plain(line, len, c->delim, c->f,
					MAX_FIELDS);
	}
	rec->f = c->f;
	rec->nf = n;
	rec->raw = line;
	rec->rawlen = len;
	rec->lineno = lineno;
	rec->nlines = 1;
	rec->bad = NULL;
	rec->bom = bom;
	if (n > MAX_FIELDS) {
		rec->nf = 0;
		rec->bad = "more than 4096 fields";
	}
	return 1;
}
