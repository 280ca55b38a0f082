/*
 * io.h - buffered input and output for every igraph tool.
 *
 * Input (igr_in): a file or stdin; gzip-compressed input is decompressed
 * transparently (detected from the magic bytes 1f 8b, never from the name).
 * Gzip members one after another are one input; whatever follows the last
 * member that is not another member is passed through as plain bytes
 * (zlib's gzread() would drop it), and gzip data after plain bytes is not
 * decompressed.  A member cut short, or corrupt, is an error.  Each read()
 * is used as it arrives: a pipe's first lines are not held back until a
 * buffer fills.  Lines and raw bytes can be read from the same handle.
 *
 * Output (igr_out): stdout, or a named file written atomically: the data go
 * to "FILE.tmp.PID", which is fsynced and renamed over FILE only by
 * igr_out_close().  Until then FILE keeps its old contents; the temporary
 * file is removed by igr_out_abort(), at exit, and on SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGPIPE and SIGXFSZ (then the signal is re-raised).
 * The replacement gets the mode, and when permitted the owner and group,
 * of the file it replaces.
 *
 * Locks (git's lockfile.h discipline): a named output is locked from the
 * moment it is claimed (igr_out_claim(), or igr_out_open()) until it is
 * renamed into place or discarded, by an flock on "FILE.lock".  A second
 * process that wants to write FILE meanwhile fails at once ("'FILE' is
 * being written by another process").  The kernel drops the flock when
 * its holder dies, so a killed run never blocks the next one; the lock
 * file itself is removed on release, at exit and on the signals above.
 * Holding the lock, the writer removes the "FILE.tmp.PID" files of dead
 * processes (runs killed with SIGKILL).
 *
 * Ownership: igr_in_open()/igr_out_open() return handles the caller owns and
 * releases with igr_in_close() and igr_out_close()/igr_out_abort().  Line
 * pointers returned by igr_in_getline() belong to the handle and are valid
 * until the next read on it.
 */
#ifndef IGR_IO_H
#define IGR_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IGR_WUR __attribute__((warn_unused_result))

/* ---- input ---------------------------------------------------------- */

typedef struct igr_in igr_in;

/* Open PATH for reading; NULL or "-" means stdin.  Returns NULL and sets
 * the error on failure. */
igr_in *igr_in_open(const char *path) IGR_WUR;

/* Open the plain (uncompressed) file PATH at byte OFF, a line start, to
 * read one range of it (ingest on several ranks): no gzip detection;
 * igr_in_offset() counts from the start of the file (OFF, before the
 * first read); the lines are numbered from 2, as though one line came
 * before them, so that none is taken for the file's first line (the
 * caller knows how many lines really come first).  NULL with the error
 * set. */
igr_in *igr_in_open_at(const char *path, uint64_t off) IGR_WUR;

/* A range that stops at the first of the N ascending offsets MARKS where
 * a record starts: with the next record at byte AT, move *I past the
 * marks before AT (those fell inside records) and return 1 if AT is
 * MARKS[*I]. */
int igr_mark_reached(const uint64_t *marks, size_t n, size_t *i,
		     uint64_t at);

/* The name used in messages: the path, or "<stdin>". */
const char *igr_in_name(const igr_in *in);

/* Make at least NEED bytes available at igr_in_ptr() unless the input ends
 * first.  Returns the number available (less than NEED only at end of
 * input), or -1 on a read error. */
ssize_t igr_in_fill(igr_in *in, size_t need) IGR_WUR;
const unsigned char *igr_in_ptr(const igr_in *in);
size_t igr_in_avail(const igr_in *in);
void igr_in_skip(igr_in *in, size_t n); /* n <= igr_in_avail() */

/* Read up to N bytes into BUF; returns the number read (less than N only at
 * end of input) or -1. */
ssize_t igr_in_read(igr_in *in, void *buf, size_t n) IGR_WUR;

/* Read one line.  Returns 1 and sets *LINE (NUL-terminated, newline
 * removed, a trailing CR kept) and *LEN; 0 at end of input; -1 on error
 * (read error, or a line longer than the limit).  A last line without a
 * newline is returned too, and igr_in_partial_line() then reports 1. */
int igr_in_getline(igr_in *in, char **line, size_t *len) IGR_WUR;
int igr_in_partial_line(const igr_in *in);

/* Lines returned so far (the number of the last line returned). */
uint64_t igr_in_lineno(const igr_in *in);

/* Bytes consumed so far (of the decompressed input). */
uint64_t igr_in_offset(const igr_in *in);

/* 1 if the input was gzip-compressed (at least its first member; looks
 * at the first bytes when nothing was read yet). */
int igr_in_is_gzip(const igr_in *in);

void igr_in_close(igr_in *in);

/* The name each rank of a parallel run (par.h) opens for the input PATH:
 * PATH itself, except that standard input ("-") is read by rank 0 alone
 * and its bytes sent to every rank, each of which then reads them from an
 * unlinked temporary file ("/dev/fd/N", in $TMPDIR).  Collective for
 * "-"; at most one input of a run is standard input.  PATH itself in a
 * serial run or when NULL.  NULL with the error set. */
const char *igr_in_par(const char *path) IGR_WUR;

/* A new file "$TMPDIR/NAME.XXXXXX" ($TMPDIR unset or empty: /tmp),
 * unlinked at once so that nothing is left behind whatever happens: its
 * descriptor, or -1 with the error set.  TMPL (CAP bytes) gets its name,
 * for messages. */
int igr_tmp_unlinked(const char *name, char *tmpl, size_t cap) IGR_WUR;

/* ---- output --------------------------------------------------------- */

