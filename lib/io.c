/* io.c - buffered input through zlib, atomic buffered output (see io.h). */
#include "io.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IN_BUFSIZE (1u << 20)
#define IN_MAXLINE ((size_t)256 << 20)
#define OUT_BUFSIZE (1u << 20)

struct igr_in {
	gzFile gz;
	char *name;
	unsigned char *buf;
	size_t cap, pos, end;
	int eof;
	int partial;
	int gzip;
	uint64_t lineno;
	uint64_t consumed; /* bytes before buf[pos] */
};

igr_in *igr_in_open(const char *path)
{
	igr_in *in;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		if (fd < 0)
			return igr_syserror("cannot read stdin"), NULL;
		path = NULL;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return igr_syserror("cannot open '%s'", path), NULL;
	}
	in = calloc(1, sizeof *in);
	if (in == NULL) {
		close(fd);
		return igr_error("out of memory"), NULL;
	}
	in->name = strdup(path ? path : "<stdin>");
	in->cap = IN_BUFSIZE;
	in->buf = malloc(in->cap + 1);
	in->gz = gzdopen(fd, "rb");
	if (in->name == NULL || in->buf == NULL || in->gz == NULL) {
		if (in->gz == NULL)
			close(fd);
		else
			gzclose(in->gz);
		free(in->name);
		free(in->buf);
		free(in);
		return igr_error("out of memory"), NULL;
	}
	gzbuffer(in->gz, 1u << 17);
	return in;
}

const char *igr_in_name(const igr_in *in)
{
	return in->name;
}

/* Read more bytes after buf[end]; returns bytes added, 0 at EOF, -1. */
static ssize_t in_refill(igr_in *in)
{
	int n, err;
	size_t room;

	if (in->eof)
		return 0;
	if (in->pos > 0 && in->pos == in->end) {
		in->consumed += in->pos;
		in->pos = in->end = 0;
	} else if (in->pos > in->cap / 2 || in->end == in->cap) {
		in->consumed += in->pos;
		memmove(in->buf, in->buf + in->pos, in->end - in->pos);
		in->end -= in->pos;
		in->pos = 0;
	}
	room = in->cap - in->end;
	if (room == 0)
		return igr_error("%s: internal buffer full", in->name);
	if (room > INT_MAX)
		room = INT_MAX;
	n = gzread(in->gz, in->buf + in->end, (unsigned)room);
	if (n < 0) {
		const char *msg = gzerror(in->gz, &err);
		if (err == Z_ERRNO)
			return igr_syserror("%s: read error", in->name);
		return igr_error("%s: %s", in->name,
				 msg ? msg : "decompression error");
	}
	if (n == 0) {
		/* gzread returns 0 at a clean end, but a gzip member cut short
		 * also ends with 0 and an error state */
		const char *msg = gzerror(in->gz, &err);
		if (err != Z_OK && err != Z_STREAM_END)
			return igr_error("%s: %s (truncated gzip input?)",
					 in->name, msg ? msg : "read error");
		in->eof = 1;
		if (gzdirect(in->gz) == 0)
			in->gzip = 1;
		return 0;
	}
	if (gzdirect(in->gz) == 0)
		in->gzip = 1;
	in->end += (size_t)n;
	return n;
}

static int in_grow(igr_in *in, size_t need)
{
	size_t ncap = in->cap;
	unsigned char *nb;

	while (ncap < need)
		ncap *= 2;
	if (ncap > IN_MAXLINE + 1)
		return igr_error("line or block longer than %zu bytes",
				 IN_MAXLINE);
	nb = realloc(in->buf, ncap + 1);
	if (nb == NULL)
		return igr_error("out of memory");
	in->buf = nb;
	in->cap = ncap;
	return 0;
}

ssize_t igr_in_fill(igr_in *in, size_t need)
{
	while (in->end - in->pos < need) {
		ssize_t n;
		if (need > in->cap && in_grow(in, need) < 0)
			return igr_error_prefix("%s", in->name);
		if (in->pos + need > in->cap) {
			in->consumed += in->pos;
			memmove(in->buf, in->buf + in->pos, in->end - in->pos);
			in->end -= in->pos;
			in->pos = 0;
		}
		n = in_refill(in);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
	}
	return (ssize_t)(in->end - in->pos);
}

const unsigned char *igr_in_ptr(const igr_in *in)
{
	return in->buf + in->pos;
}

size_t igr_in_avail(const igr_in *in)
{
	return in->end - in->pos;
}

