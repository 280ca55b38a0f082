/*
 * vocab.h - the vocabulary: external ids <-> dense 32-bit ids.
 *
 * Streams carry dense ids (0, 1, 2, ... per node type).  The vocabulary
 * directory (--vocab DIR) holds one file per node type, user.tsv, item.tsv
 * and category.tsv, in which line N (counting from 0) is the external id of
 * dense id N.  The files are append-only: an id once given never changes,
 * so files ingested one after another share ids.  An entry may carry a
 * second column "forgotten" (an erasure request): the id stays reserved
 * but no tool prints it.
 *
 * igr_vocabset_open() with IGR_VOCAB_WRITE takes an exclusive lock on
 * DIR/.lock for the life of the handle, so two ingests cannot hand out the
 * same id; igr_vocabset_save() rewrites each changed file atomically
 * (temporary file + rename).
 *
 * Integrity: DIR/sums records, per file, its number of ids and the CRC-32
 * of its bytes, so that a damaged or hand-edited file (a line deleted,
 * added, changed or moved; the file cut short) is an error naming the
 * file, never a silent remapping of ids.  Each file has two entries, the
 * committed state and the one before it: a save writes the sums with the
 * new state next to the old, then the files, then the sums with the old
 * state dropped, each step atomic and fsynced, so a crash anywhere leaves
 * files a reader accepts.  A directory without DIR/sums (written before
 * the sums existed, or by hand) is read unchecked (vs->unchecked is set
 * for the command to warn) and gets its sums on the next save.
 *
 * Ownership: handles are owned by the caller (igr_vocab_free,
 * igr_vocabset_close).  Names returned by igr_vocab_name() belong to the
 * vocabulary and live as long as it does.
 */
#ifndef IGR_VOCAB_H
#define IGR_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

#ifndef IGR_NONE
#define IGR_NONE UINT32_MAX /* no id: absent category, unknown name */
#endif

/* Longest external id accepted (bytes). */
#define IGR_VOCAB_MAXLEN 1024

typedef struct igr_vocab igr_vocab;

igr_vocab *igr_vocab_new(void) IGR_WUR;
void igr_vocab_free(igr_vocab *v);

/* Dense id of S (LEN bytes), adding it if new.  Returns 0 and sets *ID, or
 * -1 (empty id, too long, contains a tab/newline/NUL, or the vocabulary is
 * full). */
int igr_vocab_intern(igr_vocab *v, const char *s, size_t len,
		     uint32_t *id) IGR_WUR;

/* Dense id of S, or IGR_NONE if it is not in the vocabulary. */
uint32_t igr_vocab_find(const igr_vocab *v, const char *s, size_t len);

/* External id of ID (NUL-terminated), or NULL if ID is out of range. */
const char *igr_vocab_name(const igr_vocab *v, uint32_t id);

uint32_t igr_vocab_size(const igr_vocab *v);

/* Erasure marks. */
void igr_vocab_forget(igr_vocab *v, uint32_t id);
int igr_vocab_is_forgotten(const igr_vocab *v, uint32_t id);

/* Load a vocabulary file (appending to V); returns 0 or -1. */
int igr_vocab_load(igr_vocab *v, const char *path) IGR_WUR;

/* Write V to PATH atomically. */
int igr_vocab_save(const igr_vocab *v, const char *path) IGR_WUR;

/* ---- the directory of one vocabulary per node type ------------------ */

enum { IGR_VOCAB_READ = 0, IGR_VOCAB_WRITE = 1 };

typedef struct igr_vocabset {
	char *dir;
	igr_vocab *v[3];   /* indexed by enum igr_node_type */
	uint32_t loaded[3]; /* sizes when loaded, to know what changed */
	int forgot[3];      /* erasure marks changed */
	int lockfd;
	int unchecked;      /* no DIR/sums: read without checking */
	int missing;        /* IGR_VOCAB_READ of a DIR that does not exist
			       (yet): empty */
	uint32_t sum_n[3], sum_crc[3]; /* the files as loaded */
} igr_vocabset;

/* Open DIR.  With IGR_VOCAB_WRITE the directory is created if missing and
 * locked; with IGR_VOCAB_READ a directory that does not exist (yet: an
 * ingest upstream in the same pipeline makes it) is an empty vocabulary
 * with vs->missing set, for the command to refuse or to refresh later.
 * Missing files are empty vocabularies. */
igr_vocabset *igr_vocabset_open(const char *dir, int mode) IGR_WUR;

/* Write the files that changed and the sums, durably (every file and the
 * directory fsynced before it returns 0).  Returns 0 or -1. */
int igr_vocabset_save(igr_vocabset *vs) IGR_WUR;

/* Load what a writer committed since VS was opened: the ids appended to
 * each file (and its new erasure marks), checked against DIR/sums like an
 * open.  Names already returned stay valid.  For a reader that meets an id
 * beyond the vocabulary it loaded, once the stream that holds it has
 * ended (its writer commits the vocabulary before the stream's end).
 * Returns 0 or -1. */
int igr_vocabset_refresh(igr_vocabset *vs) IGR_WUR;

/* The warning a command prints for a vocabulary read unchecked (the
 * directory's name twice). */
#define IGR_VOCAB_UNCHECKED_FMT \
	"vocabulary '%s' has no checksums (written by an older igraph): " \
	"read unchecked; the next igraph-ingest --vocab %s adds them"


/* The sizes of the vocabularies of DIR and its forgotten users, without
 * loading the names (a count of lines, for a tool that needs only the id
 * bounds and the erasure marks): SIZE[t] per node type; FORGOT, when not
 * NULL, is called with each forgotten user id (a negative return stops
 * with an error).  No lock is taken; the files are checked against
 * DIR/sums, and *UNCHECKED (when not NULL) set to 1 if there is none.
 * Returns 0 or -1. */
int igr_vocabset_stat(const char *dir, uint32_t size[3],
		      int (*forgot)(void *arg, uint32_t user),
		      void *arg, int *unchecked) IGR_WUR;

/* Release (and unlock); does not save. */
void igr_vocabset_close(igr_vocabset *vs);

/* Seeded 64-bit hash of bytes, used by the vocabulary and other tables. */
uint64_t igr_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
