/*
 * error.h - how the igraph library reports errors.
 *
 * The library never prints and never exits.  A function that fails records
 * a message (and the errno that caused it, if any) in a per-thread slot and
 * returns -1 (or NULL).  The command that called it reads the message with
 * igr_errmsg() and reports it as "igraph-TOOL: message".
 *
 * Messages follow the project convention: lowercase, no trailing full stop,
 * "file:line: what" where a file and line are known.
 */
#ifndef IGR_ERROR_H
#define IGR_ERROR_H

#include <stdarg.h>

/* Record an error message; always returns -1 so callers can
 * `return igr_error("...")`.  errno-derived errors use igr_syserror(). */
int igr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like igr_error() but appends ": strerror(errno)" and remembers errno. */
int igr_syserror(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the current message with "prefix: " (used to add a file name to a
 * message raised deeper down).  Returns -1. */
int igr_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message recorded on this thread ("" if none).  The string is
 * owned by the library and valid until the next error on this thread. */
const char *igr_errmsg(void);

/* The errno saved with the last message (0 if it was not a system error).
 * Commands use it to re-raise SIGPIPE on EPIPE. */
int igr_errno(void);

/* Forget the last error. */
void igr_error_clear(void);

#endif
