/* check_model.c - the model file container (model.h): a round trip of
 * parameters and typed arrays, truncated and damaged files refused, large
 * arrays padded to 64 bytes and read in place from a mapping. */
#include <math.h>

#include "testutil.h"

#include "error.h"
#include "model.h"

START_TEST(model_round_trip)
{
	igr_model *m = igr_model_new("pop"), *l;
	float *f = malloc(5 * sizeof *f);
	uint32_t *u = malloc(6 * sizeof *u);
	uint64_t d1[] = { 5 }, d2[] = { 2, 3 };
	const igr_array *a;
	unsigned char *b;
	size_t n;
	int i;

	for (i = 0; i < 5; i++)
		f[i] = 0.5f * (float)i;
	for (i = 0; i < 6; i++)
		u[i] = (uint32_t)i * 1000000u;
	cJSON_AddNumberToObject(igr_model_params(m), "neighbours", 200);
	cJSON_AddNumberToObject(igr_model_data(m), "users", 3);
	ck_assert_int_eq(igr_model_add(m, "pop", IGR_DT_F32, 1, d1, f), 0);
	ck_assert_int_eq(igr_model_add(m, "ids", IGR_DT_U32, 2, d2, u), 0);
	ck_assert_int_eq(igr_model_add(m, "ids", IGR_DT_U32, 2, d2, NULL), -1);
	ck_assert_int_eq(igr_model_save(m, tu_path("m")), 0);
	igr_model_free(m);
	/* no model type registered yet for "pop" may be fine later: the
	 * container itself is what is tested, through a raw re-read */
	b = tu_read(tu_path("m"), &n);
	ck_assert_mem_eq(b, "\x89IGM\r\n\x1a\n", 8);
	/* truncation anywhere is an error */
	for (size_t cut = 0; cut < n; cut += 7) {
		tu_write(tu_path("cut"), b, cut);
		ck_assert_ptr_null(igr_model_load(tu_path("cut")));
	}
	/* corruption in the data is caught by the CRC */
	b[n - 12] ^= 0x40;
	tu_write(tu_path("bad"), b, n);
	ck_assert_ptr_null(igr_model_load(tu_path("bad")));
	free(b);
	l = igr_model_load(tu_path("m"));
	if (igr_model_ops_find("pop") == NULL) {
		ck_assert_ptr_null(l);
		ck_assert_ptr_nonnull(strstr(igr_errmsg(), "unknown model"));
		return;
	}
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	ck_assert_str_eq(igr_model_name(l), "pop");
	ck_assert(igr_model_param_num(l, "neighbours", 0) == 200);
	ck_assert(igr_model_param_num(l, "absent", 7) == 7);
	a = igr_model_need(l, "pop", IGR_DT_F32, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->dim[0], 5);
	ck_assert(((float *)a->data)[3] == 1.5f);
	a = igr_model_need(l, "ids", IGR_DT_U32, 2);
	ck_assert_uint_eq(a->dim[1], 3);
	ck_assert_uint_eq(((uint32_t *)a->data)[5], 5000000u);
	ck_assert_ptr_null(igr_model_need(l, "ids", IGR_DT_F32, 2));
	igr_model_free(l);
}
END_TEST

/* A damaged header that claims a huge array is a truncated file, not a
 * huge allocation (found by tests/fuzz/fuzz_model.c). */
