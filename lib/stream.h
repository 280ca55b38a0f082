/*
 * stream.h - igraph record streams (the contract between the tools).
 *
 * A stream has one kind (events, items, graph, vectors, scores, features)
 * and two encodings with the same fields; igraph-stream(5) is the full
 * specification.  Readers detect the encoding from the first bytes (and
 * gzip underneath, see io.h); writers choose it (IGR_ENC_AUTO: TSV when
 * the output is a terminal, binary otherwise).
 *
 * Binary: a header (magic "\x89IGR\r\n\x1a\n", major.minor version, kind,
 * record layout, header text, header CRC), then blocks of fixed-size
 * little-endian records (u32 count, records), then an end block (u32 0,
 * u64 record count, u32 CRC-32 of all record bytes, "IEND").  A reader
 * that reaches the end of input before the end block reports a truncated
 * stream: a killed upstream stage never looks like a short valid file.
 * A newer major version is refused; a newer minor version may append
 * columns to records, which this reader skips.
 *
 * TSV: "#igraph KIND MAJOR.MINOR", optional "#meta\tKEY\tVALUE" and
 * "#PG\tPROGRAM\tVERSION\tCOMMAND" lines, one line of column names, then
 * one record per line, then the trailer line "#end\tRECORDS\tCRC" (the
 * record count in decimal, the CRC-32 of every byte before the trailer
 * line in 8 lowercase hex digits; since 1.2).  A reader that reaches the
 * end of input without the trailer reports a truncated stream, one whose
 * count or checksum disagrees a damaged or edited one, and anything after
 * it is an error: a TSV stream from a stage that died, or edited with
 * awk, is refused like a cut binary one (igraph-cat --seal re-counts an
 * edited stream on purpose, see igr_reader_allow_unsealed).  A last line
 * without a newline is a truncation; CR before the newline is refused.
 * Numbers are written and read in the C locale whatever the process
 * locale is; floats read back to the same value (numtext.h).
 *
 * All read functions return 1 (a record), 0 (clean end of stream), or -1
 * (error, message in igr_errmsg()).  Write functions return 0 or -1.
 *
 * Ownership: readers and writers are owned by the caller and released
 * with igr_reader_close() / igr_writer_close() or igr_writer_abort().
 * Pointers inside returned records (item text, vector values) belong to
 * the reader and are valid until its next read.  The header returned by
 * igr_reader_header() lives as long as the reader.
 */
#ifndef IGR_STREAM_H
#define IGR_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "endian.h"
#include "io.h"
#include "numtext.h" /* the text twin's numbers; callers use it through here */
#include "vocab.h"

#define IGR_STREAM_MAJOR 1
/* The newest version this library reads.  Writers put the lowest version
 * that holds the stream: binary 1.0, or 1.1 for features (added in 1.1);
 * TSV 1.2, the version that added the '#end' trailer. */
#define IGR_STREAM_MINOR 2

enum igr_kind {
	IGR_KIND_EVENTS = 1,
	IGR_KIND_ITEMS = 2,
	IGR_KIND_GRAPH = 3,
	IGR_KIND_VECTORS = 4,
	IGR_KIND_SCORES = 5,
	IGR_KIND_FEATURES = 6, /* since 1.1 */
};

enum igr_node_type { IGR_USER = 0, IGR_ITEM = 1, IGR_CATEGORY = 2 };
#define IGR_NNODE 3

enum igr_behavior {
	IGR_VIEW = 0,
	IGR_CLICK = 1,
	IGR_FAV = 2,
	IGR_CART = 3,
	IGR_BUY = 4,
	IGR_REVIEW = 5,
};
#define IGR_NBEHAVIOR 6

enum igr_encoding { IGR_ENC_AUTO = 0, IGR_ENC_BINARY = 1, IGR_ENC_TSV = 2 };

/* Names: "events", "user", "view" ...; parse functions return -1 for an
 * unknown name. */
const char *igr_kind_name(int kind);
int igr_kind_parse(const char *s);
const char *igr_node_name(int type);
int igr_node_parse(const char *s, size_t len);
const char *igr_behavior_name(int b);
int igr_behavior_parse(const char *s, size_t len);

