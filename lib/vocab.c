/* vocab.c - external id <-> dense id tables (see vocab.h). */
#include "vocab.h"
#include "error.h"
#include "mem.h"
#include "crc32.h"
#include "rand.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct igr_vocab {
	char *arena;        /* names, each NUL-terminated */
	size_t arena_len, arena_cap;
	uint64_t *off;      /* off[id] = offset of name in arena */
	uint32_t *len;      /* len[id] = name length */
	uint32_t n;
	size_t cap;         /* room of off and len */
	uint32_t *slots;    /* open addressing table of ids, IGR_NONE = empty */
	uint32_t *hfrag;    /* high hash bits per slot for quick rejection */
	size_t nslots;      /* power of two */
	uint64_t seed;
	uint8_t *forgotten; /* bitmap, NULL until first mark */
	size_t forgotten_cap;
};

uint64_t igr_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *c = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

	while (n >= 8) {
		uint64_t k;
		memcpy(&k, c, 8);
		h = (h ^ igr_mix64(k)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
		c += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t k = 0;
		memcpy(&k, c, n);
		h = (h ^ igr_mix64(k ^ 0x5555)) * 0x9e3779b97f4a7c15ULL;
	}
	return igr_mix64(h);
}

static uint64_t process_seed(void)
{
	static uint64_t seed;

	if (seed == 0) {
		/* a random key per process keeps crafted ids from colliding;
		 * ids are assigned in input order, so output does not depend
		 * on it */
		if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed)
			seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
			       (uint64_t)(uintptr_t)&seed;
		seed |= 1;
	}
	return seed;
}

igr_vocab *igr_vocab_new(void)
{
	igr_vocab *v = calloc(1, sizeof *v);

	if (v == NULL)
		return igr_error("out of memory"), NULL;
	v->seed = process_seed();
	v->nslots = 1024;
	v->slots = malloc(v->nslots * sizeof *v->slots);
	v->hfrag = malloc(v->nslots * sizeof *v->hfrag);
	if (v->slots == NULL || v->hfrag == NULL) {
		igr_vocab_free(v);
		return igr_error("out of memory"), NULL;
	}
	memset(v->slots, 0xff, v->nslots * sizeof *v->slots);
	return v;
}

void igr_vocab_free(igr_vocab *v)
{
	if (v == NULL)
		return;
	free(v->arena);
	free(v->off);
	free(v->len);
	free(v->slots);
	free(v->hfrag);
	free(v->forgotten);
	free(v);
}

static int rehash(igr_vocab *v)
{
	size_t ns = v->nslots * 2, mask = ns - 1;
	uint32_t *slots = malloc(ns * sizeof *slots);
	uint32_t *hfrag = malloc(ns * sizeof *hfrag);
	uint32_t id;

	if (slots == NULL || hfrag == NULL) {
		free(slots);
		free(hfrag);
		return igr_error("out of memory");
	}
	memset(slots, 0xff, ns * sizeof *slots);
	for (id = 0; id < v->n; id++) {
		uint64_t h = igr_hash_bytes(v->arena + v->off[id], v->len[id],
					    v->seed);
		size_t i = (size_t)h & mask;
		while (slots[i] != IGR_NONE)
			i = (i + 1) & mask;
		slots[i] = id;
		hfrag[i] = (uint32_t)(h >> 32);
	}
	free(v->slots);
	free(v->hfrag);
	v->slots = slots;
	v->hfrag = hfrag;
	v->nslots = ns;
	return 0;
}

