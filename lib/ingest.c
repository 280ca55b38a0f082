/* ingest.c - raw logs into events and items streams (see ingest.h). */
#include "ingest.h"
#include "csvparse.h"
#include "error.h"
#include "jsonl.h"
#include "mem.h"
#include "numtext.h"
#include "pseudo.h"
#include "timefmt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Rows without a time held back for --missing ts=interpolate, at most. */
#define MAX_PENDING 4096
/* The default --min-time and --max-time, Unix seconds. */
#define DEFAULT_MIN_TIME 0
#define DEFAULT_MAX_TIME 4102444800LL /* 2100-01-01T00:00:00Z */
/* The default --max-future: a day after the clock (or --now) covers any
 * zone written wrongly and clocks a little ahead, never a date decades
 * ahead that would become the graph's now. */
#define DEFAULT_MAX_FUTURE 86400.0

enum reason {
	R_FIELDS,
	R_QUOTE,
	R_MISSING,
	R_TIME,
	R_RANGE,
	R_BEHAVIOR,
	R_NUMBER,
	R_LONG,
	R_UTF8,
	R_ID,
	R_JSON,
	R_NOTIME,
	R_FUTURE,
	R_HEADER,
	R_BINARY,
	R_NREASON
};

static const char *const reason_names[R_NREASON] = {
	"field count", "bad quoting", "missing value", "bad time",
	"time out of range", "unknown behavior", "not a number",
	"field too long", "bad UTF-8", "bad id", "bad JSON",
	"no time to interpolate", "time in the future", "repeated header",
	"not text",
};

_Static_assert(R_NREASON <= (int)(sizeof ((igr_ingest_stats *)0)->reasons /
				  sizeof(uint64_t)),
	       "igr_ingest_stats.reasons is too short");

const char *igr_ingest_reason(int i)
{
	return i >= 0 && i < R_NREASON ? reason_names[i] : NULL;
}

/* A missing-value marker, for one role or (role -1) for all. */
struct na {
	int role;
	char *s;
	size_t len;
};

/* A layout resolved against the options. */
struct layout {
	const char *desc;
	int format, delim, quote, has_header, nfields;
	const char *header;
	int col[IGR_NROLE];
	char *names[IGR_NROLE];
	int maxcol;
	igr_bmap bmap[IGR_MAX_BMAP];
	int nbmap;           /* -1: the column holds igraph names */
	int behavior;
	igr_timefmt tf;
	struct na *na;
	int nna;
	size_t nacap;
	char cat_list_sep;
	int latin1;
};

/* What a row says about one role. */
enum { V_ABSENT = 0, V_MISSING, V_PRESENT };

struct val {
	int state;
	const char *p;
	size_t len;
};

/* A row held back until its time is known. */
struct pend {
	igr_event e;
	uint32_t file;
	uint64_t lineno;
	size_t raw_off, raw_len;
};

/* How a row's time is decided. */
enum { TS_ABSENT, TS_SET, TS_PREV, TS_INTERP };

/* Rows checked and waiting for their ids (see flush_batch). */
#define BATCH 64

struct prow {
	uint64_t h[3];         /* index hashes of user, item, category */
	size_t off[3], len[3]; /* the ids, in the batch arena */
	int has[3];
	int64_t ms;
	int tstate;
	uint8_t behavior;
	float value, price;
	size_t toff, tlen;     /* title (items) */
	size_t roff, rlen;     /* raw row, when the time is decided later */
	uint32_t file;
	uint64_t lineno;
	igr_event e;           /* filled by flush_batch */
	igr_item it;
	unsigned char key[IGR_DEDUP_KEY];
	uint32_t kh;
};

/* The row being processed, for messages and the rejects file.  Under
 * --pseudonymize RAW is shown only when SAFE (its user id is already a
 * pseudonym); otherwise the row is shown with USER, the user field as
 * read, pseudonymized (private_row), and withheld before the row was split
 * into fields (USER.state V_ABSENT). */
struct where {
	uint64_t lineno;
	const char *raw;
	size_t rawlen;
	int safe;
	struct val user;
};

struct igr_ingest {
	igr_ingest_config cfg;
	const igr_schema *schema;
	struct layout *lays;
	int nlays;
	struct layout *L;      /* the layout of the current file */
	char *colstore;        /* --columns copy */
	int miss[IGR_NROLE];
	char *fill[IGR_NROLE];
	int64_t fill_ms;
	float fill_value, fill_price;
	int fill_behavior;
	int64_t min_ms, max_ms;
	int64_t future_ms;     /* the horizon; INT64_MAX: none */
	size_t max_field;
	igr_vocab *v[3];
	igr_writer *w;
	igr_dedup *dd;
	igr_idtab *idx[3];     /* fast index in front of v[] */
	igr_pseudo *ps;
	igr_idtab *praw;       /* raw user ids already pseudonymized */
	igr_jsonl *json;
	igr_ingest_stats st;
	/* inputs, for file:line of held-back rows */
	char **files;
	uint32_t nfiles;
	size_t files_cap;
	uint64_t position;
	int have_prev;
	int64_t prev_ms;
	struct pend *pq;
	size_t npq;
	char *praw_buf;        /* raw text of held-back rows */
	size_t praw_len, praw_cap;
	char *tbuf;            /* "user item" of an adjacency-list row */
	size_t tcap;
	char *rbuf;            /* reject line */
	size_t rcap;
	char *xbuf;            /* a row with its user id pseudonymized */
	size_t xcap;
	struct prow batch[BATCH];
	size_t nbatch;
	char *arena;           /* the batch's strings */
	size_t alen, acap;
	char *l1[IGR_NROLE];   /* fields converted from ISO 8859-1 */
	size_t l1cap[IGR_NROLE];
	char *hdr;             /* the header line of the current file */
	size_t hdrlen, hdrcap;
	/* record mode (igr_ingest_record): rows and rejects logged for the
	 * run that replays them, never interned, counted or written here */
	int rec;
	int rec_plain;         /* the log holds only what the ranks can
				  resolve (igr_ingest_resolvable) */
	uint64_t rec_rejects;
	char *log;
	size_t loglen, logcap;
	size_t logspill;       /* record: log bytes kept in memory at most
				  (0: all), the rest in LOGFD */
	int logfd;             /* the log's temporary file, or -1 */
	uint64_t logfile;      /* bytes written to it */
	char logerr[512];      /* why the log could not grow */
	uint64_t replay_base;  /* replay: positions before the current log */
	uint64_t replay_rows;  /* replay: rows counted since the last 'F' */
	/* the range being read (ingest_range()): where it starts, the
	 * record starts it stops at; then where it ended (at a mark, or
	 * the end of the input), and the number of the line there */
	uint64_t rg_start;
	const uint64_t *rg_marks;
	size_t rg_nmarks, rg_imark;
	uint64_t rg_end, rg_next, rg_lines;
	int rg_more;
	/* the current file's ranges read or replayed so far: up to byte
	 * rp_end, rp_lines lines, the last one ended at a mark (rp_more);
	 * the range being replayed starts at rp_start, its line numbers
	 * are moved by rp_shift; rp_skip: one that a range before it has
	 * read already is being skipped */
	uint64_t rp_start, rp_end, rp_lines, rp_shift;
	int rp_more, rp_skip;
};

static int add_to_batch(igr_ingest *ig, const struct val *v,
			const struct where *wh, int beh, int64_t ms,
			int tstate, float value, float price, int fills);
static int flush_batch(igr_ingest *ig);

/* ---- small helpers ---------------------------------------------------- */

int igr_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s,
			    *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n, i;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

