/* report.c - see report.h. */
#include "report.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static void emit(void (*fn)(void *, const char *), void *arg,
		 const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof buf, fmt, ap);
	fn(arg, buf);
}

void igr_report_progress(const igr_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r == NULL || r->progress == NULL)
		return;
	va_start(ap, fmt);
	emit(r->progress, r->arg, fmt, ap);
	va_end(ap);
}

void igr_report_progress_done(const igr_report *r)
{
	if (r != NULL && r->progress != NULL)
		r->progress(r->arg, NULL);
}

void igr_report_info(const igr_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r == NULL || r->info == NULL)
		return;
	va_start(ap, fmt);
	emit(r->info, r->arg, fmt, ap);
	va_end(ap);
}
