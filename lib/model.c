/* model.c - the model file container (see model.h). */
#include "model.h"
#include "version.h"
#include "endian.h"
#include "error.h"
#include "mem.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const unsigned char MMAGIC[8] = { 0x89, 'I', 'G', 'M',
					 '\r', '\n', 0x1a, '\n' };

igr_model *igr_model_new(const char *name)
{
	igr_model *m = calloc(1, sizeof *m);

	if (m == NULL)
		return igr_error("out of memory"), NULL;
	m->meta = cJSON_CreateObject();
	if (m->meta == NULL ||
	    cJSON_AddStringToObject(m->meta, "model", name) == NULL ||
	    cJSON_AddStringToObject(m->meta, "igraph", IGR_VERSION) == NULL) {
		igr_model_free(m);
		return igr_error("out of memory"), NULL;
	}
	m->ops = igr_model_ops_find(name);
	return m;
}

void igr_model_free(igr_model *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->state != NULL && m->ops && m->ops->release)
		m->ops->release(m);
	for (i = 0; i < m->narr; i++) {
		free(m->arr[i].name);
		if (!m->arr[i].mapped)
			free(m->arr[i].data);
	}
	free(m->arr);
	cJSON_Delete(m->meta);
	if (m->map != NULL)
		munmap(m->map, m->map_len);
	free(m);
}

const char *igr_model_name(const igr_model *m)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(m->meta, "model");

	return cJSON_IsString(n) ? n->valuestring : "unknown";
}

static cJSON *member_object(igr_model *m, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(m->meta, key);

	if (o == NULL)
		o = cJSON_AddObjectToObject(m->meta, key);
	return o;
}

cJSON *igr_model_params(igr_model *m)
{
	return member_object(m, "params");
}

cJSON *igr_model_data(igr_model *m)
{
	return member_object(m, "data");
}

double igr_model_param_num(const igr_model *m, const char *key, double def)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(m->meta, "params");
	const cJSON *v = p ? cJSON_GetObjectItemCaseSensitive(p, key) : NULL;

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

size_t igr_dtype_size(int dtype)
{
	switch (dtype) {
	case IGR_DT_U8:
		return 1;
	case IGR_DT_F32:
	case IGR_DT_U32:
		return 4;
	case IGR_DT_U64:
	case IGR_DT_I64:
	case IGR_DT_F64:
		return 8;
	}
	return 0;
}

uint64_t igr_array_len(const igr_array *a)
{
	uint64_t n = 1;
	int i;

	for (i = 0; i < a->ndim; i++)
		n *= a->dim[i];
	return n;
}

int igr_model_add(igr_model *m, const char *name, int dtype, int ndim,
		  const uint64_t *dims, void *data)
{
	igr_array *a;
	int i;

	if (igr_model_get(m, name) != NULL)
		return igr_error("model array '%s' added twice", name);
	if (ndim < 1 || ndim > 4 || igr_dtype_size(dtype) == 0 ||
	    strlen(name) > 255 || name[0] == IGR_MODEL_RESERVED)
		return igr_error("bad model array '%s'", name);
	if (igr_grow(&m->arr, &m->arr_cap, m->narr + 1, sizeof *m->arr) < 0)
		return -1;
	a = &m->arr[m->narr];
	memset(a, 0, sizeof *a);
	a->name = strdup(name);
	if (a->name == NULL)
		return igr_error("out of memory");
	a->dtype = dtype;
	a->ndim = ndim;
	for (i = 0; i < ndim; i++)
		a->dim[i] = dims[i];
	a->data = data;
	m->narr++;
	return 0;
}

const igr_array *igr_model_get(const igr_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->narr; i++)
		if (strcmp(m->arr[i].name, name) == 0)
			return &m->arr[i];
	return NULL;
}

const igr_array *igr_model_need(const igr_model *m, const char *name,
				int dtype, int ndim)
{
	const igr_array *a = igr_model_get(m, name);

	if (a == NULL)
		return igr_error("%s model lacks array '%s'", igr_model_name(m),
				 name), NULL;
	if (a->dtype != dtype || a->ndim != ndim)
		return igr_error("%s model array '%s' has the wrong type",
				 igr_model_name(m), name), NULL;
	return a;
}

static int host_is_le(void)
{
	const uint16_t one = 1;
	return *(const unsigned char *)&one == 1;
}

