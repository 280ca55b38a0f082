/* dsgd.c - BPR matrix factorisation by DSGD strata (see dsgd.h). */
#include "dsgd.h"
#include "error.h"
#include "par.h"
#include "rand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The users of one block with edges in it, for sampling. */
struct block {
	uint32_t n, cap;  /* users with edges in the block */
	uint32_t *user;   /* those users, ascending */
	uint64_t *first;  /* each one's first entry in POS */
	uint32_t *deg;    /* each one's edges here */
	double *cum;      /* cumulative weights deg / (the user's edges) */
	uint32_t *pos;    /* the edges, as places in their user's row */
	uint64_t npos, poscap;
};

/* A thread's scratch for the steps of a block. */
struct worker {
	uint32_t *su, *si, *sj, *cand;
	float *sw, *sc, *grad;
	double *sloss;
	int32_t *slot;
	uint32_t *rows;
};

struct igr_dsgd {
	const igr_csr *r;
	const igr_learn_opts *o;
	float *x;
	igr_adam *a;
	uint32_t nu, ni, d, ns;    /* ns: strata S */
	uint32_t rounds;           /* passes over the strata an epoch */
	uint32_t batch;            /* a block's: ceil(o->batch / S) */
	size_t *ucut;              /* S + 1 bounds of the user ranges */
	uint32_t *items;           /* the items, range by range, each
				      range ascending */
	size_t *icut;              /* S + 1 bounds of the ranges in ITEMS */
	uint32_t *irange;          /* the range of each item */
	uint64_t *samples;         /* per block a * S + b, per epoch */
	uint64_t total;            /* their sum */
	struct block *blocks;      /* S x S; filled for the owned users */
	int nworkers;
	struct worker *w;
	double *bloss;             /* per block, this epoch */
	uint64_t *bdone;           /* samples trained per block */
	int rank, size;
	int prev;                  /* shift of the last sub-epoch, -1: none
				      since every rank's tables were alike */
	double nactive;
};

/* The rank that trains user range A. */
static int owner(const igr_dsgd *s, uint32_t a)
{
	return (int)(a % (uint32_t)s->size);
}

static void block_release(struct block *b)
{
	free(b->user);
	free(b->first);
	free(b->deg);
	free(b->cum);
	free(b->pos);
}

static void worker_release(struct worker *w)
{
	free(w->su);
	free(w->si);
	free(w->sj);
	free(w->cand);
	free(w->sw);
	free(w->sc);
	free(w->grad);
	free(w->sloss);
	free(w->slot);
	free(w->rows);
}

void igr_dsgd_free(igr_dsgd *s)
{
	uint32_t k;
	int t;

	if (s == NULL)
		return;
	for (k = 0; s->blocks != NULL && k < s->ns * s->ns; k++)
		block_release(&s->blocks[k]);
	for (t = 0; s->w != NULL && t < s->nworkers; t++)
		worker_release(&s->w[t]);
	free(s->blocks);
	free(s->w);
	free(s->ucut);
	free(s->icut);
	free(s->items);
	free(s->irange);
	free(s->samples);
	free(s->bloss);
	free(s->bdone);
	free(s);
}

