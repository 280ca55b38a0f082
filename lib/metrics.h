/*
 * metrics.h - offline evaluation of recommendations.
 *
 * Ranking metrics at cutoffs K (precision, recall, F1, NDCG, hit rate,
 * average precision, reciprocal rank, item coverage) of per-user ranked
 * lists against per-user truth sets; probability metrics (AUC, log-loss,
 * Brier score, calibration) of scores that estimate the probability that a
 * (user, item) pair occurs in the truth; a paired comparison of two
 * runs over the same users; and a ranker's grouped scores (mean per-user
 * NDCG and AUC of scored candidate pairs).  igraph-eval(1) is the front
 * end; its man page gives every formula with its source.
 *
 * Definitions shared by everything below.  A user's truth T is a set of
 * distinct items (|T| >= 1).  A user's list is ordered by rank (1 = best;
 * equal ranks by score, higher first, then by item id); position p counts
 * records from 1, whatever the rank values are.  rel(p) is 1 when the
 * item at position p is in T.  At a cutoff K, hits(K) = sum of rel(p) for
 * p <= K; positions past the end of a short list are not relevant.
 *
 * Ownership: an igr_eval is owned by the caller (igr_eval_free); the
 * results it returns (igr_eval_result, per-user arrays, calibration bins)
 * belong to it and live until igr_eval_free().  Functions returning int
 * return 0, or -1 with the message in igr_errmsg().
 */
#ifndef IGR_METRICS_H
#define IGR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"

/* Most cutoffs one evaluation takes (-k 1,5,10,...). */
#define IGR_EVAL_MAXK 16
/* Largest cutoff. */
#define IGR_EVAL_KMAX 1000000u

/* Per-user ranking metrics, in output order. */
enum igr_metric {
	IGR_M_PRECISION, /* hits(K) / K */
	IGR_M_RECALL,    /* hits(K) / |T| */
	IGR_M_F1,        /* 2PR / (P + R), 0 when P + R = 0 */
	IGR_M_NDCG,      /* DCG(K) / IDCG(min(|T|, K)), log2 discount */
	IGR_M_HIT,       /* 1 if hits(K) > 0 */
	IGR_M_MAP,       /* AP@K = sum_{p<=K, rel(p)} P@p / min(|T|, K) */
	IGR_M_MRR,       /* 1 / first relevant position <= K, else 0 */
};
#define IGR_NMETRIC 7

/* "precision", "recall", "f1", "ndcg", "hit", "map", "mrr" (the names of
 * the averages; per user, "map" is AP and "mrr" is RR). */
const char *igr_metric_name(int m);

/* One user's metrics.  REL[p-1] != 0 when position p is relevant, N
 * positions; NTRUTH = |T| (> 0); K[0..NK-1] strictly ascending cutoffs
 * (at most IGR_EVAL_KMAX).  Fills OUT[j * IGR_NMETRIC + m] for cutoff K[j]
 * and metric m.  Returns 0, or -1 on bad arguments or out of memory. */
int igr_metrics_user(const uint8_t *rel, size_t n, size_t ntruth,
		     const uint32_t *k, int nk, double *out) IGR_WUR;

/* ---- probability metrics --------------------------------------------- */

typedef struct igr_calib_bin {
	double lo, hi;   /* predicted probability in [lo, hi) ([lo, 1] last) */
	uint64_t n;      /* pairs in the bin */
	uint64_t pos;    /* of which positive */
	double sum_p;    /* sum of their predictions */
} igr_calib_bin;

/* Area under the ROC curve of scores P against labels Y (any order of
 * magnitude: only the order of P matters): the probability that a random
 * positive scores above a random negative, ties counting one half
 * (Mann-Whitney U / (npos * nneg); Hanley & McNeil 1982).  *AUC is NaN
 * when there are no positives or no negatives.  NaN scores are an error.
 * Returns 0 or -1 (out of memory, NaN). */
int igr_auc(const float *p, const uint8_t *y, size_t n, double *auc) IGR_WUR;

/* Mean binary cross-entropy -(y ln q + (1-y) ln(1-q)), with q = P clipped
 * to [EPS, 1 - EPS] so a confident mistake costs -ln(EPS) instead of
 * infinity.  NaN for N = 0. */
double igr_logloss(const float *p, const uint8_t *y, size_t n, double eps);

/* ---- grouped scores of a ranker ---------------------------------------- */

/* The order of one user's scored candidates, as igraph-recommend --rerank
 * lists them and the grouped scores judge them: higher score PA/PB first,
 * then lower item id IA/IB (qsort's sign). */
static inline int igr_rank_cmp(float pa, uint32_t ia, float pb, uint32_t ib)
{
	if (pa != pb)
		return pa > pb ? -1 : 1;
	return (ia > ib) - (ia < ib);
}

/*
 * Grouped scores of probabilities P against labels Y, the N pairs grouped
 * by USER: each user's pairs are ordered by igr_rank_cmp (higher P first,
 * then lower ITEM).  *NDCG: the mean over the users with at least one
 * positive of NDCG@K, the truth being the user's positive pairs (as
 * igr_metrics_user).  *GAUC: the unweighted mean over the users with
 * positives and negatives of their own AUC, the per-user AUC of Rendle et
 * al. (BPR, UAI 2009).  Either is NaN when no user qualifies.  The mlp
 * ranker stops early on them (--stop ndcg|gauc).  Returns 0, or -1 (out of
 * memory, NaN scores).
 */
int igr_grouped_scores(const float *p, const uint8_t *y, const uint32_t *user,
		       const uint32_t *item, size_t n, uint32_t k, double *ndcg,
		       double *gauc) IGR_WUR;

