/* cooc.c - the N strongest co-occurrence neighbours of every column (see
 * cooc.h). */
#include "cooc.h"
#include "error.h"
#include "topk.h"

#include <math.h>
#include <stdlib.h>
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

int igr_cooc_topn(const igr_csr *r, const igr_csr *rt, const double *na,
		  const double *nb, const struct igr_cooc_opts *o,
		  const igr_report *rep, uint64_t **ptr_out,
		  uint32_t **nbr_out, float **sim_out)
{
	uint32_t ni = r->ncols, i, done = 0;
	igr_hit **rows = calloc(ni ? ni : 1, sizeof *rows);
	uint32_t *cnt = calloc(ni ? ni : 1, sizeof *cnt);
	uint64_t *ptr = NULL, total = 0;
	uint32_t *nbr = NULL;
	float *sim = NULL;
	int failed = 0;

	*ptr_out = NULL;
	*nbr_out = NULL;
	*sim_out = NULL;
	if (rows == NULL || cnt == NULL) {
		failed = 1;
		goto out;
	}
#pragma omp parallel reduction(| : failed)
	{
		igr_acc acc;
		igr_topk heap;
		int ok = igr_acc_init(&acc, ni) == 0;
		int64_t it;

		heap.h = NULL;
		if (ok && igr_topk_init(&heap, o->nbrs, NULL) < 0) {
			igr_acc_release(&acc);
			ok = 0;
		}
		if (!ok)
			failed = 1;
#pragma omp for schedule(dynamic, 64)
		for (it = 0; it < (int64_t)ni; it++) {
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
			cnt[a] = heap.n;
			rows[a] = malloc((heap.n ? heap.n : 1) *
					 sizeof *rows[a]);
			if (rows[a] == NULL) {
				failed = 1;
				igr_topk_clear(&heap);
				continue;
			}
			igr_topk_sorted(&heap, rows[a]);
			if (o->rownorm && cnt[a] > 0 && rows[a][0].score > 0) {
				float top = rows[a][0].score;

				for (t = 0; t < cnt[a]; t++)
					rows[a][t].score /= top;
			}
			qsort(rows[a], cnt[a], sizeof *rows[a], cmp_hit_id);
#pragma omp atomic
			done++;
			if (thread_is_main())
				igr_report_progress(rep, "neighbours: %u of %u "
						   "items", done, ni);
		}
		if (ok) {
			igr_acc_release(&acc);
			igr_topk_release(&heap);
		}
	}
	igr_report_progress_done(rep);
	if (failed)
		goto out;
	ptr = malloc(((size_t)ni + 1) * sizeof *ptr);
	if (ptr == NULL) {
		failed = 1;
		goto out;
	}
	for (i = 0; i < ni; i++) {
		ptr[i] = total;
		total += cnt[i];
	}
	ptr[ni] = total;
	nbr = malloc((total ? total : 1) * sizeof *nbr);
	sim = malloc((total ? total : 1) * sizeof *sim);
	if (nbr == NULL || sim == NULL) {
		failed = 1;
		goto out;
	}
	for (i = 0; i < ni; i++) {
		uint32_t t;

		for (t = 0; t < cnt[i]; t++) {
			nbr[ptr[i] + t] = rows[i][t].id;
			sim[ptr[i] + t] = rows[i][t].score;
		}
		free(rows[i]);
		rows[i] = NULL;
	}
out:
	if (rows != NULL)
		for (i = 0; i < ni; i++)
			free(rows[i]);
	free(rows);
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