static int has_high_bit(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static const char *file_name(const igr_ingest *ig, uint32_t f)
{
	return f < ig->nfiles ? ig->files[f] : "?";
}

static const char *cur_file(const igr_ingest *ig)
{
	return ig->nfiles ? ig->files[ig->nfiles - 1] : "?";
}

/* ---- rejects ---------------------------------------------------------- */

/* The rejects file's row when --pseudonymize cannot show it safely. */
#define WITHHELD "[row withheld: --pseudonymize]"

static int private_row(igr_ingest *ig, const struct where *wh,
		       const char **raw, size_t *rawlen);
static int is_na(const struct layout *L, int role, const char *p,
		 size_t len);

/* Record a reject of the row WH of input FILE.  Returns 0, or -1 when the
 * run must stop (--strict, --max-rejects N, a write error). */
static int reject_at(igr_ingest *ig, uint32_t file, const struct where *wh,
		     int why, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int log_reject(igr_ingest *ig, const struct where *wh, int why,
		      const char *reason);

/* The row WH as messages and logs may show it (private_row()). */
static int shown_row(igr_ingest *ig, const struct where *wh,
		     const char **raw, size_t *rawlen)
{
	*raw = wh->raw;
	*rawlen = wh->rawlen;
	if (ig->ps != NULL && !wh->safe)
		return private_row(ig, wh, raw, rawlen);
	return 0;
}

static int reject_at(igr_ingest *ig, uint32_t file, const struct where *wh,
		     int why, const char *fmt, ...)
{
	char reason[512], where[512];
	const char *raw = wh->raw;
	size_t rawlen = wh->rawlen;
	uint64_t lineno = wh->lineno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (ig->rec)
		return log_reject(ig, wh, why, reason);
	snprintf(where, sizeof where, "%s:%llu", file_name(ig, file),
		 (unsigned long long)lineno);
	ig->st.rejected++;
	ig->st.reasons[why]++;
	if (ig->cfg.rejects != NULL) {
		/* "FILE:LINE<TAB>REASON<TAB>ROW"; newlines, CRs, NULs and
		 * backslashes of the row escaped so it stays one text line */
		size_t i, n = 0, wl = strlen(where), rl = strlen(reason);
		if (ig->ps != NULL && !wh->safe &&
		    private_row(ig, wh, &raw, &rawlen) < 0)
			return -1;
		if (igr_grow(&ig->rbuf, &ig->rcap,
			     wl + rl + 2 * rawlen + 4, 1) < 0)
			return -1;
		memcpy(ig->rbuf, where, wl);
		n = wl;
		ig->rbuf[n++] = '\t';
		for (i = 0; i < rl; i++) /* reasons quote data: no tabs */
			ig->rbuf[n++] = reason[i] == '\t' ? ' ' : reason[i];
		ig->rbuf[n++] = '\t';
		for (i = 0; i < rawlen; i++) {
			char c = raw[i];
			if (c == '\n' || c == '\r' || c == '\\' || c == '\0') {
				ig->rbuf[n++] = '\\';
				c = c == '\n' ? 'n' : c == '\r' ? 'r'
					: c == '\0' ? '0' : c;
			}
			ig->rbuf[n++] = c;
		}
		ig->rbuf[n++] = '\n';
		if (igr_out_write(ig->cfg.rejects, ig->rbuf, n) < 0)
			return igr_error_prefix("%s",
				igr_out_name(ig->cfg.rejects));
	}
	if (ig->cfg.on_reject != NULL)
		ig->cfg.on_reject(ig->cfg.reject_ctx, where, reason);
	if (ig->cfg.strict)
		return igr_error("%s: %s", where, reason);
	if (ig->cfg.max_rejects_kind == 1 &&
	    ig->st.rejected > ig->cfg.max_rejects)
		return igr_error("%s: more than %llu rows rejected "
				 "(--max-rejects); stopping", where,
				 (unsigned long long)ig->cfg.max_rejects);
	return 0;
}

#define REJECT(ig, wh, why, ...)                                             \
	reject_at(ig, (ig)->nfiles - 1, wh, why, __VA_ARGS__)

/* Whole-row checks: binary data (the start of gzip data, a NUL byte)
 * and, unless the layout is ISO 8859-1, bytes that are not UTF-8
 * anywhere in the row, used columns or not, so that garbage is a reject
 * with a reason, never an id.  GZIP_ONLY: only the first (done before
 * the fields are split; the rest after the fields' own checks, whose
 * messages name the field).  0 (text), 1 (rejected) or -1 (stop). */
static int text_check(igr_ingest *ig, const struct where *wh, int latin1,
		      int gzip_only)
{
	const unsigned char *p = (const unsigned char *)wh->raw;
	size_t i, n = wh->rawlen;
	unsigned odd = 0;

	for (i = 0; i < n; i++)
		odd |= (p[i] >= 0x80) | (p[i] == 0) << 1 | (p[i] == 0x1f) << 2;
	if (odd == 0)
		return 0;
	if ((odd & 4) && memmem(p, n, "\x1f\x8b", 2) != NULL)
		return REJECT(ig, wh, R_BINARY, "not text: gzip data (a "
			      "compressed file appended to a plain one?)")
		       < 0 ? -1 : 1;
	if (gzip_only)
		return 0;
	if (odd & 2)
		return REJECT(ig, wh, R_BINARY, "not text: NUL byte") < 0 ? -1
									  : 1;
	if ((odd & 1) && !latin1 && !igr_utf8_valid(wh->raw, n))
		return REJECT(ig, wh, R_UTF8, "row is not valid UTF-8 (binary "
			      "data? see --latin1)") < 0 ? -1 : 1;
	return 0;
}

/* Quote a field for a message: at most 40 bytes, control bytes escaped. */
static const char *q(const struct val *v, char *buf)
{
	size_t i, n = 0, len = v->len > 40 ? 40 : v->len;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '\'')
			n += (size_t)sprintf(buf + n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (v->len > 40) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Under --pseudonymize, the row WH as the rejects file shows it: the user
 * field's text replaced by its pseudonym (the one the vocabulary gets for
 * it): the field's own bytes when they lie in the row as read (plain CSV,
 * adjacency lists), else every occurrence of its text in the row (quoted
 * CSV fields, JSON strings).  Withheld when the row was never split into
 * fields, or when the text is not in it verbatim (an escape inside it).  A
 * row without a user id is shown as read.  Only rejects pay for this.
 * 0 or -1. */
static int private_row(igr_ingest *ig, const struct where *wh,
		       const char **raw, size_t *rawlen)
{
	const char *p = wh->user.p, *text, *r = wh->raw;
	size_t len = wh->user.len, tlen, rl = wh->rawlen, i, n = 0, k;
	char pn[IGR_PSEUDO_LEN + 1];

	*raw = WITHHELD;
	*rawlen = strlen(WITHHELD);
	if (wh->user.state == V_ABSENT || r == NULL)
		return 0;
	text = p;
	tlen = len;
	if (ig->cfg.trim) {
		while (tlen > 0 && (text[0] == ' ' || text[0] == '\t')) {
			text++;
			tlen--;
		}
		while (tlen > 0 && (text[tlen - 1] == ' ' ||
				    text[tlen - 1] == '\t'))
			tlen--;
	}
	if (wh->user.state != V_PRESENT || tlen == 0 ||
	    (ig->L->nna && is_na(ig->L, IGR_ROLE_USER, text, tlen))) {
		*raw = r; /* no id in it */
		*rawlen = rl;
		return 0;
	}
	if (ig->L->latin1 && has_high_bit(text, tlen)) {
		/* the text intern_user() sees, converted as process_row()
		 * converts it */
		char *u = malloc(2 * tlen);
		if (u == NULL)
			return igr_error("out of memory");
		for (i = 0; i < tlen; i++) {
			unsigned char c = (unsigned char)text[i];
			if (c < 0x80) {
				u[n++] = (char)c;
			} else {
				u[n++] = (char)(0xc0 | c >> 6);
				u[n++] = (char)(0x80 | (c & 0x3f));
			}
		}
		igr_pseudo_id(ig->ps, u, n, pn);
		free(u);
		n = 0;
	} else {
		igr_pseudo_id(ig->ps, text, tlen, pn);
	}
	/* at most one pseudonym per byte of the row */
	if (igr_grow(&ig->xbuf, &ig->xcap, rl * (IGR_PSEUDO_LEN + 1) + 1,
		     1) < 0)
		return -1;
	if (len > 0 && p >= r && p + len <= r + rl) {
		k = (size_t)(p - r);
		memcpy(ig->xbuf, r, k);
		memcpy(ig->xbuf + k, pn, IGR_PSEUDO_LEN);
		memcpy(ig->xbuf + k + IGR_PSEUDO_LEN, p + len,
		       rl - k - len);
		n = rl - len + IGR_PSEUDO_LEN;
	} else {
		int found = 0;
		for (i = 0; i < rl;) {
			if (len > 0 && rl - i >= len &&
			    memcmp(r + i, p, len) == 0) {
				memcpy(ig->xbuf + n, pn, IGR_PSEUDO_LEN);
				n += IGR_PSEUDO_LEN;
				i += len;
				found = 1;
			} else {
				ig->xbuf[n++] = r[i++];
			}
		}
		if (!found)
			return 0; /* withheld */
	}
	*raw = ig->xbuf;
	*rawlen = n;
	return 0;
}

/* ---- output ----------------------------------------------------------- */

void igr_ingest_event_key(unsigned char *k, const igr_event *e, int64_t ms)
{
	uint32_t vb;

	memset(k, 0, IGR_DEDUP_KEY);
	memcpy(&vb, &e->value, 4);
	memcpy(k, &ms, 8);
	memcpy(k + 8, &e->user, 4);
	memcpy(k + 12, &e->item, 4);
	memcpy(k + 16, &e->category, 4);
	memcpy(k + 20, &vb, 4);
	k[24] = e->behavior;
	k[31] = 'e';
}

static int accept_event(igr_ingest *ig, const igr_event *e);

/* Write E at time MS unless it is a duplicate; KEY and H are its key. */
static int emit_event_h(igr_ingest *ig, igr_event *e, int64_t ms,
			const unsigned char *key, uint32_t h)
{
	int r;

	e->ts = igr_ms_to_s(ms);
	r = igr_dedup_check_h(ig->dd, key, h);
	if (r < 0)
		return -1;
	if (r == 1) {
		ig->st.duplicates++;
		return 0;
	}
	return accept_event(ig, e);
}

/* Write E (its ts set), which is not a duplicate, and count it. */
static int accept_event(igr_ingest *ig, const igr_event *e)
{
	if (igr_write_event(ig->w, e) < 0)
		return -1;
	ig->st.accepted++;
	ig->st.behavior[e->behavior]++;
	if (ig->st.accepted == 1 || e->ts < ig->st.min_ts)
		ig->st.min_ts = e->ts;
	if (ig->st.accepted == 1 || e->ts > ig->st.max_ts)
		ig->st.max_ts = e->ts;
	return 0;
}

static int emit_event(igr_ingest *ig, igr_event *e, int64_t ms)
{
	unsigned char key[IGR_DEDUP_KEY];

	igr_ingest_event_key(key, e, ms);
	return emit_event_h(ig, e, ms, key, igr_dedup_hash(key));
}

/* Write the held-back rows, their times interpolated between PREV (if
 * any) and NEXT (HAVE_NEXT), or carried forward from PREV. */
static int flush_pending(igr_ingest *ig, int have_next, int64_t next)
{
	size_t i, k = ig->npq;
	int rc = 0;

	for (i = 0; i < k && rc == 0; i++) {
		struct pend *p = &ig->pq[i];
		int64_t lo, ms;
		if (!have_next && !ig->have_prev) {
			struct where wh = { p->lineno,
					    ig->praw_buf + p->raw_off,
					    p->raw_len, 1, { V_ABSENT, NULL,
							     0 } };
			rc = reject_at(ig, p->file, &wh, R_NOTIME,
				       "missing ts and no time to interpolate "
				       "from");
			continue;
		}
		if (!have_next) {
			ms = ig->prev_ms;
		} else {
			lo = ig->have_prev ? ig->prev_ms : next;
			/* i + 1 of k + 1 steps from lo to next */
			ms = lo + (int64_t)(((__int128)(next - lo) *
					     (int64_t)(i + 1)) /
					    (int64_t)(k + 1));
		}
		ig->st.interpolated++;
		rc = emit_event(ig, &p->e, ms);
	}
	ig->npq = 0;
	ig->praw_len = 0;
	return rc;
}

static int hold_back(igr_ingest *ig, const igr_event *e, uint32_t file,
		     uint64_t lineno, const char *raw, size_t rawlen)
{
	struct pend *p;

	if (ig->npq == MAX_PENDING && flush_pending(ig, 0, 0) < 0)
		return -1;
	if (ig->pq == NULL) {
		ig->pq = malloc(MAX_PENDING * sizeof *ig->pq);
		if (ig->pq == NULL)
			return igr_error("out of memory");
	}
	if (igr_grow(&ig->praw_buf, &ig->praw_cap,
		     ig->praw_len + rawlen + 1, 1) < 0)
		return -1;
	p = &ig->pq[ig->npq++];
	p->e = *e;
	p->file = file;
	p->lineno = lineno;
	p->raw_off = ig->praw_len;
	p->raw_len = rawlen;
	memcpy(ig->praw_buf + ig->praw_len, raw, rawlen);
	ig->praw_len += rawlen;
	return 0;
}

/* ---- one row ---------------------------------------------------------- */

static int is_na(const struct layout *L, int role, const char *p,
		 size_t len)
{
	int i;

	for (i = 0; i < L->nna; i++)
		if ((L->na[i].role < 0 || L->na[i].role == role) &&
		    L->na[i].len == len && memcmp(L->na[i].s, p, len) == 0)
			return 1;
	return 0;
}

/* Checks every present field shares: length, NUL bytes, UTF-8, and for
 * ids control characters.  0 or the reject status. */
static int check_field(igr_ingest *ig, const struct where *wh, int role,
		       const struct val *v, int *bad)
{
	size_t limit = ig->max_field, i;
	int is_id = role == IGR_ROLE_USER || role == IGR_ROLE_ITEM ||
		    role == IGR_ROLE_CATEGORY;
	unsigned odd = 0; /* bytes >= 0x80, control bytes seen */
	char b[200], what[260];

	if (is_id && limit > IGR_VOCAB_MAXLEN)
		limit = IGR_VOCAB_MAXLEN;
	*bad = 1;
	if (v->len > limit)
		return REJECT(ig, wh, R_LONG, "%s longer than %zu bytes "
			      "(--max-field)", igr_role_name(role), limit);
	/* one pass finds what needs a closer look; plain ASCII ids (nearly
	 * every field) need nothing more */
	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		odd |= (c >= 0x80) | (c < 0x20 || c == 0x7f) << 1;
	}
	if (odd == 0 && !(is_id && (v->p[0] == ' ' ||
				     v->p[v->len - 1] == ' '))) {
		*bad = 0;
		return 0;
	}
	if (memchr(v->p, '\0', v->len) != NULL)
		return REJECT(ig, wh, R_ID, "%s contains a NUL byte",
			      igr_role_name(role));
	/* a raw user id is never quoted under --pseudonymize */
	if (role == IGR_ROLE_USER && ig->ps != NULL)
		snprintf(what, sizeof what, "%s", igr_role_name(role));
	else
		snprintf(what, sizeof what, "%s '%s'", igr_role_name(role),
			 q(v, b));
	if ((odd & 1) && !igr_utf8_valid(v->p, v->len))
		return REJECT(ig, wh, R_UTF8, "%s is not valid UTF-8", what);
	if (role == IGR_ROLE_USER && ig->ps != NULL)
		snprintf(what, sizeof what, "%s id", igr_role_name(role));
	else
		snprintf(what, sizeof what, "%s id '%s'", igr_role_name(role),
			 q(v, b));
	if (is_id && (v->p[0] == ' ' || v->p[v->len - 1] == ' '))
		return REJECT(ig, wh, R_ID, "%s has spaces around it (see "
			      "--trim)", what);
	if (is_id && (odd & 2))
		return REJECT(ig, wh, R_ID, "%s contains a control character",
			      what);
	*bad = 0;
	return 0;
}

static int find_behavior(const struct layout *L, const char *p, size_t len)
{
	int i;

	if (L->nbmap < 0)
		return igr_behavior_parse(p, len);
	for (i = 0; i < L->nbmap; i++)
		if (strncmp(L->bmap[i].from, p, len) == 0 &&
		    L->bmap[i].from[len] == '\0')
			return L->bmap[i].to;
	return -1;
}

static int parse_number(const struct val *v, float *out)
{
	return igr_parse_float(v->p, v->len, out) < 0 || !isfinite(*out)
		       ? -1 : 0;
}

static void range_text(const igr_ingest *ig, char *buf, size_t n)
{
	char a[64], b[64];

	igr_fmt_iso8601(a, igr_ms_to_s(ig->min_ms));
	igr_fmt_iso8601(b, igr_ms_to_s(ig->max_ms));
	snprintf(buf, n, "%s to %s", a, b);
}

/* Validate, convert and write one row whose fields are in V.  0, or -1
 * to stop (a reject under --strict, a write error ...). */