/* ---- records -------------------------------------------------------- */

typedef struct igr_event {
	int64_t ts;        /* Unix seconds, UTC */
	uint32_t user;
	uint32_t item;
	uint32_t category; /* IGR_NONE if unknown */
	uint8_t behavior;  /* enum igr_behavior */
	float value;       /* rating, quantity ...; 1 when the log has none */
} igr_event;

#define IGR_ITEM_TOKENS 8

typedef struct igr_item {
	uint32_t item;
	uint32_t category; /* IGR_NONE if unknown */
	float price;       /* NaN if unknown */
	uint8_t ntok;      /* hashed title tokens */
	uint32_t tok[IGR_ITEM_TOKENS];
	const char *text;  /* title text (TSV only; NULL in binary) */
} igr_item;

typedef struct igr_edge {
	uint8_t src_type, dst_type; /* enum igr_node_type */
	uint32_t src, dst;
	float weight;      /* decayed, behaviour-weighted strength */
	uint32_t count;    /* events behind the edge */
	int64_t last_ts;   /* time of the newest of them */
} igr_edge;

/* The binary record of a graph edge (igraph-stream(5), version 1.0):
 * u8 src_type, u32 src, u8 dst_type, u32 dst, f32 weight, u32 count,
 * i64 last_ts, little-endian, packed.  For stages that read or write
 * records in place (igr_read_raw, igr_writer_raw_space); the weight sits
 * at byte IGR_EDGE_WEIGHT_AT. */
#define IGR_EDGE_RECSIZE 26
#define IGR_EDGE_WEIGHT_AT 10

static inline void igr_edge_unpack(const unsigned char *p, igr_edge *e)
{
	e->src_type = p[0];
	e->src = igr_get_u32(p + 1);
	e->dst_type = p[5];
	e->dst = igr_get_u32(p + 6);
	e->weight = igr_get_f32(p + 10);
	e->count = igr_get_u32(p + 14);
	e->last_ts = (int64_t)igr_get_u64(p + 18);
}

static inline void igr_edge_pack(unsigned char *p, const igr_edge *e)
{
	p[0] = e->src_type;
	igr_put_u32(p + 1, e->src);
	p[5] = e->dst_type;
	igr_put_u32(p + 6, e->dst);
	igr_put_f32(p + 10, e->weight);
	igr_put_u32(p + 14, e->count);
	igr_put_u64(p + 18, (uint64_t)e->last_ts);
}

typedef struct igr_vector {
	uint8_t node_type;
	uint32_t node;
	float *v;          /* dim values (reader-owned when read) */
} igr_vector;

typedef struct igr_score {
	uint8_t query_type, target_type;
	uint32_t query, target;
	float score;
	uint32_t rank;     /* 1 = best */
} igr_score;

/* A (user, item) pair with its features (kind features, igraph-pairs(1)):
 * the names of the dim values are the header's "features" meta, comma-
 * separated (in TSV also the column names after "label"). */
typedef struct igr_pair {
	uint32_t user;
	uint32_t item;
	uint8_t label;     /* behaviours of the pair in the label period:
			      bit (1 << enum igr_behavior); 0 = none */
	float *v;          /* dim values (reader-owned when read) */
} igr_pair;

/* Hash a title into at most IGR_ITEM_TOKENS distinct token hashes
 * (lowercased ASCII words; UTF-8 sequences are word characters).  A word
 * of the form "~xxxxxxxx" (8 hex digits) is taken as an already hashed
 * token, so binary -> TSV -> binary keeps the hashes.  Returns the count. */
int igr_hash_tokens(const char *text, uint32_t tok[IGR_ITEM_TOKENS]);

/* ---- headers -------------------------------------------------------- */

typedef struct igr_meta {
	char *key, *value;
} igr_meta;

