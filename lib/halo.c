/* halo.c - the item-side halo of user ranges (halo.h). */
#include "halo.h"
#include "error.h"
#include "par.h"

#include <stdlib.h>

int igr_halo_count(const igr_graph *g, int nparts, igr_halo *parts)
{
	const igr_csr *ui = g->rel[IGR_USER][IGR_ITEM];
	uint32_t nu = g->n[IGR_USER], ni = g->n[IGR_ITEM];
	uint64_t *w = NULL;
	size_t *ub = NULL, *ib = NULL, i;
	uint32_t *owner = NULL, *mark = NULL, u;
	int r, rc = -1;

	if (nparts < 1 || nparts > IGR_HALO_MAXPARTS)
		return igr_error("%d parts: not in 1 .. %d", nparts,
				 IGR_HALO_MAXPARTS);
	if (ui != NULL) {
		nu = ui->nrows > nu ? ui->nrows : nu;
		ni = ui->ncols > ni ? ui->ncols : ni;
	}
	for (r = 0; r < nparts; r++)
		parts[r] = (igr_halo){ 0 };
	w = malloc(((size_t)(nu > ni ? nu : ni) + 1) * sizeof *w);
	ub = malloc(((size_t)nparts + 1) * sizeof *ub);
	ib = malloc(((size_t)nparts + 1) * sizeof *ib);
	owner = malloc(((size_t)ni + 1) * sizeof *owner);
	mark = calloc((size_t)ni + 1, sizeof *mark);
	if (w == NULL || ub == NULL || ib == NULL || owner == NULL ||
	    mark == NULL) {
		igr_error("out of memory");
		goto out;
	}
	/* users cut as propagate and recommend cut them, by 1 + their
	 * edges; items the same way, by 1 + their users' edges */
	for (u = 0; u < nu; u++)
		w[u] = 1 + (ui != NULL ? igr_csr_degree(ui, u) : 0);
	igr_par_split(w, nu, nparts, ub);
	for (i = 0; i < ni; i++)
		w[i] = 1;
	if (ui != NULL)
		for (i = 0; i < ui->nnz; i++)
			w[ui->idx[i]]++;
	igr_par_split(w, ni, nparts, ib);
	for (r = 0; r < nparts; r++) {
		parts[r].owned = ib[r + 1] - ib[r];
		for (i = ib[r]; i < ib[r + 1]; i++)
			owner[i] = (uint32_t)r;
	}
	for (r = 0; r < nparts; r++) {
		igr_halo *p = &parts[r];

		p->users = ub[r + 1] - ub[r];
		if (ui == NULL)
			continue;
		/* MARK holds the last part (plus one) that counted an item,
		 * so it need not be cleared between parts */
		for (u = (uint32_t)ub[r]; u < ub[r + 1] && u < ui->nrows;
		     u++) {
			uint64_t e;

			p->edges += igr_csr_degree(ui, u);
			for (e = ui->ptr[u]; e < ui->ptr[u + 1]; e++) {
				uint32_t it = ui->idx[e];

				if (mark[it] == (uint32_t)r + 1)
					continue;
				mark[it] = (uint32_t)r + 1;
				p->items++;
				if (owner[it] != (uint32_t)r) {
					p->remote++;
					parts[owner[it]].served++;
				}
			}
		}
	}
	rc = 0;
out:
	free(w);
	free(ub);
	free(ib);
	free(owner);
	free(mark);
	return rc;
}
