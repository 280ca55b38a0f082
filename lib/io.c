/* io.c - buffered input (plain or gzip, inflated here), atomic buffered
 * output (see io.h). */
#include "io.h"
#include "error.h"
#include "par.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IN_BUFSIZE (1u << 20)
#define IN_RAWSIZE (1u << 17) /* compressed bytes read at a time */
#define IN_MAXLINE ((size_t)256 << 20)
#define OUT_BUFSIZE (1u << 20)

/* What the next bytes of the file are: not looked at yet (the start, or
 * the end of a gzip member), plain bytes to pass through, or a gzip
 * member being inflated. */
enum in_mode { IN_LOOK, IN_PLAIN, IN_GZIP };

struct igr_in {
	int fd;
	char *name;
	unsigned char *buf; /* the decompressed bytes, cap + 1 (sentinel) */
	size_t cap, pos, end;
	int eof;
	int partial;
	int gzip;           /* a gzip member was seen */
	uint64_t lineno;
	uint64_t consumed;  /* bytes before buf[pos] */
	/* the file's bytes not yet decompressed or passed through */
	unsigned char *raw;
	size_t rawpos, rawend;
	int raweof;
	enum in_mode mode;
	z_stream zs;
	int zinit;          /* zs is initialised */
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
	in->fd = fd;
	in->mode = IN_LOOK;
	in->name = strdup(path ? path : "<stdin>");
	in->cap = IN_BUFSIZE;
	in->buf = malloc(in->cap + 1);
	in->raw = malloc(IN_RAWSIZE);
	if (in->name == NULL || in->buf == NULL || in->raw == NULL) {
		close(fd);
		free(in->name);
		free(in->buf);
		free(in->raw);
		free(in);
		return igr_error("out of memory"), NULL;
	}
	return in;
}

igr_in *igr_in_open_at(const char *path, uint64_t off)
{
	igr_in *in = igr_in_open(path);

	if (in == NULL || off == 0)
		return in;
	if (path == NULL || strcmp(path, "-") == 0) {
		igr_in_close(in);
		return igr_error("standard input cannot be read from byte "
				 "%llu", (unsigned long long)off), NULL;
	}
	if (lseek(in->fd, (off_t)off, SEEK_SET) < 0) {
		igr_syserror("cannot read '%s' from byte %llu", in->name,
			     (unsigned long long)off);
		igr_in_close(in);
		return NULL;
	}
	in->mode = IN_PLAIN;
	in->consumed = off;
	in->lineno = 1;
	return in;
}

int igr_mark_reached(const uint64_t *marks, size_t n, size_t *i,
		     uint64_t at)
{
	while (*i < n && marks[*i] < at)
		(*i)++;
	return *i < n && marks[*i] == at;
}

const char *igr_in_name(const igr_in *in)
{
	return in->name;
}

/* One read() of at most N bytes into P: whatever a pipe has delivered is
 * used at once, never waited on until a buffer fills.  Returns bytes
 * read, 0 at end of file, -1 with the error set. */