/* Writer that keeps a running CRC and the offset of the next byte. */
struct cw {
	igr_out *out;
	uint32_t crc;
	uint64_t off;
};

/* CRC-32 of N bytes at P added to *CRC (zlib's crc32 takes an unsigned
 * length). */
static void crc_add(uint32_t *crc, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0) {
		size_t part = n > (1u << 30) ? (1u << 30) : n;
		*crc = (uint32_t)crc32(*crc, c, (uInt)part);
		c += part;
		n -= part;
	}
}

static int cw_write(struct cw *w, const void *p, size_t n)
{
	crc_add(&w->crc, p, n);
	w->off += n;
	return igr_out_write(w->out, p, n);
}

static int write_elements(struct cw *w, const igr_array *a)
{
	size_t es = igr_dtype_size(a->dtype);
	uint64_t n = igr_array_len(a), i;
	unsigned char buf[8192];
	size_t fill = 0;

	if (host_is_le())
		return cw_write(w, a->data, (size_t)(n * es));
	for (i = 0; i < n; i++) {
		const unsigned char *src = (const unsigned char *)a->data + i * es;
		size_t b;
		for (b = 0; b < es; b++)
			buf[fill + b] = src[es - 1 - b];
		fill += es;
		if (fill + 8 > sizeof buf) {
			if (cw_write(w, buf, fill) < 0)
				return -1;
			fill = 0;
		}
	}
	return fill ? cw_write(w, buf, fill) : 0;
}

size_t igr_model_quantize(igr_model *m, uint64_t min_elems)
{
	size_t i, n = 0;

	for (i = 0; i < m->narr; i++)
		if (m->arr[i].dtype == IGR_DT_F32 && m->arr[i].ndim == 2 &&
		    igr_array_len(&m->arr[i]) >= min_elems &&
		    m->arr[i].dim[1] > 0) {
			m->arr[i].q8 = 1;
			n++;
		}
	return n;
}

/* One row's scale: max |x| / 127 (0 for a zero row; NaN and infinities
 * cannot be coded: -1). */
static int row_scale(const float *x, uint64_t n, float *scale)
{
	float mx = 0;
	uint64_t c;

	for (c = 0; c < n; c++) {
		if (!isfinite(x[c]))
			return -1;
		if (fabsf(x[c]) > mx)
			mx = fabsf(x[c]);
	}
	*scale = mx / 127.0f;
	return 0;
}

/* A 2-D F32 array as IGR_DT_Q8 elements: the row scales, then the codes
 * (row by row, 64 KB at a time). */
static int write_q8(struct cw *w, const igr_array *a)
{
	uint64_t nr = a->dim[0], nc = a->dim[1], r, c;
	const float *x = a->data;
	signed char buf[65536];
	unsigned char b[4];
	size_t fill = 0;
	float s;

	for (r = 0; r < nr; r++) {
		uint32_t bits;

		if (row_scale(x + r * nc, nc, &s) < 0)
			return igr_error("model array '%s' has a value int8 "
					 "cannot hold (NaN or infinite)",
					 a->name);
		memcpy(&bits, &s, 4);
		igr_put_u32(b, bits);
		if (cw_write(w, b, 4) < 0)
			return -1;
	}
	for (r = 0; r < nr; r++) {
		(void)row_scale(x + r * nc, nc, &s);
		for (c = 0; c < nc; c++) {
			float q = s > 0 ? rintf(x[r * nc + c] / s) : 0;

			buf[fill++] = (signed char)(q > 127 ? 127 : q < -127 ? -127
								      : q);
			if (fill == sizeof buf) {
				if (cw_write(w, buf, fill) < 0)
					return -1;
				fill = 0;
			}
		}
	}
	return fill ? cw_write(w, buf, fill) : 0;
}

/* Bytes of the record of an array named NAME with NDIM dims before its
 * elements. */
static uint64_t head_len(const char *name, int ndim)
{
	return 2 + strlen(name) + 2 + 8 * (uint64_t)ndim;
}

