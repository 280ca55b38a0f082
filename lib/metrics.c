/* metrics.c - offline evaluation of recommendations (see metrics.h). */
#include "metrics.h"
#include "error.h"
#include "mem.h"
#include "par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[IGR_NMETRIC] = {
	"precision", "recall", "f1", "ndcg", "hit", "map", "mrr",
};

const char *igr_metric_name(int m)
{
	return m >= 0 && m < IGR_NMETRIC ? metric_names[m] : NULL;
}

/* ---- sorting --------------------------------------------------------- */

/* LSD radix sort of 64-bit keys, one byte per pass; passes in which every
 * key has the same byte are skipped (dense ids use few bytes).  TMP holds
 * N keys.  Much faster than qsort at the sizes an evaluation sees. */
static void radix_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t cnt[8][256];
	uint64_t *src = a, *dst = tmp, *t;
	size_t i;
	int b;

	if (n < 2)
		return;
	memset(cnt, 0, sizeof cnt);
	for (i = 0; i < n; i++)
		for (b = 0; b < 8; b++)
			cnt[b][(a[i] >> (8 * b)) & 0xff]++;
	for (b = 0; b < 8; b++) {
		size_t sum = 0, c;
		int v;

		if (cnt[b][(a[0] >> (8 * b)) & 0xff] == n)
			continue;
		for (v = 0; v < 256; v++) {
			c = cnt[b][v];
			cnt[b][v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[b][(src[i] >> (8 * b)) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* ---- one user ------------------------------------------------------- */

/* IDCG(m) = sum_{i=1..m} 1 / log2(i + 1) for m = 0..kmax. */
static double *idcg_table(uint32_t kmax)
{
	double *t = malloc(((size_t)kmax + 1) * sizeof *t);
	uint32_t i;

	if (t == NULL)
		return NULL;
	t[0] = 0;
	for (i = 1; i <= kmax; i++)
		t[i] = t[i - 1] + 1.0 / log2((double)i + 1.0);
	return t;
}

/* Metrics at cutoff K of a list with HITS relevant items in its first K
 * positions, discounted gain DCG, sum of precisions at the hits APSUM and
 * first-hit reciprocal rank RR. */
static void snap(double *o, size_t hits, size_t ntruth, uint32_t k,
		 double dcg, double apsum, double rr, const double *idcg)
{
	double p = (double)hits / k, r = (double)hits / (double)ntruth;
	size_t m = ntruth < k ? ntruth : k;

	o[IGR_M_PRECISION] = p;
	o[IGR_M_RECALL] = r;
	o[IGR_M_F1] = p + r > 0 ? 2 * p * r / (p + r) : 0;
	o[IGR_M_NDCG] = dcg / idcg[m];
	o[IGR_M_HIT] = hits > 0;
	o[IGR_M_MAP] = apsum / (double)m;
	o[IGR_M_MRR] = rr;
}

/* The metrics of one list at every cutoff (see metrics.h for the
 * definitions).  IDCG holds idcg_table(k[nk - 1]). */
static void user_metrics(const uint8_t *rel, size_t n, size_t ntruth,
			 const uint32_t *k, int nk, const double *idcg,
			 double *out)
{
	size_t lim = n < k[nk - 1] ? n : k[nk - 1];
	size_t pos, hits = 0;
	double dcg = 0, apsum = 0, rr = 0;
	int j = 0;

	for (pos = 1; pos <= lim; pos++) {
		if (rel[pos - 1]) {
			hits++;
			/* Järvelin & Kekäläinen (TOIS 2002) DCG with the
			 * log2(p + 1) discount of Burges et al. (ICML 2005);
			 * binary gains make the two forms agree. */
			dcg += 1.0 / log2((double)pos + 1.0);
			apsum += (double)hits / (double)pos;
			if (hits == 1)
				rr = 1.0 / (double)pos;
		}
		for (; j < nk && k[j] == pos; j++)
			snap(out + (size_t)j * IGR_NMETRIC, hits, ntruth,
			     k[j], dcg, apsum, rr, idcg);
	}
	/* cutoffs past the end of the list: nothing more can be hit */
	for (; j < nk; j++)
		snap(out + (size_t)j * IGR_NMETRIC, hits, ntruth, k[j], dcg,
		     apsum, rr, idcg);
}

static int check_k(const uint32_t *k, int nk)
{
	int j;

	if (nk < 1 || nk > IGR_EVAL_MAXK)
		return igr_error("between 1 and %d cutoffs are needed",
				 IGR_EVAL_MAXK);
	for (j = 0; j < nk; j++)
		if (k[j] < 1 || k[j] > IGR_EVAL_KMAX ||
		    (j > 0 && k[j] <= k[j - 1]))
			return igr_error("cutoffs must be ascending in 1-%u",
					 IGR_EVAL_KMAX);
	return 0;
}

int igr_metrics_user(const uint8_t *rel, size_t n, size_t ntruth,
		     const uint32_t *k, int nk, double *out)
{
	double *idcg;

	if (check_k(k, nk) < 0)
		return -1;
	if (ntruth == 0)
		return igr_error("a user without truth has no metrics");
	idcg = idcg_table(k[nk - 1]);
	if (idcg == NULL)
		return igr_syserror("out of memory");
	user_metrics(rel, n, ntruth, k, nk, idcg, out);
	free(idcg);
	return 0;
}

/* ---- probability metrics ---------------------------------------------- */

/* Order-preserving map of a float to an unsigned key (-0 and +0 equal). */
static uint32_t float_key(float f)
{
	uint32_t u;

	if (f == 0)
		f = 0;
	memcpy(&u, &f, sizeof u);
	return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

int igr_auc(const float *p, const uint8_t *y, size_t n, double *auc)
{
	uint64_t *key, *tmp;
	size_t i, j;
	double npos = 0, nneg = 0, u = 0;

	*auc = NAN;
	if (n == 0)
		return 0;
	key = malloc(n * sizeof *key);
	tmp = malloc(n * sizeof *tmp);
	if (key == NULL || tmp == NULL) {
		free(key);
		free(tmp);
		return igr_syserror("out of memory");
	}
	for (i = 0; i < n; i++) {
		if (isnan(p[i])) {
			free(key);
			free(tmp);
			return igr_error("score of pair %zu is NaN", i + 1);
		}
		key[i] = (uint64_t)float_key(p[i]) << 32 | (y[i] != 0);
	}
	radix_u64(key, tmp, n);
	/* Mann-Whitney: each positive gets 1 for every negative scored
	 * below it and 1/2 for every negative tied with it. */
	for (i = 0; i < n; i = j) {
		double gp = 0, gn = 0;
		for (j = i; j < n && key[j] >> 32 == key[i] >> 32; j++) {
			if (key[j] & 1)
				gp++;
			else
				gn++;
		}
		u += gp * (nneg + gn / 2);
		npos += gp;
		nneg += gn;
	}
	free(key);
	free(tmp);
	if (npos > 0 && nneg > 0)
		*auc = u / (npos * nneg);
	return 0;
}

/* ---- grouped scores -------------------------------------------------- */

struct gpair {
	uint32_t user, item;
	float p;
	uint8_t y;
};

/* By user, then in the rerank order. */
static int gpair_cmp(const void *a, const void *b)
{
	const struct gpair *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return igr_rank_cmp(x->p, x->item, y->p, y->item);
}

int igr_grouped_scores(const float *p, const uint8_t *y, const uint32_t *user,
		       const uint32_t *item, size_t n, uint32_t k, double *ndcg,
		       double *gauc)
{
	struct gpair *g = malloc((n ? n : 1) * sizeof *g);
	float *gp = malloc((n ? n : 1) * sizeof *gp);
	uint8_t *rel = malloc(n ? n : 1);
	double sn = 0, sa = 0, m[IGR_NMETRIC];
	size_t un = 0, ua = 0, i, j, npos;
	int rc = -1;

	if (g == NULL || gp == NULL || rel == NULL) {
		igr_error("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (isnan(p[i])) {
			igr_error("a NaN score");
			goto out;
		}
		g[i].user = user[i];
		g[i].item = item[i];
		g[i].p = p[i];
		g[i].y = y[i] != 0;
	}
	if (n > 1)
		qsort(g, n, sizeof *g, gpair_cmp);
	for (i = 0; i < n; i = j) {
		npos = 0;
		for (j = i; j < n && g[j].user == g[i].user; j++) {
			rel[j - i] = g[j].y;
			gp[j - i] = g[j].p;
			npos += g[j].y;
		}
		if (npos == 0)
			continue;
		if (igr_metrics_user(rel, j - i, npos, &k, 1, m) < 0)
			goto out;
		sn += m[IGR_M_NDCG];
		un++;
		if (npos < j - i) {
			double a;
			if (igr_auc(gp, rel, j - i, &a) < 0)
				goto out;
			sa += a;
			ua++;
		}
	}
	*ndcg = un ? sn / (double)un : NAN;
	*gauc = ua ? sa / (double)ua : NAN;
	rc = 0;
out:
	free(g);
	free(gp);
	free(rel);
	return rc;
}

double igr_logloss(const float *p, const uint8_t *y, size_t n, double eps)
{
	double sum = 0;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		double q = p[i];
		if (q < eps)
			q = eps;
		if (q > 1 - eps)
			q = 1 - eps;
		sum -= y[i] ? log(q) : log1p(-q);
	}
	return sum / (double)n;
}

double igr_brier(const float *p, const uint8_t *y, size_t n)
{
	double sum = 0;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		double d = (double)p[i] - (y[i] != 0);
		sum += d * d;
	}
	return sum / (double)n;
}

double igr_calibration(const float *p, const uint8_t *y, size_t n, int nbins,
		       igr_calib_bin *bins)
{
	double ece = 0;
	size_t i;
	int b;

	for (b = 0; b < nbins; b++) {
		bins[b].lo = (double)b / nbins;
		bins[b].hi = (double)(b + 1) / nbins;
		bins[b].n = bins[b].pos = 0;
		bins[b].sum_p = 0;
	}
	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		double q = p[i];
		b = (int)(q * nbins);
		if (b >= nbins)
			b = nbins - 1;
		if (b < 0)
			b = 0;
		bins[b].n++;
		bins[b].pos += y[i] != 0;
		bins[b].sum_p += q;
	}
	for (b = 0; b < nbins; b++)
		if (bins[b].n > 0)
			ece += fabs(bins[b].sum_p - (double)bins[b].pos) /
			       (double)n;
	return ece;
}

/* ---- significance ------------------------------------------------------ */

/* Continued fraction of I_x(a, b) (DLMF 8.17.22), evaluated with the
 * modified Lentz method (Lentz 1976; Thompson & Barnett 1986). */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double f = 1, c = 1, d = 0;
	int i;

	for (i = 1; i <= 100000; i++) {
		int m = i / 2;
		double num, delta;
		if (i & 1)
			num = -(a + m) * (a + b + m) * x /
			      ((a + 2 * m) * (a + 2 * m + 1));
		else
			num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + num * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		delta = c * d;
		f *= delta;
		if (fabs(delta - 1) < 1e-15)
			break;
	}
	return f;
}

double igr_betai(double a, double b, double x)
{
	double lfront;

	if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
		return NAN;
	if (x == 0 || x == 1)
		return x;
	/* the fraction converges fast for x < (a+1)/(a+b+2); otherwise use
	 * I_x(a, b) = 1 - I_{1-x}(b, a) */
	if (x > (a + 1) / (a + b + 2))
		return 1 - igr_betai(b, a, 1 - x);
	lfront = a * log(x) + b * log1p(-x) + lgamma(a + b) - lgamma(a) -
		 lgamma(b);
	return exp(lfront) / a / betacf(a, b, x);
}

double igr_t_pvalue(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;
	/* P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2) */
	return igr_betai(df / 2, 0.5, df / (df + t * t));
}

double igr_sign_pvalue(uint64_t w, uint64_t l)
{
	uint64_t n = w + l, k = w < l ? w : l;
	double p;

	if (n == 0 || 2 * k == n)
		return 1;
	/* P(X <= k) for X ~ Bin(n, 1/2) is I_{1/2}(n - k, k + 1) */
	p = 2 * igr_betai((double)(n - k), (double)k + 1, 0.5);
	return p > 1 ? 1 : p;
}

void igr_paired_test(const double *a, const double *b, size_t n,
		     size_t stride, igr_paired *out)
{
	double sa = 0, sb = 0, mean, ss = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	out->n = n;
	for (i = 0; i < n; i++) {
		double x = a[i * stride], y = b[i * stride];
		sa += x;
		sb += y;
		if (y > x)
			out->b_better++;
		else if (x > y)
			out->a_better++;
		else
			out->ties++;
	}
	out->mean_a = n ? sa / (double)n : NAN;
	out->mean_b = n ? sb / (double)n : NAN;
	out->diff = out->mean_b - out->mean_a;
	out->p_sign = igr_sign_pvalue(out->b_better, out->a_better);
	out->t = NAN;
	out->p_ttest = NAN;
	if (n < 2)
		return;
	mean = (sb - sa) / (double)n;
	/* two-pass variance of the differences (no cancellation) */
	for (i = 0; i < n; i++) {
		double d = b[i * stride] - a[i * stride] - mean;
		ss += d * d;
	}
	if (ss == 0) {
		/* every difference is the same: certain */
		out->p_ttest = mean == 0 ? 1 : 0;
		out->t = mean == 0 ? 0 : mean > 0 ? INFINITY : -INFINITY;
		return;
	}
	out->t = mean / sqrt(ss / (double)(n - 1) / (double)n);
	out->p_ttest = igr_t_pvalue(out->t, (double)(n - 1));
}

/* ---- the evaluation ------------------------------------------------- */

struct rec {
	uint32_t user, rank, item;
	float score;
};

struct run {
	struct rec *r;
	size_t n, cap;
	int nbins; /* > 0: probability metrics */
	igr_eval_result res;
};

struct igr_eval {
	uint32_t k[IGR_EVAL_MAXK];
	int nk;
	int nruns;
	int done;
	int failed_run; /* run whose computation failed, -1: the truth */
	uint64_t *truth; /* user << 32 | item; sorted and distinct once run */
	size_t ntruth, truth_cap;
	int64_t max_item;
	/* after the run: users with truth and their range in truth[] */
	uint32_t *users, *user_ntruth;
	size_t *toff;
	size_t nusers;
	struct run run[2];
};

igr_eval *igr_eval_new(const uint32_t *k, int nk, int nruns)
{
	igr_eval *ev;
	uint32_t s[IGR_EVAL_MAXK];
	int i, n = 0;

	if (nk < 1 || nk > IGR_EVAL_MAXK) {
		igr_error("between 1 and %d cutoffs are needed",
			  IGR_EVAL_MAXK);
		return NULL;
	}
	if (nruns < 1 || nruns > 2) {
		igr_error("one or two runs can be evaluated");
		return NULL;
	}
	memcpy(s, k, (size_t)nk * sizeof *k);
	qsort(s, (size_t)nk, sizeof *s, cmp_u32);
	for (i = 0; i < nk; i++) {
		if (s[i] < 1 || s[i] > IGR_EVAL_KMAX) {
			igr_error("cutoff %u is not in 1-%u", s[i],
				  IGR_EVAL_KMAX);
			return NULL;
		}
		if (n == 0 || s[i] != s[n - 1])
			s[n++] = s[i];
	}
	ev = calloc(1, sizeof *ev);
	if (ev == NULL) {
		igr_syserror("out of memory");
		return NULL;
	}
	memcpy(ev->k, s, (size_t)n * sizeof *s);
	ev->nk = n;
	ev->nruns = nruns;
	ev->max_item = -1;
	return ev;
}

void igr_eval_free(igr_eval *ev)
{
	int i;

	if (ev == NULL)
		return;
	for (i = 0; i < 2; i++) {
		free(ev->run[i].r);
		free(ev->run[i].res.user);
		free(ev->run[i].res.user_nrecs);
		free(ev->run[i].res.prob.bins);
	}
	free(ev->truth);
	free(ev->users);
	free(ev->user_ntruth);
	free(ev->toff);
	free(ev);
}

int igr_eval_k(const igr_eval *ev, const uint32_t **k)
{
	*k = ev->k;
	return ev->nk;
}

int igr_eval_set_prob(igr_eval *ev, int run, int nbins)
{
	if (run < 0 || run >= ev->nruns)
		return igr_error("no run %d", run);
	if (nbins < 1 || nbins > 1000)
		return igr_error("calibration bins must be in 1-1000");
	ev->run[run].nbins = nbins;
	return 0;
}

int igr_eval_add_truth(igr_eval *ev, uint32_t user, uint32_t item)
{
	if (ev->done)
		return igr_error("the evaluation has already run");
	if (igr_grow(&ev->truth, &ev->truth_cap, ev->ntruth + 1,
		     sizeof *ev->truth) < 0)
		return -1;
	ev->truth[ev->ntruth++] = (uint64_t)user << 32 | item;
	if ((int64_t)item > ev->max_item)
		ev->max_item = item;
	return 0;
}

int igr_eval_add_rec(igr_eval *ev, int run, uint32_t user, uint32_t item,
		     uint32_t rank, float score)
{
	struct run *r;

	if (ev->done)
		return igr_error("the evaluation has already run");
	if (run < 0 || run >= ev->nruns)
		return igr_error("no run %d", run);
	r = &ev->run[run];
	if (rank == 0)
		return igr_error("user %u item %u: rank 0 (ranks start at 1)",
				 user, item);
	if (r->nbins > 0 && !(score >= 0 && score <= 1))
		return igr_error("user %u item %u: score %g is not a "
				 "probability in [0, 1]", user, item,
				 (double)score);
	if (igr_grow(&r->r, &r->cap, r->n + 1, sizeof *r->r) < 0)
		return -1;
	r->r[r->n].user = user;
	r->r[r->n].rank = rank;
	r->r[r->n].item = item;
	r->r[r->n].score = score;
	r->n++;
	if ((int64_t)item > ev->max_item)
		ev->max_item = item;
	return 0;
}

/* List order: user, rank, then higher score, then item id (a total
 * order, so the result never depends on the input order). */
static int rec_cmp(const struct rec *a, const struct rec *b)
{
	uint32_t ka, kb;

	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	ka = isnan(a->score) ? 0 : float_key(a->score);
	kb = isnan(b->score) ? 0 : float_key(b->score);
	if (ka != kb)
		return ka > kb ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

static int rec_qcmp(const void *x, const void *y)
{
	return rec_cmp(x, y);
}

/* Sort a run's records into list order.  Already sorted input (the usual
 * output of igraph-recommend) costs one pass; otherwise a stable radix
 * sort on (user, rank) and a comparison sort of each run of equal
 * (user, rank). */
static int sort_recs(struct run *r)
{
	size_t i, j, n = r->n;
	size_t cnt[8][256];
	struct rec *tmp, *a;
	int b;

	for (i = 1; i < n && rec_cmp(&r->r[i - 1], &r->r[i]) <= 0; i++)
		;
	if (i >= n)
		return 0;
	tmp = malloc(n * sizeof *tmp);
	if (tmp == NULL)
		return igr_syserror("out of memory");
	memset(cnt, 0, sizeof cnt);
	a = r->r;
	for (i = 0; i < n; i++) {
		uint64_t key = (uint64_t)a[i].user << 32 | a[i].rank;
		for (b = 0; b < 8; b++)
			cnt[b][(key >> (8 * b)) & 0xff]++;
	}
	for (b = 0; b < 8; b++) {
		uint64_t k0 = (uint64_t)a[0].user << 32 | a[0].rank;
		size_t sum = 0, c;
		struct rec *t;
		int v;

		if (cnt[b][(k0 >> (8 * b)) & 0xff] == n)
			continue;
		for (v = 0; v < 256; v++) {
			c = cnt[b][v];
			cnt[b][v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			uint64_t key = (uint64_t)a[i].user << 32 | a[i].rank;
			tmp[cnt[b][(key >> (8 * b)) & 0xff]++] = a[i];
		}
		t = a;
		a = tmp;
		tmp = t;
	}
	if (a != r->r) {
		memcpy(r->r, a, n * sizeof *a);
		tmp = a;
	}
	free(tmp);
	a = r->r;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && a[j].user == a[i].user &&
				a[j].rank == a[i].rank; j++)
			;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof *a, rec_qcmp);
	}
	return 0;
}