typedef struct igr_header {
	int kind;
	int major, minor;   /* version the stream was written with */
	uint32_t dim;       /* vectors, features: values per record; else 0 */
	size_t nmeta;
	igr_meta *meta;     /* stage-specific facts, e.g. now, half_life */
	size_t npg;
	char **pg;          /* provenance, oldest first:
			       "PROGRAM\tVERSION\tCOMMAND LINE" */
	size_t meta_cap, pg_cap; /* room of meta and pg (stream.c's) */
} igr_header;

/* Value of KEY in the header's meta lines, or NULL. */
const char *igr_header_get(const igr_header *h, const char *key);

/* ---- reading -------------------------------------------------------- */

typedef struct igr_reader igr_reader;

/* Open PATH (NULL or "-": stdin) and read its header.  KIND is the kind
 * the caller expects, or 0 for any.  Returns NULL on error (not a stream,
 * wrong kind, newer major version, damaged header ...). */
igr_reader *igr_reader_open(const char *path, int kind) IGR_WUR;

const igr_header *igr_reader_header(const igr_reader *r);
int igr_reader_kind(const igr_reader *r);
int igr_reader_encoding(const igr_reader *r);
const char *igr_reader_name(const igr_reader *r);
uint64_t igr_reader_records(const igr_reader *r); /* read so far */

/* A TSV stream written with external ids ("#meta ids external") can only
 * be read with the vocabulary it was written with.  VS stays owned by the
 * caller and must outlive the reader. */
void igr_reader_set_vocab(igr_reader *r, const igr_vocabset *vs);

/* igraph-cat --seal: accept a TSV stream whose '#end' trailer is missing
 * or disagrees with the records (an old or hand-edited stream); the end
 * of input is then its end.  Binary streams are checked as ever, and a
 * last line without a newline or content after a trailer stay errors. */
void igr_reader_allow_unsealed(igr_reader *r);
/* After the clean end of the stream: 1 if its trailer (TSV) or end block
 * (binary) was there and agreed with the records, 0 if the stream was
 * accepted only through igr_reader_allow_unsealed(). */
int igr_reader_trailer_ok(const igr_reader *r);

int igr_read_event(igr_reader *r, igr_event *e) IGR_WUR;

/* The distinct users below NU of the events stream PATH, ascending, in a
 * new array of *N ids (the users a day's events touched: the daily
 * update's igraph-propagate and igraph-recommend --users-from).  NULL on
 * error. */
uint32_t *igr_events_users(const char *path, uint32_t nu, size_t *n) IGR_WUR;
int igr_read_item(igr_reader *r, igr_item *it) IGR_WUR;
int igr_read_edge(igr_reader *r, igr_edge *e) IGR_WUR;
/* Up to MAX edges at once into E (the same records and checks as
 * igr_read_edge, without a call per record): the number read, 0 at the
 * clean end of the stream, or -1. */
ssize_t igr_read_edges(igr_reader *r, igr_edge *e, size_t max) IGR_WUR;
/* Binary streams: the records as stored (the layout of igraph-stream(5),
 * igr_reader_recsize() bytes each, little-endian), for a stage that passes
 * most records through unchanged.  *P points at up to MAX (>= 1)
 * consecutive records, checksummed and valid until the next read; the
 * caller checks field values (node types ...) itself.  Returns their
 * number, 0 at the clean end of the stream, or -1 (also for TSV). */
ssize_t igr_read_raw(igr_reader *r, const unsigned char **p,
		     size_t max) IGR_WUR;
uint32_t igr_reader_recsize(const igr_reader *r); /* 0 for TSV */
int igr_read_vector(igr_reader *r, igr_vector *v) IGR_WUR;
int igr_read_score(igr_reader *r, igr_score *s) IGR_WUR;
int igr_read_pair(igr_reader *r, igr_pair *p) IGR_WUR;

void igr_reader_close(igr_reader *r);

/* ---- writing -------------------------------------------------------- */

typedef struct igr_writer igr_writer;

/* Open a writer of KIND to PATH (NULL or "-": stdout; otherwise atomic,
 * see io.h) in ENCODING.  The header is written with the first record or
 * at close, so meta, provenance and dim may be set until then. */
