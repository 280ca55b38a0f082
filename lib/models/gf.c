/*
 * gf.c - the graph filter model (igraph-train --model gf): closed form, no
 * training loop; its settings are chosen on a holdout of the user's own
 * edges (the tuner, at the end of this file).
 *
 * R is the user x item matrix (r_ui = edge weight ^ weight_power; power 0,
 * the default, is the binary pattern of the papers).  With Du, Di its row
 * and column sums:
 *
 *   R~ = Du^-1/2 R Di^-1/2,   P = R~^T R~   (normalised item-item Gram)
 *
 * A graph filter scores a user's row x by x f(P) for a response f over
 * P's spectrum [0, 1] (1: the smoothest signals).  Two families:
 *
 * - bspm: GF-CF (Shen et al., CIKM 2021, eq. 9-10) is f(l) = l plus an
 *   "ideal low-pass" term beta x Di^-1/2 V V^T Di^1/2, V the top-k right
 *   singular vectors of R~.  BSPM (Choi et al., SIGIR 2023, sec. 4,
 *   "final sharpening") then sharpens both by the heat equation run
 *   backwards, dy/dt = -y P, for time T: one order-n Runge-Kutta step on
 *   this linear ODE multiplies by the Taylor polynomial p(TP),
 *   p(z) = sum_{j<=n} (-z)^j / j!, so f(l) = l p(Tl) and the ideal term
 *   becomes beta (x Di^-1/2 V) (p(TP) Di^1/2 V)^T.  T = 0 is GF-CF.
 * - cheby: ChebyCF (Kim et al., SIGIR 2025): f interpolates a "plateau"
 *   low-pass response at the degree+1 Chebyshev nodes of the normalised
 *   Laplacian's spectrum (L~ = I - 2P, eigenvalues in [-1, 1]):
 *   target(x) = 1/2 + |x|^phi / 2 for x < 0 and 1/2 - x^phi / 2 for
 *   x >= 0 (phi the flatness), plus the ideal term beta V V^T, the whole
 *   filter between item degree scalings Di^-norm (before) and Di^norm
 *   (after) (their "DegreeNorm", norm 0.4 on Gowalla).
 *
 * The item degree scaling (Turbo-CF, Park et al., SIGIR 2024, shows what
 * asymmetric normalisation does) is available to both families: --norm.
 *
 * How it is computed without the items x items matrix P (6.7 GB on
 * Gowalla): write f(l) = c0 + c1 l + c2 l^2 + g(l).  The first three
 * terms are applied exactly through the sparse graph (x P: two sparse
 * products; x P^2: two more), g(P) in V's span as V g(Lambda) V^T with
 * Lambda = sigma^2.  What is dropped is g on the spectrum below
 * sigma_{k+1}^2, where g(l) = O(l^3).  The identity term c0 x touches
 * only the user's own items.
 *
 * Scores of a block of B users, x~ = x Di^-norm:
 *
 *   s = Di^norm (c1 x~ P + c2 x~ P^2 + (x~ V h) V^T) + c0 x
 *       + (x Di^-1/2 V) M^T                                 (bspm, beta > 0)
 *
 * with h = g(Lambda) (+ beta for cheby), M = beta p(TP) Di^1/2 V stored at
 * training.  The sparse parts are sparse-times-dense products with B
 * columns and the low-rank parts two sgemm calls (B x k times k x items):
 * a block of users runs at the BLAS rate, not one Gram row at a time.
 *
 * Model arrays: item_vm (items x w: V, then M when w = 2k), lambda and h
 * (k), coef (c0 .. cE, E the exact powers), item_pre and item_post (the degree scalings,
 * only when norm is not 0), item_dinv (Di^-1/2 of the ideal term, only
 * when w = 2k).  Files from igraph 1.1 (p2 instead of coef) still load.
 *
 * The pruned sparse part (--sparse-nbrs N, the default where the exact
 * terms would cost too much to serve: users x edges over 1e12): E = 1,
 * and x~ P through P's N largest entries of each item's row, computed at
 * training as item-kNN computes its lists (cooc.h: P = R~^T R~ is the
 * co-occurrence of R~'s columns).  A user's sparse part then costs their
 * items x N, as item-kNN's accumulation does, and the model is a hybrid
 * (the hybrid op of model.h): the spectral form's dot product, which an
 * index serves, plus that sparse part, with c1, Di^-norm and Di^norm
 * folded into the stored values.  The tuner scores its settings with the
 * P of its own training graph (every user's held-out fifth removed, so
 * nothing leaks), and the final model computes P again from every edge
 * (keeping the tuner's cost Gowalla 4% of recall@20: 0.1861 against
 * 0.1935).  P stays that of training until the next retrain (item-kNN's
 * lists do the same).
 *
 * Dynamic update: prepare() takes the sparse parts from the CURRENT graph,
 * so new users and new edges score at once; V, M and the degree scalings
 * stay those of training until the next retrain.
 *
 * Several ranks (par.h, igraph-train(1)): every rank makes the whole R~
 * and computes the rows of a range of users and of a range of items
 * (struct gf_rows) of the SVD's products (svd.h, split) and of the ideal
 * term's P X, gathered whole; the tuner scores its held-out users by
 * range and gathers their figures, so every rank makes the same choices
 * as one rank would.  Nothing is summed across ranks in another order:
 * the model is the serial one (one thread a rank) to the bit.
 */
#include "gf.h"
#include "ann.h"
#include "cooc.h"
#include "embed.h"
#include "error.h"
#include "clock.h"
#include "learn.h"
#include "mem.h"
#include "model.h"
#include "par.h"
#include "serve.h"
#include "sparse.h"
#include "svd.h"
#include "train.h"
#include "topk.h"
#include "tune.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- responses ------------------------------------------------------ */

/* p(z) coefficient of z^j: (-1)^j / j! */
static double taylor_coef(uint32_t j)
{
	double c = 1;
	uint32_t i;

	for (i = 1; i <= j; i++)
		c *= -1.0 / i;
	return c;
}

/* ChebyCF's plateau target at x in [-1, 1] (rounded to 3 decimals as
 * their code does, so the same degree and flatness give their filter) */
static double plateau(double x, double phi)
{
	double y;

	x = round(x * 1000) / 1000;
	y = x < 0 ? 0.5 + 0.5 * pow(-x, phi) : 0.5 - 0.5 * pow(x, phi);
	return round(y * 1000) / 1000;
}

int igr_gf_response(const igr_gf_spec *s, double *a)
{
	uint32_t j, k, n;

	memset(a, 0, (IGR_GF_MAXDEG + 1) * sizeof *a);
	if (s->filter == IGR_GF_CHEBY) {
		/* c_k = 2/(K+1) sum_n target_n T_k(node_n), c_0 halved; the
		 * targets at the Chebyshev extrema cos((K - n) pi / K), the
		 * nodes cos((K + 1/2 - n) pi / (K + 1)), n = 0 .. K (as the
		 * ChebyCF code pairs them); then T_k(1 - 2l) expanded in
		 * powers of l */
		double c[IGR_GF_MAXDEG + 1], t[IGR_GF_MAXDEG + 1][IGR_GF_MAXDEG + 1];
		uint32_t K = s->degree;

		if (K < 1 || K > IGR_GF_MAXDEG)
			return igr_error("gf: --degree %u outside 1 .. %d", K,
					 IGR_GF_MAXDEG);
		for (k = 0; k <= K; k++) {
			double sum = 0;

			for (n = 0; n <= K; n++) {
				double x = cos((K + 0.5 - n) / (K + 1) * M_PI);
				double t0 = 1, t1 = x, tk = k == 0 ? 1 : x;

				for (j = 2; j <= k; j++) {
					tk = 2 * x * t1 - t0;
					t0 = t1;
					t1 = tk;
				}
				sum += plateau(cos((double)(K - n) / K * M_PI),
					       s->flatness) * tk;
			}
			c[k] = sum * 2 / (K + 1);
		}
		c[0] /= 2;
		memset(t, 0, sizeof t);
		t[0][0] = 1;
		t[1][0] = 1;
		t[1][1] = -2;
		for (k = 2; k <= K; k++)
			for (j = 0; j <= k; j++)
				t[k][j] = 2 * t[k - 1][j] -
					  (j > 0 ? 4 * t[k - 1][j - 1] : 0) -
					  t[k - 2][j];
		for (k = 0; k <= K; k++)
			for (j = 0; j <= K; j++)
				a[j] += c[k] * t[k][j];
		return 0;
	}
	/* bspm: f(l) = l p(T l) */
	a[1] = 1;
	if (s->sharpen > 0 && s->order > 0) {
		if (s->order + 1 > IGR_GF_MAXDEG)
			return igr_error("gf: --order %u above %d", s->order,
					 IGR_GF_MAXDEG - 1);
		for (j = 0; j <= s->order; j++)
			a[j + 1] = taylor_coef(j) * pow(s->sharpen, j);
	}
	return 0;
}

/* sum_j A[j] l^j, j = 0 .. D */
static double poly(const double *a, uint32_t d, double l)
{
	double y = 0;
	uint32_t j;

	for (j = d + 1; j-- > 0;)
		y = y * l + a[j];
	return y;
}

/* E[0..D]: the least-squares polynomial of degree D to the response A on
 * [0, L] (256 even points; normal equations in the scaled variable l/L,
 * solved by Gaussian elimination with partial pivoting).  0 or -1. */
