/* testutil.h - small helpers shared by the Check suites. */
#ifndef IGR_TESTUTIL_H
#define IGR_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A fresh temporary directory per test (removed by tu_cleanup). */
static char tu_dir[256];

static inline void tu_setup(void)
{
	strcpy(tu_dir, "/tmp/igraph-check.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tu_dir));
}

static inline void tu_cleanup(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tu_dir);
}

/* Path of NAME inside the test directory (static buffer, 4 slots). */
static inline const char *tu_path(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tu_dir, name);
	return buf[i];
}

static inline void tu_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* A TSV stream written by hand (TEXT: the header, the column line and the
 * records, N bytes) with the trailer every TSV stream ends with
 * (igraph-stream(5): "#end<TAB>RECORDS<TAB>CRC-32 of the bytes before"),
 * as a malloc'd string the caller frees; *OUTN (if not NULL) gets its
 * length.  The records are the lines after the column line, the first
 * line not starting with '#'. */
static inline char *tu_sealed(const char *text, size_t n, size_t *outn)
{
	unsigned long long recs = 0;
	int cols = 0;
	size_t i = 0, len;
	char *s;

	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t next = nl ? (size_t)(nl - text) + 1 : n;
		if (cols)
			recs++;
		else if (text[i] != '#')
			cols = 1;
		i = next;
	}
	s = malloc(n + 64);
	ck_assert_ptr_nonnull(s);
	memcpy(s, text, n);
	len = n + (size_t)snprintf(s + n, 64, "#end\t%llu\t%08lx\n", recs,
				   crc32(0L, (const unsigned char *)text,
					 (uInt)n));
	if (outn != NULL)
		*outn = len;
	return s;
}

/* tu_write() of tu_sealed(TEXT, N). */
static inline void tu_write_sealed(const char *path, const char *text,
				   size_t n)
{
	size_t len;
	char *s = tu_sealed(text, n, &len);
	tu_write(path, s, len);
	free(s);
}

/* Whole file into a malloc'd buffer; *n gets the size. */
static inline unsigned char *tu_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long len;
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	b[len] = 0;
	*n = (size_t)len;
	return b;
}

/* Run SUITE and return the process exit status. */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#ifdef IGR_SPARSE_H
/* Included after sparse.h / rand.h: test matrices (check_sparse, check_svd,
 * check_gf). */
/* A random sparse M x N matrix with about DENS of its entries set. */
static inline igr_csr *tu_random_csr(uint32_t m, uint32_t n, double dens, uint64_t seed)
{
	uint32_t *r = malloc((size_t)m * n * sizeof *r);
	uint32_t *c = malloc((size_t)m * n * sizeof *c);
	float *w = malloc((size_t)m * n * sizeof *w);
	uint32_t i, j;
	uint64_t nnz = 0;
	igr_rng rng;
	igr_csr *a;

	igr_rng_seed(&rng, seed);
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++)
			if (igr_rng_unit(&rng) < dens) {
				r[nnz] = i;
				c[nnz] = j;
				w[nnz++] = (float)(0.5 + igr_rng_unit(&rng));
			}
	a = igr_csr_from_coo(m, n, nnz, r, c, w, NULL, NULL, 1);
	ck_assert_ptr_nonnull(a);
	free(r);
	free(c);
	free(w);
	return a;
}

static inline double tu_dense_at(const igr_csr *a, uint32_t i, uint32_t j)
{
	return igr_csr_get(a, i, j);
}
#endif

#ifdef IGR_TOPK_H
/* Included after topk.h (check_topk, check_embed). */
/* A deterministic generator (the suite must not depend on rand()). */
static uint64_t tu_st __attribute__((unused)) = 88172645463325252ull;
static inline uint32_t tu_rnd(void)
{
	tu_st ^= tu_st << 13;
	tu_st ^= tu_st >> 7;
	tu_st ^= tu_st << 17;
	return (uint32_t)(tu_st >> 11);
}

/* Reference order: score desc, tie rank asc, id asc. */
static const uint32_t *tu_ref_tie __attribute__((unused));
static inline int tu_ref_cmp(const void *a, const void *b)
{
	const igr_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (tu_ref_tie && tu_ref_tie[x->id] != tu_ref_tie[y->id])
		return tu_ref_tie[x->id] < tu_ref_tie[y->id] ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}
#endif

#endif