igr_writer *igr_writer_open(const char *path, int kind,
			    int encoding) IGR_WUR;

/* The same stream written by every rank of a parallel run (par.h), each
 * rank the records of its range: rank 0 writes the header, its records,
 * then those of ranks 1, 2 ... in rank order, and the trailer, so the
 * stream is byte for byte the one a serial run writes (binary blocks,
 * count and checksum included).  Collective: every rank opens it and
 * closes it (igr_writer_close(), where the parts travel and the ranks
 * agree before an -o file is renamed into place: io.h
 * igr_out_open_par()).  Header settings matter on rank 0 only.  An
 * ENCODING of IGR_ENC_AUTO follows rank 0's stdout.  Serial runs:
 * igr_writer_open(). */
igr_writer *igr_writer_open_par(const char *path, int kind,
				int encoding) IGR_WUR;

int igr_writer_encoding(const igr_writer *w); /* resolved: BINARY or TSV */
int igr_writer_set_dim(igr_writer *w, uint32_t dim) IGR_WUR;
int igr_writer_set_meta(igr_writer *w, const char *key,
			const char *value) IGR_WUR;
/* Copy the provenance lines of FROM (the stream this one derives from). */
int igr_writer_copy_pg(igr_writer *w, const igr_header *from) IGR_WUR;
/* Append this program's provenance line. */
int igr_writer_add_pg(igr_writer *w, const char *program, const char *version,
		      int argc, char **argv) IGR_WUR;
/* TSV only: print ids as external names through VS (which must outlive
 * the writer).  Ignored for binary output, which always holds dense ids. */
void igr_writer_set_vocab(igr_writer *w, const igr_vocabset *vs);

int igr_write_event(igr_writer *w, const igr_event *e) IGR_WUR;
int igr_write_item(igr_writer *w, const igr_item *it) IGR_WUR;
int igr_write_edge(igr_writer *w, const igr_edge *e) IGR_WUR;
/* N edges at once (as N calls of igr_write_edge). */
int igr_write_edges(igr_writer *w, const igr_edge *e, size_t n) IGR_WUR;
/* Binary writers: room for *ROOM (>= 1) records of
 * igr_writer_recsize() bytes in the current block, to be filled in the
 * stream's layout and then counted with igr_writer_raw_commit(W, N) (N <=
 * *ROOM) before any other write.  NULL on error (also for TSV). */
unsigned char *igr_writer_raw_space(igr_writer *w, size_t *room) IGR_WUR;
void igr_writer_raw_commit(igr_writer *w, size_t n);
uint32_t igr_writer_recsize(const igr_writer *w); /* 0 for TSV */
int igr_write_vector(igr_writer *w, const igr_vector *v) IGR_WUR;
int igr_write_score(igr_writer *w, const igr_score *s) IGR_WUR;
/* Features streams: set the dimension and the names of the values
 * (before the first record; names are 1-64 bytes of [A-Za-z0-9_.], not
 * "user", "item" or "label", distinct).  Sets the "features" meta. */
int igr_writer_set_features(igr_writer *w, uint32_t dim,
			    const char *const *names) IGR_WUR;
int igr_write_pair(igr_writer *w, const igr_pair *p) IGR_WUR;

uint64_t igr_writer_records(const igr_writer *w);

/* Collective, for igr_writer_open_par() (a no-op otherwise): the
 * records ranks > 0 wrote so far follow rank 0's now, in rank order, and
 * what every rank writes next follows them (a stream whose ranks each
 * hold two ranges: igraph-featurize's users, then its items).  0 or -1
 * (a rank failed). */
int igr_writer_gather(igr_writer *w) IGR_WUR;

/* Write the end block (binary) or the '#end' trailer line (TSV) and
 * commit the output; frees W.  0 or -1.  For igr_writer_open_par(), a
 * collective call on every rank (0 on all ranks or -1 on all). */
int igr_writer_close(igr_writer *w) IGR_WUR;
/* Abandon the output (a named file keeps its old contents); frees W. */
void igr_writer_abort(igr_writer *w);

#endif