static int fit_poly(const double *a, double L, uint32_t d, double *e)
{
	double m[IGR_GF_MAXEXACT + 1][IGR_GF_MAXEXACT + 2];
	uint32_t n = d + 1, p, i, j, q;

	if (!(L > 0))
		return -1;
	memset(m, 0, sizeof m);
	for (p = 0; p < 256; p++) {
		double t = p / 255.0, y = poly(a, IGR_GF_MAXDEG, t * L);
		double tp[IGR_GF_MAXEXACT + 1];

		tp[0] = 1;
		for (i = 1; i < n; i++)
			tp[i] = tp[i - 1] * t;
		for (i = 0; i < n; i++) {
			for (j = 0; j < n; j++)
				m[i][j] += tp[i] * tp[j];
			m[i][n] += tp[i] * y;
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t piv = i;

		for (q = i + 1; q < n; q++)
			if (fabs(m[q][i]) > fabs(m[piv][i]))
				piv = q;
		if (fabs(m[piv][i]) < 1e-300)
			return -1;
		for (j = 0; j <= n; j++) {
			double t = m[i][j];

			m[i][j] = m[piv][j];
			m[piv][j] = t;
		}
		for (q = 0; q < n; q++) {
			double r = m[q][i] / m[i][i];

			if (q == i)
				continue;
			for (j = i; j <= n; j++)
				m[q][j] -= r * m[i][j];
		}
	}
	/* back from t = l / L */
	for (i = 0; i < n; i++)
		e[i] = m[i][n] / m[i][i] / pow(L, i);
	return 0;
}

/* ---- the item side ---------------------------------------------------- */

/* R~ for a fit on the ranks of a parallel run (par.h): every rank
 * makes the whole R~ as one rank would (the same column sums Di) and
 * keeps the users of a range balanced by edge count and the items of an
 * even range (both cut at the SVD's block boundaries, svd.h); a product
 * over users (the SVD's, the sharpened ideal term's P X) is computed by
 * the ranks owning its rows and gathered, so every value is the one-rank
 * value to the bit.  On one rank RN is the whole R~, as
 * igr_csr_sym_norm() gives it. */
struct gf_rows {
	igr_csr *rn, *rnt;    /* this rank's user rows of R~, item rows of
				 R~^T (all of them on one rank) */
	igr_csr *all, *allt;  /* the whole R~ for scoring (WHOLE), or NULL;
				 on one rank RN itself */
	int split;            /* several ranks */
	size_t *ub, *ib;      /* split: every rank's user and item rows */
	uint32_t nu;          /* users of the whole R~ */
};

static void gf_rows_free(struct gf_rows *p)
{
	if (p->all != p->rn) {
		igr_csr_free(p->all);
		igr_csr_free(p->allt);
	}
	igr_csr_free(p->rn);
	igr_csr_free(p->rnt);
	free(p->ub);
	free(p->ib);
	memset(p, 0, sizeof *p);
}

/* W = P X = R~^T (R~ X) for the items x K block X; TMP is users x K (the
 * whole R~'s users); W may be X (X is read into TMP first).  Split: each
 * rank its users' rows of TMP, gathered, then its items' rows of W,
 * gathered.  0 or -1. */
static int gram_apply(const struct gf_rows *p, const float *x, size_t k,
		      float *tmp, float *w)
{
	int me = igr_par_rank();

	if (!p->split) {
		igr_spmm(p->rn, x, k, 1, 0, tmp);
		igr_spmm(p->rnt, tmp, k, 1, 0, w);
		return 0;
	}
	igr_spmm(p->rn, x, k, 1, 0, tmp + p->ub[me] * k);
	if (igr_par_allgather_f32(tmp, p->ub, k) < 0)
		return -1;
	igr_spmm(p->rnt, tmp, k, 1, 0, w + p->ib[me] * k);
	return igr_par_allgather_f32(w, p->ib, k);
}

/* R~ of R into P, the column sums into DC (ncols); WHOLE: the whole R~
 * too.  One rank: igr_csr_sym_norm().  0 or -1. */
static int gf_rows_make(const igr_csr *r, double *dc, int whole,
			struct gf_rows *p)
{
	size_t lo, hi;
	igr_csr *all = NULL, *allt = NULL;
	uint64_t *lohi = NULL;
	int ret = -1, n, me, x;

	memset(p, 0, sizeof *p);
	p->nu = r->nrows;
	if (igr_par_size() == 1) {
		if (igr_csr_sym_norm(r, &p->rn, &p->rnt, dc) < 0)
			return -1;
		p->all = whole ? p->rn : NULL;
		p->allt = whole ? p->rnt : NULL;
		return 0;
	}
	p->split = 1;
	n = igr_par_size();
	me = igr_par_rank();
	p->ub = calloc((size_t)n + 1, sizeof *p->ub);
	p->ib = calloc((size_t)n + 1, sizeof *p->ib);
	lohi = calloc((size_t)n, sizeof *lohi);
	if (p->ub == NULL || p->ib == NULL || lohi == NULL) {
		igr_error("out of memory");
		goto out;
	}
	if (igr_csr_sym_norm(r, &all, &allt, dc) < 0 ||
	    igr_serve_range(r, NULL, r->nrows, &lo, &hi) < 0)
		goto out;
	/* every rank's first user, cut at a block boundary */
	lohi[me] = igr_svd_cut(r->nrows, lo);
	if (igr_par_sum_u64(lohi, (size_t)n) < 0)
		goto out;
	for (x = 0; x < n; x++) {
		uint64_t ilo, ihi;
		p->ub[x] = x == 0 ? 0 : lohi[x];
		igr_svd_item_range(r->ncols, x, n, &ilo, &ihi);
		p->ib[x + 1] = ihi;
	}
	p->ub[n] = r->nrows;
	p->rn = igr_csr_scaled_rows(all, (uint32_t)p->ub[me],
				    (uint32_t)p->ub[me + 1], NULL, NULL, 1);
	p->rnt = p->rn ? igr_csr_scaled_rows(allt, (uint32_t)p->ib[me],
					     (uint32_t)p->ib[me + 1], NULL,
					     NULL, 1)
		       : NULL;
	if (p->rn == NULL || p->rnt == NULL)
		goto out;
	if (whole) {
		p->all = all;
		p->allt = allt;
		all = allt = NULL;
	}
	ret = 0;
out:
	if (ret < 0)
		gf_rows_free(p);
	igr_csr_free(all);
	igr_csr_free(allt);
	free(lohi);
	return ret;
}

void igr_gf_side_free(igr_gf_side *f)
{
	free(f->vm);
	free(f->lambda);
	free(f->h);
	free(f->pre);
	free(f->post);
	free(f->dinv);
	memset(f, 0, sizeof *f);
}

/* The spectral form (no sparse terms) as a dot product: with Di^norm
 * after the filter folded into the item rows, V' = Di^norm V, the score
 * Di^norm (x~ V h V^T) + (x Di^-1/2 V) M^T is u . [V'_i, M_i] with u =
 * [x Di^-2norm V' h, x Di^-1/2-norm V'] (user_coords with pre = Di^-norm
 * / Di^norm and dinv = Di^-1/2 / Di^norm).  So the item rows are the
 * model's item vectors, the embedding path (and an index) serves it, and
 * scoring through igr_gf_score gives the same.  0. */
static int spectral_fold(igr_gf_side *f)
{
	size_t i, c;

	if ((f->nexact != 0 && f->psim == NULL) || f->post == NULL)
		return 0;
	for (i = 0; i < f->ni; i++) {
		float p = f->post[i], inv = p > 0 ? 1.0f / p : 0;

		for (c = 0; c < f->k; c++)
			f->vm[i * f->w + c] *= p;
		f->pre[i] *= inv;
		if (f->dinv != NULL)
			f->dinv[i] *= inv;
	}
	free(f->post);
	f->post = NULL;
	return 0;
}

/* igr_gf_side_build() with R~ in P, split or not (gram_apply) */
static int side_build(igr_gf_side *f, const igr_gf_spec *s,
		      const struct gf_rows *p, const double *dc,
		      const float *sv, const float *v, uint32_t kv)
{
	double a[IGR_GF_MAXDEG + 1], e[IGR_GF_MAXEXACT + 1];
	uint32_t ni = p->rn->ncols, k = s->rank < kv ? s->rank : kv, w, c, j;
	int two = s->filter == IGR_GF_BSPM && s->beta > 0;
	float *z = NULL, *acc = NULL, *tmp = NULL;
	size_t i;

	memset(f, 0, sizeof *f);
	if (igr_gf_response(s, a) < 0)
		return -1;
	w = two ? 2 * k : k;
	f->k = k;
	f->w = w;
	f->ni = ni;
	f->nexact = s->exact > IGR_GF_MAXEXACT ? IGR_GF_MAXEXACT : s->exact;
	f->vm = igr_alloc_large((size_t)ni * w, sizeof *f->vm);
	f->lambda = malloc(((size_t)k + 1) * sizeof *f->lambda);
	f->h = malloc(((size_t)k + 1) * sizeof *f->h);
	if (!f->vm || !f->lambda || !f->h)
		goto oom;
	/* the sparse terms: f's least-squares polynomial of degree E on the
	 * spectrum left outside V's span, [0, sigma_k^2] (Taylor's
	 * coefficients at 0 when s->taylor); the span gets f less it */
	/* (Taylor's also when the span leaves no spectrum outside it:
	 * sigma_k^2 about 0, nothing to fit) */
	if (f->nexact == 0) {
		/* the spectral form: f in V's span only, no identity term */
		e[0] = 0;
	} else if (s->taylor || k == 0 ||
		   (double)sv[k - 1] * sv[k - 1] < 1e-6) {
		for (j = 0; j <= f->nexact; j++)
			e[j] = a[j];
	} else if (fit_poly(a, (double)sv[k - 1] * sv[k - 1], f->nexact, e) < 0) {
		igr_gf_side_free(f);
		return igr_error("gf: the sparse terms' fit failed");
	}
	for (j = 0; j <= f->nexact; j++)
		f->coef[j] = (float)e[j];
	for (c = 0; c < k; c++) {
		double l = (double)sv[c] * sv[c];

		f->lambda[c] = (float)l;
		f->h[c] = (float)(poly(a, IGR_GF_MAXDEG, l) -
				  poly(e, f->nexact, l) +
				  (s->filter == IGR_GF_CHEBY ? s->beta : 0));
	}
	for (i = 0; i < ni; i++)
		memcpy(f->vm + i * w, v + i * kv, k * sizeof *f->vm);
	if (s->norm != 0) {
		f->pre = malloc(((size_t)ni + 1) * sizeof *f->pre);
		f->post = malloc(((size_t)ni + 1) * sizeof *f->post);
		if (!f->pre || !f->post)
			goto oom;
		for (i = 0; i < ni; i++) {
			f->pre[i] = dc[i] > 0 ? (float)pow(dc[i], -s->norm) : 0;
			f->post[i] = dc[i] > 0 ? (float)pow(dc[i], s->norm) : 0;
		}
	}
	if (!two)
		return spectral_fold(f);
	/* M = beta p(TP) Di^1/2 V by Horner: acc = c_n Z; acc = P acc + c_j
	 * Z, with Z = Di^1/2 V */
	f->dinv = malloc(((size_t)ni + 1) * sizeof *f->dinv);
	z = igr_alloc_large((size_t)ni * k, sizeof *z);
	acc = igr_alloc_large((size_t)ni * k, sizeof *acc);
	tmp = igr_alloc_large((size_t)p->nu * k, sizeof *tmp);
	if (!f->dinv || !z || !acc || !tmp)
		goto oom;
	for (i = 0; i < ni; i++) {
		float d = dc[i] > 0 ? (float)sqrt(dc[i]) : 0;

		f->dinv[i] = dc[i] > 0 ? 1.0f / d : 0;
		for (c = 0; c < k; c++)
			z[i * k + c] = d * v[i * kv + c];
	}
	if (s->sharpen > 0 && s->order > 0) {
		double t = s->sharpen;

		for (i = 0; i < (size_t)ni * k; i++)
			acc[i] = (float)(taylor_coef(s->order) *
					 pow(t, s->order)) * z[i];
		for (j = s->order; j-- > 0;) {
			float cj = (float)(taylor_coef(j) * pow(t, j));

			/* acc = P acc in place: R~ acc into TMP first */
			if (gram_apply(p, acc, k, tmp, acc) < 0)
				goto fail;
			for (i = 0; i < (size_t)ni * k; i++)
				acc[i] += cj * z[i];
		}
	} else {
		memcpy(acc, z, (size_t)ni * k * sizeof *acc);
	}
	for (i = 0; i < ni; i++)
		for (c = 0; c < k; c++)
			f->vm[i * w + k + c] = (float)s->beta * acc[i * k + c];
	free(z);
	free(acc);
	free(tmp);
	return spectral_fold(f);
oom:
	igr_error("out of memory");
fail:
	free(z);
	free(acc);
	free(tmp);
	igr_gf_side_free(f);
	return -1;
}

int igr_gf_side_build(igr_gf_side *f, const igr_gf_spec *s,
		      const igr_csr *rn, const igr_csr *rnt, const double *dc,
		      const float *sv, const float *v, uint32_t kv)
{
	struct gf_rows p;

	memset(&p, 0, sizeof p);
	p.rn = (igr_csr *)rn;
	p.rnt = (igr_csr *)rnt;
	p.nu = rn->nrows;
	return side_build(f, s, &p, dc, sv, v, kv);
}

/* ---- scoring ---------------------------------------------------------- */

struct igr_gf_ws {
	size_t cap;           /* users the buffers hold */
	float *u, *y, *y2, *acc, *a;
};

igr_gf_ws *igr_gf_ws_new(void)
{
	igr_gf_ws *ws = calloc(1, sizeof *ws);

	if (ws == NULL)
		igr_error("out of memory");
	return ws;
}

void igr_gf_ws_free(igr_gf_ws *ws)
{
	if (ws == NULL)
		return;
	free(ws->u);
	free(ws->y);
	free(ws->y2);
	free(ws->acc);
	free(ws->a);
	free(ws);
}

static int graph_terms(const igr_gf_side *f);

static int ws_reserve(igr_gf_ws *ws, const igr_gf_scorer *sc, size_t nu)
{
	size_t nus = sc->r->nrows, nir = sc->r->ncols;

	int sparse = graph_terms(&sc->side);

	if (ws->cap >= nu && (ws->u != NULL || !sparse))
		return 0;
	free(ws->u);
	free(ws->y);
	free(ws->y2);
	free(ws->acc);
	free(ws->a);
	ws->u = ws->y = ws->y2 = ws->acc = NULL;
	if (sparse) {
		/* the sparse terms' blocks (none for the spectral form) */
		ws->u = igr_alloc_large(nus * nu, sizeof *ws->u);
		ws->y = igr_alloc_large(nir * nu, sizeof *ws->y);
		ws->y2 = igr_alloc_large(nir * nu, sizeof *ws->y2);
		ws->acc = igr_alloc_large(nir * nu, sizeof *ws->acc);
	}
	ws->a = malloc((nu * 2 * (size_t)sc->side.k + 1) * sizeof *ws->a);
	if ((sparse && (!ws->u || !ws->y || !ws->y2 || !ws->acc)) || !ws->a) {
		ws->cap = 0;
		return igr_error("out of memory");
	}
	ws->cap = nu;
	return 0;
}

uint32_t igr_gf_block(const igr_gf_scorer *sc)
{
	/* about 256 MB of working arrays a block */
	size_t per = ((graph_terms(&sc->side)
		       ? (size_t)sc->r->nrows + (size_t)sc->r->ncols * 3 : 0) +
		      (size_t)sc->ni * 2) * sizeof(float);
	size_t b = ((size_t)256 << 20) / (per ? per : 1);

	/* whole 64-column blocks for the SpMM kernel */
	if (b >= 64)
		b -= b % 64;
	return b < 8 ? 8 : b > 512 ? 512 : (uint32_t)b;
}

/* 1 if the filter has sparse terms c_j x~ P^j, j >= 1 */
static int exact_terms(const igr_gf_side *f)
{
	uint32_t j;

	for (j = 1; j <= f->nexact; j++)
		if (f->coef[j] != 0)
			return 1;
	return 0;
}

/* 1 if those terms go through the graph (not through a pruned P) */
static int graph_terms(const igr_gf_side *f)
{
	return f->psim == NULL && exact_terms(f);
}

/* Y = A X + B Y over N floats, in parallel */
static void axpby(float a, const float *x, float b, float *y, size_t n)
{
	int64_t i;

#pragma omp parallel for schedule(static)
	for (i = 0; i < (int64_t)n; i++)
		y[i] = a * x[i] + (b != 0 ? b * y[i] : 0);
}

/* OUT[b][i] = A IN[i][b] (+ IN2[i][b] when IN2 is not NULL) for the NR x
 * NC matrices IN, IN2 (OUT's rows LDO long), in 32 x 32 tiles */
static void transpose_sum(const float *in, float a, const float *in2,
			  size_t nr, size_t nc, float *out, size_t ldo)
{
	int64_t t;
	size_t nt = (nr + 31) / 32;

#pragma omp parallel for schedule(static)
	for (t = 0; t < (int64_t)nt; t++) {
		size_t i0 = (size_t)t * 32, i1 = i0 + 32 < nr ? i0 + 32 : nr;
		size_t b0, i, b;

		for (b0 = 0; b0 < nc; b0 += 32) {
			size_t b1 = b0 + 32 < nc ? b0 + 32 : nc;

			for (b = b0; b < b1; b++)
				for (i = i0; i < i1; i++)
					out[b * ldo + i] =
						a * in[i * nc + b] +
						(in2 ? in2[i * nc + b] : 0);
		}
	}
}

/* OUT[b][i] = IN[i][b] for the NR x NC matrix IN (OUT's rows LDO long),
 * in 32 x 32 tiles */
static void transpose_into(const float *in, size_t nr, size_t nc, float *out,
			   size_t ldo)
{
	int64_t t;
	size_t nt = (nr + 31) / 32;

#pragma omp parallel for schedule(static)
	for (t = 0; t < (int64_t)nt; t++) {
		size_t i0 = (size_t)t * 32, i1 = i0 + 32 < nr ? i0 + 32 : nr;
		size_t b0, i, b;

		for (b0 = 0; b0 < nc; b0 += 32) {
			size_t b1 = b0 + 32 < nc ? b0 + 32 : nc;

			for (b = b0; b < b1; b++)
				for (i = i0; i < i1; i++)
					out[b * ldo + i] = in[i * nc + b];
		}
	}
}

/* pre/post scaling of item I (items beyond the trained ones: 1) */
static float pre_of(const igr_gf_side *f, uint32_t i)
{
	return f->pre == NULL || i >= f->ni ? 1.0f : f->pre[i];
}

/* A[k] = sum over user U's edges (item i, weight x) of x SCALE[i] V[i]
 * (SCALE NULL: 1), V the first k columns of the item side, times H[c]
 * when H is not NULL: the user's coordinates in the low-rank basis. */
static void user_coords(const igr_gf_side *f, const igr_csr *r, uint32_t u,
			const float *scale, const float *h, float *a)
{
	uint64_t e;
	size_t c, k = f->k;

	memset(a, 0, k * sizeof *a);
	if (u >= r->nrows)
		return;
	for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
		uint32_t i = r->idx[e];
		const float *row = f->vm + (size_t)i * f->w;
		float x;

		if (i >= f->ni)
			continue;
		x = r->w[e] * (scale ? scale[i] : 1.0f);
		for (c = 0; c < k; c++)
			a[c] += x * row[c];
	}
	if (h != NULL)
		for (c = 0; c < k; c++)
			a[c] *= h[c];
}