static int process_row(igr_ingest *ig, struct val *v,
		       const struct where *row)
{
	struct where w = *row, *wh = &w;
	const struct layout *L = ig->L;
	int r, bad, beh = L->behavior, tstate = TS_ABSENT, fills = 0;
	int64_t ms = 0;
	float value = 1, price = NAN;
	char b[200];

	w.user = v[IGR_ROLE_USER]; /* as read, for private_row() */
	ig->position++;
	/* missing values and the checks every field shares */
	for (r = 0; r < IGR_NROLE; r++) {
		if (v[r].state == V_PRESENT && ig->cfg.trim) {
			while (v[r].len > 0 && (v[r].p[0] == ' ' ||
						v[r].p[0] == '\t')) {
				v[r].p++;
				v[r].len--;
			}
			while (v[r].len > 0 && (v[r].p[v[r].len - 1] == ' ' ||
						v[r].p[v[r].len - 1] == '\t'))
				v[r].len--;
		}
		if (v[r].state == V_PRESENT &&
		    (v[r].len == 0 || (L->nna && is_na(L, r, v[r].p,
							v[r].len))))
			v[r].state = V_MISSING;
		if (v[r].state == V_MISSING) {
			switch (ig->miss[r]) {
			case IGR_MISS_REJECT:
				return REJECT(ig, wh, R_MISSING,
					      "missing %s", igr_role_name(r));
			case IGR_MISS_FILL:
				v[r].state = V_PRESENT;
				v[r].p = ig->fill[r];
				v[r].len = strlen(ig->fill[r]);
				fills++;
				break;
			default:
				break; /* none, previous, interpolate */
			}
		}
		if (v[r].state == V_PRESENT && L->latin1 &&
		    has_high_bit(v[r].p, v[r].len)) {
			/* ISO 8859-1 byte c is code point c: two UTF-8 bytes */
			size_t k, n = 0;
			if (igr_grow(&ig->l1[r], &ig->l1cap[r], 2 * v[r].len,
				     1) < 0)
				return -1;
			for (k = 0; k < v[r].len; k++) {
				unsigned char c = (unsigned char)v[r].p[k];
				if (c < 0x80) {
					ig->l1[r][n++] = (char)c;
				} else {
					ig->l1[r][n++] = (char)(0xc0 | c >> 6);
					ig->l1[r][n++] = (char)(0x80 | (c & 0x3f));
				}
			}
			v[r].p = ig->l1[r];
			v[r].len = n;
		}
		if (v[r].state == V_PRESENT) {
			if (check_field(ig, wh, r, &v[r], &bad) < 0)
				return -1;
			if (bad)
				return 0;
		}
	}
	/* the rest of the row, columns used or not */
	if ((r = text_check(ig, wh, L->latin1, 0)) != 0)
		return r < 0 ? -1 : 0;
	if (ig->cfg.kind == IGR_KIND_EVENTS) {
		/* behaviour */
		if (v[IGR_ROLE_BEHAVIOR].state == V_PRESENT) {
			beh = find_behavior(L, v[IGR_ROLE_BEHAVIOR].p,
					    v[IGR_ROLE_BEHAVIOR].len);
			if (beh < 0)
				return REJECT(ig, wh, R_BEHAVIOR,
					      "unknown behavior '%s'",
					      q(&v[IGR_ROLE_BEHAVIOR], b));
		}
		/* time */
		if (v[IGR_ROLE_TS].state == V_PRESENT) {
			if (igr_time_parse(&L->tf, v[IGR_ROLE_TS].p,
					   v[IGR_ROLE_TS].len, &ms) < 0)
				return REJECT(ig, wh, R_TIME,
					      "bad time '%s'",
					      q(&v[IGR_ROLE_TS], b));
			tstate = TS_SET;
		} else if (v[IGR_ROLE_TS].state == V_MISSING) {
			/* decided in order when the batch is written */
			tstate = ig->miss[IGR_ROLE_TS] == IGR_MISS_PREVIOUS
					 ? TS_PREV : TS_INTERP;
		} else if (L->tf.kind == IGR_TF_POSITION) {
			ms = (int64_t)ig->position * 1000;
		}
		if (v[IGR_ROLE_OFFSET_MS].state == V_PRESENT) {
			int64_t off;
			if (igr_parse_i64(v[IGR_ROLE_OFFSET_MS].p,
					  v[IGR_ROLE_OFFSET_MS].len, &off) < 0 ||
			    off > ((int64_t)1 << 50) ||
			    off < -((int64_t)1 << 50))
				return REJECT(ig, wh, R_NUMBER,
					      "offset_ms '%s' is not an "
					      "integer",
					      q(&v[IGR_ROLE_OFFSET_MS], b));
			ms += off;
		}
		if (tstate == TS_SET && (ms < ig->min_ms || ms >= ig->max_ms)) {
			char rt[160];
			int64_t s = igr_ms_to_s(ms);
			range_text(ig, rt, sizeof rt);
			return REJECT(ig, wh, R_RANGE,
				      "time %lld is out of range (%s)%s",
				      (long long)s, rt,
				      s / 1000 >= igr_ms_to_s(ig->min_ms) &&
				      s / 1000 < igr_ms_to_s(ig->max_ms)
					      ? "; milliseconds? see "
						"--time-format"
					      : "");
		}
		if (tstate == TS_SET && ms > ig->future_ms) {
			char hz[64];
			igr_fmt_iso8601(hz, igr_ms_to_s(ig->future_ms));
			return REJECT(ig, wh, R_FUTURE,
				      "time %lld is in the future (after %s, "
				      "see --max-future)",
				      (long long)igr_ms_to_s(ms), hz);
		}
		if (v[IGR_ROLE_VALUE].state == V_PRESENT &&
		    parse_number(&v[IGR_ROLE_VALUE], &value) < 0)
			return REJECT(ig, wh, R_NUMBER,
				      "value '%s' is not a finite number",
				      q(&v[IGR_ROLE_VALUE], b));
	} else {
		if (v[IGR_ROLE_PRICE].state == V_PRESENT &&
		    (parse_number(&v[IGR_ROLE_PRICE], &price) < 0 ||
		     price < 0))
			return REJECT(ig, wh, R_NUMBER,
				      "price '%s' is not a number of 0 or "
				      "more", q(&v[IGR_ROLE_PRICE], b));
	}
	/* the row is good: it waits in the batch for its ids */
	return add_to_batch(ig, v, wh, beh, ms, tstate, value, price, fills);
}

/* ---- the batch: ids, duplicates, output ------------------------------- */

static int arena_put(igr_ingest *ig, const char *p, size_t len,
		     size_t *off)
{
	if (igr_grow(&ig->arena, &ig->acap, ig->alen + len + 1, 1) < 0)
		return -1;
	memcpy(ig->arena + ig->alen, p, len);
	ig->arena[ig->alen + len] = '\0';
	*off = ig->alen;
	ig->alen += len + 1;
	return 0;
}

static int log_row(igr_ingest *ig, const struct val *v,
		   const struct where *wh, int beh, int64_t ms, int tstate,
		   float value, float price, int fills);

static int add_to_batch(igr_ingest *ig, const struct val *v,
			const struct where *wh, int beh, int64_t ms,
			int tstate, float value, float price, int fills)
{
	struct prow *pr = &ig->batch[ig->nbatch];
	static const int role_of[3] = { IGR_ROLE_USER, IGR_ROLE_ITEM,
					IGR_ROLE_CATEGORY };
	int t;

	if (ig->rec)
		return log_row(ig, v, wh, beh, ms, tstate, value, price,
			       fills);
	ig->st.filled += (uint64_t)fills;
	for (t = 0; t < 3; t++) {
		const struct val *x = &v[role_of[t]];
		size_t len = x->len;
		pr->has[t] = x->state == V_PRESENT;
		if (!pr->has[t])
			continue;
		if (t == IGR_CATEGORY && ig->L->cat_list_sep) {
			const char *sep = memchr(x->p, ig->L->cat_list_sep, len);
			if (sep != NULL)
				len = (size_t)(sep - x->p);
			if (len == 0) {
				pr->has[t] = 0;
				continue;
			}
		}
		if (arena_put(ig, x->p, len, &pr->off[t]) < 0)
			return -1;
		pr->len[t] = len;
		pr->h[t] = igr_idtab_hash(x->p, len);
		igr_idtab_prefetch(t == IGR_USER && ig->ps ? ig->praw
							     : ig->idx[t],
				   pr->h[t]);
	}
	pr->behavior = (uint8_t)beh;
	pr->ms = ms;
	pr->tstate = tstate;
	pr->value = value;
	pr->price = price;
	pr->file = ig->nfiles - 1;
	pr->lineno = wh->lineno;
	pr->rlen = 0;
	if (tstate == TS_PREV || tstate == TS_INTERP) {
		/* kept for a reject decided later, so kept as it may be
		 * shown */
		const char *raw;
		size_t rawlen;
		if (shown_row(ig, wh, &raw, &rawlen) < 0 ||
		    arena_put(ig, raw, rawlen, &pr->roff) < 0)
			return -1;
		pr->rlen = rawlen;
	}
	pr->tlen = 0;
	if (v[IGR_ROLE_TITLE].state == V_PRESENT) {
		if (arena_put(ig, v[IGR_ROLE_TITLE].p, v[IGR_ROLE_TITLE].len,
			      &pr->toff) < 0)
			return -1;
		pr->tlen = v[IGR_ROLE_TITLE].len;
	}
	if (++ig->nbatch == BATCH)
		return flush_batch(ig);
	return 0;
}

static int intern_h(igr_ingest *ig, int type, const char *p, size_t len,
		    uint64_t h, uint32_t *id)
{
	if (igr_idtab_find(ig->idx[type], p, len, h, id))
		return 0;
	if (igr_vocab_intern(ig->v[type], p, len, id) < 0)
		return igr_error_prefix("%s vocabulary", igr_node_name(type));
	return igr_idtab_add(ig->idx[type], p, len, h, *id);
}

static int intern_user(igr_ingest *ig, const char *p, size_t len,
		       uint64_t h, uint32_t *id)
{
	char pn[IGR_PSEUDO_LEN + 1];

	if (ig->ps == NULL)
		return intern_h(ig, IGR_USER, p, len, h, id);
	/* each distinct raw id is hashed once; this table is memory only
	 * and never written anywhere */
	if (igr_idtab_find(ig->praw, p, len, h, id))
		return 0;
	igr_pseudo_id(ig->ps, p, len, pn);
	if (intern_h(ig, IGR_USER, pn, IGR_PSEUDO_LEN,
		     igr_idtab_hash(pn, IGR_PSEUDO_LEN), id) < 0)
		return -1;
	return igr_idtab_add(ig->praw, p, len, h, *id);
}

static void item_key(unsigned char *key, const igr_item *it, size_t tlen)
{
	uint64_t th = igr_hash_bytes(it->text, tlen, 0x9e37);
	uint32_t pb;

	memcpy(&pb, &it->price, 4);
	memset(key, 0, IGR_DEDUP_KEY);
	memcpy(key, &it->item, 4);
	memcpy(key + 4, &it->category, 4);
	memcpy(key + 8, &pb, 4);
	memcpy(key + 12, &th, 8);
	key[31] = 'i';
}

/* Ids for every row of the batch, then duplicates and output in order.
 * The phases are apart so that the table slots each row needs are
 * prefetched a whole batch ahead: at ten million rows the hash tables do
 * not fit in cache, and waiting for one miss at a time halves the speed. */
static int flush_batch(igr_ingest *ig)
{
	size_t i, n = ig->nbatch;
	unsigned ahead = 0;

	ig->nbatch = 0;
	for (i = 0; i < n; i++) {
		struct prow *pr = &ig->batch[i];
		const char *a = ig->arena;
		if (ig->cfg.kind == IGR_KIND_EVENTS) {
			igr_event *e = &pr->e;
			if (intern_user(ig, a + pr->off[0], pr->len[0], pr->h[0],
					&e->user) < 0 ||
			    intern_h(ig, IGR_ITEM, a + pr->off[1], pr->len[1],
				     pr->h[1], &e->item) < 0)
				return -1;
			e->category = IGR_NONE;
			if (pr->has[2] &&
			    intern_h(ig, IGR_CATEGORY, a + pr->off[2],
				     pr->len[2], pr->h[2], &e->category) < 0)
				return -1;
			e->behavior = pr->behavior;
			e->value = pr->value;
			e->ts = 0;
			if (pr->tstate == TS_SET || pr->tstate == TS_ABSENT) {
				igr_ingest_event_key(pr->key, e, pr->ms);
				pr->kh = igr_dedup_hash(pr->key);
				igr_dedup_prefetch(ig->dd, pr->kh, ahead++);
			}
		} else {
			igr_item *it = &pr->it;
			memset(it, 0, sizeof *it);
			if (intern_h(ig, IGR_ITEM, a + pr->off[1], pr->len[1],
				     pr->h[1], &it->item) < 0)
				return -1;
			it->category = IGR_NONE;
			if (pr->has[2] &&
			    intern_h(ig, IGR_CATEGORY, a + pr->off[2],
				     pr->len[2], pr->h[2], &it->category) < 0)
				return -1;
			it->price = pr->price;
			if (pr->tlen > 0) {
				it->text = a + pr->toff;
			} else {
				it->text = "";
			}
			it->ntok = (uint8_t)igr_hash_tokens(it->text, it->tok);
			item_key(pr->key, it, pr->tlen);
			pr->kh = igr_dedup_hash(pr->key);
			igr_dedup_prefetch(ig->dd, pr->kh, ahead++);
		}
	}
	for (i = 0; i < n; i++) {
		struct prow *pr = &ig->batch[i];
		int r;
		if (ig->cfg.kind == IGR_KIND_ITEMS) {
			r = igr_dedup_check_h(ig->dd, pr->key, pr->kh);
			if (r < 0)
				return -1;
			if (r == 1) {
				ig->st.duplicates++;
				continue;
			}
			if (igr_write_item(ig->w, &pr->it) < 0)
				return -1;
			ig->st.accepted++;
			continue;
		}
		switch (pr->tstate) {
		case TS_SET:
			if (ig->npq > 0 && flush_pending(ig, 1, pr->ms) < 0)
				return -1;
			ig->have_prev = 1;
			ig->prev_ms = pr->ms;
			/* fall through */
		case TS_ABSENT:
			if (emit_event_h(ig, &pr->e, pr->ms, pr->key,
					 pr->kh) < 0)
				return -1;
			break;
		case TS_PREV:
			if (!ig->have_prev) {
				struct where wh = { pr->lineno,
						    ig->arena + pr->roff,
						    pr->rlen, 1,
						    { V_ABSENT, NULL, 0 } };
				if (reject_at(ig, pr->file, &wh, R_NOTIME,
					      "missing ts and no earlier "
					      "time") < 0)
					return -1;
				break;
			}
			ig->st.interpolated++;
			if (emit_event(ig, &pr->e, ig->prev_ms) < 0)
				return -1;
			break;
		case TS_INTERP:
			if (hold_back(ig, &pr->e, pr->file, pr->lineno,
				      ig->arena + pr->roff, pr->rlen) < 0)
				return -1;
			break;
		}
	}
	ig->alen = 0;
	return 0;
}