static int write_head(struct cw *w, const char *name, int dtype, int ndim,
		      const uint64_t *dims)
{
	unsigned char b[8];
	size_t nl = strlen(name);
	int d;

	igr_put_u16(b, (uint16_t)nl);
	if (cw_write(w, b, 2) < 0 || cw_write(w, name, nl) < 0)
		return -1;
	b[0] = (unsigned char)dtype;
	b[1] = (unsigned char)ndim;
	if (cw_write(w, b, 2) < 0)
		return -1;
	for (d = 0; d < ndim; d++) {
		igr_put_u64(b, dims[d]);
		if (cw_write(w, b, 8) < 0)
			return -1;
	}
	return 0;
}

/* 1 if A is saved with a pad array before it (model.h). */
static int wants_pad(const igr_array *a)
{
	return !a->q8 &&
	       igr_array_len(a) * igr_dtype_size(a->dtype) >= IGR_MODEL_MAP_MIN;
}

/* The pad array before A, the model's array number I: zero bytes, as
 * many as make A's elements start at a multiple of IGR_MODEL_ALIGN. */
static int write_pad(struct cw *w, const igr_array *a, size_t i)
{
	static const unsigned char zero[IGR_MODEL_ALIGN];
	char name[32];
	uint64_t at, n;

	snprintf(name, sizeof name, "%s%zu", IGR_MODEL_PAD, i);
	at = w->off + head_len(name, 1) + head_len(a->name, a->ndim);
	n = (IGR_MODEL_ALIGN - at % IGR_MODEL_ALIGN) % IGR_MODEL_ALIGN;
	if (write_head(w, name, IGR_DT_U8, 1, &n) < 0)
		return -1;
	return cw_write(w, zero, (size_t)n);
}

static int write_array(struct cw *w, const igr_array *a, size_t i)
{
	if (wants_pad(a) && write_pad(w, a, i) < 0)
		return -1;
	if (write_head(w, a->name, a->q8 ? IGR_DT_Q8 : a->dtype, a->ndim,
		       a->dim) < 0)
		return -1;
	return a->q8 ? write_q8(w, a) : write_elements(w, a);
}

int igr_model_save(const igr_model *m, const char *path)
{
	struct cw w = { NULL, 0, 0 };
	unsigned char b[16];
	char *json;
	size_t i, jl, n = m->narr;
	int q = 0;

	json = cJSON_PrintUnformatted(m->meta);
	if (json == NULL)
		return igr_error("out of memory");
	w.out = igr_out_open(path);
	if (w.out == NULL) {
		free(json);
		return -1;
	}
	jl = strlen(json);
	for (i = 0; i < m->narr; i++) {
		q |= m->arr[i].q8;
		n += (size_t)wants_pad(&m->arr[i]);
	}
	memcpy(b, MMAGIC, 8);
	/* version 2 only when an array is int8: version 1 readers still
	 * read every other model */
	igr_put_u16(b + 8, q ? 2 : 1);
	igr_put_u16(b + 10, IGR_MODEL_MINOR);
	igr_put_u32(b + 12, (uint32_t)jl);
	if (cw_write(&w, b, 16) < 0 || cw_write(&w, json, jl) < 0)
		goto fail;
	igr_put_u32(b, (uint32_t)n);
	if (cw_write(&w, b, 4) < 0)
		goto fail;
	for (i = 0; i < m->narr; i++)
		if (write_array(&w, &m->arr[i], i) < 0)
			goto fail;
	memcpy(b, "IEND", 4);
	igr_put_u32(b + 4, (uint32_t)crc32(w.crc, (const unsigned char *)"IEND",
					   4));
	if (igr_out_write(w.out, b, 8) < 0)
		goto fail;
	free(json);
	return igr_out_close(w.out);
fail:
	free(json);
	igr_out_abort(w.out);
	return -1;
}

/* Reader with a running CRC and clear truncation errors.  One parser,
 * two byte sources: the stream IN, or (IN NULL) the LEN bytes of a file
 * mapped at MAP, POS of them read. */
struct cr {
	igr_in *in;
	unsigned char *map;
	size_t len, pos;
	uint32_t crc;
	const char *path;
};

/* 0 unless IGRAPH_MMAP is "0" (model.h). */
static int map_disabled(void)
{
	const char *e = getenv("IGRAPH_MMAP");

	return e != NULL && strcmp(e, "0") == 0;
}

/* 1 if PATH is a regular file that starts with the model magic (not
 * compressed), with its size in *SIZE and open read-only as *FD. */
