/* tune.c - the holdout a model chooses its settings on (see tune.h). */
#include "tune.h"
#include "error.h"
#include "mem.h"
#include "metrics.h"
#include "rand.h"

#include <stdlib.h>
#include <string.h>

void igr_tune_split_free(igr_tune_split *s)
{
	igr_csr_free(s->train);
	igr_valid_free(s->held);
	memset(s, 0, sizeof *s);
}

/* 1 if R's edge times are there and not all the same */
static int has_times(const igr_csr *r)
{
	uint64_t e;

	if (r->last_ts == NULL || r->nnz == 0)
		return 0;
	for (e = 1; e < r->nnz; e++)
		if (r->last_ts[e] != r->last_ts[0])
			return 1;
	return 0;
}

/* the held-out edges of a user: how many of N */
static uint64_t n_held(uint64_t n, double frac)
{
	uint64_t h = (uint64_t)(frac * (double)n + 0.5);

	if (n < 3 || frac <= 0)
		return 0;
	if (h < 1)
		h = 1;
	if (h > n - 1)
		h = n - 1;
	return h;
}

struct held_key {
	int64_t ts;
	uint64_t key, j;
};

static int newest_first(const void *pa, const void *pb)
{
	const struct held_key *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts > b->ts ? -1 : 1;
	return a->key > b->key ? -1 : a->key < b->key;
}

/* Reorder the N users U as U[0], U[4], U[8], .., U[1], U[5], .. */
static int interleave(uint32_t *u, uint32_t n)
{
	uint32_t *c = malloc(((size_t)n + 1) * sizeof *c), q, j, at = 0;

	if (c == NULL)
		return -1;
	for (q = 0; q < 4; q++)
		for (j = q; j < n; j += 4)
			c[at++] = u[j];
	memcpy(u, c, (size_t)n * sizeof *u);
	free(c);
	return 0;
}

int igr_tune_split_make(igr_tune_split *s, const igr_csr *r, double frac,
			uint32_t max_users, uint64_t seed)
{
	struct held_key *ed = NULL;
	uint64_t e, nkeep = 0, nheld = 0, maxrow = 0;
	uint8_t *held = NULL;
	uint32_t *ru = NULL, *ri = NULL, *hu = NULL, *hi = NULL, *cand = NULL;
	float *rw = NULL;
	uint32_t u, ncand = 0;
	igr_rng rng;
	int ret = -1;

	memset(s, 0, sizeof *s);
	s->temporal = has_times(r);
	igr_rng_seed(&rng, seed ^ 0x7475u);
	held = calloc(r->nnz + 1, 1);
	cand = malloc(((size_t)r->nrows + 1) * sizeof *cand);
	for (u = 0; u < r->nrows; u++)
		if (r->ptr[u + 1] - r->ptr[u] > maxrow)
			maxrow = r->ptr[u + 1] - r->ptr[u];
	ed = malloc((maxrow + 1) * sizeof *ed);
	if (!held || !cand || !ed)
		goto oom;
	/* which edges: per user, the newest (ties at random) or random */
	for (u = 0; u < r->nrows; u++) {
		uint64_t b = r->ptr[u], n = r->ptr[u + 1] - b;
		uint64_t h = n_held(n, frac), j;

		if (h == 0)
			continue;
		for (j = 0; j < n; j++) {
			ed[j].ts = s->temporal ? r->last_ts[b + j] : 0;
			ed[j].key = igr_rng_next(&rng);
			ed[j].j = j;
		}
		/* newest first (ties, or no times: in random order) */
		qsort(ed, n, sizeof *ed, newest_first);
		for (j = 0; j < h; j++)
			held[b + ed[j].j] = 1;
		cand[ncand++] = u;
		nheld += h;
	}
	nkeep = r->nnz - nheld;
	/* the sample of evaluated users: a seeded partial shuffle */
	if (max_users > 0 && ncand > max_users) {
		uint32_t j;

		for (j = 0; j < max_users; j++) {
			uint32_t q = j + igr_rng_below(&rng, ncand - j), t;

			t = cand[j];
			cand[j] = cand[q];
			cand[q] = t;
		}
		ncand = max_users;
	}
	{
		uint8_t *pick = calloc((size_t)r->nrows + 1, 1);
		uint64_t nk = 0, nh = 0;

		ru = malloc((nkeep + 1) * sizeof *ru);
		ri = malloc((nkeep + 1) * sizeof *ri);
		rw = malloc((nkeep + 1) * sizeof *rw);
		hu = malloc((nheld + 1) * sizeof *hu);
		hi = malloc((nheld + 1) * sizeof *hi);
		if (!pick || !ru || !ri || !rw || !hu || !hi) {
			free(pick);
			goto oom;
		}
		for (u = 0; u < ncand; u++)
			pick[cand[u]] = 1;
		for (u = 0; u < r->nrows; u++)
			for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
				if (!held[e]) {
					ru[nk] = u;
					ri[nk] = r->idx[e];
					rw[nk++] = r->w[e];
				} else if (pick[u]) {
					hu[nh] = u;
					hi[nh++] = r->idx[e];
				}
			}
		free(pick);
		s->train = igr_csr_from_coo(r->nrows, r->ncols, nk, ru, ri, rw,
					    NULL, NULL, 1);
		if (s->train == NULL)
			goto fail;
		s->held = igr_valid_from_pairs(hu, hi, nh);
		if (s->held == NULL)
			goto fail;
		/* interleaved: users 0, 4, 8, .. then 1, 5, .. so the first
		 * quarter (the screening users) spans the id range */
		if (interleave(s->held->users, s->held->nlisted) < 0)
			goto oom;
	}
	s->held_edges = nheld;
	ret = 0;
	goto done;