/* The sparse terms of NU users: Y_j = x~ P^j, j = 1 .. E (E =
 * sc->side.nexact).  With FULL: sum_j c_j Y_j into FULL's rows (LD
 * long); else each Y_j into the rows of OUT[j - 1] (LD long). */
static void sparse_terms(const igr_gf_scorer *sc, igr_gf_ws *ws,
			 const uint32_t *users, size_t nu, float *full,
			 float *const *out, size_t ld)
{
	const igr_gf_side *f = &sc->side;
	const igr_csr *r = sc->r;
	size_t nir = r->ncols, nus = r->nrows;
	float *cur = ws->y, *nxt = ws->y2;
	uint32_t j;
	int64_t b;

	/* U = R~ x~^T (users x B), sparse: one scatter per edge of x */
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nus; b++)
		memset(ws->u + (size_t)b * nu, 0, nu * sizeof *ws->u);
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nu; b++) {
		uint32_t u = users[b];
		uint64_t e, q;

		if (u >= r->nrows)
			continue;
		for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
			uint32_t i = r->idx[e];
			float x = r->w[e] * pre_of(f, i);

			for (q = sc->rnt->ptr[i]; q < sc->rnt->ptr[i + 1]; q++)
				ws->u[(size_t)sc->rnt->idx[q] * nu + b] +=
					x * sc->rnt->w[q];
		}
	}
	/* Y_1 = R~^T U = x~ P; Y_j = Y_{j-1} P (items x B) */
	igr_spmm(sc->rnt, ws->u, nu, 1, 0, cur);
	if (full != NULL && f->nexact <= 2) {
		/* c1 Y_1 + c2 Y_2 summed in the transpose: no extra passes */
		if (f->nexact == 2 && f->coef[2] != 0) {
			igr_spmm(sc->rn, cur, nu, 1, 0, ws->u);
			igr_spmm(sc->rnt, ws->u, nu, f->coef[2], 0, nxt);
		}
		transpose_sum(cur, f->coef[1],
			      f->nexact == 2 && f->coef[2] != 0 ? nxt : NULL,
			      nir, nu, full, ld);
		return;
	}
	if (full != NULL)
		axpby(f->coef[1], cur, 0, ws->acc, nir * nu);
	else
		transpose_into(cur, nir, nu, out[0], ld);
	for (j = 2; j <= f->nexact; j++) {
		float *t;

		igr_spmm(sc->rn, cur, nu, 1, 0, ws->u);
		igr_spmm(sc->rnt, ws->u, nu, 1, 0, nxt);
		if (full == NULL)
			transpose_into(nxt, nir, nu, out[j - 1], ld);
		else if (f->coef[j] != 0)
			axpby(f->coef[j], nxt, 1, ws->acc, nir * nu);
		t = cur;
		cur = nxt;
		nxt = t;
	}
	if (full != NULL)
		transpose_into(ws->acc, nir, nu, full, ld);
}

/* FULL's rows (LD long, zero) = the pruned sparse part of NU users:
 * sum over the user's items i (weight x) of x c1 pre_i P_ij into item j
 * (PFOLD: x psim_ij, c1 and the scalings already in it). */
static void pruned_terms(const igr_gf_scorer *sc, const uint32_t *users,
			 size_t nu, float *full, size_t ld)
{
	const igr_gf_side *f = &sc->side;
	const igr_csr *r = sc->r;
	int64_t b;

#pragma omp parallel for schedule(dynamic, 4)
	for (b = 0; b < (int64_t)nu; b++) {
		float *row = full + (size_t)b * ld;
		uint32_t u = users[b];
		uint64_t e, q;

		if (u >= r->nrows)
			continue;
		for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
			uint32_t i = r->idx[e];
			float x = r->w[e];

			if (i >= f->ni)
				continue;
			if (!f->pfold)
				x *= f->coef[1] * pre_of(f, i);
			for (q = f->pptr[i]; q < f->pptr[i + 1]; q++)
				row[f->pnbr[q]] += x * f->psim[q];
		}
	}
}

/* FULL (sparse terms in place) += the low-rank parts, Di^norm, c0 x. */
static void lowrank_terms(const igr_gf_scorer *sc, igr_gf_ws *ws,
			  const uint32_t *users, size_t nu, float *full)
{
	const igr_gf_side *f = &sc->side;
	const igr_csr *r = sc->r;
	size_t n = sc->ni, k = f->k;
	int64_t b;

	/* low-rank part of the filter: (x~ V h) V^T */
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nu; b++)
		user_coords(f, r, users[b], f->pre, f->h, ws->a + (size_t)b * k);
	if (k > 0)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nu,
			    (int)f->ni, (int)k, 1, ws->a, (int)k, f->vm,
			    (int)f->w, 1, full, (int)n);
	/* Di^norm after, c0 x */
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nu; b++) {
		float *row = full + (size_t)b * n;
		uint32_t u = users[b];
		uint64_t e;
		size_t i;

		if (f->post != NULL)
			for (i = 0; i < f->ni; i++)
				row[i] *= f->post[i];
		if (f->coef[0] != 0 && u < r->nrows)
			for (e = r->ptr[u]; e < r->ptr[u + 1]; e++)
				row[r->idx[e]] += f->coef[0] * r->w[e];
	}
	if (f->w != 2 * f->k || k == 0)
		return;
	/* the sharpened ideal term: (x Di^-1/2 V) M^T */
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nu; b++)
		user_coords(f, r, users[b], f->dinv, NULL,
			    ws->a + (size_t)b * k);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nu,
		    (int)f->ni, (int)k, 1, ws->a, (int)k, f->vm + k,
		    (int)f->w, 1, full, (int)n);
}

int igr_gf_score(const igr_gf_scorer *sc, igr_gf_ws *ws,
		 const uint32_t *users, size_t nu, float *full)
{
	if (nu == 0)
		return 0;
	if (ws_reserve(ws, sc, nu) < 0)
		return -1;
	memset(full, 0, nu * sc->ni * sizeof *full);
	if (sc->side.psim != NULL)
		pruned_terms(sc, users, nu, full, sc->ni);
	else if (exact_terms(&sc->side))
		sparse_terms(sc, ws, users, nu, full, NULL, sc->ni);
	lowrank_terms(sc, ws, users, nu, full);
	return 0;
}

int igr_gf_powers(const igr_gf_scorer *sc, igr_gf_ws *ws,
		  const uint32_t *users, size_t nu, float *const *out,
		  size_t ld)
{
	if (nu == 0 || sc->side.nexact == 0)
		return 0;
	if (sc->side.psim != NULL)
		return igr_error("gf: the powers of a pruned P are not kept");
	if (ws_reserve(ws, sc, nu) < 0)
		return -1;
	sparse_terms(sc, ws, users, nu, NULL, out, ld);
	return 0;
}

int igr_gf_score_powers(const igr_gf_scorer *sc, igr_gf_ws *ws,
			const uint32_t *users, size_t nu,
			const float *const *pw, size_t ld, float *full)
{
	const igr_gf_side *f = &sc->side;
	size_t n = sc->ni, nir = sc->r->ncols;
	int64_t b;

	if (nu == 0)
		return 0;
	if (ws_reserve(ws, sc, nu) < 0)
		return -1;
#pragma omp parallel for schedule(static)
	for (b = 0; b < (int64_t)nu; b++) {
		float *row = full + (size_t)b * n;
		size_t i;
		uint32_t j;

		memset(row, 0, n * sizeof *row);
		for (j = 1; j <= f->nexact; j++) {
			const float *y = pw[j - 1] + (size_t)b * ld;
			float c = f->coef[j];

			if (c != 0)
				for (i = 0; i < nir; i++)
					row[i] += c * y[i];
		}
	}
	lowrank_terms(sc, ws, users, nu, full);
	return 0;
}

/* ---- fitting ---------------------------------------------------------- */

static int gf_svd(const igr_csr *rn, const igr_csr *rnt, int split,
		  uint32_t k, const igr_learn_opts *o, float *s, float *v);

int igr_gf_svd(const igr_csr *rn, const igr_csr *rnt, uint32_t k,
	       const igr_learn_opts *o, float *s, float *v)
{
	return gf_svd(rn, rnt, 0, k, o, s, v);
}

