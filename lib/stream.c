/* stream.c - record streams in TSV and binary (see stream.h and
 * igraph-stream(5)). */
#include "stream.h"
#include "crc32.h"
#include "endian.h"
#include "error.h"
#include "mem.h"
#include "numtext.h"
#include "par.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = { 0x89, 'I', 'G', 'R',
					'\r', '\n', 0x1a, '\n' };
static const char END_MAGIC[4] = { 'I', 'E', 'N', 'D' };

#define BLOCK_BYTES 65536u          /* target payload per binary block */
#define MAX_BLOCK_BYTES (64u << 20) /* larger blocks are corruption */
#define MAX_HEADER_TEXT (16u << 20)
#define MAX_DIM 65536u

/* ---- names ------------------------------------------------------------ */

static const char *const kind_names[] = { NULL, "events", "items", "graph",
					  "vectors", "scores", "features" };
static const char *const node_names[] = { "user", "item", "category" };
static const char *const behavior_names[] = { "view", "click", "fav",
					      "cart", "buy", "review" };

const char *igr_kind_name(int kind)
{
	if (kind < IGR_KIND_EVENTS || kind > IGR_KIND_FEATURES)
		return "unknown";
	return kind_names[kind];
}

int igr_kind_parse(const char *s)
{
	int k;

	for (k = IGR_KIND_EVENTS; k <= IGR_KIND_FEATURES; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

static int name_parse(const char *const *names, int n, const char *s,
		      size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

const char *igr_node_name(int type)
{
	if (type < 0 || type >= IGR_NNODE)
		return "unknown";
	return node_names[type];
}

int igr_node_parse(const char *s, size_t len)
{
	return name_parse(node_names, IGR_NNODE, s, len);
}

const char *igr_behavior_name(int b)
{
	if (b < 0 || b >= IGR_NBEHAVIOR)
		return "unknown";
	return behavior_names[b];
}

int igr_behavior_parse(const char *s, size_t len)
{
	return name_parse(behavior_names, IGR_NBEHAVIOR, s, len);
}

/* ---- title tokens ----------------------------------------------------- */

static int is_word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int igr_hash_tokens(const char *text, uint32_t tok[IGR_ITEM_TOKENS])
{
	const unsigned char *p = (const unsigned char *)text;
	int n = 0;

	while (*p != '\0' && n < IGR_ITEM_TOKENS) {
		const unsigned char *w;
		uint32_t h = 2166136261u; /* FNV-1a, 32 bit */
		size_t len;
		int i, dup = 0;

		while (*p != '\0' && !is_word_byte(*p) && *p != '~')
			p++;
		if (*p == '\0')
			break;
		w = p;
		if (*p == '~')
			p++;
		while (is_word_byte(*p))
			p++;
		len = (size_t)(p - w);
		if (len == 9 && w[0] == '~') {
			uint32_t v = 0;
			for (i = 1; i < 9 && hexval(w[i]) >= 0; i++)
				v = v << 4 | (uint32_t)hexval(w[i]);
			if (i == 9) {
				h = v;
				goto add;
			}
		}
		if (len == 1 && w[0] == '~')
			continue;
		for (i = (w[0] == '~'); i < (int)len; i++) {
			h ^= (uint32_t)tolower(w[i]);
			h *= 16777619u;
		}
add:
		for (i = 0; i < n; i++)
			dup |= tok[i] == h;
		if (!dup)
			tok[n++] = h;
	}
	return n;
}

/* ---- layouts ---------------------------------------------------------- */

enum { T_U8 = 1, T_U32 = 2, T_I64 = 3, T_F32 = 4 };

struct col {
	const char *name;
	uint8_t type;
	uint32_t count; /* 0 = dim (vectors) */
};

static const struct col cols_events[] = {
	{ "ts", T_I64, 1 }, { "user", T_U32, 1 }, { "item", T_U32, 1 },
	{ "category", T_U32, 1 }, { "behavior", T_U8, 1 },
	{ "value", T_F32, 1 },
};
static const struct col cols_items[] = {
	{ "item", T_U32, 1 }, { "category", T_U32, 1 },
	{ "price", T_F32, 1 }, { "ntok", T_U8, 1 },
	{ "tokens", T_U32, IGR_ITEM_TOKENS },
};
static const struct col cols_graph[] = {
	{ "src_type", T_U8, 1 }, { "src", T_U32, 1 },
	{ "dst_type", T_U8, 1 }, { "dst", T_U32, 1 },
	{ "weight", T_F32, 1 }, { "count", T_U32, 1 },
	{ "last_ts", T_I64, 1 },
};
static const struct col cols_vectors[] = {
	{ "node_type", T_U8, 1 }, { "node", T_U32, 1 },
	{ "values", T_F32, 0 },
};
static const struct col cols_scores[] = {
	{ "query_type", T_U8, 1 }, { "query", T_U32, 1 },
	{ "target_type", T_U8, 1 }, { "target", T_U32, 1 },
	{ "score", T_F32, 1 }, { "rank", T_U32, 1 },
};
static const struct col cols_features[] = {
	{ "user", T_U32, 1 }, { "item", T_U32, 1 }, { "label", T_U8, 1 },
	{ "values", T_F32, 0 },
};

struct layout {
	const struct col *cols;
	int ncols;
	const char *tsv_cols; /* TSV column line (vectors: prefix) */
	int tsv_ncols;
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
static const struct layout layouts[] = {
	[IGR_KIND_EVENTS] = { cols_events, N(cols_events),
			      "ts\tuser\titem\tcategory\tbehavior\tvalue", 6 },
	[IGR_KIND_ITEMS] = { cols_items, N(cols_items),
			     "item\tcategory\tprice\ttext", 4 },
	[IGR_KIND_GRAPH] = { cols_graph, N(cols_graph),
			     "src_type\tsrc\tdst_type\tdst\tweight\tcount\t"
			     "last_ts", 7 },
	[IGR_KIND_VECTORS] = { cols_vectors, N(cols_vectors),
			       "node_type\tnode", 2 },
	[IGR_KIND_SCORES] = { cols_scores, N(cols_scores),
			      "query_type\tquery\ttarget_type\ttarget\tscore\t"
			      "rank", 6 },
	[IGR_KIND_FEATURES] = { cols_features, N(cols_features),
				"user\titem\tlabel", 3 },
};

static uint32_t type_size(int t)
{
	switch (t) {
	case T_U8:
		return 1;
	case T_U32:
	case T_F32:
		return 4;
	case T_I64:
		return 8;
	}
	return 0;
}

static uint32_t record_size(int kind, uint32_t dim)
{
	const struct layout *l = &layouts[kind];
	uint32_t size = 0;
	int i;

	for (i = 0; i < l->ncols; i++)
		size += type_size(l->cols[i].type) *
			(l->cols[i].count ? l->cols[i].count : dim);
	return size;
}

/* ---- headers ---------------------------------------------------------- */

const char *igr_header_get(const igr_header *h, const char *key)
{
	size_t i;

	for (i = h->nmeta; i-- > 0;)
		if (strcmp(h->meta[i].key, key) == 0)
			return h->meta[i].value;
	return NULL;
}

static void header_free(igr_header *h)
{
	size_t i;

	for (i = 0; i < h->nmeta; i++) {
		free(h->meta[i].key);
		free(h->meta[i].value);
	}
	free(h->meta);
	for (i = 0; i < h->npg; i++)
		free(h->pg[i]);
	free(h->pg);
	memset(h, 0, sizeof *h);
}

static int header_add_meta(igr_header *h, const char *k, size_t klen,
			   const char *v, size_t vlen)
{
	igr_meta *m;
	size_t i;

	/* a later value for the same key replaces the earlier one */
	for (i = 0; i < h->nmeta; i++)
		if (strlen(h->meta[i].key) == klen &&
		    memcmp(h->meta[i].key, k, klen) == 0) {
			char *nv = strndup(v, vlen);
			if (nv == NULL)
				return igr_error("out of memory");
			free(h->meta[i].value);
			h->meta[i].value = nv;
			return 0;
		}
	if (igr_grow(&h->meta, &h->meta_cap, h->nmeta + 1,
		     sizeof *h->meta) < 0)
		return -1;
	m = h->meta;
	m[h->nmeta].key = strndup(k, klen);
	m[h->nmeta].value = strndup(v, vlen);
	if (m[h->nmeta].key == NULL || m[h->nmeta].value == NULL) {
		free(m[h->nmeta].key);
		free(m[h->nmeta].value);
		return igr_error("out of memory");
	}
	h->nmeta++;
	return 0;
}

static int header_add_pg(igr_header *h, const char *s, size_t len)
{
	char **pg;

	if (igr_grow(&h->pg, &h->pg_cap, h->npg + 1, sizeof *h->pg) < 0)
		return -1;
	pg = h->pg;
	pg[h->npg] = strndup(s, len);
	if (pg[h->npg] == NULL)
		return igr_error("out of memory");
	h->npg++;
	return 0;
}

/* Parse one "#meta\tK\tV" or "#PG\t..." line (other '#' lines are
 * comments).  Returns 0 or -1. */
static int header_text_line(igr_header *h, const char *s, size_t len)
{
	if (len > 6 && memcmp(s, "#meta\t", 6) == 0) {
		const char *k = s + 6, *tab = memchr(k, '\t', len - 6);
		if (tab == NULL)
			return igr_error("bad #meta line (no value)");
		return header_add_meta(h, k, (size_t)(tab - k), tab + 1,
				       len - (size_t)(tab + 1 - s));
	}
	if (len > 4 && memcmp(s, "#PG\t", 4) == 0)
		return header_add_pg(h, s + 4, len - 4);
	return 0;
}

/* Header text (meta and PG lines) as written in both encodings. */
static char *header_text(const igr_header *h, size_t *len)
{
	size_t cap = 1, i, n = 0;
	char *t;

	for (i = 0; i < h->nmeta; i++)
		cap += strlen(h->meta[i].key) + strlen(h->meta[i].value) + 8;
	for (i = 0; i < h->npg; i++)
		cap += strlen(h->pg[i]) + 5;
	t = malloc(cap);
	if (t == NULL)
		return igr_error("out of memory"), NULL;
	for (i = 0; i < h->nmeta; i++)
		n += (size_t)snprintf(t + n, cap - n, "#meta\t%s\t%s\n",
				      h->meta[i].key, h->meta[i].value);
	for (i = 0; i < h->npg; i++)
		n += (size_t)snprintf(t + n, cap - n, "#PG\t%s\n", h->pg[i]);
	t[n] = '\0';
	*len = n;
	return t;
}

/* ---- reader ----------------------------------------------------------- */

/* TSV lines go into a checksum through a 64 KiB staging buffer: a line's
 * few dozen bytes alone would take igr_crc32()'s table path, a full
 * buffer its fast fold (crc32.h).  Used by TSV readers and writers;
 * CRC is the checksum of what was flushed. */
#define CRC_STAGE 65536

struct crc_stage {
	uint32_t *crc;
	unsigned char *buf;
	size_t len;
};

/* Add N bytes at P; 0 or -1 (out of memory). */
static int crc_stage_add(struct crc_stage *st, const void *p, size_t n)
{
	if (st->buf == NULL && (st->buf = malloc(CRC_STAGE)) == NULL)
		return igr_error("out of memory");
	if (st->len + n > CRC_STAGE) {
		*st->crc = igr_crc32(*st->crc, st->buf, st->len);
		st->len = 0;
	}
	if (n >= CRC_STAGE) {
		*st->crc = igr_crc32(*st->crc, p, n);
		return 0;
	}
	memcpy(st->buf + st->len, p, n);
	st->len += n;
	return 0;
}

/* The checksum of every byte added so far. */
static uint32_t crc_stage_sum(struct crc_stage *st)
{
	if (st->len > 0) {
		*st->crc = igr_crc32(*st->crc, st->buf, st->len);
		st->len = 0;
	}
	return *st->crc;
}

struct igr_reader {
	igr_in *in;
	igr_header h;
	int enc;
	/* binary */
	uint32_t recsize;       /* bytes per record in the stream */
	const unsigned char *blk; /* current block, inside in's buffer */
	uint32_t blk_left;
	uint32_t crc;
	int done;
	/* tsv */
	struct crc_stage cs;    /* lines not yet in CRC */
	int tsv_ncols;          /* columns in the stream */
	char **fields;
	size_t fields_cap;
	int external;           /* ids are names */
	const igr_vocabset *vs;
	int unsealed_ok;        /* igraph-cat --seal: trailer may be off */
	int trailer_ok;         /* the '#end' trailer was read and agreed */
	/* both */
	uint64_t nread;
	float *vbuf;
	char *text;
	size_t text_cap;
};

const igr_header *igr_reader_header(const igr_reader *r)
{
	return &r->h;
}

int igr_reader_kind(const igr_reader *r)
{
	return r->h.kind;
}

int igr_reader_encoding(const igr_reader *r)
{
	return r->enc;
}

const char *igr_reader_name(const igr_reader *r)
{
	return igr_in_name(r->in);
}

uint64_t igr_reader_records(const igr_reader *r)
{
	return r->nread;
}

void igr_reader_set_vocab(igr_reader *r, const igr_vocabset *vs)
{
	r->vs = vs;
}

void igr_reader_allow_unsealed(igr_reader *r)
{
	r->unsealed_ok = 1;
}

int igr_reader_trailer_ok(const igr_reader *r)
{
	return r->enc == IGR_ENC_BINARY ? r->done : r->trailer_ok;
}

void igr_reader_close(igr_reader *r)
{
	if (r == NULL)
		return;
	igr_in_close(r->in);
	header_free(&r->h);
	free(r->fields);
	free(r->vbuf);
	free(r->text);
	free(r->cs.buf);
	free(r);
}

static int version_check(igr_reader *r)
{
	if (r->h.major > IGR_STREAM_MAJOR)
		return igr_error("%s: stream version %d.%d is newer than this "
				 "program supports (%d.%d); upgrade igraph",
				 igr_in_name(r->in), r->h.major, r->h.minor,
				 IGR_STREAM_MAJOR, IGR_STREAM_MINOR);
	if (r->h.major < 1)
		return igr_error("%s: bad stream version %d.%d",
				 igr_in_name(r->in), r->h.major, r->h.minor);
	return 0;
}

static int newer_minor(const igr_reader *r)
{
	return r->h.major == IGR_STREAM_MAJOR && r->h.minor > IGR_STREAM_MINOR;
}

static int read_binary_header(igr_reader *r)
{
	const char *name = igr_in_name(r->in);
	const struct layout *l;
	unsigned char fixed[28];
	uint32_t ncols, textlen, i, size = 0, crc;
	unsigned char *hbuf = NULL;
	size_t hlen = 0, hcap = 0;
	int rc = -1;

#define HREAD(dst, n)                                                        \
	do {                                                                 \
		ssize_t got_ = igr_in_read(r->in, (dst), (n));               \
		if (got_ < 0)                                                \
			goto out;                                            \
		if ((size_t)got_ < (n)) {                                    \
			igr_error("%s: truncated stream (header cut short)", \
				  name);                                     \
			goto out;                                            \
		}                                                            \
		if (igr_grow(&hbuf, &hcap, hlen + (n), 1) < 0)               \
			goto out;                                            \
		memcpy(hbuf + hlen, (dst), (n));                             \
		hlen += (n);                                                 \
	} while (0)

	HREAD(fixed, 28); /* magic(8) + version, kind, flags, sizes */
	r->h.major = igr_get_u16(fixed + 8);
	r->h.minor = igr_get_u16(fixed + 10);
	if (version_check(r) < 0)
		goto out;
	r->h.kind = igr_get_u16(fixed + 12);
	r->recsize = igr_get_u32(fixed + 16);
	r->h.dim = igr_get_u32(fixed + 20);
	ncols = igr_get_u32(fixed + 24);
	if (r->h.kind < IGR_KIND_EVENTS || r->h.kind > IGR_KIND_FEATURES) {
		if (newer_minor(r))
			igr_error("%s: stream kind %d unknown to this version",
				  name, r->h.kind);
		else
			igr_error("%s: damaged header (kind %d)", name,
				  r->h.kind);
		goto out;
	}
	l = &layouts[r->h.kind];
	if ((r->h.kind == IGR_KIND_VECTORS || r->h.kind == IGR_KIND_FEATURES) &&
	    (r->h.dim == 0 || r->h.dim > MAX_DIM)) {
		igr_error("%s: damaged header (dimension %u)", name, r->h.dim);
		goto out;
	}
	if (ncols > 4096 || (int)ncols < l->ncols ||
	    ((int)ncols > l->ncols && !newer_minor(r))) {
		igr_error("%s: damaged header (%u columns for %s)", name,
			  ncols, igr_kind_name(r->h.kind));
		goto out;
	}
	for (i = 0; i < ncols; i++) {
		unsigned char c[6];
		char cname[256];
		uint32_t count;
		HREAD(c, 6);
		count = igr_get_u32(c + 1);
		HREAD(cname, c[5]);
		cname[c[5]] = '\0';
		if (type_size(c[0]) == 0 || count == 0 || count > MAX_DIM) {
			igr_error("%s: damaged header (column %u)", name, i);
			goto out;
		}
		if ((int)i < l->ncols) {
			const struct col *k = &l->cols[i];
			uint32_t want = k->count ? k->count : r->h.dim;
			if (k->type != c[0] || want != count ||
			    strcmp(k->name, cname) != 0) {
				igr_error("%s: record layout does not match "
					  "%s %d.%d (column %u is '%s')",
					  name, igr_kind_name(r->h.kind),
					  r->h.major, r->h.minor, i, cname);
				goto out;
			}
		}
		size += type_size(c[0]) * count;
	}
	if (size != r->recsize ||
	    r->recsize < record_size(r->h.kind, r->h.dim)) {
		igr_error("%s: damaged header (record size %u)", name,
			  r->recsize);
		goto out;
	}
	{
		unsigned char t[4];
		char *text;
		HREAD(t, 4);
		textlen = igr_get_u32(t);
		if (textlen > MAX_HEADER_TEXT) {
			igr_error("%s: damaged header (text of %u bytes)", name,
				  textlen);
			goto out;
		}
		text = malloc(textlen + 1);
		if (text == NULL) {
			igr_error("out of memory");
			goto out;
		}
		{
			ssize_t got = igr_in_read(r->in, text, textlen);
			if (got < 0 || (size_t)got < textlen) {
				free(text);
				if (got >= 0)
					igr_error("%s: truncated stream (header "
						  "cut short)", name);
				goto out;
			}
		}
		crc = (uint32_t)crc32(0L, hbuf, (uInt)hlen);
		crc = (uint32_t)crc32(crc, (unsigned char *)text, textlen);
		{
			/* not HREAD: TEXT must be freed on a cut here too */
			ssize_t got = igr_in_read(r->in, t, 4);
			if (got < 4) {
				free(text);
				if (got >= 0)
					igr_error("%s: truncated stream (header "
						  "cut short)", name);
				goto out;
			}
		}
		if (igr_get_u32(t) != crc) {
			free(text);
			igr_error("%s: damaged header (checksum mismatch)",
				  name);
			goto out;
		}
		text[textlen] = '\0';
		for (char *line = text; *line != '\0';) {
			char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			if (header_text_line(&r->h, line, len) < 0) {
				free(text);
				igr_error_prefix("%s", name);
				goto out;
			}
			line += len + (nl != NULL);
		}
		free(text);
	}
	rc = 0;
out:
#undef HREAD
	free(hbuf);
	return rc;
}

/* ---- features: the names of the values ------------------------------ */

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strcspn(x, ","), ly = strcspn(y, ",");
	int c = memcmp(x, y, lx < ly ? lx : ly);

	return c != 0 ? c : (lx > ly) - (lx < ly);
}

/* LIST (the "features" meta) holds exactly DIM valid, distinct names.
 * 0 or -1 with a message. */
static int feature_names_check(const char *list, uint32_t dim)
{
	const char **names;
	const char *p = list;
	uint32_t n = 0, i;

	if (list == NULL)
		return igr_error("features stream without a 'features' meta "
				 "line naming its values");
	names = malloc(((size_t)dim + 1) * sizeof *names);
	if (names == NULL)
		return igr_error("out of memory");
	for (;;) {
		size_t len = strcspn(p, ","), k;
		if (n == dim) {
			free(names);
			return igr_error("more feature names than the %u "
					 "values", dim);
		}
		if (len == 0 || len > 64) {
			free(names);
			return igr_error("bad feature name '%.*s' (1 to 64 "
					 "bytes)", (int)(len > 64 ? 64 : len),
					 p);
		}
		for (k = 0; k < len; k++)
			if (!isalnum((unsigned char)p[k]) && p[k] != '_' &&
			    p[k] != '.') {
				free(names);
				return igr_error("bad feature name '%.*s' "
						 "(letters, digits, '_' and "
						 "'.')", (int)len, p);
			}
		if ((len == 4 && memcmp(p, "user", 4) == 0) ||
		    (len == 4 && memcmp(p, "item", 4) == 0) ||
		    (len == 5 && memcmp(p, "label", 5) == 0)) {
			free(names);
			return igr_error("feature name '%.*s' is a column name",
					 (int)len, p);
		}
		names[n++] = p;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (n != dim) {
		free(names);
		return igr_error("%u feature names for %u values", n, dim);
	}
	qsort(names, n, sizeof *names, name_cmp);
	for (i = 1; i < n; i++)
		if (name_cmp(&names[i - 1], &names[i]) == 0) {
			const char *dup = names[i];
			free(names);
			return igr_error("feature name '%.*s' appears twice",
					 (int)strcspn(dup, ","), dup);
		}
	free(names);
	return 0;
}

/* TSV: the column names after "label" (P points at the tab before the
 * first, or at the end) are the feature names: they set the dim and the
 * "features" meta, or must agree with a "features" meta already read. */
static int tsv_feature_columns(igr_reader *r, const char *p)
{
	const char *meta = igr_header_get(&r->h, "features");
	size_t len, i;
	char *list;
	uint32_t d = 0;
	int rc;

	if (*p != '\t')
		return igr_error("features stream without feature columns");
	p++;
	len = strlen(p);
	list = malloc(len + 1);
	if (list == NULL)
		return igr_error("out of memory");
	for (i = 0; i <= len; i++) {
		list[i] = p[i] == '\t' ? ',' : p[i];
		d += p[i] == '\t' || p[i] == '\0';
	}
	if (d > MAX_DIM) {
		free(list);
		return igr_error("%u feature columns (at most %u)", d,
				 MAX_DIM);
	}
	if (meta != NULL)
		rc = strcmp(meta, list) == 0
			     ? 0
			     : igr_error("feature columns do not match the "
					 "'features' meta line");
	else
		rc = header_add_meta(&r->h, "features", 8, list, len);
	free(list);
	r->h.dim = d;
	return rc;
}

static int tsv_crc_add(igr_reader *r, const void *p, size_t n)
{
	return crc_stage_add(&r->cs, p, n);
}

static uint32_t tsv_crc(igr_reader *r)
{
	return crc_stage_sum(&r->cs);
}

/* TSV: the next line, counted into the checksum the '#end' trailer
 * holds (every byte of the stream before it). */
static int tsv_line(igr_reader *r, char **line, size_t *len)
{
	int rc = igr_in_getline(r->in, line, len);

	if (rc == 1 && (tsv_crc_add(r, *line, *len) < 0 ||
			(!igr_in_partial_line(r->in) &&
			 tsv_crc_add(r, "\n", 1) < 0)))
		return -1;
	return rc;
}

static int crlf_error(igr_reader *r)
{
	return igr_error("%s:%llu: CRLF line ends (a text-mode transfer?); "
			 "TSV streams end lines with LF only",
			 igr_in_name(r->in),
			 (unsigned long long)igr_in_lineno(r->in));
}

static int read_tsv_header(igr_reader *r)
{
	const char *name = igr_in_name(r->in);
	char *line, kind[32];
	size_t len;
	int n, rc;
	const struct layout *l;

	rc = tsv_line(r, &line, &len);
	if (rc <= 0)
		return rc < 0 ? -1 : igr_error("%s: empty input", name);
	if (len > 0 && line[len - 1] == '\r')
		return crlf_error(r);
	if (sscanf(line, "#igraph %31s %d.%d%n", kind, &r->h.major,
		   &r->h.minor, &n) != 3 || (size_t)n != len)
		return igr_error("%s:1: bad stream header '%.60s'", name, line);
	if (version_check(r) < 0)
		return -1;
	r->h.kind = igr_kind_parse(kind);
	if (r->h.kind < 0)
		return igr_error("%s:1: unknown stream kind '%s'", name, kind);
	l = &layouts[r->h.kind];
	for (;;) {
		rc = tsv_line(r, &line, &len);
		if (rc < 0)
			return -1;
		if (rc == 0 || igr_in_partial_line(r->in))
			return igr_error("%s: truncated stream (header cut "
					 "short)", name);
		if (line[0] != '#')
			break;
		if (header_text_line(&r->h, line, len) < 0)
			return igr_error_prefix("%s:%llu", name,
				(unsigned long long)igr_in_lineno(r->in));
	}
	/* the column line */
	{
		size_t plen = strlen(l->tsv_cols);
		int cols = 1;
		for (size_t i = 0; i < len; i++)
			cols += line[i] == '\t';
		if (len < plen || memcmp(line, l->tsv_cols, plen) != 0 ||
		    (line[plen] != '\0' && line[plen] != '\t'))
			return igr_error("%s:%llu: column names do not match "
					 "%s %d.%d", name,
					 (unsigned long long)igr_in_lineno(r->in),
					 kind, r->h.major, r->h.minor);
		if (r->h.kind == IGR_KIND_VECTORS) {
			/* v0 v1 ... name the values; they give the dim */
			char *p = line + plen;
			uint32_t d = 0;
			while (*p == '\t') {
				char want[24];
				size_t wl = (size_t)snprintf(want, sizeof want,
							     "v%u", d);
				if (strncmp(p + 1, want, wl) != 0 ||
				    (p[1 + wl] != '\t' && p[1 + wl] != '\0'))
					break;
				p += 1 + wl;
				d++;
			}
			if (d == 0 || d > MAX_DIM)
				return igr_error("%s:%llu: vectors stream "
						 "without v0..vN columns",
						 name,
						 (unsigned long long)
						 igr_in_lineno(r->in));
			if (*p != '\0' && !newer_minor(r))
				return igr_error("%s:%llu: unexpected column "
						 "after v%u", name,
						 (unsigned long long)
						 igr_in_lineno(r->in), d - 1);
			r->h.dim = d;
		} else if (r->h.kind == IGR_KIND_FEATURES) {
			/* the columns after label name the values */
			if (tsv_feature_columns(r, line + plen) < 0)
				return igr_error_prefix("%s:%llu", name,
					(unsigned long long)igr_in_lineno(r->in));
		} else if (cols > l->tsv_ncols && !newer_minor(r)) {
			return igr_error("%s:%llu: %d columns, %s %d.%d has %d",
					 name,
					 (unsigned long long)igr_in_lineno(r->in),
					 cols, kind, r->h.major, r->h.minor,
					 l->tsv_ncols);
		}
		r->tsv_ncols = cols;
	}
	{
		const char *ids = igr_header_get(&r->h, "ids");
		r->external = ids != NULL && strcmp(ids, "external") == 0;
	}
	return 0;
}

igr_reader *igr_reader_open(const char *path, int kind)
{
	igr_reader *r = calloc(1, sizeof *r);
	ssize_t got;
	const unsigned char *p;

	if (r == NULL)
		return igr_error("out of memory"), NULL;
	r->cs.crc = &r->crc;
	r->in = igr_in_open(path);
	if (r->in == NULL) {
		free(r);
		return NULL;
	}
	got = igr_in_fill(r->in, 8);
	if (got < 0)
		goto fail;
	p = igr_in_ptr(r->in);
	if (got == 0) {
		igr_error("%s: empty input (no stream header; did the "
			  "upstream stage fail?)", igr_in_name(r->in));
		goto fail;
	}
	if ((size_t)got < 4 && memcmp(p, MAGIC, (size_t)got) == 0) {
		igr_error("%s: truncated stream (header cut short)",
			  igr_in_name(r->in));
		goto fail;
	}
	if ((size_t)got >= 4 && memcmp(p, MAGIC, 4) == 0) {
		if ((size_t)got < 8 || memcmp(p, MAGIC, 8) != 0) {
			igr_error("%s: %s", igr_in_name(r->in),
				  (size_t)got < 8
					  ? "truncated stream (header cut short)"
					  : "damaged binary stream header "
					    "(text-mode transfer?)");
			goto fail;
		}
		r->enc = IGR_ENC_BINARY;
		if (read_binary_header(r) < 0)
			goto fail;
	} else if ((size_t)got >= 1 && p[0] == '#') {
		r->enc = IGR_ENC_TSV;
		if (read_tsv_header(r) < 0)
			goto fail;
	} else {
		igr_error("%s: not an igraph stream (raw logs go through "
			  "igraph-ingest first)", igr_in_name(r->in));
		goto fail;
	}
	if (r->h.kind == IGR_KIND_FEATURES &&
	    feature_names_check(igr_header_get(&r->h, "features"), r->h.dim) <
		    0) {
		igr_error_prefix("%s", igr_in_name(r->in));
		goto fail;
	}
	if (r->h.kind == IGR_KIND_VECTORS || r->h.kind == IGR_KIND_FEATURES) {
		r->vbuf = malloc(r->h.dim * sizeof *r->vbuf);
		if (r->vbuf == NULL) {
			igr_error("out of memory");
			goto fail;
		}
	}
	if (kind != 0 && r->h.kind != kind) {
		igr_error("%s: expected %s %s stream, got %s",
			  igr_in_name(r->in),
			  kind == IGR_KIND_EVENTS || kind == IGR_KIND_ITEMS
				  ? "an" : "a",
			  igr_kind_name(kind), igr_kind_name(r->h.kind));
		goto fail;
	}
	return r;
fail:
	igr_reader_close(r);
	return NULL;
}

/* Binary: point at the next record (NULL at the end), or -1. */
static int next_binary(igr_reader *r, const unsigned char **rec)
{
	const char *name = igr_in_name(r->in);

	if (r->done)
		return 0;
	if (r->blk_left == 0) {
		ssize_t got = igr_in_fill(r->in, 4);
		uint32_t n;
		if (got < 0)
			return -1;
		if (got < 4)
			return igr_error("%s: truncated stream (%llu records, "
					 "no end block)", name,
					 (unsigned long long)r->nread);
		n = igr_get_u32(igr_in_ptr(r->in));
		if (n == 0) {
			const unsigned char *e;
			got = igr_in_fill(r->in, 20);
			if (got < 0)
				return -1;
			if (got < 20)
				return igr_error("%s: truncated stream (end "
						 "block cut short)", name);
			e = igr_in_ptr(r->in);
			if (memcmp(e + 16, END_MAGIC, 4) != 0)
				return igr_error("%s: damaged end block",
						 name);
			if (igr_get_u64(e + 4) != r->nread)
				return igr_error("%s: record count mismatch "
						 "(end block says %llu, read "
						 "%llu)", name,
						 (unsigned long long)
						 igr_get_u64(e + 4),
						 (unsigned long long)r->nread);
			if (igr_get_u32(e + 12) != r->crc)
				return igr_error("%s: checksum mismatch "
						 "(corrupted stream)", name);
			igr_in_skip(r->in, 20);
			got = igr_in_fill(r->in, 1);
			if (got < 0)
				return -1;
			if (got > 0)
				return igr_error("%s: trailing data after the "
						 "end of the stream", name);
			r->done = 1;
			return 0;
		}
		if ((uint64_t)n * r->recsize > MAX_BLOCK_BYTES)
			return igr_error("%s: damaged block header (%u "
					 "records)", name, n);
		igr_in_skip(r->in, 4);
		got = igr_in_fill(r->in, (size_t)n * r->recsize);
		if (got < 0)
			return -1;
		if ((size_t)got < (size_t)n * r->recsize)
			return igr_error("%s: truncated stream (block of %u "
					 "records cut short after %llu)", name,
					 n, (unsigned long long)r->nread +
					 (size_t)got / r->recsize);
		r->blk = igr_in_ptr(r->in);
		r->crc = igr_crc32(r->crc, r->blk, (size_t)n * r->recsize);
		/* the block stays in the buffer until the next fill */
		igr_in_skip(r->in, (size_t)n * r->recsize);
		r->blk_left = n;
	}
	*rec = r->blk;
	r->blk += r->recsize;
	r->blk_left--;
	r->nread++;
	return 1;
}

/* The version from which every TSV stream ends with the '#end' trailer. */
#define TSV_TRAILER_MINOR 2

#define SEAL_HINT "'igraph-cat --seal FILE > NEW'"

/* TSV: the input ended where the '#end' trailer should be. */
static int tsv_no_trailer(igr_reader *r)
{
	const char *name = igr_in_name(r->in);

	if (r->unsealed_ok) {
		r->done = 1;
		return 0;
	}
	if (r->h.major == 1 && r->h.minor < TSV_TRAILER_MINOR)
		return igr_error("%s: TSV stream %d.%d has no '#end' trailer "
				 "(written before version 1.%d); convert it "
				 "with " SEAL_HINT, name, r->h.major,
				 r->h.minor, TSV_TRAILER_MINOR);
	return igr_error("%s: truncated TSV stream (no '#end' trailer after "
			 "%llu records; did the upstream stage fail? a stream "
			 "cut on purpose can be sealed with " SEAL_HINT ")",
			 name, (unsigned long long)r->nread);
}

/* TSV: LINE is the '#end' trailer ("#end\tRECORDS\tCRC", igraph-
 * stream(5)): check it against what was read, and that nothing follows.
 * Returns 0 (the clean end) or -1. */
static int tsv_trailer(igr_reader *r, const char *line, size_t len)
{
	const char *name = igr_in_name(r->in);
	unsigned long long lineno = (unsigned long long)igr_in_lineno(r->in);
	const char *p = line + 5, *tab;
	uint64_t count;
	uint32_t crc = 0;
	ssize_t got;
	int ok = 1, i;

	tab = len > 5 ? memchr(p, '\t', len - 5) : NULL;
	if (tab == NULL || tab == p || line + len - (tab + 1) != 8 ||
	    igr_parse_u64(p, (size_t)(tab - p), UINT64_MAX, &count) < 0)
		ok = 0;
	for (i = 0; ok && i < 8; i++) {
		char c = tab[1 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			ok = 0;
		else
			crc = crc << 4 | (uint32_t)hexval(c);
	}
	got = igr_in_fill(r->in, 1);
	if (got < 0)
		return -1;
	if (got > 0)
		return igr_error("%s:%llu: content after the '#end' trailer "
				 "(two streams concatenated?)", name,
				 lineno + 1);
	r->done = 1;
	tsv_crc(r);
	if (r->unsealed_ok) {
		r->trailer_ok = ok && count == r->nread && crc == r->crc;
		return 0;
	}
	if (!ok)
		return igr_error("%s:%llu: bad '#end' trailer '%.60s' (want "
				 "#end<TAB>RECORDS<TAB>CRC-32 in 8 hex digits; a "
				 "stream edited on purpose can be sealed with "
				 SEAL_HINT ")", name, lineno, line);
	if (count != r->nread)
		return igr_error("%s:%llu: TSV stream damaged or edited: %llu "
				 "records, trailer says %llu (a stream edited "
				 "on purpose can be sealed with " SEAL_HINT ")",
				 name, lineno, (unsigned long long)r->nread,
				 (unsigned long long)count);
	if (crc != r->crc)
		return igr_error("%s:%llu: TSV stream damaged or edited: "
				 "checksum mismatch (trailer says %08x, the "
				 "stream has %08x; a stream edited on purpose "
				 "can be sealed with " SEAL_HINT ")", name,
				 lineno, crc, r->crc);
	r->trailer_ok = 1;
	return 0;
}

/* TSV: split the next line into exactly WANT fields (more are allowed
 * from a newer minor version).  Returns 1, 0 at end, -1. */
static int next_tsv(igr_reader *r, int want, size_t *lens)
{
	const char *name = igr_in_name(r->in);
	char *line;
	size_t len;
	int rc, n = 0;

	if (r->done)
		return 0;
	rc = igr_in_getline(r->in, &line, &len);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return tsv_no_trailer(r);
	if (igr_in_partial_line(r->in))
		return igr_error("%s:%llu: truncated stream (last line has no "
				 "newline)", name,
				 (unsigned long long)igr_in_lineno(r->in));
	if (len > 0 && line[len - 1] == '\r')
		return crlf_error(r);
	if (len >= 4 && memcmp(line, "#end", 4) == 0 &&
	    (len == 4 || line[4] == '\t'))
		return tsv_trailer(r, line, len);
	if (tsv_crc_add(r, line, len) < 0 || tsv_crc_add(r, "\n", 1) < 0)
		return -1;
	if (igr_grow(&r->fields, &r->fields_cap, (size_t)want + 1,
		     sizeof *r->fields) < 0)
		return -1;
	{
		char *p = line, *end = line + len;
		for (;;) {
			char *tab = memchr(p, '\t', (size_t)(end - p));
			if (n < want) {
				r->fields[n] = p;
				lens[n] = tab ? (size_t)(tab - p)
					      : (size_t)(end - p);
			}
			n++;
			if (tab == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
	}
	if (n < want || (n > want && !newer_minor(r)))
		return igr_error("%s:%llu: expected %d fields, found %d", name,
				 (unsigned long long)igr_in_lineno(r->in), want,
				 n);
	r->nread++;
	return 1;
}

static int tsv_err(igr_reader *r, const char *what, const char *field,
		   size_t len)
{
	return igr_error("%s:%llu: bad %s '%.*s'", igr_in_name(r->in),
			 (unsigned long long)igr_in_lineno(r->in), what,
			 (int)(len > 60 ? 60 : len), field);
}

static int tsv_id(igr_reader *r, int type, int field, const size_t *lens,
		  int allow_none, uint32_t *out)
{
	const char *s = r->fields[field];
	size_t len = lens[field];
	uint64_t v;

	if (allow_none && len == 1 && s[0] == '-') {
		*out = IGR_NONE;
		return 0;
	}
	if (r->external) {
		uint32_t id;
		if (r->vs == NULL)
			return igr_error("%s: stream holds external ids; read "
					 "it with --vocab", igr_in_name(r->in));
		id = igr_vocab_find(r->vs->v[type], s, len);
		if (id == IGR_NONE)
			return igr_error("%s:%llu: %s '%.*s' is not in the "
					 "vocabulary", igr_in_name(r->in),
					 (unsigned long long)
					 igr_in_lineno(r->in),
					 igr_node_name(type), (int)len, s);
		*out = id;
		return 0;
	}
	if (igr_parse_u64(s, len, IGR_NONE - 1, &v) < 0)
		return tsv_err(r, igr_node_name(type), s, len);
	*out = (uint32_t)v;
	return 0;
}

static int tsv_node_type(igr_reader *r, int field, const size_t *lens,
			 uint8_t *out)
{
	int t = igr_node_parse(r->fields[field], lens[field]);

	if (t < 0)
		return tsv_err(r, "node type", r->fields[field], lens[field]);
	*out = (uint8_t)t;
	return 0;
}

static int tsv_float(igr_reader *r, int field, const size_t *lens,
		     const char *what, float *out)
{
	if (igr_parse_float(r->fields[field], lens[field], out) < 0)
		return tsv_err(r, what, r->fields[field], lens[field]);
	return 0;
}

static int tsv_i64(igr_reader *r, int field, const size_t *lens,
		   const char *what, int64_t *out)
{
	if (igr_parse_i64(r->fields[field], lens[field], out) < 0)
		return tsv_err(r, what, r->fields[field], lens[field]);
	return 0;
}

static int tsv_u32(igr_reader *r, int field, const size_t *lens,
		   const char *what, uint32_t *out)
{
	uint64_t v;

	if (igr_parse_u64(r->fields[field], lens[field], UINT32_MAX, &v) < 0)
		return tsv_err(r, what, r->fields[field], lens[field]);
	*out = (uint32_t)v;
	return 0;
}

static int want_kind(igr_reader *r, int kind)
{
	if (r->h.kind != kind)
		return igr_error("%s: expected %s stream, got %s",
				 igr_in_name(r->in), igr_kind_name(kind),
				 igr_kind_name(r->h.kind));
	return 0;
}

static int bad_enum(igr_reader *r, const char *what, unsigned v)
{
	return igr_error("%s: record %llu: bad %s %u (corrupted stream)",
			 igr_in_name(r->in), (unsigned long long)r->nread, what,
			 v);
}

int igr_read_event(igr_reader *r, igr_event *e)
{
	int rc;

	if (want_kind(r, IGR_KIND_EVENTS) < 0)
		return -1;
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		e->ts = (int64_t)igr_get_u64(p);
		e->user = igr_get_u32(p + 8);
		e->item = igr_get_u32(p + 12);
		e->category = igr_get_u32(p + 16);
		e->behavior = p[20];
		e->value = igr_get_f32(p + 21);
		if (e->behavior >= IGR_NBEHAVIOR)
			return bad_enum(r, "behavior", e->behavior);
		return 1;
	} else {
		size_t lens[6];
		int b;
		rc = next_tsv(r, 6, lens);
		if (rc <= 0)
			return rc;
		if (tsv_i64(r, 0, lens, "timestamp", &e->ts) < 0 ||
		    tsv_id(r, IGR_USER, 1, lens, 0, &e->user) < 0 ||
		    tsv_id(r, IGR_ITEM, 2, lens, 0, &e->item) < 0 ||
		    tsv_id(r, IGR_CATEGORY, 3, lens, 1, &e->category) < 0 ||
		    tsv_float(r, 5, lens, "value", &e->value) < 0)
			return -1;
		b = igr_behavior_parse(r->fields[4], lens[4]);
		if (b < 0)
			return tsv_err(r, "behavior", r->fields[4], lens[4]);
		e->behavior = (uint8_t)b;
		return 1;
	}
}

static int unescape_text(igr_reader *r, const char *s, size_t len)
{
	size_t i, n = 0;

	if (igr_grow(&r->text, &r->text_cap, len + 1, 1) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			char d = s[++i];
			c = d == 't' ? '\t' : d == 'n' ? '\n' : d == 'r' ? '\r'
										   : d;
		}
		r->text[n++] = c;
	}
	r->text[n] = '\0';
	return 0;
}

int igr_read_item(igr_reader *r, igr_item *it)
{
	int rc;

	if (want_kind(r, IGR_KIND_ITEMS) < 0)
		return -1;
	memset(it, 0, sizeof *it);
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		int i;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		it->item = igr_get_u32(p);
		it->category = igr_get_u32(p + 4);
		it->price = igr_get_f32(p + 8);
		it->ntok = p[12];
		if (it->ntok > IGR_ITEM_TOKENS)
			return bad_enum(r, "token count", it->ntok);
		for (i = 0; i < IGR_ITEM_TOKENS; i++)
			it->tok[i] = igr_get_u32(p + 13 + 4 * i);
		it->text = NULL;
		return 1;
	} else {
		size_t lens[4];
		rc = next_tsv(r, 4, lens);
		if (rc <= 0)
			return rc;
		if (tsv_id(r, IGR_ITEM, 0, lens, 0, &it->item) < 0 ||
		    tsv_id(r, IGR_CATEGORY, 1, lens, 1, &it->category) < 0)
			return -1;
		if (lens[2] == 1 && r->fields[2][0] == '-')
			it->price = NAN;
		else if (tsv_float(r, 2, lens, "price", &it->price) < 0)
			return -1;
		if (unescape_text(r, r->fields[3], lens[3]) < 0)
			return -1;
		it->text = r->text;
		it->ntok = (uint8_t)igr_hash_tokens(r->text, it->tok);
		return 1;
	}
}

int igr_read_edge(igr_reader *r, igr_edge *e)
{
	int rc;

	if (want_kind(r, IGR_KIND_GRAPH) < 0)
		return -1;
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		igr_edge_unpack(p, e);
		if (e->src_type >= IGR_NNODE)
			return bad_enum(r, "node type", e->src_type);
		if (e->dst_type >= IGR_NNODE)
			return bad_enum(r, "node type", e->dst_type);
		return 1;
	} else {
		size_t lens[7];
		rc = next_tsv(r, 7, lens);
		if (rc <= 0)
			return rc;
		if (tsv_node_type(r, 0, lens, &e->src_type) < 0 ||
		    tsv_id(r, e->src_type, 1, lens, 0, &e->src) < 0 ||
		    tsv_node_type(r, 2, lens, &e->dst_type) < 0 ||
		    tsv_id(r, e->dst_type, 3, lens, 0, &e->dst) < 0 ||
		    tsv_float(r, 4, lens, "weight", &e->weight) < 0 ||
		    tsv_u32(r, 5, lens, "count", &e->count) < 0 ||
		    tsv_i64(r, 6, lens, "timestamp", &e->last_ts) < 0)
			return -1;
		return 1;
	}
}

uint32_t igr_reader_recsize(const igr_reader *r)
{
	return r->enc == IGR_ENC_BINARY ? r->recsize : 0;
}

ssize_t igr_read_raw(igr_reader *r, const unsigned char **p, size_t max)
{
	size_t n = 0, k;

	if (r->enc != IGR_ENC_BINARY)
		return igr_error("%s: raw records need a binary stream",
				 igr_in_name(r->in));
	if (max == 0)
		return igr_error("internal error: raw read of 0 records");
	if (r->blk_left == 0) {
		/* the next block (checked and checksummed), its first
		 * record taken */
		int rc = next_binary(r, p);
		if (rc <= 0)
			return rc;
		n = 1;
	} else {
		*p = r->blk;
	}
	/* the rest follows in the same block */
	k = r->blk_left < max - n ? r->blk_left : max - n;
	r->blk += k * r->recsize;
	r->blk_left -= (uint32_t)k;
	r->nread += k;
	return (ssize_t)(n + k);
}

ssize_t igr_read_edges(igr_reader *r, igr_edge *e, size_t max)
{
	size_t n = 0;
	int rc = 0;

	if (want_kind(r, IGR_KIND_GRAPH) < 0)
		return -1;
	if (r->enc != IGR_ENC_BINARY) {
		while (n < max && (rc = igr_read_edge(r, &e[n])) == 1)
			n++;
		return rc < 0 ? -1 : (ssize_t)n;
	}
	while (n < max) {
		const unsigned char *p;
		if (r->blk_left == 0) {
			/* the next block (checked and checksummed) */
			rc = next_binary(r, &p);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		} else {
			/* within a block: what next_binary does per record */
			p = r->blk;
			r->blk += r->recsize;
			r->blk_left--;
			r->nread++;
		}
		igr_edge_unpack(p, &e[n]);
		if (e[n].src_type >= IGR_NNODE)
			return bad_enum(r, "node type", e[n].src_type);
		if (e[n].dst_type >= IGR_NNODE)
			return bad_enum(r, "node type", e[n].dst_type);
		n++;
	}
	return (ssize_t)n;
}

int igr_read_vector(igr_reader *r, igr_vector *v)
{
	uint32_t i, dim = r->h.dim;
	int rc;

	if (want_kind(r, IGR_KIND_VECTORS) < 0)
		return -1;
	v->v = r->vbuf;
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		v->node_type = p[0];
		v->node = igr_get_u32(p + 1);
		if (v->node_type >= IGR_NNODE)
			return bad_enum(r, "node type", v->node_type);
		for (i = 0; i < dim; i++)
			r->vbuf[i] = igr_get_f32(p + 5 + 4 * i);
		return 1;
	} else {
		size_t *lens = malloc((dim + 2) * sizeof *lens);
		if (lens == NULL)
			return igr_error("out of memory");
		rc = next_tsv(r, (int)dim + 2, lens);
		if (rc <= 0) {
			free(lens);
			return rc;
		}
		if (tsv_node_type(r, 0, lens, &v->node_type) < 0 ||
		    tsv_id(r, v->node_type, 1, lens, 0, &v->node) < 0) {
			free(lens);
			return -1;
		}
		for (i = 0; i < dim; i++)
			if (tsv_float(r, (int)i + 2, lens, "value",
				      &r->vbuf[i]) < 0) {
				free(lens);
				return -1;
			}
		free(lens);
		return 1;
	}
}

int igr_read_score(igr_reader *r, igr_score *s)
{
	int rc;

	if (want_kind(r, IGR_KIND_SCORES) < 0)
		return -1;
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		s->query_type = p[0];
		s->query = igr_get_u32(p + 1);
		s->target_type = p[5];
		s->target = igr_get_u32(p + 6);
		s->score = igr_get_f32(p + 10);
		s->rank = igr_get_u32(p + 14);
		if (s->query_type >= IGR_NNODE)
			return bad_enum(r, "node type", s->query_type);
		if (s->target_type >= IGR_NNODE)
			return bad_enum(r, "node type", s->target_type);
		return 1;
	} else {
		size_t lens[6];
		rc = next_tsv(r, 6, lens);
		if (rc <= 0)
			return rc;
		if (tsv_node_type(r, 0, lens, &s->query_type) < 0 ||
		    tsv_id(r, s->query_type, 1, lens, 0, &s->query) < 0 ||
		    tsv_node_type(r, 2, lens, &s->target_type) < 0 ||
		    tsv_id(r, s->target_type, 3, lens, 0, &s->target) < 0 ||
		    tsv_float(r, 4, lens, "score", &s->score) < 0 ||
		    tsv_u32(r, 5, lens, "rank", &s->rank) < 0)
			return -1;
		return 1;
	}
}

/* TSV label: "-" or behaviour names joined by ','. */
static int tsv_label(igr_reader *r, int field, const size_t *lens,
		     uint8_t *out)
{
	const char *s = r->fields[field];
	size_t len = lens[field], i = 0;

	*out = 0;
	if (len == 1 && s[0] == '-')
		return 0;
	while (i <= len) {
		size_t l = 0;
		int b;
		while (i + l < len && s[i + l] != ',')
			l++;
		b = igr_behavior_parse(s + i, l);
		if (b < 0)
			return tsv_err(r, "label", s, len);
		*out |= (uint8_t)(1u << b);
		i += l + 1;
	}
	return 0;
}

int igr_read_pair(igr_reader *r, igr_pair *pr)
{
	uint32_t i, dim = r->h.dim;
	int rc;

	if (want_kind(r, IGR_KIND_FEATURES) < 0)
		return -1;
	pr->v = r->vbuf;
	if (r->enc == IGR_ENC_BINARY) {
		const unsigned char *p;
		rc = next_binary(r, &p);
		if (rc <= 0)
			return rc;
		pr->user = igr_get_u32(p);
		pr->item = igr_get_u32(p + 4);
		pr->label = p[8];
		if (pr->label >> IGR_NBEHAVIOR)
			return bad_enum(r, "label", pr->label);
		for (i = 0; i < dim; i++)
			r->vbuf[i] = igr_get_f32(p + 9 + 4 * i);
		return 1;
	} else {
		size_t *lens = malloc((dim + 3) * sizeof *lens);
		if (lens == NULL)
			return igr_error("out of memory");
		rc = next_tsv(r, (int)dim + 3, lens);
		if (rc <= 0) {
			free(lens);
			return rc;
		}
		if (tsv_id(r, IGR_USER, 0, lens, 0, &pr->user) < 0 ||
		    tsv_id(r, IGR_ITEM, 1, lens, 0, &pr->item) < 0 ||
		    tsv_label(r, 2, lens, &pr->label) < 0) {
			free(lens);
			return -1;
		}
		for (i = 0; i < dim; i++)
			if (tsv_float(r, (int)i + 3, lens, "value",
				      &r->vbuf[i]) < 0) {
				free(lens);
				return -1;
			}
		free(lens);
		return 1;
	}
}

/* ---- writer ----------------------------------------------------------- */

struct igr_writer {
	igr_out *out;
	int kind, enc;
	igr_header h;
	int started;
	const igr_vocabset *vs; /* TSV external ids */
	uint32_t recsize;
	unsigned char *blk;
	uint32_t blk_n, blk_max;
	uint32_t crc;
	struct crc_stage cs;    /* TSV bytes not yet in CRC */
	uint64_t n;
	int part;               /* rank > 0 of igr_writer_open_par: records
				   only, no header, blocks or trailer */
};

static igr_writer *writer_open(const char *path, int kind, int encoding,
			       int par)
{
	igr_writer *w;

	if (kind < IGR_KIND_EVENTS || kind > IGR_KIND_FEATURES)
		return igr_error("bad stream kind %d", kind), NULL;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return igr_error("out of memory"), NULL;
	w->kind = kind;
	w->h.kind = kind;
	w->h.major = IGR_STREAM_MAJOR;
	w->h.minor = IGR_STREAM_MINOR;
	if (encoding == IGR_ENC_AUTO) {
		int tty = (path == NULL || strcmp(path, "-") == 0) &&
			  isatty(STDOUT_FILENO);
		encoding = tty ? IGR_ENC_TSV : IGR_ENC_BINARY;
	}
	w->enc = encoding;
	w->cs.crc = &w->crc;
	/* made now, so that adding to it never fails */
	if (w->enc == IGR_ENC_TSV &&
	    (w->cs.buf = malloc(CRC_STAGE)) == NULL) {
		free(w);
		return igr_error("out of memory"), NULL;
	}
	w->out = par ? igr_out_open_par(path) : igr_out_open(path);
	if (w->out == NULL) {
		free(w->cs.buf);
		free(w);
		return NULL;
	}
	w->part = igr_out_is_part(w->out);
	return w;
}

igr_writer *igr_writer_open(const char *path, int kind, int encoding)
{
	return writer_open(path, kind, encoding, 0);
}

igr_writer *igr_writer_open_par(const char *path, int kind, int encoding)
{
	unsigned char enc = (unsigned char)encoding;

	/* the encoding rank 0's output gets (a terminal: TSV) */
	if (igr_par_rank() == 0 && encoding == IGR_ENC_AUTO)
		enc = (path == NULL || strcmp(path, "-") == 0) &&
				      isatty(STDOUT_FILENO)
			      ? IGR_ENC_TSV
			      : IGR_ENC_BINARY;
	if (igr_par_bcast(&enc, 1) < 0)
		return NULL;
	return writer_open(path, kind, enc, 1);
}

int igr_writer_encoding(const igr_writer *w)
{
	return w->enc;
}

uint64_t igr_writer_records(const igr_writer *w)
{
	return w->n;
}

int igr_writer_set_dim(igr_writer *w, uint32_t dim)
{
	if (w->started)
		return igr_error("internal error: dim set after first record");
	if (dim == 0 || dim > MAX_DIM)
		return igr_error("vector dimension %u out of range (1-%u)", dim,
				 MAX_DIM);
	w->h.dim = dim;
	return 0;
}

int igr_writer_set_features(igr_writer *w, uint32_t dim,
			    const char *const *names)
{
	size_t len = 0, n = 0;
	uint32_t i;
	char *list;
	int rc;

	if (w->kind != IGR_KIND_FEATURES)
		return igr_error("internal error: feature names for a %s "
				 "stream", igr_kind_name(w->kind));
	if (igr_writer_set_dim(w, dim) < 0)
		return -1;
	for (i = 0; i < dim; i++)
		len += strlen(names[i]) + 1;
	list = malloc(len + 1);
	if (list == NULL)
		return igr_error("out of memory");
	for (i = 0; i < dim; i++) {
		size_t l = strlen(names[i]);
		if (i > 0)
			list[n++] = ',';
		memcpy(list + n, names[i], l);
		n += l;
	}
	list[n] = '\0';
	/* a comma inside a name shows up as a count mismatch here */
	rc = feature_names_check(list, dim);
	if (rc == 0)
		rc = header_add_meta(&w->h, "features", 8, list, n);
	free(list);
	return rc;
}

static int clean_text(const char *s)
{
	return strchr(s, '\t') == NULL && strchr(s, '\n') == NULL &&
	       strchr(s, '\r') == NULL;
}

int igr_writer_set_meta(igr_writer *w, const char *key, const char *value)
{
	if (w->started)
		return igr_error("internal error: meta set after first record");
	if (*key == '\0' || !clean_text(key) || !clean_text(value))
		return igr_error("bad header meta '%s'", key);
	return header_add_meta(&w->h, key, strlen(key), value, strlen(value));
}

int igr_writer_copy_pg(igr_writer *w, const igr_header *from)
{
	size_t i;

	for (i = 0; i < from->npg; i++)
		if (header_add_pg(&w->h, from->pg[i], strlen(from->pg[i])) < 0)
			return -1;
	return 0;
}

int igr_writer_add_pg(igr_writer *w, const char *program, const char *version,
		      int argc, char **argv)
{
	size_t cap = strlen(program) + strlen(version) + 4, n;
	char *s;
	int i, rc;

	for (i = 0; i < argc; i++)
		cap += strlen(argv[i]) * 4 + 3;
	s = malloc(cap);
	if (s == NULL)
		return igr_error("out of memory");
	n = (size_t)snprintf(s, cap, "%s\t%s\t", program, version);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		int quote = *a == '\0' || strpbrk(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") != NULL;
		if (i > 0)
			s[n++] = ' ';
		if (quote)
			s[n++] = '\'';
		for (; *a; a++) {
			char c = (*a == '\t' || *a == '\n' || *a == '\r') ? ' '
									  : *a;
			if (c == '\'' && quote) {
				memcpy(s + n, "'\\''", 4);
				n += 4;
			} else {
				s[n++] = c;
			}
		}
		if (quote)
			s[n++] = '\'';
	}
	s[n] = '\0';
	rc = header_add_pg(&w->h, s, n);
	free(s);
	return rc;
}

void igr_writer_set_vocab(igr_writer *w, const igr_vocabset *vs)
{
	if (w->enc == IGR_ENC_TSV)
		w->vs = vs;
}

/* The version a stream is written with: the lowest that holds its kind,
 * so a reader of an older minor version still reads every stream whose
 * layout it knows (1.0: events ... scores; 1.1 added features). */
static int kind_minor(int kind)
{
	return kind == IGR_KIND_FEATURES ? 1 : 0;
}

/* TSV: bytes of the stream, counted into the checksum of the trailer. */
static int tsv_write(igr_writer *w, const void *p, size_t n)
{
	crc_stage_add(&w->cs, p, n); /* cannot fail: made at open */
	return igr_out_write(w->out, p, n);
}

/* TSV: the N bytes at P (from igr_out_space) are the next line. */
static void tsv_commit(igr_writer *w, const char *p, size_t n)
{
	crc_stage_add(&w->cs, p, n);
	igr_out_commit(w->out, n);
}

/* The binary block buffer. */
static int block_alloc(igr_writer *w)
{
	w->blk_max = BLOCK_BYTES / w->recsize;
	if (w->blk_max == 0)
		w->blk_max = 1;
	w->blk = malloc((size_t)w->blk_max * w->recsize);
	return w->blk == NULL ? igr_error("out of memory") : 0;
}

static int write_header(igr_writer *w)
{
	const struct layout *l = &layouts[w->kind];
	size_t tlen;
	char *text;
	int rc;

	if (w->kind == IGR_KIND_VECTORS && w->h.dim == 0)
		return igr_error("internal error: vectors stream without dim");
	if (w->kind == IGR_KIND_FEATURES &&
	    feature_names_check(igr_header_get(&w->h, "features"), w->h.dim) <
		    0)
		return igr_error_prefix("internal error");
	if (w->vs != NULL &&
	    header_add_meta(&w->h, "ids", 3, "external", 8) < 0)
		return -1;
	text = header_text(&w->h, &tlen);
	if (text == NULL)
		return -1;
	w->recsize = record_size(w->kind, w->h.dim);
	if (w->part) {
		/* rank 0 writes the header; this rank only records */
		rc = 0;
		if (w->enc == IGR_ENC_BINARY)
			rc = block_alloc(w);
	} else if (w->enc == IGR_ENC_TSV) {
		char line[64];
		int minor = kind_minor(w->kind) > TSV_TRAILER_MINOR
				    ? kind_minor(w->kind)
				    : TSV_TRAILER_MINOR;
		snprintf(line, sizeof line, "#igraph %s %d.%d\n",
			 igr_kind_name(w->kind), IGR_STREAM_MAJOR, minor);
		rc = tsv_write(w, line, strlen(line));
		if (rc == 0)
			rc = tsv_write(w, text, tlen);
		if (rc == 0)
			rc = tsv_write(w, l->tsv_cols, strlen(l->tsv_cols));
		for (uint32_t d = 0; rc == 0 && w->kind == IGR_KIND_VECTORS &&
				     d < w->h.dim; d++) {
			snprintf(line, sizeof line, "\tv%u", d);
			rc = tsv_write(w, line, strlen(line));
		}
		if (rc == 0 && w->kind == IGR_KIND_FEATURES) {
			/* the names, as columns */
			const char *f = igr_header_get(&w->h, "features");
			size_t fl = strlen(f);
			char *cols = malloc(fl + 1);
			if (cols == NULL) {
				free(text);
				return igr_error("out of memory");
			}
			cols[0] = '\t';
			for (size_t i = 0; i < fl; i++)
				cols[1 + i] = f[i] == ',' ? '\t' : f[i];
			rc = tsv_write(w, cols, fl + 1);
			free(cols);
		}
		if (rc == 0)
			rc = tsv_write(w, "\n", 1);
	} else {
		size_t cap = 64 + tlen + (size_t)l->ncols * 270, n = 0;
		unsigned char *b = malloc(cap);
		int i;
		if (b == NULL) {
			free(text);
			return igr_error("out of memory");
		}
		memcpy(b, MAGIC, 8);
		igr_put_u16(b + 8, IGR_STREAM_MAJOR);
		igr_put_u16(b + 10, (uint16_t)kind_minor(w->kind));
		igr_put_u16(b + 12, (uint16_t)w->kind);
		igr_put_u16(b + 14, 0);
		igr_put_u32(b + 16, w->recsize);
		igr_put_u32(b + 20, w->h.dim);
		igr_put_u32(b + 24, (uint32_t)l->ncols);
		n = 28;
		for (i = 0; i < l->ncols; i++) {
			size_t nl = strlen(l->cols[i].name);
			b[n] = l->cols[i].type;
			igr_put_u32(b + n + 1, l->cols[i].count
						       ? l->cols[i].count
						       : w->h.dim);
			b[n + 5] = (unsigned char)nl;
			memcpy(b + n + 6, l->cols[i].name, nl);
			n += 6 + nl;
		}
		igr_put_u32(b + n, (uint32_t)tlen);
		n += 4;
		memcpy(b + n, text, tlen);
		n += tlen;
		igr_put_u32(b + n, (uint32_t)crc32(0L, b, (uInt)n));
		n += 4;
		rc = igr_out_write(w->out, b, n);
		free(b);
		if (rc == 0)
			rc = block_alloc(w);
	}
	free(text);
	w->started = 1;
	return rc;
}

static int flush_block(igr_writer *w)
{
	unsigned char n4[4];
	size_t bytes = (size_t)w->blk_n * w->recsize;

	if (w->blk_n == 0)
		return 0;
	igr_put_u32(n4, w->blk_n);
	w->crc = igr_crc32(w->crc, w->blk, bytes);
	if ((!w->part && igr_out_write(w->out, n4, 4) < 0) ||
	    igr_out_write(w->out, w->blk, bytes) < 0)
		return -1;
	w->blk_n = 0;
	return 0;
}

/* Space for the next binary record, or NULL. */
static unsigned char *bin_slot(igr_writer *w)
{
	if (!w->started && write_header(w) < 0)
		return NULL;
	if (w->blk_n == w->blk_max && flush_block(w) < 0)
		return NULL;
	w->n++;
	return w->blk + (size_t)w->blk_n++ * w->recsize;
}

/* Space for a TSV line of at most N bytes, or NULL. */
static char *tsv_slot(igr_writer *w, size_t n)
{
	if (!w->started && write_header(w) < 0)
		return NULL;
	w->n++;
	return igr_out_space(w->out, n);
}

static int put_id(igr_writer *w, char *p, int type, uint32_t id)
{
	const char *name;
	size_t len;

	if (id == IGR_NONE) {
		p[0] = '-';
		return 1;
	}
	if (w->vs == NULL)
		return igr_fmt_u64(p, id);
	name = igr_vocab_name(w->vs->v[type], id);
	if (name == NULL)
		return igr_error("%s %u is not in the vocabulary",
				 igr_node_name(type), id);
	if (igr_vocab_is_forgotten(w->vs->v[type], id))
		return igr_error("%s %u was forgotten (erasure request) and "
				 "cannot be printed", igr_node_name(type), id);
	len = strlen(name);
	memcpy(p, name, len);
	return (int)len;
}

/* "TYPE\tID" of a node; returns the length or -1. */
static int put_node(igr_writer *w, char *p, int type, uint32_t id)
{
	size_t l = strlen(node_names[type]);
	int k;

	memcpy(p, node_names[type], l);
	p[l] = '\t';
	k = put_id(w, p + l + 1, type, id);
	return k < 0 ? -1 : (int)(l + 1) + k;
}

/* Room a TSV id needs. */
#define ID_ROOM (IGR_VOCAB_MAXLEN + 2)

#define PUT(expr)                                                            \
	do {                                                                 \
		int k_ = (expr);                                             \
		if (k_ < 0)                                                  \
			return -1;                                           \
		n += (size_t)k_;                                             \
	} while (0)
#define TAB() (p[n++] = '\t')

int igr_write_event(igr_writer *w, const igr_event *e)
{
	if (w->kind != IGR_KIND_EVENTS)
		return igr_error("internal error: event to %s stream",
				 igr_kind_name(w->kind));
	if (e->behavior >= IGR_NBEHAVIOR)
		return igr_error("bad behavior %u", e->behavior);
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		igr_put_u64(b, (uint64_t)e->ts);
		igr_put_u32(b + 8, e->user);
		igr_put_u32(b + 12, e->item);
		igr_put_u32(b + 16, e->category);
		b[20] = e->behavior;
		igr_put_f32(b + 21, e->value);
	} else {
		char *p = tsv_slot(w, 3 * ID_ROOM + 96);
		size_t n = 0;
		if (p == NULL)
			return -1;
		PUT(igr_fmt_i64(p, e->ts));
		TAB();
		PUT(put_id(w, p + n, IGR_USER, e->user));
		TAB();
		PUT(put_id(w, p + n, IGR_ITEM, e->item));
		TAB();
		PUT(put_id(w, p + n, IGR_CATEGORY, e->category));
		TAB();
		{
			const char *bn = behavior_names[e->behavior];
			size_t bl = strlen(bn);
			memcpy(p + n, bn, bl);
			n += bl;
		}
		TAB();
		PUT(igr_fmt_float(p + n, e->value));
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

int igr_write_item(igr_writer *w, const igr_item *it)
{
	int i;

	if (w->kind != IGR_KIND_ITEMS)
		return igr_error("internal error: item to %s stream",
				 igr_kind_name(w->kind));
	if (it->ntok > IGR_ITEM_TOKENS)
		return igr_error("bad token count %u", it->ntok);
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		igr_put_u32(b, it->item);
		igr_put_u32(b + 4, it->category);
		igr_put_f32(b + 8, it->price);
		b[12] = it->ntok;
		for (i = 0; i < IGR_ITEM_TOKENS; i++)
			igr_put_u32(b + 13 + 4 * i,
				    i < it->ntok ? it->tok[i] : 0);
	} else {
		size_t tl = it->text ? strlen(it->text) : 0;
		char *p = tsv_slot(w, 2 * ID_ROOM + 64 + 2 * tl +
					      10 * IGR_ITEM_TOKENS);
		size_t n = 0;
		if (p == NULL)
			return -1;
		PUT(put_id(w, p, IGR_ITEM, it->item));
		TAB();
		PUT(put_id(w, p + n, IGR_CATEGORY, it->category));
		TAB();
		if (isnan(it->price))
			p[n++] = '-';
		else
			PUT(igr_fmt_float(p + n, it->price));
		TAB();
		if (it->text != NULL) {
			const char *t;
			for (t = it->text; *t; t++) {
				char c = *t;
				if (c == '\t' || c == '\n' || c == '\r' ||
				    c == '\\') {
					p[n++] = '\\';
					c = c == '\t' ? 't' : c == '\n' ? 'n'
							  : c == '\r' ? 'r' : c;
				}
				p[n++] = c;
			}
		} else {
			/* binary had only the hashes: keep them readable
			 * back (see igr_hash_tokens) */
			for (i = 0; i < it->ntok; i++)
				n += (size_t)snprintf(p + n, 12, "%s~%08x",
						      i ? " " : "",
						      it->tok[i]);
		}
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

int igr_write_edge(igr_writer *w, const igr_edge *e)
{
	if (w->kind != IGR_KIND_GRAPH)
		return igr_error("internal error: edge to %s stream",
				 igr_kind_name(w->kind));
	if (e->src_type >= IGR_NNODE || e->dst_type >= IGR_NNODE)
		return igr_error("bad node type");
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		igr_edge_pack(b, e);
	} else {
		char *p = tsv_slot(w, 2 * ID_ROOM + 128);
		size_t n = 0;
		if (p == NULL)
			return -1;
		PUT(put_node(w, p + n, e->src_type, e->src));
		TAB();
		PUT(put_node(w, p + n, e->dst_type, e->dst));
		TAB();
		PUT(igr_fmt_float(p + n, e->weight));
		TAB();
		PUT(igr_fmt_u64(p + n, e->count));
		TAB();
		PUT(igr_fmt_i64(p + n, e->last_ts));
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

uint32_t igr_writer_recsize(const igr_writer *w)
{
	return w->enc == IGR_ENC_BINARY ? record_size(w->kind, w->h.dim) : 0;
}

unsigned char *igr_writer_raw_space(igr_writer *w, size_t *room)
{
	if (w->enc != IGR_ENC_BINARY)
		return igr_error("internal error: raw records to a TSV stream"),
		       NULL;
	if (!w->started && write_header(w) < 0)
		return NULL;
	if (w->blk_n == w->blk_max && flush_block(w) < 0)
		return NULL;
	*room = w->blk_max - w->blk_n;
	return w->blk + (size_t)w->blk_n * w->recsize;
}

void igr_writer_raw_commit(igr_writer *w, size_t n)
{
	w->blk_n += (uint32_t)n;
	w->n += n;
}

int igr_write_edges(igr_writer *w, const igr_edge *e, size_t n)
{
	size_t i;

	if (w->kind != IGR_KIND_GRAPH || w->enc != IGR_ENC_BINARY) {
		for (i = 0; i < n; i++)
			if (igr_write_edge(w, &e[i]) < 0)
				return -1;
		return 0;
	}
	for (i = 0; i < n;) {
		/* the first record through bin_slot (which starts the stream
		 * and flushes a full block), the rest of the block directly */
		unsigned char *b = bin_slot(w);
		size_t k = 1, room;
		if (b == NULL)
			return -1;
		room = w->blk_max - w->blk_n;
		if (room > n - i - 1)
			room = n - i - 1;
		for (;;) {
			const igr_edge *x = &e[i++];
			if (x->src_type >= IGR_NNODE || x->dst_type >= IGR_NNODE)
				return igr_error("bad node type");
			igr_edge_pack(b, x);
			if (k > room)
				break;
			b = w->blk + (size_t)w->blk_n++ * w->recsize;
			w->n++;
			k++;
		}
	}
	return 0;
}

int igr_write_vector(igr_writer *w, const igr_vector *v)
{
	uint32_t i;

	if (w->kind != IGR_KIND_VECTORS)
		return igr_error("internal error: vector to %s stream",
				 igr_kind_name(w->kind));
	if (v->node_type >= IGR_NNODE)
		return igr_error("bad node type");
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		b[0] = v->node_type;
		igr_put_u32(b + 1, v->node);
		for (i = 0; i < w->h.dim; i++)
			igr_put_f32(b + 5 + 4 * i, v->v[i]);
	} else {
		char *p = tsv_slot(w, ID_ROOM + 32 + 33 * (size_t)w->h.dim);
		size_t n = 0;
		if (p == NULL)
			return -1;
		PUT(put_node(w, p + n, v->node_type, v->node));
		for (i = 0; i < w->h.dim; i++) {
			TAB();
			PUT(igr_fmt_float(p + n, v->v[i]));
		}
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

int igr_write_score(igr_writer *w, const igr_score *s)
{
	if (w->kind != IGR_KIND_SCORES)
		return igr_error("internal error: score to %s stream",
				 igr_kind_name(w->kind));
	if (s->query_type >= IGR_NNODE || s->target_type >= IGR_NNODE)
		return igr_error("bad node type");
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		b[0] = s->query_type;
		igr_put_u32(b + 1, s->query);
		b[5] = s->target_type;
		igr_put_u32(b + 6, s->target);
		igr_put_f32(b + 10, s->score);
		igr_put_u32(b + 14, s->rank);
	} else {
		char *p = tsv_slot(w, 2 * ID_ROOM + 96);
		size_t n = 0;
		if (p == NULL)
			return -1;
		PUT(put_node(w, p + n, s->query_type, s->query));
		TAB();
		PUT(put_node(w, p + n, s->target_type, s->target));
		TAB();
		PUT(igr_fmt_float(p + n, s->score));
		TAB();
		PUT(igr_fmt_u64(p + n, s->rank));
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

int igr_write_pair(igr_writer *w, const igr_pair *pr)
{
	uint32_t i;

	if (w->kind != IGR_KIND_FEATURES)
		return igr_error("internal error: pair to %s stream",
				 igr_kind_name(w->kind));
	if (pr->label >> IGR_NBEHAVIOR)
		return igr_error("bad label %u", pr->label);
	if (w->enc == IGR_ENC_BINARY) {
		unsigned char *b = bin_slot(w);
		if (b == NULL)
			return -1;
		igr_put_u32(b, pr->user);
		igr_put_u32(b + 4, pr->item);
		b[8] = pr->label;
		for (i = 0; i < w->h.dim; i++)
			igr_put_f32(b + 9 + 4 * i, pr->v[i]);
	} else {
		char *p = tsv_slot(w, 2 * ID_ROOM + 64 + 33 * (size_t)w->h.dim);
		size_t n = 0;
		int b;
		if (p == NULL)
			return -1;
		PUT(put_id(w, p, IGR_USER, pr->user));
		TAB();
		PUT(put_id(w, p + n, IGR_ITEM, pr->item));
		TAB();
		if (pr->label == 0)
			p[n++] = '-';
		for (b = 0; b < IGR_NBEHAVIOR; b++) {
			size_t l;
			if (!(pr->label & (1u << b)))
				continue;
			if (p[n - 1] != '\t')
				p[n++] = ',';
			l = strlen(behavior_names[b]);
			memcpy(p + n, behavior_names[b], l);
			n += l;
		}
		for (i = 0; i < w->h.dim; i++) {
			TAB();
			PUT(igr_fmt_float(p + n, pr->v[i]));
		}
		p[n++] = '\n';
		tsv_commit(w, p, n);
	}
	return 0;
}

#undef PUT
#undef TAB

/* Rank 0 of a parallel writer: the records of a later rank, whole ones,
 * continue the stream as if this rank had written them. */
static int part_sink(void *arg, const void *p, size_t n)
{
	igr_writer *w = arg;
	const unsigned char *b = p;

	if (w->enc == IGR_ENC_TSV)
		return tsv_write(w, p, n);
	while (n > 0) {
		size_t k;
		if (w->blk_n == w->blk_max && flush_block(w) < 0)
			return -1;
		k = (size_t)(w->blk_max - w->blk_n) * w->recsize;
		if (k > n)
			k = n;
		memcpy(w->blk + (size_t)w->blk_n * w->recsize, b, k);
		w->blk_n += (uint32_t)(k / w->recsize);
		b += k;
		n -= k;
	}
	return 0;
}

int igr_writer_gather(igr_writer *w)
{
	uint64_t got;
	int rc = 0;

	if (!w->out->par)
		return 0;
	if (!w->started)
		rc = write_header(w);
	if (rc == 0 && w->part && w->enc == IGR_ENC_BINARY)
		rc = flush_block(w);
	rc = igr_out_gather_more(w->out, rc, w->n,
				 w->enc == IGR_ENC_BINARY ? w->recsize : 1,
				 part_sink, w, &got);
	if (w->part)
		w->n = 0; /* the records of the next part */
	else
		w->n += got;
	return rc;
}

int igr_writer_close(igr_writer *w)
{
	uint64_t got;
	int rc = 0;

	if (!w->started)
		rc = write_header(w);
	if (w->out->par) {
		/* the records of every rank, in rank order; a part is
		 * flushed whole, the last block of rank 0 is continued */
		if (rc == 0 && w->part && w->enc == IGR_ENC_BINARY)
			rc = flush_block(w);
		rc = igr_out_gather(w->out, rc, w->n,
				    w->enc == IGR_ENC_BINARY ? w->recsize : 1,
				    part_sink, w, &got);
		w->n += got;
	}
	if (w->part) {
		/* igr_out_close() is where the ranks agree; a failure
		 * above is carried to it */
		rc = igr_out_close(w->out);
		header_free(&w->h);
		free(w->blk);
		free(w->cs.buf);
		free(w);
		return rc;
	}
	if (rc == 0 && w->enc == IGR_ENC_TSV) {
		char end[64];
		snprintf(end, sizeof end, "#end\t%llu\t%08x\n",
			 (unsigned long long)w->n, crc_stage_sum(&w->cs));
		rc = igr_out_write(w->out, end, strlen(end));
	}
	if (rc == 0 && w->enc == IGR_ENC_BINARY) {
		unsigned char end[24];
		rc = flush_block(w);
		igr_put_u32(end, 0);
		igr_put_u64(end + 4, w->n);
		igr_put_u32(end + 12, w->crc);
		memcpy(end + 16, END_MAGIC, 4);
		if (rc == 0)
			rc = igr_out_write(w->out, end, 20);
	}
	if (rc == 0 || w->out->par)
		rc = igr_out_close(w->out); /* par: collective, even now */
	else
		igr_out_abort(w->out);
	header_free(&w->h);
	free(w->blk);
	free(w->cs.buf);
	free(w);
	return rc;
}

void igr_writer_abort(igr_writer *w)
{
	if (w == NULL)
		return;
	igr_out_abort(w->out);
	header_free(&w->h);
	free(w->blk);
	free(w->cs.buf);
	free(w);
}

uint32_t *igr_events_users(const char *path, uint32_t nu, size_t *n)
{
	igr_reader *r = igr_reader_open(path, IGR_KIND_EVENTS);
	uint8_t *mark = calloc(nu ? nu : 1, 1);
	uint32_t *out = NULL, u;
	igr_event e;
	int rc;

	*n = 0;
	if (r == NULL || mark == NULL) {
		if (mark == NULL)
			igr_error("out of memory");
		igr_reader_close(r);
		free(mark);
		return NULL;
	}
	while ((rc = igr_read_event(r, &e)) == 1)
		if (e.user < nu)
			mark[e.user] = 1;
	igr_reader_close(r);
	if (rc < 0) {
		free(mark);
		return NULL;
	}
	out = malloc((nu ? nu : 1) * sizeof *out);
	if (out == NULL) {
		free(mark);
		igr_error("out of memory");
		return NULL;
	}
	for (u = 0; u < nu; u++)
		if (mark[u])
			out[(*n)++] = u;
	free(mark);
	return out;
}
