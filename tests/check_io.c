/* check_io.c - the input reader of io.h: plain and gzip input, gzip
 * members one after another, plain bytes after the last member (issue 12:
 * zlib's gzread() dropped them) and gzip bytes after plain ones (passed
 * through as they are), a member cut short or corrupt, line numbers and
 * offsets across member ends, and a pipe or FIFO whose bytes are handed
 * over as they arrive. */
#include "testutil.h"

#include "error.h"
#include "io.h"
#include "mem.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* TEXT as one gzip member (deflate's gzip wrapper); malloc'd, *OUTN its
 * length.  SYNC > 0: a sync flush after the first SYNC bytes, so that a
 * reader can inflate them before the rest arrives; *SYNCAT (if not NULL)
 * gets the compressed length up to there. */
static unsigned char *gz_member(const void *text, size_t n, size_t *outn,
				size_t sync, size_t *syncat)
{
	z_stream zs;
	size_t cap = n + n / 100 + 256;
	unsigned char *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	zs.next_in = (unsigned char *)(uintptr_t)text;
	if (sync > 0) {
		zs.avail_in = (uInt)sync;
		ck_assert_int_eq(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
		if (syncat != NULL)
			*syncat = cap - zs.avail_out;
		zs.avail_in = (uInt)(n - sync);
	} else {
		zs.avail_in = (uInt)n;
	}
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outn = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* A growing byte string. */
struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void add(struct bytes *b, const void *p, size_t n)
{
	/* grown by doubling: the large inputs arrive in small pieces */
	ck_assert_int_eq(igr_grow(&b->p, &b->cap, b->n + n + 1, 1), 0);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void add_gz(struct bytes *b, const char *text)
{
	size_t n;
	unsigned char *z = gz_member(text, strlen(text), &n, 0, NULL);
	add(b, z, n);
	free(z);
}

/* Everything PATH reads as, with igr_in_read() in odd-sized pieces;
 * returns 0 (*OUT filled, *GZIP set) or -1 (the error is set). */
static int read_all(const char *path, struct bytes *out, int *gzip)
{
	igr_in *in = igr_in_open(path);
	unsigned char piece[777];
	ssize_t r;

	ck_assert_msg(in != NULL, "%s", igr_errmsg());
	out->p = NULL;
	out->n = 0;
	out->cap = 0;
	add(out, "", 0);
	while ((r = igr_in_read(in, piece, sizeof piece)) > 0)
		add(out, piece, (size_t)r);
	if (r == 0) {
		ck_assert_uint_eq(igr_in_offset(in), out->n);
		*gzip = igr_in_is_gzip(in);
	}
	igr_in_close(in);
	return r < 0 ? -1 : 0;
}

/* PATH holding FILE reads as WANT; its gzip flag is GZIP. */
static void reads_as(const struct bytes *file, const void *want, size_t n,
		     int gzip)
{
	const char *p = tu_path("in");
	struct bytes got;
	int gz = -1;

	tu_write(p, file->p, file->n);
	ck_assert_msg(read_all(p, &got, &gz) == 0, "%s", igr_errmsg());
	ck_assert_uint_eq(got.n, n);
	ck_assert_msg(memcmp(got.p, want, n) == 0, "contents differ");
	ck_assert_int_eq(gz, gzip);
	free(got.p);
}

/* The lines of PATH, joined by '|', and the line count. */
static char *lines_of(const char *path, uint64_t *nlines)
{
	igr_in *in = igr_in_open(path);
	struct bytes all = { NULL, 0, 0 };
	char *line;
	size_t len;
	int rc;

	ck_assert_ptr_nonnull(in);
	add(&all, "", 0);
	while ((rc = igr_in_getline(in, &line, &len)) == 1) {
		ck_assert_uint_eq(strlen(line), len);
		add(&all, line, len);
		add(&all, "|", 1);
	}
	ck_assert_msg(rc == 0, "%s", igr_errmsg());
	*nlines = igr_in_lineno(in);
	all.p[all.n] = '\0';
	igr_in_close(in);
	return (char *)all.p;
}

START_TEST(plain)
{
	static const char text[] = "user,item\nu1,i1\r\nu2,i2\nlast";
	struct bytes f = { NULL, 0, 0 };
	igr_in *in;
	uint64_t nl;
	char *s;

	add(&f, text, sizeof text - 1);
	reads_as(&f, text, sizeof text - 1, 0);
	s = lines_of(tu_path("in"), &nl);
	ck_assert_str_eq(s, "user,item|u1,i1\r|u2,i2|last|");
	ck_assert_uint_eq(nl, 4);
	free(s);
	/* asked before anything is read */
	in = igr_in_open(tu_path("in"));
	ck_assert_int_eq(igr_in_is_gzip(in), 0);
	igr_in_close(in);
	/* empty, and one byte that could start gzip magic */
	f.n = 0;
	reads_as(&f, "", 0, 0);
	add(&f, "\x1f", 1);
	reads_as(&f, "\x1f", 1, 0);
	free(f.p);
}
END_TEST

START_TEST(gzip)
{
	static const char text[] = "user,item\nu1,i1\nu2,i2\n";
	struct bytes f = { NULL, 0, 0 };
	igr_in *in;

	add_gz(&f, text);
	reads_as(&f, text, sizeof text - 1, 1);
	in = igr_in_open(tu_path("in"));
	ck_assert_int_eq(igr_in_is_gzip(in), 1); /* before the first read */
	igr_in_close(in);
	free(f.p);
}
END_TEST

START_TEST(two_members)
{
	struct bytes f = { NULL, 0, 0 };
	uint64_t nl;
	char *s;

	/* the first member ends in the middle of a line */
	add_gz(&f, "user,item\nu1,");
	add_gz(&f, "i1\nu2,i2\n");
	reads_as(&f, "user,item\nu1,i1\nu2,i2\n", 22, 1);
	s = lines_of(tu_path("in"), &nl);
	ck_assert_str_eq(s, "user,item|u1,i1|u2,i2|");
	ck_assert_uint_eq(nl, 3);
	free(s);
	free(f.p);
}
END_TEST

START_TEST(gzip_then_plain)
{
	struct bytes f = { NULL, 0, 0 };
	uint64_t nl;
	char *s;

	add_gz(&f, "user,item\nu1,i1\n");
	add(&f, "u2,i2\nu3,i3", 11);
	reads_as(&f, "user,item\nu1,i1\nu2,i2\nu3,i3", 27, 1);
	s = lines_of(tu_path("in"), &nl);
	ck_assert_str_eq(s, "user,item|u1,i1|u2,i2|u3,i3|");
	ck_assert_uint_eq(nl, 4);
	free(s);
	/* two members, then one byte that could start a third: plain */
	f.n = 0;
	add_gz(&f, "user,item\n");
	add_gz(&f, "u1,i1\n");
	add(&f, "\x1f", 1);
	reads_as(&f, "user,item\nu1,i1\n\x1f", 17, 1);
	free(f.p);
}
END_TEST

START_TEST(plain_then_gzip)
{
	struct bytes f = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	size_t zn;
	unsigned char *z = gz_member("u2,i2\n", 6, &zn, 0, NULL);

	/* gzip bytes after plain ones are not decompressed: they come
	 * through as bytes (ingest rejects them as "not text") */
	add(&f, "user,item\nu1,i1\n", 16);
	add(&f, z, zn);
	add(&want, f.p, f.n);
	reads_as(&f, want.p, want.n, 0);
	free(z);
	free(f.p);
	free(want.p);
}
END_TEST

/* Larger than every buffer: members and plain bytes across the 128 KiB
 * raw buffer and the 1 MiB line buffer. */
START_TEST(large)
{
	struct bytes f = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	size_t i, n = 3u << 20, zn;
	char *text = malloc(n + 1);
	unsigned char *z;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < n; i++)
		text[i] = i % 61 == 60 ? '\n' : (char)('a' + (i * 7919) % 26);
	z = gz_member(text, n, &zn, 0, NULL);
	add(&f, z, zn);
	add(&f, z, zn);
	add(&f, text, n);
	add(&want, text, n);
	add(&want, text, n);
	add(&want, text, n);
	reads_as(&f, want.p, want.n, 1);
	free(z);
	free(text);
	free(f.p);
	free(want.p);
}
END_TEST

/* Every cut of a member (after its magic) is an error, never a short
 * input; in the second member too. */
START_TEST(truncated)
{
	struct bytes f = { NULL, 0, 0 }, got;
	size_t first, cut;
	int gz;

	add_gz(&f, "user,item\nu1,i1\n");
	first = f.n;
	add_gz(&f, "u2,i2\n");
	for (cut = 2; cut < f.n; cut++) {
		if (cut == first || cut == first + 1)
			continue; /* a whole member, alone or with one byte
				   * (0x1f: too short for magic, plain) */
		tu_write(tu_path("cut"), f.p, cut);
		ck_assert_msg(read_all(tu_path("cut"), &got, &gz) == -1,
			      "cut at %zu of %zu read", cut, f.n);
		ck_assert_msg(strstr(igr_errmsg(), "(truncated gzip input?)") &&
			      strstr(igr_errmsg(), tu_path("cut")),
			      "cut at %zu: %s", cut, igr_errmsg());
		free(got.p);
	}
	free(f.p);
}
END_TEST

/* A damaged member is an error naming the file. */
START_TEST(corrupt)
{
	struct bytes f = { NULL, 0, 0 }, got;
	const char *p = tu_path("bad");
	int gz;

	add_gz(&f, "user,item\nu1,i1\nu2,i2\n");
	f.p[f.n - 6] ^= 0xff; /* the CRC-32 */
	tu_write(p, f.p, f.n);
	ck_assert_int_eq(read_all(p, &got, &gz), -1);
	ck_assert_msg(strncmp(igr_errmsg(), p, strlen(p)) == 0 &&
		      strstr(igr_errmsg(), "incorrect data check"),
		      "%s", igr_errmsg());
	free(got.p);
	/* a second member whose header is not deflate */
	f.p[f.n - 6] ^= 0xff;
	add(&f, "\x1f\x8b\x09\x00\x00\x00\x00\x00\x00\x03", 10);
	tu_write(p, f.p, f.n);
	ck_assert_int_eq(read_all(p, &got, &gz), -1);
	ck_assert_msg(strncmp(igr_errmsg(), p, strlen(p)) == 0 &&
		      strstr(igr_errmsg(), "unknown compression method"),
		      "%s", igr_errmsg());
	free(got.p);
	free(f.p);
}
END_TEST

/* Write N bytes of P to FD one byte at a time (a slow producer). */
static void dribble(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (write(fd, c + i, 1) != 1)
			_exit(3);
}

/* A FIFO fed in small pieces: each complete line is returned while the
 * writer still holds the rest back (it waits for our go on a second
 * pipe), so a reader that waited for a full buffer would hang here.
 * _i: 0 plain, 1 gzip (sync-flushed, then a second member). */
START_TEST(pipe_pieces)
{
	static const char first[] = "user,item\nu1,i1\nu2,";
	static const char rest[] = "i2\n";
	const char *fifo = tu_path("fifo");
	unsigned char *z = NULL, *z2 = NULL;
	size_t zn = 0, syncat = 0, z2n = 0;
	int go[2], status;
	pid_t pid;
	igr_in *in;
	char *line;
	size_t len;

	if (_i == 1) {
		char all[64];
		snprintf(all, sizeof all, "%s%s", first, rest);
		z = gz_member(all, strlen(all), &zn, strlen(first), &syncat);
		z2 = gz_member("u3,i3\n", 6, &z2n, 0, NULL);
	}
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(fifo, O_WRONLY);
		char c;
		close(go[1]);
		if (fd < 0)
			_exit(2);
		if (_i == 0)
			dribble(fd, first, strlen(first));
		else
			dribble(fd, z, syncat);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		if (_i == 0) {
			dribble(fd, rest, strlen(rest));
		} else {
			dribble(fd, z + syncat, zn - syncat);
			dribble(fd, z2, z2n);
		}
		close(fd);
		_exit(0);
	}
	close(go[0]);
	in = igr_in_open(fifo);
	ck_assert_msg(in != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(igr_in_getline(in, &line, &len), 1);
	ck_assert_str_eq(line, "user,item");
	ck_assert_int_eq(igr_in_getline(in, &line, &len), 1);
	ck_assert_str_eq(line, "u1,i1");
	ck_assert_uint_eq(igr_in_offset(in), 16);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	ck_assert_int_eq(igr_in_getline(in, &line, &len), 1);
	ck_assert_str_eq(line, "u2,i2");
	if (_i == 1) {
		ck_assert_int_eq(igr_in_getline(in, &line, &len), 1);
		ck_assert_str_eq(line, "u3,i3");
	}
	ck_assert_int_eq(igr_in_getline(in, &line, &len), 0);
	ck_assert_int_eq(igr_in_is_gzip(in), _i);
	igr_in_close(in);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "writer status %d", status);
	free(z);
	free(z2);
}
END_TEST

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("input");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 20); /* a reader that waits hangs pipe_pieces */
	tcase_add_test(tc, plain);
	tcase_add_test(tc, gzip);
	tcase_add_test(tc, two_members);
	tcase_add_test(tc, gzip_then_plain);
	tcase_add_test(tc, plain_then_gzip);
	tcase_add_test(tc, large);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, corrupt);
	tcase_add_loop_test(tc, pipe_pieces, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(io_suite());
}
