/* recommend.c - the serving rules engine (see recommend.h). */
#include "recommend.h"
#include "annindex.h"
#include "embed.h"
#include "error.h"
#include "mem.h"
#include "vec.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { PATH_EMBED = 1, PATH_SPARSE = 2, PATH_DENSE = 3 };

/* Users scored together by the dense path (score_users blocks). */
#define DENSE_BLOCK 16
/* Users per block of the audience pass. */
#define AUD_BLOCK 64

struct igr_rec {
	igr_model *m;
	const igr_graph *g;
	const igr_csr *ui;    /* user -> item of the graph, or NULL */
	uint32_t ni, nu;      /* item universe, user bound */
	uint32_t model_ni;    /* items the model knows */
	float *pop;           /* ni, in [0, 1] */
	uint32_t *pop_order;  /* ni items, most popular first */
	uint32_t *tie;        /* ni: rank in pop_order */
	uint32_t *cat;        /* ni: category or IGR_NONE */
	int has_cat;
	uint8_t *blocked;     /* ni or NULL */
	struct igr_rec_opts o;
	int path;
	igr_embed e;          /* PATH_EMBED, or a hybrid's dot product */
	int hyb;              /* the model is a hybrid (model.h): PATH_DENSE,
				 or through an index its candidates joined
				 by the sparse part's items */
	uint32_t *eorder;     /* e.order when rank 1, or NULL */
	float *ovec;          /* vectors stream: nu x dim */
	uint8_t *ohave;       /* nu flags */
	const igr_index *ix;  /* PATH_EMBED through an index, or NULL */
	uint32_t ann_margin, ann_effort;
	struct igr_rec_ann_stats ann;
};

void igr_rec_opts_init(struct igr_rec_opts *o)
{
	memset(o, 0, sizeof *o);
	o->k = 20;
	o->exclude = IGR_EXCL_SEEN;
	o->min_score = -INFINITY;
	o->fallback = 1;
}

static void *alloc_n(size_t n, size_t size)
{
	return malloc((n ? n : 1) * size);
}

/* An error raised on a worker thread: the library's message slot is per
 * thread, so the first message is copied here and raised again on the
 * calling thread after the parallel region. */
struct errbox {
	int failed;
	char msg[512];
};

static void errbox_set(struct errbox *b)
{
#pragma omp critical(igr_rec_errbox)
	{
		if (!b->failed) {
			const char *m = igr_errmsg();
			b->failed = 1;
			snprintf(b->msg, sizeof b->msg, "%s",
				 m[0] ? m : "out of memory");
		}
	}
}

static int errbox_raise(const struct errbox *b)
{
	return igr_error("%s", b->msg);
}

/* qsort context: popularity (no qsort_r in C11) */
static const float *sort_pop;

