/* propagate.c - one run of igraph-propagate: interest points and vectors
 * recomputed through a model (see propagate.h). */
#include "propagate.h"
#include "annindex.h"
#include "error.h"
#include "graph.h"
#include "model.h"
#include "par.h"
#include "recommend.h"
#include "seqs.h"
#include "stream.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 8192

struct igr_propagate {
	const struct igr_propagate_opts *o;
	igr_model *m;
	igr_reader *r;
	igr_graph *g;
	igr_seqs *seqs;     /* the events behind G, when it came from events */
	igr_rec *rec;
	igr_index *ix;     /* the item index the top items come from */
	igr_writer *w, *vw;
	uint32_t dim;      /* vector length (with vectors) */
	float *vec;        /* one user's vector */
	uint32_t *users;   /* the users to recompute, ascending */
	size_t nusers;
	struct igr_propagate_stats st;
};

/* The new user->category relation while it is built. */
struct rows {
	uint64_t *ptr;
	uint32_t *idx, *cnt;
	float *wt;
	int64_t *ts;
	size_t nnz;
};

igr_propagate *igr_propagate_open(const struct igr_propagate_opts *o)
{
	igr_propagate *p = calloc(1, sizeof *p);
	uint32_t nu;

	if (p == NULL)
		return igr_error("out of memory"), NULL;
	p->o = o;
	p->m = igr_model_load(o->model);
	if (p->m == NULL)
		goto fail;
	/* a graph, or events (their sequences for the sequence model) */
	p->r = igr_reader_open(o->graph, 0);
	if (p->r == NULL)
		goto fail;
	if (o->vs != NULL)
		igr_reader_set_vocab(p->r, o->vs);
	p->g = igr_seqs_input(p->r, IGR_REL_ALL, IGR_GRAPH_DETAILS,
			      &p->seqs);
	if (p->g == NULL)
		goto fail;
	p->rec = igr_rec_new(p->m, p->g);
	if (p->rec == NULL ||
	    igr_rec_index_open(p->rec, igr_model_name(p->m), &o->ix, o->depth,
			       o->report, &p->ix) < 0)
		goto fail;
	nu = p->g->n[IGR_USER];
	if (o->vectors != NULL) {
		p->dim = igr_rec_dim(p->rec);
		if (p->dim == 0) {
			igr_error("the %s model has no user vectors (--vectors "
				  "needs an embedding model)",
				  igr_model_name(p->m));
			goto fail;
		}
		p->vec = malloc(p->dim * sizeof *p->vec);
		if (p->vec == NULL) {
			igr_error("out of memory");
			goto fail;
		}
	}
	if (o->users_from != NULL) {
		p->users = igr_events_users(o->users_from, nu, &p->nusers);
		if (p->users == NULL)
			goto fail;
	} else {
		p->users = malloc((nu ? nu : 1) * sizeof *p->users);
		if (p->users == NULL) {
			igr_error("out of memory");
			goto fail;
		}
		for (p->nusers = 0; p->nusers < nu; p->nusers++)
			p->users[p->nusers] = (uint32_t)p->nusers;
	}
	return p;
fail:
	igr_propagate_free(p);
	return NULL;
}

int igr_propagate_no_categories(const igr_propagate *p)
{
	return p->g->rel[IGR_ITEM][IGR_CATEGORY] == NULL;
}

