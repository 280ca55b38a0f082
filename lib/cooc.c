/* cooc.c - the N strongest co-occurrence neighbours of every column (see
 * cooc.h). */
#include "cooc.h"
#include "error.h"
#include "par.h"
#include "topk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int thread_is_main(void)
{
#ifdef _OPENMP
	return omp_get_thread_num() == 0;
#else
	return 1;
#endif
}

static int cmp_hit_id(const void *a, const void *b)
{
	const igr_hit *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* This rank's columns [*LO, *HI) of R (RT its transpose) when the ranks
 * share them (BOUNDS: size + 1 entries, the same on every rank): cut by
 * the accumulator's work, 1 + the edges of a column's users. */
static int share_columns(const igr_csr *r, const igr_csr *rt,
			 size_t *bounds)
{
	uint32_t ni = r->ncols, a;
	uint64_t *w = malloc(((size_t)ni + 1) * sizeof *w), x;

	if (w == NULL)
		return -1;
	for (a = 0; a < ni; a++) {
		w[a] = 1;
		for (x = rt->ptr[a]; x < rt->ptr[a + 1]; x++)
			w[a] += r->ptr[rt->idx[x] + 1] - r->ptr[rt->idx[x]];
	}
	igr_par_split(w, ni, igr_par_size(), bounds);
	free(w);
	return 0;
}

/* Every rank's lists to every other rank, into the N-slot layout: a
 * rank's block is the counts of its columns, then their neighbours, then
 * their values (compacted).  0 or -1. */
static int swap_lists(const size_t *bounds, uint32_t slots, uint32_t *cnt,
		      uint32_t *nbr, float *sim)
{
	int size = igr_par_size(), me = igr_par_rank(), q, rc = 0;
	size_t lo = bounds[me], hi = bounds[me + 1], a, n = 0, at;
	const void **send = calloc((size_t)size, sizeof *send);
	uint64_t *len = calloc((size_t)size, sizeof *len);
	uint64_t *rlen = calloc((size_t)size, sizeof *rlen);
	void **recv = calloc((size_t)size, sizeof *recv);
	char *blk = NULL;

	for (a = lo; a < hi; a++)
		n += cnt[a];
	blk = malloc((hi - lo) * 4 + n * 8 + 1);
	if (!send || !len || !rlen || !recv || !blk) {
		rc = igr_error("out of memory (the neighbour lists to send)");
		goto out;
	}
	memcpy(blk, cnt + lo, (hi - lo) * 4);
	at = (hi - lo) * 4;
	for (a = lo; a < hi; a++) {
		memcpy(blk + at, nbr + a * slots, (size_t)cnt[a] * 4);
		at += (size_t)cnt[a] * 4;
	}
	for (a = lo; a < hi; a++) {
		memcpy(blk + at, sim + a * slots, (size_t)cnt[a] * 4);
		at += (size_t)cnt[a] * 4;
	}
	for (q = 0; q < size; q++)
		if (q != me) {
			send[q] = blk;
			len[q] = at;
		}
	rc = igr_par_alltoall(send, len, recv, rlen);
	for (q = 0; rc == 0 && q < size; q++) {
		const char *b = recv[q];
		size_t c0 = bounds[q], c1 = bounds[q + 1], m = 0, pn, ps;

		if (q == me)
			continue;
		if (rlen[q] < (c1 - c0) * 4) {
			rc = igr_error("rank %d sent a short list block", q);
			break;
		}
		memcpy(cnt + c0, b, (c1 - c0) * 4);
		for (a = c0; a < c1 && cnt[a] <= slots; a++)
			m += cnt[a];
		if (a < c1 || rlen[q] != (c1 - c0) * 4 + m * 8) {
			rc = igr_error("rank %d sent a bad list block", q);
			break;
		}
		pn = (c1 - c0) * 4;
		ps = pn + m * 4;
		for (a = c0; a < c1; a++) {
			memcpy(nbr + a * slots, b + pn, (size_t)cnt[a] * 4);
			memcpy(sim + a * slots, b + ps, (size_t)cnt[a] * 4);
			pn += (size_t)cnt[a] * 4;
			ps += (size_t)cnt[a] * 4;
		}
	}
out:
	for (q = 0; recv != NULL && q < size; q++)
		free(recv[q]);
	free(send);
	free(len);
	free(rlen);
	free(recv);
	free(blk);
	return rc;
}

int igr_cooc_topn(const igr_csr *r, const igr_csr *rt, const double *na,
		  const double *nb, const struct igr_cooc_opts *o,
		  const igr_report *rep, uint64_t **ptr_out,
		  uint32_t **nbr_out, float **sim_out)
{
	uint32_t ni = r->ncols, i, done = 0;
	/* each column's list is written into its own N slots, then the
	 * lists are moved down over the unused slots and the arrays cut to
	 * size: the lists' memory once, not a copy of it beside them (pages
	 * of slots never written are never touched) */
	uint32_t slots = o->nbrs < ni ? o->nbrs : ni;
	uint32_t *cnt = calloc(ni ? ni : 1, sizeof *cnt);
	uint64_t *ptr = NULL, total = 0;
	uint32_t *nbr = NULL;
	float *sim = NULL;
	int failed = 0, shared = o->ranks && igr_par_size() > 1;
	size_t *bounds = NULL, lo = 0, hi = ni;

	*ptr_out = NULL;
	*nbr_out = NULL;
	*sim_out = NULL;
	ptr = malloc(((size_t)ni + 1) * sizeof *ptr);
	nbr = malloc(((size_t)ni * slots + 1) * sizeof *nbr);
	sim = malloc(((size_t)ni * slots + 1) * sizeof *sim);
	if (cnt == NULL || ptr == NULL || nbr == NULL || sim == NULL)
		failed = 1;
	if (shared) {
		bounds = malloc(((size_t)igr_par_size() + 1) * sizeof *bounds);
		if (bounds == NULL || failed || share_columns(r, rt, bounds) < 0)
			failed = 1;
		else {
			lo = bounds[igr_par_rank()];
			hi = bounds[igr_par_rank() + 1];
		}
	}
	if (failed)
		goto shared_out;
#pragma omp parallel reduction(| : failed)
	{
		igr_acc acc;
		igr_topk heap;
		igr_hit *row = malloc(((size_t)slots + 1) * sizeof *row);
		int ok = row != NULL && igr_acc_init(&acc, ni) == 0;
		int64_t it;

		heap.h = NULL;
		if (ok && igr_topk_init(&heap, slots ? slots : 1, NULL) < 0) {
			igr_acc_release(&acc);
			ok = 0;
		}
		if (!ok)
			failed = 1;
#pragma omp for schedule(dynamic, 64)
		for (it = (int64_t)lo; it < (int64_t)hi; it++) {
			uint32_t a = (uint32_t)it, t;
			uint64_t x, y;
			double sa;

			if (!ok)
				continue;
			for (x = rt->ptr[a]; x < rt->ptr[a + 1]; x++) {
				uint32_t u = rt->idx[x];
				float wa = rt->w[x];

				for (y = r->ptr[u]; y < r->ptr[u + 1]; y++)
					if (r->idx[y] != a)
						igr_acc_add(&acc, r->idx[y],
							    wa * r->w[y]);
			}
			sa = na != NULL ? na[a] : 1;
			for (t = 0; t < acc.nt; t++) {
				uint32_t b = acc.touched[t];
				double den = sa * (nb != NULL ? nb[b] : 1) +
					     o->shrink;
				double s = den > 0 ? acc.v[b] / den : 0;

				if (o->locality != 1)
					s = pow(s, o->locality);
				if (s > 0)
					igr_topk_push(&heap, (float)s, b);
			}
			igr_acc_clear(&acc);
			cnt[a] = igr_topk_sorted(&heap, row);
			if (cnt[a] > slots)
				cnt[a] = slots; /* (N = 0: none) */
			if (o->rownorm && cnt[a] > 0 && row[0].score > 0) {
				float top = row[0].score;

				for (t = 0; t < cnt[a]; t++)
					row[t].score /= top;
			}
			qsort(row, cnt[a], sizeof *row, cmp_hit_id);
			for (t = 0; t < cnt[a]; t++) {
				nbr[(size_t)a * slots + t] = row[t].id;
				sim[(size_t)a * slots + t] = row[t].score;
			}
#pragma omp atomic
			done++;
			if (thread_is_main())
				igr_report_progress(rep, "neighbours: %u of %zu "
						   "items", done, hi - lo);
		}
		if (ok) {
			igr_acc_release(&acc);
			igr_topk_release(&heap);
		}
		free(row);
	}
	igr_report_progress_done(rep);
shared_out:
	if (shared) {
		/* every rank past its columns (or failed) before the lists
		 * cross: a failed rank fails them all, the one that failed
		 * saying why */
		if (igr_par_agree(failed ? igr_error("out of memory (the "
						     "neighbour lists)")
					 : 0) < 0) {
			free(bounds);
			free(cnt);
			free(ptr);
			free(nbr);
			free(sim);
			return -1;
		}
		failed = swap_lists(bounds, slots, cnt, nbr, sim) < 0;
		free(bounds);
		if (failed) {
			free(cnt);
			free(ptr);
			free(nbr);
			free(sim);
			return -1;
		}
	}
	if (failed)
		goto out;
	/* down over the unused slots (each list lands at or below its own
	 * slots: in order, nothing is overwritten before it is moved) */
	for (i = 0; i < ni; i++) {
		ptr[i] = total;
		if (total != (uint64_t)i * slots && cnt[i] > 0) {
			memmove(nbr + total, nbr + (size_t)i * slots,
				cnt[i] * sizeof *nbr);
			memmove(sim + total, sim + (size_t)i * slots,
				cnt[i] * sizeof *sim);
		}
		total += cnt[i];
	}
	ptr[ni] = total;
	{
		uint32_t *n2 = realloc(nbr, (total ? total : 1) * sizeof *nbr);
		float *s2 = realloc(sim, (total ? total : 1) * sizeof *sim);

		/* a failed cut keeps the larger block */
		if (n2 != NULL)
			nbr = n2;
		if (s2 != NULL)
			sim = s2;
	}
out:
	free(cnt);
	if (failed) {
		free(ptr);
		free(nbr);
		free(sim);
		return igr_error("out of memory (the neighbours of %u items, "
				 "%llu pairs)", ni, (unsigned long long)total);
	}
	*ptr_out = ptr;
	*nbr_out = nbr;
	*sim_out = sim;
	return 0;
}
