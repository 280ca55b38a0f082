/*
 * ingest.h - raw behaviour logs and item catalogues into igraph streams
 * (the library behind igraph-ingest(1)).
 *
 * Input formats: CSV and TSV (csvparse.h: quoted fields, CRLF), JSON lines
 * (jsonl.h: ids kept as text), and the adjacency lists of the LightGCN
 * benchmarks ("user item item ...").  gzip input is read transparently
 * (io.h).  A schema says which field holds which role (user, item, ...);
 * it comes from a preset (igr_ingest_schemas()) or from --columns.
 *
 * Every input row ends in exactly one of three counts: accepted (written),
 * duplicate (identical to one of the last W accepted records, dropped), or
 * rejected (with a reason, file:line, and the original row in the rejects
 * file).  Hence rows = accepted + duplicates + rejected, always; the
 * summary (igr_ingest_summary) prints the three.
 *
 * Duplicates: a record is dropped exactly when an identical record (same
 * dense ids, behaviour, value, and time to the millisecond; for items the
 * same category, price and title) is among the last W distinct accepted
 * records (--dedup-window W; 0 turns it off).  Identical records further
 * apart than W are both kept.  The window is exact (keys are compared in
 * full, no hash-only matches) and takes about 52 bytes per record of W.
 *
 * External ids become dense ids through the vocabularies given to
 * igr_ingest_new() (first-seen order); a row is fully checked before any of
 * its ids is added, so a rejected row leaves no id behind (except a row
 * held back for --missing ts=interpolate that finally has no time to
 * interpolate from: its ids stay in the vocabulary, unused, harmless).
 *
 * Ownership: the caller owns the writer, the vocabularies and the rejects
 * output and keeps them alive until igr_ingest_free().  The strings of the
 * config are read by igr_ingest_new() only.
 */
#ifndef IGR_INGEST_H
#define IGR_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "stream.h"
#include "vocab.h"

enum igr_informat {
	IGR_FMT_DEFAULT = 0,
	IGR_FMT_CSV,
	IGR_FMT_TSV,
	IGR_FMT_JSONL,
	IGR_FMT_ADJLIST,
};

/* The roles a field can play. */
enum igr_role {
	IGR_ROLE_USER = 0,
	IGR_ROLE_ITEM,
	IGR_ROLE_CATEGORY,
	IGR_ROLE_BEHAVIOR,
	IGR_ROLE_TS,
	IGR_ROLE_OFFSET_MS, /* milliseconds added to ts (Diginetica) */
	IGR_ROLE_VALUE,
	IGR_ROLE_PRICE,
	IGR_ROLE_TITLE,
	IGR_NROLE
};

const char *igr_role_name(int role);
int igr_role_parse(const char *s, size_t len);

/* ---- times ------------------------------------------------------------ */

enum igr_timekind {
	IGR_TF_AUTO = 0, /* Unix seconds (fraction allowed) or ISO 8601 */
	IGR_TF_S,        /* Unix seconds, optional fraction */
	IGR_TF_MS,       /* Unix milliseconds */
	IGR_TF_US,       /* Unix microseconds */
	IGR_TF_ISO,      /* ISO 8601: date, date-time, zone; "YYYYMMDD";
			    "YYYY-MM-DD HH" */
	IGR_TF_DAYS,     /* day numbers after an epoch (fraction allowed) */
	IGR_TF_PATTERN,  /* strptime(3) pattern */
	IGR_TF_POSITION, /* no field: ts = the record's position, 1, 2, ... */
	IGR_TF_NONE,     /* no field: ts = 0 */
};

typedef struct igr_timefmt {
	int kind;
	int64_t epoch_ms;   /* IGR_TF_DAYS: time of day 0 */
	int64_t offset_s;   /* zone of times written without one */
	char pattern[64];   /* IGR_TF_PATTERN */
} igr_timefmt;