uint64_t igr_dsgd_samples(const igr_dsgd *s)
{
	return s->total;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* The item ranges: the items in an order drawn from the seed, cut into S
 * runs of about equal edge counts.  Drawn, not by id: ids follow the log
 * (an item's id is its first appearance), so runs of ids go with runs of
 * users, and a block's negatives, drawn from its own range, would then be
 * the items most like the user's own (on Gowalla, by id: recall@20 0.124
 * against 0.159). */
static int item_ranges(igr_dsgd *s, const uint64_t *deg)
{
	uint64_t *w = malloc(((size_t)s->ni + 1) * sizeof *w);
	uint32_t k, b;
	igr_rng rng;

	if (w == NULL)
		return igr_error("out of memory");
	for (k = 0; k < s->ni; k++)
		s->items[k] = k;
	igr_rng_stream(&rng, s->o->seed, 0x6974656d73, 0);
	for (k = s->ni; k > 1; k--) {
		uint32_t z = igr_rng_below(&rng, k), t = s->items[k - 1];

		s->items[k - 1] = s->items[z];
		s->items[z] = t;
	}
	for (k = 0; k < s->ni; k++)
		w[k] = deg[s->items[k]];
	igr_par_split(w, s->ni, (int)s->ns, s->icut);
	free(w);
	for (b = 0; b < s->ns; b++) {
		qsort(s->items + s->icut[b], s->icut[b + 1] - s->icut[b],
		      sizeof *s->items, cmp_u32);
		for (k = (uint32_t)s->icut[b]; k < s->icut[b + 1]; k++)
			s->irange[s->items[k]] = b;
	}
	return 0;
}

/* Room for one more user and DEG more edges in block BL. */
static int block_grow(struct block *bl, uint64_t deg)
{
	if (bl->n == bl->cap) {
		uint32_t c = bl->cap ? 2 * bl->cap : 64;
		uint32_t *nu_ = realloc(bl->user, c * sizeof *nu_);
		uint64_t *nf;
		uint32_t *nd;
		double *nc;

		if (nu_ != NULL)
			bl->user = nu_;
		nf = realloc(bl->first, c * sizeof *nf);
		if (nf != NULL)
			bl->first = nf;
		nd = realloc(bl->deg, c * sizeof *nd);
		if (nd != NULL)
			bl->deg = nd;
		nc = realloc(bl->cum, c * sizeof *nc);
		if (nc != NULL)
			bl->cum = nc;
		if (!nu_ || !nf || !nd || !nc)
			return igr_error("out of memory");
		bl->cap = c;
	}
	if (bl->npos + deg > bl->poscap) {
		uint64_t c = bl->poscap ? 2 * bl->poscap : 256;
		uint32_t *np;

		while (c < bl->npos + deg)
			c *= 2;
		np = realloc(bl->pos, c * sizeof *np);
		if (np == NULL)
			return igr_error("out of memory");
		bl->pos = np;
		bl->poscap = c;
	}
	return 0;
}

/* The cuts, every block's share of the samples, and the sampling lists
 * of the blocks of the user ranges this rank owns. */
static int plan(igr_dsgd *s)
{
	const igr_csr *r = s->r;
	uint32_t S = s->ns, a, b, u;
	uint64_t *w = calloc((size_t)(s->nu > s->ni ? s->nu : s->ni) + 1,
			     sizeof *w);
	double *wsum = calloc((size_t)S * S, sizeof *wsum);
	uint32_t *cnt = calloc(S, sizeof *cnt);
	uint64_t e;
	int ret = -1;

	if (w == NULL || wsum == NULL || cnt == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (e = 0; e < r->nnz; e++)
		w[r->idx[e]]++;
	if (item_ranges(s, w) < 0)
		goto out;
	for (u = 0; u < s->nu; u++)
		w[u] = r->ptr[u + 1] - r->ptr[u];
	igr_par_split(w, s->nu, (int)S, s->ucut);
	s->nactive = 0;
	for (a = 0; a < S; a++) {
		for (u = (uint32_t)s->ucut[a]; u < s->ucut[a + 1]; u++) {
			uint64_t deg = r->ptr[u + 1] - r->ptr[u];
			int mine = owner(s, a) == s->rank;

			if (deg == 0)
				continue;
			s->nactive++;
			for (e = r->ptr[u]; e < r->ptr[u + 1]; e++)
				cnt[s->irange[r->idx[e]]]++;
			for (b = 0; b < S; b++) {
				struct block *bl = &s->blocks[a * S + b];

				if (cnt[b] == 0)
					continue;
				wsum[a * S + b] += (double)cnt[b] /
						   (double)deg;
				if (!mine)
					continue;
				if (block_grow(bl, cnt[b]) < 0)
					goto out;
				bl->user[bl->n] = u;
				bl->first[bl->n] = bl->npos;
				bl->deg[bl->n] = cnt[b];
				bl->cum[bl->n] = wsum[a * S + b];
				bl->n++;
				bl->npos += cnt[b];
			}
			if (mine)
				for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
					struct block *bl = &s->blocks[
						a * S + s->irange[r->idx[e]]];
					uint64_t k = bl->first[bl->n - 1];

					/* fill the user's run from its end */
					k += --cnt[s->irange[r->idx[e]]];
					bl->pos[k] = (uint32_t)(e - r->ptr[u]);
				}
			else
				memset(cnt, 0, S * sizeof *cnt);
		}
	}
	s->rounds = igr_dsgd_rounds(r->nnz, (uint64_t)s->nactive, S);
	/* each block's share of an epoch of nnz samples */
	s->total = 0;
	for (e = 0; e < (uint64_t)S * S; e++) {
		s->samples[e] = s->nactive > 0
			? (uint64_t)llround((double)r->nnz * wsum[e] /
					    s->nactive)
			: 0;
		s->total += s->samples[e];
	}
	ret = 0;
out:
	free(w);
	free(wsum);
	free(cnt);
	return ret;
}

static int worker_init(struct worker *w, const igr_dsgd *s)
{
	size_t b = s->batch, nrows = (size_t)s->nu + s->ni, k;
	size_t cap = 3 * b < nrows ? 3 * b : nrows;
	uint32_t nc = s->o->negatives > 1 ? s->o->negatives - 1 : 0;

	w->su = malloc(b * sizeof *w->su);
	w->si = malloc(b * sizeof *w->si);
	w->sj = malloc(b * sizeof *w->sj);
	w->cand = malloc((b * nc + 1) * sizeof *w->cand);
	w->sw = malloc(b * sizeof *w->sw);
	w->sc = malloc(b * sizeof *w->sc);
	w->sloss = malloc(b * sizeof *w->sloss);
	w->grad = malloc((cap * s->d + 1) * sizeof *w->grad);
	w->rows = malloc((cap + 1) * sizeof *w->rows);
	w->slot = malloc((nrows + 1) * sizeof *w->slot);
	if (!w->su || !w->si || !w->sj || !w->cand || !w->sw || !w->sc ||
	    !w->sloss || !w->grad || !w->rows || !w->slot)
		return igr_error("out of memory");
	for (k = 0; k < nrows; k++)
		w->slot[k] = -1;
	return 0;
}

uint32_t igr_dsgd_rounds(uint64_t nnz, uint64_t active, uint32_t strata)
{
	uint64_t per = (uint64_t)IGR_DSGD_RUN * strata * (active ? active : 1);
	uint64_t r = (nnz + per - 1) / per;

	return r < 1 ? 1 : r > IGR_DSGD_MAX_ROUNDS ? IGR_DSGD_MAX_ROUNDS
						   : (uint32_t)r;
}

uint32_t igr_dsgd_rounds_of(const igr_dsgd *s)
{
	return s->rounds;
}

uint32_t igr_dsgd_strata(const igr_csr *r, uint32_t strata)
{
	uint32_t most = (r->nrows < r->ncols ? r->nrows : r->ncols) /
			IGR_DSGD_MIN_ROWS;

	if (strata == 0) {
		strata = r->ncols / IGR_DSGD_MIN_ITEMS;
		if (strata > IGR_DSGD_STRATA)
			strata = IGR_DSGD_STRATA;
		if (strata == 0)
			strata = 1;
	}
	return strata < most ? strata : most > 0 ? most : 1;
}

igr_dsgd *igr_dsgd_new(const igr_csr *r, uint32_t strata,
		       const igr_learn_opts *o, float *x, igr_adam *a)
{
	igr_dsgd *s;
	size_t nb;
	int t;

	if (o->batch == 0)
		return igr_error("mf: the batch must be positive"), NULL;
	strata = igr_dsgd_strata(r, strata);
	nb = (size_t)strata * strata;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return igr_error("out of memory"), NULL;
	s->r = r;
	s->o = o;
	s->x = x;
	s->a = a;
	s->nu = r->nrows;
	s->ni = r->ncols;
	s->d = o->dim;
	s->ns = strata;
	s->batch = (o->batch + strata - 1) / strata;
	s->rank = igr_par_rank();
	s->size = igr_par_size();
	s->prev = -1;
#ifdef _OPENMP
	s->nworkers = omp_get_max_threads();
#else
	s->nworkers = 1;
#endif
	if (s->nworkers < 1)
		s->nworkers = 1;
	s->ucut = malloc((strata + 1) * sizeof *s->ucut);
	s->icut = malloc((strata + 1) * sizeof *s->icut);
	s->items = malloc(((size_t)s->ni + 1) * sizeof *s->items);
	s->irange = malloc(((size_t)s->ni + 1) * sizeof *s->irange);
	s->samples = calloc(nb, sizeof *s->samples);
	s->bloss = calloc(nb, sizeof *s->bloss);
	s->bdone = calloc(nb, sizeof *s->bdone);
	s->blocks = calloc(nb, sizeof *s->blocks);
	s->w = calloc((size_t)s->nworkers, sizeof *s->w);
	if (!s->ucut || !s->icut || !s->items || !s->irange || !s->samples ||
	    !s->bloss || !s->bdone || !s->blocks || !s->w) {
		igr_dsgd_free(s);
		return igr_error("out of memory"), NULL;
	}
	for (t = 0; t < s->nworkers; t++)
		if (worker_init(&s->w[t], s) < 0) {
			igr_dsgd_free(s);
			return NULL;
		}
	if (plan(s) < 0) {
		igr_dsgd_free(s);
		return NULL;
	}
	return s;
}

/* ---- one batch -------------------------------------------------------- */

double igr_mf_batch_grad(const float *x, uint32_t nu, uint32_t dim,
			 const uint32_t *u, const uint32_t *i,
			 const uint32_t *j, const float *w, size_t b,
			 double reg, float *c, double *loss, int32_t *slot,
			 uint32_t *rows, float *grad, size_t *nr_out)
{
	const size_t d = dim;
	const float inv_b = 1.0f / (float)b, rb = (float)reg * inv_b;
	double sum = 0;
	size_t q, k, nr = 0;

	for (q = 0; q < b; q++) {
		float cq, wq = w != NULL ? w[q] : 1.0f;

		loss[q] = wq * igr_bpr_pair(x + (size_t)u[q] * d,
					    x + ((size_t)nu + i[q]) * d,
					    x + ((size_t)nu + j[q]) * d, d, &cq);
		c[q] = wq * cq * inv_b;
		sum += loss[q];
	}
	for (q = 0; q < b; q++) {
		uint32_t rr[3] = { u[q], nu + i[q], nu + j[q] };
		const float *fu = x + (size_t)rr[0] * d;
		const float *fi = x + (size_t)rr[1] * d;
		const float *fj = x + (size_t)rr[2] * d;
		float *g[3], cq = c[q];
		int z;

		for (z = 0; z < 3; z++) {
			if (slot[rr[z]] < 0) {
				slot[rr[z]] = (int32_t)nr;
				rows[nr] = rr[z];
				memset(grad + nr * d, 0, d * sizeof *grad);
				nr++;
			}
			g[z] = grad + (size_t)slot[rr[z]] * d;
		}
		for (k = 0; k < d; k++) {
			g[0][k] += cq * (fj[k] - fi[k]) + rb * fu[k];
			g[1][k] += -cq * fu[k] + rb * fi[k];
			g[2][k] += cq * fu[k] + rb * fj[k];
		}
	}
	for (q = 0; q < nr; q++)
		slot[rows[q]] = -1;
	*nr_out = nr;
	return sum;
}

/* ---- one block -------------------------------------------------------- */

/* Block ID's samples in round ROUND of an epoch. */
static uint64_t share(const igr_dsgd *s, uint32_t id, uint32_t round)
{
	uint64_t n = s->samples[id], r = s->rounds;

	return n * (round + 1) / r - n * round / r;
}

/* A negative of user U among the N items IT: uniform, outside U's row
 * (64 tries, as igr_bpr_sample). */
static uint32_t negative(const igr_csr *r, igr_rng *rng, uint32_t u,
			 const uint32_t *it, uint32_t n)
{
	uint32_t neg = it[0];
	int tries;

	for (tries = 0; tries < 64; tries++) {
		neg = it[igr_rng_below(rng, n)];
		if (igr_csr_get(r, u, neg) == 0)
			break;
	}
	return neg;
}

/* Train block (A, B) of epoch EPOCH with worker W, its steps Adam steps
 * T0 + 1 ...; the block's loss and samples into s->bloss, s->bdone.  On
 * one rank the time limit may stop it (*STOP set, by any block). */
static void train_block(igr_dsgd *s, struct worker *w, uint32_t a,
			uint32_t b, uint32_t epoch, uint32_t round, float lr,
			uint64_t t0, double start, volatile int *stop)
{
	const igr_csr *r = s->r;
	const struct block *bl = &s->blocks[a * s->ns + b];
	const size_t d = s->d, io = (size_t)s->nu * d;
	const uint32_t id = a * s->ns + b, *it = s->items + s->icut[b];
	const uint32_t nit = (uint32_t)(s->icut[b + 1] - s->icut[b]);
	const uint32_t nc = s->o->negatives > 1 ? s->o->negatives - 1 : 0;
	const int weighted = s->o->weight_power != 0;
	uint64_t left = share(s, id, round), k = 0;
	double loss = 0, wt = bl->n ? bl->cum[bl->n - 1] : 0;
	igr_rng rng;

	if (bl->n == 0 || nit == 0)
		return;
	igr_rng_stream(&rng, s->o->seed, (uint64_t)0x64736764 << 32 | epoch,
		       (uint64_t)round << 32 | id);
	while (left > 0 && !*stop) {
		size_t bs = left < s->batch ? (size_t)left : s->batch;
		size_t q, nr;

		for (q = 0; q < bs; q++) {
			double x = igr_rng_unit(&rng) * wt;
			uint32_t lo = 0, hi = bl->n - 1, c;
			uint64_t e;

			/* the first user whose cumulative weight passes x */
			while (lo < hi) {
				uint32_t mid = (lo + hi) / 2;

				if (bl->cum[mid] > x)
					hi = mid;
				else
					lo = mid + 1;
			}
			w->su[q] = bl->user[lo];
			e = r->ptr[w->su[q]] +
			    bl->pos[bl->first[lo] +
				    igr_rng_below(&rng, bl->deg[lo])];
			w->si[q] = r->idx[e];
			w->sw[q] = weighted ? r->w[e] : 1.0f;
			w->sj[q] = negative(r, &rng, w->su[q], it, nit);
			for (c = 0; c < nc; c++)
				w->cand[q * nc + c] =
					negative(r, &rng, w->su[q], it, nit);
		}
		/* dynamic negative sampling (Zhang et al., SIGIR 2013): the
		 * best-scored of the candidates */
		for (q = 0; q < bs && nc > 0; q++) {
			const float *fu = s->x + (size_t)w->su[q] * d;
			float best = igr_dot(fu, s->x + io +
					     (size_t)w->sj[q] * d, d);
			uint32_t c;

			for (c = 0; c < nc; c++) {
				uint32_t j2 = w->cand[q * nc + c];
				float y = igr_dot(fu, s->x + io +
						  (size_t)j2 * d, d);

				if (y > best) {
					best = y;
					w->sj[q] = j2;
				}
			}
		}
		loss += igr_mf_batch_grad(s->x, s->nu, s->d, w->su, w->si,
					  w->sj, weighted ? w->sw : NULL, bs,
					  s->o->reg, w->sc, w->sloss, w->slot,
					  w->rows, w->grad, &nr);
		igr_adam_rows_at(s->a, t0 + ++k, s->x, w->grad, d, w->rows,
				 nr, lr);
		left -= bs;
		s->bdone[id] += bs;
		if (s->size == 1 && left > 0 &&
		    igr_learn_out_of_time(s->o, start))
			*stop = 1;
	}
	s->bloss[id] += loss;
}

/* ---- moving rows between ranks ---------------------------------------- */

/* Up to 3 messages for rows [LO, HI) of the tables (and moments). */
static int add_rows(const igr_dsgd *s, struct igr_par_msg *m, int peer,
		    size_t lo, size_t hi, int moments)
{
	float *base[3] = { s->x, s->a->m, s->a->v };
	int k, n = moments ? 3 : 1;

	for (k = 0; k < n; k++) {
		m[k].peer = peer;
		m[k].p = base[k] + lo * s->d;
		m[k].n = (hi - lo) * s->d * sizeof(float);
	}
	return n;
}

/* The rank that holds item range B after a sub-epoch of shift P. */
static int holder(const igr_dsgd *s, uint32_t b, int p)
{
	return owner(s, (b + s->ns - (uint32_t)p) % s->ns);
}

/* Copy the rows of item range B (with MOMENTS, Adam's too) into BUF
 * (OUT 1) or back from it (OUT 0). */
static void pack(igr_dsgd *s, uint32_t b, int moments, float *buf, int out)
{
	float *base[3] = { s->x, s->a->m, s->a->v };
	size_t d = s->d, k;
	int z;

	for (z = 0; z < (moments ? 3 : 1); z++)
		for (k = s->icut[b]; k < s->icut[b + 1]; k++) {
			float *row = base[z] + ((size_t)s->nu + s->items[k]) * d;

			if (out)
				memcpy(buf, row, d * sizeof *buf);
			else
				memcpy(row, buf, d * sizeof *buf);
			buf += d;
		}
}

/* Item ranges from the ranks that trained them last to those that train
 * them in the sub-epoch of shift P (every rank's, P -1: to rank 0). */
static int move_items(igr_dsgd *s, int p, int moments)
{
	struct igr_par_msg *snd, *rcv;
	uint32_t *rb, b;
	int ns = 0, nr = 0, k, rc = -1;

	if (s->prev < 0)
		return 0;
	snd = calloc(s->ns, sizeof *snd);
	rcv = calloc(s->ns, sizeof *rcv);
	rb = calloc(s->ns, sizeof *rb);
	if (snd == NULL || rcv == NULL || rb == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (b = 0; b < s->ns; b++) {
		int from = holder(s, b, s->prev);
		int to = p < 0 ? 0 : holder(s, b, p);
		size_t n = (s->icut[b + 1] - s->icut[b]) * s->d *
			   (moments ? 3 : 1) * sizeof(float);
		struct igr_par_msg *m;

		if (from == to || n == 0 ||
		    (from != s->rank && to != s->rank))
			continue;
		m = from == s->rank ? &snd[ns++] : &rcv[nr];
		m->peer = from == s->rank ? to : from;
		m->n = n;
		m->p = malloc(n);
		if (m->p == NULL) {
			igr_error("out of memory");
			goto out;
		}
		if (from == s->rank)
			pack(s, b, moments, m->p, 1);
		else
			rb[nr++] = b;
	}
	rc = igr_par_exchange(snd, ns, rcv, nr);
	for (k = 0; rc == 0 && k < nr; k++)
		pack(s, rb[k], moments, rcv[k].p, 0);
out:
	for (k = 0; snd != NULL && k < (int)s->ns; k++)
		free(snd[k].p);
	for (k = 0; rcv != NULL && k < (int)s->ns; k++)
		free(rcv[k].p);
	free(snd);
	free(rcv);
	free(rb);
	return rc;
}

int igr_dsgd_gather(igr_dsgd *s, int moments)
{
	struct igr_par_msg *snd, *rcv;
	int ns = 0, nr = 0, rc;
	uint32_t a;

	if (s->size == 1 || s->prev < 0)
		return 0;
	igr_par_step("mf: gather");
	if (move_items(s, -1, moments) < 0)
		return -1;
	snd = malloc(3 * (size_t)s->ns * sizeof *snd);
	rcv = malloc(3 * (size_t)s->ns * sizeof *rcv);
	if (snd == NULL || rcv == NULL) {
		free(snd);
		free(rcv);
		return igr_error("out of memory");
	}
	for (a = 0; a < s->ns; a++) {
		int from = owner(s, a);

		if (from == 0 || s->ucut[a + 1] == s->ucut[a])
			continue;
		if (from == s->rank)
			ns += add_rows(s, snd + ns, 0, s->ucut[a],
				       s->ucut[a + 1], moments);
		else if (s->rank == 0)
			nr += add_rows(s, rcv + nr, from, s->ucut[a],
				       s->ucut[a + 1], moments);
	}
	rc = igr_par_exchange(snd, ns, rcv, nr);
	free(snd);
	free(rcv);
	return rc;
}

/* ---- an epoch --------------------------------------------------------- */

int igr_dsgd_epoch(igr_dsgd *s, uint32_t epoch, float lr, double start,
		   double *loss, uint64_t *done, int *cut)
{
	const uint32_t S = s->ns;
	uint32_t *perm = malloc(S * sizeof *perm), q, k, round;
	uint32_t *mine = malloc(S * sizeof *mine);
	volatile int stop = 0;
	igr_rng rng;

	if (perm == NULL || mine == NULL) {
		free(perm);
		free(mine);
		return igr_error("out of memory");
	}
	memset(s->bloss, 0, (size_t)S * S * sizeof *s->bloss);
	memset(s->bdone, 0, (size_t)S * S * sizeof *s->bdone);
	for (round = 0; round < s->rounds && !stop; round++) {
		/* the strata in an order of the round's own (Fisher-Yates) */
		for (k = 0; k < S; k++)
			perm[k] = k;
		igr_rng_stream(&rng, s->o->seed,
			       (uint64_t)0x7065726d << 32 | epoch, round);
		for (k = S; k > 1; k--) {
			uint32_t z = igr_rng_below(&rng, k), tmp = perm[k - 1];

			perm[k - 1] = perm[z];
			perm[z] = tmp;
		}
		for (q = 0; q < S && !stop; q++) {
			uint32_t p = perm[q], nmine = 0, longest = 0;
			uint64_t t0 = s->a->t;
			int last = round + 1 == s->rounds && q + 1 == S;
			int64_t z;

			for (k = 0; k < S; k++) {
				uint32_t id = k * S + (k + p) % S;
				uint64_t st = (share(s, id, round) +
					       s->batch - 1) / s->batch;

				if (st > longest)
					longest = (uint32_t)st;
				if (owner(s, k) == s->rank)
					mine[nmine++] = k;
			}
			if (s->size > 1) {
				igr_par_step("mf: item blocks");
				if (move_items(s, (int)p, 1) < 0)
					goto fail;
			}
			s->prev = (int)p;
			/* blocks of a stratum touch disjoint rows: one a
			 * thread */
#pragma omp parallel for schedule(dynamic, 1) if (nmine > 1)
			for (z = 0; z < (int64_t)nmine; z++) {
				int t = 0;
#ifdef _OPENMP
				t = omp_get_thread_num();
#endif
				train_block(s, &s->w[t], mine[z],
					    (mine[z] + p) % S, epoch, round, lr,
					    t0, start, &stop);
			}
			s->a->t = t0 + longest;
			if (s->size == 1 && !last &&
			    igr_learn_out_of_time(s->o, start))
				stop = 1;
			if (s->size > 1 && s->o->time_limit > 0) {
				/* rank 0's clock decides, between
				 * sub-epochs */
				int out = !last && igr_learn_out_of_time(s->o,
									 start);

				if (igr_par_bcast(&out, sizeof out) < 0)
					goto fail;
				stop = out;
			}
		}
	}
	free(perm);
	free(mine);
	*loss = 0;
	*done = 0;
	for (k = 0; k < S * S; k++) {
		*loss += s->bloss[k];
		*done += s->bdone[k];
	}
	*cut = stop;
	if (s->size > 1 && (igr_par_sum_f64(loss, 1) < 0 ||
			    igr_par_sum_u64(done, 1) < 0))
		return -1;
	return 0;
fail:
	free(perm);
	free(mine);
	return -1;
}