static int mappable(const char *path, int *fd, size_t *size)
{
	unsigned char b[8];
	struct stat st;

	/* stat first: opening a FIFO would wait for (or rob) its writer */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return 0;
	if (fstat(*fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= (off_t)sizeof b &&
	    (off_t)(size_t)st.st_size == st.st_size &&
	    pread(*fd, b, sizeof b, 0) == (ssize_t)sizeof b &&
	    memcmp(b, MMAGIC, 8) == 0) {
		*size = (size_t)st.st_size;
		return 1;
	}
	close(*fd);
	return 0;
}

/* Map PATH for R when it can be (model.h); 0, or -1 to read it as a
 * stream instead (sets no error: the stream reports its own). */
static int cr_map(struct cr *r, const char *path)
{
	size_t size;
	void *p;
	int fd;

	if (map_disabled() || !host_is_le() || path == NULL ||
	    strcmp(path, "-") == 0 || !mappable(path, &fd, &size))
		return -1;
	/* private and writable: a write into an array copies the page, the
	 * file never changes */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	r->map = p;
	r->len = size;
	r->pos = 0;
	return 0;
}

static int cr_open(struct cr *r, const char *path)
{
	if (cr_map(r, path) == 0)
		return 0;
	r->in = igr_in_open(path);
	return r->in != NULL ? 0 : -1;
}

static void cr_close(struct cr *r)
{
	if (r->map != NULL)
		munmap(r->map, r->len);
	r->map = NULL;
	igr_in_close(r->in);
	r->in = NULL;
}

/* Up to N bytes of R into P, not counted in the CRC: the number read
 * (less than N only at the end) or -1. */
static ssize_t cr_raw(struct cr *r, void *p, size_t n)
{
	if (r->in != NULL)
		return igr_in_read(r->in, p, n);
	if (n > r->len - r->pos)
		n = r->len - r->pos;
	memcpy(p, r->map + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

static int cr_read(struct cr *r, void *p, size_t n)
{
	ssize_t got = cr_raw(r, p, n);

	if (got < 0)
		return -1;
	if ((size_t)got < n)
		return igr_error("%s: truncated model file", r->path);
	crc_add(&r->crc, p, n);
	return 0;
}

/* The next BYTES bytes of R in place in the mapping, when R reads one,
 * they are all there, they are IGR_MODEL_MAP_MIN or more and start at a
 * multiple of ES (the element size); else NULL: read_array() copies
 * them (and reports a truncated file). */
static void *cr_view(struct cr *r, size_t bytes, size_t es)
{
	unsigned char *p;

	if (r->map == NULL || bytes < IGR_MODEL_MAP_MIN ||
	    bytes > r->len - r->pos || r->pos % es != 0)
		return NULL;
	p = r->map + r->pos;
	crc_add(&r->crc, p, bytes);
	r->pos += bytes;
	return p;
}

/* The next BYTES bytes of R in a new buffer.  The buffer grows as the
 * bytes arrive, so a damaged header that claims a huge array costs a
 * "truncated" error, not a huge allocation.  NULL on error. */
static void *read_array(struct cr *r, size_t bytes, const char *aname)
{
	size_t have = 0, cap = bytes < (16u << 20) ? bytes : (16u << 20);
	unsigned char *buf = malloc(cap ? cap : 1);

	if (buf == NULL)
		return igr_error("out of memory (model array '%s')", aname),
		       NULL;
	while (have < bytes) {
		size_t part;
		if (have == cap) {
			size_t nc = cap * 2 < bytes ? cap * 2 : bytes;
			unsigned char *nb = realloc(buf, nc);
			if (nb == NULL) {
				free(buf);
				return igr_error("out of memory (model array "
						 "'%s')", aname), NULL;
			}
			buf = nb;
			cap = nc;
		}
		part = cap - have;
		if (cr_read(r, buf + have, part) < 0) {
			free(buf);
			return NULL;
		}
		have += part;
	}
	return buf;
}

/* Give an array read from a file to M: the container's own (pads) are
 * dropped.  DATA is M's (or the mapping's, if MAPPED) in every case.  0
 * or -1. */
static int add_read(igr_model *m, const char *name, int dtype, int ndim,
		    const uint64_t *dims, void *data, int mapped)
{
	if (name[0] == IGR_MODEL_RESERVED) {
		if (!mapped)
			free(data);
		return 0;
	}
	if (igr_model_add(m, name, dtype, ndim, dims, data) < 0) {
		if (!mapped)
			free(data);
		return -1;
	}
	m->arr[m->narr - 1].mapped = mapped;
	return 0;
}

/* An IGR_DT_Q8 array of R (after its dtype byte) decoded into a new F32
 * array NAME of M, marked to be saved as int8 again.  0 or -1. */
static int read_q8(struct cr *r, igr_model *m, const char *name)
{
	unsigned char b[8];
	uint64_t dims[2], i, c;
	unsigned char *sc = NULL;
	signed char *code = NULL;
	float *x = NULL;
	int d;

	for (d = 0; d < 2; d++) {
		if (cr_read(r, b, 8) < 0)
			return -1;
		dims[d] = igr_get_u64(b);
	}
	if (dims[1] == 0 || dims[0] > ((uint64_t)1 << 36) / dims[1])
		return igr_error("%s: damaged model file (array '%s')", r->path,
				 name);
	sc = read_array(r, (size_t)dims[0] * 4, name);
	code = sc ? read_array(r, (size_t)(dims[0] * dims[1]), name) : NULL;
	x = code ? malloc((size_t)(dims[0] * dims[1]) * sizeof *x + 1) : NULL;
	if (x == NULL) {
		free(sc);
		free(code);
		return code ? igr_error("out of memory (model array '%s')",
					name)
			    : -1;
	}
	for (i = 0; i < dims[0]; i++) {
		uint32_t bits = igr_get_u32(sc + 4 * i);
		float s;

		memcpy(&s, &bits, 4);
		for (c = 0; c < dims[1]; c++)
			x[i * dims[1] + c] = (float)code[i * dims[1] + c] * s;
	}
	free(sc);
	free(code);
	if (add_read(m, name, IGR_DT_F32, 2, dims, x, 0) < 0)
		return -1;
	if (name[0] != IGR_MODEL_RESERVED)
		m->arr[m->narr - 1].q8 = 1;
	return 0;
}

/* Elements of ES bytes of a big-endian host's copy, from the file's
 * little-endian order. */
static void swap_elements(unsigned char *c, uint64_t n, size_t es)
{
	uint64_t k;
	size_t x;

	for (k = 0; k < n; k++, c += es)
		for (x = 0; x < es / 2; x++) {
			unsigned char t = c[x];
			c[x] = c[es - 1 - x];
			c[es - 1 - x] = t;
		}
}

/* A plain array of R (after its name, DT and ND) into M.  0 or -1. */
static int read_plain(struct cr *r, igr_model *m, const char *name, int dt,
		      int nd)
{
	unsigned char b[8];
	uint64_t dims[4], n = 1;
	size_t es = igr_dtype_size(dt);
	void *data;
	int d, mapped;

	if (es == 0 || nd < 1 || nd > 4)
		return igr_error("%s: damaged model file (array '%s')", r->path,
				 name);
	for (d = 0; d < nd; d++) {
		if (cr_read(r, b, 8) < 0)
			return -1;
		dims[d] = igr_get_u64(b);
		if (dims[d] != 0 && n > (UINT64_MAX >> 4) / dims[d])
			return igr_error("%s: damaged model file (array '%s')",
					 r->path, name);
		n *= dims[d];
	}
	if (n * es > ((uint64_t)1 << 40))
		return igr_error("%s: damaged model file (array '%s')", r->path,
				 name);
	data = cr_view(r, (size_t)(n * es), es);
	mapped = data != NULL;
	if (!mapped)
		data = read_array(r, (size_t)(n * es), name);
	if (data == NULL)
		return -1;
	if (!host_is_le() && es > 1)
		swap_elements(data, n, es);
	return add_read(m, name, dt, nd, dims, data, mapped);
}

/* Magic, version and description of R into M.  0 or -1. */
static int read_head(struct cr *r, igr_model *m)
{
	unsigned char b[16];
	char *json;
	uint32_t jl;

	if (cr_read(r, b, 16) < 0)
		return -1;
	if (memcmp(b, MMAGIC, 8) != 0)
		return igr_error("%s: not an igraph model file", r->path);
	if (igr_get_u16(b + 8) > IGR_MODEL_MAJOR)
		return igr_error("%s: model version %u.%u is newer than this "
				 "program supports (%d.%d)", r->path,
				 igr_get_u16(b + 8), igr_get_u16(b + 10),
				 IGR_MODEL_MAJOR, IGR_MODEL_MINOR);
	jl = igr_get_u32(b + 12);
	if (jl > (64u << 20))
		return igr_error("%s: damaged model file", r->path);
	json = malloc((size_t)jl + 1);
	if (json == NULL)
		return igr_error("out of memory");
	if (cr_read(r, json, jl) < 0) {
		free(json);
		return -1;
	}
	json[jl] = '\0';
	m->meta = cJSON_Parse(json);
	free(json);
	if (m->meta == NULL || !cJSON_IsObject(m->meta))
		return igr_error("%s: damaged model description", r->path);
	return 0;
}

/* The arrays of R into M.  0 or -1. */
static int read_arrays(struct cr *r, igr_model *m)
{
	unsigned char b[4];
	char name[256];
	uint32_t narr, i;
	size_t nl;

	if (cr_read(r, b, 4) < 0)
		return -1;
	narr = igr_get_u32(b);
	if (narr > 4096)
		return igr_error("%s: damaged model file", r->path);
	for (i = 0; i < narr; i++) {
		if (cr_read(r, b, 2) < 0)
			return -1;
		nl = igr_get_u16(b);
		if (nl > 255)
			return igr_error("%s: damaged model file", r->path);
		if (cr_read(r, name, nl) < 0)
			return -1;
		name[nl] = '\0';
		if (cr_read(r, b, 2) < 0)
			return -1;
		if (b[0] == IGR_DT_Q8 && b[1] != 2)
			return igr_error("%s: damaged model file (array '%s')",
					 r->path, name);
		if ((b[0] == IGR_DT_Q8 ? read_q8(r, m, name)
				       : read_plain(r, m, name, b[0], b[1])) < 0)
			return -1;
	}
	return 0;
}

/* The end marker and checksum of R, and nothing after them.  0 or -1. */
static int read_end(struct cr *r)
{
	unsigned char b[8];
	uint32_t want;

	if (cr_read(r, b, 4) < 0)
		return -1;
	want = r->crc;
	if (memcmp(b, "IEND", 4) != 0)
		return igr_error("%s: damaged model file (no end marker)",
				 r->path);
	if (cr_raw(r, b + 4, 4) != 4)
		return igr_error("%s: truncated model file", r->path);
	if (igr_get_u32(b + 4) != want)
		return igr_error("%s: model file checksum mismatch (corrupted)",
				 r->path);
	if (cr_raw(r, b, 1) != 0)
		return igr_error("%s: trailing data after the model", r->path);
	return 0;
}

igr_model *igr_model_read(const char *path)
{
	struct cr r = { .path = path };
	igr_model *m;
	size_t i;

	if (cr_open(&r, path) < 0)
		return NULL;
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	if (read_head(&r, m) < 0 || read_arrays(&r, m) < 0 ||
	    read_end(&r) < 0)
		goto fail;
	/* the model keeps the mapping while an array lives in it */
	for (i = 0; i < m->narr; i++)
		if (m->arr[i].mapped) {
			m->map = r.map;
			m->map_len = r.len;
			r.map = NULL;
			break;
		}
	cr_close(&r);
	return m;
fail:
	igr_model_free(m);
	cr_close(&r);
	return NULL;
}

static uint32_t data_u32(const igr_model *m, const char *key)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(m->meta, "data");
	const cJSON *v = d ? cJSON_GetObjectItemCaseSensitive(d, key) : NULL;

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > UINT32_MAX)
		return 0;
	return (uint32_t)v->valuedouble;
}

uint32_t igr_model_nusers(const igr_model *m)
{
	return data_u32(m, "users");
}

uint32_t igr_model_nitems(const igr_model *m)
{
	return data_u32(m, "items");
}

igr_model *igr_model_load(const char *path)
{
	igr_model *m = igr_model_read(path);
	const char *name;

	if (m == NULL)
		return NULL;
	name = igr_model_name(m);
	m->ops = igr_model_ops_find(name);
	if (m->ops == NULL) {
		igr_error("%s: unknown model type '%s'", path, name);
		igr_model_free(m);
		return NULL;
	}
	return m;
}