static ssize_t in_sysread(igr_in *in, unsigned char *p, size_t n)
{
	ssize_t r;

	if (n > INT_MAX)
		n = INT_MAX;
	do
		r = read(in->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return igr_syserror("%s: read error", in->name);
	return r;
}

/* Read more raw bytes after raw[rawend] (moving what is left to the
 * front); 0 at end of file (raweof set), -1. */
static ssize_t in_rawread(igr_in *in)
{
	ssize_t r;

	if (in->raweof)
		return 0;
	if (in->rawpos > 0) {
		memmove(in->raw, in->raw + in->rawpos,
			in->rawend - in->rawpos);
		in->rawend -= in->rawpos;
		in->rawpos = 0;
	}
	r = in_sysread(in, in->raw + in->rawend, IN_RAWSIZE - in->rawend);
	if (r < 0)
		return -1;
	if (r == 0)
		in->raweof = 1;
	in->rawend += (size_t)r;
	return r;
}

/* At the start and at the end of each gzip member: gzip magic (1f 8b)
 * starts a member; anything else is plain bytes to the end (zlib's
 * gzread() drops them after a member: issue 12).  0 or -1. */
static int in_look(igr_in *in)
{
	while (in->rawend - in->rawpos < 2 && !in->raweof) {
		/* one byte that is not 0x1f decides it: a slow pipe's
		 * first line is not held back for a second byte */
		if (in->rawend > in->rawpos && in->raw[in->rawpos] != 0x1f)
			break;
		if (in_rawread(in) < 0)
			return -1;
	}
	if (in->rawend - in->rawpos < 2 || in->raw[in->rawpos] != 0x1f ||
	    in->raw[in->rawpos + 1] != 0x8b) {
		in->mode = IN_PLAIN;
		return 0;
	}
	if (!in->zinit) {
		int rc = inflateInit2(&in->zs, 15 + 16); /* gzip only */
		if (rc == Z_MEM_ERROR)
			return igr_error("out of memory");
		if (rc != Z_OK)
			return igr_error("%s: cannot start decompression",
					 in->name);
		in->zinit = 1;
	} else if (inflateReset(&in->zs) != Z_OK) {
		return igr_error("%s: cannot start decompression", in->name);
	}
	in->mode = IN_GZIP;
	in->gzip = 1;
	return 0;
}

/* Produce up to ROOM bytes of the input at P: plain bytes as they are,
 * gzip members inflated.  Returns bytes produced (fewer than ROOM when
 * that is what has arrived), 0 at the end, -1. */
static ssize_t in_produce(igr_in *in, unsigned char *p, size_t room)
{
	for (;;) {
		size_t have = in->rawend - in->rawpos;

		if (in->mode == IN_LOOK) {
			if (in_look(in) < 0)
				return -1;
			continue;
		}
		if (in->mode == IN_PLAIN) {
			if (have > 0) {
				size_t n = have < room ? have : room;
				memcpy(p, in->raw + in->rawpos, n);
				in->rawpos += n;
				return (ssize_t)n;
			}
			if (in->raweof)
				return 0;
			/* straight into the caller's buffer: no copy */
			return in_sysread(in, p, room);
		}
		/* IN_GZIP */
		if (have == 0) {
			if (in_rawread(in) < 0)
				return -1;
			have = in->rawend - in->rawpos;
		}
		{
			uInt ain = (uInt)have, aout = room > UINT_MAX ?
				UINT_MAX : (uInt)room;
			size_t used, made;
			int rc;

			in->zs.next_in = in->raw + in->rawpos;
			in->zs.avail_in = ain;
			in->zs.next_out = p;
			in->zs.avail_out = aout;
			rc = inflate(&in->zs, Z_NO_FLUSH);
			used = ain - in->zs.avail_in;
			made = aout - in->zs.avail_out;
			in->rawpos += used;
			if (rc == Z_STREAM_END)
				in->mode = IN_LOOK;
			else if (rc == Z_MEM_ERROR)
				return igr_error("out of memory");
			else if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR ||
				 rc == Z_STREAM_ERROR)
				return igr_error("%s: %s", in->name,
					in->zs.msg ? in->zs.msg
						   : "compressed data error");
			else if (made == 0 && used == 0 && in->raweof)
				/* Z_BUF_ERROR at end of file: a member cut
				 * short (zlib's gzread words it so) */
				return igr_error("%s: unexpected end of file "
						 "(truncated gzip input?)",
						 in->name);
			if (made > 0)
				return (ssize_t)made;
		}
	}
}

/* Read more bytes after buf[end]; returns bytes added, 0 at EOF, -1. */
static ssize_t in_refill(igr_in *in)
{
	ssize_t n;
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
	n = in_produce(in, in->buf + in->end, room);
	if (n < 0)
		return -1;
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
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
	/* asked before the first read: look at the first bytes now, as
	 * gzdirect() did (IN is the caller's own, non-const object) */
	if (in->mode == IN_LOOK && !in->gzip && !in->eof &&
	    in_look((igr_in *)in) < 0)
		return 0;
	return in->gzip;
}

void igr_in_close(igr_in *in)
{
	if (in == NULL)
		return;
	if (in->zinit)
		inflateEnd(&in->zs);
	close(in->fd);
	free(in->raw);
	free(in->buf);
	free(in->name);
	free(in);
}

/* ---- output ---------------------------------------------------------- */

#define MAX_TMP 64
#define MAX_CLAIM 16

/* Temporary files to remove on exit or signal.  Written only outside
 * signal handlers; read by them (async-signal-safe: plain array). */
static char *volatile tmp_paths[MAX_TMP];
static int handlers_installed;

/* The outputs this process holds the lock of ("FILE.lock", flock): taken
 * by igr_out_claim() or igr_out_open(), released when the output is
 * renamed into place or discarded; lock files are removed at exit and on
 * signals too (the kernel drops the flock itself). */