/* ---- configuration ---------------------------------------------------- */

static int missing_parse(igr_ingest *ig, const char *spec)
{
	const char *p = spec;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		int role, pol;
		size_t vl;
		const char *val;
		if (eq == NULL || eq == p)
			return igr_error("--missing: '%.*s' is not "
					 "COLUMN=POLICY", (int)len, p);
		role = igr_role_parse(p, (size_t)(eq - p));
		if (role < 0)
			return igr_error("--missing: unknown column '%.*s'",
					 (int)(eq - p), p);
		val = eq + 1;
		vl = (size_t)(p + len - val);
		if (vl == 6 && memcmp(val, "reject", 6) == 0)
			pol = IGR_MISS_REJECT;
		else if (vl == 4 && memcmp(val, "none", 4) == 0)
			pol = IGR_MISS_NONE;
		else if (vl == 8 && memcmp(val, "previous", 8) == 0)
			pol = IGR_MISS_PREVIOUS;
		else if (vl == 11 && memcmp(val, "interpolate", 11) == 0)
			pol = IGR_MISS_INTERPOLATE;
		else if (vl == 0)
			return igr_error("--missing: empty policy for '%s'",
					 igr_role_name(role));
		else
			pol = IGR_MISS_FILL;
		if ((pol == IGR_MISS_PREVIOUS || pol == IGR_MISS_INTERPOLATE) &&
		    role != IGR_ROLE_TS)
			return igr_error("--missing: %.*s only applies to ts",
					 (int)vl, val);
		if (pol == IGR_MISS_NONE && role != IGR_ROLE_CATEGORY &&
		    role != IGR_ROLE_PRICE && role != IGR_ROLE_TITLE &&
		    role != IGR_ROLE_OFFSET_MS)
			return igr_error("--missing: %s cannot be none "
					 "(reject or a fill value)",
					 igr_role_name(role));
		ig->miss[role] = pol;
		free(ig->fill[role]);
		ig->fill[role] = NULL;
		if (pol == IGR_MISS_FILL) {
			ig->fill[role] = strndup(val, vl);
			if (ig->fill[role] == NULL)
				return igr_error("out of memory");
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static int na_parse(struct layout *L, const char *spec)
{
	const char *p = spec;

	if (spec == NULL || *spec == '\0')
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		struct na *nn;
		int role = -1;
		if (igr_grow(&L->na, &L->nacap, (size_t)L->nna + 1,
			     sizeof *L->na) < 0)
			return -1;
		nn = L->na;
		if (colon != NULL) {
			role = igr_role_parse(p, (size_t)(colon - p));
			if (role >= 0) {
				len -= (size_t)(colon + 1 - p);
				p = colon + 1;
			}
		}
		if (len == 0)
			return igr_error("--na: empty marker (empty fields "
					 "are always missing)");
		nn[L->nna].role = role;
		nn[L->nna].s = strndup(p, len);
		nn[L->nna].len = len;
		if (nn[L->nna].s == NULL)
			return igr_error("out of memory");
		L->nna++;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

void igr_ingest_config_init(igr_ingest_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->kind = IGR_KIND_EVENTS;
	cfg->header = -1;
	cfg->delim = -1;
	cfg->quote = -2;
	cfg->latin1 = -1;
	cfg->dedup_window = 1u << 20;
	cfg->max_future = DEFAULT_MAX_FUTURE;
}

/* Apply the options to one layout (from a preset or the generic one). */
static int layout_setup(igr_ingest *ig, struct layout *L,
			const igr_layout *pre)
{
	const igr_ingest_config *cfg = &ig->cfg;
	const char *tfs, *bm;
	int r;

	memset(L, 0, sizeof *L);
	if (pre != NULL) {
		L->desc = pre->desc;
		L->format = pre->format;
		L->delim = pre->delim;
		L->quote = pre->quote;
		L->header = pre->header;
		L->has_header = pre->has_header;
		L->nfields = pre->nfields;
		memcpy(L->col, pre->col, sizeof L->col);
		L->behavior = pre->behavior;
		L->cat_list_sep = pre->cat_list_sep;
		L->latin1 = pre->latin1;
		tfs = pre->time_format;
		bm = pre->behaviors;
		if (na_parse(L, pre->na) < 0)
			return -1;
	} else {
		L->desc = "generic";
		L->format = cfg->format ? cfg->format : IGR_FMT_CSV;
		L->delim = L->format == IGR_FMT_TSV ? '\t' : ',';
		L->quote = '"';
		for (r = 0; r < IGR_NROLE; r++)
			L->col[r] = -1;
		L->behavior = IGR_CLICK;
		tfs = NULL;
		bm = NULL;
	}
	if (cfg->format && pre != NULL && cfg->format != L->format &&
	    !(cfg->format == IGR_FMT_CSV && L->format == IGR_FMT_TSV) &&
	    !(cfg->format == IGR_FMT_TSV && L->format == IGR_FMT_CSV))
		return igr_error("--format does not fit --schema %s",
				 ig->schema->name);
	if (cfg->format == IGR_FMT_TSV && pre == NULL)
		L->delim = '\t';
	if (cfg->delim >= 0)
		L->delim = cfg->delim;
	if (cfg->quote != -2)
		L->quote = cfg->quote;
	if (cfg->header >= 0) {
		L->has_header = cfg->header;
		if (!cfg->header)
			L->header = NULL;
	}
	if (cfg->columns != NULL) {
		const char *names[IGR_NROLE] = { 0 };
		int col[IGR_NROLE];
		char *store = NULL;
		memcpy(col, L->col, sizeof col);
		r = igr_columns_parse(cfg->columns, col, names, &store);
		if (r < 0) {
			free(store);
			return -1;
		}
		for (r = 0; r < IGR_NROLE; r++) {
			L->col[r] = col[r];
			if (names[r] != NULL) {
				L->names[r] = strdup(names[r]);
				if (L->names[r] == NULL) {
					free(store);
					return igr_error("out of memory");
				}
			}
		}
		free(store);
		if (pre != NULL)
			L->nfields = 0; /* the mapping changed: at least */
	}
	if (L->format == IGR_FMT_JSONL) {
		for (r = 0; r < IGR_NROLE; r++) {
			if (L->col[r] >= 0)
				return igr_error("--columns: JSON lines need "
						 "key names, not numbers");
			if (cfg->columns == NULL) {
				/* default: the role names are the keys */
				L->names[r] = strdup(igr_role_name(r));
				if (L->names[r] == NULL)
					return igr_error("out of memory");
			}
		}
	} else if (L->format != IGR_FMT_ADJLIST) {
		int named = 0;
		for (r = 0; r < IGR_NROLE; r++)
			named |= L->names[r] != NULL;
		if (named && cfg->header == 0)
			return igr_error("--columns names columns but "
					 "--no-header says there is no header");
		if (named)
			L->has_header = 1;
	}
	/* the roles this kind needs, and the ones it cannot have */
	if (L->format == IGR_FMT_ADJLIST) {
		if (cfg->kind != IGR_KIND_EVENTS)
			return igr_error("--format adjlist holds events only");
	} else if (cfg->kind == IGR_KIND_EVENTS) {
		if ((L->col[IGR_ROLE_USER] < 0 && !L->names[IGR_ROLE_USER]) ||
		    (L->col[IGR_ROLE_ITEM] < 0 && !L->names[IGR_ROLE_ITEM]))
			return igr_error("events need user and item columns "
					 "(--columns user=N,item=N)");
		if (L->format != IGR_FMT_JSONL &&
		    (L->col[IGR_ROLE_PRICE] >= 0 || L->names[IGR_ROLE_PRICE] ||
		     L->col[IGR_ROLE_TITLE] >= 0 || L->names[IGR_ROLE_TITLE]))
			return igr_error("price and title are item columns "
					 "(--kind items)");
	} else {
		if (L->col[IGR_ROLE_ITEM] < 0 && !L->names[IGR_ROLE_ITEM])
			return igr_error("items need an item column "
					 "(--columns item=N)");
	}
	if (L->format == IGR_FMT_JSONL && cfg->kind == IGR_KIND_EVENTS) {
		free(L->names[IGR_ROLE_PRICE]);
		free(L->names[IGR_ROLE_TITLE]);
		L->names[IGR_ROLE_PRICE] = L->names[IGR_ROLE_TITLE] = NULL;
	}
	if (L->format == IGR_FMT_JSONL && cfg->kind == IGR_KIND_ITEMS &&
	    cfg->columns == NULL)
		for (r = 0; r < IGR_NROLE; r++)
			if (r == IGR_ROLE_USER || r == IGR_ROLE_BEHAVIOR ||
			    r == IGR_ROLE_TS || r == IGR_ROLE_OFFSET_MS ||
			    r == IGR_ROLE_VALUE) {
				free(L->names[r]);
				L->names[r] = NULL;
			}
	if (L->delim == '\n' || L->delim == '\r' || L->delim == L->quote)
		return igr_error("--delimiter cannot be a newline or the quote");
	L->maxcol = -1;
	for (r = 0; r < IGR_NROLE; r++)
		if (L->col[r] > L->maxcol)
			L->maxcol = L->col[r];
	/* behaviours */
	if (cfg->behaviors != NULL)
		bm = cfg->behaviors;
	L->nbmap = -1;
	if (bm != NULL) {
		L->nbmap = igr_behaviors_parse(bm, L->bmap, IGR_MAX_BMAP);
		if (L->nbmap < 0)
			return -1;
	}
	if (cfg->behavior != NULL) {
		L->behavior = igr_behavior_parse(cfg->behavior,
						 strlen(cfg->behavior));
		if (L->behavior < 0)
			return igr_error("--behavior: unknown behavior '%s' "
					 "(view, click, fav, cart, buy, "
					 "review)", cfg->behavior);
	}
	/* times */
	if (cfg->time_format != NULL)
		tfs = cfg->time_format;
	if (tfs == NULL)
		tfs = "auto";
	if (igr_timefmt_set(&L->tf, tfs) < 0)
		return -1;
	if (L->tf.kind == IGR_TF_POSITION || L->tf.kind == IGR_TF_NONE) {
		if (L->col[IGR_ROLE_TS] >= 0 || L->names[IGR_ROLE_TS]) {
			if (cfg->time_format != NULL)
				return igr_error("--time-format %s takes no "
						 "ts column", tfs);
			free(L->names[IGR_ROLE_TS]);
			L->names[IGR_ROLE_TS] = NULL;
			L->col[IGR_ROLE_TS] = -1;
		}
	}
	if (cfg->utc_offset != NULL &&
	    igr_utc_offset_parse(cfg->utc_offset, &L->tf.offset_s) < 0)
		return igr_error("--utc-offset: '%s' is not a zone such as "
				 "+08:00, -0500 or Z", cfg->utc_offset);
	if (cfg->epoch != NULL) {
		int64_t e;
		igr_timefmt iso = { .kind = IGR_TF_ISO };
		iso.offset_s = L->tf.offset_s;
		if (igr_time_parse(&iso, cfg->epoch, strlen(cfg->epoch), &e) < 0)
			return igr_error("--epoch: '%s' is not an ISO 8601 date",
					 cfg->epoch);
		L->tf.epoch_ms = e;
	}
	if (cfg->na != NULL && na_parse(L, cfg->na) < 0)
		return -1;
	if (cfg->latin1 >= 0)
		L->latin1 = cfg->latin1;
	return 0;
}

static void layout_free(struct layout *L)
{
	int i;

	for (i = 0; i < IGR_NROLE; i++)
		free(L->names[i]);
	for (i = 0; i < L->nna; i++)
		free(L->na[i].s);
	free(L->na);
}

igr_ingest *igr_ingest_new(const igr_ingest_config *cfg, igr_vocab *v[3],
			   igr_writer *w, int *usage)
{
	igr_ingest *ig = calloc(1, sizeof *ig);
	int i, r;

	*usage = 0;
	if (ig == NULL)
		return igr_error("out of memory"), NULL;
	ig->cfg = *cfg;
	ig->logfd = -1;
	memcpy(ig->v, v, sizeof ig->v);
	ig->w = w;
	ig->min_ms = (cfg->has_min_time ? cfg->min_time : DEFAULT_MIN_TIME) *
		     1000;
	ig->max_ms = (cfg->has_max_time ? cfg->max_time : DEFAULT_MAX_TIME) *
		     1000;
	ig->max_field = cfg->max_field ? cfg->max_field : IGR_VOCAB_MAXLEN;
	*usage = 1;
	if (!(cfg->max_future >= 0)) {
		igr_error("--max-future must be 0 or more");
		goto fail;
	}
	{
		/* the horizon, in milliseconds, saturating */
		double now = cfg->has_now ? (double)cfg->now
					  : (double)time(NULL);
		double h = (now + cfg->max_future) * 1000;
		ig->future_ms = h >= 9.2e18 ? INT64_MAX : (int64_t)h;
	}
	if (ig->min_ms >= ig->max_ms) {
		igr_error("--min-time must be before --max-time");
		goto fail;
	}
	if (cfg->schema != NULL) {
		ig->schema = igr_ingest_schema_find(cfg->schema, cfg->kind);
		if (ig->schema == NULL) {
			const igr_schema *s;
			int any = 0;
			for (s = igr_ingest_schemas(); s->name; s++)
				any |= strcmp(s->name, cfg->schema) == 0;
			if (any)
				igr_error("--schema %s has no %s layout",
					  cfg->schema, igr_kind_name(cfg->kind));
			else
				igr_error("unknown --schema '%s' (taobao, "
					  "tianchi-mobile, dyhatr, yoochoose, "
					  "diginetica, movielens)", cfg->schema);
			goto fail;
		}
		ig->nlays = ig->schema->nlayouts;
	} else {
		ig->nlays = 1;
	}
	ig->lays = calloc((size_t)ig->nlays, sizeof *ig->lays);
	if (ig->lays == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	for (i = 0; i < ig->nlays; i++)
		if (layout_setup(ig, &ig->lays[i],
				 ig->schema ? &ig->schema->layouts[i] : NULL) < 0)
			goto fail;
	ig->L = &ig->lays[0];
	/* missing-value policies: defaults, then --missing */
	for (r = 0; r < IGR_NROLE; r++)
		ig->miss[r] = r == IGR_ROLE_CATEGORY || r == IGR_ROLE_PRICE ||
				      r == IGR_ROLE_TITLE ||
				      r == IGR_ROLE_OFFSET_MS
			      ? IGR_MISS_NONE : IGR_MISS_REJECT;
	if (cfg->missing != NULL && missing_parse(ig, cfg->missing) < 0)
		goto fail;
	/* fill values must themselves be valid (checked once, here) */
	for (r = 0; r < IGR_NROLE; r++) {
		const char *f = ig->fill[r];
		int64_t ms;
		float x;
		if (f == NULL)
			continue;
		for (i = 0; i < ig->nlays; i++) {
			const struct layout *L = &ig->lays[i];
			if (r == IGR_ROLE_TS &&
			    igr_time_parse(&L->tf, f, strlen(f), &ms) < 0) {
				igr_error("--missing: ts fill '%s' is not a "
					  "time in the time format", f);
				goto fail;
			}
			if (r == IGR_ROLE_BEHAVIOR &&
			    find_behavior(L, f, strlen(f)) < 0) {
				igr_error("--missing: behavior fill '%s' is "
					  "not a known behavior", f);
				goto fail;
			}
		}
		if ((r == IGR_ROLE_VALUE || r == IGR_ROLE_PRICE) &&
		    (igr_parse_float(f, strlen(f), &x) < 0 || !isfinite(x))) {
			igr_error("--missing: %s fill '%s' is not a number",
				  igr_role_name(r), f);
			goto fail;
		}
		if (r == IGR_ROLE_OFFSET_MS &&
		    igr_parse_i64(f, strlen(f), &ms) < 0) {
			igr_error("--missing: offset_ms fill '%s' is not an "
				  "integer", f);
			goto fail;
		}
	}
	*usage = 0;
	ig->dd = igr_dedup_new(cfg->dedup_window);
	if (ig->dd == NULL)
		goto fail;
	if (cfg->pseudonymize != NULL) {
		ig->ps = igr_pseudo_open(cfg->pseudonymize);
		if (ig->ps == NULL)
			goto fail;
		ig->praw = igr_idtab_new();
		if (ig->praw == NULL)
			goto fail;
	}
	for (i = 0; i < IGR_NNODE; i++)
		if ((ig->idx[i] = igr_idtab_new()) == NULL)
			goto fail;
	for (i = 0; i < IGR_NNODE; i++)
		ig->st.nodes[i] = igr_vocab_size(v[i]);
	return ig;
fail:
	igr_ingest_free(ig);
	return NULL;
}

void igr_ingest_free(igr_ingest *ig)
{
	int i;
	uint32_t f;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->nlays; i++)
		layout_free(&ig->lays[i]);
	free(ig->lays);
	for (i = 0; i < IGR_NROLE; i++)
		free(ig->fill[i]);
	igr_dedup_free(ig->dd);
	igr_pseudo_free(ig->ps);
	free(ig->xbuf);
	igr_idtab_free(ig->praw);
	for (i = 0; i < IGR_NNODE; i++)
		igr_idtab_free(ig->idx[i]);
	igr_jsonl_free(ig->json);
	for (f = 0; f < ig->nfiles; f++)
		free(ig->files[f]);
	free(ig->files);
	free(ig->pq);
	free(ig->praw_buf);
	free(ig->tbuf);
	free(ig->rbuf);
	free(ig->hdr);
	free(ig->arena);
	free(ig->log);
	if (ig->logfd >= 0)
		close(ig->logfd);
	for (i = 0; i < IGR_NROLE; i++)
		free(ig->l1[i]);
	free(ig);
}

const igr_ingest_stats *igr_ingest_get_stats(const igr_ingest *ig)
{
	return &ig->st;
}

const char *igr_ingest_schema_name(const igr_ingest *ig)
{
	return ig->schema ? ig->schema->name : "generic";
}

void igr_ingest_dialect(const igr_ingest *ig, int *delim, int *quote)
{
	const struct layout *L = &ig->lays[0];

	*delim = L->delim;
	*quote = L->format == IGR_FMT_JSONL || L->format == IGR_FMT_ADJLIST
			 ? IGR_CSV_NOQUOTE : L->quote;
}

/* ---- the formats ------------------------------------------------------ */

/* Choose the layout of a delimited file from its first line: a preset
 * header that matches, else the first headerless layout whose field count
 * fits, else the first headerless one. */
static int choose_layout(igr_ingest *ig, igr_csv *csv)
{
	const char *line;
	size_t len;
	int i, r, fallback = -1;
	igr_field f[64];

	if (ig->nlays == 1) {
		ig->L = &ig->lays[0];
		return 0;
	}
	r = igr_csv_peek_line(csv, &line, &len);
	if (r < 0)
		return -1;
	if (r == 0) {
		ig->L = &ig->lays[0];
		return 0;
	}
	for (i = 0; i < ig->nlays; i++) {
		const struct layout *L = &ig->lays[i];
		if (L->header && L->has_header &&
		    strlen(L->header) == len &&
		    memcmp(L->header, line, len) == 0) {
			ig->L = &ig->lays[i];
			return 0;
		}
	}
	for (i = 0; i < ig->nlays; i++) {
		const struct layout *L = &ig->lays[i];
		size_t n;
		if (L->header && L->has_header)
			continue;
		if (fallback < 0)
			fallback = i;
		n = igr_csv_split_plain(line, len, L->delim, f, 63);
		if (L->nfields == 0 || n == (size_t)L->nfields) {
			ig->L = &ig->lays[i];
			return 0;
		}
	}
	if (fallback >= 0) {
		ig->L = &ig->lays[fallback];
		return 0;
	}
	{
		char exp[512];
		size_t n = 0;
		exp[0] = '\0';
		for (i = 0; i < ig->nlays && n < sizeof exp - 1; i++)
			n += (size_t)snprintf(exp + n, sizeof exp - n, "%s'%s'",
					      i ? " or " : "",
					      ig->lays[i].header);
		return igr_error("%s:1: the first line is not a header of "
				 "--schema %s (expected %s)", cur_file(ig),
				 ig->schema->name, exp);
	}
}

/* Map named columns through the header record H. */
static int resolve_names(igr_ingest *ig, const igr_csvrec *h)
{
	struct layout *L = ig->L;
	int r;
	size_t i;

	for (r = 0; r < IGR_NROLE; r++) {
		if (L->names[r] == NULL)
			continue;
		for (i = 0; i < h->nf; i++)
			if (h->f[i].len == strlen(L->names[r]) &&
			    memcmp(h->f[i].p, L->names[r], h->f[i].len) == 0)
				break;
		if (i == h->nf)
			return igr_error("%s:%llu: no column '%s' in the header "
					 "(for %s)", cur_file(ig),
					 (unsigned long long)h->lineno,
					 L->names[r], igr_role_name(r));
		L->col[r] = (int)i;
	}
	L->maxcol = -1;
	for (r = 0; r < IGR_NROLE; r++)
		if (L->col[r] > L->maxcol)
			L->maxcol = L->col[r];
	L->nfields = (int)h->nf;
	return 0;
}

/* The layout of the file CSV reads from its first line, and its header
 * (for the names of columns and to know it again); COUNT: count it
 * (not when only looked at for a later range of the file).  0 or -1. */
static int delimited_header(igr_ingest *ig, igr_csv *csv, int count)
{
	igr_csvrec rec;
	int r, named = 0, i;

	if (choose_layout(ig, csv) < 0)
		return -1;
	igr_csv_set_dialect(csv, ig->L->delim, ig->L->quote);
	ig->hdrlen = (size_t)-1; /* no header (yet) */
	for (i = 0; i < IGR_NROLE; i++)
		named |= ig->L->names[i] != NULL;
	if (ig->L->has_header) {
		r = igr_csv_next(csv, &rec);
		if (r < 0)
			return -1;
		if (r == 1) {
			ig->st.headers += (uint64_t)count;
			if (igr_grow(&ig->hdr, &ig->hdrcap, rec.rawlen + 1,
				     1) < 0)
				return -1;
			memcpy(ig->hdr, rec.raw, rec.rawlen);
			ig->hdrlen = rec.rawlen;
			if (named && rec.bad)
				return igr_error("%s:%llu: cannot read the "
						 "header: %s", cur_file(ig),
						 (unsigned long long)rec.lineno,
						 rec.bad);
			if (named && resolve_names(ig, &rec) < 0)
				return -1;
		}
	}
	return 0;
}

/* A range that starts after the file's first line: its layout and header
 * from the start of the file, read apart. */
static int range_header(igr_ingest *ig, const char *path)
{
	igr_in *hin;
	igr_csv *hcsv;
	int rc;

	ig->L = &ig->lays[0];
	ig->hdrlen = (size_t)-1;
	if (ig->nlays == 1 && !ig->L->has_header)
		return 0;
	if ((hin = igr_in_open(path)) == NULL)
		return -1;
	hcsv = igr_csv_new(hin, ',', '"');
	rc = hcsv != NULL ? delimited_header(ig, hcsv, 0) : -1;
	igr_csv_free(hcsv);
	igr_in_close(hin);
	return rc;
}

static int ingest_delimited(igr_ingest *ig, igr_in *in)
{
	igr_csv *csv = igr_csv_new(in, ',', '"');
	igr_csvrec rec;
	struct val v[IGR_NROLE];
	int r, rc = -1, i;
	uint64_t n = 0;

	if (csv == NULL)
		return -1;
	if (ig->rg_start > 0) {
		if (range_header(ig, igr_in_name(in)) < 0)
			goto out;
		igr_csv_set_dialect(csv, ig->L->delim, ig->L->quote);
	} else if (delimited_header(ig, csv, 1) < 0) {
		goto out;
	}
	igr_csv_set_marks(csv, ig->rg_marks, ig->rg_nmarks);
	while ((r = igr_csv_next(csv, &rec)) == 1) {
		const struct layout *L = ig->L;
		struct where wh = { rec.lineno, rec.raw, rec.rawlen, 0,
				    { V_ABSENT, NULL, 0 } };
		ig->st.rows++;
		ig->st.boms += rec.bom;
		if (rec.rawlen == ig->hdrlen &&
		    memcmp(rec.raw, ig->hdr, rec.rawlen) == 0) {
			/* cat day1.csv day2.csv: never a user 'user_id' */
			ig->position++;
			if (REJECT(ig, &wh, R_HEADER, "repeated header (files "
				   "with headers concatenated?)") < 0)
				goto out;
			continue;
		}
		if ((r = text_check(ig, &wh, L->latin1, 1)) != 0) {
			ig->position++;
			if (r < 0)
				goto out;
			continue;
		}
		if (rec.bad != NULL) {
			ig->position++;
			if (REJECT(ig, &wh, rec.nf == 0 && rec.bad[0] == 'm'
						    ? R_FIELDS : R_QUOTE,
				   "%s", rec.bad) < 0)
				goto out;
			continue;
		}
		if ((L->nfields > 0 && rec.nf != (size_t)L->nfields) ||
		    (int)rec.nf <= L->maxcol) {
			ig->position++;
			if (REJECT(ig, &wh, R_FIELDS,
				   "%zu field%s, expected %s%d%s", rec.nf,
				   rec.nf == 1 ? "" : "s",
				   L->nfields > 0 ? "" : "at least ",
				   L->nfields > 0 ? L->nfields : L->maxcol + 1,
				   rec.lineno == 1 && !L->has_header
					   ? " (a header line? see --header)"
					   : "") < 0)
				goto out;
			continue;
		}
		for (i = 0; i < IGR_NROLE; i++) {
			if (L->col[i] < 0) {
				v[i].state = V_ABSENT;
				continue;
			}
			v[i].state = V_PRESENT;
			v[i].p = rec.f[L->col[i]].p;
			v[i].len = rec.f[L->col[i]].len;
		}
		if (process_row(ig, v, &wh) < 0)
			goto out;
		if ((++n & 0xffff) == 0 && ig->cfg.on_progress)
			ig->cfg.on_progress(ig->cfg.reject_ctx, &ig->st,
					    igr_in_offset(in));
	}
	if (r == 0) {
		rc = 0;
		ig->rg_more = igr_csv_stopped(csv, &ig->rg_end, &ig->rg_next);
	}
out:
	ig->st.blank += igr_csv_blank_lines(csv);
	igr_csv_free(csv);
	return rc;
}

/* A format of one record a line, at the start of a line: 1 if it is the
 * mark a range stops at. */
static int at_line_mark(igr_ingest *ig, igr_in *in)
{
	if (igr_mark_reached(ig->rg_marks, ig->rg_nmarks, &ig->rg_imark,
			     igr_in_offset(in)))
		ig->rg_more = 1;
	return ig->rg_more;
}

static int ingest_jsonl(igr_ingest *ig, igr_in *in)
{
	const struct layout *L = ig->L;
	struct val v[IGR_NROLE];
	char *line;
	size_t len;
	int r = 0, i;
	uint64_t n = 0;

	if (ig->json == NULL && (ig->json = igr_jsonl_new()) == NULL)
		return -1;
	while (!(ig->rg_nmarks > 0 && at_line_mark(ig, in)) &&
	       (r = igr_in_getline(in, &line, &len)) == 1) {
		struct where wh;
		const char *why = NULL;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			/* byte order mark; after the first line, the start of
			 * a file appended to another */
			line += 3;
			len -= 3;
			ig->st.boms += igr_in_lineno(in) > 1;
		}
		if (len == 0) {
			ig->st.blank++;
			continue;
		}
		wh.lineno = igr_in_lineno(in);
		wh.raw = line;
		wh.rawlen = len;
		wh.safe = 0;
		wh.user.state = V_ABSENT;
		ig->st.rows++;
		if ((r = text_check(ig, &wh, L->latin1, 1)) != 0) {
			ig->position++;
			if (r < 0)
				return -1;
			continue;
		}
		r = igr_jsonl_parse(ig->json, line, len, &why);
		if (r == -2)
			return -1;
		if (r < 0) {
			ig->position++;
			if (REJECT(ig, &wh, R_JSON, "%s", why) < 0)
				return -1;
			continue;
		}
		for (i = 0; i < IGR_NROLE; i++) {
			igr_field f;
			v[i].state = V_ABSENT;
			if (L->names[i] == NULL)
				continue;
			r = igr_jsonl_get(ig->json, L->names[i], &f, &why);
			if (r < 0)
				break;
			v[i].state = r == 1 ? V_PRESENT : V_MISSING;
			v[i].p = f.p;
			v[i].len = r == 1 ? f.len : 0;
		}
		if (i < IGR_NROLE) {
			ig->position++;
			if (REJECT(ig, &wh, R_JSON, "%s: %s", L->names[i],
				   why) < 0)
				return -1;
			continue;
		}
		/* a key that is not there at all is missing too, except
		 * optional keys nobody asked for by --columns */
		if (ig->cfg.columns == NULL)
			for (i = 0; i < IGR_NROLE; i++)
				if (v[i].state == V_MISSING &&
				    (i == IGR_ROLE_CATEGORY ||
				     i == IGR_ROLE_BEHAVIOR ||
				     i == IGR_ROLE_VALUE ||
				     i == IGR_ROLE_OFFSET_MS ||
				     i == IGR_ROLE_PRICE ||
				     i == IGR_ROLE_TITLE ||
				     (i == IGR_ROLE_TS &&
				      (L->tf.kind == IGR_TF_POSITION ||
				       L->tf.kind == IGR_TF_NONE))) &&
				    ig->miss[i] != IGR_MISS_FILL)
					v[i].state = V_ABSENT;
		if (process_row(ig, v, &wh) < 0)
			return -1;
		if ((++n & 0xffff) == 0 && ig->cfg.on_progress)
			ig->cfg.on_progress(ig->cfg.reject_ctx, &ig->st,
					    igr_in_offset(in));
	}
	return r < 0 ? -1 : 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int ingest_adjlist(igr_ingest *ig, igr_in *in)
{
	struct val v[IGR_NROLE];
	char *line;
	size_t len;
	int r = 0, i;
	uint64_t n = 0;

	for (i = 0; i < IGR_NROLE; i++)
		v[i].state = V_ABSENT;
	while (!(ig->rg_nmarks > 0 && at_line_mark(ig, in)) &&
	       (r = igr_in_getline(in, &line, &len)) == 1) {
		size_t p = 0, us, ul, nitems;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			p = 3; /* byte order mark (after the first line: a
				  file appended to another) */
			ig->st.boms += igr_in_lineno(in) > 1;
		}
		while (p < len && is_space(line[p]))
			p++;
		if (p == len) {
			ig->st.blank++;
			continue;
		}
		us = p;
		while (p < len && !is_space(line[p]))
			p++;
		ul = p - us;
		for (nitems = 0;; nitems++) {
			struct where wh;
			size_t is, il;
			while (p < len && is_space(line[p]))
				p++;
			if (p == len)
				break;
			is = p;
			while (p < len && !is_space(line[p]))
				p++;
			il = p - is;
			/* the row is the pair: "user item" */
			if (igr_grow(&ig->tbuf, &ig->tcap, ul + il + 2, 1) < 0)
				return -1;
			memcpy(ig->tbuf, line + us, ul);
			ig->tbuf[ul] = ' ';
			memcpy(ig->tbuf + ul + 1, line + is, il);
			ig->tbuf[ul + il + 1] = '\0';
			wh.lineno = igr_in_lineno(in);
			wh.raw = ig->tbuf;
			wh.rawlen = ul + il + 1;
			wh.safe = 0;
			wh.user.state = V_ABSENT;
			v[IGR_ROLE_USER].state = V_PRESENT;
			v[IGR_ROLE_USER].p = line + us;
			v[IGR_ROLE_USER].len = ul;
			v[IGR_ROLE_ITEM].state = V_PRESENT;
			v[IGR_ROLE_ITEM].p = line + is;
			v[IGR_ROLE_ITEM].len = il;
			ig->st.rows++;
			if (process_row(ig, v, &wh) < 0)
				return -1;
			if ((++n & 0xffff) == 0 && ig->cfg.on_progress)
				ig->cfg.on_progress(ig->cfg.reject_ctx,
						    &ig->st,
						    igr_in_offset(in));
		}
		if (nitems == 0) {
			/* a lone word that is not text is a reject, not a
			 * user without items */
			struct where lw = { .lineno = igr_in_lineno(in),
					    .raw = line, .rawlen = len };
			if ((r = text_check(ig, &lw, ig->L->latin1, 0)) < 0)
				return -1;
			if (r == 1)
				ig->st.rows++;
			else
				ig->st.empty_users++;
		}
	}
	return r < 0 ? -1 : 0;
}

/* ---- runs ------------------------------------------------------------- */

/* Read IN, opened at byte START of its file (0: all of it; else a line
 * start, igr_in_open_at()), up to the first of the N MARKS at which a
 * record starts (ingest on several ranks), or to its end.  A range after
 * the first is not another input: it is not counted as one. */
static int ingest_range(igr_ingest *ig, igr_in *in, uint64_t start,
			const uint64_t *marks, size_t nmarks)
{
	int rc;
	uint64_t lines;

	if (igr_grow(&ig->files, &ig->files_cap, (size_t)ig->nfiles + 1,
		     sizeof *ig->files) < 0)
		return -1;
	ig->files[ig->nfiles] = strdup(igr_in_name(in));
	if (ig->files[ig->nfiles] == NULL)
		return igr_error("out of memory");
	ig->nfiles++;
	ig->st.files += start == 0;
	ig->rg_start = start;
	ig->rg_marks = marks;
	ig->rg_nmarks = nmarks;
	ig->rg_imark = 0;
	ig->rg_more = 0;
	ig->rg_end = start;
	ig->rg_next = 1 + (start > 0);
	ig->L = &ig->lays[0];
	switch (ig->L->format) {
	case IGR_FMT_JSONL:
	case IGR_FMT_ADJLIST:
		/* a record a line: the range ends where reading stopped */
		rc = ig->L->format == IGR_FMT_JSONL ? ingest_jsonl(ig, in)
						    : ingest_adjlist(ig, in);
		ig->rg_end = igr_in_offset(in);
		ig->rg_next = igr_in_lineno(in) + 1;
		break;
	default:
		rc = ingest_delimited(ig, in);
		break;
	}
	ig->rg_marks = NULL;
	ig->rg_nmarks = 0;
	if (rc == 0) {
		/* a range that stops at a mark leaves its batch to the next
		 * (replayed) one: the batches, and so the order of what is
		 * decided when one is flushed, stay the serial run's */
		if (!ig->rg_more)
			rc = flush_batch(ig);
	} else if (ig->nbatch > 0) {
		/* the rows read before the error are good rows: finish them
		 * so the counts still add up, keeping the first message */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		(void)flush_batch(ig);
		igr_error("%s", msg);
	}
	if (rc < 0) {
		ig->rg_end = igr_in_offset(in);
		ig->rg_more = 0;
	}
	ig->st.bytes += ig->rg_end - start;
	if (rc == 0 && !ig->rg_more && igr_in_partial_line(in))
		ig->st.partial_files++;
	/* the lines are numbered from 2 after the first range (io.h) */
	lines = ig->rg_next - 1 - (start > 0);
	ig->rg_lines = lines;
	if (!ig->rec) {
		ig->rp_lines = (start == 0 ? 0 : ig->rp_lines) + lines;
		ig->rp_start = start;
		ig->rp_end = ig->rg_end;
		ig->rp_more = ig->rg_more;
		ig->rp_shift = 0;
		ig->rp_skip = 0;
	}
	return rc;
}

int igr_ingest_input(igr_ingest *ig, igr_in *in)
{
	return ingest_range(ig, in, 0, NULL, 0);
}

int igr_ingest_range(igr_ingest *ig, const char *path, const uint64_t *marks,
		     size_t n)
{
	igr_in *in = igr_in_open(path);
	int rc;

	if (in == NULL)
		return -1;
	rc = ingest_range(ig, in, 0, marks, n);
	igr_in_close(in);
	return rc;
}

int igr_ingest_file(igr_ingest *ig, const char *path)
{
	igr_in *in = igr_in_open(path);
	int rc;

	if (in == NULL)
		return -1;
	rc = igr_ingest_input(ig, in);
	igr_in_close(in);
	return rc;
}

int igr_ingest_finish(igr_ingest *ig)
{
	int t;

	if (ig->rp_more)
		return igr_error("%s: the ranges read of it end before its end "
				 "(an internal error)", cur_file(ig));
	if (ig->npq > 0 && flush_pending(ig, 0, 0) < 0)
		return -1;
	for (t = 0; t < IGR_NNODE; t++) {
		uint32_t n = igr_vocab_size(ig->v[t]);
		ig->st.new_nodes[t] = n - ig->st.nodes[t];
		ig->st.nodes[t] = n;
	}
	if (ig->cfg.max_rejects_kind == 2 && ig->st.rows > 0 &&
	    (double)ig->st.rejected >
		    ig->cfg.max_reject_frac * (double)ig->st.rows)
		return igr_error("%llu of %llu rows rejected (%.3g%%), more "
				 "than --max-rejects %.3g%%",
				 (unsigned long long)ig->st.rejected,
				 (unsigned long long)ig->st.rows,
				 100.0 * (double)ig->st.rejected /
					 (double)ig->st.rows,
				 100.0 * ig->cfg.max_reject_frac);
	return 0;
}

#define ADD(...)                                                             \
	do {                                                                 \
		if (n < size)                                                \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); \
	} while (0)

void igr_ingest_summary(const igr_ingest *ig, char *buf, size_t size)
{
	const igr_ingest_stats *s = &ig->st;
	size_t n = 0;
	int i, first;

	buf[0] = '\0';
	ADD("rows %llu = accepted %llu + duplicates %llu + rejected %llu",
	    (unsigned long long)s->rows, (unsigned long long)s->accepted,
	    (unsigned long long)s->duplicates,
	    (unsigned long long)s->rejected);
	if (s->rejected > 0) {
		ADD(" (");
		for (i = 0, first = 1; i < R_NREASON; i++)
			if (s->reasons[i] > 0) {
				ADD("%s%llu %s", first ? "" : ", ",
				    (unsigned long long)s->reasons[i],
				    reason_names[i]);
				first = 0;
			}
		ADD(")");
	}
	if (ig->cfg.kind == IGR_KIND_EVENTS && s->accepted > 0) {
		ADD(";");
		for (i = 0, first = 1; i < IGR_NBEHAVIOR; i++)
			if (s->behavior[i] > 0) {
				ADD("%s %s %llu", first ? "" : ",",
				    igr_behavior_name(i),
				    (unsigned long long)s->behavior[i]);
				first = 0;
			}
	}
	for (i = 0; i < IGR_NNODE; i++)
		ADD("%s %s %u (%u new)", i ? "," : ";",
		    i == IGR_CATEGORY ? "categories"
				      : i == IGR_USER ? "users" : "items",
		    s->nodes[i], s->new_nodes[i]);
	if (s->filled || s->interpolated)
		ADD("; filled %llu, time interpolated %llu",
		    (unsigned long long)s->filled,
		    (unsigned long long)s->interpolated);
	if (s->headers || s->blank || s->empty_users)
		ADD("; not rows: %llu header, %llu blank, %llu without items",
		    (unsigned long long)s->headers,
		    (unsigned long long)s->blank,
		    (unsigned long long)s->empty_users);
	if (s->boms)
		ADD("; %llu byte order mark%s inside the input (files "
		    "concatenated?)", (unsigned long long)s->boms,
		    s->boms == 1 ? "" : "s");
	if (ig->cfg.kind == IGR_KIND_EVENTS && s->accepted > 0) {
		char a[64], b[64];
		igr_fmt_iso8601(a, s->min_ts);
		igr_fmt_iso8601(b, s->max_ts);
		ADD("; time %s to %s", a, b);
	}
	ADD("; %d input%s, %.1f MB", s->files, s->files == 1 ? "" : "s",
	    (double)s->bytes / 1e6);
}

/* ---- record and replay (several ranks: ingest_par.c) ------------------ */

/* The log is a wire format between copies of one binary on one cluster
 * (host byte order): 'F' an input opened, its name and the positions
 * counted before it in this log; 'C' a later range of the input opened
 * last (its name, the positions, the byte it starts at); 'X' an input
 * that could not be opened, the message; 'R' a row checked and waiting
 * for its ids (what add_to_batch() keeps), its line number counted from
 * the start of its range; 'J' a reject, its reason and the row as the
 * rejects file shows it; 'E' the end of an input or range, its status
 * and message, the counts its reading made, its lines and whether it
 * stopped at a mark (the next range goes on with the file). */

/* The log's bytes in memory to its temporary file (made the first time).
 * 0, or -1: the log cannot grow (igr_ingest_log() says why). */
static int log_spill(igr_ingest *ig)
{
	char tmpl[4096];

	if (ig->logfd < 0 &&
	    (ig->logfd = igr_tmp_unlinked("igraph-log", tmpl,
					  sizeof tmpl)) < 0) {
		snprintf(ig->logerr, sizeof ig->logerr, "the log of the rows "
			 "read: %s", igr_errmsg());
		ig->rec = -1;
		return -1;
	}
	if (igr_write_full(ig->logfd, ig->log, ig->loglen) < 0) {
		snprintf(ig->logerr, sizeof ig->logerr, "cannot write the log "
			 "of the rows read to a temporary file: %s",
			 strerror(errno));
		ig->rec = -1;
		return -1;
	}
	ig->logfile += ig->loglen;
	ig->loglen = 0;
	return 0;
}

static void log_put(igr_ingest *ig, const void *p, size_t n)
{
	if (ig->rec < 0)
		return;
	if (igr_grow(&ig->log, &ig->logcap, ig->loglen + n, 1) < 0) {
		snprintf(ig->logerr, sizeof ig->logerr,
			 "out of memory (the log of the rows read)");
		ig->rec = -1;
		return;
	}
	memcpy(ig->log + ig->loglen, p, n);
	ig->loglen += n;
	if (ig->logspill > 0 && ig->loglen >= ig->logspill)
		(void)log_spill(ig);
}

static void log_u8(igr_ingest *ig, int c)
{
	unsigned char b = (unsigned char)c;
	log_put(ig, &b, 1);
}

static void log_u64(igr_ingest *ig, uint64_t v)
{
	log_put(ig, &v, sizeof v);
}

static void log_str(igr_ingest *ig, const char *p, size_t n)
{
	log_u64(ig, n);
	log_put(ig, p, n);
}

static int log_reject(igr_ingest *ig, const struct where *wh, int why,
		      const char *reason)
{
	const char *raw;
	size_t rawlen;

	if (shown_row(ig, wh, &raw, &rawlen) < 0)
		return -1;
	/* a reject that may stop the run must stop it where it is */
	if (ig->cfg.strict || ig->cfg.max_rejects_kind == 1)
		ig->rec_plain = 0;
	log_u8(ig, 'J');
	log_u8(ig, why);
	log_u64(ig, wh->lineno);
	log_str(ig, reason, strlen(reason));
	log_str(ig, raw, rawlen);
	/* the serial run stops at this reject or at an earlier one */
	if (ig->cfg.strict ||
	    (ig->cfg.max_rejects_kind == 1 &&
	     ++ig->rec_rejects > ig->cfg.max_rejects))
		return igr_error("stopped at a reject");
	return 0;
}

static int log_row(igr_ingest *ig, const struct val *v,
		   const struct where *wh, int beh, int64_t ms, int tstate,
		   float value, float price, int fills)
{
	static const int role_of[3] = { IGR_ROLE_USER, IGR_ROLE_ITEM,
					IGR_ROLE_CATEGORY };
	size_t len[3] = { 0, 0, 0 };
	int t, has = 0;

	for (t = 0; t < 3; t++) {
		const struct val *x = &v[role_of[t]];
		if (x->state != V_PRESENT)
			continue;
		len[t] = x->len;
		if (t == IGR_CATEGORY && ig->L->cat_list_sep) {
			const char *sep = memchr(x->p, ig->L->cat_list_sep,
						 x->len);
			if (sep != NULL)
				len[t] = (size_t)(sep - x->p);
			if (len[t] == 0)
				continue;
		}
		has |= 1 << t;
	}
	/* a time from the rows before, or decided later */
	if ((tstate != TS_SET && tstate != TS_ABSENT) ||
	    (ig->L->tf.kind == IGR_TF_POSITION && tstate == TS_ABSENT))
		ig->rec_plain = 0;
	log_u8(ig, 'R');
	log_u8(ig, has);
	log_u8(ig, beh);
	log_u8(ig, tstate);
	log_u8(ig, fills);
	/* a time that is the row's position counts from the rows before
	 * this log, known only where it is replayed */
	log_u8(ig, ig->L->tf.kind == IGR_TF_POSITION && tstate == TS_ABSENT);
	log_u64(ig, (uint64_t)ms);
	log_put(ig, &value, sizeof value);
	log_put(ig, &price, sizeof price);
	log_u64(ig, wh->lineno);
	for (t = 0; t < 3; t++)
		if (has & 1 << t)
			log_str(ig, v[role_of[t]].p, len[t]);
	if (tstate == TS_PREV || tstate == TS_INTERP) {
		const char *raw;
		size_t rawlen;
		if (shown_row(ig, wh, &raw, &rawlen) < 0)
			return -1;
		log_str(ig, raw, rawlen);
	} else {
		log_str(ig, "", 0);
	}
	if (v[IGR_ROLE_TITLE].state == V_PRESENT)
		log_str(ig, v[IGR_ROLE_TITLE].p, v[IGR_ROLE_TITLE].len);
	else
		log_str(ig, "", 0);
	return 0;
}

void igr_ingest_record(igr_ingest *ig, size_t spill)
{
	ig->rec = 1;
	ig->rec_plain = 1;
	ig->logspill = spill;
}

int igr_ingest_file_logged(igr_ingest *ig, const char *path)
{
	return igr_ingest_range_logged(ig, path, 0, NULL, 0);
}

int igr_ingest_range_logged(igr_ingest *ig, const char *path, uint64_t start,
			    const uint64_t *marks, size_t n)
{
	igr_in *in = start > 0 ? igr_in_open_at(path, start)
			       : igr_in_open(path);
	igr_ingest_stats b = ig->st;
	uint64_t pos = ig->position;
	const char *msg;
	int rc = -1;

	if (in == NULL && start == 0) {
		msg = igr_errmsg();
		ig->rec_plain = 0;
		log_u8(ig, 'X');
		log_str(ig, msg, strlen(msg));
		return -1;
	}
	if (start == 0) {
		log_u8(ig, 'F');
		log_str(ig, igr_in_name(in), strlen(igr_in_name(in)));
		log_u64(ig, pos);
	} else {
		/* a range that could not be opened is one that failed: it
		 * matters only if no range before it has read its rows */
		log_u8(ig, 'C');
		log_str(ig, path, strlen(path));
		log_u64(ig, pos);
		log_u64(ig, start);
	}
	ig->rg_lines = 0;
	ig->rg_more = 0;
	if (in != NULL) {
		rc = ingest_range(ig, in, start, marks, n);
		igr_in_close(in);
	}
	/* a range after the first may be one that another rank reads too
	 * (ingest_par.c): its rejects must not end the rank's log early
	 * (only the replay counts them for --max-rejects) */
	if (start > 0)
		ig->rec_rejects = 0;
	msg = rc < 0 ? igr_errmsg() : "";
	if (rc < 0)
		ig->rec_plain = 0;
	log_u8(ig, 'E');
	log_u8(ig, rc < 0);
	log_str(ig, msg, strlen(msg));
	log_u64(ig, ig->st.rows - b.rows);
	log_u64(ig, ig->st.headers - b.headers);
	log_u64(ig, ig->st.boms - b.boms);
	log_u64(ig, ig->st.blank - b.blank);
	log_u64(ig, ig->st.empty_users - b.empty_users);
	log_u64(ig, ig->st.bytes - b.bytes);
	log_u64(ig, ig->st.partial_files - b.partial_files);
	log_u64(ig, ig->position - pos);
	log_u64(ig, ig->rg_lines);
	log_u8(ig, ig->rg_more);
	return rc;
}

int igr_ingest_log(igr_ingest *ig, const void **p, int *fd, uint64_t *len)
{
	*p = NULL;
	*fd = -1;
	*len = 0;
	if (ig->rec >= 0 && ig->logfd >= 0)
		(void)log_spill(ig); /* the rest follows the file's bytes */
	if (ig->rec < 0)
		return igr_error("%s", ig->logerr);
	if (ig->logfd >= 0) {
		*fd = ig->logfd;
		*len = ig->logfile;
	} else {
		*p = ig->log;
		*len = ig->loglen;
	}
	return 0;
}

/* A row whose ids and duplicate status the rank that read it has
 * resolved (ingest_resolve.c): 'D' an accepted event (its fills, then
 * behaviour, user, item, category, value and time in ms), 'U' a
 * duplicate (its fills). */
#define LOG_D_BYTES (1 + 1 + 4 + 4 + 4 + 4 + 8)

/* Reading a log: each get fails past its end (a log cut short). */
struct lrd {
	const unsigned char *p, *end;
	int bad;
};

static const void *lrd_take(struct lrd *r, size_t n)
{
	const void *q = r->p;
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return q;
}

static int lrd_u8(struct lrd *r)
{
	const unsigned char *q = lrd_take(r, 1);
	return q ? *q : 0;
}

/* N bytes into OUT (left as they are past the end) */
static void lrd_get(struct lrd *r, void *out, size_t n)
{
	const void *q = lrd_take(r, n);
	if (q)
		memcpy(out, q, n);
}

static uint64_t lrd_u64(struct lrd *r)
{
	uint64_t v = 0;
	lrd_get(r, &v, sizeof v);
	return v;
}

static float lrd_f32(struct lrd *r)
{
	float v = 0;
	lrd_get(r, &v, sizeof v);
	return v;
}

static const char *lrd_str(struct lrd *r, size_t *len)
{
	*len = (size_t)lrd_u64(r);
	return lrd_take(r, *len);
}

/* A failure while reading an input: the rows read before it are good
 * rows, finished as igr_ingest_input() finishes them, first message
 * kept. */
static int replay_fail(igr_ingest *ig)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s", igr_errmsg());
	if (ig->nbatch > 0)
		(void)flush_batch(ig);
	return igr_error("%s", msg);
}