int igr_propagate_outputs(igr_propagate *p)
{
	const struct igr_propagate_opts *o = p->o;
	const igr_header *h = igr_reader_header(p->r);
	char buf[256];
	size_t j;

	p->w = igr_writer_open_par(o->output, IGR_KIND_GRAPH, o->encoding);
	if (p->w == NULL)
		return -1;
	for (j = 0; j < h->nmeta; j++)
		if (strcmp(h->meta[j].key, "ids") != 0 &&
		    strcmp(h->meta[j].key, "interest") != 0 &&
		    igr_writer_set_meta(p->w, h->meta[j].key,
					h->meta[j].value) < 0)
			return -1;
	snprintf(buf, sizeof buf, "model %s, top %u items, %u points per user",
		 igr_model_name(p->m), o->depth, o->points);
	if (igr_writer_set_meta(p->w, "interest", buf) < 0 ||
	    igr_writer_copy_pg(p->w, h) < 0 ||
	    igr_writer_add_pg(p->w, "igraph-propagate", IGR_VERSION, o->argc,
			      o->argv) < 0)
		return -1;
	if (o->vs != NULL)
		igr_writer_set_vocab(p->w, o->vs);
	if (o->vectors != NULL) {
		p->vw = igr_writer_open_par(o->vectors, IGR_KIND_VECTORS,
					    o->encoding);
		if (p->vw == NULL || igr_writer_set_dim(p->vw, p->dim) < 0 ||
		    igr_writer_set_meta(p->vw, "model", igr_model_name(p->m)) <
			    0 ||
		    igr_writer_copy_pg(p->vw, h) < 0 ||
		    igr_writer_add_pg(p->vw, "igraph-propagate", IGR_VERSION,
				      o->argc, o->argv) < 0)
			return -1;
		if (o->vs != NULL)
			igr_writer_set_vocab(p->vw, o->vs);
	}
	igr_reader_close(p->r);
	p->r = NULL;
	return 0;
}

/* User U's row of OLD, unchanged. */
static void copy_old_row(struct rows *x, const igr_csr *old, uint32_t u)
{
	uint64_t k;

	for (k = old->ptr[u]; k < old->ptr[u + 1]; k++) {
		x->idx[x->nnz] = old->idx[k];
		x->wt[x->nnz] = old->w[k];
		x->cnt[x->nnz] = old->count ? old->count[k] : 1;
		x->ts[x->nnz++] = old->last_ts ? old->last_ts[k] : 0;
	}
}

/* User U's new interest points L, stamped with the time of the user's
 * newest edge to an item (else the graph's time), sorted by category id
 * as rows are, appended to X (whose ptr is not used). */