/* Sort and merge the truth; build the user index. */
static int prepare_truth(igr_eval *ev)
{
	uint64_t *tmp;
	size_t i, n = 0, u = 0;

	if (ev->ntruth > 0) {
		tmp = malloc(ev->ntruth * sizeof *tmp);
		if (tmp == NULL)
			return igr_syserror("out of memory");
		radix_u64(ev->truth, tmp, ev->ntruth);
		free(tmp);
	}
	for (i = 0; i < ev->ntruth; i++)
		if (n == 0 || ev->truth[i] != ev->truth[n - 1]) {
			ev->truth[n++] = ev->truth[i];
			if (n == 1 || ev->truth[n - 1] >> 32 !=
					      ev->truth[n - 2] >> 32)
				u++;
		}
	ev->ntruth = n;
	if (u == 0)
		return igr_error("no user has truth events");
	ev->users = malloc(u * sizeof *ev->users);
	ev->user_ntruth = malloc(u * sizeof *ev->user_ntruth);
	ev->toff = malloc((u + 1) * sizeof *ev->toff);
	if (ev->users == NULL || ev->user_ntruth == NULL || ev->toff == NULL)
		return igr_syserror("out of memory");
	u = 0;
	for (i = 0; i < n; i++)
		if (i == 0 || ev->truth[i] >> 32 != ev->truth[i - 1] >> 32) {
			ev->users[u] = (uint32_t)(ev->truth[i] >> 32);
			ev->toff[u++] = i;
		}
	ev->toff[u] = n;
	ev->nusers = u;
	for (i = 0; i < u; i++)
		ev->user_ntruth[i] = (uint32_t)(ev->toff[i + 1] - ev->toff[i]);
	return 0;
}