/* The fields of an 'R' entry (its tag read) into ROW, as log_row()
 * wrote them; R->bad when the log is cut short. */
static void lrd_row(struct lrd *r, struct igr_ingest_logrow *row)
{
	int t;

	row->has = lrd_u8(r);
	row->behavior = lrd_u8(r);
	row->tstate = lrd_u8(r);
	row->fills = lrd_u8(r);
	row->pos = lrd_u8(r);
	row->ms = (int64_t)lrd_u64(r);
	row->value = lrd_f32(r);
	row->price = lrd_f32(r);
	row->line = lrd_u64(r);
	for (t = 0; t < 3; t++) {
		row->s[t] = NULL;
		row->len[t] = 0;
		if (row->has >> t & 1)
			row->s[t] = lrd_str(r, &row->len[t]);
	}
	row->raw = lrd_str(r, &row->rawlen);
	row->title = lrd_str(r, &row->tlen);
}

static int replay_row(igr_ingest *ig, struct lrd *r, uint64_t base)
{
	struct prow *pr = &ig->batch[ig->nbatch];
	struct igr_ingest_logrow row;
	int t;

	lrd_row(r, &row);
	if (r->bad)
		return 0;
	ig->st.filled += (uint64_t)row.fills;
	pr->behavior = (uint8_t)row.behavior;
	pr->tstate = row.tstate;
	pr->ms = row.ms;
	if (row.pos)
		pr->ms += (int64_t)base * 1000;
	pr->value = row.value;
	pr->price = row.price;
	pr->lineno = row.line + ig->rp_shift;
	pr->file = ig->nfiles - 1;
	for (t = 0; t < 3; t++) {
		pr->has[t] = (row.has >> t) & 1;
		if (!pr->has[t])
			continue;
		if (arena_put(ig, row.s[t], row.len[t], &pr->off[t]) < 0)
			return -1;
		pr->len[t] = row.len[t];
		pr->h[t] = igr_idtab_hash(row.s[t], row.len[t]);
		igr_idtab_prefetch(t == IGR_USER && ig->ps ? ig->praw
							     : ig->idx[t],
				   pr->h[t]);
	}
	pr->rlen = row.rawlen;
	if (row.rawlen > 0 &&
	    arena_put(ig, row.raw, row.rawlen, &pr->roff) < 0)
		return -1;
	pr->tlen = row.tlen;
	if (row.tlen > 0 &&
	    arena_put(ig, row.title, row.tlen, &pr->toff) < 0)
		return -1;
	if (++ig->nbatch == BATCH)
		return flush_batch(ig);
	return 0;
}