static int gf_svd(const igr_csr *rn, const igr_csr *rnt, int split,
		  uint32_t k, const igr_learn_opts *o, float *s, float *v)
{
	igr_svd_opts so = { 0 };

	so.split = split;
	so.k = k;
	so.oversample = o->svd_oversample;
	so.iters = o->svd_iters;
	so.seed = o->seed;
	return igr_svd_sparse(rn, rnt, &so, s, v, NULL);
}

void igr_gf_spec_of(igr_gf_spec *s, const igr_learn_opts *o)
{
	memset(s, 0, sizeof *s);
	s->filter = o->gf_filter;
	/* bspm keeps igraph 1.1's model (x P - T x P^2 exactly, Taylor's
	 * coefficients), so --no-tune gives its figures */
	s->taylor = o->gf_filter == IGR_GF_BSPM;
	s->rank = o->rank;
	s->beta = o->gf_beta;
	s->sharpen = o->gf_sharpen;
	s->order = o->gf_order;
	s->degree = o->gf_degree;
	s->flatness = o->gf_flatness;
	s->norm = o->gf_norm;
	s->exact = o->gf_exact;
	s->nbrs = o->gf_nbrs;
}

/* P's largest entries an item: the pruned sparse part's arrays (owned) */
struct gf_pruned {
	uint32_t n;           /* items */
	uint64_t *ptr;        /* n + 1 */
	uint32_t *nbr;
	float *sim;
};

static void pruned_free(struct gf_pruned *p)
{
	free(p->ptr);
	free(p->nbr);
	free(p->sim);
	memset(p, 0, sizeof *p);
}

/* P = R~^T R~ of the whole R~ (RN, its transpose RNT) cut to the NBRS
 * largest entries of each item's row (P's diagonal left out: it scores
 * only a user's own items), progress through REP.  0 or -1. */
static int pruned_make(const igr_csr *rn, const igr_csr *rnt, uint32_t nbrs,
		       const igr_report *rep, struct gf_pruned *p)
{
	struct igr_cooc_opts co;

	memset(p, 0, sizeof *p);
	memset(&co, 0, sizeof co);
	co.nbrs = nbrs;
	co.shrink = 0;
	co.locality = 1;
	co.rownorm = 0;
	co.ranks = IGR_COOC_RANKS_ALL; /* every rank is here and needs P */
	if (igr_cooc_topn(rn, rnt, NULL, NULL, &co, rep, &p->ptr, &p->nbr,
			  &p->sim) < 0)
		return -1;
	p->n = rn->ncols;
	return 0;
}

/* The model's form of a pruned side: P's values times c1 pre_i post_j
 * (in P, which the side then points to), then the spectral fold of the
 * rest (post into the item rows). */
static void pruned_fold(igr_gf_side *f, struct gf_pruned *p)
{
	int64_t i;

#pragma omp parallel for schedule(dynamic, 1024)
	for (i = 0; i < (int64_t)p->n; i++) {
		float a = i < f->ni ? f->coef[1] * pre_of(f, (uint32_t)i) : 0;
		uint64_t q;

		for (q = p->ptr[i]; q < p->ptr[i + 1]; q++) {
			uint32_t j = p->nbr[q];

			p->sim[q] *= a * (f->post != NULL && j < f->ni
					  ? f->post[j] : 1.0f);
		}
	}
	f->pptr = p->ptr;
	f->pnbr = p->nbr;
	f->psim = p->sim;
	f->pfold = 1;
	spectral_fold(f);
}

/* Move the item side F (and the pruned part P, or NULL) into model M's
 * arrays. */
static int side_to_model(igr_model *m, igr_gf_side *f, struct gf_pruned *p)
{
	uint64_t dims[2];
	float *coef = malloc((f->nexact + 1) * sizeof *coef);
	int rc = 0;

	if (coef == NULL)
		return igr_error("out of memory");
	memcpy(coef, f->coef, (f->nexact + 1) * sizeof *coef);
	dims[0] = f->nexact + 1;
	if (igr_model_add(m, "coef", IGR_DT_F32, 1, dims, coef) < 0) {
		free(coef);
		return -1;
	}
	dims[0] = f->ni;
	dims[1] = f->w;
	if (igr_model_add(m, "item_vm", IGR_DT_F32, 2, dims, f->vm) < 0)
		return -1;
	f->vm = NULL;
	dims[0] = f->k;
	if (igr_model_add(m, "lambda", IGR_DT_F32, 1, dims, f->lambda) < 0)
		return -1;
	f->lambda = NULL;
	if (igr_model_add(m, "h", IGR_DT_F32, 1, dims, f->h) < 0)
		return -1;
	f->h = NULL;
	dims[0] = f->ni;
	if (f->pre != NULL) {
		rc = igr_model_add(m, "item_pre", IGR_DT_F32, 1, dims, f->pre);
		if (rc < 0)
			return -1;
		f->pre = NULL;
	}
	if (f->post != NULL) {
		rc = igr_model_add(m, "item_post", IGR_DT_F32, 1, dims,
				   f->post);
		if (rc < 0)
			return -1;
		f->post = NULL;
	}
	if (f->dinv != NULL) {
		if (igr_model_add(m, "item_dinv", IGR_DT_F32, 1, dims,
				  f->dinv) < 0)
			return -1;
		f->dinv = NULL;
	}
	if (p != NULL && p->ptr != NULL) {
		dims[0] = (uint64_t)p->n + 1;
		if (igr_model_add(m, "nbr_ptr", IGR_DT_U64, 1, dims, p->ptr) < 0)
			return -1;
		dims[0] = p->ptr[p->n];
		p->ptr = NULL;
		if (igr_model_add(m, "nbr", IGR_DT_U32, 1, dims, p->nbr) < 0)
			return -1;
		p->nbr = NULL;
		if (igr_model_add(m, "sim", IGR_DT_F32, 1, dims, p->sim) < 0)
			return -1;
		p->sim = NULL;
	}
	return 0;
}

/* igr_gf_fit() with progress through REP. */
static int fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o,
	       const igr_report *rep)
{
	igr_csr *r = NULL;
	struct gf_rows p = { 0 };
	struct gf_pruned pp = { 0 };
	double *dc = NULL;
	float *s = NULL, *v = NULL;
	igr_gf_spec spec;
	igr_gf_side f;
	uint32_t k;
	int ret = -1;

	memset(&f, 0, sizeof f);
	r = igr_learn_matrix(g, o->weight_power);
	if (r == NULL)
		return -1;
	igr_gf_spec_of(&spec, o);
	k = spec.rank;
	if (k > r->ncols || k > r->nrows)
		k = r->ncols < r->nrows ? r->ncols : r->nrows;
	if (k == 0) {
		igr_error("gf: rank must be at least 1");
		goto out;
	}
	spec.rank = k;
	dc = malloc(((size_t)r->ncols + 1) * sizeof *dc);
	s = malloc(((size_t)k + 1) * sizeof *s);
	v = igr_alloc_large((size_t)r->ncols * k, sizeof *v);
	if (!dc || !s || !v) {
		igr_error("out of memory");
		goto out;
	}
	/* on several ranks each its users' rows, the sums by MPI: the bytes
	 * of each step (-v) */
	igr_par_step("columns");
	if (gf_rows_make(r, dc, spec.nbrs > 0, &p) < 0)
		goto out;
	igr_par_step("svd");
	if (gf_svd(p.rn, p.rnt, p.split, k, o, s, v) < 0)
		goto out;
	igr_par_step("filter");
	if (side_build(&f, &spec, &p, dc, s, v, k) < 0)
		goto out;
	if (spec.nbrs > 0) {
		/* the SVD's vectors are in the side now: room for P */
		free(v);
		v = NULL;
		/* each rank P's lists of a range of items, then every rank
		 * all of them (the same lists as on one rank) */
		igr_par_step("pruned");
		if (pruned_make(p.all, p.allt, spec.nbrs, rep, &pp) < 0)
			goto out;
		pruned_fold(&f, &pp);
	}
	if (side_to_model(m, &f, spec.nbrs > 0 ? &pp : NULL) < 0)
		goto out;
	ret = 0;
out:
	pruned_free(&pp);
	igr_gf_side_free(&f);
	igr_csr_free(r);
	gf_rows_free(&p);
	free(dc);
	free(s);
	free(v);
	return ret;
}

int igr_gf_fit(igr_model *m, const igr_graph *g, const igr_learn_opts *o)
{
	return fit(m, g, o, NULL);
}

/* ---- serving ---------------------------------------------------------- */

struct gf_state {
	igr_gf_scorer sc;    /* side: pointers into the model's arrays */
	igr_csr *rn, *rnt;
	igr_csr *r;
	omp_lock_t lock;     /* guards ws */
	igr_gf_ws *ws;       /* a workspace for one caller at a time */
};

static void gf_release(igr_model *m)
{
	struct gf_state *st = m->state;

	igr_csr_free(st->r);
	igr_csr_free(st->rn);
	igr_csr_free(st->rnt);
	igr_gf_ws_free(st->ws);
	omp_destroy_lock(&st->lock);
	free(st);
	m->state = NULL;
}

static const float *opt_array(const igr_model *m, const char *name,
			      uint64_t n, int *bad)
{
	const igr_array *a = igr_model_get(m, name);

	if (a == NULL)
		return NULL;
	if (a->dtype != IGR_DT_F32 || a->ndim != 1 || a->dim[0] != n) {
		*bad = 1;
		return NULL;
	}
	return a->data;
}

/* The pruned sparse part's arrays (nbr_ptr, nbr, sim) into F, checked;
 * none is fine (F keeps NULL).  0 or -1. */
static int pruned_load(const igr_model *m, igr_gf_side *f)
{
	const igr_array *pa = igr_model_get(m, "nbr_ptr");
	const igr_array *na = igr_model_get(m, "nbr");
	const igr_array *sa = igr_model_get(m, "sim");
	const uint64_t *ptr;
	const uint32_t *nbr;
	uint64_t i, q;

	if (pa == NULL && na == NULL && sa == NULL)
		return 0;
	if (pa == NULL || na == NULL || sa == NULL ||
	    pa->dtype != IGR_DT_U64 || pa->ndim != 1 ||
	    pa->dim[0] != (uint64_t)f->ni + 1 || na->dtype != IGR_DT_U32 ||
	    na->ndim != 1 || sa->dtype != IGR_DT_F32 || sa->ndim != 1 ||
	    sa->dim[0] != na->dim[0] || f->nexact != 1)
		return igr_error("gf: the pruned sparse part's arrays disagree "
				 "in size");
	ptr = pa->data;
	nbr = na->data;
	if (ptr[0] != 0 || ptr[f->ni] != na->dim[0])
		return igr_error("gf: the pruned sparse part's offsets are "
				 "corrupt");
	for (i = 0; i < f->ni; i++)
		if (ptr[i] > ptr[i + 1])
			return igr_error("gf: the pruned sparse part's offsets "
					 "are corrupt");
	for (q = 0; q < na->dim[0]; q++)
		if (nbr[q] >= f->ni)
			return igr_error("gf: the pruned sparse part names item "
					 "%u of %u", nbr[q], f->ni);
	f->pptr = ptr;
	f->pnbr = nbr;
	f->psim = sa->data;
	f->pfold = 1;
	return 0;
}