/* Is (user, item) in truth[lo, hi)? */
static int in_truth(const uint64_t *t, size_t lo, size_t hi, uint64_t key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid] < key)
			lo = mid + 1;
		else if (t[mid] > key)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* Scratch space of one run's computation. */
struct work {
	uint8_t *rel;      /* kmax */
	uint32_t *items;   /* longest list, for duplicate checks */
	size_t items_cap;
	uint64_t *cov;     /* item << 32 | position, top-kmax of users */
	size_t ncov;
	float *p;          /* probability pairs */
	uint8_t *y;
	size_t np;
	double *um;        /* one user's metrics */
	double *idcg;
};

static int check_dups(struct work *w, const struct rec *r, size_t n)
{
	size_t i;

	if (igr_grow(&w->items, &w->items_cap, n, sizeof *w->items) < 0)
		return -1;
	for (i = 0; i < n; i++)
		w->items[i] = r[i].item;
	qsort(w->items, n, sizeof *w->items, cmp_u32);
	for (i = 1; i < n; i++)
		if (w->items[i] == w->items[i - 1])
			return igr_error("user %u: item %u is listed twice",
					 r[0].user, w->items[i]);
	return 0;
}

/* The dense user ids [*LO, *HI) whose lists this rank computes (par.h):
 * the users of the truth and of the lists, cut into ranges of about equal
 * truth pairs plus records.  Every user on one rank: [0, 2^32). */