/* The bytes of the log entry at R's place, R moved past it (R->bad: cut
 * short); -1: not an entry. */
static int lrd_skip_entry(struct lrd *r)
{
	struct igr_ingest_logrow row;
	size_t n;

	switch (lrd_u8(r)) {
	case 'F':
		lrd_str(r, &n);
		lrd_u64(r);
		return 0;
	case 'C':
		lrd_str(r, &n);
		lrd_take(r, 8 + 8);
		return 0;
	case 'X':
		lrd_str(r, &n);
		return 0;
	case 'R':
		lrd_row(r, &row);
		return 0;
	case 'J':
		lrd_take(r, 1 + 8);
		lrd_str(r, &n);
		lrd_str(r, &n);
		return 0;
	case 'E':
		lrd_take(r, 1);
		lrd_str(r, &n);
		lrd_take(r, 8 * 9 + 1);
		return 0;
	case 'D':
		lrd_take(r, LOG_D_BYTES);
		return 0;
	case 'U':
		lrd_take(r, 1);
		return 0;
	default:
		return r->bad ? 0 : -1;
	}
}

size_t igr_ingest_log_whole(const void *log, size_t len)
{
	struct lrd r = { log, (const unsigned char *)log + len, 0 };
	size_t whole = 0;

	while (r.p < r.end) {
		if (lrd_skip_entry(&r) < 0)
			return len; /* not a log: replay says so */
		if (r.bad)
			break;
		whole = (size_t)(r.p - (const unsigned char *)log);
	}
	return whole;
}