void igr_in_skip(igr_in *in, size_t n)
{
	in->pos += n;
}

ssize_t igr_in_read(igr_in *in, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t avail = in->end - in->pos, take;
		if (avail == 0) {
			ssize_t r = in_refill(in);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			continue;
		}
		take = n - got < avail ? n - got : avail;
		memcpy((char *)buf + got, in->buf + in->pos, take);
		in->pos += take;
		got += take;
	}
	return (ssize_t)got;
}

int igr_in_getline(igr_in *in, char **line, size_t *len)
{
	size_t scanned = 0; /* bytes after pos already searched */

	for (;;) {
		unsigned char *start = in->buf + in->pos;
		size_t avail = in->end - in->pos;
		unsigned char *nl = memchr(start + scanned, '\n', avail - scanned);
		ssize_t r;

		if (nl != NULL) {
			*nl = '\0';
			*line = (char *)start;
			*len = (size_t)(nl - start);
			in->pos += *len + 1;
			in->lineno++;
			in->partial = 0;
			return 1;
		}
		scanned = avail;
		if (in->eof) {
			if (avail == 0)
				return 0;
			start[avail] = '\0'; /* buf has cap + 1 bytes */
			*line = (char *)start;
			*len = avail;
			in->pos += avail;
			in->lineno++;
			in->partial = 1;
			return 1;
		}
		/* the line fills the whole buffer: make room for more */
		if (in->pos == 0 && in->end == in->cap &&
		    in_grow(in, in->cap * 2) < 0)
			return igr_error_prefix("%s:%llu", in->name,
				(unsigned long long)in->lineno + 1);
		/* refill may move the line to the front; scanned stays valid
		 * because it counts from pos */
		r = in_refill(in);
		if (r < 0)
			return -1;
	}
}

int igr_in_partial_line(const igr_in *in)
{
	return in->partial;
}

uint64_t igr_in_lineno(const igr_in *in)
{
	return in->lineno;
}

uint64_t igr_in_offset(const igr_in *in)
{
	return in->consumed + in->pos;
}

int igr_in_is_gzip(const igr_in *in)
{
	return in->gzip || gzdirect(in->gz) == 0;
}

void igr_in_close(igr_in *in)
{
	if (in == NULL)
		return;
	gzclose(in->gz);
	free(in->buf);
	free(in->name);
	free(in);
}

/* ---- output ---------------------------------------------------------- */

#define MAX_TMP 64

/* Temporary files to remove on exit or signal.  Written only outside
 * signal handlers; read by them (async-signal-safe: plain array). */
static char *volatile tmp_paths[MAX_TMP];
static int handlers_installed;

void igr_out_cleanup_all(void)
{
	int i;

	for (i = 0; i < MAX_TMP; i++) {
		char *p = tmp_paths[i];
		if (p != NULL)
			unlink(p);
	}
}