static int gf_prepare(igr_model *m, const igr_graph *g)
{
	const igr_array *vm, *h, *coef, *p2;
	struct gf_state *st;
	igr_gf_side *f;
	int bad = 0;
	uint64_t ni;

	vm = igr_model_need(m, "item_vm", IGR_DT_F32, 2);
	h = vm ? igr_model_need(m, "h", IGR_DT_F32, 1) : NULL;
	if (h == NULL)
		return -1;
	ni = vm->dim[0];
	if (vm->dim[1] != h->dim[0] && vm->dim[1] != 2 * h->dim[0])
		return igr_error("gf: model arrays disagree in size");
	coef = igr_model_get(m, "coef");
	p2 = igr_model_get(m, "p2");
	if ((coef == NULL || coef->dtype != IGR_DT_F32 || coef->ndim != 1 ||
	     coef->dim[0] < 1 || coef->dim[0] > IGR_GF_MAXEXACT + 1) &&
	    (p2 == NULL || p2->dtype != IGR_DT_F32 || p2->ndim != 1 ||
	     p2->dim[0] != 1))
		return igr_error("gf: model has no filter coefficients");
	if (m->state != NULL)
		gf_release(m);
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return igr_error("out of memory");
	omp_init_lock(&st->lock);
	m->state = st;
	f = &st->sc.side;
	f->k = (uint32_t)h->dim[0];
	f->w = (uint32_t)vm->dim[1];
	f->ni = (uint32_t)ni;
	f->vm = vm->data;
	f->h = h->data;
	if (coef != NULL && coef->dim[0] >= 1 &&
	    coef->dim[0] <= IGR_GF_MAXEXACT + 1) {
		f->nexact = (uint32_t)coef->dim[0] - 1;
		memcpy(f->coef, coef->data, coef->dim[0] * sizeof *f->coef);
	} else {
		/* igraph 1.1: x P - T x P^2 */
		f->nexact = 2;
		f->coef[1] = 1;
		f->coef[2] = ((const float *)p2->data)[0];
	}
	f->pre = (float *)opt_array(m, "item_pre", ni, &bad);
	f->post = (float *)opt_array(m, "item_post", ni, &bad);
	f->dinv = (float *)opt_array(m, "item_dinv", ni, &bad);
	if (pruned_load(m, f) < 0) {
		gf_release(m);
		return -1;
	}
	/* the spectral form (E = 0) and the pruned one have Di^norm folded
	 * into item_vm */
	if (bad || (f->post != NULL && f->pre == NULL) ||
	    (f->nexact > 0 && f->psim == NULL &&
	     (f->pre == NULL) != (f->post == NULL)) ||
	    (f->psim != NULL && f->post != NULL) ||
	    (f->w == 2 * f->k && f->dinv == NULL)) {
		gf_release(m);
		return igr_error("gf: model arrays disagree in size");
	}
	st->r = igr_learn_matrix(g, igr_model_param_num(m, "weight-power", 0));
	/* the sparse terms go through R~ (the spectral and pruned forms
	 * need only R) */
	if (st->r == NULL ||
	    (graph_terms(f) &&
	     igr_csr_sym_norm(st->r, &st->rn, &st->rnt, NULL) < 0)) {
		gf_release(m);
		return -1;
	}
	st->sc.r = st->r;
	st->sc.rn = st->rn;
	st->sc.rnt = st->rnt;
	st->sc.ni = st->r->ncols > ni ? st->r->ncols : (uint32_t)ni;
	return 0;
}

static int gf_score_users(const igr_model *m, const igr_graph *g,
			  const uint32_t *users, size_t nu,
			  const uint32_t *items, size_t ni, float *out)
{
	struct gf_state *st = m->state;
	igr_gf_ws *ws = NULL;
	float *full;
	size_t n;
	int ret, mine = 0;

	(void)g;
	if (st == NULL)
		return igr_error("gf: model used before prepare");
	n = st->sc.ni;
	full = items == NULL ? out
			     : malloc((nu ? nu : 1) * n * sizeof *full);
	if (full == NULL)
		return igr_error("out of memory");
	/* the cached workspace if free, else one of our own */
	if (omp_test_lock(&st->lock)) {
		if (st->ws == NULL)
			st->ws = igr_gf_ws_new();
		ws = st->ws;
		mine = 1;
	}
	if (ws == NULL)
		ws = igr_gf_ws_new();
	ret = ws ? igr_gf_score(&st->sc, ws, users, nu, full) : -1;
	if (mine)
		omp_unset_lock(&st->lock);
	else
		igr_gf_ws_free(ws);
	if (items != NULL) {
		size_t j, c;

		for (j = 0; j < nu && ret == 0; j++)
			for (c = 0; c < ni; c++)
				out[j * ni + c] = items[c] < n
						  ? full[j * n + items[c]]
						  : -INFINITY;
		free(full);
	}
	return ret;
}

static uint32_t gf_block_users(const igr_model *m)
{
	const struct gf_state *st = m->state;

	return st ? igr_gf_block(&st->sc) : 0;
}

static uint32_t gf_dim(const igr_model *m)
{
	const igr_array *vm = igr_model_get(m, "item_vm");

	return vm && vm->ndim == 2 ? (uint32_t)vm->dim[1] : 0;
}

/* The user's coordinates in the filter's low-pass basis: x~ V h, then
 * (with the sharpened ideal term) x Di^-1/2 V.  Scores need the sparse
 * parts too: serve gf through score_users. */
static int gf_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			  float *out)
{
	const struct gf_state *st = m->state;
	const igr_gf_side *f;

	(void)g;
	if (st == NULL)
		return igr_error("gf: model used before prepare");
	f = &st->sc.side;
	user_coords(f, st->r, u, f->pre, f->h, out);
	if (f->w == 2 * f->k)
		user_coords(f, st->r, u, f->dinv, NULL, out + f->k);
	return 0;
}

/* The item rows as an embedding's vectors into E when the filter is
 * folded (no Di^norm after) and PRUNED says whether it has the pruned
 * sparse part (a hybrid) or nothing beside the span (the spectral form);
 * else 1. */
static int gf_vectors(const igr_model *m, struct igr_embed *e, int pruned)
{
	const struct gf_state *st = m->state;
	const igr_gf_side *f;

	if (st == NULL)
		return igr_error("gf: model used before prepare");
	f = &st->sc.side;
	if (f->post != NULL || f->k == 0 ||
	    (pruned ? f->psim == NULL || !f->pfold
		    : f->nexact != 0 || f->coef[0] != 0))
		return 1;
	memset(e, 0, sizeof *e);
	e->dim = f->w;
	e->nitems = f->ni;
	e->item = f->vm;
	return 0;
}

/* The spectral form (trained with --sparse-powers 0) is a dot product
 * of the user's coordinates (gf_user_vector) and the item rows: an
 * embedding model, served by sgemm or through an index.  1 for a filter
 * with sparse terms. */
static int gf_embedding(const igr_model *m, struct igr_embed *e)
{
	return gf_vectors(m, e, 0);
}

/* The pruned form: that dot product plus gf_add_sparse's part.  1 for
 * any other filter. */
static int gf_hybrid(const igr_model *m, struct igr_embed *e)
{
	return gf_vectors(m, e, 1);
}

/* User U's pruned sparse part and identity term into ACC: sum over the
 * user's items i (weight x) of x psim_ij into item j, and c0 x into i
 * itself (what pruned_terms and lowrank_terms add). */
static int gf_add_sparse(const igr_model *m, const igr_graph *g, uint32_t u,
			 struct igr_acc *acc)
{
	const struct gf_state *st = m->state;
	const igr_gf_side *f;
	const igr_csr *r;
	uint64_t e, q;

	(void)g;
	if (st == NULL)
		return igr_error("gf: model used before prepare");
	f = &st->sc.side;
	r = st->r;
	if (f->psim == NULL || u >= r->nrows)
		return 0;
	for (e = r->ptr[u]; e < r->ptr[u + 1]; e++) {
		uint32_t i = r->idx[e];
		float x = r->w[e];

		if (i >= f->ni)
			continue;
		for (q = f->pptr[i]; q < f->pptr[i + 1]; q++)
			igr_acc_add(acc, f->pnbr[q], x * f->psim[q]);
		if (f->coef[0] != 0)
			igr_acc_add(acc, i, f->coef[0] * x);
	}
	return 0;
}

const struct igr_model_ops igr_gf_ops = {
	.name = "gf",
	.prepare = gf_prepare,
	.embedding = gf_embedding,
	.hybrid = gf_hybrid,
	.add_sparse = gf_add_sparse,
	.score_users = gf_score_users,
	.block_users = gf_block_users,
	.dim = gf_dim,
	.user_vector = gf_user_vector,
	.release = gf_release,
};

/*
 * ---- training: the options, and the tuner that chooses the filter from
 * the user's own data (tune.h has the holdout).
 *
 * Why a tuner: settings published for one data set do not carry to
 * another.  BSPM's authors use T = 2.5 with 448 singular vectors on
 * Gowalla, no singular vectors and two RK4 steps of 1.1 on Amazon-book,
 * a blurred/sharpened mix on Yelp2018; ChebyCF uses norm 0.4 and 512
 * vectors on Gowalla but other flatness and norm on Amazon-book and
 * Last.fm.  So every setting the user did not give is chosen on a
 * holdout of the training graph (the newest fifth of each user's edges
 * when the edges carry times, else a seeded random fifth), with one
 * truncated SVD of the held-out graph shared by every candidate (a
 * smaller rank is a prefix of it).  The search is coordinate-wise from
 * a start that is good on every data set we have (BENCHMARKS.md):
 * each round tries the neighbours of the current best along one axis at
 * a time (filter family, flatness or sharpening, degree normalisation,
 * ideal weight, rank) and keeps a move only when it gains on the
 * holdout; it stops when a round gains nothing.  The final model is then
 * fitted on every edge with the winner.
 */
static const struct igr_train_param p_filter = { "filter", IGR_P_STR, 0, 0, "name",
	  "gf: 'cheby' (ChebyCF's Chebyshev plateau filter)\n"
	  "or 'bspm' (GF-CF sharpened as BSPM does; --sharpen\n"
	  "0 is plain GF-CF) (default: tuned)" };
static const struct igr_train_param p_rank = { "rank", IGR_P_INT, 1, 4096, "n",
	  "gf: singular vectors of the low-pass term\n"
	  "(default: tuned, at most 512)" };
static const struct igr_train_param p_beta = { "beta", IGR_P_NUM, 0, 100, "x",
	  "gf: weight of the ideal low-pass term (default:\n"
	  "tuned; 0.2 with --no-tune)" };
static const struct igr_train_param p_sharpen = { "sharpen", IGR_P_NUM, 0, 100, "t",
	  "gf: bspm sharpening time, 0 for none (default 2.5)" };
static const struct igr_train_param p_order = { "order", IGR_P_INT, 0, 11, "n",
	  "gf: bspm Runge-Kutta/Taylor order of the\n"
	  "sharpening step (default 4)" };
static const struct igr_train_param p_degree = { "degree", IGR_P_INT, 1, IGR_GF_MAXDEG, "n",
	  "gf: cheby polynomial degree (default 8)" };
static const struct igr_train_param p_flatness = { "flatness", IGR_P_NUM, 0.1, 10, "x",
	  "gf: cheby plateau flatness phi (default: tuned)" };
static const struct igr_train_param p_norm = { "norm", IGR_P_NUM, -1, 1, "x",
	  "gf: item degree scaling Di^-x before the filter,\n"
	  "Di^x after (default: tuned; 0 with --no-tune)" };
static const struct igr_train_param p_sparse_powers = { "sparse-powers", IGR_P_INT, 0, IGR_GF_MAXEXACT, "n",
	  "gf: powers of the item-item operator applied\n"
	  "exactly through the graph, the rest in the\n"
	  "singular vectors' span; 0: the filter in the\n"
	  "span only, an embedding model an index can\n"
	  "serve (default 2; 1 with --sparse-nbrs when\n"
	  "serving every user through the graph would\n"
	  "cost too much)" };
static const struct igr_train_param p_sparse_nbrs = { "sparse-nbrs", IGR_P_INT, 0, 100000, "n",
	  "gf: the sparse part through each item's N\n"
	  "largest entries of the item-item operator,\n"
	  "found at training (with --sparse-powers 1): a\n"
	  "user then costs their items x N, and an index\n"
	  "serves the rest; 0: exact, through the graph\n"
	  "(default 0; 100 when serving every user\n"
	  "through the graph would cost too much)" };
static const struct igr_train_param p_no_tune = { "no-tune", IGR_P_FLAG, 0, 0, NULL,
	  "gf: no tuning: options not given take the fixed\n"
	  "defaults (BSPM's Gowalla setting)" };
static const struct igr_train_param p_tune_users = { "tune-users", IGR_P_INT, 100, 1000000, "n",
	  "gf: held-out users scored per tried setting\n"
	  "(default 1024)" };
static const struct igr_train_param p_svd_iters = { "svd-iters", IGR_P_INT, 0, 50, "n",
	  "gf: subspace iterations of the SVD (default 4)" };
static const struct igr_train_param p_svd_oversample = { "svd-oversample", IGR_P_INT, 0, 1024, "n",
	  "gf: extra vectors of the SVD (default 64)" };

static int gf_check(const struct igr_train_ctx *ctx)
{
	const char *f = igr_train_str(ctx, NULL, "filter", NULL);

	if (f != NULL && strcmp(f, "cheby") != 0 && strcmp(f, "bspm") != 0)
		return igr_error("--filter must be 'cheby' or 'bspm', not '%s'",
				 f);
	return 0;
}

/* ---- the tuner ------------------------------------------------------- */