int igr_ingest_replay(igr_ingest *ig, const void *log, size_t len)
{
	struct lrd r = { log, (const unsigned char *)log + len, 0 };
	const char *s;
	size_t n;

	while (r.p < r.end && !r.bad) {
		int tag;
		if (ig->rp_skip) {
			/* a range that another has read already (its start
			 * was inside a record): its rows, rejects and end
			 * are not the serial run's */
			tag = *r.p;
			if ((tag != 'R' && tag != 'J' && tag != 'E') ||
			    lrd_skip_entry(&r) < 0)
				return igr_error("bad log of rows read");
			if (tag == 'E' && !r.bad)
				ig->rp_skip = 0;
			continue;
		}
		tag = lrd_u8(&r);
		switch (tag) {
		case 'F':
			if ((s = lrd_str(&r, &n)) == NULL)
				break;
			if (ig->rp_more)
				return igr_error("bad log of rows read (the "
						 "rest of '%s' missing)",
						 cur_file(ig));
			/* the log counted positions from its own start (the
			 * logs of several ranks follow one another) */
			ig->replay_base = ig->position - lrd_u64(&r);
			ig->replay_rows = 0;
			ig->rp_start = ig->rp_end = ig->rp_lines = 0;
			ig->rp_shift = 0;
			if (igr_grow(&ig->files, &ig->files_cap,
				     (size_t)ig->nfiles + 1,
				     sizeof *ig->files) < 0)
				return -1;
			if ((ig->files[ig->nfiles] = strndup(s, n)) == NULL)
				return igr_error("out of memory");
			ig->nfiles++;
			ig->st.files++;
			break;
		case 'C': {
			uint64_t pos, start;
			if ((s = lrd_str(&r, &n)) == NULL)
				break;
			pos = lrd_u64(&r);
			start = lrd_u64(&r);
			if (r.bad)
				break;
			if (ig->nfiles == 0 || strlen(cur_file(ig)) != n ||
			    memcmp(cur_file(ig), s, n) != 0)
				return igr_error("bad log of rows read (a range "
						 "of '%.*s' after '%s')",
						 (int)n, s, cur_file(ig));
			if (start < ig->rp_end) {
				ig->rp_skip = 1;
				break;
			}
			if (start > ig->rp_end || !ig->rp_more)
				return igr_error("bad log of rows read (bytes "
						 "%llu to %llu of '%s' not "
						 "read)",
						 (unsigned long long)ig->rp_end,
						 (unsigned long long)start,
						 cur_file(ig));
			ig->replay_base = ig->position - pos;
			ig->replay_rows = 0;
			ig->rp_start = start;
			/* its lines are numbered from 2 (io.h
			 * igr_in_open_at()) */
			ig->rp_shift = ig->rp_lines - 1;
			break;
		}
		case 'X':
			if ((s = lrd_str(&r, &n)) == NULL)
				break;
			return igr_error("%.*s", (int)n, s);
		case 'R':
			/* rows are counted as they come, so that a failure
			 * shows the serial run's count ('E' adds the rest) */
			ig->st.rows++;
			ig->replay_rows++;
			if (replay_row(ig, &r, ig->replay_base) < 0)
				return replay_fail(ig);
			break;
		case 'D': {
			igr_event e;
			int64_t ms;
			memset(&e, 0, sizeof e);
			ig->st.rows++;
			ig->replay_rows++;
			ig->st.filled += (uint64_t)lrd_u8(&r);
			e.behavior = (uint8_t)lrd_u8(&r);
			lrd_get(&r, &e.user, 4);
			lrd_get(&r, &e.item, 4);
			lrd_get(&r, &e.category, 4);
			e.value = lrd_f32(&r);
			ms = (int64_t)lrd_u64(&r);
			if (r.bad)
				break;
			if (e.behavior >= IGR_NBEHAVIOR)
				return igr_error("bad log of rows read");
			e.ts = igr_ms_to_s(ms);
			if (accept_event(ig, &e) < 0)
				return replay_fail(ig);
			break;
		}
		case 'U':
			ig->st.rows++;
			ig->replay_rows++;
			ig->st.filled += (uint64_t)lrd_u8(&r);
			ig->st.duplicates++;
			break;
		case 'J': {
			int why = lrd_u8(&r);
			struct where wh = { 0, NULL, 0, 1,
					    { V_ABSENT, NULL, 0 } };
			char reason[512];
			wh.lineno = lrd_u64(&r) + ig->rp_shift;
			if ((s = lrd_str(&r, &n)) == NULL)
				break;
			snprintf(reason, sizeof reason, "%.*s", (int)n, s);
			if ((wh.raw = lrd_str(&r, &wh.rawlen)) == NULL)
				break;
			if (why >= R_NREASON)
				return igr_error("bad log of rows read");
			ig->st.rows++;
			ig->replay_rows++;
			if (reject_at(ig, ig->nfiles - 1, &wh, why, "%s",
				      reason) < 0)
				return replay_fail(ig);
			break;
		}
		case 'E': {
			int failed = lrd_u8(&r), more;
			char msg[1024];
			uint64_t u, bytes;
			if ((s = lrd_str(&r, &n)) == NULL)
				break;
			snprintf(msg, sizeof msg, "%.*s", (int)n, s);
			u = lrd_u64(&r);
			/* the rows of the input less those counted above */
			ig->st.rows += u > ig->replay_rows
					       ? u - ig->replay_rows : 0;
			ig->replay_rows = 0;
			ig->st.headers += lrd_u64(&r);
			ig->st.boms += lrd_u64(&r);
			ig->st.blank += lrd_u64(&r);
			ig->st.empty_users += lrd_u64(&r);
			bytes = lrd_u64(&r);
			ig->st.bytes += bytes;
			ig->st.partial_files += lrd_u64(&r);
			ig->position += lrd_u64(&r);
			ig->rp_lines += lrd_u64(&r);
			more = lrd_u8(&r);
			if (r.bad)
				break;
			if (failed) {
				igr_error("%s", msg);
				return replay_fail(ig);
			}
			ig->rp_end = ig->rp_start + bytes;
			ig->rp_more = more;
			/* the batch goes on into the next range (as in
			 * ingest_range()) */
			if (!more && flush_batch(ig) < 0)
				return -1;
			break;
		}
		default:
			r.bad = 1;
			break;
		}
	}
	if (r.bad)
		return igr_error("bad log of rows read (cut short?)");
	return 0;
}

