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

/* The columns of R (RT its transpose) cut into the ranks' ranges
 * (BOUNDS: size + 1 entries, the same on every rank) by their work: the
 * accumulator's adds (the edges of a column's users) and the selection
 * and sort of up to SLOTS neighbours, about 8 x SLOTS (N log N with
 * N = 200).  On the generated 10M-event log (item-kNN, 2 ranks), with
 * the adds alone rank 1 got 82% of the lists and most of the work; with
 * the sort too the two ranks took 19.1 and 19.5 CPU s (BENCHMARKS.md). */
static int share_columns(const igr_csr *r, const igr_csr *rt,
			 size_t *bounds, uint32_t slots)
{
	uint32_t ni = r->ncols, a;
	uint64_t *w = malloc(((size_t)ni + 1) * sizeof *w), x;

	if (w == NULL)
		return -1;
	for (a = 0; a < ni; a++) {
		w[a] = 8 * (uint64_t)slots + 1;
		for (x = rt->ptr[a]; x < rt->ptr[a + 1]; x++)
			w[a] += r->ptr[rt->idx[x] + 1] - r->ptr[rt->idx[x]];
	}
	igr_par_split(w, ni, igr_par_size(), bounds);
	free(w);
	return 0;
}

/* The lists of columns [LO, HI) as bytes, column by column: its count
 * (u32), its neighbours (u32), its values (f32).  *N gets the length;
 * NULL when out of memory. */
static char *pack_lists(size_t lo, size_t hi, uint32_t slots,
			const uint32_t *cnt, const uint32_t *nbr,
			const float *sim, size_t *n)
{
	size_t a, len = 0, at = 0;
	char *b;

	for (a = lo; a < hi; a++)
		len += 4 + (size_t)cnt[a] * 8;
	b = malloc(len + 1);
	if (b == NULL)
		return NULL;
	for (a = lo; a < hi; a++) {
		memcpy(b + at, cnt + a, 4);
		memcpy(b + at + 4, nbr + a * slots, (size_t)cnt[a] * 4);
		memcpy(b + at + 4 + (size_t)cnt[a] * 4, sim + a * slots,
		       (size_t)cnt[a] * 4);
		at += 4 + (size_t)cnt[a] * 8;
	}
	*n = len;
	return b;
}

/* Packed lists back into the N-slot layout, as they come in pieces:
 * columns col, col + 1, ... up to END; a column's bytes wait in PART
 * until they are whole. */
struct unpack {
	size_t col, end;
	uint32_t slots, *cnt, *nbr;
	float *sim;
	char *part;     /* 4 + slots x 8 bytes */
	size_t have;
};

static int unpack_sink(void *arg, const void *p, size_t n)
{
	struct unpack *k = arg;
	const char *in = p;

	while (n > 0) {
		uint32_t c = 0;
		size_t need = 4, take;

		if (k->have >= 4) {
			memcpy(&c, k->part, 4);
			need = 4 + (size_t)c * 8;
		}
		take = need - k->have < n ? need - k->have : n;
		memcpy(k->part + k->have, in, take);
		k->have += take;
		in += take;
		n -= take;
		if (k->have == 4) {
			memcpy(&c, k->part, 4);
			if (k->col >= k->end || c > k->slots)
				return igr_error("bad neighbour lists from "
						 "another rank (column %zu)",
						 k->col);
		}
		if (k->have >= 4 && k->have == 4 + (size_t)c * 8) {
			k->cnt[k->col] = c;
			memcpy(k->nbr + k->col * k->slots, k->part + 4,
			       (size_t)c * 4);
			memcpy(k->sim + k->col * k->slots,
			       k->part + 4 + (size_t)c * 4, (size_t)c * 4);
			k->col++;
			k->have = 0;
		}
	}
	return 0;
}

