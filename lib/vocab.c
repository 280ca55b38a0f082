/* vocab.c - external id <-> dense id tables (see vocab.h). */
#include "vocab.h"
#include "error.h"
#include "mem.h"
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

igr_vocabset *igr_vocabset_open(const char *dir, int mode)
{
	igr_vocabset *vs = calloc(1, sizeof *vs);
	struct stat st;
	int t;

	if (vs == NULL)
		return igr_error("out of memory"), NULL;
	vs->lockfd = -1;
	vs->dir = strdup(dir);
	if (vs->dir == NULL)
		goto oom;
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mode != IGR_VOCAB_WRITE) {
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
	for (t = 0; t < 3; t++) {
		char *p = join_path(dir, vocab_file[t]);
		if (p == NULL)
			goto oom;
		vs->v[t] = igr_vocab_new();
		if (vs->v[t] == NULL) {
			free(p);
			goto fail;
		}
		if (access(p, F_OK) == 0 && igr_vocab_load(vs->v[t], p) < 0) {
			free(p);
			goto fail;
		}
		free(p);
		vs->loaded[t] = igr_vocab_size(vs->v[t]);
	}
	return vs;
oom:
	igr_error("out of memory");
fail:
	igr_vocabset_close(vs);
	return NULL;
}

int igr_vocabset_save(igr_vocabset *vs)
{
	int t;

	for (t = 0; t < 3; t++) {
		char *p;
		int rc;
		if (igr_vocab_size(vs->v[t]) == vs->loaded[t] && !vs->forgot[t])
			continue;
		p = join_path(vs->dir, vocab_file[t]);
		if (p == NULL)
			return igr_error("out of memory");
		rc = igr_vocab_save(vs->v[t], p);
		free(p);
		if (rc < 0)
			return -1;
		vs->loaded[t] = igr_vocab_size(vs->v[t]);
		vs->forgot[t] = 0;
	}
	return 0;
}

int igr_vocabset_stat(const char *dir, uint32_t size[3],
		      int (*forgot)(void *arg, uint32_t user), void *arg)
{
	struct stat st;
	int t;

	if (stat(dir, &st) < 0)
		return igr_syserror("vocabulary '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return igr_error("vocabulary '%s' is not a directory", dir);
	for (t = 0; t < 3; t++) {
		char *p = join_path(dir, vocab_file[t]), *line;
		igr_in *in;
		size_t len;
		uint64_t n = 0;
		int r;

		size[t] = 0;
		if (p == NULL)
			return igr_error("out of memory");
		if (access(p, F_OK) != 0) {
			free(p);
			continue;
		}
		in = igr_in_open(p);
		if (in == NULL) {
			free(p);
			return -1;
		}
		/* a line per id; only the marks are looked at */
		while ((r = igr_in_getline(in, &line, &len)) == 1) {
			char *tab = memchr(line, '\t', len);
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
		size[t] = (uint32_t)n;
	}
	return 0;
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