/* ---- resolving on the ranks (ingest_resolve.c) ------------------------ */

int igr_ingest_log_next(const unsigned char **at, const unsigned char *end,
			struct igr_ingest_logrow *row)
{
	struct lrd r = { *at, end, 0 };

	if (*at >= end)
		return 0;
	row->p = *at;
	row->tag = *r.p;
	if (row->tag == 'R') {
		lrd_u8(&r);
		lrd_row(&r, row);
	} else if (lrd_skip_entry(&r) < 0) {
		return igr_error("bad log of rows read");
	}
	if (r.bad)
		return igr_error("bad log of rows read (cut short?)");
	row->n = (size_t)(r.p - *at);
	*at = r.p;
	return 1;
}

const unsigned char *igr_ingest_log_view(const void *mem, int fd,
					 uint64_t len, void **map)
{
	static const unsigned char none[1];
	void *m;

	*map = NULL;
	if (mem != NULL)
		return mem;
	if (len == 0)
		return none;
	if (len > SIZE_MAX ||
	    (m = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0)) ==
		    MAP_FAILED)
		return igr_error("cannot map the log of the rows read: %s",
				 strerror(errno)), NULL;
	(void)madvise(m, (size_t)len, MADV_SEQUENTIAL);
	*map = m;
	return m;
}

void igr_ingest_log_release(void *map, uint64_t off, uint64_t len)
{
	if (map != NULL)
		(void)madvise((char *)map + off, (size_t)len, MADV_DONTNEED);
}

void igr_ingest_log_unview(void *map, uint64_t len)
{
	if (map != NULL)
		munmap(map, (size_t)len);
}

int igr_ingest_resolvable(igr_ingest *ig)
{
	if (ig->cfg.kind != IGR_KIND_EVENTS || ig->npq > 0 || ig->rec < 0)
		return 0;
	return !ig->rec || ig->rec_plain;
}

int igr_ingest_log_detach(igr_ingest *ig, void **mem, int *fd,
			  uint64_t *len)
{
	const void *p;

	if (igr_ingest_log(ig, &p, fd, len) < 0)
		return -1;
	*mem = p != NULL ? ig->log : NULL;
	if (p == NULL)
		free(ig->log);
	ig->log = NULL;
	ig->loglen = ig->logcap = 0;
	ig->logfd = -1;
	ig->logfile = 0;
	return 0;
}

void igr_ingest_log_copy(igr_ingest *ig, const struct igr_ingest_logrow *row)
{
	log_put(ig, row->p, row->n);
}

void igr_ingest_log_resolved(igr_ingest *ig,
			     const struct igr_ingest_logrow *row,
			     const igr_event *e, int dup)
{
	unsigned char b[1 + LOG_D_BYTES], *q = b;

	*q++ = dup ? 'U' : 'D';
	*q++ = (unsigned char)row->fills;
	if (!dup) {
		*q++ = e->behavior;
		memcpy(q, &e->user, 4);
		memcpy(q + 4, &e->item, 4);
		memcpy(q + 8, &e->category, 4);
		memcpy(q + 12, &e->value, 4);
		memcpy(q + 16, &row->ms, 8);
		q += 24;
	}
	log_put(ig, b, (size_t)(q - b));
}

int igr_ingest_log_ok(const igr_ingest *ig)
{
	return ig->rec < 0 ? igr_error("%s", ig->logerr) : 0;
}

_Static_assert(IGR_INGEST_NAME_BUF == IGR_PSEUDO_LEN + 1,
	       "IGR_INGEST_NAME_BUF holds a pseudonym");

int igr_ingest_pseudonymizes(const igr_ingest *ig)
{
	return ig->ps != NULL;
}

const char *igr_ingest_user_name(igr_ingest *ig, const char *s, size_t *len,
				 char buf[IGR_INGEST_NAME_BUF])
{
	if (ig->ps == NULL)
		return s;
	igr_pseudo_id(ig->ps, s, *len, buf);
	*len = IGR_PSEUDO_LEN;
	return buf;
}

int igr_ingest_flush(igr_ingest *ig)
{
	return ig->nbatch > 0 ? flush_batch(ig) : 0;
}

igr_dedup *igr_ingest_window(igr_ingest *ig)
{
	return ig->dd;
}

uint32_t igr_ingest_lookup(igr_ingest *ig, int type, const char *s,
			   size_t len)
{
	uint32_t id;

	if (igr_idtab_find(ig->idx[type], s, len, igr_idtab_hash(s, len), &id))
		return id;
	return igr_vocab_find(ig->v[type], s, len);
}

int igr_ingest_intern(igr_ingest *ig, int type, const char *s, size_t len,
		      uint32_t *id)
{
	return intern_h(ig, type, s, len, igr_idtab_hash(s, len), id);
}

uint32_t igr_ingest_nids(const igr_ingest *ig, int type)
{
	return igr_vocab_size(ig->v[type]);
}

void igr_ingest_range_end(const igr_ingest *ig, uint64_t *end, int *more)
{
	*end = ig->rg_end;
	*more = ig->rg_more;
}