/* (the other ranks' lists after this one failed: received, not kept) */
static int drain_sink(void *arg, const void *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

/* The ranks' lists (BOUNDS: each rank's columns) to every rank (MODE
 * IGR_COOC_RANKS_ALL: all to all) or to rank 0 only (the others keep
 * theirs), into the N-slot layout.  0 or -1 (after a failure on
 * another rank too, since the exchange is collective: par.h). */
static int swap_lists(const size_t *bounds, int mode, uint32_t slots,
		      uint32_t *cnt, uint32_t *nbr, float *sim)
{
	int size = igr_par_size(), me = igr_par_rank(), q, rc = 0;
	int all = mode == IGR_COOC_RANKS_ALL;
	struct unpack k = { 0, 0, slots, cnt, nbr, sim, NULL, 0 };
	const void **send = all ? calloc((size_t)size, sizeof *send) : NULL;
	uint64_t *len = all ? calloc((size_t)size, sizeof *len) : NULL;
	uint64_t *rlen = all ? calloc((size_t)size, sizeof *rlen) : NULL;
	void **recv = all ? calloc((size_t)size, sizeof *recv) : NULL;
	size_t n = 0;
	char *blk = pack_lists(bounds[me], bounds[me + 1], slots, cnt, nbr,
			       sim, &n);

	k.part = malloc(4 + (size_t)slots * 8);
	if ((all && (!send || !len || !rlen || !recv)) || !blk || !k.part)
		rc = igr_error("out of memory (the neighbour lists to send)");
	if (!all) {
		uint64_t recs;

		/* rank 0's sink takes ranks 1 .. size-1's columns in order */
		if (me > 0)
			rc = igr_par_send_part(rc, blk, -1, n,
					       bounds[me + 1] - bounds[me]);
		else {
			int r2;

			k.col = bounds[1];
			k.end = bounds[size];
			r2 = igr_par_recv_parts(1, rc < 0 ? drain_sink
							  : unpack_sink,
						&k, &recs);
			if (rc == 0 && r2 < 0)
				rc = -1;
			if (rc == 0 && (k.col != k.end || k.have != 0))
				rc = igr_error("neighbour lists cut short "
					       "(another rank's)");
		}
		goto out;
	}
	for (q = 0; rc == 0 && q < size; q++)
		if (q != me) {
			send[q] = blk;
			len[q] = n;
		}
	if (rc == 0)
		rc = igr_par_alltoall(send, len, recv, rlen);
	for (q = 0; rc == 0 && q < size; q++) {
		if (q == me)
			continue;
		k.col = bounds[q];
		k.end = bounds[q + 1];
		k.have = 0;
		if (unpack_sink(&k, recv[q], rlen[q]) < 0)
			rc = -1;
		else if (k.col != k.end || k.have != 0)
			rc = igr_error("neighbour lists cut short (rank %d's)",
				       q);
	}
out:
	for (q = 0; recv != NULL && q < size; q++)
		free(recv[q]);
	free(send);
	free(len);
	free(rlen);
	free(recv);
	free(blk);
	free(k.part);
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
		if (bounds == NULL || failed || share_columns(r, rt, bounds, slots) < 0)
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
		int ok = row != NULL && igr_acc_init_for(&acc, ni) == 0;
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

			if (!ok || failed)
				continue;
			for (x = rt->ptr[a]; x < rt->ptr[a + 1]; x++) {
				uint32_t u = rt->idx[x];
				float wa = rt->w[x];

				for (y = r->ptr[u]; y < r->ptr[u + 1]; y++)
					if (r->idx[y] != a)
						igr_acc_add(&acc, r->idx[y],
							    wa * r->w[y]);
			}
			if (igr_acc_settle(&acc) < 0) {
				/* out of memory: this thread stops here */
				failed = 1;
				igr_acc_clear(&acc);
				continue;
			}
			sa = na != NULL ? na[a] : 1;
			for (t = 0; t < igr_acc_count(&acc); t++) {
				uint32_t b = igr_acc_id(&acc, t);
				double den = sa * (nb != NULL ? nb[b] : 1) +
					     o->shrink;
				double s = den > 0 ? igr_acc_value(&acc, t) / den
						   : 0;

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
					 : 0) < 0 ||
		    swap_lists(bounds, o->ranks, slots, cnt, nbr, sim) < 0)
			failed = 2; /* the error is set */
		free(bounds);
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
		return failed == 2 ? -1
		       : igr_error("out of memory (the neighbours of %u "
				   "items, %llu pairs)", ni,
				   (unsigned long long)total);
	}
	*ptr_out = ptr;
	*nbr_out = nbr;
	*sim_out = sim;
	return 0;
}