START_TEST(model_huge_claim)
{
	unsigned char b[256];
	size_t n = 0;
	const char *json = "{\"model\":\"pop\"}";

	memcpy(b, "\x89IGM\r\n\x1a\n", 8);
	b[8] = 1, b[9] = 0, b[10] = 0, b[11] = 0;
	b[12] = (unsigned char)strlen(json), b[13] = b[14] = b[15] = 0;
	n = 16;
	memcpy(b + n, json, strlen(json));
	n += strlen(json);
	b[n++] = 1, b[n++] = 0, b[n++] = 0, b[n++] = 0; /* one array */
	b[n++] = 3, b[n++] = 0;                         /* name "pop" */
	memcpy(b + n, "pop", 3);
	n += 3;
	b[n++] = IGR_DT_F32;
	b[n++] = 1;
	/* 2^36 floats = 256 GiB claimed, a few bytes present */
	memset(b + n, 0, 8);
	b[n + 4] = 0x10;
	n += 8;
	memcpy(b + n, "\1\2\3\4\5\6\7\10", 8);
	n += 8;
	tu_write(tu_path("huge"), b, n);
	ck_assert_ptr_null(igr_model_load(tu_path("huge")));
	ck_assert_msg(strstr(igr_errmsg(), "truncated") ||
			      strstr(igr_errmsg(), "damaged"),
		      "%s", igr_errmsg());
}
END_TEST