struct claim {
	char *path, *lock;
	int fd;
	dev_t dev;
	ino_t ino;
};
static struct claim claims[MAX_CLAIM];
static char *volatile lock_paths[MAX_CLAIM];

/* Outputs closed while a group is open (igr_out_group_begin()): written
 * and synced, waiting for igr_out_group_commit() to rename them. */
static igr_out *group[MAX_TMP];
static int ngroup, group_open;

void igr_out_cleanup_all(void)
{
	int i;

	for (i = 0; i < MAX_TMP; i++) {
		char *p = tmp_paths[i];
		if (p != NULL)
			unlink(p);
	}
	for (i = 0; i < MAX_CLAIM; i++) {
		char *p = lock_paths[i];
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
	/* SIGPIPE: a --rejects or --report to a closed pipe; SIGXFSZ: a file
	 * over `ulimit -f` */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGPIPE, SIGXFSZ };
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

/* ---- locks ------------------------------------------------------------ */

int igr_lock_take(const char *lockpath, int wait)
{
	for (;;) {
		struct stat a, b;
		int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

		if (fd < 0)
			return -1;
		while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		/* the holder we waited for may have removed the file: then
		 * this lock is on a name nobody else sees; take it again */
		if (fstat(fd, &a) == 0 && stat(lockpath, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

/* "DIR/NAME" of PATH split: the directory part ("." if none) and the
 * name; returns a malloc'ed directory and sets *NAME inside PATH. */
static char *dir_of(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL) {
		*name = path;
		return strdup(".");
	}
	*name = slash + 1;
	if (slash == path)
		return strdup("/");
	d = strndup(path, (size_t)(slash - path));
	return d;
}

/* Remove "PATH.tmp.PID" (and "PATH.tmp.PID.old") files of processes that no longer run (a run
 * killed with SIGKILL, a power cut).  Called holding PATH's lock, so no
 * live writer of PATH can own one of them. */
static void remove_stale_tmp(const char *path)
{
	const char *name;
	char *dir = dir_of(path, &name);
	size_t nlen;
	DIR *d;
	struct dirent *e;

	if (dir == NULL)
		return;
	d = opendir(dir);
	if (d == NULL) {
		free(dir);
		return;
	}
	nlen = strlen(name);
	while ((e = readdir(d)) != NULL) {
		const char *p = e->d_name;
		char *end, *full;
		long pid;

		if (strncmp(p, name, nlen) != 0 ||
		    strncmp(p + nlen, ".tmp.", 5) != 0)
			continue;
		p += nlen + 5;
		if (*p < '0' || *p > '9')
			continue;
		errno = 0;
		pid = strtol(p, &end, 10);
		if ((*end != '\0' && strcmp(end, ".old") != 0) ||
		    errno != 0 || pid <= 0 ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* alive, or not ours to ask about */
		if (asprintf(&full, "%s/%s", dir, e->d_name) < 0)
			break;
		unlink(full);
		free(full);
	}
	closedir(d);
	free(dir);
}

/* Files written in place (devices, FIFOs) and stdout take no lock. */
static int lockable(const char *path)
{
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	return stat(path, &st) < 0 || S_ISREG(st.st_mode);
}

static int find_claim(const char *path)
{
	int i;

	for (i = 0; i < MAX_CLAIM; i++)
		if (claims[i].path != NULL &&
		    igr_same_file(claims[i].path, path))
			return i;
	return -1;
}

int igr_out_claim(const char *path)
{
	struct claim *c = NULL;
	struct stat st;
	int i;

	if (!lockable(path) || find_claim(path) >= 0)
		return 0;
	for (i = 0; i < MAX_CLAIM; i++)
		if (claims[i].path == NULL) {
			c = &claims[i];
			break;
		}
	if (c == NULL)
		return igr_error("'%s': too many outputs", path);
	install_handlers();
	c->path = strdup(path);
	if (c->path == NULL || asprintf(&c->lock, "%s.lock", path) < 0) {
		free(c->path);
		c->path = NULL;
		return igr_error("out of memory");
	}
	c->fd = igr_lock_take(c->lock, 0);
	if (c->fd < 0) {
		if (errno == EWOULDBLOCK)
			igr_error("'%s' is being written by another process "
				  "(lock '%s')", path, c->lock);
		else
			igr_syserror("cannot create '%s' (its lock '%s')", path,
				     c->lock);
		free(c->path);
		free(c->lock);
		c->path = c->lock = NULL;
		return -1;
	}
	fstat(c->fd, &st);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	lock_paths[i] = c->lock;
	remove_stale_tmp(path);
	return 0;
}

static void release_claim(const char *path)
{
	int i = path ? find_claim(path) : -1;
	struct claim *c;
	struct stat st;

	if (i < 0)
		return;
	c = &claims[i];
	lock_paths[i] = NULL;
	/* remove the lock file while still holding it, and only if it is
	 * still ours (see igr_lock_take) */
	if (stat(c->lock, &st) == 0 && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->lock);
	close(c->fd);
	free(c->path);
	free(c->lock);
	memset(c, 0, sizeof *c);
}

int igr_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	const char *na, *nb;
	char *da, *db, *ra = NULL, *rb = NULL;
	int same = 0;

	if (a == NULL || b == NULL)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	/* one does not exist (yet): the same directory and name */
	da = dir_of(a, &na);
	db = dir_of(b, &nb);
	if (da != NULL && db != NULL && strcmp(na, nb) == 0) {
		ra = realpath(da, NULL);
		rb = realpath(db, NULL);
		same = ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
	}
	free(da);
	free(db);
	free(ra);
	free(rb);
	return same;
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
	if (igr_out_claim(path) < 0) {
		free(out->path);
		free(out->buf);
		free(out);
		return NULL;
	}
	if (asprintf(&out->tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		release_claim(path);
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
		release_claim(path);
		free(out->tmp);
		free(out->path);
		free(out->buf);
		free(out);
		return NULL;
	}
	{
		/* the replacement keeps the mode, owner and group of the file
		 * it replaces (the owner only when we may give it away);
		 * chown first, as it may clear set-id bits */
		struct stat st;
		if (stat(path, &st) == 0) {
			if (fchown(out->fd, st.st_uid, st.st_gid) < 0 &&
			    fchown(out->fd, (uid_t)-1, st.st_gid) < 0) {
				/* not permitted: ours it stays */
			}
			if (fchmod(out->fd, st.st_mode & 07777) < 0) {
				/* a filesystem without modes */
			}
		}
	}
	return out;
}

int igr_tmp_unlinked(const char *name, char *tmpl, size_t cap)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(tmpl, cap, "%s/%s.XXXXXX",
		 dir != NULL && *dir != '\0' ? dir : "/tmp", name);
	fd = mkstemp(tmpl);
	if (fd < 0)
		return igr_syserror("cannot create '%s'", tmpl);
	unlink(tmpl);
	return fd;
}

igr_out *igr_out_open_par(const char *path)
{
	igr_out *out;

	if (igr_par_rank() == 0) {
		out = igr_out_open(path);
		if (out != NULL)
			out->par = igr_par_size() > 1;
		return out;
	}
	if ((out = calloc(1, sizeof *out)) == NULL ||
	    (out->buf = malloc(OUT_BUFSIZE)) == NULL) {
		free(out);
		return igr_error("out of memory"), NULL;
	}
	out->slot = -1;
	out->cap = OUT_BUFSIZE;
	out->par = out->part = 1;
	out->fd = -1; /* the spool: made by the first bytes (part_fd) */
	return out;
}

/* OUT's descriptor; a rank's part gets its spool when it first has bytes
 * to keep, so a rank that writes nothing (igraph-ingest's ranks > 0) needs
 * no $TMPDIR.  0 or -1. */
static int part_fd(igr_out *out)
{
	char tmpl[4096];

	if (out->fd >= 0 || !out->part)
		return 0;
	out->fd = igr_tmp_unlinked("igraph-part", tmpl, sizeof tmpl);
	if (out->fd < 0) {
		out->failed = 1;
		return -1;
	}
	return 0;
}

int igr_out_is_part(const igr_out *out)
{
	return out->part;
}

static int append_sink(void *arg, const void *p, size_t n)
{
	return igr_out_write(arg, p, n);
}

/* igr_out_gather() and, with MORE, igr_out_gather_more(): a part sent
 * while more may follow is emptied for the next. */
static int gather(igr_out *out, int status, uint64_t records, size_t unit,
		  int (*sink)(void *arg, const void *p, size_t n), void *arg,
		  uint64_t *got, int more)
{
	*got = 0;
	if (status < 0)
		out->failed = 1;
	if (!out->par || out->gathered)
		return out->failed ? -1 : 0;
	out->gathered = !more;
	igr_par_step("output");
	if (out->part) {
		if (!out->failed && igr_out_flush(out) < 0)
			out->failed = 1;
		if (igr_par_send_part(out->failed ? -1 : 0, NULL, out->fd,
				      out->written, records) < 0)
			out->failed = 1;
		if (more && !out->failed && out->fd >= 0) {
			if (ftruncate(out->fd, 0) < 0 ||
			    lseek(out->fd, 0, SEEK_SET) < 0) {
				igr_syserror("cannot empty this rank's part");
				out->failed = 1;
			}
			out->written = 0;
		}
	} else if (igr_par_recv_parts(unit, sink, arg, got) < 0) {
		/* rank 0 receives every part even after a failure of its
		 * own: the senders must finish */
		out->failed = 1;
	}
	return out->failed ? -1 : 0;
}

int igr_out_gather(igr_out *out, int status, uint64_t records, size_t unit,
		   int (*sink)(void *arg, const void *p, size_t n), void *arg,
		   uint64_t *got)
{
	return gather(out, status, records, unit, sink, arg, got, 0);
}

int igr_out_gather_more(igr_out *out, int status, uint64_t records,
			size_t unit,
			int (*sink)(void *arg, const void *p, size_t n),
			void *arg, uint64_t *got)
{
	return gather(out, status, records, unit, sink, arg, got, 1);
}

const char *igr_out_name(const igr_out *out)
{
	if (out->part)
		return "this rank's part of the output";
	return out->path ? out->path : "<stdout>";
}

int igr_out_flush(igr_out *out)
{
	if (out->failed)
		return igr_error("%s: earlier write failed", igr_out_name(out));
	if (out->len == 0)
		return 0;
	if (part_fd(out) < 0)
		return -1;
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
		if (igr_out_flush(out) < 0 || part_fd(out) < 0)
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

/* Flush, sync and close the temporary file of OUT (a named, renamed
 * output); 0 or -1 (then the temporary file is removed). */
static int out_finish(igr_out *out)
{
	int rc = igr_out_flush(out);

	if (rc == 0 && fsync(out->fd) < 0 && errno != EINVAL)
		rc = igr_syserror("cannot sync '%s'", out->tmp);
	if (close(out->fd) < 0 && rc == 0)
		rc = igr_syserror("cannot close '%s'", out->tmp);
	out->fd = -1;
	if (rc < 0)
		unlink(out->tmp);
	return rc;
}

/* Forget OUT: its temporary is gone or renamed; release the lock. */
static void out_release(igr_out *out)
{
	unregister_tmp(out->slot);
	release_claim(out->path);
	out_free(out);
}

int igr_out_close(igr_out *out)
{
	uint64_t got;
	int rc = 0;

	if (out->par) {
		/* every rank's part (unless the caller took them), then
		 * their agreement to commit: an earlier failure (failed)
		 * keeps its own message */
		rc = igr_out_gather(out, 0, 0, 1, append_sink, out, &got);
		if (out->part) {
			if (out->fd >= 0)
				close(out->fd);
			out_free(out);
			return igr_par_agree(rc);
		}
	}
	if (out->path == NULL) {
		if (rc == 0)
			rc = igr_out_flush(out);
		if (out->par)
			rc = igr_par_agree(rc);
		out_free(out);
		return rc;
	}
	if (out->tmp == NULL) { /* a device or FIFO, written in place */
		if (rc == 0)
			rc = igr_out_flush(out);
		if (close(out->fd) < 0 && rc == 0)
			rc = igr_syserror("cannot close '%s'", out->path);
		if (out->par)
			rc = igr_par_agree(rc);
		out_free(out);
		return rc;
	}
	if (rc == 0)
		rc = out_finish(out);
	else
		close(out->fd);
	if (out->par) {
		/* renamed into place only when every rank succeeded */
		rc = igr_par_agree(rc);
		if (rc < 0)
			unlink(out->tmp);
	}
	if (rc == 0 && group_open && ngroup < MAX_TMP) {
		group[ngroup++] = out; /* renamed by igr_out_group_commit */
		return 0;
	}
	if (rc == 0 && rename(out->tmp, out->path) < 0) {
		rc = igr_syserror("cannot rename '%s' to '%s'", out->tmp,
				  out->path);
		unlink(out->tmp);
	}
	if (rc == 0)
		fsync_dir(out->path);
	out_release(out);
	return rc;
}

void igr_out_abort(igr_out *out)
{
	if (out == NULL)
		return;
	if (out->part || (out->path != NULL && out->tmp == NULL)) {
		if (out->fd >= 0)
			close(out->fd);
	} else if (out->path != NULL) {
		close(out->fd);
		unlink(out->tmp);
		out_release(out);
		return;
	}
	out_free(out);
}

/* ---- outputs committed together --------------------------------------- */

void igr_out_group_begin(void)
{
	group_open = 1;
	ngroup = 0;
}

void igr_out_group_abort(void)
{
	int i;

	for (i = 0; i < ngroup; i++) {
		unlink(group[i]->tmp);
		out_release(group[i]);
	}
	ngroup = 0;
	group_open = 0;
}

int igr_out_group_commit(void)
{
	char *backup[MAX_TMP] = { NULL };
	int i, j, rc = 0;

	group_open = 0;
	/* keep each target's old contents under a second name (a hard link:
	 * no copy, and the target never goes missing), rename the new ones
	 * in; on a failure put the old ones back */
	for (i = 0; i < ngroup; i++) {
		igr_out *o = group[i];
		if (asprintf(&backup[i], "%s.tmp.%ld.old", o->path,
			     (long)getpid()) < 0) {
			backup[i] = NULL;
			rc = igr_error("out of memory");
			break;
		}
		unlink(backup[i]);
		if (link(o->path, backup[i]) < 0) {
			if (errno != ENOENT) {
				rc = igr_syserror("cannot keep '%s' as '%s'",
						  o->path, backup[i]);
				free(backup[i]);
				backup[i] = NULL;
				break;
			}
			free(backup[i]);
			backup[i] = NULL; /* no old file: undo is unlink */
		}
		if (rename(o->tmp, o->path) < 0) {
			rc = igr_syserror("cannot rename '%s' to '%s'", o->tmp,
					  o->path);
			break;
		}
	}
	if (rc < 0) {
		/* i failed: undo 0..i-1, drop the rest */
		for (j = i - 1; j >= 0; j--) {
			if (backup[j] != NULL)
				rename(backup[j], group[j]->path);
			else
				unlink(group[j]->path);
		}
		if (i < ngroup && backup[i] != NULL)
			unlink(backup[i]);
		for (j = 0; j < ngroup; j++)
			unlink(group[j]->tmp);
	} else {
		for (j = 0; j < ngroup; j++) {
			if (backup[j] != NULL)
				unlink(backup[j]);
			fsync_dir(group[j]->path);
		}
	}
	for (j = 0; j < ngroup; j++) {
		free(backup[j]);
		out_release(group[j]);
	}
	ngroup = 0;
	return rc;
}

/* ---- standard input on several ranks ----------------------------------- */

/* Pieces of standard input rank 0 passes on. */
#define IN_PIECE (1u << 20)

const char *igr_in_par(const char *path)
{
	static char name[32];
	unsigned char *buf;
	uint64_t head[2] = { 0, 0 }; /* bytes in this piece; 1: rank 0 failed */
	char tmpl[4096];
	int fd, rc;

	if (igr_par_size() == 1 || path == NULL || strcmp(path, "-") != 0)
		return path;
	if (name[0] != '\0')
		return igr_error("only one input can be standard input"), NULL;
	igr_par_step("standard input");
	fd = igr_tmp_unlinked("igraph-stdin", tmpl, sizeof tmpl);
	buf = malloc(IN_PIECE);
	rc = fd < 0 ? -1 : buf == NULL ? igr_error("out of memory") : 0;
	if (igr_par_agree(rc) < 0)
		goto fail;
	/* rank 0 reads a piece and broadcasts it; an empty piece ends */
	for (;;) {
		if (igr_par_rank() == 0) {
			ssize_t got;
			do
				got = read(STDIN_FILENO, buf, IN_PIECE);
			while (got < 0 && errno == EINTR);
			head[0] = got > 0 ? (uint64_t)got : 0;
			if (got < 0) {
				igr_syserror("read error on <stdin>");
				head[1] = 1;
			}
		}
		if (igr_par_bcast(head, sizeof head) < 0 ||
		    igr_par_bcast(buf, (size_t)head[0]) < 0)
			goto fail; /* the job is broken: the caller ends it */
		if (head[0] == 0)
			break;
		/* a rank that cannot keep the bytes still takes part */
		if (rc == 0 && igr_write_full(fd, buf, (size_t)head[0]) < 0)
			rc = igr_syserror("cannot write '%s'", tmpl);
	}
	/* rank 0's read error: the others learn it here */
	if (igr_par_agree(head[1] != 0 && igr_par_rank() == 0 ? -1 : rc) < 0)
		goto fail;
	free(buf);
	snprintf(name, sizeof name, "/dev/fd/%d", fd);
	return name;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}