/* What the tuner may move (1) and what the user fixed (0). */
/* ---- the memory budget ------------------------------------------------ */

/* Bytes the fit of filter family FILTER at rank K holds at its peak
 * beyond what is already resident (the graph): R~ and its transpose
 * beside R (CSR copies), then the larger of the SVD's working set (V,
 * the items x (K + oversample) and users x (K + oversample) blocks) and
 * the item side's (V and its copy, items x K, or for bspm with the
 * ideal term items x 2K plus its Horner arrays, items x 2K and users x
 * K); the tuner holds the same again for the held-out graph, one at a
 * time, plus its scoring blocks (256 MB).  The
 * figures of BENCHMARKS.md ("gf at scale") check it: the measured peak
 * stays under it. */
static double gf_need(const igr_csr *r, uint32_t k, const igr_learn_opts *o,
		      int bspm, int tuned)
{
	uint32_t os = o->svd_oversample;
	double ni = r ? r->ncols : 0, nu = r ? r->nrows : 0;
	double nnz = r ? (double)r->nnz : 0, l = (double)k + os;
	double csr = 3 * (nnz * 8 + (nu + ni + 2) * 8);
	double svd = ni * (k + l) + nu * l;
	double side = bspm ? ni * 5.0 * k + nu * k : ni * 2.0 * k;
	/* the tuner's scoring blocks (igr_gf_block: about 256 MB); its
	 * cache of sparse terms is kept only where the budget has room
	 * (cache_powers) */
	double blocks = tuned ? 256.0 * (1 << 20) : 0;

	/* the pruned P: index and value an entry, N slots an item (cooc.c
	 * writes each list in its slots, then cuts the arrays) */
	double pruned = ni * (o->gf_nbrs < ni ? o->gf_nbrs : ni) * 8.0;

	return 1.15 * (csr + 4 * (svd > side ? svd : side) + blocks + pruned);
}

/* The largest rank up to K (a multiple of 16, at least 16) whose fit
 * needs no more than LEFT bytes; 0 when even 16 does not fit. */
static uint32_t gf_rank_fits(const igr_csr *r, uint32_t k,
			     const igr_learn_opts *o, int bspm, int tuned,
			     double left)
{
	while (k > 16 && gf_need(r, k, o, bspm, tuned) > left)
		k = k > 32 ? (k - 16) & ~15u : 16;
	return gf_need(r, k, o, bspm, tuned) <= left ? k : 0;
}

struct gf_free {
	int filter, rank, beta, sharpen, flatness, norm;
};

static void spec_desc(const igr_gf_spec *s, char *buf, size_t n)
{
	if (s->filter == IGR_GF_CHEBY)
		snprintf(buf, n, "cheby degree=%u flatness=%g norm=%g beta=%g "
			 "rank=%u", s->degree, s->flatness, s->norm, s->beta,
			 s->rank);
	else
		snprintf(buf, n, "bspm sharpen=%g order=%u norm=%g beta=%g "
			 "rank=%u", s->sharpen, s->order, s->norm, s->beta,
			 s->rank);
}

/* the sparse terms of the held-out users (in their order) for one
 * normalisation, shared by every setting of that normalisation; filled
 * as far as the users scored so far */
struct pw_slot {
	float *pw[IGR_GF_MAXEXACT];
	double norm;
	uint32_t done;          /* users filled */
	int used;
};

struct tune_run {
	const igr_tune_split *split;
	struct gf_rows p;        /* R~ of the held-out graph: rows, whole */
	/* the held-out users this rank scores, [hlo, hhi) of held->users
	 * (all on one rank); their per-user figures are gathered so that
	 * every rank makes the serial run's choices */
	size_t hlo, hhi;
	double *dc;
	float *sv, *v;
	uint32_t kv;
	struct gf_pruned pp;     /* the pruned P of the held-out graph, or
				    none (exact terms) */
	igr_gf_ws *ws;
	igr_gf_scorer sc;
	igr_model *m;
	const igr_report *rep;
	/* two normalisations' sparse terms: the current best's and the one
	 * tried (none when a slot would be over 512 MB or the two over the
	 * memory budget: each setting then scores from scratch) */
	struct pw_slot slot[2];
	struct pw_slot *cur;     /* the slot of the setting scored, or NULL */
	/* settings seen, to score each once */
	igr_gf_spec seen[64];
	double seen_r[64], seen_n[64];
	double *seen_each[64];  /* per-user recall@20 of each */
	int seen_part[64];      /* 1: screened out on the first quarter */
	int nseen;
};

/* A move is taken only when it is better beyond the holdout's noise
 * (igr_tune_better); a setting screened out never is. */
static int better(const struct tune_run *t, int cand, int best)
{
	if (cand < 0 || best < 0 || cand == best || t->seen_part[cand])
		return 0;
	return igr_tune_better(t->seen_each[best], t->seen_each[cand],
			       t->split->held->nlisted);
}

static int score_cb(void *ctx, const uint32_t *users, size_t nu, float *out)
{
	struct tune_run *t = ctx;
	const float *pw[IGR_GF_MAXEXACT];
	size_t off = (size_t)(users - t->split->held->users), j;
	size_t nir = t->split->train->ncols;

	if (t->cur == NULL)
		return igr_gf_score(&t->sc, t->ws, users, nu, out);
	for (j = 0; j < t->sc.side.nexact; j++)
		pw[j] = t->cur->pw[j] + (off - t->hlo) * nir;
	return igr_gf_score_powers(&t->sc, t->ws, users, nu, pw, nir, out);
}

/* Make t->cur the slot of normalisation NORM, filled for this rank's
 * held-out users below UPTO (from t->hlo; a slot holds t->hlo ..
 * t->hhi - 1); the slot of KEEP (the best's normalisation) is not
 * reused.  t->cur stays NULL when a slot would not fit (the sizes are
 * those of every held-out user, so that one rank and several take the
 * same way). */
static int cache_powers(struct tune_run *t, double norm, double keep,
			uint32_t upto)
{
	const igr_valid *h = t->split->held;
	size_t nir = t->split->train->ncols, e = t->sc.side.nexact, j;
	uint32_t bs = igr_gf_block(&t->sc), u0;
	struct pw_slot *sl = NULL;
	int q;

	t->cur = NULL;
	if (e == 0 || t->sc.side.psim != NULL)
		return 0; /* the spectral and pruned forms: nothing to cache */
	/* a slot of at most 512 MB, and only where the memory budget has
	 * room for two beside the scoring blocks and the candidates' sides */
	if ((double)h->nlisted * nir * e * sizeof(float) > (double)(1u << 29))
		return 0;
	if (!t->slot[0].used && !t->slot[1].used &&
	    (double)igr_memory_resident() + 2.0 * h->nlisted * nir * e *
	    sizeof(float) + 256.0 * (1 << 20) + 2.0 * nir * t->sc.side.w *
	    sizeof(float) > (double)igr_memory_budget())
		return 0;
	for (q = 0; q < 2 && sl == NULL; q++)
		if (t->slot[q].used && t->slot[q].norm == norm)
			sl = &t->slot[q];
	for (q = 0; q < 2 && sl == NULL; q++)
		if (!t->slot[q].used || t->slot[q].norm != keep)
			sl = &t->slot[q];
	if (sl == NULL)
		sl = &t->slot[0];
	if (!sl->used || sl->norm != norm) {
		sl->used = 1;
		sl->norm = norm;
		sl->done = (uint32_t)t->hlo;
	}
	for (j = 0; j < e; j++) {
		if (sl->pw[j] == NULL)
			sl->pw[j] = igr_alloc_large((t->hhi - t->hlo) * nir + 1,
						    sizeof(float));
		if (sl->pw[j] == NULL) {
			sl->used = 0;
			return 0; /* no room: score from scratch */
		}
	}
	if (upto > t->hhi)
		upto = (uint32_t)t->hhi;
	for (u0 = sl->done; u0 < upto; u0 += bs) {
		uint32_t nb = upto - u0 < bs ? upto - u0 : bs;
		float *out[IGR_GF_MAXEXACT];

		for (j = 0; j < e; j++)
			out[j] = sl->pw[j] + (u0 - t->hlo) * nir;
		if (igr_gf_powers(&t->sc, t->ws, h->users + u0, nb, out,
				  nir) < 0) {
			sl->used = 0;
			return -1;
		}
	}
	if (upto > sl->done)
		sl->done = upto;
	t->cur = sl;
	return 0;
}

static int same_spec(const igr_gf_spec *a, const igr_gf_spec *b)
{
	if (a->filter != b->filter || a->rank != b->rank ||
	    a->beta != b->beta || a->norm != b->norm || a->exact != b->exact)
		return 0;
	if (a->filter == IGR_GF_CHEBY)
		return a->degree == b->degree && a->flatness == b->flatness;
	return a->sharpen == b->sharpen && a->order == b->order;
}

/* Score the held-out users FROM .. TO-1 with the side in t->sc (of
 * normalisation NORM; KEEP is the best's): their
 * recall@20 into EACH + FROM, the sums of recall and NDCG added to *SR,
 * *SN.  On several ranks each scores its users among them and every rank
 * gets all their recalls (each user's from one rank: the serial values)
 * and the sums.  0 or -1. */
static int score_range(struct tune_run *t, double norm, double keep,
		       uint32_t from, uint32_t to, double *each, double *sr,
		       double *sn)
{
	igr_valid part = *t->split->held;
	/* this rank's users among them: [a, b), within [from, to) (empty
	 * when its range is wholly before or after) */
	uint32_t a = t->hlo < from ? from : t->hlo > to ? to : (uint32_t)t->hlo;
	uint32_t b = t->hhi < a ? a : t->hhi > to ? to : (uint32_t)t->hhi;
	double r = 0, n = 0, sums[2];
	int rc;

	rc = cache_powers(t, norm, keep, b);
	part.users += a;
	part.nlisted = b - a;
	if (rc == 0 && b > a)
		rc = igr_valid_eval_each(&part, t->sc.ni, 20, t->split->train,
					 score_cb, t, &r, &n, each + a);
	if (igr_par_agree(rc) < 0)
		return -1;
	sums[0] = r * (b - a);
	sums[1] = n * (b - a);
	if (t->p.split) {
		/* the others' users are 0 here: their sums are exact */
		memset(each + from, 0, (a - from) * sizeof *each);
		memset(each + b, 0, (to - b) * sizeof *each);
		if (igr_par_sum_f64(each + from, to - from) < 0 ||
		    igr_par_sum_f64(sums, 2) < 0)
			return -1;
	}
	*sr += sums[0];
	*sn += sums[1];
	return 0;
}

/* Holdout recall@20 (and NDCG@20) of setting S; its index in t->seen
 * into *IDX (every setting is scored once).  With REF (the current best,
 * or -1) the setting is first scored on a quarter of the users and
 * dropped there unless it beats REF on them (igr_tune_promising).  0 or
 * -1. */