static int cmp_pop(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (sort_pop[x] != sort_pop[y])
		return sort_pop[x] > sort_pop[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

igr_rec *igr_rec_new(igr_model *m, const igr_graph *g)
{
	igr_rec *r = calloc(1, sizeof *r);
	double *sum = NULL, max = 0;
	uint32_t i;
	int x = 1;

	if (r == NULL)
		return igr_error("out of memory"), NULL;
	r->m = m;
	r->g = g;
	r->ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	r->nu = g->n[IGR_USER];
	r->model_ni = igr_model_nitems(m);
	r->ni = g->n[IGR_ITEM] > r->model_ni ? g->n[IGR_ITEM] : r->model_ni;
	igr_rec_opts_init(&r->o);
	if (m->ops == NULL || m->ops->score_users == NULL) {
		igr_error("%s model cannot score users", igr_model_name(m));
		goto fail;
	}
	if (m->ops->prepare != NULL && m->ops->prepare(m, g) < 0)
		goto fail;
	if (m->ops->embedding != NULL &&
	    (x = m->ops->embedding(m, &r->e)) < 0)
		goto fail;
	if (m->ops->embedding != NULL && x == 0) {
		r->path = PATH_EMBED;
		/* a rank-1 embedding without bias (pop) ranks every user's
		 * items in one order: walked, not scored */
		if (r->e.dim == 1 && r->e.item_bias == NULL) {
			if (igr_embed_order(&r->e, &r->eorder) < 0)
				goto fail;
			r->e.order = r->eorder;
		}
		if (r->e.nitems > r->ni)
			r->ni = r->e.nitems;
		if (r->model_ni == 0)
			r->model_ni = r->e.nitems;
	} else if (m->ops->hybrid != NULL && m->ops->add_sparse != NULL &&
		   (x = m->ops->hybrid(m, &r->e)) <= 0) {
		if (x < 0)
			goto fail;
		r->hyb = 1;
		r->path = PATH_DENSE;
		if (r->e.nitems > r->ni)
			r->ni = r->e.nitems;
	} else if (m->ops->score_user_sparse != NULL) {
		r->path = PATH_SPARSE;
	} else {
		r->path = PATH_DENSE;
	}
	if (r->model_ni == 0)
		r->model_ni = r->ni;
	r->pop = alloc_n(r->ni, sizeof *r->pop);
	r->pop_order = alloc_n(r->ni, sizeof *r->pop_order);
	r->tie = alloc_n(r->ni, sizeof *r->tie);
	r->cat = alloc_n(r->ni, sizeof *r->cat);
	sum = calloc(r->ni ? r->ni : 1, sizeof *sum);
	if (!r->pop || !r->pop_order || !r->tie || !r->cat || !sum) {
		igr_error("out of memory");
		goto fail;
	}
	/* popularity of the current graph: what the fallback serves */
	if (r->ui != NULL) {
		uint64_t k;
		for (k = 0; k < r->ui->nnz; k++)
			if (r->ui->w[k] > 0 && isfinite(r->ui->w[k]))
				sum[r->ui->idx[k]] += r->ui->w[k];
	}
	for (i = 0; i < r->ni; i++)
		if (sum[i] > max)
			max = sum[i];
	for (i = 0; i < r->ni; i++) {
		r->pop[i] = max > 0 ? (float)(sum[i] / max) : 0.0f;
		r->pop_order[i] = i;
	}
	free(sum);
	sum = NULL;
	sort_pop = r->pop;
	qsort(r->pop_order, r->ni, sizeof *r->pop_order, cmp_pop);
	for (i = 0; i < r->ni; i++)
		r->tie[r->pop_order[i]] = i;
	/* each item's category: its heaviest item->category edge */
	{
		const igr_csr *ic = igr_graph_rel(g, IGR_ITEM, IGR_CATEGORY);
		for (i = 0; i < r->ni; i++) {
			uint64_t k;
			float best = -INFINITY;
			r->cat[i] = IGR_NONE;
			if (ic == NULL || i >= ic->nrows)
				continue;
			for (k = ic->ptr[i]; k < ic->ptr[i + 1]; k++)
				if (ic->w[k] > best) {
					best = ic->w[k];
					r->cat[i] = ic->idx[k];
				}
			if (r->cat[i] != IGR_NONE)
				r->has_cat = 1;
		}
	}
	return r;
fail:
	free(sum);
	igr_rec_free(r);
	return NULL;
}

void igr_rec_free(igr_rec *r)
{
	if (r == NULL)
		return;
	free(r->pop);
	free(r->pop_order);
	free(r->tie);
	free(r->cat);
	free(r->blocked);
	free(r->ovec);
	free(r->ohave);
	free(r->eorder);
	free(r);
}

void igr_rec_set_opts(igr_rec *r, const struct igr_rec_opts *o)
{
	r->o = *o;
}

uint32_t igr_rec_nitems(const igr_rec *r)
{
	return r->ni;
}

uint32_t igr_rec_nusers(const igr_rec *r)
{
	return r->nu;
}

float igr_rec_popularity(const igr_rec *r, uint32_t i)
{
	return i < r->ni ? r->pop[i] : 0.0f;
}

uint32_t igr_rec_category(const igr_rec *r, uint32_t i)
{
	return i < r->ni ? r->cat[i] : IGR_NONE;
}

static int ensure_blocked(igr_rec *r, int initial)
{
	if (r->blocked != NULL)
		return 0;
	r->blocked = alloc_n(r->ni, 1);
	if (r->blocked == NULL)
		return igr_error("out of memory");
	memset(r->blocked, initial, r->ni ? r->ni : 1);
	return 0;
}

/* The rules' item lists name items the engine knows; then the blocked
 * table exists.  0 or -1. */
static int rule_items(igr_rec *r, const uint32_t *items, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (items[j] >= r->ni)
			return igr_error("item %u is not in the model or the "
					 "graph (%u items)", items[j], r->ni);
	return ensure_blocked(r, 0);
}

int igr_rec_allow(igr_rec *r, const uint32_t *items, size_t n)
{
	uint8_t *keep;
	size_t j;
	uint32_t i;

	if (rule_items(r, items, n) < 0)
		return -1;
	keep = calloc(r->ni ? r->ni : 1, 1);
	if (keep == NULL)
		return igr_error("out of memory");
	for (j = 0; j < n; j++)
		keep[items[j]] = 1;
	for (i = 0; i < r->ni; i++)
		if (!keep[i])
			r->blocked[i] = 1;
	free(keep);
	return 0;
}

int igr_rec_block(igr_rec *r, const uint32_t *items, size_t n)
{
	size_t j;

	if (rule_items(r, items, n) < 0)
		return -1;
	for (j = 0; j < n; j++)
		r->blocked[items[j]] = 1;
	return 0;
}

int igr_rec_load_vectors(igr_rec *r, igr_reader *vr)
{
	const igr_header *h = igr_reader_header(vr);
	igr_vector v;
	int rc;

	if (r->path != PATH_EMBED)
		return igr_error("%s: the %s model has no user vectors to "
				 "replace", igr_reader_name(vr),
				 igr_model_name(r->m));
	if (h->dim != r->e.dim)
		return igr_error("%s: vectors of dimension %u, the model's "
				 "are %u", igr_reader_name(vr), h->dim,
				 r->e.dim);
	free(r->ovec);
	free(r->ohave);
	r->ovec = alloc_n((size_t)r->nu * r->e.dim, sizeof *r->ovec);
	r->ohave = calloc(r->nu ? r->nu : 1, 1);
	if (r->ovec == NULL || r->ohave == NULL)
		return igr_error("out of memory (%u user vectors)", r->nu);
	while ((rc = igr_read_vector(vr, &v)) == 1) {
		if (v.node_type != IGR_USER)
			continue;
		if (v.node >= r->nu)
			return igr_error("%s: user %u is not in the graph "
					 "(%u users)", igr_reader_name(vr),
					 v.node, r->nu);
		memcpy(r->ovec + (size_t)v.node * r->e.dim, v.v,
		       r->e.dim * sizeof *r->ovec);
		r->ohave[v.node] = 1;
	}
	return rc;
}

/* The user's excluded items (a sorted row), for the current rule. */
static const igr_csr *excl_rel(const igr_rec *r)
{
	switch (r->o.exclude) {
	case IGR_EXCL_SEEN:
	case IGR_EXCL_ZERO:
		return r->ui;
	case IGR_EXCL_BOUGHT:
		return r->o.bought;
	}
	return NULL;
}

static int row_has(const igr_csr *a, uint32_t s, uint32_t d)
{
	return igr_csr_find(a, s, d) != IGR_NOPOS;
}

static float floor_score(const igr_rec *r)
{
	/* -INFINITY means "cannot score": never recommended */
	return r->o.min_score > -FLT_MAX ? r->o.min_score : -FLT_MAX;
}

static uint64_t degree(const igr_csr *a, uint32_t u)
{
	return a != NULL && u < a->nrows ? a->ptr[u + 1] - a->ptr[u] : 0;
}

/* User U's vector into OUT for the embedding path: 0, or
 * IGR_UNKNOWN_USER, or -1. */
static int user_vec(const igr_rec *r, uint32_t u, float *out)
{
	const igr_model *m = r->m;

	if (r->ohave != NULL && u < r->nu && r->ohave[u]) {
		memcpy(out, r->ovec + (size_t)u * r->e.dim,
		       r->e.dim * sizeof *out);
		return 0;
	}
	if (r->e.user != NULL && u < r->e.nusers) {
		memcpy(out, r->e.user + (size_t)u * r->e.dim,
		       r->e.dim * sizeof *out);
		return 0;
	}
	if (m->ops->user_vector != NULL &&
	    m->ops->user_vector != igr_embed_user_vector)
		return m->ops->user_vector(m, r->g, u, out);
	return IGR_UNKNOWN_USER;
}

int igr_rec_can_explain(const igr_rec *r)
{
	return r->m->ops->explain != NULL ||
	       (r->path == PATH_EMBED && r->e.dim > 1);
}

uint32_t igr_rec_dim(const igr_rec *r)
{
	return r->path == PATH_EMBED ? r->e.dim : 0;
}

int igr_rec_user_vector(const igr_rec *r, uint32_t u, float *out)
{
	if (r->path != PATH_EMBED)
		return igr_error("the %s model has no user vectors",
				 igr_model_name(r->m));
	return user_vec(r, u, out);
}

static int known_one(const igr_rec *r, uint32_t u, float *scratch)
{
	uint64_t k;

	switch (r->path) {
	case PATH_EMBED:
		return user_vec(r, u, scratch);
	case PATH_SPARSE:
		if (r->ui == NULL || u >= r->ui->nrows)
			return IGR_UNKNOWN_USER;
		for (k = r->ui->ptr[u]; k < r->ui->ptr[u + 1]; k++)
			if (r->ui->idx[k] < r->model_ni)
				return 0;
		return IGR_UNKNOWN_USER;
	}
	return degree(r->ui, u) > 0 ? 0 : IGR_UNKNOWN_USER;
}

long igr_rec_known(igr_rec *r, const uint32_t *users, size_t n,
		   uint8_t *known)
{
	long unknown = 0;
	struct errbox eb = { 0, "" };

#pragma omp parallel reduction(+ : unknown)
	{
		float *scratch = alloc_n(r->e.dim + 1, sizeof *scratch);
		int64_t j;
		if (scratch == NULL)
			errbox_set(&eb);
#pragma omp for schedule(dynamic, 256)
		for (j = 0; j < (int64_t)n; j++) {
			int rc;
			if (scratch == NULL)
				continue;
			rc = known_one(r, users[j], scratch);
			if (rc < 0)
				errbox_set(&eb);
			known[j] = rc == 0;
			unknown += rc != 0;
		}
		free(scratch);
	}
	if (eb.failed)
		return errbox_raise(&eb);
	return unknown;
}

/* ---- batches ----------------------------------------------------------- */

void igr_rec_batch_init(igr_rec_batch *b)
{
	memset(b, 0, sizeof *b);
}

void igr_rec_batch_free(igr_rec_batch *b)
{
	free(b->lists);
	free(b->hits);
	free(b->nwhy);
	free(b->why);
	memset(b, 0, sizeof *b);
}

/* Room for N lists of K hits (and E contributions per hit). */
static int batch_reserve(igr_rec_batch *b, size_t n, uint32_t k, uint32_t e)
{
	size_t slots = n * k, j;

	if (igr_grow(&b->lists, &b->cap, n, sizeof *b->lists) < 0)
		return -1;
	if (slots > b->slots || (e && b->why == NULL)) {
		size_t s = slots > b->slots ? slots : b->slots;
		igr_hit *h = realloc(b->hits, (s ? s : 1) * sizeof *h);
		if (h == NULL)
			return igr_error("out of memory");
		b->hits = h;
		free(b->nwhy);
		free(b->why);
		b->nwhy = NULL;
		b->why = NULL;
		b->slots = s;
	}
	if (e) {
		free(b->nwhy);
		free(b->why);
		b->nwhy = alloc_n(b->slots, sizeof *b->nwhy);
		b->why = alloc_n(b->slots * e, sizeof *b->why);
		if (b->nwhy == NULL || b->why == NULL)
			return igr_error("out of memory (explanations)");
	}
	b->n = n;
	for (j = 0; j < n; j++) {
		igr_rec_list *l = &b->lists[j];
		memset(l, 0, sizeof *l);
		l->hits = b->hits + j * k;
		if (e) {
			l->nwhy = b->nwhy + j * k;
			l->why = b->why + j * k * e;
		}
	}
	return 0;
}

/* ---- selection backends: top-L per user under rules 1-3 ---------------- */

/* The vectors of USERS into UV (n x dim; zeros for a user the model
 * knows nothing about, flagged in UNKNOWN).  0 or -1. */
static int user_vecs(const igr_rec *r, const uint32_t *users, size_t n,
		     float *uv, uint8_t *unknown)
{
	struct errbox eb = { 0, "" };
	int64_t j;
	uint32_t d = r->e.dim;

#pragma omp parallel for schedule(dynamic, 256)
	for (j = 0; j < (int64_t)n; j++) {
		int x = user_vec(r, users[j], uv + (size_t)j * d);
		if (x < 0)
			errbox_set(&eb);
		unknown[j] = x == IGR_UNKNOWN_USER;
		if (x != 0)
			memset(uv + (size_t)j * d, 0, d * sizeof *uv);
	}
	return eb.failed ? errbox_raise(&eb) : 0;
}

/* The fused sgemm scorer on the vectors UV of USERS under rules 1-3. */
static int embed_topk(const igr_rec *r, const uint32_t *users,
		      const float *uv, size_t n, uint32_t L, igr_hit *out,
		      uint32_t *nout)
{
	igr_embed_rules rules;

	igr_embed_rules_init(&rules);
	rules.exclude = excl_rel(r);
	rules.exclude_as_zero = r->o.exclude == IGR_EXCL_ZERO;
	rules.blocked = r->blocked;
	rules.min_score = floor_score(r);
	rules.tie = r->tie;
	return igr_embed_topk(&r->e, users, uv, n, L, &rules, out, nout);
}

/* Embedding path: the fused sgemm scorer over every item. */
static int select_embed(const igr_rec *r, const uint32_t *users, size_t n,
			uint32_t L, igr_hit *out, uint32_t *nout,
			uint8_t *unknown)
{
	float *uv = alloc_n((size_t)n * r->e.dim, sizeof *uv);
	int rc;

	if (uv == NULL)
		return igr_error("out of memory (%zu user vectors)", n);
	rc = user_vecs(r, users, n, uv, unknown);
	if (rc == 0)
		rc = embed_topk(r, users, uv, n, L, out, nout);
	free(uv);
	return rc;
}

/* ---- the embedding path through an index (annindex.h) ------------------ */

/* Candidates of one search call at most (its ids and scores: 48 MB). */
#define ANN_SLOTS (4u << 20)
/* Fewest candidates asked per user. */
#define ANN_MIN_K 16

void igr_rec_set_index(igr_rec *r, const igr_index *x, uint32_t margin,
		       uint32_t effort)
{
	r->ix = x;
	r->ann_margin = margin;
	r->ann_effort = effort;
}

const igr_embed *igr_rec_embedding(const igr_rec *r)
{
	return r->path == PATH_EMBED || r->hyb ? &r->e : NULL;
}

void igr_rec_ann_stats(const igr_rec *r, struct igr_rec_ann_stats *st)
{
	*st = r->ann;
}

/* Candidates scored together (score_group). */
#define GROUP 16

/* OUT[j] = score(u, IDS[j]), j < N <= GROUP, as the exhaustive path's
 * sgemm computes it: the products summed in index order, each step a
 * fused multiply-add, then the bias; so a list served through the index
 * prints the same scores.  Each candidate's sum is one chain of fmaf()
 * (rounded once, the same bits on every machine); the chains of a group
 * run side by side, so the multiply-adds overlap instead of waiting each
 * for the last (a quarter of the time of one chain after another at dim
 * 512). */
IGR_VEC
static void score_group(const igr_embed *e, const float *u,
			const uint32_t *ids, uint32_t n, float *out)
{
	const float *v[GROUP];
	float s[GROUP];
	uint32_t c, j;

	for (j = 0; j < n; j++) {
		v[j] = e->item + (size_t)ids[j] * e->dim;
		s[j] = 0;
	}
	for (c = 0; c < e->dim; c++) {
		float uc = u[c];

		for (j = 0; j < n; j++)
			s[j] = fmaf(uc, v[j][c], s[j]);
	}
	for (j = 0; j < n; j++)
		out[j] = e->item_bias ? s[j] + e->item_bias[ids[j]] : s[j];
}

/* The K-th largest of A[0..N) (0 < K <= N), A reordered: Hoare's
 * selection with the middle element as pivot. */
static float kth_largest(float *a, uint32_t n, uint32_t k)
{
	uint32_t lo = 0, hi = n - 1;

	k--;
	while (lo < hi) {
		float p = a[lo + (hi - lo) / 2];
		uint32_t i = lo, j = hi;

		while (i <= j) {
			while (a[i] > p)
				i++;
			while (a[j] < p)
				j--;
			if (i <= j) {
				float tmp = a[i];

				a[i] = a[j];
				a[j] = tmp;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* User U's list from its index candidates IDS[0..kc): rules 1-3 applied
 * to each, the survivors scored exactly, the best T->k into OUT.  With
 * ACC (a hybrid model: the user's sparse part in it), each candidate's
 * score is its dot product plus its sparse part, and the KC items of
 * the largest sparse part (all it touched when fewer; SCRATCH holds
 * acc->nt floats) join the candidates: the index finds the items of a
 * large dot product, the sparse part those of a large sparse score.
 * Returns the count. */
static uint32_t rank_candidates(const igr_rec *r, const igr_csr *x,
				uint32_t u, const float *uv,
				const int64_t *ids, uint32_t kc, igr_acc *acc,
				float *scratch, igr_topk *t, igr_hit *out)
{
	float fl = floor_score(r), sc[GROUP], least = -INFINITY;
	int zero = r->o.exclude == IGR_EXCL_ZERO;
	uint32_t c, g[GROUP], ng = 0, j, nt = acc ? acc->nt : 0;

	if (nt > kc && kc > 0) {
		for (c = 0; c < nt; c++)
			scratch[c] = acc->v[acc->touched[c]];
		least = kth_largest(scratch, nt, kc);
	}
	igr_topk_clear(t);
	/* the index's candidates, then those of the sparse part (not
	 * already scored: marked NaN) */
	for (c = 0; c <= kc + nt; c++) {
		int64_t id = c < kc ? ids[c]
			     : c < kc + nt ? (int64_t)acc->touched[c - kc] : -1;

		if (c >= kc && id >= 0 &&
		    (isnan(acc->v[id]) || !(acc->v[id] >= least)))
			id = -1;
		if (id >= 0 && id < r->e.nitems &&
		    !(r->blocked && r->blocked[id]) &&
		    !row_has(x, u, (uint32_t)id))
			g[ng++] = (uint32_t)id;
		/* (the index's last group is scored before the sparse
		 * part's first, so that an item in both is marked done
		 * before the second looks at it) */
		if (ng < GROUP && c < kc + nt && c + 1 != kc)
			continue;
		/* a full group, the index's last, or the last */
		score_group(&r->e, uv, g, ng, sc);
		for (j = 0; j < ng; j++) {
			if (acc != NULL && acc->mark[g[j]]) {
				sc[j] += acc->v[g[j]];
				acc->v[g[j]] = NAN;
			}
			if (sc[j] >= fl)
				igr_topk_push(t, sc[j], g[j]);
		}
		ng = 0;
	}
	if (zero && x != NULL && u < x->nrows && 0.0f >= fl) {
		/* the excluded items stay in the ranking at 0, wherever the
		 * index would have put them */
		uint64_t k;
		for (k = x->ptr[u]; k < x->ptr[u + 1]; k++) {
			uint32_t i = x->idx[k];
			if (i < r->e.nitems && !(r->blocked && r->blocked[i]))
				igr_topk_push(t, 0.0f, i);
		}
	}
	return igr_topk_sorted(t, out);
}

/*
 * Embedding path through the index: per user, the index's KC best items
 * by inner product, KC = L + the user's excluded items + the margin
 * (more when a block list hides items), then rules 1-3 exactly on those.
 * Users are searched together, grouped by KC (a power of two) since one
 * FAISS call takes one K.  A user whose candidates leave fewer than L
 * items, or who would need more than a quarter of the catalogue, is
 * ranked by the exhaustive scorer instead.
 */
static int select_dense(const igr_rec *r, const uint32_t *users, size_t n,
			uint32_t L, igr_hit *out, uint32_t *nout,
			uint8_t *unknown);

static int select_ann(igr_rec *r, const uint32_t *users, size_t n,
		      uint32_t L, igr_hit *out, uint32_t *nout,
		      uint8_t *unknown)
{
	const igr_csr *x = excl_rel(r);
	const igr_index *ix = r->ix;
	uint32_t d = r->e.dim, qd = igr_index_qdim(ix), bits;
	float *uv = NULL, *q = NULL, *sc = NULL;
	int64_t *ids = NULL;
	uint8_t *kbits = NULL, *redo = NULL;
	uint32_t *sel = NULL;
	double spread = 1;
	size_t j, nredo = 0;
	struct errbox eb = { 0, "" };
	int rc = -1, nth = omp_get_max_threads(), th, nacc = 0;
	/* a hybrid's sparse part: an accumulator and selection scratch a
	 * thread (items x 13 bytes each), made once for every chunk */
	igr_acc *accs = NULL;
	float **scrs = NULL;

	uv = alloc_n((size_t)n * d, sizeof *uv);
	kbits = alloc_n(n, 1);
	redo = calloc(n ? n : 1, 1);
	sel = alloc_n(n, sizeof *sel);
	if (uv == NULL || kbits == NULL || redo == NULL || sel == NULL) {
		igr_error("out of memory (%zu users)", n);
		goto out;
	}
	if (r->hyb) {
		accs = calloc((size_t)nth, sizeof *accs);
		scrs = calloc((size_t)nth, sizeof *scrs);
		if (accs == NULL || scrs == NULL) {
			igr_error("out of memory");
			goto out;
		}
		for (; nacc < nth; nacc++)
			if ((scrs[nacc] = alloc_n(r->ni, sizeof **scrs)) ==
				    NULL ||
			    igr_acc_init(&accs[nacc], r->ni) < 0) {
				igr_error("out of memory (%d threads x %u "
					  "items)", nth, r->ni);
				goto out;
			}
	}
	if (user_vecs(r, users, n, uv, unknown) < 0)
		goto out;
	if (r->blocked != NULL) {
		/* blocked items take candidates' places: ask for more */
		uint64_t allowed = 0;
		uint32_t i;
		for (i = 0; i < r->e.nitems; i++)
			allowed += r->blocked[i] == 0;
		spread = allowed > 0 ? (double)r->e.nitems / allowed
				     : (double)r->e.nitems;
	}
	for (j = 0; j < n; j++) {
		double need = (double)L + (double)r->ann_margin +
			      (double)degree(x, users[j]);
		nout[j] = 0;
		kbits[j] = 0;
		if (unknown[j])
			continue;
		need *= spread;
		for (bits = 4; bits < 31 && (double)(1u << bits) < need; bits++)
			;
		if ((1u << bits) > r->e.nitems / 4)
			redo[j] = 1;
		else
			kbits[j] = (uint8_t)bits;
	}
	for (bits = 4; bits < 31; bits++) {
		uint32_t kc = 1u << bits;
		size_t ns = 0, chunk = ANN_SLOTS / kc, c0;
		for (j = 0; j < n; j++)
			if (kbits[j] == bits)
				sel[ns++] = (uint32_t)j;
		if (ns == 0)
			continue;
		if (chunk < 1)
			chunk = 1;
		if (chunk > ns)
			chunk = ns;
		free(q);
		free(sc);
		free(ids);
		q = alloc_n(chunk * qd, sizeof *q);
		sc = alloc_n(chunk * kc, sizeof *sc);
		ids = alloc_n(chunk * kc, sizeof *ids);
		if (q == NULL || sc == NULL || ids == NULL) {
			igr_error("out of memory (%zu x %u candidates)", chunk,
				  kc);
			goto out;
		}
		for (c0 = 0; c0 < ns; c0 += chunk) {
			size_t nc = ns - c0 < chunk ? ns - c0 : chunk;
			int64_t c;
			for (c = 0; c < (int64_t)nc; c++)
				igr_index_query(ix, uv + (size_t)sel[c0 + c] * d,
						q + (size_t)c * qd);
			if (igr_ann_search(ix->ann, q, nc, kc, r->ann_effort, sc,
					   ids) < 0)
				goto out;
#pragma omp parallel num_threads(nth)
			{
				igr_topk t;
				int me = omp_get_thread_num();
				igr_acc *acc = accs ? &accs[me] : NULL;
				float *scr = scrs ? scrs[me] : NULL;
				int ok = igr_topk_init(&t, L, r->tie) == 0;
				if (!ok)
					errbox_set(&eb);
#pragma omp for schedule(dynamic, 64)
				for (c = 0; c < (int64_t)nc; c++) {
					size_t jj = sel[c0 + c];
					if (!ok)
						continue;
					if (acc && r->m->ops->add_sparse(
						    r->m, r->g, users[jj],
						    acc) < 0) {
						errbox_set(&eb);
						igr_acc_clear(acc);
						continue;
					}
					nout[jj] = rank_candidates(
						r, x, users[jj],
						uv + jj * d, ids + (size_t)c * kc,
						kc, acc, scr, &t,
						out + jj * L);
					if (acc)
						igr_acc_clear(acc);
					if (nout[jj] < L)
						redo[jj] = 1;
				}
				if (ok)
					igr_topk_release(&t);
			}
			if (eb.failed) {
				errbox_raise(&eb);
				goto out;
			}
		}
	}
	/* the users the candidates did not serve: every item */
	for (j = 0; j < n; j++)
		if (redo[j]) {
			sel[nredo] = (uint32_t)j;
			memmove(uv + nredo * d, uv + j * d, d * sizeof *uv);
			nredo++;
		}
	r->ann.users += n;
	r->ann.exact += nredo;
	if (nredo > 0) {
		uint32_t *ru = alloc_n(nredo, sizeof *ru);
		uint32_t *rn = alloc_n(nredo, sizeof *rn);
		igr_hit *ro = alloc_n(nredo * L, sizeof *ro);
		uint8_t *unk = alloc_n(nredo, 1);
		int x2 = ru && rn && ro && unk ? 0 : igr_error("out of memory");
		for (j = 0; x2 == 0 && j < nredo; j++)
			ru[j] = users[sel[j]];
		/* a hybrid's whole scores are the model's (score_users) */
		if (x2 == 0 && r->hyb)
			x2 = select_dense(r, ru, nredo, L, ro, rn, unk);
		else if (x2 == 0)
			x2 = embed_topk(r, ru, uv, nredo, L, ro, rn);
		for (j = 0; x2 == 0 && j < nredo; j++) {
			nout[sel[j]] = rn[j];
			memcpy(out + (size_t)sel[j] * L, ro + j * L,
			       rn[j] * sizeof *ro);
		}
		free(ru);
		free(rn);
		free(ro);
		free(unk);
		if (x2 < 0)
			goto out;
	}
	rc = 0;
out:
	free(uv);
	free(kbits);
	free(redo);
	free(sel);
	free(q);
	free(sc);
	free(ids);
	for (th = 0; th < nacc; th++) {
		igr_acc_release(&accs[th]);
		free(scrs[th]);
	}
	if (scrs != NULL && nacc < nth)
		free(scrs[nacc]); /* allocated where its acc failed */
	free(accs);
	free(scrs);
	return rc;
}

/* Push the items nobody scored (score 0) that can still enter: in
 * popularity order, so they are the untouched items that rank first. */
static void zero_fill(const igr_rec *r, igr_topk *t, const igr_acc *acc,
		      const igr_csr *x, uint32_t u)
{
	uint32_t pushed = 0, p;

	if (0.0f < floor_score(r) ||
	    (t->n == t->k && t->h[0].score > 0.0f) || t->k == 0)
		return;
	for (p = 0; p < r->ni && pushed < t->k; p++) {
		uint32_t i = r->pop_order[p];
		if (i >= r->model_ni || i >= acc->n ||
		    igr_acc_find(acc, i) >= 0 ||
		    (r->blocked && r->blocked[i]) || row_has(x, u, i))
			continue;
		igr_topk_push(t, 0.0f, i);
		pushed++;
	}
}

/* Sparse path: accumulate per user, one user per thread at a time (in
 * pair mode: a user's contributions sorted and summed in cache, not
 * scattered over an array of every item). */
static int select_sparse(const igr_rec *r, const uint32_t *users, size_t n,
			 uint32_t L, igr_hit *out, uint32_t *nout,
			 uint8_t *unknown)
{
	const igr_csr *x = excl_rel(r);
	float fl = floor_score(r);
	struct errbox eb = { 0, "" };

#pragma omp parallel
	{
		igr_acc acc;
		igr_topk t;
		int ok = igr_acc_init_for(&acc, r->ni) == 0;
		int64_t j;

		t.h = NULL;
		if (ok && igr_topk_init(&t, L, r->tie) < 0) {
			igr_acc_release(&acc);
			ok = 0;
		}
		if (!ok)
			errbox_set(&eb);
#pragma omp for schedule(dynamic, 16)
		for (j = 0; j < (int64_t)n; j++) {
			uint32_t u = users[j], q;
			int rc;
			if (!ok)
				continue;
			igr_topk_clear(&t);
			rc = r->m->ops->score_user_sparse(r->m, r->g, u, &acc);
			if (rc >= 0 && igr_acc_settle(&acc) < 0)
				rc = -1;
			if (rc < 0) {
				errbox_set(&eb);
				igr_acc_clear(&acc);
				continue;
			}
			unknown[j] = rc == IGR_UNKNOWN_USER;
			if (x != NULL && u < x->nrows) {
				uint64_t k;
				for (k = x->ptr[u]; k < x->ptr[u + 1]; k++)
					igr_acc_set(&acc, x->idx[k],
						    r->o.exclude == IGR_EXCL_ZERO
							    ? 0.0f
							    : NAN);
			}
			for (q = 0; q < igr_acc_count(&acc); q++) {
				uint32_t i = igr_acc_id(&acc, q);
				float s = igr_acc_value(&acc, q);
				if (i >= r->ni || (r->blocked && r->blocked[i]))
					continue;
				if (s >= fl)
					igr_topk_push(&t, s, i);
			}
			if (!unknown[j])
				zero_fill(r, &t, &acc, x, u);
			nout[j] = igr_topk_sorted(&t, out + (size_t)j * L);
			igr_acc_clear(&acc);
		}
		if (ok) {
			igr_acc_release(&acc);
			igr_topk_release(&t);
		}
	}
	return eb.failed ? errbox_raise(&eb) : 0;
}

/* Rank row Q of a block (USERS[Q]'s scores in ROW): its exclusions set
 * to NaN (or 0 with --exclude zero), then the top L at or above the
 * floor into OUT[Q * L ..], their count into NOUT[Q], and UNKNOWN[Q]. */
static void select_row(const igr_rec *r, const igr_csr *x, float fl,
		       const uint32_t *users, size_t q, float *row,
		       igr_topk *t, uint32_t L, igr_hit *out, uint32_t *nout,
		       uint8_t *unknown)
{
	uint32_t u = users[q], i;

	unknown[q] = degree(r->ui, u) == 0;
	if (x != NULL && u < x->nrows) {
		uint64_t k;

		for (k = x->ptr[u]; k < x->ptr[u + 1]; k++)
			if (x->idx[k] < r->ni)
				row[x->idx[k]] = r->o.exclude == IGR_EXCL_ZERO
							 ? 0.0f
							 : NAN;
	}
	igr_topk_clear(t);
	for (i = 0; i < r->ni; i++) {
		if (!(row[i] >= fl) || (r->blocked && r->blocked[i]))
			continue;
		if (t->n == t->k && row[i] < t->h[0].score)
			continue;
		igr_topk_push(t, row[i], i);
	}
	nout[q] = igr_topk_sorted(t, out + q * (size_t)L);
}

/* Dense path for models that thread their own scoring (block_users):
 * one large block at a time, the ranking of its rows in parallel. */
static int select_dense_blocks(const igr_rec *r, const uint32_t *users,
			       size_t n, uint32_t L, igr_hit *out,
			       uint32_t *nout, uint8_t *unknown, size_t bs)
{
	const igr_csr *x = excl_rel(r);
	float fl = floor_score(r);
	struct errbox eb = { 0, "" };
	float *buf = igr_alloc_large(bs * r->ni, sizeof *buf);
	size_t u0;

	if (buf == NULL)
		return igr_error("out of memory");
	for (u0 = 0; u0 < n && !eb.failed; u0 += bs) {
		size_t bu = n - u0 < bs ? n - u0 : bs;

		if (r->m->ops->score_users(r->m, r->g, users + u0, bu, NULL,
					   r->ni, buf) < 0) {
			errbox_set(&eb);
			break;
		}
#pragma omp parallel
		{
			igr_topk t;
			int64_t j;

			t.h = NULL;
			if (igr_topk_init(&t, L, r->tie) < 0)
				errbox_set(&eb);
#pragma omp for schedule(dynamic, 8)
			for (j = 0; j < (int64_t)bu; j++)
				if (t.h != NULL)
					select_row(r, x, fl, users, u0 + j,
						   buf + j * r->ni, &t, L, out,
						   nout, unknown);
			if (t.h != NULL)
				igr_topk_release(&t);
		}
	}
	free(buf);
	return eb.failed ? errbox_raise(&eb) : 0;
}

/* Dense path: score_users on blocks of users. */
static int select_dense(const igr_rec *r, const uint32_t *users, size_t n,
			uint32_t L, igr_hit *out, uint32_t *nout,
			uint8_t *unknown)
{
	const igr_csr *x = excl_rel(r);
	float fl = floor_score(r);
	struct errbox eb = { 0, "" };
	size_t nb = (n + DENSE_BLOCK - 1) / DENSE_BLOCK;
	uint32_t bs = r->m->ops->block_users ? r->m->ops->block_users(r->m)
					       : 0;

	if (bs > 0)
		return select_dense_blocks(r, users, n, L, out, nout, unknown,
					   bs);
#pragma omp parallel
	{
		float *buf = alloc_n((size_t)DENSE_BLOCK * r->ni, sizeof *buf);
		igr_topk t;
		int ok = buf != NULL;
		int64_t b;

		t.h = NULL;
		if (ok && igr_topk_init(&t, L, r->tie) < 0)
			ok = 0;
		if (!ok)
			errbox_set(&eb);
#pragma omp for schedule(dynamic, 1)
		for (b = 0; b < (int64_t)nb; b++) {
			size_t u0 = (size_t)b * DENSE_BLOCK, j;
			size_t bu = n - u0 < DENSE_BLOCK ? n - u0 : DENSE_BLOCK;
			if (!ok)
				continue;
			if (r->m->ops->score_users(r->m, r->g, users + u0, bu,
						   NULL, r->ni, buf) < 0) {
				errbox_set(&eb);
				continue;
			}
			for (j = 0; j < bu; j++)
				select_row(r, x, fl, users, u0 + j,
					   buf + j * r->ni, &t, L, out, nout,
					   unknown);
		}
		if (t.h != NULL)
			igr_topk_release(&t);
		free(buf);
	}
	return eb.failed ? errbox_raise(&eb) : 0;
}

static int select_users(igr_rec *r, const uint32_t *users, size_t n,
			uint32_t L, igr_hit *out, uint32_t *nout,
			uint8_t *unknown)
{
	memset(unknown, 0, n);
	switch (r->path) {
	case PATH_EMBED:
		if (r->ix != NULL)
			return select_ann(r, users, n, L, out, nout, unknown);
		return select_embed(r, users, n, L, out, nout, unknown);
	case PATH_SPARSE:
		return select_sparse(r, users, n, L, out, nout, unknown);
	}
	if (r->hyb && r->ix != NULL)
		return select_ann(r, users, n, L, out, nout, unknown);
	return select_dense(r, users, n, L, out, nout, unknown);
}

/* Rule 4: walk IN (best first) keeping at most CAP items per category;
 * stops at K.  Returns how many were written to OUT. */
static uint32_t cap_greedy(const igr_rec *r, const igr_hit *in, uint32_t nin,
			   igr_hit *out, uint32_t k, uint32_t cap,
			   uint32_t *cats, uint32_t *counts)
{
	uint32_t n = 0, nc = 0, j, c;

	for (j = 0; j < nin && n < k; j++) {
		uint32_t cat = r->cat[in[j].id];
		if (cap > 0 && cat != IGR_NONE) {
			for (c = 0; c < nc && cats[c] != cat; c++)
				;
			if (c == nc) {
				cats[nc] = cat;
				counts[nc++] = 0;
			}
			if (counts[c] >= cap)
				continue;
			counts[c]++;
		}
		out[n++] = in[j];
	}
	return n;
}

/* Rule 5: the popularity list under rules 1, 2 and 4. */
static uint32_t fallback_list(const igr_rec *r, uint32_t u, igr_hit *out,
			      uint32_t k, uint32_t *cats, uint32_t *counts)
{
	const igr_csr *x = excl_rel(r);
	uint32_t n = 0, nc = 0, p, c;

	for (p = 0; p < r->ni && n < k; p++) {
		uint32_t i = r->pop_order[p], cat = r->cat[i];
		if ((r->blocked && r->blocked[i]) || row_has(x, u, i))
			continue;
		if (r->o.per_category > 0 && cat != IGR_NONE) {
			for (c = 0; c < nc && cats[c] != cat; c++)
				;
			if (c == nc) {
				cats[nc] = cat;
				counts[nc++] = 0;
			}
			if (counts[c] >= r->o.per_category)
				continue;
			counts[c]++;
		}
		out[n].id = i;
		out[n++].score = r->pop[i];
	}
	return n;
}

static float dotf(const float *a, const float *b, uint32_t d)
{
	float s = 0;
	uint32_t c;

	for (c = 0; c < d; c++)
		s += a[c] * b[c];
	return s;
}

/* Explanations of an embedding model without its own: the user's items
 * whose vectors are closest (cosine) to the recommended item's, weighted
 * by the user's edge weight. */
static int explain_embed(const igr_rec *r, uint32_t u, uint32_t item,
			 igr_contrib *out, uint32_t max)
{
	const igr_embed *e = &r->e;
	const float *vi;
	igr_topk t;
	igr_hit h[64];
	uint64_t k;
	float ni;
	uint32_t n, c;

	if (r->ui == NULL || u >= r->ui->nrows || item >= e->nitems ||
	    e->dim < 2)
		return 0;
	if (max > 64)
		max = 64;
	vi = e->item + (size_t)item * e->dim;
	ni = sqrtf(dotf(vi, vi, e->dim));
	if (!(ni > 0) || igr_topk_init(&t, max, NULL) < 0)
		return 0;
	for (k = r->ui->ptr[u]; k < r->ui->ptr[u + 1]; k++) {
		uint32_t j = r->ui->idx[k];
		const float *vj;
		float nj;
		if (j >= e->nitems)
			continue;
		vj = e->item + (size_t)j * e->dim;
		nj = sqrtf(dotf(vj, vj, e->dim));
		if (nj > 0)
			igr_topk_push(&t, r->ui->w[k] * dotf(vi, vj, e->dim) /
						  (ni * nj),
				      j);
	}
	n = igr_topk_sorted(&t, h);
	igr_topk_release(&t);
	for (c = 0; c < n; c++) {
		out[c].type = IGR_ITEM;
		out[c].id = h[c].id;
		out[c].w = h[c].score;
	}
	return (int)n;
}

static int explain_lists(const igr_rec *r, igr_rec_batch *b)
{
	uint32_t E = r->o.explain;
	struct errbox eb = { 0, "" };
	int64_t j;

	if (E == 0)
		return 0;
#pragma omp parallel for schedule(dynamic, 16)
	for (j = 0; j < (int64_t)b->n; j++) {
		igr_rec_list *l = &b->lists[j];
		uint32_t h;
		for (h = 0; h < l->n; h++) {
			igr_contrib *w = l->why + (size_t)h * E;
			int c = 0;
			if (l->fallback) {
				c = 0;
			} else if (r->m->ops->explain != NULL) {
				c = r->m->ops->explain(r->m, r->g, l->query,
						       l->hits[h].id, w, E);
			} else if (r->path == PATH_EMBED) {
				c = explain_embed(r, l->query, l->hits[h].id,
						  w, E);
			}
			if (c < 0) {
				errbox_set(&eb);
				c = 0;
			}
			l->nwhy[h] = (uint32_t)c;
		}
	}
	return eb.failed ? errbox_raise(&eb) : 0;
}

int igr_rec_users(igr_rec *r, const uint32_t *users, size_t n,
		  igr_rec_batch *b)
{
	/* no list is longer than the items there are */
	uint32_t k = r->o.k < r->ni ? r->o.k : r->ni;
	uint32_t cap = r->o.per_category, L = k;
	uint8_t *known = NULL, *unk = NULL;
	uint32_t *mu = NULL, *mpos = NULL, *nout = NULL;
	uint32_t *cs = NULL, *cn = NULL; /* categories counted by rule 4 */
	igr_hit *cand = NULL;
	size_t nm = 0, j;
	int rc = -1;

	if (batch_reserve(b, n, k, r->o.explain) < 0)
		return -1;
	if (cap > 0 && r->has_cat) {
		L = k * 4 > k + 32 ? k * 4 : k + 32;
		if (L > r->ni)
			L = r->ni;
	}
	known = alloc_n(n, 1);
	unk = alloc_n(n, 1);
	mu = alloc_n(n, sizeof *mu);
	mpos = alloc_n(n, sizeof *mpos);
	nout = alloc_n(n, sizeof *nout);
	cs = alloc_n(k, sizeof *cs);
	cn = alloc_n(k, sizeof *cn);
	if (!known || !unk || !mu || !mpos || !nout || !cs || !cn) {
		igr_error("out of memory");
		goto out;
	}
	if (igr_rec_known(r, users, n, known) < 0)
		goto out;
	for (j = 0; j < n; j++) {
		b->lists[j].query_type = IGR_USER;
		b->lists[j].query = users[j];
		if (known[j]) {
			mpos[nm] = (uint32_t)j;
			mu[nm++] = users[j];
		} else {
			b->lists[j].fallback = 1;
		}
	}
	/* the model's lists; with a category cap, ask for L candidates and
	 * ask again with more for the few users whose cap left them short */
	while (nm > 0) {
		size_t nshort = 0;
		free(cand);
		cand = alloc_n((size_t)nm * L, sizeof *cand);
		if (cand == NULL) {
			igr_error("out of memory (%zu x %u candidates)", nm, L);
			goto out;
		}
		if (select_users(r, mu, nm, L, cand, nout, unk) < 0)
			goto out;
		for (j = 0; j < nm; j++) {
			igr_rec_list *l = &b->lists[mpos[j]];
			igr_hit *c = cand + j * (size_t)L;
			if (unk[j]) { /* the model found nothing after all */
				l->fallback = 1;
				continue;
			}
			if (cap > 0 && r->has_cat) {
				l->n = cap_greedy(r, c, nout[j], l->hits, k, cap,
						  cs, cn);
				if (l->n < k && nout[j] == L && L < r->ni) {
					mu[nshort] = mu[j];
					mpos[nshort++] = mpos[j];
				}
			} else {
				l->n = nout[j] < k ? nout[j] : k;
				memcpy(l->hits, c, l->n * sizeof *c);
			}
		}
		if (nshort == 0)
			break;
		nm = nshort;
		L = L > r->ni / 4 ? r->ni : L * 4;
	}
	/* rule 5 */
	for (j = 0; j < n; j++) {
		igr_rec_list *l = &b->lists[j];
		if (!l->fallback)
			continue;
		if (!r->o.fallback) {
			l->n = 0;
			continue;
		}
		l->n = fallback_list(r, users[j], l->hits, k, cs, cn);
	}
	if (explain_lists(r, b) < 0)
		goto out;
	rc = 0;
out:
	free(known);
	free(unk);
	free(mu);
	free(mpos);
	free(nout);
	free(cs);
	free(cn);
	free(cand);
	return rc;
}

/* ---- similar items ----------------------------------------------------- */

#define SIM_BLOCK 32

int igr_rec_similar(igr_rec *r, const uint32_t *items, size_t n,
		    igr_rec_batch *b)
{
	uint32_t k = r->o.k < r->ni ? r->o.k : r->ni;
	uint32_t cap = r->o.per_category, L = k;
	float fl = floor_score(r);
	float *buf = NULL;
	igr_hit *cand = NULL;
	igr_topk t;
	size_t q0, j;
	int rc = -1;

	if (r->m->ops->score_items == NULL)
		return igr_error("the %s model has no item-to-item scores "
				 "(similar items)", igr_model_name(r->m));
	for (j = 0; j < n; j++)
		if (items[j] >= r->ni)
			return igr_error("item %u is not in the model or the "
					 "graph (%u items)", items[j], r->ni);
	if (batch_reserve(b, n, k, 0) < 0)
		return -1;
	if (cap > 0 && r->has_cat)
		L = r->ni; /* few queries: keep every candidate */
	buf = alloc_n((size_t)SIM_BLOCK * r->ni, sizeof *buf);
	cand = alloc_n(L, sizeof *cand);
	if (buf == NULL || cand == NULL || igr_topk_init(&t, L, r->tie) < 0) {
		free(buf);
		free(cand);
		return igr_error("out of memory");
	}
	for (q0 = 0; q0 < n; q0 += SIM_BLOCK) {
		size_t nq = n - q0 < SIM_BLOCK ? n - q0 : SIM_BLOCK;
		if (r->m->ops->score_items(r->m, r->g, items + q0, nq, buf) < 0)
			goto out;
		for (j = 0; j < nq; j++) {
			igr_rec_list *l = &b->lists[q0 + j];
			float *row = buf + j * r->ni;
			uint32_t i, nc;
			l->query_type = IGR_ITEM;
			l->query = items[q0 + j];
			row[items[q0 + j]] = NAN;
			igr_topk_clear(&t);
			for (i = 0; i < r->ni; i++)
				if (row[i] >= fl &&
				    !(r->blocked && r->blocked[i]))
					igr_topk_push(&t, row[i], i);
			nc = igr_topk_sorted(&t, cand);
			if (cap > 0 && r->has_cat) {
				uint32_t *cs = alloc_n(k, sizeof *cs);
				uint32_t *cn = alloc_n(k, sizeof *cn);
				if (cs == NULL || cn == NULL) {
					free(cs);
					free(cn);
					igr_error("out of memory");
					goto out;
				}
				l->n = cap_greedy(r, cand, nc, l->hits, k, cap, cs,
						  cn);
				free(cs);
				free(cn);
			} else {
				l->n = nc < k ? nc : k;
				memcpy(l->hits, cand, l->n * sizeof *cand);
			}
		}
	}
	rc = 0;
out:
	igr_topk_release(&t);
	free(buf);
	free(cand);
	return rc;
}

/* ---- audiences --------------------------------------------------------- */

/* Set (ON 1) or clear the flags of the queries user U is excluded from:
 * those holding an item of U's exclusion row. */
static void mark_skip(const igr_csr *x, uint32_t u, uint32_t ni,
		      const uint32_t *col, const uint32_t *iq_ptr,
		      const uint32_t *iq, uint8_t *skip, int on)
{
	uint64_t e;

	if (x == NULL || u >= x->nrows)
		return;
	for (e = x->ptr[u]; e < x->ptr[u + 1]; e++) {
		uint32_t i = x->idx[e], c, p;
		if (i >= ni || (c = col[i]) == IGR_NONE)
			continue;
		for (p = iq_ptr[c]; p < iq_ptr[c + 1]; p++)
			skip[iq[p]] = (uint8_t)on;
	}
}

int igr_rec_audience(igr_rec *r, const struct igr_audience *q, size_t nq,
		     const uint32_t *users, size_t nu, igr_rec_batch *b)
{
	/* no audience is larger than the users there are */
	uint32_t k = r->o.k < (users ? nu : r->nu) ? r->o.k
						   : (uint32_t)(users ? nu : r->nu);
	const igr_csr *x = r->o.exclude == IGR_EXCL_SEEN     ? r->ui
			   : r->o.exclude == IGR_EXCL_BOUGHT ? r->o.bought
							     : NULL;
	float fl = floor_score(r);
	uint32_t *col = NULL, *items = NULL, *qptr = NULL, *qcol = NULL;
	uint32_t *iq_ptr = NULL, *iq = NULL, *all = NULL;
	uint32_t nitems = 0;
	igr_topk *heaps = NULL;
	int nt = 1, rc = -1;
	struct errbox eb = { 0, "" };
	size_t j, total = 0;
	igr_embed sub;
	float *subv = NULL;
	uint32_t bu_max;

	if (batch_reserve(b, nq, k, 0) < 0)
		return -1;
	if (users == NULL) {
		all = alloc_n(r->nu, sizeof *all);
		if (all == NULL)
			return igr_error("out of memory");
		for (j = 0; j < r->nu; j++)
			all[j] = (uint32_t)j;
		users = all;
		nu = r->nu;
	}
	/* the union of the queries' items: one column each */
	col = alloc_n(r->ni, sizeof *col);
	qptr = alloc_n(nq + 1, sizeof *qptr);
	if (col == NULL || qptr == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (j = 0; j < r->ni; j++)
		col[j] = IGR_NONE;
	for (j = 0; j < nq; j++) {
		if (q[j].type == IGR_CATEGORY) {
			uint32_t i;
			for (i = 0; i < r->ni; i++)
				total += r->cat[i] == q[j].id;
		} else {
			total += q[j].nitems;
		}
	}
	qcol = alloc_n(total, sizeof *qcol);
	items = alloc_n(total < r->ni ? total : r->ni, sizeof *items);
	if (qcol == NULL || items == NULL) {
		igr_error("out of memory");
		goto out;
	}
	total = 0;
	for (j = 0; j < nq; j++) {
		uint32_t i, c;
		qptr[j] = (uint32_t)total;
		if (q[j].type == IGR_CATEGORY) {
			for (i = 0; i < r->ni; i++)
				if (r->cat[i] == q[j].id) {
					if (col[i] == IGR_NONE) {
						col[i] = nitems;
						items[nitems++] = i;
					}
					qcol[total++] = col[i];
				}
			continue;
		}
		for (c = 0; c < q[j].nitems; c++) {
			i = q[j].items[c];
			if (i >= r->ni) {
				igr_error("item %u is not in the model or the "
					  "graph (%u items)", i, r->ni);
				goto out;
			}
			if (col[i] == IGR_NONE) {
				col[i] = nitems;
				items[nitems++] = i;
			}
			qcol[total++] = col[i];
		}
	}
	qptr[nq] = (uint32_t)total;
	/* column -> queries, to find the queries a user is excluded from */
	iq_ptr = calloc((size_t)nitems + 1, sizeof *iq_ptr);
	iq = alloc_n(total, sizeof *iq);
	if (iq_ptr == NULL || iq == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (j = 0; j < total; j++)
		iq_ptr[qcol[j] + 1]++;
	for (j = 0; j < nitems; j++)
		iq_ptr[j + 1] += iq_ptr[j];
	{
		uint32_t *pos = alloc_n((size_t)nitems + 1, sizeof *pos);
		size_t qq;
		if (pos == NULL) {
			igr_error("out of memory");
			goto out;
		}
		memcpy(pos, iq_ptr, ((size_t)nitems + 1) * sizeof *pos);
		for (qq = 0; qq < nq; qq++)
			for (j = qptr[qq]; j < qptr[qq + 1]; j++)
				iq[pos[qcol[j]]++] = (uint32_t)qq;
		free(pos);
	}
	if (r->path == PATH_EMBED) {
		/* the queried items' vectors, gathered once */
		uint32_t d = r->e.dim, c;
		subv = alloc_n((size_t)nitems * (d + 1), sizeof *subv);
		if (subv == NULL) {
			igr_error("out of memory");
			goto out;
		}
		sub = r->e;
		sub.user = NULL;
		sub.nusers = 0;
		sub.order = NULL; /* r->e's order is of all items */
		sub.nitems = nitems;
		sub.item = subv;
		/* a bias always: -INFINITY for items the model does not
		 * know, which then never score */
		sub.item_bias = subv + (size_t)nitems * d;
		for (c = 0; c < nitems; c++) {
			float *bias = subv + (size_t)nitems * d + c;
			if (items[c] < r->e.nitems) {
				memcpy(subv + (size_t)c * d,
				       r->e.item + (size_t)items[c] * d,
				       d * sizeof *subv);
				*bias = r->e.item_bias
						? r->e.item_bias[items[c]]
						: 0.0f;
			} else {
				memset(subv + (size_t)c * d, 0,
				       d * sizeof *subv);
				*bias = -INFINITY;
			}
		}
	}
#ifdef _OPENMP
	nt = omp_get_max_threads();
#endif
	heaps = calloc((size_t)nt * (nq ? nq : 1), sizeof *heaps);
	if (heaps == NULL) {
		igr_error("out of memory");
		goto out;
	}
	/* users per block: the transposed score tile (queried items x
	 * users) stays near 8 MB per thread */
	bu_max = (uint32_t)((2u << 20) / (nitems ? nitems : 1));
	bu_max = bu_max < AUD_BLOCK ? AUD_BLOCK : bu_max > 2048 ? 2048 : bu_max;
#pragma omp parallel num_threads(nt)
	{
		int me = 0;
		igr_topk *h;
		float *st = NULL, *buf = NULL, *uv = NULL, *best = NULL;
		uint8_t *unk = NULL, *skip = calloc(nq ? nq : 1, 1);
		uint8_t *qhave = calloc(nq ? nq : 1, 1);
		float *qbest = alloc_n(nq, sizeof *qbest);
		uint32_t *qlist = alloc_n(nq, sizeof *qlist);
		uint32_t *xq = NULL, *xj = NULL, *xptr = NULL;
		const struct igr_growing xg[] = { IGR_GROWING(&xq),
						  IGR_GROWING(&xj) };
		size_t xcap = 0;
		igr_acc acc;
		int ok, have_acc = 0;
		int64_t blk;
		size_t qq;
#ifdef _OPENMP
		me = omp_get_thread_num();
#endif
		h = heaps + (size_t)me * nq;
		if (r->path == PATH_SPARSE) {
			ok = igr_acc_init_for(&acc, r->ni) == 0;
			have_acc = ok;
		} else {
			st = alloc_n((size_t)bu_max * nitems, sizeof *st);
			best = alloc_n(bu_max, sizeof *best);
			unk = alloc_n(bu_max, 1);
			xptr = alloc_n(nq + 1, sizeof *xptr);
			if (r->path == PATH_EMBED)
				uv = alloc_n((size_t)bu_max * r->e.dim,
					     sizeof *uv);
			else
				buf = alloc_n((size_t)bu_max * nitems,
					      sizeof *buf);
			ok = st && best && unk && xptr && (uv || buf);
		}
		ok = ok && skip && qhave && qbest && qlist;
		for (qq = 0; ok && qq < nq; qq++)
			if (igr_topk_init(&h[qq], k, NULL) < 0)
				ok = 0;
		if (!ok)
			errbox_set(&eb);
#pragma omp for schedule(dynamic, 1)
		for (blk = 0; blk < (int64_t)((nu + bu_max - 1) / bu_max); blk++) {
			size_t u0 = (size_t)blk * bu_max, jj, bu, nx = 0;
			uint32_t c;
			if (!ok)
				continue;
			bu = nu - u0 < bu_max ? nu - u0 : bu_max;
			if (r->path == PATH_SPARSE) {
				/* only the queried items the user's history
				 * reaches: a user without evidence for a query
				 * is not in its audience */
				for (jj = 0; jj < bu; jj++) {
					uint32_t u = users[u0 + jj], t, p, nql = 0;
					int x2 = r->m->ops->score_user_sparse(
						r->m, r->g, u, &acc);
					if (x2 >= 0 && igr_acc_settle(&acc) < 0)
						x2 = -1;
					if (x2 < 0)
						errbox_set(&eb);
					if (x2 != 0) {
						igr_acc_clear(&acc);
						continue;
					}
					mark_skip(x, u, r->ni, col, iq_ptr, iq,
						  skip, 1);
					for (t = 0; t < igr_acc_count(&acc); t++) {
						uint32_t i = igr_acc_id(&acc, t);
						float sc = igr_acc_value(&acc, t);
						if (i >= r->model_ni ||
						    (c = col[i]) == IGR_NONE)
							continue;
						for (p = iq_ptr[c]; p < iq_ptr[c + 1];
						     p++) {
							uint32_t q2 = iq[p];
							if (!qhave[q2]) {
								qhave[q2] = 1;
								qbest[q2] = sc;
								qlist[nql++] = q2;
							} else if (sc > qbest[q2]) {
								qbest[q2] = sc;
							}
						}
					}
					for (t = 0; t < nql; t++) {
						uint32_t q2 = qlist[t];
						float sc = qbest[q2];
						qhave[q2] = 0;
						if (!skip[q2] && sc >= fl &&
						    (h[q2].n < k ||
						     sc >= h[q2].h[0].score))
							igr_topk_push(&h[q2], sc, u);
					}
					mark_skip(x, u, r->ni, col, iq_ptr, iq,
						  skip, 0);
					igr_acc_clear(&acc);
				}
				continue;
			}
			/* the scores, transposed: st[c * bu + j] is user j's
			 * score for queried item c, so each query reads
			 * contiguous rows and its heap stays in cache */
			if (r->path == PATH_EMBED) {
				uint32_t d = r->e.dim;
				for (jj = 0; jj < bu; jj++) {
					int x2 = user_vec(r, users[u0 + jj],
							  uv + jj * d);
					if (x2 < 0)
						errbox_set(&eb);
					unk[jj] = x2 != 0;
					if (x2 != 0)
						memset(uv + jj * d, 0,
						       d * sizeof *uv);
				}
				if (d > 0 && nitems > 0)
					cblas_sgemm(CblasRowMajor, CblasNoTrans,
						    CblasTrans, (int)nitems,
						    (int)bu, (int)d, 1.0f, sub.item,
						    (int)d, uv, (int)d, 0.0f, st,
						    (int)bu);
				else
					memset(st, 0, nitems * bu * sizeof *st);
				for (c = 0; c < nitems; c++) {
					float bias = sub.item_bias[c];
					float *row = st + (size_t)c * bu;
					if (bias != 0)
						for (jj = 0; jj < bu; jj++)
							row[jj] += bias;
				}
			} else {
				if (r->m->ops->score_users(r->m, r->g,
							   users + u0, bu,
							   items, nitems,
							   buf) < 0)
					errbox_set(&eb);
				for (jj = 0; jj < bu; jj++) {
					unk[jj] = degree(r->ui,
							 users[u0 + jj]) == 0;
					for (c = 0; c < nitems; c++)
						st[(size_t)c * bu + jj] =
							buf[jj * nitems + c];
				}
			}
			/* the (query, user) pairs excluded in this block,
			 * bucketed by query */
			for (jj = 0; jj < bu; jj++) {
				uint32_t u = users[u0 + jj];
				uint64_t e;
				if (unk[jj] || x == NULL || u >= x->nrows)
					continue;
				for (e = x->ptr[u]; e < x->ptr[u + 1]; e++) {
					uint32_t i = x->idx[e], p;
					if (i >= r->ni || (c = col[i]) == IGR_NONE)
						continue;
					for (p = iq_ptr[c]; p < iq_ptr[c + 1]; p++) {
						if (igr_grow_each(&xcap, nx + 1, xg,
								  2) < 0) {
							errbox_set(&eb);
							ok = 0;
							break;
						}
						xq[nx] = iq[p];
						xj[nx++] = (uint32_t)jj;
					}
				}
			}
			if (!ok)
				continue;
			memset(xptr, 0, (nq + 1) * sizeof *xptr);
			{
				/* counting sort of the pairs by query, in
				 * place through the spare half of xj */
				size_t e2;
				uint32_t *sorted;
				for (e2 = 0; e2 < nx; e2++)
					xptr[xq[e2] + 1]++;
				for (qq = 0; qq < nq; qq++)
					xptr[qq + 1] += xptr[qq];
				sorted = alloc_n(nx, sizeof *sorted);
				if (sorted == NULL) {
					errbox_set(&eb);
					continue;
				}
				for (e2 = 0; e2 < nx; e2++)
					sorted[xptr[xq[e2]]++] = xj[e2];
				for (qq = nq; qq > 0; qq--)
					xptr[qq] = xptr[qq - 1];
				xptr[0] = 0;
				if (nx > 0)
					memcpy(xj, sorted, nx * sizeof *xj);
				free(sorted);
			}
			for (qq = 0; qq < nq; qq++) {
				uint32_t p, e3;
				float thr;
				const float *first =
					st + (size_t)qcol[qptr[qq]] * bu;
				if (qptr[qq] == qptr[qq + 1])
					continue;
				memcpy(best, first, bu * sizeof *best);
				for (p = qptr[qq] + 1; p < qptr[qq + 1]; p++) {
					const float *row =
						st + (size_t)qcol[p] * bu;
					for (jj = 0; jj < bu; jj++)
						if (row[jj] > best[jj])
							best[jj] = row[jj];
				}
				for (e3 = xptr[qq]; e3 < xptr[qq + 1]; e3++)
					best[xj[e3]] = NAN;
				thr = h[qq].n < k ? fl
				      : h[qq].h[0].score > fl ? h[qq].h[0].score
							      : fl;
				for (jj = 0; jj < bu; jj++) {
					if (!(best[jj] >= thr) || unk[jj])
						continue;
					igr_topk_push(&h[qq], best[jj],
						      users[u0 + jj]);
					if (h[qq].n == k && h[qq].h[0].score > thr)
						thr = h[qq].h[0].score;
				}
			}
		}
		if (have_acc)
			igr_acc_release(&acc);
		free(st);
		free(buf);
		free(uv);
		free(best);
		free(unk);
		free(skip);
		free(qhave);
		free(qbest);
		free(qlist);
		free(xq);
		free(xj);
		free(xptr);
	}
	if (eb.failed) {
		errbox_raise(&eb);
		goto out;
	}
	/* merge the threads' heaps into thread 0's */
	for (j = 0; j < nq; j++) {
		igr_rec_list *l = &b->lists[j];
		int t2;
		for (t2 = 1; t2 < nt; t2++) {
			igr_topk *o = &heaps[(size_t)t2 * nq + j];
			uint32_t e;
			for (e = 0; e < o->n; e++)
				igr_topk_push(&heaps[j], o->h[e].score,
					      o->h[e].id);
		}
		l->query_type = q[j].type == IGR_CATEGORY ? IGR_CATEGORY
							   : IGR_ITEM;
		l->query = q[j].id;
		l->n = igr_topk_sorted(&heaps[j], l->hits);
	}
	rc = 0;
out:
	if (heaps != NULL)
		for (j = 0; j < (size_t)nt * nq; j++)
			free(heaps[j].h);
	free(heaps);
	free(subv);
	free(col);
	free(items);
	free(qptr);
	free(qcol);
	free(iq_ptr);
	free(iq);
	free(all);
	return rc;
}

/* ---- interest points --------------------------------------------------- */

int igr_rec_interest(igr_rec *r, const uint32_t *users, size_t n, uint32_t m,
		     uint32_t p, igr_rec_batch *b)
{
	struct igr_rec_opts save = r->o;
	uint8_t *saved_blocked = r->blocked;
	igr_rec_batch tmp;
	int64_t j;
	int rc;
	struct errbox eb = { 0, "" };

	if (!r->has_cat)
		return igr_error("the graph has no item->category edges: "
				 "interest points need them");
	if (m > r->ni)
		m = r->ni;
	r->o.k = m;
	r->o.exclude = IGR_EXCL_NONE;
	r->o.per_category = 0;
	r->o.min_score = -INFINITY;
	r->o.fallback = 0;
	r->o.explain = 0;
	r->blocked = NULL;
	igr_rec_batch_init(&tmp);
	rc = igr_rec_users(r, users, n, &tmp);
	r->o = save;
	r->blocked = saved_blocked;
	if (rc < 0 || batch_reserve(b, n, p, 1) < 0) {
		igr_rec_batch_free(&tmp);
		return -1;
	}
#pragma omp parallel
	{
		/* per-thread category sums, cleared through a touched list */
		igr_acc acc, cnt;
		igr_topk t;
		int ok = igr_acc_init(&acc, r->g->n[IGR_CATEGORY] + 1) == 0;
		if (ok && igr_acc_init(&cnt, r->g->n[IGR_CATEGORY] + 1) < 0) {
			igr_acc_release(&acc);
			ok = 0;
		}
		if (ok && igr_topk_init(&t, p, NULL) < 0) {
			igr_acc_release(&acc);
			igr_acc_release(&cnt);
			ok = 0;
		}
		if (!ok)
			errbox_set(&eb);
#pragma omp for schedule(dynamic, 64)
		for (j = 0; j < (int64_t)n; j++) {
			const igr_rec_list *src = &tmp.lists[j];
			igr_rec_list *l = &b->lists[j];
			double total = 0;
			uint32_t h;
			if (!ok)
				continue;
			l->query_type = IGR_USER;
			l->query = users[j];
			if (src->fallback || src->n == 0) {
				/* the user's own edges, by category */
				uint32_t u = users[j];
				l->fallback = 1;
				if (r->ui != NULL && u < r->ui->nrows) {
					uint64_t e;
					for (e = r->ui->ptr[u];
					     e < r->ui->ptr[u + 1]; e++) {
						uint32_t i = r->ui->idx[e];
						uint32_t c = i < r->ni
								     ? r->cat[i]
								     : IGR_NONE;
						if (c == IGR_NONE ||
						    !(r->ui->w[e] > 0))
							continue;
						igr_acc_add(&acc, c,
							    r->ui->w[e]);
						igr_acc_add(&cnt, c, 1);
						total += r->ui->w[e];
					}
				}
			} else {
				for (h = 0; h < src->n; h++) {
					uint32_t c = r->cat[src->hits[h].id];
					float w;
					if (c == IGR_NONE)
						continue;
					/* the DCG discount of rank h + 1 */
					w = (float)(1.0 / log2(h + 2.0));
					igr_acc_add(&acc, c, w);
					igr_acc_add(&cnt, c, 1);
					total += w;
				}
			}
			igr_topk_clear(&t);
			for (h = 0; h < acc.nt; h++) {
				uint32_t c = acc.touched[h];
				igr_topk_push(&t, total > 0
							  ? (float)(acc.v[c] /
								    total)
							  : 0.0f,
					      c);
			}
			l->n = igr_topk_sorted(&t, l->hits);
			for (h = 0; h < l->n; h++)
				l->nwhy[h] = (uint32_t)cnt.v[l->hits[h].id];
			igr_acc_clear(&acc);
			igr_acc_clear(&cnt);
		}
		if (ok) {
			igr_acc_release(&acc);
			igr_acc_release(&cnt);
			igr_topk_release(&t);
		}
	}
	igr_rec_batch_free(&tmp);
	return eb.failed ? errbox_raise(&eb) : 0;
}
