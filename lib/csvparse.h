/*
 * csvparse.h - delimited records (CSV, TSV) read from an igr_in.
 *
 * A record is one line, or several when a quoted field holds a line break.
 * Lines without the quote character are split on the delimiter directly
 * (the fast path, which is what makes ingest run at disk speed); a line
 * with a quote goes through libcsv in strict mode (RFC 4180 quoting: a
 * field that starts with the quote ends at the matching quote, "" inside
 * it is one quote, and a quote anywhere else is an error).  The two paths
 * give the same fields for any line both can read: neither trims spaces,
 * both drop one CR before the line's newline (CRLF files), and a bare CR
 * inside a line is data.  A UTF-8 byte order mark opening the input is
 * skipped.  tests/fuzz/fuzz_csv.c checks that they agree.
 *
 * A malformed record never stops the reader: it is returned with a reason
 * (igr_csvrec.bad) so the caller can reject it with file and line.  When a
 * quoted field is not closed within IGR_CSV_MAX_LINES lines or
 * IGR_CSV_MAX_BYTES bytes, or before the end of input, only the line that
 * opened it is returned as bad and reading resumes at the next line: a
 * stray quote costs one line, never the rest of the file.
 *
 * Ownership: the reader borrows the igr_in (the caller closes it after
 * igr_csv_free()).  Field and raw pointers in a returned record belong to
 * the reader and are valid until its next call.
 */
#ifndef IGR_CSVPARSE_H
#define IGR_CSVPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

#define IGR_CSV_MAX_LINES 100
#define IGR_CSV_MAX_BYTES ((size_t)1 << 20)
#define IGR_CSV_NOQUOTE (-1)

typedef struct igr_field {
	const char *p;  /* not NUL-terminated */
	size_t len;
} igr_field;

typedef struct igr_csvrec {
	igr_field *f;     /* nf fields */
	size_t nf;
	const char *raw;  /* the record's text: lines joined by '\n', the
			     final CR and newline removed */
	size_t rawlen;
	uint64_t lineno;  /* line of the input where the record starts */
	int nlines;       /* physical lines it spans */
	const char *bad;  /* NULL, or why the record cannot be split */
	int bom;          /* a UTF-8 byte order mark began the record after
			     the first line (a file appended to another:
			     `cat a.csv b.csv`); it is not in raw or f */
} igr_csvrec;

typedef struct igr_csv igr_csv;

/* A reader of IN with delimiter DELIM and quote character QUOTE
 * (IGR_CSV_NOQUOTE: quotes are data).  NULL on error. */
igr_csv *igr_csv_new(igr_in *in, int delim, int quote) IGR_WUR;

/* Change the dialect before the next record (after a peek, say). */
void igr_csv_set_dialect(igr_csv *c, int delim, int quote);

/* The next record: 1 (in *REC), 0 at the end of input, -1 on a read
 * error.  Blank lines are skipped and counted (igr_csv_blank_lines). */
int igr_csv_next(igr_csv *c, igr_csvrec *rec) IGR_WUR;

/* The next non-blank line without consuming it (CR removed): 1, 0 at the
 * end, -1 on error.  The pointer is valid until the next call. */
int igr_csv_peek_line(igr_csv *c, const char **line, size_t *len) IGR_WUR;

uint64_t igr_csv_blank_lines(const igr_csv *c);

/* A range of the input (ingest on several ranks): stop before the first
 * record that starts exactly at one of the N input offsets MARKS
 * (ascending line starts, borrowed; igr_in_offset() terms); igr_csv_next()
 * then returns 0.  A mark that falls inside a record (a quoted field's
 * line break) is passed over: the range goes on to the next.  Blank lines
 * at or after the mark are left for the next range.  N 0: no marks. */
void igr_csv_set_marks(igr_csv *c, const uint64_t *marks, size_t n);

/* After igr_csv_next() returned 0: 1 if it stopped at a mark, else 0 (the
 * end of input).  *OFF gets where the next line would start (the mark),
 * *LINENO its number; either may be NULL. */
int igr_csv_stopped(const igr_csv *c, uint64_t *off, uint64_t *lineno);

void igr_csv_free(igr_csv *c);

/* Split one line (no newline) into at most MAXF fields without quote
 * processing; returns the number of fields (MAXF + 1 if there are more).
 * Used by the fast path and by format detection. */
size_t igr_csv_split_plain(const char *line, size_t len, int delim,
			   igr_field *f, size_t maxf);

#endif