/* Brier score: mean (p - y)^2 (Brier 1950).  NaN for N = 0. */
double igr_brier(const float *p, const uint8_t *y, size_t n);

/* Equal-width calibration bins on [0, 1]: fills BINS[0..NBINS-1] (bin
 * floor(p * NBINS), 1 in the last) and returns the expected calibration
 * error sum_b n_b / N * |mean p_b - rate_b| (Naeini et al., AAAI 2015);
 * NaN for N = 0.  P must lie in [0, 1]. */
double igr_calibration(const float *p, const uint8_t *y, size_t n, int nbins,
		       igr_calib_bin *bins);

/* ---- paired comparison ----------------------------------------------- */

typedef struct igr_paired {
	uint64_t n;        /* pairs */
	uint64_t b_better; /* b > a */
	uint64_t a_better; /* a > b */
	uint64_t ties;
	double mean_a, mean_b, diff; /* diff = mean_b - mean_a */
	double t;          /* paired t statistic (NaN when undefined) */
	double p_ttest;    /* two-sided p of the paired t-test, n - 1 df */
	double p_sign;     /* two-sided exact sign test on b_better/a_better */
} igr_paired;

/* Compare A[i * STRIDE] with B[i * STRIDE] for i < N.  The t-test is
 * Student's (1908) on the differences; with zero variance p is 1 for a
 * zero mean difference and 0 otherwise.  The sign test ignores ties. */
void igr_paired_test(const double *a, const double *b, size_t n,
		     size_t stride, igr_paired *out);

/* Regularized incomplete beta I_x(a, b) (a, b > 0, 0 <= x <= 1), from its
 * continued fraction (DLMF 8.17.22); NaN for bad arguments. */
double igr_betai(double a, double b, double x);
/* Two-sided p-value of Student's t with DF degrees of freedom. */
double igr_t_pvalue(double t, double df);
/* Two-sided exact binomial sign test: P(|W - n/2| >= |w - n/2|) under
 * Bin(n = w + l, 1/2); 1 when n = 0. */
double igr_sign_pvalue(uint64_t w, uint64_t l);

/* ---- an evaluation: truth, one or two runs, results ------------------ */

typedef struct igr_eval igr_eval;

typedef struct igr_prob_result {
	uint64_t pairs;      /* scored pairs (every record of the run) */
	uint64_t positives;  /* of which in the truth */
	uint64_t unscored;   /* truth pairs that the run did not score */
	double auc, logloss, brier, ece;
	int nbins;
	igr_calib_bin *bins; /* nbins bins */
} igr_prob_result;

typedef struct igr_eval_result {
	uint64_t recs;          /* records added */
	uint64_t users_listed;  /* users with truth and a non-empty list */
	uint64_t users_ignored; /* users with a list but no truth */
	uint64_t recs_ignored;  /* their records */
	uint64_t rank_ties;     /* records whose rank equals the previous
				   one's in the same list */
	/* means over every user with truth (no list: all zeros) */
	double mean[IGR_EVAL_MAXK][IGR_NMETRIC];
	/* distinct items in the top K of users with truth */
	uint64_t covered[IGR_EVAL_MAXK];
	/* with IGR_EVAL_PER_USER: value of metric m at cutoff j for the
	 * i-th user (igr_eval_users() order) at
	 * user[(i * nk + j) * IGR_NMETRIC + m]; list length per user */
	double *user;
	uint32_t *user_nrecs;
	int has_prob;           /* probability metrics computed */
	igr_prob_result prob;
} igr_eval_result;

enum {
	IGR_EVAL_PER_USER = 1 << 0, /* keep per-user values */
};

/* An evaluation at cutoffs K[0..NK-1] (1..IGR_EVAL_KMAX, any order,
 * duplicates dropped; at most IGR_EVAL_MAXK) of NRUNS (1 or 2) runs. */
igr_eval *igr_eval_new(const uint32_t *k, int nk, int nruns) IGR_WUR;
void igr_eval_free(igr_eval *ev);

/* The cutoffs, ascending and distinct. */
int igr_eval_k(const igr_eval *ev, const uint32_t **k);

/* Also compute probability metrics for RUN with NBINS (1..1000)
 * calibration bins; then igr_eval_add_rec() refuses scores outside
 * [0, 1]. */
int igr_eval_set_prob(igr_eval *ev, int run, int nbins) IGR_WUR;

/* Truth: USER's behaviour included ITEM.  Repeats are merged. */
int igr_eval_add_truth(igr_eval *ev, uint32_t user, uint32_t item) IGR_WUR;

/* One recommendation of RUN, in any order.  RANK >= 1. */
int igr_eval_add_rec(igr_eval *ev, int run, uint32_t user, uint32_t item,
		     uint32_t rank, float score) IGR_WUR;

/* Compute every run (FLAGS: IGR_EVAL_*).  Fails on an item listed twice
 * for one user ("user U: item I is listed twice"), when no user has
 * truth, or out of memory.  Call once, after all adds. */
int igr_eval_run(igr_eval *ev, unsigned flags) IGR_WUR;

/* After a failed igr_eval_run(): the run it failed in, or -1 when it
 * failed on the truth (e.g. no user has truth). */
int igr_eval_failed_run(const igr_eval *ev);

/* After igr_eval_run(): */
const igr_eval_result *igr_eval_result_of(const igr_eval *ev, int run);
/* Users with truth, ascending; their |T| in *NTRUTH if not NULL. */
size_t igr_eval_users(const igr_eval *ev, const uint32_t **users,
		      const uint32_t **ntruth);
uint64_t igr_eval_truth_pairs(const igr_eval *ev);
/* Largest item id in the truth or any run, or -1 if there is none. */
int64_t igr_eval_max_item(const igr_eval *ev);

#endif
