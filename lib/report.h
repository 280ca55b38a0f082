/*
 * report.h - how the library tells the command what it is doing.
 *
 * The library never prints (liblinear's set_print_string_function is the
 * model): a long computation reports through the functions the caller
 * put in an igr_report, and the command (cmd/cli.c igr_cli_report())
 * decides whether and where they are shown.  Any member may be NULL:
 * that kind of message is dropped, at the cost of one test.
 *
 *   progress  a transient status line ("epoch 3/40, ..."); the command
 *             overwrites it in place and rate-limits it.  A NULL message
 *             ends the progress display.
 *   info      a line of the -v summary.
 *
 * The messages are complete lines without the program name or newline.
 * They are valid only during the call.
 */
#ifndef IGR_REPORT_H
#define IGR_REPORT_H

typedef struct igr_report {
	void (*progress)(void *arg, const char *msg);
	void (*info)(void *arg, const char *msg);
	void *arg;
} igr_report;

/* printf-style calls of R's members; no-ops when R or the member is
 * NULL (the message is not even formatted). */
void igr_report_progress(const igr_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void igr_report_progress_done(const igr_report *r);
void igr_report_info(const igr_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