oom:
	igr_error("out of memory");
fail:
	igr_tune_split_free(s);
done:
	free(held);
	free(cand);
	free(ed);
	free(ru);
	free(ri);
	free(rw);
	free(hu);
	free(hi);
	return ret;
}

int igr_tune_better(const double *best, const double *cand, size_t n)
{
	igr_paired p;

	igr_paired_test(best, cand, n, 1, &p);
	return p.diff > 0 && p.t == p.t && p.t > 1.96;
}

int igr_tune_promising(const double *best, const double *cand, size_t n)
{
	double d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d += cand[i] - best[i];
	return d > 0;
}

static cJSON *tune_obj(igr_model *m)
{
	cJSON *d = igr_model_data(m), *t;

	if (d == NULL)
		return NULL;
	t = cJSON_GetObjectItemCaseSensitive(d, "tune");
	if (t == NULL)
		t = cJSON_AddObjectToObject(d, "tune");
	return t;
}

int igr_tune_record(igr_model *m, const char *desc, double recall,
		    double ndcg)
{
	cJSON *t = tune_obj(m), *a, *row;

	if (t == NULL)
		return igr_error("out of memory");
	a = cJSON_GetObjectItemCaseSensitive(t, "tried");
	if (a == NULL)
		a = cJSON_AddArrayToObject(t, "tried");
	row = cJSON_CreateObject();
	if (a == NULL || row == NULL ||
	    !cJSON_AddStringToObject(row, "setting", desc) ||
	    !cJSON_AddNumberToObject(row, "recall@20", recall) ||
	    !cJSON_AddNumberToObject(row, "ndcg@20", ndcg)) {
		cJSON_Delete(row);
		return igr_error("out of memory");
	}
	cJSON_AddItemToArray(a, row);
	return 0;
}

int igr_tune_chosen(igr_model *m, const char *desc, const igr_tune_split *s,
		    double seconds)
{
	cJSON *t = tune_obj(m);

	if (t == NULL || !cJSON_AddStringToObject(t, "chosen", desc) ||
	    !cJSON_AddStringToObject(t, "holdout",
				     s->temporal ? "newest edges"
						 : "random edges") ||
	    !cJSON_AddNumberToObject(t, "held_edges",
				     (double)s->held_edges) ||
	    !cJSON_AddNumberToObject(t, "users_scored",
				     s->held ? s->held->nlisted : 0) ||
	    !cJSON_AddNumberToObject(t, "seconds", seconds))
		return igr_error("out of memory");
	return 0;
}