static int user_range(const igr_eval *ev, const struct run *rn, uint64_t *lo,
		      uint64_t *hi)
{
	size_t cap = ev->nusers + rn->n, m = 0, ti = 0, ri = 0, a, b;
	uint32_t *id;
	uint64_t *w;
	int rc = 0;

	*lo = 0;
	*hi = (uint64_t)1 << 32;
	if (igr_par_size() == 1)
		return 0;
	id = malloc((cap ? cap : 1) * sizeof *id);
	w = malloc((cap ? cap : 1) * sizeof *w);
	if (id == NULL || w == NULL) {
		free(id);
		free(w);
		return igr_error("out of memory");
	}
	while (ti < ev->nusers || ri < rn->n) {
		uint64_t tu = ti < ev->nusers ? ev->users[ti] : UINT64_MAX;
		uint64_t ru = ri < rn->n ? rn->r[ri].user : UINT64_MAX;
		uint64_t u = tu < ru ? tu : ru;
		id[m] = (uint32_t)u;
		w[m] = 0;
		if (tu == u) {
			w[m] += ev->toff[ti + 1] - ev->toff[ti];
			ti++;
		}
		for (; ri < rn->n && rn->r[ri].user == u; ri++)
			w[m]++;
		m++;
	}
	if (igr_par_range(w, m, &a, &b) < 0)
		rc = -1;
	else {
		*lo = a < m ? id[a] : (uint64_t)1 << 32;
		*hi = b < m ? id[b] : (uint64_t)1 << 32;
	}
	free(id);
	free(w);
	return rc;
}