START_TEST(model_int8_rows)
{
	/* a 2-D float array marked by igr_model_quantize() is saved as int8
	 * rows (version 2) and read back as floats within half a step of
	 * the original; small and 1-D arrays stay exact; a file with no
	 * int8 array stays version 1; NaN cannot be stored */
	igr_model *m = igr_model_new("pop"), *l;
	uint64_t d2[] = { 300, 7 }, d1[] = { 4 }, ds[] = { 2, 2 };
	float *v = malloc(300 * 7 * sizeof *v), *p = malloc(4 * sizeof *p);
	float *sm = malloc(4 * sizeof *sm);
	float *orig = malloc(300 * 7 * sizeof *orig);
	const igr_array *a;
	unsigned char *b;
	size_t n, i, r;

	for (i = 0; i < 300 * 7; i++)
		v[i] = (float)((i * 7919) % 1000) / 250.0f - 2.0f;
	for (i = 0; i < 7; i++)
		v[5 * 7 + i] = 0; /* a zero row */
	memcpy(orig, v, 300 * 7 * sizeof *v);
	for (i = 0; i < 4; i++)
		p[i] = sm[i] = 0.1f * (float)i;
	ck_assert_int_eq(igr_model_add(m, "item", IGR_DT_F32, 2, d2, v), 0);
	ck_assert_int_eq(igr_model_add(m, "pop", IGR_DT_F32, 1, d1, p), 0);
	ck_assert_int_eq(igr_model_add(m, "small", IGR_DT_F32, 2, ds, sm), 0);
	ck_assert_int_eq(igr_model_save(m, tu_path("f")), 0);
	b = tu_read(tu_path("f"), &n);
	ck_assert_int_eq(b[8] | b[9] << 8, 1);
	free(b);
	ck_assert_uint_eq(igr_model_quantize(m, 100), 1);
	ck_assert_int_eq(igr_model_save(m, tu_path("q")), 0);
	b = tu_read(tu_path("q"), &n);
	ck_assert_int_eq(b[8] | b[9] << 8, 2);
	/* about a quarter of the float array's bytes */
	ck_assert_uint_lt(n, 300 * 7 * 4 / 2);
	free(b);
	l = igr_model_load(tu_path("q"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	a = igr_model_need(l, "item", IGR_DT_F32, 2);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->dim[0], 300);
	ck_assert_uint_eq(a->dim[1], 7);
	for (r = 0; r < 300; r++) {
		float mx = 0;

		for (i = 0; i < 7; i++)
			if (fabsf(orig[r * 7 + i]) > mx)
				mx = fabsf(orig[r * 7 + i]);
		for (i = 0; i < 7; i++)
			ck_assert_msg(fabsf(((const float *)a->data)[r * 7 + i] -
					    orig[r * 7 + i]) <=
					      mx / 127 / 2 + 1e-6f,
				      "row %zu col %zu", r, i);
	}
	a = igr_model_need(l, "pop", IGR_DT_F32, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert(((const float *)a->data)[3] == 0.1f * 3.0f);
	a = igr_model_need(l, "small", IGR_DT_F32, 2);
	ck_assert_ptr_nonnull(a);
	ck_assert(((const float *)a->data)[3] == 0.1f * 3.0f);
	/* saved again, it stays int8 */
	ck_assert_int_eq(igr_model_save(l, tu_path("q2")), 0);
	igr_model_free(l);
	b = tu_read(tu_path("q2"), &n);
	ck_assert_int_eq(b[8] | b[9] << 8, 2);
	free(b);
	/* truncated int8 files are errors too */
	b = tu_read(tu_path("q"), &n);
	for (size_t cut = 0; cut < n; cut += 97) {
		tu_write(tu_path("cut"), b, cut);
		ck_assert_ptr_null(igr_model_load(tu_path("cut")));
	}
	free(b);
	/* NaN cannot be coded: the save fails and says why */
	v[10] = NAN;
	ck_assert_int_eq(igr_model_save(m, tu_path("n")), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "NaN"));
	igr_model_free(m);
	free(orig);
}
END_TEST

/* ---- large arrays: padded to 64 bytes, read in place from a mapping */

enum { BIG = 600000 };

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* The array record at AT in the file image B: its name *NM (*NL bytes),
 * dtype *DT, *ND dims, the offset of its elements *EL and their count
 * *LEN.  Returns the offset of the next record.  No int8 arrays. */
static size_t rec_parse(const unsigned char *b, size_t at, const char **nm,
			size_t *nl, int *dt, int *nd, size_t *el, size_t *len)
{
	int d;

	*nl = le(b + at, 2);
	*nm = (const char *)b + at + 2;
	at += 2 + *nl;
	*dt = b[at];
	*nd = b[at + 1];
	at += 2;
	*len = 1;
	for (d = 0; d < *nd; d++, at += 8)
		*len *= le(b + at, 8);
	*el = at;
	return at + *len * igr_dtype_size(*dt);
}

/* Offset of the array count in the file image B. */
static size_t count_at(const unsigned char *b)
{
	return 16 + le(b + 12, 4);
}

/* Where the elements of array NAME start in the file image B (N bytes),
 * or 0; *NARR gets the array count of the file and *PADS how many of them
 * are pads (checked: U8, one dim, zeros, distinct names, since older
 * readers refuse a name twice). */
static size_t elem_offset(const unsigned char *b, size_t n, const char *name,
			  uint32_t *narr, int *pads)
{
	size_t at = count_at(b) + 4, found = 0, nl, el, len, k;
	char seen[8][32];
	const char *nm;
	uint32_t i;
	int dt, nd;

	*narr = (uint32_t)le(b + at - 4, 4);
	*pads = 0;
	for (i = 0; i < *narr; i++) {
		at = rec_parse(b, at, &nm, &nl, &dt, &nd, &el, &len);
		ck_assert_uint_le(at, n);
		if (nl == strlen(name) && memcmp(nm, name, nl) == 0)
			found = el;
		if (nm[0] != '.')
			continue;
		ck_assert_int_eq(dt, IGR_DT_U8);
		ck_assert_int_eq(nd, 1);
		ck_assert_uint_lt(len, 64);
		for (k = 0; k < len; k++)
			ck_assert_int_eq(b[el + k], 0);
		ck_assert_int_lt(*pads, 8);
		snprintf(seen[*pads], sizeof seen[0], "%.*s", (int)nl, nm);
		for (k = 0; k < (size_t)*pads; k++)
			ck_assert_str_ne(seen[k], seen[*pads]);
		(*pads)++;
	}
	return found;
}

/* The file image B (N bytes) as a writer without pads made it: the pad
 * records removed, the count and the checksum made again, in place;
 * returns the new length. */
static size_t strip_pads(unsigned char *b, size_t n)
{
	size_t at = count_at(b) + 4, to = at, next, nl, el, len;
	uint32_t narr = (uint32_t)le(b + at - 4, 4), keep = 0, i;
	const char *nm;
	uint32_t crc;
	int dt, nd;

	for (i = 0; i < narr; i++, at = next) {
		next = rec_parse(b, at, &nm, &nl, &dt, &nd, &el, &len);
		if (nm[0] == '.')
			continue;
		memmove(b + to, b + at, next - at);
		to += next - at;
		keep++;
	}
	ck_assert_uint_eq(n - at, 8);
	memcpy(b + to, "IEND", 4);
	for (i = 0; i < 4; i++)
		b[count_at(b) + i] = (unsigned char)(keep >> (8 * i));
	crc = (uint32_t)crc32(0, b, (uInt)(to + 4));
	for (i = 0; i < 4; i++)
		b[to + 4 + i] = (unsigned char)(crc >> (8 * i));
	return to + 8;
}

/* A model with two large arrays (one after an odd-sized small one) and
 * two small ones, saved to tu_path(FILE); *BIG gets a copy of "big". */
static void save_big(const char *file, float **big)
{
	igr_model *m = igr_model_new("pop");
	uint64_t d1[] = { BIG }, d3[] = { 3 }, d2[] = { 1000, 300 };
	float *f = malloc(BIG * sizeof *f);
	uint8_t *odd = malloc(3);
	uint64_t *w = malloc(1000 * 300 * sizeof *w);
	uint32_t *s = malloc(5 * sizeof *s);
	size_t i;

	for (i = 0; i < BIG; i++)
		f[i] = (float)i * 0.25f - 7.0f;
	for (i = 0; i < 1000 * 300; i++)
		w[i] = i * 0x9e3779b97f4a7c15ull;
	memcpy(odd, "abc", 3);
	for (i = 0; i < 5; i++)
		s[i] = (uint32_t)i;
	*big = malloc(BIG * sizeof *f);
	memcpy(*big, f, BIG * sizeof *f);
	cJSON_AddNumberToObject(igr_model_params(m), "alpha", 0.1);
	ck_assert_int_eq(igr_model_add(m, "odd", IGR_DT_U8, 1, d3, odd), 0);
	ck_assert_int_eq(igr_model_add(m, "big", IGR_DT_F32, 1, d1, f), 0);
	ck_assert_int_eq(igr_model_add(m, "small", IGR_DT_U32, 1,
				       (uint64_t[]){ 5 }, s), 0);
	ck_assert_int_eq(igr_model_add(m, "wide", IGR_DT_U64, 2, d2, w), 0);
	ck_assert_int_eq(igr_model_save(m, tu_path(file)), 0);
	igr_model_free(m);
}

START_TEST(model_big_mapped)
{
	igr_model *l;
	const igr_array *a;
	unsigned char *b, *b2;
	size_t n, n2, i, off;
	uint32_t narr;
	float *big;
	int pads;

	save_big("m", &big);
	b = tu_read(tu_path("m"), &n);
	/* the large arrays' elements start at multiples of 64, behind one
	 * pad each; the small ones get none */
	off = elem_offset(b, n, "big", &narr, &pads);
	ck_assert_uint_ne(off, 0);
	ck_assert_uint_eq(off % 64, 0);
	off = elem_offset(b, n, "wide", &narr, &pads);
	ck_assert_uint_ne(off, 0);
	ck_assert_uint_eq(off % 64, 0);
	ck_assert_uint_eq(narr, 6);
	ck_assert_int_eq(pads, 2);
	l = igr_model_read(tu_path("m"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	/* the pads are not part of the model */
	ck_assert_uint_eq(l->narr, 4);
	for (i = 0; i < l->narr; i++)
		ck_assert_int_ne(l->arr[i].name[0], '.');
	a = igr_model_need(l, "big", IGR_DT_F32, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->mapped, 1);
	ck_assert_uint_eq((uintptr_t)a->data % 64, 0);
	ck_assert_uint_eq(a->dim[0], BIG);
	ck_assert_int_eq(memcmp(a->data, big, BIG * sizeof *big), 0);
	ck_assert_int_eq(igr_model_get(l, "wide")->mapped, 1);
	ck_assert_uint_eq(((const uint64_t *)igr_model_get(l, "wide")->data)
				  [299999],
			  299999 * 0x9e3779b97f4a7c15ull);
	ck_assert_int_eq(igr_model_get(l, "small")->mapped, 0);
	ck_assert_int_eq(igr_model_get(l, "odd")->mapped, 0);
	ck_assert_mem_eq(igr_model_get(l, "odd")->data, "abc", 3);
	ck_assert_ptr_nonnull(l->map);
	/* saved again: the same bytes (no pads piled up) */
	ck_assert_int_eq(igr_model_save(l, tu_path("m2")), 0);
	igr_model_free(l);
	b2 = tu_read(tu_path("m2"), &n2);
	ck_assert_uint_eq(n2, n);
	ck_assert_int_eq(memcmp(b, b2, n), 0);
	free(b2);
	free(b);
	free(big);
}
END_TEST

START_TEST(model_old_file)
{
	/* a file without pads (an older writer's): read as before, "big"
	 * copied when its elements are not aligned to 4, in place when they
	 * are; saved again, it gets the pads */
	igr_model *l;
	const igr_array *a;
	unsigned char *b, *b2;
	size_t n, n2, off;
	uint32_t narr;
	float *big;
	int pads;

	save_big("m", &big);
	b = tu_read(tu_path("m"), &n);
	b2 = malloc(n);
	memcpy(b2, b, n);
	n2 = strip_pads(b2, n);
	ck_assert_uint_lt(n2, n);
	off = elem_offset(b2, n2, "big", &narr, &pads);
	ck_assert_int_eq(pads, 0);
	ck_assert_uint_eq(narr, 4);
	tu_write(tu_path("old"), b2, n2);
	l = igr_model_read(tu_path("old"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	a = igr_model_get(l, "big");
	ck_assert_int_eq(a->mapped, off % 4 == 0);
	ck_assert_int_eq(memcmp(a->data, big, BIG * sizeof *big), 0);
	ck_assert_int_eq(igr_model_get(l, "wide")->mapped,
			 elem_offset(b2, n2, "wide", &narr, &pads) % 8 == 0);
	/* 61 header bytes between them: one of the two is unaligned */
	ck_assert(!a->mapped || !igr_model_get(l, "wide")->mapped);
	ck_assert_int_eq(igr_model_save(l, tu_path("new")), 0);
	igr_model_free(l);
	free(b2);
	b2 = tu_read(tu_path("new"), &n2);
	ck_assert_uint_eq(n2, n);
	ck_assert_int_eq(memcmp(b, b2, n), 0);
	free(b2);
	free(b);
	free(big);
}
END_TEST

START_TEST(model_big_copied)
{
	/* IGRAPH_MMAP=0, stdin and compressed files: copies, same contents */
	igr_model *l;
	const igr_array *a;
	unsigned char *b;
	float *big;
	size_t n;
	gzFile gz;

	save_big("m", &big);
	setenv("IGRAPH_MMAP", "0", 1);
	l = igr_model_read(tu_path("m"));
	unsetenv("IGRAPH_MMAP");
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(l->narr, 4);
	a = igr_model_need(l, "big", IGR_DT_F32, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->mapped, 0);
	ck_assert_ptr_null(l->map);
	ck_assert_int_eq(memcmp(a->data, big, BIG * sizeof *big), 0);
	igr_model_free(l);
	b = tu_read(tu_path("m"), &n);
	gz = gzopen(tu_path("m.gz"), "wb");
	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(gzwrite(gz, b, (unsigned)n), (int)n);
	ck_assert_int_eq(gzclose(gz), Z_OK);
	free(b);
	l = igr_model_read(tu_path("m.gz"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	a = igr_model_need(l, "big", IGR_DT_F32, 1);
	ck_assert_int_eq(a->mapped, 0);
	ck_assert_int_eq(memcmp(a->data, big, BIG * sizeof *big), 0);
	igr_model_free(l);
	free(big);
}
END_TEST

START_TEST(model_big_damaged)
{
	/* a flipped byte in a mapped array is still caught by the CRC; a
	 * file cut inside it or before its end is still truncated */
	size_t n, off, cuts[3];
	unsigned char *b;
	uint32_t narr;
	float *big;
	int pads, i;

	save_big("m", &big);
	free(big);
	b = tu_read(tu_path("m"), &n);
	off = elem_offset(b, n, "big", &narr, &pads);
	ck_assert_uint_ne(off, 0);
	b[off + 12345] ^= 0x10;
	tu_write(tu_path("bad"), b, n);
	ck_assert_ptr_null(igr_model_read(tu_path("bad")));
	ck_assert_msg(strstr(igr_errmsg(), "checksum mismatch") != NULL, "%s",
		      igr_errmsg());
	b[off + 12345] ^= 0x10;
	cuts[0] = off + 1000;
	cuts[1] = off + BIG * 4 - 1;
	cuts[2] = n - 1;
	for (i = 0; i < 3; i++) {
		tu_write(tu_path("cut"), b, cuts[i]);
		ck_assert_ptr_null(igr_model_read(tu_path("cut")));
		ck_assert_msg(strstr(igr_errmsg(), "truncated model file") !=
				      NULL,
			      "cut at %zu: %s", cuts[i], igr_errmsg());
	}
	free(b);
}
END_TEST

START_TEST(model_big_private)
{
	/* writing into a mapped array changes this process's copy only */
	igr_model *l;
	const igr_array *a;
	unsigned char *b, *b2;
	size_t n, n2;
	float *big;

	save_big("m", &big);
	b = tu_read(tu_path("m"), &n);
	l = igr_model_read(tu_path("m"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	a = igr_model_get(l, "big");
	ck_assert_int_eq(a->mapped, 1);
	((float *)a->data)[0] = 42.0f;
	((float *)a->data)[BIG - 1] = -42.0f;
	ck_assert(((const float *)a->data)[0] == 42.0f);
	igr_model_free(l);
	b2 = tu_read(tu_path("m"), &n2);
	ck_assert_uint_eq(n2, n);
	ck_assert_int_eq(memcmp(b, b2, n), 0);
	l = igr_model_read(tu_path("m"));
	ck_assert_msg(l != NULL, "%s", igr_errmsg());
	ck_assert_int_eq(memcmp(igr_model_get(l, "big")->data, big,
				BIG * sizeof *big), 0);
	igr_model_free(l);
	free(b2);
	free(b);
	free(big);
}
END_TEST

START_TEST(model_reserved_names)
{
	/* names beginning with "." are the container's (pads) */
	igr_model *m = igr_model_new("pop");
	uint64_t d[] = { 1 };
	uint8_t x = 0;

	ck_assert_int_eq(igr_model_add(m, ".pad0", IGR_DT_U8, 1, d, &x), -1);
	ck_assert_int_eq(igr_model_add(m, ".", IGR_DT_U8, 1, d, &x), -1);
	ck_assert_uint_eq(m->narr, 0);
	igr_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, model_round_trip);
	tcase_add_test(tc, model_huge_claim);
	tcase_add_test(tc, model_int8_rows);
	tcase_add_test(tc, model_big_mapped);
	tcase_add_test(tc, model_old_file);
	tcase_add_test(tc, model_big_copied);
	tcase_add_test(tc, model_big_damaged);
	tcase_add_test(tc, model_big_private);
	tcase_add_test(tc, model_reserved_names);
	suite_add_tcase(s, tc);
	return tu_run(s);
}