/* Slot where S is or would go. */
static size_t find_slot(const igr_vocab *v, const char *s, size_t len,
			uint64_t h)
{
	size_t mask = v->nslots - 1, i = (size_t)h & mask;
	uint32_t frag = (uint32_t)(h >> 32);

	for (;;) {
		uint32_t id = v->slots[i];
		if (id == IGR_NONE)
			return i;
		if (v->hfrag[i] == frag && v->len[id] == len &&
		    memcmp(v->arena + v->off[id], s, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

uint32_t igr_vocab_find(const igr_vocab *v, const char *s, size_t len)
{
	uint64_t h = igr_hash_bytes(s, len, v->seed);

	return v->slots[find_slot(v, s, len, h)];
}

static int valid_name(const char *s, size_t len)
{
	if (len == 0)
		return igr_error("empty id");
	if (len > IGR_VOCAB_MAXLEN)
		return igr_error("id longer than %d bytes", IGR_VOCAB_MAXLEN);
	if (memchr(s, '\t', len) || memchr(s, '\n', len) ||
	    memchr(s, '\r', len) || memchr(s, '\0', len))
		return igr_error("id contains a tab, newline or NUL");
	return 0;
}

int igr_vocab_intern(igr_vocab *v, const char *s, size_t len, uint32_t *id)
{
	const struct igr_growing grown[] = { IGR_GROWING(&v->off),
					     IGR_GROWING(&v->len) };
	uint64_t h;
	size_t slot;

	h = igr_hash_bytes(s, len, v->seed);
	slot = find_slot(v, s, len, h);
	if (v->slots[slot] != IGR_NONE) {
		*id = v->slots[slot];
		return 0;
	}
	if (valid_name(s, len) < 0)
		return -1;
	if (v->n >= IGR_NONE - 1)
		return igr_error("vocabulary full (2^32 - 1 ids)");
	if (igr_grow_each(&v->cap, (size_t)v->n + 1, grown, 2) < 0 ||
	    igr_grow(&v->arena, &v->arena_cap, v->arena_len + len + 1, 1) < 0)
		return -1;
	memcpy(v->arena + v->arena_len, s, len);
	v->arena[v->arena_len + len] = '\0';
	v->off[v->n] = v->arena_len;
	v->len[v->n] = (uint32_t)len;
	v->arena_len += len + 1;
	v->slots[slot] = v->n;
	v->hfrag[slot] = (uint32_t)(h >> 32);
	*id = v->n++;
	/* keep the load factor under 1/2 */
	if ((size_t)v->n * 2 > v->nslots && rehash(v) < 0) {
		v->n--; /* leave the table consistent */
		return -1;
	}
	return 0;
}

const char *igr_vocab_name(const igr_vocab *v, uint32_t id)
{
	if (id >= v->n)
		return NULL;
	return v->arena + v->off[id];
}

uint32_t igr_vocab_size(const igr_vocab *v)
{
	return v->n;
}

void igr_vocab_forget(igr_vocab *v, uint32_t id)
{
	if (id >= v->n)
		return;
	if (v->forgotten_cap <= id / 8) {
		size_t old = v->forgotten_cap;
		if (igr_grow(&v->forgotten, &v->forgotten_cap,
			     (size_t)v->n / 8 + 1, 1) < 0)
			return; /* caller checks with igr_vocab_is_forgotten */
		memset(v->forgotten + old, 0, v->forgotten_cap - old);
	}
	v->forgotten[id / 8] |= (uint8_t)(1u << (id % 8));
}

int igr_vocab_is_forgotten(const igr_vocab *v, uint32_t id)
{
	if (v->forgotten == NULL || id / 8 >= v->forgotten_cap)
		return 0;
	return (v->forgotten[id / 8] >> (id % 8)) & 1;
}

int igr_vocab_load(igr_vocab *v, const char *path)
{
	igr_in *in = igr_in_open(path);
	char *line;
	size_t len;
	int r;

	if (in == NULL)
		return -1;
	while ((r = igr_in_getline(in, &line, &len)) == 1) {
		char *tab = memchr(line, '\t', len);
		size_t nlen = tab ? (size_t)(tab - line) : len;
		uint32_t id, before = v->n;
		if (igr_in_partial_line(in)) {
			igr_in_close(in);
			return igr_error("%s:%llu: vocabulary truncated (last "
					 "line has no newline)", path,
					 (unsigned long long)before + 1);
		}
		if (igr_vocab_intern(v, line, nlen, &id) < 0) {
			igr_error_prefix("%s:%llu", path,
					 (unsigned long long)before + 1);
			igr_in_close(in);
			return -1;
		}
		if (id != before) {
			igr_in_close(in);
			return igr_error("%s:%llu: duplicate id '%s' (first on "
					 "line %lu)", path,
					 (unsigned long long)before + 1,
					 igr_vocab_name(v, id),
					 (unsigned long)id + 1);
		}
		if (tab != NULL) {
			if (strcmp(tab + 1, "forgotten") != 0) {
				igr_in_close(in);
				return igr_error("%s:%llu: unknown mark '%s'",
						 path,
						 (unsigned long long)id + 1,
						 tab + 1);
			}
			igr_vocab_forget(v, id);
		}
	}
	igr_in_close(in);
	return r < 0 ? -1 : 0;
}

int igr_vocab_save(const igr_vocab *v, const char *path)
{
	igr_out *out = igr_out_open(path);
	uint32_t id;

	if (out == NULL)
		return -1;
	for (id = 0; id < v->n; id++) {
		const char *mark = igr_vocab_is_forgotten(v, id)
					   ? "\tforgotten\n" : "\n";
		if (igr_out_write(out, v->arena + v->off[id], v->len[id]) < 0 ||
		    igr_out_write(out, mark, strlen(mark)) < 0) {
			igr_out_abort(out);
			return -1;
		}
	}
	return igr_out_close(out);
}

static const char *const vocab_file[3] = { "user.tsv", "item.tsv",
					   "category.tsv" };

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* ---- the sums (see vocab.h) ------------------------------------------ */

#define SUMS_FILE "sums"
#define SUMS_MAGIC "#igraph vocab-sums 1"

/* The CRC-32 of the bytes igr_vocab_save() writes for V. */
static uint32_t vocab_crc(const igr_vocab *v)
{
	uint32_t crc = 0, id;

	for (id = 0; id < v->n; id++) {
		crc = igr_crc32(crc, v->arena + v->off[id], v->len[id]);
		if (igr_vocab_is_forgotten(v, id))
			crc = igr_crc32(crc, "\tforgotten\n", 11);
		else
			crc = igr_crc32(crc, "\n", 1);
	}
	return crc;
}

struct sums {
	int have;                /* DIR/sums exists */
	uint32_t n[3], crc[3];   /* the committed state of each file */
	uint32_t pn[3], pcrc[3]; /* the state before it */
};

static int parse_u32(const char **p, int base, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (**p < '0' || **p > 'f')
		return -1;
	errno = 0;
	x = strtoull(*p, &end, base);
	if (errno != 0 || end == *p || x > UINT32_MAX ||
	    (*end != '\t' && *end != '\0'))
		return -1;
	*out = (uint32_t)x;
	*p = *end == '\t' ? end + 1 : end;
	return 0;
}

/* Read DIR/sums into S (S->have 0 if there is none).  0 or -1. */
static int sums_read(const char *dir, struct sums *s)
{
	char *p = join_path(dir, SUMS_FILE), *line;
	igr_in *in;
	size_t len;
	int t = -1, r;

	memset(s, 0, sizeof *s);
	if (p == NULL)
		return igr_error("out of memory");
	if (access(p, F_OK) != 0 && errno == ENOENT) {
		free(p);
		return 0;
	}
	in = igr_in_open(p);
	if (in == NULL) {
		free(p);
		return -1;
	}
	while ((r = igr_in_getline(in, &line, &len)) == 1) {
		const char *c = line, *tab = memchr(line, '\t', len);
		if (t < 0) {
			if (strcmp(line, SUMS_MAGIC) != 0)
				break;
			t = 0;
			continue;
		}
		if (t >= 3 || tab == NULL ||
		    (size_t)(tab - line) != strlen(vocab_file[t]) ||
		    memcmp(line, vocab_file[t], (size_t)(tab - line)) != 0)
			break;
		c = tab + 1;
		if (parse_u32(&c, 10, &s->n[t]) < 0 ||
		    parse_u32(&c, 16, &s->crc[t]) < 0 ||
		    parse_u32(&c, 10, &s->pn[t]) < 0 ||
		    parse_u32(&c, 16, &s->pcrc[t]) < 0 || *c != '\0')
			break;
		t++;
	}
	igr_in_close(in);
	if (r < 0) {
		free(p);
		return -1;
	}
	if (t != 3 || r == 1) {
		igr_error("%s: not a vocabulary sums file (damaged?)", p);
		free(p);
		return -1;
	}
	free(p);
	s->have = 1;
	return 0;
}

static int same_sums(const struct sums *a, const struct sums *b)
{
	return a->have == b->have && memcmp(a->n, b->n, sizeof a->n) == 0 &&
	       memcmp(a->crc, b->crc, sizeof a->crc) == 0 &&
	       memcmp(a->pn, b->pn, sizeof a->pn) == 0 &&
	       memcmp(a->pcrc, b->pcrc, sizeof a->pcrc) == 0;
}

/* Write DIR/sums atomically and durably. */
static int sums_write(const char *dir, const uint32_t n[3],
		      const uint32_t crc[3], const uint32_t pn[3],
		      const uint32_t pcrc[3])
{
	char *p = join_path(dir, SUMS_FILE), line[128];
	igr_out *out;
	int t;

	if (p == NULL)
		return igr_error("out of memory");
	out = igr_out_open(p);
	free(p);
	if (out == NULL)
		return -1;
	if (igr_out_write(out, SUMS_MAGIC "\n", strlen(SUMS_MAGIC) + 1) < 0)
		goto fail;
	for (t = 0; t < 3; t++) {
		int k = snprintf(line, sizeof line, "%s\t%lu\t%08lx\t%lu\t%08lx\n",
				 vocab_file[t], (unsigned long)n[t],
				 (unsigned long)crc[t], (unsigned long)pn[t],
				 (unsigned long)pcrc[t]);
		if (igr_out_write(out, line, (size_t)k) < 0)
			goto fail;
	}
	return igr_out_close(out);
fail:
	igr_out_abort(out);
	return -1;
}

/* 0 if file T (PATH) with N ids and checksum CRC is in a state S records
 * (any state when there are no sums); else -1 saying what is wrong. */
static int sums_check(const struct sums *s, int t, const char *path,
		      uint32_t n, uint32_t crc)
{
	if (!s->have || (n == s->n[t] && crc == s->crc[t]) ||
	    (n == s->pn[t] && crc == s->pcrc[t]))
		return 0;
	if (n < s->n[t])
		return igr_error("%s: %lu ids where the vocabulary's sums "
				 "record %lu (lines deleted, or the file cut "
				 "short)", path, (unsigned long)n,
				 (unsigned long)s->n[t]);
	if (n > s->n[t])
		return igr_error("%s: %lu ids where the vocabulary's sums "
				 "record %lu (lines added by hand?)", path,
				 (unsigned long)n, (unsigned long)s->n[t]);
	return igr_error("%s: checksum mismatch with the vocabulary's sums (an "
			 "id changed, or lines moved)", path);
}

/* A writer may save while a reader without the lock reads: the reader
 * reads the sums before and after the files and, when they differ, reads
 * again. */
#define READ_TRIES 5

/* ---- the directory ------------------------------------------------- */

/* Load the three files into VS (fresh vocabularies), checked against
 * the sums.  0, -1, or 1: the sums changed meanwhile (read again). */
static int load_all(igr_vocabset *vs)
{
	struct sums s0, s1;
	char msg[1024];
	int t, bad = 0, files = 0;

	if (sums_read(vs->dir, &s0) < 0)
		return -1;
	for (t = 0; t < 3; t++) {
		char *p = join_path(vs->dir, vocab_file[t]);
		if (p == NULL)
			return igr_error("out of memory");
		igr_vocab_free(vs->v[t]);
		vs->v[t] = igr_vocab_new();
		if (vs->v[t] == NULL) {
			free(p);
			return -1;
		}
		if (access(p, F_OK) == 0) {
			files++;
			if (igr_vocab_load(vs->v[t], p) < 0) {
				free(p);
				return -1;
			}
		}
		vs->loaded[t] = igr_vocab_size(vs->v[t]);
		vs->sum_n[t] = vs->loaded[t];
		vs->sum_crc[t] = vocab_crc(vs->v[t]);
		if (!bad && sums_check(&s0, t, p, vs->sum_n[t],
				       vs->sum_crc[t]) < 0) {
			bad = 1;
			snprintf(msg, sizeof msg, "%s", igr_errmsg());
		}
		free(p);
	}
	vs->unchecked = !s0.have && files > 0;
	if (!bad)
		return 0;
	if (sums_read(vs->dir, &s1) < 0)
		return -1;
	if (!same_sums(&s0, &s1))
		return 1;
	return igr_error("%s", msg);
}

igr_vocabset *igr_vocabset_open(const char *dir, int mode)
{
	igr_vocabset *vs = calloc(1, sizeof *vs);
	struct stat st;
	int tries, r = 1;

	if (vs == NULL)
		return igr_error("out of memory"), NULL;
	vs->lockfd = -1;
	vs->dir = strdup(dir);
	if (vs->dir == NULL)
		goto oom;
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT && mode == IGR_VOCAB_READ) {
			/* empty for now: the ingest writing it may not have
			 * made it yet (igr_vocabset_refresh) */
			int t;
			for (t = 0; t < 3; t++)
				if ((vs->v[t] = igr_vocab_new()) == NULL)
					goto fail;
			vs->missing = 1;
			return vs;
		}
		if (errno != ENOENT) {
			igr_syserror("vocabulary '%s'", dir);
			goto fail;
		}
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			igr_syserror("cannot create vocabulary '%s'", dir);
			goto fail;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		igr_error("vocabulary '%s' is not a directory", dir);
		goto fail;
	}
	if (mode == IGR_VOCAB_WRITE) {
		char *lock = join_path(dir, ".lock");
		if (lock == NULL)
			goto oom;
		vs->lockfd = igr_lock_take(lock, 1);
		free(lock);
		if (vs->lockfd < 0) {
			igr_syserror("cannot lock vocabulary '%s'", dir);
			goto fail;
		}
	}
	for (tries = 0; tries < READ_TRIES && r == 1; tries++)
		r = load_all(vs);
	if (r == 1)
		igr_error("vocabulary '%s' keeps changing while it is read",
			  dir);
	if (r != 0)
		goto fail;
	return vs;
oom:
	igr_error("out of memory");
fail:
	igr_vocabset_close(vs);
	return NULL;
}

int igr_vocabset_save(igr_vocabset *vs)
{
	uint32_t n[3], crc[3];
	int t, changed[3], any = vs->unchecked;

	for (t = 0; t < 3; t++) {
		n[t] = igr_vocab_size(vs->v[t]);
		changed[t] = n[t] != vs->loaded[t] || vs->forgot[t];
		crc[t] = changed[t] ? vocab_crc(vs->v[t]) : vs->sum_crc[t];
		any |= changed[t];
	}
	if (!any)
		return 0;
	/* the new state next to the old, then the files, then the new state
	 * alone: a reader accepts every file at every step */
	if (sums_write(vs->dir, n, crc, vs->sum_n, vs->sum_crc) < 0)
		return -1;
	for (t = 0; t < 3; t++) {
		char *p;
		int rc;
		if (!changed[t])
			continue;
		p = join_path(vs->dir, vocab_file[t]);
		if (p == NULL)
			return igr_error("out of memory");
		rc = igr_vocab_save(vs->v[t], p);
		free(p);
		if (rc < 0)
			return -1;
	}
	if (sums_write(vs->dir, n, crc, n, crc) < 0)
		return -1;
	for (t = 0; t < 3; t++) {
		vs->loaded[t] = n[t];
		vs->forgot[t] = 0;
		vs->sum_n[t] = n[t];
		vs->sum_crc[t] = crc[t];
	}
	vs->unchecked = 0;
	return 0;
}

int igr_vocabset_refresh(igr_vocabset *vs)
{
	igr_vocabset *nv = igr_vocabset_open(vs->dir, IGR_VOCAB_READ);
	int t;

	if (nv == NULL)
		return -1;
	if (nv->missing) {
		igr_vocabset_close(nv);
		errno = ENOENT;
		return igr_syserror("vocabulary '%s'", vs->dir);
	}
	vs->missing = 0;
	for (t = 0; t < 3; t++) {
		igr_vocab *o = vs->v[t], *v = nv->v[t];
		uint32_t id, before = o->n;
		if (v->n < o->n) {
			igr_error("%s/%s: %lu ids, fewer than the %lu read "
				  "before", vs->dir, vocab_file[t],
				  (unsigned long)v->n, (unsigned long)o->n);
			goto fail;
		}
		for (id = 0; id < v->n; id++) {
			uint32_t got;
			if (id < before &&
			    (o->len[id] != v->len[id] ||
			     memcmp(o->arena + o->off[id], v->arena + v->off[id],
				    v->len[id]) != 0)) {
				igr_error("%s/%s:%lu: the id changed since it "
					  "was read", vs->dir, vocab_file[t],
					  (unsigned long)id + 1);
				goto fail;
			}
			if (id >= before &&
			    (igr_vocab_intern(o, v->arena + v->off[id],
					      v->len[id], &got) < 0 ||
			     got != id)) {
				igr_error("%s/%s:%lu: cannot add the id",
					  vs->dir, vocab_file[t],
					  (unsigned long)id + 1);
				goto fail;
			}
			if (igr_vocab_is_forgotten(v, id)) {
				igr_vocab_forget(o, id);
				if (!igr_vocab_is_forgotten(o, id)) {
					igr_error("out of memory");
					goto fail;
				}
			}
		}
		vs->loaded[t] += v->n - before;
		vs->sum_n[t] = nv->sum_n[t];
		vs->sum_crc[t] = nv->sum_crc[t];
	}
	vs->unchecked = nv->unchecked;
	igr_vocabset_close(nv);
	return 0;
fail:
	igr_vocabset_close(nv);
	return -1;
}

/* Count the ids of file T of DIR, checksum it, report its forgotten users.
 * 0 or -1. */
static int stat_file(const char *dir, int t, uint32_t *size, uint32_t *crcp,
		     int (*forgot)(void *arg, uint32_t user), void *arg)
{
	char *p = join_path(dir, vocab_file[t]), *line;
	igr_in *in;
	size_t len;
	uint64_t n = 0;
	uint32_t crc = 0;
	int r;

	*size = 0;
	*crcp = 0;
	if (p == NULL)
		return igr_error("out of memory");
	if (access(p, F_OK) != 0) {
		free(p);
		return 0;
	}
	in = igr_in_open(p);
	if (in == NULL) {
		free(p);
		return -1;
	}
	/* a line per id; only the marks are looked at */
	while ((r = igr_in_getline(in, &line, &len)) == 1) {
		char *tab = memchr(line, '\t', len);
		if (igr_in_partial_line(in)) {
			r = igr_error("%s:%llu: vocabulary truncated (last line "
				      "has no newline)", p,
				      (unsigned long long)n + 1);
			break;
		}
		crc = igr_crc32(crc, line, len);
		crc = igr_crc32(crc, "\n", 1);
		if (tab != NULL && t == 0 && forgot != NULL &&
		    strcmp(tab + 1, "forgotten") == 0 &&
		    forgot(arg, (uint32_t)n) < 0)
			r = -1;
		if (r < 0 || ++n > UINT32_MAX - 1) {
			r = r < 0 ? -1 : igr_error("%s: too many ids", p);
			break;
		}
	}
	igr_in_close(in);
	free(p);
	if (r < 0)
		return -1;
	*size = (uint32_t)n;
	*crcp = crc;
	return 0;
}

int igr_vocabset_stat(const char *dir, uint32_t size[3],
		      int (*forgot)(void *arg, uint32_t user), void *arg,
		      int *unchecked)
{
	struct stat st;
	int tries;

	if (stat(dir, &st) < 0)
		return igr_syserror("vocabulary '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return igr_error("vocabulary '%s' is not a directory", dir);
	for (tries = 0; tries < READ_TRIES; tries++) {
		struct sums s0, s1;
		uint32_t crc[3];
		char msg[1024];
		int t, bad = 0;
		if (sums_read(dir, &s0) < 0)
			return -1;
		/* the marks are reported on the last try only: a retry
		 * must not report them twice */
		for (t = 0; t < 3; t++) {
			char *p;
			if (stat_file(dir, t, &size[t], &crc[t],
				      s0.have ? NULL : forgot, arg) < 0)
				return -1;
			p = join_path(dir, vocab_file[t]);
			if (p == NULL)
				return igr_error("out of memory");
			if (!bad && sums_check(&s0, t, p, size[t], crc[t]) < 0) {
				bad = 1;
				snprintf(msg, sizeof msg, "%s", igr_errmsg());
			}
			free(p);
		}
		if (unchecked != NULL)
			*unchecked = !s0.have;
		if (!s0.have)
			return 0;
		if (sums_read(dir, &s1) < 0)
			return -1;
		if (!same_sums(&s0, &s1))
			continue;
		if (bad)
			return igr_error("%s", msg);
		/* checked: now the marks of the version checked */
		if (forgot != NULL) {
			uint32_t n, c;
			if (stat_file(dir, 0, &n, &c, forgot, arg) < 0)
				return -1;
			if (n != size[0] || c != crc[0])
				return igr_error("vocabulary '%s' changed while "
						 "it was read", dir);
		}
		return 0;
	}
	return igr_error("vocabulary '%s' keeps changing while it is read",
			 dir);
}

void igr_vocabset_close(igr_vocabset *vs)
{
	int t;

	if (vs == NULL)
		return;
	for (t = 0; t < 3; t++)
		igr_vocab_free(vs->v[t]);
	if (vs->lockfd >= 0)
		close(vs->lockfd); /* releases the flock */
	free(vs->dir);
	free(vs);
}