static int try_spec(struct tune_run *t, const igr_gf_spec *s, int ref,
		    double *rec, double *ndcg, int *idx)
{
	char d[192];
	int q, rc, part = 0;
	uint32_t nh = t->split->held->nlisted, ns = nh / 4, done;
	double *each, t0 = igr_now(), sr = 0, sn = 0;
	double keep = ref >= 0 ? t->seen[ref].norm : s->norm;

	for (q = 0; q < t->nseen; q++)
		if (same_spec(&t->seen[q], s)) {
			*rec = t->seen_r[q];
			*ndcg = t->seen_n[q];
			*idx = q;
			return 0;
		}
	if (t->nseen >= 64)
		return igr_error("gf: tune: too many settings");
	each = malloc(((size_t)nh + 1) * sizeof *each);
	if (each == NULL)
		return igr_error("out of memory");
	memset(&t->sc, 0, sizeof t->sc);
	if (side_build(&t->sc.side, s, &t->p, t->dc,
		       t->sv, t->v, t->kv) < 0) {
		free(each);
		return -1;
	}
	if (t->pp.ptr != NULL) {
		t->sc.side.pptr = t->pp.ptr;
		t->sc.side.pnbr = t->pp.nbr;
		t->sc.side.psim = t->pp.sim;
	}
	t->sc.r = t->split->train;
	t->sc.rn = t->p.all;
	t->sc.rnt = t->p.allt;
	t->sc.ni = t->split->train->ncols;
	done = 0;
	rc = 0;
	if (ref >= 0 && ns >= 32) {
		rc = score_range(t, s->norm, keep, 0, ns, each, &sr, &sn);
		done = ns;
		if (rc == 0 && !igr_tune_promising(t->seen_each[ref], each, ns))
			part = 1;
	}
	if (rc == 0 && !part)
		rc = score_range(t, s->norm, keep, done, nh, each, &sr,
				 &sn);
	igr_gf_side_free(&t->sc.side);
	if (rc < 0) {
		free(each);
		return -1;
	}
	*rec = sr / (part ? ns : nh);
	*ndcg = sn / (part ? ns : nh);
	spec_desc(s, d, sizeof d);
	if (part) {
		/* the best's recall on the same quarter, to compare with */
		double br = 0;
		uint32_t j;

		for (j = 0; j < ns; j++)
			br += t->seen_each[ref][j];
		igr_report_info(t->rep, "gf: tune: %s: screened out: recall@20 "
				"%.4f against %.4f on a quarter of the users "
				"(%.2fs)", d, *rec, br / ns, igr_now() - t0);
		snprintf(d + strlen(d), sizeof d - strlen(d),
			 " (screened out: on a quarter of the users)");
	} else {
		igr_report_info(t->rep, "gf: tune: %s: recall@20 %.4f ndcg@20 "
				"%.4f (%.2fs)", d, *rec, *ndcg,
				igr_now() - t0);
	}
	if (igr_tune_record(t->m, d, *rec, *ndcg) < 0) {
		free(each);
		return -1;
	}
	t->seen[t->nseen] = *s;
	t->seen_r[t->nseen] = *rec;
	t->seen_n[t->nseen] = *ndcg;
	t->seen_each[t->nseen] = each;
	t->seen_part[t->nseen] = part;
	*idx = t->nseen++;
	return 0;
}

/* the axes of the search, each a list of values around the current */
static const double flat_vals[] = { 0.5, 1, 1.5, 2, 3 };
static const double sharp_vals[] = { 0, 1, 2.5, 4 };
static const double norm_vals[] = { 0, 0.2, 0.3, 0.4, 0.5 };
static const double beta_vals[] = { 0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2 };
/* With exact sparse terms the ideal term's weight stays within 0.8 (BSPM
 * and ChebyCF use 0.1 to 0.4); the spectral form has only the span, where
 * the generated 10M log went to the end of that list (0.8): it may go on
 * to 3.2, and so may the pruned form, whose sparse part is weaker. */
#define BETA_SPARSE 5

#define NV(a) (sizeof(a) / sizeof(a)[0])

/* Move along one axis: the values next to the current one (and further
 * while they are better).  *BEST (index *BI) is updated.  0 or -1. */
static int walk(struct tune_run *t, igr_gf_spec *best, int *bi, double *br,
		double *bn, size_t off, const double *vals, size_t nv,
		int *moved)
{
	size_t cur = 0, q;
	int dir;
	double now = *(double *)((char *)best + off);

	for (q = 0; q < nv; q++)
		if (fabs(vals[q] - now) < fabs(vals[cur] - now))
			cur = q;
	for (dir = -1; dir <= 1; dir += 2) {
		size_t at = cur;

		for (;;) {
			igr_gf_spec s = *best;
			double r, n;
			int ci;

			if ((dir < 0 && at == 0) || (dir > 0 && at + 1 >= nv))
				break;
			at = (size_t)((int64_t)at + dir);
			*(double *)((char *)&s + off) = vals[at];
			if (try_spec(t, &s, *bi, &r, &n, &ci) < 0)
				return -1;
			if (!better(t, ci, *bi))
				break;
			*best = s;
			*bi = ci;
			*br = r;
			*bn = n;
			*moved = 1;
		}
	}
	return 0;
}

static int tune(igr_learn_opts *o, const struct gf_free *fr,
		const igr_graph *g, igr_model *m, const igr_report *rep,
		uint32_t tune_users, int bspm_fits)
{
	igr_csr *r = igr_learn_matrix(g, o->weight_power);
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	igr_tune_split split;
	struct tune_run t;
	igr_gf_spec best, s;
	double br, bn, t0 = igr_now(), r2, n2;
	uint32_t kmax;
	int ret = -1, round, moved, bi = -1, ci;
	char d[160];

	memset(&t, 0, sizeof t);
	memset(&split, 0, sizeof split);
	if (r == NULL)
		return -1;
	igr_par_step("tune");
	/* the edge times are the graph's, not the copy's */
	if (ui != NULL && ui->last_ts != NULL && ui->nnz == r->nnz)
		r->last_ts = ui->last_ts;
	if (igr_tune_split_make(&split, r, 0.2, tune_users, o->seed) < 0) {
		r->last_ts = NULL;
		igr_csr_free(r);
		return -1;
	}
	r->last_ts = NULL;
	igr_csr_free(r);
	if (split.held->nlisted == 0) {
		/* too few edges a user to hold any out: keep the defaults */
		igr_report_info(rep, "gf: tune: no user has 3 edges; the fixed "
				"defaults are used");
		igr_tune_split_free(&split);
		return 0;
	}
	igr_report_progress(rep, "gf: tuning: SVD of the held-out graph");
	kmax = o->rank;
	if (kmax > split.train->ncols)
		kmax = split.train->ncols;
	if (kmax > split.train->nrows)
		kmax = split.train->nrows;
	t.split = &split;
	t.m = m;
	t.rep = rep;
	t.kv = kmax;
	t.dc = malloc(((size_t)split.train->ncols + 1) * sizeof *t.dc);
	t.sv = malloc(((size_t)kmax + 1) * sizeof *t.sv);
	t.v = igr_alloc_large((size_t)split.train->ncols * kmax,
			       sizeof *t.v);
	t.ws = igr_gf_ws_new();
	if (!t.dc || !t.sv || !t.v || !t.ws) {
		igr_error("out of memory");
		goto out;
	}
	{
		/* the tuner ranks settings: half the SVD iterations do */
		igr_learn_opts oh = *o;

		oh.svd_iters = (o->svd_iters + 1) / 2;
		if (gf_rows_make(split.train, t.dc, 1, &t.p) < 0 ||
		    gf_svd(t.p.rn, t.p.rnt, t.p.split, kmax, &oh, t.sv,
			   t.v) < 0)
			goto out;
	}
	/* the held-out users scored here */
	if (igr_serve_range(split.train, split.held->users,
			    split.held->nlisted, &t.hlo, &t.hhi) < 0)
		goto out;
	igr_report_info(rep, "gf: tune: SVD of the held-out graph, rank %u: "
			"%.2fs", kmax, igr_now() - t0);
	if (o->gf_nbrs > 0) {
		/* P of the held-out graph, pruned: what the settings are
		 * scored with */
		double t1 = igr_now();

		igr_report_progress(rep, "gf: tuning: P's %u largest entries "
				    "an item", o->gf_nbrs);
		if (pruned_make(t.p.all, t.p.allt, o->gf_nbrs, rep, &t.pp) < 0)
			goto out;
		igr_report_info(rep, "gf: tune: P pruned to %u entries an item "
				"(%llu in all): %.2fs", o->gf_nbrs,
				(unsigned long long)t.pp.ptr[t.pp.n],
				igr_now() - t1);
	}
	igr_gf_spec_of(&best, o);
	best.rank = kmax;
	igr_report_progress(rep, "gf: tuning: %u held-out users",
			    split.held->nlisted);
	if (try_spec(&t, &best, -1, &br, &bn, &bi) < 0)
		goto out;
	/* the other family at its start (bspm's side needs 2.5 times the
	 * memory: not when it would not fit, fit_budget()) */
	if (fr->filter && !bspm_fits)
		igr_report_info(rep, "gf: tune: bspm not tried: its item side "
				"at rank %u is over the memory budget", kmax);
	if (fr->filter && bspm_fits) {
		s = best;
		s.filter = best.filter == IGR_GF_CHEBY ? IGR_GF_BSPM
						       : IGR_GF_CHEBY;
		s.taylor = s.filter == IGR_GF_BSPM;
		if (try_spec(&t, &s, bi, &r2, &n2, &ci) < 0)
			goto out;
		if (better(&t, ci, bi)) {
			best = s;
			bi = ci;
			br = r2;
			bn = n2;
		}
	}
	for (round = 0; round < 2; round++) {
		moved = 0;
		if (best.filter == IGR_GF_CHEBY && fr->flatness &&
		    walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, flatness), flat_vals,
			 NV(flat_vals), &moved) < 0)
			goto out;
		if (best.filter == IGR_GF_BSPM && fr->sharpen &&
		    walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, sharpen), sharp_vals,
			 NV(sharp_vals), &moved) < 0)
			goto out;
		if (fr->norm && walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, norm),
				     norm_vals, NV(norm_vals), &moved) < 0)
			goto out;
		if (fr->beta && walk(&t, &best, &bi, &br, &bn,
			 offsetof(igr_gf_spec, beta),
				     beta_vals,
				     o->gf_exact == 0 || o->gf_nbrs > 0
				     ? NV(beta_vals) : BETA_SPARSE,
				     &moved) < 0)
			goto out;
		if (fr->rank) {
			/* smaller ranks are prefixes of the same SVD */
			uint32_t kq;

			for (kq = kmax / 2; kq >= 32; kq /= 2) {
				s = best;
				s.rank = kq;
				if (try_spec(&t, &s, bi, &r2, &n2, &ci) < 0)
					goto out;
				if (!better(&t, ci, bi))
					break;
				best = s;
				bi = ci;
				br = r2;
				bn = n2;
				moved = 1;
			}
		}
		if (!moved)
			break;
	}
	spec_desc(&best, d, sizeof d);
	igr_report_info(rep, "gf: tune: chose %s (holdout recall@20 %.4f "
			"ndcg@20 %.4f, %u users, %s, %.1fs)", d, br, bn,
			split.held->nlisted,
			split.temporal ? "newest edges held out"
				       : "random edges held out",
			igr_now() - t0);
	if (igr_tune_chosen(m, d, &split, igr_now() - t0) < 0)
		goto out;
	o->gf_filter = best.filter;
	o->rank = best.rank;
	o->gf_beta = best.beta;
	o->gf_sharpen = best.sharpen;
	o->gf_flatness = best.flatness;
	o->gf_norm = best.norm;
	ret = 0;
out:
	pruned_free(&t.pp);
	gf_rows_free(&t.p);
	free(t.dc);
	free(t.sv);
	free(t.v);
	igr_gf_ws_free(t.ws);
	for (round = 0; round < 2 * IGR_GF_MAXEXACT; round++)
		free(t.slot[round / IGR_GF_MAXEXACT].pw[round %
							IGR_GF_MAXEXACT]);
	for (round = 0; round < t.nseen; round++)
		free(t.seen_each[round]);
	igr_tune_split_free(&split);
	return ret;
}

/* The rank from the memory budget (mem.h): O's rank when its fit (and
 * tuning, TUNED) fits in what is left of the budget, else the largest
 * that does, reported and recorded in data.rank_from_budget; a rank the
 * user gave that does not fit is an error.  *BSPM_FITS: whether bspm's
 * larger side fits at that rank (the tuner tries it only then). */
static int fit_budget(igr_learn_opts *o, const struct gf_free *fr,
		      const igr_graph *g, igr_model *m, const igr_report *rep,
		      int tuned, int *bspm_fits)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	double budget = (double)igr_memory_budget(), gb = 1.0 / (1u << 30);
	double left = budget - (double)igr_memory_resident();
	int bspm = (!tuned || !fr->filter) && o->gf_filter == IGR_GF_BSPM;
	uint32_t k = o->rank, kf;
	cJSON *d;

	if (ui == NULL)
		return 0;
	if (k > ui->ncols)
		k = ui->ncols;
	if (k > ui->nrows)
		k = ui->nrows;
	kf = gf_rank_fits(ui, k, o, bspm, tuned, left);
	if (kf == 0)
		return igr_error("gf: even rank 16 needs about %.1f GB, more "
				 "than the %.1f GB left of the memory budget "
				 "of %.1f GB (--memory, IGRAPH_MEMORY)",
				 gf_need(ui, 16, o, bspm,
					 tuned) * gb, left * gb, budget * gb);
	if (kf < k) {
		if (!fr->rank)
			return igr_error("gf: --rank %u needs about %.1f GB, "
					 "more than the %.1f GB left of the "
					 "memory budget of %.1f GB (--memory, "
					 "IGRAPH_MEMORY); rank %u fits", k,
					 gf_need(ui, k, o, bspm,
						 tuned) * gb, left * gb,
					 budget * gb, kf);
		igr_report_info(rep, "gf: rank %u from the memory budget "
				"(rank %u would need about %.1f GB; %.1f GB "
				"of %.1f GB left)", kf, k,
				gf_need(ui, k, o, bspm,
					tuned) * gb, left * gb, budget * gb);
		d = igr_model_data(m);
		if (d == NULL || !cJSON_AddNumberToObject(d, "rank_from_budget",
							  kf))
			return igr_error("out of memory");
		o->rank = kf;
	}
	*bspm_fits = gf_need(ui, o->rank, o, 1, tuned) <=
		     left;
	return 0;
}