static void add_points(igr_propagate *p, struct rows *x, uint32_t u,
		       const igr_rec_list *l)
{
	const igr_csr *ui = p->g->rel[IGR_USER][IGR_ITEM];
	int64_t newest = p->g->has_now ? p->g->now : 0;
	size_t s0 = x->nnz, q;
	uint32_t hh;

	if (ui != NULL && u < ui->nrows && ui->last_ts != NULL &&
	    ui->ptr[u + 1] > ui->ptr[u]) {
		uint64_t k;
		newest = INT64_MIN;
		for (k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
			if (ui->last_ts[k] > newest)
				newest = ui->last_ts[k];
	}
	p->st.fallback += l->fallback;
	for (hh = 0; hh < l->n; hh++) {
		x->idx[x->nnz] = l->hits[hh].id;
		x->wt[x->nnz] = l->hits[hh].score;
		x->cnt[x->nnz] = l->nwhy[hh];
		x->ts[x->nnz++] = newest;
	}
	p->st.points += l->n;
	/* insertion sort: a row holds at most --points entries */
	for (q = s0 + 1; q < x->nnz; q++) {
		size_t y = q;
		while (y > s0 && x->idx[y - 1] > x->idx[y]) {
			uint32_t ti = x->idx[y], tc = x->cnt[y];
			float tw = x->wt[y];
			int64_t tt = x->ts[y];
			x->idx[y] = x->idx[y - 1];
			x->wt[y] = x->wt[y - 1];
			x->cnt[y] = x->cnt[y - 1];
			x->ts[y] = x->ts[y - 1];
			x->idx[y - 1] = ti;
			x->wt[y - 1] = tw;
			x->cnt[y - 1] = tc;
			x->ts[y - 1] = tt;
			y--;
		}
	}
}

/* User U's vector, when the model has one for U. */
static int write_vector(igr_propagate *p, uint32_t u)
{
	igr_vector v;
	int x = igr_rec_user_vector(p->rec, u, p->vec);

	if (x < 0)
		return -1;
	if (x == 0) {
		v.node_type = IGR_USER;
		v.node = u;
		v.v = p->vec;
		if (igr_write_vector(p->vw, &v) < 0)
			return -1;
		p->st.vectors++;
	}
	return 0;
}

/* This rank's share of the users (par.h; all of them on one rank),
 * balanced by their edges: their new points into PTS (N[j]: the points
 * of the j-th), in user order, and their vectors. */
static int compute_points(igr_propagate *p, struct rows *pts, uint32_t *n,
			  size_t lo, size_t hi)
{
	int no_cats = igr_propagate_no_categories(p), rc = 0;
	size_t u0, j;
	igr_rec_batch b;

	igr_rec_batch_init(&b);
	for (u0 = lo; u0 < hi; u0 += CHUNK) {
		size_t m = hi - u0 < CHUNK ? hi - u0 : CHUNK;
		if (!no_cats && igr_rec_interest(p->rec, p->users + u0, m,
						 p->o->depth, p->o->points,
						 &b) < 0) {
			rc = -1;
			break;
		}
		for (j = 0; j < m; j++) {
			size_t before = pts->nnz;
			if (!no_cats)
				add_points(p, pts, p->users[u0 + j],
					   &b.lists[j]);
			n[u0 - lo + j] = (uint32_t)(pts->nnz - before);
			if (p->vw != NULL &&
			    write_vector(p, p->users[u0 + j]) < 0) {
				rc = -1;
				goto out;
			}
		}
		igr_report_progress(p->o->report, "%zu of %zu users",
				    u0 + m - lo, hi - lo);
	}
out:
	igr_rec_batch_free(&b);
	return rc;
}

/* On several ranks: rank 0 gets every rank's points in user order (the
 * arrays of PTS and N, replaced by the whole run's); counts summed. */
static int gather_points(igr_propagate *p, struct rows *pts, uint32_t **n,
			 size_t mine)
{
	uint64_t c[4] = { pts->nnz, p->st.fallback, p->st.points,
			  p->st.vectors };
	struct {
		void **a;
		size_t size;
	} arr[5] = { { (void **)&pts->idx, sizeof *pts->idx },
		     { (void **)&pts->wt, sizeof *pts->wt },
		     { (void **)&pts->cnt, sizeof *pts->cnt },
		     { (void **)&pts->ts, sizeof *pts->ts },
		     { (void **)n, sizeof **n } };
	int i;

	if (igr_par_size() == 1)
		return 0;
	igr_par_step("interest points");
	for (i = 0; i < 5; i++) {
		void *all;
		size_t total;
		if (igr_par_gather(*arr[i].a,
				   (i < 4 ? pts->nnz : mine) * arr[i].size,
				   &all, &total) < 0)
			return -1;
		free(*arr[i].a);
		*arr[i].a = all;
	}
	if (igr_par_sum_u64(c, 4) < 0)
		return -1;
	pts->nnz = c[0];
	p->st.fallback = c[1];
	p->st.points = c[2];
	p->st.vectors = c[3];
	return 0;
}

/* Fill X with every user's row in order: the recomputed users' new
 * points (PTS, N[j] for the j-th user of p->users), the others' old row. */
static void fill_rows(igr_propagate *p, struct rows *x, const struct rows *pts,
		      const uint32_t *n)
{
	const igr_csr *uc_old = p->g->rel[IGR_USER][IGR_CATEGORY];
	uint32_t nu = p->g->n[IGR_USER], u;
	int no_cats = igr_propagate_no_categories(p);
	size_t j = 0, k = 0;

	for (u = 0; u < nu; u++) {
		x->ptr[u] = x->nnz;
		if (!no_cats && j < p->nusers && p->users[j] == u) {
			size_t e = k + n[j++];
			for (; k < e; k++) {
				x->idx[x->nnz] = pts->idx[k];
				x->wt[x->nnz] = pts->wt[k];
				x->cnt[x->nnz] = pts->cnt[k];
				x->ts[x->nnz++] = pts->ts[k];
			}
		} else if (uc_old != NULL && u < uc_old->nrows) {
			copy_old_row(x, uc_old, u);
		}
	}
	x->ptr[nu] = x->nnz;
}

static void rows_free(struct rows *x)
{
	free(x->ptr);
	free(x->idx);
	free(x->wt);
	free(x->cnt);
	free(x->ts);
	memset(x, 0, sizeof *x);
}

static int rows_alloc(struct rows *x, size_t nptr, size_t cap)
{
	memset(x, 0, sizeof *x);
	x->ptr = nptr ? calloc(nptr, sizeof *x->ptr) : NULL;
	x->idx = malloc(cap * sizeof *x->idx);
	x->wt = malloc(cap * sizeof *x->wt);
	x->cnt = malloc(cap * sizeof *x->cnt);
	x->ts = malloc(cap * sizeof *x->ts);
	if ((nptr && !x->ptr) || !x->idx || !x->wt || !x->cnt || !x->ts) {
		rows_free(x);
		return igr_error("out of memory");
	}
	return 0;
}

int igr_propagate_run(igr_propagate *p)
{
	igr_graph *g = p->g;
	igr_csr *uc_old = g->rel[IGR_USER][IGR_CATEGORY], *uc = NULL;
	const igr_csr *ui = g->rel[IGR_USER][IGR_ITEM];
	uint32_t nu = g->n[IGR_USER], *n = NULL;
	size_t lo = 0, hi = p->nusers;
	struct rows x, pts;
	int rc = -1;

	p->st.users = p->nusers;
	memset(&x, 0, sizeof x);
	memset(&pts, 0, sizeof pts);
	/* each rank a range of the users, balanced by their edges */
	if (igr_serve_range(ui, p->users, p->nusers, &lo, &hi) < 0)
		goto agree;
	n = malloc((hi - lo + 1) * sizeof *n);
	if (n == NULL) {
		igr_error("out of memory");
		goto agree;
	}
	if (rows_alloc(&pts, 0, (hi - lo) * p->o->points + 1) < 0 ||
	    compute_points(p, &pts, n, lo, hi) < 0)
		goto agree;
	rc = 0;
agree:
	/* every rank past its users: the rest is collective */
	if (igr_par_agree(rc) < 0 || gather_points(p, &pts, &n, hi - lo) < 0) {
		rc = -1;
		goto out;
	}
	igr_report_progress_done(p->o->report);
	rc = -1;
	if (igr_par_rank() > 0) {
		rc = 0; /* rank 0 writes the graph */
		goto out;
	}
	if (rows_alloc(&x, (size_t)nu + 1,
		       pts.nnz + (uc_old ? uc_old->nnz : 0) + 1) < 0)
		goto out;
	fill_rows(p, &x, &pts, n);
	uc = calloc(1, sizeof *uc);
	if (uc == NULL) {
		igr_error("out of memory");
		goto out;
	}
	uc->nrows = nu;
	uc->ncols = g->n[IGR_CATEGORY];
	uc->nnz = x.nnz;
	uc->ptr = x.ptr;
	uc->idx = x.idx;
	uc->w = x.wt;
	uc->count = x.cnt;
	uc->last_ts = x.ts;
	memset(&x, 0, sizeof x); /* the graph owns them now */
	igr_csr_free(uc_old);
	g->rel[IGR_USER][IGR_CATEGORY] = uc;
	rc = igr_graph_write(g, p->w);
out:
	rows_free(&x);
	rows_free(&pts);
	free(n);
	return rc;
}

int igr_propagate_close(igr_propagate *p)
{
	int rc = igr_writer_close(p->w);

	p->w = NULL;
	if (rc < 0)
		return -1;
	if (p->vw != NULL) {
		rc = igr_writer_close(p->vw);
		p->vw = NULL;
	}
	return rc;
}

void igr_propagate_stats(const igr_propagate *p,
			 struct igr_propagate_stats *st)
{
	*st = p->st;
}

void igr_propagate_free(igr_propagate *p)
{
	if (p == NULL)
		return;
	igr_writer_abort(p->w);
	igr_writer_abort(p->vw);
	igr_reader_close(p->r);
	igr_rec_free(p->rec);
	igr_index_free(p->ix);
	igr_model_free(p->m);
	igr_graph_free(p->g);
	igr_seqs_free(p->seqs);
	free(p->users);
	free(p->vec);
	free(p);
}