typedef struct igr_out {
	/* private */
	int fd;
	char *buf;
	size_t len, cap;
	char *path;  /* final name, NULL for stdout */
	char *tmp;   /* temporary name while writing */
	int slot;    /* cleanup registry slot, -1 if none */
	int failed;  /* a write already failed */
	uint64_t written;
	int par;      /* written by every rank (igr_out_open_par) */
	int part;     /* par, rank > 0: a spool of this rank's part */
	int gathered; /* par: igr_out_gather() done */
} igr_out;

/* Open an output: NULL or "-" is stdout; anything else is written
 * atomically (see above).  Returns NULL and sets the error on failure. */
igr_out *igr_out_open(const char *path) IGR_WUR;

/* Name for messages: the path or "<stdout>". */
const char *igr_out_name(const igr_out *out);

int igr_out_write(igr_out *out, const void *p, size_t n) IGR_WUR;
int igr_out_printf(igr_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))) IGR_WUR;
int igr_out_flush(igr_out *out) IGR_WUR;

/* Reserve N contiguous bytes in the buffer and return a pointer to them
 * (NULL on a flush error); igr_out_commit() then says how many were used. */
char *igr_out_space(igr_out *out, size_t n);
static inline void igr_out_commit(igr_out *out, size_t n) { out->len += n; }

/* Flush and finish.  For a file: fsync, rename into place, fsync the
 * directory.  For stdout: flush only (the command closes stdout at exit,
 * see cmd/cli.h).  Frees OUT in every case; returns 0 or -1. */
int igr_out_close(igr_out *out) IGR_WUR;

/* Discard: remove the temporary file (stdout: drop the buffer). Frees OUT. */
void igr_out_abort(igr_out *out);

/* ---- one output from every rank (par.h) ------------------------------ */

/* An output written by every rank of a parallel run, each its part:
 * rank 0 opens PATH as igr_out_open() does, every other rank a spool for
 * its part (igr_tmp_unlinked(), made when the part first has bytes to
 * keep: a rank that writes nothing needs no $TMPDIR).  Every rank then
 * calls igr_out_close(), which is collective: the parts follow rank 0's
 * bytes in rank order, and a named file is renamed into place only when
 * every rank agreed (igr_par_agree) that its part is complete; otherwise
 * its temporary file is removed on every rank's failure alike.  In a
 * serial run this is igr_out_open(). */
igr_out *igr_out_open_par(const char *path) IGR_WUR;

/* 1 if OUT is this rank's part (rank > 0) of such an output: what it
 * writes goes to rank 0's output, not to PATH. */
int igr_out_is_part(const igr_out *out);

/* Collective, at most once per such output, before igr_out_close(): the
 * ranks > 0 send their part (RECORDS records; STATUS -1 says this rank
 * failed); rank 0 hands the parts, in rank order, to SINK(ARG) in pieces
 * of whole UNIT-byte records, and sets *GOT to their record count.
 * igr_out_close() does it with a SINK that appends the bytes to OUT when
 * the caller did not (a stream writer re-blocks them: stream.c).  0 or
 * -1 (a rank failed, a sink error). */
int igr_out_gather(igr_out *out, int status, uint64_t records, size_t unit,
		   int (*sink)(void *arg, const void *p, size_t n), void *arg,
		   uint64_t *got) IGR_WUR;

/* The same in the middle of such an output, any number of times before
 * igr_out_gather() or igr_out_close(): rank 0 appends the bytes each rank
 * > 0 wrote since its last part, and each of those starts a new part
 * (igraph-featurize: every rank's users, then every rank's items).  0 or
 * -1. */
int igr_out_gather_more(igr_out *out, int status, uint64_t records,
			size_t unit,
			int (*sink)(void *arg, const void *p, size_t n),
			void *arg, uint64_t *got) IGR_WUR;

/* Lock FILE for this process now, before its inputs are read, so that a
 * run that reads FILE and writes it back (igraph-featurize --base g -o g)
 * cannot interleave with another.  No-op for stdout ("-" or NULL), a
 * device or FIFO, and a file this process already holds.  Returns 0, or
 * -1 with the error set (held by another process, or the lock file
 * cannot be made). */
int igr_out_claim(const char *path) IGR_WUR;

/* 1 if A and B name the same file: the same inode when both exist, else
 * the same name in the same (resolved) directory. */
int igr_same_file(const char *a, const char *b);

/* Take an exclusive flock on LOCKPATH (created if missing), waiting for
 * it if WAIT, else failing with errno EWOULDBLOCK when it is held.
 * Returns the descriptor that holds the lock (close it to release), or -1
 * with errno set.  The one lock of the code base: outputs and the
 * vocabulary directory (vocab.h) both use it. */
int igr_lock_take(const char *lockpath, int wait);

/* Outputs committed together (igraph-split's train and test): between
 * igr_out_group_begin() and igr_out_group_commit(), igr_out_close() of a
 * named file only writes and syncs it; the commit renames them all into
 * place, and if one rename fails puts back what the earlier targets were
 * (kept meanwhile as hard links "FILE.tmp.PID.old") and returns -1.
 * igr_out_group_abort() discards the pending ones. */
void igr_out_group_begin(void);
int igr_out_group_commit(void) IGR_WUR;
void igr_out_group_abort(void);

/* Write all N bytes to FD, retrying on EINTR and short writes (git's
 * write_in_full).  Returns 0 or -1 with errno set. */
int igr_write_full(int fd, const void *p, size_t n);

/* Remove every pending temporary file now (used by the signal and exit
 * handlers; async-signal-safe). */
void igr_out_cleanup_all(void);

#endif