/* ---- the train function ------------------------------------------------ */

/* Serving the sparse terms costs every user two passes over the graph
 * per power (igr_gf_score's sparse-times-dense blocks): users x edges x
 * 2E multiply-adds, where the spectral form costs users x items x rank
 * in sgemm or far less through an index, and the pruned one that plus
 * a user's items x the neighbours kept.  On 2 cores Gowalla (30k users
 * x 810k edges, 2.4e10) serves every user in 13 s; the generated 10M log
 * (100k x 7.7M, 7.7e11) in about 11 minutes a pass (the spectral form
 * through a pq index: 2 to 3 minutes, but 14% lower recall@20 on its
 * last day); the 100M one (7.7e13) would take days.  Above SPECTRAL_WORK
 * (about a quarter of an hour a pass) the default is the pruned form
 * (--sparse-powers 1 --sparse-nbrs PRUNED_NBRS), said on the report. */
#define SPECTRAL_WORK 1e12
#define PRUNED_NBRS 100

static int pruned_by_cost(const igr_graph *g, const igr_report *rep)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	double work;

	if (ui == NULL)
		return 0;
	work = (double)ui->nrows * (double)ui->nnz;
	if (work <= SPECTRAL_WORK)
		return 0;
	igr_report_info(rep, "gf: the sparse part pruned to %u entries an item "
			"(--sparse-powers 1 --sparse-nbrs %u): serving the "
			"exact terms would cost %.1e multiply-adds a power "
			"(%u users x %llu edges, over %.0e); --sparse-powers "
			"2 keeps them exact, --sparse-powers 0 drops them",
			PRUNED_NBRS, PRUNED_NBRS, work, ui->nrows,
			(unsigned long long)ui->nnz, SPECTRAL_WORK);
	return 1;
}

/* The rank a model served through an index can afford (the spectral and
 * the pruned form: igraph-index's pq codes, a byte for 4 dimensions,
 * igr_ann_default_pq_bytes): serving every user scans about
 * users x probes x list length codes (igr_ann_default_nlist, _probes)
 * of rank / 4 bytes, the work that grows with the rank; the exact
 * re-scoring of the candidates and the sparse part are far less.  On
 * the 100M-event log (1M users, 3.87M items: 33 probes of 492 codes)
 * gf's pruned form served every user in 443 s at rank 64 (2.6e11 bytes
 * scanned) and 911 s at rank 144 (5.9e11), the same recall@20 within
 * 0.6% (BENCHMARKS.md "The rank is the pruned form's serving cost"):
 * about 1.6 ns a byte on 2 cores.  SERVE_SCAN, 3e11 bytes, is about 8
 * minutes of that; above it the rank is cut to fit, a multiple of 8 and
 * at least 32 (the 100M log: 72).  Gowalla (30k users, 41k items) could
 * afford rank 12,400, the 10M log (100k users, 400k items) 1,184: the
 * ceiling binds only at a platform's size. */
#define SERVE_SCAN 3e11

/* the pq codes serving each user scans */
static double serve_codes(uint64_t items)
{
	uint32_t nlist = igr_ann_default_nlist(items);
	uint32_t probes = igr_ann_default_probes(items, nlist);

	if (probes > nlist)
		probes = nlist;
	return (double)probes * ((double)items / nlist);
}

uint32_t igr_gf_serve_rank(uint64_t users, uint64_t items)
{
	double r = 4 * SERVE_SCAN / ((double)users * serve_codes(items) + 1);

	if (r > 1e6)
		return 1000000;
	return r < 32 ? 32 : (uint32_t)r / 8 * 8;
}

static int fit_serving(igr_learn_opts *o, const igr_graph *g, igr_model *m,
		       const igr_report *rep)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint32_t k = o->rank, ks;
	double codes;
	cJSON *d;

	if (ui == NULL || ui->nrows == 0 || ui->ncols == 0)
		return 0;
	if (k > ui->ncols)
		k = ui->ncols;
	if (k > ui->nrows)
		k = ui->nrows;
	codes = (double)ui->nrows * serve_codes(ui->ncols);
	ks = igr_gf_serve_rank(ui->nrows, ui->ncols);
	if (ks >= k)
		return 0;
	igr_report_info(rep, "gf: rank %u from the serving cost (through an "
			"index, rank %u would scan about %.1e code bytes for "
			"every user's list, over %.0e; --rank sets it)", ks, k,
			codes * (k / 4.0), SERVE_SCAN);
	d = igr_model_data(m);
	if (d == NULL || !cJSON_AddNumberToObject(d, "rank_from_serving", ks))
		return igr_error("out of memory");
	o->rank = ks;
	return 0;
}

igr_model *igr_train_gf(const igr_graph *g, const struct igr_train_ctx *ctx)
{
	igr_model *m = igr_model_new("gf");
	igr_learn_opts o;
	struct gf_free fr;
	const char *filter;
	int no_tune, rc = 0, tuned, bspm_fits = 1;
	uint32_t tune_users;
	cJSON *p;

	if (m == NULL)
		return NULL;
	igr_learn_defaults(&o, "gf");
	o.seed = ctx->seed;
	o.threads = ctx->threads;
	no_tune = igr_train_flag(ctx, m, "no-tune");
	fr.filter = !igr_train_given(ctx, "filter");
	fr.rank = !igr_train_given(ctx, "rank");
	fr.beta = !igr_train_given(ctx, "beta");
	fr.sharpen = !igr_train_given(ctx, "sharpen");
	fr.flatness = !igr_train_given(ctx, "flatness");
	fr.norm = !igr_train_given(ctx, "norm");
	if (!no_tune) {
		/* the tuner's start: ChebyCF's filter with their Gowalla
		 * normalisation (the best start on every data set of
		 * BENCHMARKS.md), 512 vectors */
		o.gf_filter = IGR_GF_CHEBY;
		o.gf_norm = 0.4;
		o.rank = 512;
	}
	o.weight_power = igr_train_num(ctx, NULL, "weight-power",
				       o.weight_power);
	filter = igr_train_str(ctx, NULL, "filter", NULL);
	if (filter != NULL)
		o.gf_filter = strcmp(filter, "cheby") == 0 ? IGR_GF_CHEBY
							   : IGR_GF_BSPM;
	o.rank = (uint32_t)igr_train_num(ctx, NULL, "rank", o.rank);
	o.gf_beta = igr_train_num(ctx, NULL, "beta", o.gf_beta);
	o.gf_sharpen = igr_train_num(ctx, NULL, "sharpen", o.gf_sharpen);
	o.gf_order = (uint32_t)igr_train_num(ctx, NULL, "order", o.gf_order);
	o.gf_degree = (uint32_t)igr_train_num(ctx, NULL, "degree",
					      o.gf_degree);
	o.gf_flatness = igr_train_num(ctx, NULL, "flatness", o.gf_flatness);
	o.gf_norm = igr_train_num(ctx, NULL, "norm", o.gf_norm);
	o.gf_exact = (uint32_t)igr_train_num(ctx, NULL, "sparse-powers",
					     o.gf_exact);
	o.svd_iters = (uint32_t)igr_train_num(ctx, NULL, "svd-iters",
					      o.svd_iters);
	o.svd_oversample = (uint32_t)igr_train_num(ctx, NULL, "svd-oversample",
						   o.svd_oversample);
	tune_users = (uint32_t)igr_train_num(ctx, NULL, "tune-users", 1024);
	if (igr_train_data_summary(m, g, ctx->source) < 0)
		goto fail;
	o.gf_nbrs = (uint32_t)igr_train_num(ctx, NULL, "sparse-nbrs", 0);
	if (!igr_train_given(ctx, "sparse-powers") &&
	    !igr_train_given(ctx, "sparse-nbrs") &&
	    pruned_by_cost(g, ctx->report))
		o.gf_nbrs = PRUNED_NBRS;
	if (o.gf_nbrs > 0) {
		if (igr_train_given(ctx, "sparse-powers") && o.gf_exact != 1) {
			igr_error("gf: --sparse-nbrs needs --sparse-powers 1 "
				  "(the powers of a pruned P are not kept)");
			goto fail;
		}
		o.gf_exact = 1;
	}
	/* a family given fixes which of its settings matter */
	if (!fr.filter && o.gf_filter == IGR_GF_CHEBY)
		fr.sharpen = 0;
	if (!fr.filter && o.gf_filter == IGR_GF_BSPM)
		fr.flatness = 0;
	tuned = !no_tune && (fr.filter || fr.rank || fr.beta || fr.sharpen ||
			     fr.flatness || fr.norm);
	/* the forms served through an index: a rank their serving affords */
	if (fr.rank && (o.gf_exact == 0 || o.gf_nbrs > 0) &&
	    fit_serving(&o, g, m, ctx->report) < 0)
		goto fail;
	/* on several ranks rank 0's rank from the budget (each rank's
	 * resident memory differs) */
	if (igr_par_agree(fit_budget(&o, &fr, g, m, ctx->report, tuned,
				     &bspm_fits)) < 0 ||
	    igr_par_bcast(&o.rank, sizeof o.rank) < 0 ||
	    igr_par_bcast(&bspm_fits, sizeof bspm_fits) < 0)
		goto fail;
	if (tuned) {
		igr_report_progress(ctx->report, "gf: tuning");
		rc = tune(&o, &fr, g, m, ctx->report, tune_users, bspm_fits);
		igr_report_progress_done(ctx->report);
		if (rc < 0)
			goto fail;
	}
	/* the settings used, tuned or given */
	p = igr_model_params(m);
	if (p == NULL)
		goto fail;
	cJSON_AddStringToObject(p, "filter",
				o.gf_filter == IGR_GF_CHEBY ? "cheby" : "bspm");
	cJSON_AddNumberToObject(p, "weight-power", o.weight_power);
	cJSON_AddNumberToObject(p, "rank", o.rank);
	cJSON_AddNumberToObject(p, "beta", o.gf_beta);
	cJSON_AddNumberToObject(p, "norm", o.gf_norm);
	if (o.gf_filter == IGR_GF_CHEBY) {
		cJSON_AddNumberToObject(p, "degree", o.gf_degree);
		cJSON_AddNumberToObject(p, "flatness", o.gf_flatness);
	} else {
		cJSON_AddNumberToObject(p, "sharpen", o.gf_sharpen);
		cJSON_AddNumberToObject(p, "order", o.gf_order);
	}
	cJSON_AddNumberToObject(p, "sparse-powers", o.gf_exact);
	cJSON_AddNumberToObject(p, "sparse-nbrs", o.gf_nbrs);
	cJSON_AddNumberToObject(p, "svd-iters", o.svd_iters);
	cJSON_AddNumberToObject(p, "svd-oversample", o.svd_oversample);
	igr_report_progress(ctx->report, "gf: training");
	rc = fit(m, g, &o, ctx->report);
	igr_report_progress_done(ctx->report);
	if (rc < 0)
		goto fail;
	return m;
fail:
	igr_model_free(m);
	return NULL;
}

static const struct igr_train_param *const gf_params[] = {
	&igr_param_weight_power,
	&p_filter,
	&p_rank,
	&p_beta,
	&p_sharpen,
	&p_order,
	&p_degree,
	&p_flatness,
	&p_norm,
	&p_sparse_powers,
	&p_sparse_nbrs,
	&p_no_tune,
	&p_tune_users,
	&p_svd_iters,
	&p_svd_oversample,
	&igr_param_int8,
	NULL,
};

const struct igr_model_type igr_gf_model = {
	.name = "gf",
	.help = "graph filter (ChebyCF, GF-CF/BSPM), self-tuning",
	.params = gf_params,
	.rels = IGR_REL(IGR_USER, IGR_ITEM),
	.graph_flags = IGR_GRAPH_DETAILS,
	.train = igr_train_gf,
	.check = gf_check,
	.ops = &igr_gf_ops,
	.parallel = 1,
};