/* On several ranks: rank 0 gets every rank's per-user values (*MINE, N
 * bytes, replaced by the whole run's, in user order, on rank 0). */
static int gather_into(void **mine, size_t n)
{
	void *all;
	size_t total;

	if (igr_par_size() == 1)
		return 0;
	if (igr_par_gather(*mine, n, &all, &total) < 0)
		return -1;
	free(*mine);
	*mine = all;
	return 0;
}

static int eval_run(igr_eval *ev, struct run *rn, unsigned flags)
{
	igr_eval_result *res = &rn->res;
	const uint32_t kmax = ev->k[ev->nk - 1];
	const size_t stride = (size_t)ev->nk * IGR_NMETRIC;
	const int par = igr_par_size() > 1;
	struct work w;
	double sum[IGR_EVAL_MAXK * IGR_NMETRIC];
	size_t ti = 0, ri = 0, t0 = 0, i;
	uint64_t lo, hi;
	int rc = -1, j, m;

	memset(&w, 0, sizeof w);
	memset(sum, 0, sizeof sum);
	res->recs = rn->n;
	if (sort_recs(rn) < 0 || user_range(ev, rn, &lo, &hi) < 0)
		goto agree;
	w.rel = malloc(kmax);
	w.um = malloc(stride * sizeof *w.um);
	w.idcg = idcg_table(kmax);
	w.cov = malloc((rn->n ? rn->n : 1) * sizeof *w.cov);
	if (w.rel == NULL || w.um == NULL || w.idcg == NULL || w.cov == NULL)
		goto oom;
	/* this rank's users: the truth users and records from LO on */
	while (ti < ev->nusers && ev->users[ti] < lo)
		ti++;
	while (ri < rn->n && rn->r[ri].user < lo)
		ri++;
	t0 = ti;
	for (i = ti; i < ev->nusers && ev->users[i] < hi; i++)
		;
	/* per-user values: every user's when asked for, and on several
	 * ranks always (rank 0 sums them in user order, as one rank does) */
	if ((flags & IGR_EVAL_PER_USER) || par) {
		res->user = calloc((i - t0) * stride + 1, sizeof *res->user);
		res->user_nrecs = calloc(i - t0 + 1, sizeof *res->user_nrecs);
		if (res->user == NULL || res->user_nrecs == NULL)
			goto oom;
	}
	if (rn->nbins > 0) {
		w.p = malloc((rn->n ? rn->n : 1) * sizeof *w.p);
		w.y = malloc(rn->n ? rn->n : 1);
		res->prob.bins = calloc((size_t)rn->nbins,
					sizeof *res->prob.bins);
		if (w.p == NULL || w.y == NULL || res->prob.bins == NULL)
			goto oom;
	}
	/* walk the users of the truth and of the lists together, both in
	 * ascending user order */
	while (ti < ev->nusers || ri < rn->n) {
		uint64_t tu = ti < ev->nusers ? ev->users[ti] : UINT64_MAX;
		uint64_t ru = ri < rn->n ? rn->r[ri].user : UINT64_MAX;
		uint64_t u = tu < ru ? tu : ru;
		const struct rec *list = rn->r + ri;
		size_t n = 0, tlo = 0, thi = 0;

		if (u >= hi)
			break;
		while (ri + n < rn->n && rn->r[ri + n].user == u)
			n++;
		if (n > 1 && check_dups(&w, list, n) < 0)
			goto agree;
		for (i = 1; i < n; i++)
			res->rank_ties += list[i].rank == list[i - 1].rank;
		if (tu == u) {
			size_t lim = n < kmax ? n : kmax;
			double *out = res->user ? res->user + (ti - t0) * stride
						: w.um;
			tlo = ev->toff[ti];
			thi = ev->toff[ti + 1];
			for (i = 0; i < lim; i++) {
				w.rel[i] = (uint8_t)in_truth(ev->truth, tlo,
					thi, u << 32 | list[i].item);
				w.cov[w.ncov++] =
					(uint64_t)list[i].item << 32 | (i + 1);
			}
			user_metrics(w.rel, lim, thi - tlo, ev->k, ev->nk,
				     w.idcg, out);
			if (!par)
				for (i = 0; i < stride; i++)
					sum[i] += out[i];
			if (res->user_nrecs)
				res->user_nrecs[ti - t0] = (uint32_t)n;
			res->users_listed += n > 0;
			ti++;
		} else {
			res->users_ignored++;
			res->recs_ignored += n;
		}
		if (rn->nbins > 0)
			for (i = 0; i < n; i++) {
				w.p[w.np] = list[i].score;
				w.y[w.np++] = (uint8_t)in_truth(ev->truth, tlo,
					thi, u << 32 | list[i].item);
			}
		ri += n;
	}
	rc = 0;
	goto agree;
oom:
	igr_syserror("out of memory");
agree:
	/* every rank past its own users: the rest is collective */
	if (igr_par_agree(rc) < 0)
		goto fail;
	rc = -1;
	if (par) {
		/* rank 0 gets what one rank would have, in user order */
		igr_par_step("per-user values");
		uint64_t c[6] = { res->users_listed, res->users_ignored,
				  res->recs_ignored, res->rank_ties, w.ncov,
				  w.np };
		if (igr_par_sum_u64(c, 6) < 0 ||
		    gather_into((void **)&res->user,
				(ti - t0) * stride * sizeof *res->user) < 0 ||
		    gather_into((void **)&res->user_nrecs,
				(ti - t0) * sizeof *res->user_nrecs) < 0 ||
		    gather_into((void **)&w.cov, w.ncov * sizeof *w.cov) < 0 ||
		    (rn->nbins > 0 &&
		     (gather_into((void **)&w.p, w.np * sizeof *w.p) < 0 ||
		      gather_into((void **)&w.y, w.np) < 0)))
			goto fail;
		res->users_listed = c[0];
		res->users_ignored = c[1];
		res->recs_ignored = c[2];
		res->rank_ties = c[3];
		w.ncov = c[4];
		w.np = c[5];
		if (igr_par_rank() > 0) {
			rc = 0; /* rank 0 has the results */
			goto fail;
		}
		for (ti = 0; ti < ev->nusers; ti++)
			for (i = 0; i < stride; i++)
				sum[i] += res->user[ti * stride + i];
		if (!(flags & IGR_EVAL_PER_USER)) {
			free(res->user);
			free(res->user_nrecs);
			res->user = NULL;
			res->user_nrecs = NULL;
		}
	}
	for (j = 0; j < ev->nk; j++)
		for (m = 0; m < IGR_NMETRIC; m++)
			res->mean[j][m] = sum[j * IGR_NMETRIC + m] /
					  (double)ev->nusers;
	/* coverage: the best position each item reached in any list */
	{
		uint64_t *tmp = malloc((w.ncov ? w.ncov : 1) * sizeof *tmp);
		if (tmp == NULL) {
			igr_syserror("out of memory");
			goto fail;
		}
		radix_u64(w.cov, tmp, w.ncov);
		free(tmp);
		for (i = 0; i < w.ncov; i++) {
			uint32_t best;
			if (i > 0 && w.cov[i] >> 32 == w.cov[i - 1] >> 32)
				continue;
			best = (uint32_t)w.cov[i];
			for (j = 0; j < ev->nk; j++)
				res->covered[j] += best <= ev->k[j];
		}
	}
	if (rn->nbins > 0) {
		igr_prob_result *pr = &res->prob;
		pr->pairs = w.np;
		for (i = 0; i < w.np; i++)
			pr->positives += w.y[i];
		pr->unscored = ev->ntruth - pr->positives;
		if (igr_auc(w.p, w.y, w.np, &pr->auc) < 0)
			goto fail;
		/* sklearn's historical log_loss clip, 1e-15 */
		pr->logloss = igr_logloss(w.p, w.y, w.np, 1e-15);
		pr->brier = igr_brier(w.p, w.y, w.np);
		pr->nbins = rn->nbins;
		pr->ece = igr_calibration(w.p, w.y, w.np, rn->nbins, pr->bins);
		res->has_prob = 1;
	}
	rc = 0;
fail:
	free(w.rel);
	free(w.items);
	free(w.cov);
	free(w.p);
	free(w.y);
	free(w.um);
	free(w.idcg);
	return rc;
}

int igr_eval_run(igr_eval *ev, unsigned flags)
{
	int i;

	if (ev->done)
		return igr_error("the evaluation has already run");
	ev->done = 1;
	ev->failed_run = -1;
	if (prepare_truth(ev) < 0)
		return -1;
	for (i = 0; i < ev->nruns; i++)
		if (eval_run(ev, &ev->run[i], flags) < 0) {
			ev->failed_run = i;
			return -1;
		}
	return 0;
}

int igr_eval_failed_run(const igr_eval *ev)
{
	return ev->failed_run;
}

const igr_eval_result *igr_eval_result_of(const igr_eval *ev, int run)
{
	return run >= 0 && run < ev->nruns ? &ev->run[run].res : NULL;
}

size_t igr_eval_users(const igr_eval *ev, const uint32_t **users,
		      const uint32_t **ntruth)
{
	*users = ev->users;
	if (ntruth)
		*ntruth = ev->user_ntruth;
	return ev->nusers;
}

uint64_t igr_eval_truth_pairs(const igr_eval *ev)
{
	return ev->ntruth;
}

int64_t igr_eval_max_item(const igr_eval *ev)
{
	return ev->max_item;
}
