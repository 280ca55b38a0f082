/*
 * inject.c - an LD_PRELOAD shim that makes system calls fail on demand, to
 * test that igraph reports I/O failures instead of losing data (the idea of
 * jq's src/inject_errors.c).
 *
 * IGR_INJECT is a comma-separated list of CALL[@N]=ERRNO entries:
 *   write@4096=EIO     write() fails with EIO once 4096 bytes were written
 *   read@100=EIO       read() fails after 100 bytes were read
 *   fsync=EIO          every fsync() fails
 *   rename=EXDEV       every rename() fails
 *   rename@2=EIO       only the 2nd rename() fails (the others work: a
 *                      commit of several files, then its undo)
 *   close=EIO          close() of a regular file opened for writing fails
 *                      (the descriptor is closed all the same, as after
 *                      a delayed NFS write error)
 *   close@2=EIO        only the 2nd such close() fails
 *   pread=EIO          every pread() fails (a rank of an MPI run that
 *                      cannot read back its part of an output)
 *   filewrite=KILL     the first write() to a regular file kills the
 *                      process (SIGKILL: a rank of an MPI run dying in
 *                      the middle; "filewrite" counts and fails like
 *                      "write", but only on regular files, so MPI's own
 *                      sockets and pipes keep working)
 * Only file descriptors above 2 are affected for write (stdout and stderr
 * keep working so the test can read the messages) unless CALL is "write1"
 * (stdout only).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct rule {
	char call[16];
	long long after; /* bytes before the failure; -1: always */
	int err;
};

static struct rule rules[8];
static int nrules = -1;
static long long nwritten, nwritten1, nread;

static int errno_of(const char *s)
{
	if (strcmp(s, "EIO") == 0)
		return EIO;
	if (strcmp(s, "ENOSPC") == 0)
		return ENOSPC;
	if (strcmp(s, "EXDEV") == 0)
		return EXDEV;
	if (strcmp(s, "EACCES") == 0)
		return EACCES;
	if (strcmp(s, "EPIPE") == 0)
		return EPIPE;
	if (strcmp(s, "KILL") == 0)
		return -SIGKILL;
	return EIO;
}

static void load(void)
{
	const char *env = getenv("IGR_INJECT");
	char buf[512], *tok, *save;

	nrules = 0;
	if (env == NULL)
		return;
	snprintf(buf, sizeof buf, "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok && nrules < 8;
	     tok = strtok_r(NULL, ",", &save)) {
		struct rule *r = &rules[nrules];
		char *eq = strchr(tok, '='), *at;
		if (eq == NULL)
			continue;
		*eq = '\0';
		r->err = errno_of(eq + 1);
		r->after = -1;
		at = strchr(tok, '@');
		if (at != NULL) {
			*at = '\0';
			r->after = atoll(at + 1);
		}
		snprintf(r->call, sizeof r->call, "%s", tok);
		nrules++;
	}
}

static const struct rule *find(const char *call)
{
	int i;

	if (nrules < 0)
		load();
	for (i = 0; i < nrules; i++)
		if (strcmp(rules[i].call, call) == 0)
			return &rules[i];
	return NULL;
}

static int regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	const struct rule *r;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
								     "write");
	if (fd > 2 && ((r = find("write")) != NULL ||
		       ((r = find("filewrite")) != NULL && regular(fd))) &&
	    (r->after < 0 || nwritten + (long long)n > r->after)) {
		if (r->err == -SIGKILL)
			raise(SIGKILL);
		errno = r->err;
		return -1;
	}
	if (fd == 1 && (r = find("write1")) != NULL &&
	    (r->after < 0 || nwritten1 + (long long)n > r->after)) {
		errno = r->err;
		return -1;
	}
	{
		ssize_t w = real(fd, buf, n);
		if (w > 0 && fd > 2)
			nwritten += w;
		if (w > 0 && fd == 1)
			nwritten1 += w;
		return w;
	}
}

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	const struct rule *r;
	ssize_t got;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	r = find("read");
	if (r != NULL && r->after >= 0 && nread >= r->after) {
		errno = r->err;
		return -1;
	}
	got = real(fd, buf, n);
	if (got > 0)
		nread += got;
	return got;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);
	const struct rule *r = find("pread");

	if (r != NULL) {
		errno = r->err;
		return -1;
	}
	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(
			RTLD_NEXT, "pread");
	return real(fd, buf, n, off);
}

int fsync(int fd)
{
	static int (*real)(int);
	const struct rule *r = find("fsync");

	if (r != NULL) {
		errno = r->err;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

int rename(const char *a, const char *b)
{
	static int (*real)(const char *, const char *);
	static long long nrename;
	const struct rule *r = find("rename");

	nrename++;
	if (r != NULL && (r->after < 0 || r->after == nrename)) {
		errno = r->err;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
								  "rename");
	return real(a, b);
}

int close(int fd)
{
	static int (*real)(int);
	static long long nclose;
	const struct rule *r = find("close");
	int fl;
	struct stat st;

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (r == NULL || fd <= 2)
		return real(fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return real(fd);
	nclose++;
	if (r->after >= 0 && r->after != nclose)
		return real(fd);
	real(fd);
	errno = r->err;
	return -1;
}
