/* error.c - per-thread error slot (see error.h). */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define IGR_ERRLEN 1024

static _Thread_local char errbuf[IGR_ERRLEN];
static _Thread_local int errsave;

int igr_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	errsave = 0;
	return -1;
}

int igr_syserror(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	if (n < sizeof errbuf - 3)
		snprintf(errbuf + n, sizeof errbuf - n, ": %s", strerror(e));
	errsave = e;
	return -1;
}

int igr_error_prefix(const char *fmt, ...)
{
	char tmp[IGR_ERRLEN], pre[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(tmp, errbuf, sizeof tmp);
	snprintf(errbuf, sizeof errbuf, "%.200s: %.800s", pre, tmp);
	return -1;
}

const char *igr_errmsg(void)
{
	return errbuf;
}

int igr_errno(void)
{
	return errsave;
}

void igr_error_clear(void)
{
	errbuf[0] = '\0';
	errsave = 0;
}
