/* show.c - summaries and one-node views of an interest graph
 * (igraph-show; see show.h). */
#include "show.h"
#include "error.h"
#include "halo.h"
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wid {
	double w;
	uint32_t id;
};

/* Heaviest first, ties by id. */
static int cmp_wid(const void *a, const void *b)
{
	const struct wid *x = a, *y = b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static const char *nm(const igr_vocabset *vs, int type, uint32_t id,
		      char *buf)
{
	const char *s;

	if (vs != NULL && (s = igr_vocab_name(vs->v[type], id)) != NULL &&
	    !igr_vocab_is_forgotten(vs->v[type], id))
		return s;
	snprintf(buf, 16, "%u", id);
	return buf;
}

static int put_num(igr_out *out, const char *m, const char *k, double v)
{
	char b[40];

	igr_fmt_double(b, v);
	return igr_out_printf(out, "%s\t%s\t%s\n", m, k, b);
}

/* The K heaviest of SUM[0..n) (positive ones only) as "metric id value". */
static int put_top(igr_out *out, const char *metric, int type,
		   const double *sum, uint32_t n, uint32_t k,
		   const igr_vocabset *vs)
{
	struct wid *a = malloc((n ? n : 1) * sizeof *a);
	uint32_t i, m = 0;
	int rc = 0;

	if (a == NULL)
		return igr_error("out of memory");
	for (i = 0; i < n; i++)
		if (sum[i] > 0) {
			a[m].w = sum[i];
			a[m++].id = i;
		}
	qsort(a, m, sizeof *a, cmp_wid);
	for (i = 0; i < m && i < k && rc == 0; i++) {
		char b[16];
		rc = put_num(out, metric, nm(vs, type, a[i].id, b), a[i].w);
	}
	free(a);
	return rc;
}

int igr_show_summary(const igr_graph *g, igr_out *out, uint32_t k,
		     const igr_vocabset *vs)
{
	double *sum;
	int s, d, t;

	if (igr_out_printf(out, "metric\tkey\tvalue\n") < 0)
		return -1;
	if (g->has_now) {
		char iso[64];
		igr_fmt_iso8601(iso, g->now);
		if (igr_out_printf(out, "now\t%s\t%lld\n", iso,
				   (long long)g->now) < 0)
			return -1;
	}
	if (put_num(out, "half_life", "seconds", g->half_life) < 0)
		return -1;
	for (t = 0; t < IGR_NNODE; t++)
		if (igr_out_printf(out, "nodes\t%s\t%u\n", igr_node_name(t),
				   g->n[t]) < 0)
			return -1;
	for (s = 0; s < IGR_NNODE; s++)
		for (d = 0; d < IGR_NNODE; d++) {
			const igr_csr *a = g->rel[s][d];
			char key[32];
			uint64_t srcs = 0, maxd = 0, i;
			double wsum = 0;
			float *w;
			uint32_t r;
			if (a == NULL)
				continue;
			snprintf(key, sizeof key, "%s-%s", igr_node_name(s),
				 igr_node_name(d));
			for (r = 0; r < a->nrows; r++) {
				uint64_t deg = igr_csr_degree(a, r);
				srcs += deg > 0;
				if (deg > maxd)
					maxd = deg;
			}
			w = malloc((a->nnz ? a->nnz : 1) * sizeof *w);
			if (w == NULL)
				return igr_error("out of memory");
			for (i = 0; i < a->nnz; i++) {
				w[i] = a->w[i];
				wsum += a->w[i];
			}
			qsort(w, a->nnz, sizeof *w, cmp_float);
			if (igr_out_printf(out, "edges\t%s\t%llu\n", key,
					   (unsigned long long)a->nnz) < 0 ||
			    igr_out_printf(out, "sources\t%s\t%llu\n", key,
					   (unsigned long long)srcs) < 0 ||
			    put_num(out, "degree_mean", key,
				    srcs ? (double)a->nnz / (double)srcs
					 : 0) < 0 ||
			    igr_out_printf(out, "degree_max\t%s\t%llu\n", key,
					   (unsigned long long)maxd) < 0 ||
			    put_num(out, "weight_sum", key, wsum) < 0 ||
			    (a->nnz > 0 &&
			     (put_num(out, "weight_min", key, w[0]) < 0 ||
			      put_num(out, "weight_p50", key,
				      w[a->nnz / 2]) < 0 ||
			      put_num(out, "weight_p90", key,
				      w[a->nnz * 9 / 10]) < 0 ||
			      put_num(out, "weight_max", key,
				      w[a->nnz - 1]) < 0))) {
				free(w);
				return -1;
			}
			free(w);
		}
	/* the heaviest nodes: users by what they give, items and
	 * categories by what users give them */
	for (t = 0; t < IGR_NNODE; t++) {
		const igr_csr *a = g->rel[IGR_USER][t == IGR_USER ? IGR_ITEM : t];
		uint32_t r;
		uint64_t i;
		int rc;
		if (a == NULL || g->n[t] == 0)
			continue;
		sum = calloc(g->n[t], sizeof *sum);
		if (sum == NULL)
			return igr_error("out of memory");
		for (r = 0; r < a->nrows; r++)
			for (i = a->ptr[r]; i < a->ptr[r + 1]; i++) {
				if (t == IGR_USER)
					sum[r] += a->w[i];
				else if (a->idx[i] < g->n[t])
					sum[a->idx[i]] += a->w[i];
			}
		rc = put_top(out,
			     t == IGR_USER	 ? "top_user"
			     : t == IGR_ITEM ? "top_item"
					     : "top_category",
			     t, sum, g->n[t], k, vs);
		free(sum);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- one node --------------------------------------------------------- */

/* A neighbour list: the K strongest of a CSR row (or, for incoming edges,
 * of a column). */
struct nb {
	uint32_t id;
	float w;
	uint32_t count;
	int64_t ts;
};

static int cmp_nb(const void *a, const void *b)
{
	const struct nb *x = a, *y = b;

	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Row S of A (outgoing) or, with IN, every row's edge to S; the K
 * strongest into *OUT (malloc'd).  Returns the count or -1. */
static long neighbours(const igr_csr *a, uint32_t s, int in, uint32_t k,
		       struct nb **out)
{
	struct nb *v;
	size_t n = 0, cap;
	uint64_t i;

	*out = NULL;
	if (a == NULL)
		return 0;
	if (!in) {
		uint64_t lo, hi;
		if (s >= a->nrows)
			return 0;
		lo = a->ptr[s];
		hi = a->ptr[s + 1];
		cap = (size_t)(hi - lo);
		v = malloc((cap ? cap : 1) * sizeof *v);
		if (v == NULL)
			return igr_error("out of memory");
		for (i = lo; i < hi; i++) {
			v[n].id = a->idx[i];
			v[n].w = a->w[i];
			v[n].count = a->count ? a->count[i] : 0;
			v[n].ts = a->last_ts ? a->last_ts[i] : 0;
			n++;
		}
	} else {
		uint32_t r;
		cap = 64;
		v = malloc(cap * sizeof *v);
		if (v == NULL)
			return igr_error("out of memory");
		for (r = 0; r < a->nrows; r++) {
			uint64_t lo = igr_csr_find(a, r, s);
			if (lo == IGR_NOPOS)
				continue;
			if (n == cap) {
				struct nb *p = realloc(v, 2 * cap * sizeof *v);
				if (p == NULL) {
					free(v);
					return igr_error("out of memory");
				}
				v = p;
				cap *= 2;
			}
			v[n].id = r;
			v[n].w = a->w[lo];
			v[n].count = a->count ? a->count[lo] : 0;
			v[n].ts = a->last_ts ? a->last_ts[lo] : 0;
			n++;
		}
	}
	qsort(v, n, sizeof *v, cmp_nb);
	if (n > k)
		n = k;
	*out = v;
	return (long)n;
}

static int put_tsv(igr_out *out, const char *rel, int type, const struct nb *v,
		   long n, const igr_vocabset *vs)
{
	long i;

	for (i = 0; i < n; i++) {
		char b[16], w[32];
		igr_fmt_float(w, v[i].w);
		if (igr_out_printf(out, "%s\t%s\t%s\t%u\t%lld\n", rel,
				   nm(vs, type, v[i].id, b), w, v[i].count,
				   (long long)v[i].ts) < 0)
			return -1;
	}
	return 0;
}

/* A DOT string literal: quotes and backslashes escaped. */
static int put_dot_str(igr_out *out, const char *s)
{
	if (igr_out_write(out, "\"", 1) < 0)
		return -1;
	for (; *s; s++) {
		if ((*s == '"' || *s == '\\') && igr_out_write(out, "\\", 1) < 0)
			return -1;
		if (igr_out_write(out, s, 1) < 0)
			return -1;
	}
	return igr_out_write(out, "\"", 1);
}

static const char *const prefix[IGR_NNODE] = { "u", "i", "c" };
static const char *const style[IGR_NNODE] = {
	"shape=doublecircle, style=filled, fillcolor=\"#f4a261\"",
	"shape=box, style=\"rounded,filled\", fillcolor=\"#a8dadc\"",
	"shape=ellipse, style=filled, fillcolor=\"#e9c46a\"",
};

static int dot_node(igr_out *out, int type, uint32_t id,
		    const igr_vocabset *vs)
{
	char b[16], label[IGR_VOCAB_MAXLEN + 32];

	snprintf(label, sizeof label, "%s %s", igr_node_name(type),
		 nm(vs, type, id, b));
	if (igr_out_printf(out, "  \"%s%u\" [%s, label=", prefix[type], id,
			   style[type]) < 0 ||
	    put_dot_str(out, label) < 0)
		return -1;
	return igr_out_printf(out, "];\n");
}

/* Edges from (ST, S) to the neighbours, pen width 1..6 by weight relative
 * to the strongest shown. */
static int dot_edges(igr_out *out, int st, uint32_t s, int dt,
		     const struct nb *v, long n, int in, const char *extra)
{
	long i;
	float wmax = 0;

	for (i = 0; i < n; i++)
		if (v[i].w > wmax)
			wmax = v[i].w;
	for (i = 0; i < n; i++) {
		char w[32];
		double pen = wmax > 0 ? 1 + 5 * v[i].w / wmax : 1;
		/* three digits are enough to read a picture */
		snprintf(w, sizeof w, "%.3g", (double)v[i].w);
		if (igr_out_printf(out,
				   "  \"%s%u\" -> \"%s%u\" [penwidth=%.2f, "
				   "label=\"%s\"%s];\n",
				   in ? prefix[dt] : prefix[st],
				   in ? v[i].id : s, in ? prefix[st] : prefix[dt],
				   in ? s : v[i].id, pen, w, extra) < 0)
			return -1;
	}
	return 0;
}

int igr_show_node(const igr_graph *g, int type, uint32_t id, uint32_t k,
		  int dot, igr_out *out, const igr_vocabset *vs)
{
	struct nb *v1 = NULL, *v2 = NULL, *v3 = NULL;
	long n1 = 0, n2 = 0, n3 = 0, i;
	int rc = -1;
	char b[16];

	if (type == IGR_CATEGORY)
		return igr_error("a category has no view of its own; show "
				 "one of its users or items");
	if (id >= g->n[type])
		return igr_error("%s %s is not in the graph",
				 igr_node_name(type), nm(vs, type, id, b));
	if (type == IGR_USER) {
		n1 = neighbours(g->rel[IGR_USER][IGR_ITEM], id, 0, k, &v1);
		n2 = neighbours(g->rel[IGR_USER][IGR_CATEGORY], id, 0, k, &v2);
	} else {
		n1 = neighbours(g->rel[IGR_ITEM][IGR_ITEM], id, 0, k, &v1);
		n2 = neighbours(g->rel[IGR_ITEM][IGR_CATEGORY], id, 0, k, &v2);
		n3 = neighbours(g->rel[IGR_USER][IGR_ITEM], id, 1, k, &v3);
	}
	if (n1 < 0 || n2 < 0 || n3 < 0)
		goto out;
	if (!dot) {
		if (igr_out_printf(out,
				   "relation\tnode\tweight\tcount\tlast_ts\n") <
			    0 ||
		    put_tsv(out, type == IGR_USER ? "user-item" : "item-item",
			    IGR_ITEM, v1, n1, vs) < 0 ||
		    put_tsv(out,
			    type == IGR_USER ? "user-category"
					     : "item-category",
			    IGR_CATEGORY, v2, n2, vs) < 0 ||
		    put_tsv(out, "user-item", IGR_USER, v3, n3, vs) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	{
		char title[IGR_VOCAB_MAXLEN + 128], iso[64];
		snprintf(title, sizeof title, "%s %s: %s", igr_node_name(type),
			 nm(vs, type, id, b),
			 type == IGR_USER ? "strongest items and interest "
					    "categories"
					  : "categories, co-engaged items and "
					    "users");
		if (g->has_now) {
			size_t l = strlen(title);
			igr_fmt_iso8601(iso, g->now);
			snprintf(title + l, sizeof title - l, " (weights at %s)",
				 iso);
		}
		if (igr_out_printf(out, "digraph interest {\n"
					"  graph [rankdir=LR, fontname="
					"Helvetica, labelloc=t, label=") < 0 ||
		    put_dot_str(out, title) < 0 ||
		    igr_out_printf(out,
				   "];\n  node [fontname=Helvetica, "
				   "fontsize=10];\n  edge [fontname=Helvetica,"
				   " fontsize=8, color=\"#457b9d\"];\n") < 0 ||
		    dot_node(out, type, id, vs) < 0)
			goto out;
	}
	for (i = 0; i < n1; i++)
		if (dot_node(out, IGR_ITEM, v1[i].id, vs) < 0)
			goto out;
	for (i = 0; i < n2; i++)
		if (dot_node(out, IGR_CATEGORY, v2[i].id, vs) < 0)
			goto out;
	for (i = 0; i < n3; i++)
		if (dot_node(out, IGR_USER, v3[i].id, vs) < 0)
			goto out;
	if (dot_edges(out, type, id, IGR_ITEM, v1, n1, 0, "") < 0 ||
	    dot_edges(out, type, id, IGR_CATEGORY, v2, n2, 0,
		      ", color=\"#e76f51\"") < 0 ||
	    dot_edges(out, IGR_ITEM, id, IGR_USER, v3, n3, 1, "") < 0)
		goto out;
	if (type == IGR_USER && g->rel[IGR_ITEM][IGR_CATEGORY] != NULL) {
		/* each shown item's category, where it is shown too */
		const igr_csr *ic = g->rel[IGR_ITEM][IGR_CATEGORY];
		for (i = 0; i < n1; i++) {
			uint32_t it = v1[i].id;
			uint64_t e;
			long j;
			if (it >= ic->nrows)
				continue;
			for (e = ic->ptr[it]; e < ic->ptr[it + 1]; e++)
				for (j = 0; j < n2; j++)
					if (v2[j].id == ic->idx[e] &&
					    igr_out_printf(
						    out,
						    "  \"i%u\" -> \"c%u\" "
						    "[style=dashed, color=gray, "
						    "arrowhead=none];\n",
						    it, ic->idx[e]) < 0)
						goto out;
		}
	}
	rc = igr_out_printf(out, "}\n");
out:
	free(v1);
	free(v2);
	free(v3);
	return rc;
}

int igr_show_halo(const igr_graph *g, const uint32_t *nparts, size_t n,
		  igr_out *out)
{
	igr_halo *h;
	uint32_t most = 1;
	size_t j;
	int r, rc = 0;

	for (j = 0; j < n; j++)
		most = nparts[j] > most ? nparts[j] : most;
	if (most > IGR_HALO_MAXPARTS)
		return igr_error("%u parts: not in 1 .. %d", most,
				 IGR_HALO_MAXPARTS);
	if ((h = malloc(most * sizeof *h)) == NULL)
		return igr_error("out of memory");
	if (igr_out_printf(out, "ranks\trank\tusers\tedges\titems\tremote\t"
				"owned\tserved\n") < 0)
		rc = -1;
	for (j = 0; j < n && rc == 0; j++) {
		if (igr_halo_count(g, (int)nparts[j], h) < 0) {
			rc = -1;
			break;
		}
		for (r = 0; r < (int)nparts[j] && rc == 0; r++)
			rc = igr_out_printf(out,
					    "%u\t%d\t%llu\t%llu\t%llu\t%llu\t"
					    "%llu\t%llu\n", nparts[j], r,
					    (unsigned long long)h[r].users,
					    (unsigned long long)h[r].edges,
					    (unsigned long long)h[r].items,
					    (unsigned long long)h[r].remote,
					    (unsigned long long)h[r].owned,
					    (unsigned long long)h[r].served);
	}
	free(h);
	return rc;
}