static void on_signal(int sig)
{
	igr_out_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_exit_cleanup(void)
{
	igr_out_cleanup_all();
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	size_t i;

	if (handlers_installed)
		return;
	handlers_installed = 1;
	atexit(on_exit_cleanup);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa, old;
		sigaction(sigs[i], NULL, &old);
		if (old.sa_handler == SIG_IGN)
			continue; /* keep nohup's and the shell's choice */
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

static int register_tmp(char *path)
{
	int i;

	install_handlers();
	for (i = 0; i < MAX_TMP; i++)
		if (tmp_paths[i] == NULL) {
			tmp_paths[i] = path;
			return i;
		}
	return -1;
}

static void unregister_tmp(int slot)
{
	if (slot >= 0)
		tmp_paths[slot] = NULL;
}

int igr_write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

igr_out *igr_out_open(const char *path)
{
	igr_out *out = calloc(1, sizeof *out);

	if (out == NULL)
		return igr_error("out of memory"), NULL;
	out->slot = -1;
	out->cap = OUT_BUFSIZE;
	out->buf = malloc(out->cap);
	if (out->buf == NULL) {
		free(out);
		return igr_error("out of memory"), NULL;
	}
	if (path == NULL || strcmp(path, "-") == 0) {
		out->fd = STDOUT_FILENO;
		return out;
	}
	out->path = strdup(path);
	if (out->path == NULL) {
		free(out->buf);
		free(out);
		return igr_error("out of memory"), NULL;
	}
	{
		/* a device or FIFO (-o /dev/null) is written in place: a
		 * temporary file renamed over it would replace the device */
		struct stat st;
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			out->fd = open(path, O_WRONLY | O_CLOEXEC);
			if (out->fd < 0) {
				igr_syserror("cannot open '%s'", path);
				free(out->path);
				free(out->buf);
				free(out);
				return NULL;
			}
			return out; /* tmp == NULL marks it */
		}
	}
	if (asprintf(&out->tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		free(out->path);
		free(out->buf);
		free(out);
		return igr_error("out of memory"), NULL;
	}
	out->slot = register_tmp(out->tmp);
	out->fd = open(out->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0666);
	if (out->fd < 0) {
		igr_syserror("cannot create '%s'", out->tmp);
		unregister_tmp(out->slot);
		free(out->tmp);
		free(out->path);
		free(out->buf);
		free(out);
		return NULL;
	}
	return out;
}

const char *igr_out_name(const igr_out *out)
{
	return out->path ? out->path : "<stdout>";
}

int igr_out_flush(igr_out *out)
{
	if (out->failed)
		return igr_error("%s: earlier write failed", igr_out_name(out));
	if (out->len == 0)
		return 0;
	if (igr_write_full(out->fd, out->buf, out->len) < 0) {
		out->failed = 1;
		return igr_syserror("write error on %s", igr_out_name(out));
	}
	out->written += out->len;
	out->len = 0;
	return 0;
}

char *igr_out_space(igr_out *out, size_t n)
{
	if (out->cap - out->len < n) {
		if (igr_out_flush(out) < 0)
			return NULL;
		if (n > out->cap) {
			char *nb = realloc(out->buf, n);
			if (nb == NULL)
				return igr_error("out of memory"), NULL;
			out->buf = nb;
			out->cap = n;
		}
	}
	return out->buf + out->len;
}

int igr_out_write(igr_out *out, const void *p, size_t n)
{
	if (n >= out->cap / 2) {
		if (igr_out_flush(out) < 0)
			return -1;
		if (igr_write_full(out->fd, p, n) < 0) {
			out->failed = 1;
			return igr_syserror("write error on %s",
					    igr_out_name(out));
		}
		out->written += n;
		return 0;
	}
	if (out->cap - out->len < n && igr_out_flush(out) < 0)
		return -1;
	memcpy(out->buf + out->len, p, n);
	out->len += n;
	return 0;
}

int igr_out_printf(igr_out *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int pass = 0; pass < 2; pass++) {
		size_t room = out->cap - out->len;
		va_start(ap, fmt);
		n = vsnprintf(out->buf + out->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return igr_error("output formatting error");
		if ((size_t)n < room) {
			out->len += (size_t)n;
			return 0;
		}
		if (igr_out_space(out, (size_t)n + 1) == NULL)
			return -1;
	}
	return igr_error("output formatting error");
}

static void fsync_dir(const char *path)
{
	char *d = strdup(path), *slash;
	int fd;

	if (d == NULL)
		return;
	slash = strrchr(d, '/');
	if (slash == NULL)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd); /* best effort: some filesystems refuse */
		close(fd);
	}
	free(d);
}

static void out_free(igr_out *out)
{
	free(out->buf);
	free(out->path);
	free(out->tmp);
	free(out);
}

int igr_out_close(igr_out *out)
{
	int rc = igr_out_flush(out);

	if (out->path == NULL) {
		out_free(out);
		return rc;
	}
	if (out->tmp == NULL) { /* a device or FIFO, written in place */
		if (close(out->fd) < 0 && rc == 0)
			rc = igr_syserror("cannot close '%s'", out->path);
		out_free(out);
		return rc;
	}
	if (rc == 0 && fsync(out->fd) < 0 && errno != EINVAL)
		rc = igr_syserror("cannot sync '%s'", out->tmp);
	if (close(out->fd) < 0 && rc == 0)
		rc = igr_syserror("cannot close '%s'", out->tmp);
	if (rc == 0 && rename(out->tmp, out->path) < 0)
		rc = igr_syserror("cannot rename '%s' to '%s'", out->tmp,
				  out->path);
	if (rc == 0)
		fsync_dir(out->path);
	else
		unlink(out->tmp);
	unregister_tmp(out->slot);
	out_free(out);
	return rc;
}

void igr_out_abort(igr_out *out)
{
	if (out == NULL)
		return;
	if (out->path != NULL && out->tmp == NULL) {
		close(out->fd);
	} else if (out->path != NULL) {
		close(out->fd);
		unlink(out->tmp);
		unregister_tmp(out->slot);
	}
	out_free(out);
}