/* Parse a --time-format value ("s", "ms", "us", "iso", "days", "auto",
 * "position", "none", or a pattern with '%').  0 or -1 with a message. */
int igr_timefmt_set(igr_timefmt *tf, const char *spec);

/* A time as milliseconds since 1970 UTC.  0, or -1 (no message). */
int igr_time_parse(const igr_timefmt *tf, const char *s, size_t len,
		   int64_t *ms);

/* "+08:00", "-0530", "Z", "UTC" into seconds east of UTC.  0 or -1. */
int igr_utc_offset_parse(const char *s, int64_t *sec);

/* Floor of MS / 1000 (times before 1970 round down too). */
static inline int64_t igr_ms_to_s(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* ---- duplicate window ------------------------------------------------- */

#define IGR_DEDUP_KEY 32
#define IGR_DEDUP_MAX (1u << 30) /* the longest window */

typedef struct igr_dedup igr_dedup;

/* A window of the last WINDOW distinct keys (0: never finds anything).
 * Memory grows with use up to about 48 * WINDOW bytes. */
igr_dedup *igr_dedup_new(uint64_t window) IGR_WUR;

/* 1 if KEY (IGR_DEDUP_KEY bytes) is in the window; otherwise adds it
 * (evicting the oldest key when full) and returns 0; -1 out of memory. */
int igr_dedup_check(igr_dedup *d, const unsigned char *key) IGR_WUR;

/* The same in pieces, so that a batch of records can prefetch their table
 * slots first: the hash of a key, a prefetch of its slot (and of the slot
 * that the AHEAD-th next insertion evicts), and the check given the hash. */
uint32_t igr_dedup_hash(const unsigned char *key);
void igr_dedup_prefetch(const igr_dedup *d, uint32_t h, unsigned ahead);
int igr_dedup_check_h(igr_dedup *d, const unsigned char *key,
		      uint32_t h) IGR_WUR;

void igr_dedup_free(igr_dedup *d);

/* The window's size W as set (capped at IGR_DEDUP_MAX); the keys it holds, oldest
 * first, into OUT (IGR_DEDUP_KEY bytes each; NULL: only counted): their
 * number.  Checking them in that order into a new window of the same W
 * makes its copy, which decides every later key alike. */
uint64_t igr_dedup_window(const igr_dedup *d);
size_t igr_dedup_keys(const igr_dedup *d, unsigned char *out);

/* ---- missing values --------------------------------------------------- */

enum igr_missing {
	IGR_MISS_DEFAULT = 0, /* the role's default (see igraph-ingest(1)) */
	IGR_MISS_REJECT,
	IGR_MISS_FILL,        /* a fixed value */
	IGR_MISS_NONE,        /* category, price, title, offset_ms: absent */
	IGR_MISS_PREVIOUS,    /* ts: the previous row's time */
	IGR_MISS_INTERPOLATE, /* ts: linear between the neighbouring rows */
};

/* ---- schemas ---------------------------------------------------------- */

#define IGR_MAX_BMAP 32

typedef struct igr_bmap {
	char from[64];
	int to; /* enum igr_behavior */
} igr_bmap;

/* One concrete layout.  Columns are 0-based field numbers (-1: unmapped);
 * for JSON lines and named CSV columns, names[] holds the key. */
typedef struct igr_layout {
	const char *desc;     /* e.g. "u.data (MovieLens 100K)" */
	int format;
	int delim;            /* CSV/TSV */
	int quote;            /* '"' or IGR_CSV_NOQUOTE */
	const char *header;   /* exact header line (delimited), or NULL */
	int has_header;
	int nfields;          /* exact field count, 0: at least enough */
	int col[IGR_NROLE];
	const char *names[IGR_NROLE];
	const char *behaviors; /* "pv=view,..." or NULL: igraph names */
	int behavior;          /* when there is no behavior column */
	const char *time_format;
	const char *na;        /* extra missing markers, "NA,NULL" */
	char cat_list_sep;     /* category = first element of a list */
	int latin1;            /* the file is ISO 8859-1, not UTF-8 */
} igr_layout;

typedef struct igr_schema {
	const char *name;
	const char *desc;
	int kind;                /* IGR_KIND_EVENTS or IGR_KIND_ITEMS */
	const igr_layout *layouts; /* first match by header, then by field
				      count; the first without a header is
				      the fallback */
	int nlayouts;
} igr_schema;

/* The presets, terminated by an entry with a NULL name. */
const igr_schema *igr_ingest_schemas(void);
const igr_schema *igr_ingest_schema_find(const char *name, int kind);

/* ---- the ingest run --------------------------------------------------- */

/* Called for each reject: WHERE is "file:line", REASON the message. */
typedef void (*igr_reject_fn)(void *ctx, const char *where,
			      const char *reason);

struct igr_ingest_stats;

typedef struct igr_ingest_config {
	int kind;               /* IGR_KIND_EVENTS (default) or ITEMS */
	const char *schema;     /* preset name, or NULL */
	int format;             /* IGR_FMT_*; DEFAULT: the preset's, or CSV */
	const char *columns;    /* "user=2,item=4" (1-based) or names */
	const char *behaviors;  /* "view=view,addtocart=cart" */
	const char *behavior;   /* behaviour of rows without the column */
	const char *time_format;
	const char *epoch;      /* day 0 for --time-format days */
	const char *utc_offset; /* zone of zone-less times */
	int header;             /* -1 default, 0 none, 1 first line */
	int delim;              /* -1 default */
	int quote;              /* -2 default, IGR_CSV_NOQUOTE, or a byte */
	const char *na;         /* extra missing markers */
	int latin1;             /* -1 default, 0 UTF-8, 1 ISO 8859-1 */
	int trim;               /* strip spaces and tabs around fields */
	const char *missing;    /* "category=unknown,ts=reject" */
	int has_min_time, has_max_time;
	int64_t min_time, max_time; /* Unix seconds, inclusive / exclusive */
	/* the horizon: an event after now + max_future is a reject ("time in
	 * the future"); now is the clock unless has_now; max_future is in
	 * seconds (default 86400, INFINITY: no horizon) */
	int has_now;
	int64_t now;
	double max_future;
	size_t max_field;       /* longest field in bytes, 0: 1024 */
	uint64_t dedup_window;
	int strict;
	int max_rejects_kind;   /* 0 none, 1 count, 2 fraction */
	uint64_t max_rejects;
	double max_reject_frac;
	const char *pseudonymize; /* key file */
	igr_out *rejects;       /* --rejects output, or NULL */
	igr_reject_fn on_reject;
	/* every 65536 rows: the counts and the bytes read of this input */
	void (*on_progress)(void *ctx, const struct igr_ingest_stats *st,
			    uint64_t offset);
	void *reject_ctx;       /* passed to both callbacks */
} igr_ingest_config;

/* Defaults for every field. */
void igr_ingest_config_init(igr_ingest_config *cfg);

typedef struct igr_ingest_stats {
	uint64_t rows, accepted, duplicates, rejected;
	uint64_t behavior[IGR_NBEHAVIOR]; /* accepted, per behaviour */
	uint64_t filled;        /* missing values filled */
	uint64_t interpolated;  /* times interpolated or carried forward */
	uint64_t headers, blank, empty_users; /* lines that are not rows */
	uint64_t boms;          /* byte order marks after the first line
				   (skipped: a file appended to another) */
	uint64_t partial_files; /* inputs whose last line had no newline */
	uint64_t reasons[24];   /* rejects per reason (igr_ingest_reason) */
	uint64_t bytes;
	uint32_t nodes[IGR_NNODE], new_nodes[IGR_NNODE];
	int64_t min_ts, max_ts; /* of accepted events */
	int files;
} igr_ingest_stats;

/* Short name of reject reason I ("bad time", ...), or NULL past the end. */
const char *igr_ingest_reason(int i);

typedef struct igr_ingest igr_ingest;

/* Check CFG and set up a run writing to W through the vocabularies V
 * (user, item, category; borrowed).  NULL on error, with *USAGE set to 1
 * when the configuration itself is wrong (a usage error). */
igr_ingest *igr_ingest_new(const igr_ingest_config *cfg, igr_vocab *v[3],
			   igr_writer *w, int *usage) IGR_WUR;

/* Ingest one input (NULL or "-": stdin).  0, or -1 on a fatal error: a
 * read or write error, --strict and a reject, too many rejects. */
int igr_ingest_file(igr_ingest *ig, const char *path) IGR_WUR;

/* Ingest an input already open (the fuzz targets use it). */
int igr_ingest_input(igr_ingest *ig, igr_in *in) IGR_WUR;

/* After the last input: write what is held back for interpolation and
 * apply the --max-rejects fraction.  0 or -1. */
int igr_ingest_finish(igr_ingest *ig) IGR_WUR;

const igr_ingest_stats *igr_ingest_get_stats(const igr_ingest *ig);

/* The -v summary (without the program name) into BUF. */
void igr_ingest_summary(const igr_ingest *ig, char *buf, size_t n);

/* Describe the layout(s) in use as "#meta" values: "schema", "format". */
const char *igr_ingest_schema_name(const igr_ingest *ig);

/* The delimiter and quote character of the (first) layout; the quote is
 * IGR_CSV_NOQUOTE when a record is always one line (csvparse.h). */
void igr_ingest_dialect(const igr_ingest *ig, int *delim, int *quote);

void igr_ingest_free(igr_ingest *ig);

/* ---- several ranks (ingest_par.c; par.h) ------------------------------ */

/* Ingest the N inputs FILES on every rank of the run (collective; on one
 * rank, or serial, igr_ingest_file() of each in turn).  The inputs, one
 * after another, are cut into one share a rank balanced by bytes: a
 * plain (not gzip) file is cut inside where a share ends (at the start
 * of the next line), a gzip file only before or after it.  Each rank > 0
 * reads and checks its files and ranges in record mode and sends rank 0
 * the log of its rows and rejects; rank 0 reads its own, then replays
 * the logs in rank order as they arrive, a piece at a time (never
 * holding them all), so the ids (first-seen
 * order), the duplicates, the rejects (file:line, messages, the rejects
 * file), the counts and the stream are those of the serial run, and only
 * rank 0 writes them (W: this rank's writer; rank 0's holds every
 * record; --time-format position counts on from the rows before).
 * A range that starts inside a record (a quoted field's line break)
 * is found out by the range before it, which reads on to the next cut
 * where a record starts; rank 0 skips the rows of the range it covered.
 * Standard input is the caller's to refuse (igr_ingest_par_refuse()).
 * Returns the same on
 * every rank: 0, or -1 (on rank 0 the serial run's message; elsewhere
 * "rank 0 failed"). */
int igr_ingest_files_par(igr_ingest *ig, char **files, int n) IGR_WUR;

/* What several ranks cannot ingest exactly as one does: NULL, or the
 * reason (a static string) for FILES.  Standard input (read once, by
 * rank 0 only) is refused. */
const char *igr_ingest_par_refuse(char **files, int n);

/* The pieces: record mode (rows checked, then logged instead of being
 * given ids; rejects logged instead of counted; the log kept in memory up
 * to SPILL bytes at a time, then written on to an unlinked temporary file
 * in $TMPDIR, so that a rank's memory does not grow with its share of
 * the rows; SPILL 0: all in memory), an input read in that mode, the log
 * so far (borrowed: in memory at *P, *FD -1; or, once spilled, the first
 * *LEN bytes of the file *FD, *P NULL; -1 when it could not grow, saying
 * why), and its replay into a run that is not recording.  0 or -1. */
#define IGR_INGEST_LOG_SPILL ((size_t)64 << 20)
void igr_ingest_record(igr_ingest *ig, size_t spill);
int igr_ingest_file_logged(igr_ingest *ig, const char *path) IGR_WUR;
/* Ranges of a plain file: read PATH from byte START (a line start; 0: the
 * start, header and all; after it the layout and header come from the
 * file's first line, read apart) up to the first of the N offsets MARKS
 * (ascending line starts after START, borrowed) at which a record
 * starts, or to its end; a mark inside a record is passed over.  The
 * logged form (record mode) may start anywhere; its line numbers are
 * made absolute by the replay, which knows the lines of the ranges
 * before.  The direct form reads from the start only; when it stops at
 * a mark its last rows wait for the replay of the next range.  0 or -1. */
int igr_ingest_range(igr_ingest *ig, const char *path, const uint64_t *marks,
		     size_t n) IGR_WUR;
int igr_ingest_range_logged(igr_ingest *ig, const char *path, uint64_t start,
			    const uint64_t *marks, size_t n) IGR_WUR;
int igr_ingest_log(igr_ingest *ig, const void **p, int *fd,
		   uint64_t *len) IGR_WUR;
int igr_ingest_replay(igr_ingest *ig, const void *log, size_t len) IGR_WUR;
/* A log may be replayed in consecutive pieces of whole entries: the
 * bytes of the whole entries at the start of LOG (LEN bytes; all of
 * them when they are not a log, for the replay to refuse). */
size_t igr_ingest_log_whole(const void *log, size_t len);

/* After every rank has read its share and igr_ingest_resolvable() holds
 * on all (collective): each rank > 0 gives its logged rows their ids and
 * decides their duplicates, as the serial run would, and rewrites its
 * log with the rows resolved ('D', 'U'); the vocabulary gets the new
 * names (rank 0); rank 0's replay then only writes and counts them.
 * 0, or -1 (this rank failed or another did). */
int igr_ingest_resolve(igr_ingest *ig) IGR_WUR;

/* Resolving on the ranks (ingest_resolve.c): the pieces of the run it
 * needs.  A log is walked entry by entry: igr_ingest_log_next() fills
 * ROW with the entry at *AT (its tag and bytes; for a row, 'R', its
 * fields: the ids as read, not yet pseudonymized) and moves *AT past it:
 * 1, 0 at END, -1 on a bad log.  A log kept in a file is read through
 * igr_ingest_log_view() (MEM itself when not NULL, else a read-only
 * mapping of FD's first LEN bytes, *MAP set for
 * igr_ingest_log_unview(); NULL on error). */
struct igr_ingest_logrow {
	int tag;
	const unsigned char *p; /* the entry's bytes */
	size_t n;
	int has, behavior, tstate, pos, fills;
	int64_t ms;
	float value, price;
	uint64_t line;    /* counted from its range's start */
	const char *s[3]; /* user, item, category (has bit t) */
	size_t len[3];
	const char *raw, *title; /* the row as shown (times decided
				    later), an item's title */
	size_t rawlen, tlen;
};
int igr_ingest_log_next(const unsigned char **at, const unsigned char *end,
			struct igr_ingest_logrow *row) IGR_WUR;
const unsigned char *igr_ingest_log_view(const void *mem, int fd,
					 uint64_t len, void **map);
void igr_ingest_log_unview(void *map, uint64_t len);
/* The mapping's pages [OFF, OFF + LEN) (OFF page-aligned) given back
 * (they are read again from the file if needed). */
void igr_ingest_log_release(void *map, uint64_t off, uint64_t len);

/* 1 if this rank's part can be resolved where it was read: an events
 * run; on a recording rank, a log whose rows have their own times (not
 * the row before's, interpolated or the position), with no input that
 * failed and no reject that could stop the run (--strict,
 * --max-rejects N); on rank 0, nothing held back for interpolation. */
int igr_ingest_resolvable(igr_ingest *ig);

/* The log so far handed over (as igr_ingest_log() gives it, but the
 * caller's: free *MEM, close *FD) and a new one begun; then entries
 * copied into it as they were, a row as resolved ('D' the event E, or
 * 'U' a duplicate; igr_ingest_replay() writes and counts them), and
 * whether the new log could grow (0, or -1 saying why). */
int igr_ingest_log_detach(igr_ingest *ig, void **mem, int *fd,
			  uint64_t *len) IGR_WUR;
void igr_ingest_log_copy(igr_ingest *ig, const struct igr_ingest_logrow *row);
void igr_ingest_log_resolved(igr_ingest *ig,
			     const struct igr_ingest_logrow *row,
			     const igr_event *e, int dup);
int igr_ingest_log_ok(const igr_ingest *ig) IGR_WUR;

/* Whether user ids are pseudonymized; the user id a row's user field
 * becomes (its pseudonym under --pseudonymize, written to BUF; *LEN
 * updated). */
#define IGR_INGEST_NAME_BUF 33
int igr_ingest_pseudonymizes(const igr_ingest *ig);
const char *igr_ingest_user_name(igr_ingest *ig, const char *s, size_t *len,
				 char buf[IGR_INGEST_NAME_BUF]);

/* The 32-byte duplicate key of event E at time MS (ms). */
void igr_ingest_event_key(unsigned char *k, const igr_event *e, int64_t ms);

/* Rank 0: the rows read but not yet given ids written now (as the next
 * range's first rows would have); the duplicate window; the
 * dense id of name S of node TYPE (IGR_NONE: not known); S interned; the
 * number of ids of TYPE.  Every rank: where the last range read ended,
 * and whether at a mark (the next range goes on with the file). */
int igr_ingest_flush(igr_ingest *ig) IGR_WUR;
igr_dedup *igr_ingest_window(igr_ingest *ig);
uint32_t igr_ingest_lookup(igr_ingest *ig, int type, const char *s,
			   size_t len);
int igr_ingest_intern(igr_ingest *ig, int type, const char *s, size_t len,
		      uint32_t *id) IGR_WUR;
uint32_t igr_ingest_nids(const igr_ingest *ig, int type);
void igr_ingest_range_end(const igr_ingest *ig, uint64_t *end, int *more);

/* ---- pieces exposed for the unit tests and fuzz targets --------------- */

/* An index of external ids to dense ids kept in front of a vocabulary,
 * one cache line per lookup (ingest_ids.c).  Hashes come from
 * igr_idtab_hash().  find: 1 (and *ID) or 0; add: 0 or -1. */
typedef struct igr_idtab igr_idtab;
igr_idtab *igr_idtab_new(void) IGR_WUR;
uint64_t igr_idtab_hash(const char *s, size_t len);
int igr_idtab_find(const igr_idtab *t, const char *s, size_t len,
		   uint64_t h, uint32_t *id);
void igr_idtab_prefetch(const igr_idtab *t, uint64_t h);
int igr_idtab_add(igr_idtab *t, const char *s, size_t len, uint64_t h,
		  uint32_t id) IGR_WUR;
void igr_idtab_free(igr_idtab *t);

/* 1 if S is valid UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF), else 0. */
int igr_utf8_valid(const char *s, size_t len);

/* Parse "--columns": "user=2,item=4" (1-based) or "user=userId".  Fills
 * COL (0-based, -1 unmapped) and NAMES (pointers into a copy in *STORE,
 * which the caller frees).  0 or -1 with a message. */
int igr_columns_parse(const char *spec, int col[IGR_NROLE],
		      const char *names[IGR_NROLE], char **store);

/* Parse "--behaviors": "pv=view,cart=cart"; returns the number of entries
 * or -1 with a message. */
int igr_behaviors_parse(const char *spec, igr_bmap *map, int max);

#endif
