/* check_metrics.c - evaluation metrics: hand-computed cases for every
 * metric (the arithmetic is in the comments), edge cases (|T| < K, no hits,
 * all hits, users without lists, K past the end of a list), probability
 * metrics, significance tests, and a randomized cross-check of the whole
 * evaluation (any input order) against a direct computation. */
#include "testutil.h"

#include "error.h"
#include "metrics.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define EPS 1e-9

/* log2 values used below:
 *   1/log2(2) = 1
 *   1/log2(3) = 0.6309297535714575
 *   1/log2(4) = 0.5
 *   1/log2(5) = 0.43067655807339306 */
#define L3 0.6309297535714575
#define L5 0.43067655807339306

#define M(out, j, m) (out)[(j) * IGR_NMETRIC + (m)]

static void expect_row(const double *o, int j, double p, double r, double f1,
		       double ndcg, double hit, double ap, double rr)
{
	ck_assert_msg(fabs(M(o, j, IGR_M_PRECISION) - p) < EPS,
		      "precision[%d] %.12g != %.12g", j,
		      M(o, j, IGR_M_PRECISION), p);
	ck_assert_msg(fabs(M(o, j, IGR_M_RECALL) - r) < EPS,
		      "recall[%d] %.12g != %.12g", j, M(o, j, IGR_M_RECALL),
		      r);
	ck_assert_msg(fabs(M(o, j, IGR_M_F1) - f1) < EPS,
		      "f1[%d] %.12g != %.12g", j, M(o, j, IGR_M_F1), f1);
	ck_assert_msg(fabs(M(o, j, IGR_M_NDCG) - ndcg) < EPS,
		      "ndcg[%d] %.12g != %.12g", j, M(o, j, IGR_M_NDCG), ndcg);
	ck_assert_msg(fabs(M(o, j, IGR_M_HIT) - hit) < EPS,
		      "hit[%d] %.12g != %.12g", j, M(o, j, IGR_M_HIT), hit);
	ck_assert_msg(fabs(M(o, j, IGR_M_MAP) - ap) < EPS,
		      "ap[%d] %.12g != %.12g", j, M(o, j, IGR_M_MAP), ap);
	ck_assert_msg(fabs(M(o, j, IGR_M_MRR) - rr) < EPS,
		      "rr[%d] %.12g != %.12g", j, M(o, j, IGR_M_MRR), rr);
}

/* rel = 1 0 1 0 0, |T| = 4, K = 1, 3, 5, 10. */
START_TEST(user_mixed)
{
	const uint8_t rel[] = { 1, 0, 1, 0, 0 };
	const uint32_t k[] = { 1, 3, 5, 10 };
	double o[4 * IGR_NMETRIC];
	double idcg3 = 1 + L3 + 0.5, idcg4 = idcg3 + L5;

	ck_assert_int_eq(igr_metrics_user(rel, 5, 4, k, 4, o), 0);
	/* K=1: hits 1.  P = 1/1, R = 1/4, F1 = 2*1*.25/1.25 = .4,
	 * DCG = 1/log2(2) = 1 = IDCG(min(4,1) = 1), AP = P@1 / min(4,1)
	 * = 1, RR = 1/1 */
	expect_row(o, 0, 1, 0.25, 0.4, 1, 1, 1, 1);
	/* K=3: hits 2 (positions 1 and 3).  P = 2/3, R = 2/4,
	 * F1 = 2 (2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7,
	 * DCG = 1 + 1/log2(4) = 1.5, IDCG(3) = 1 + 1/log2(3) + 1/log2(4),
	 * AP = (P@1 + P@3) / min(4,3) = (1 + 2/3) / 3 = 5/9, RR = 1 */
	expect_row(o, 1, 2.0 / 3, 0.5, 4.0 / 7, 1.5 / idcg3, 1, 5.0 / 9, 1);
	/* K=5: hits 2.  P = 2/5, R = 1/2, F1 = 2 (.4)(.5) / .9 = 4/9,
	 * DCG = 1.5, IDCG(min(4,5) = 4) adds 1/log2(5),
	 * AP = (1 + 2/3) / min(4,5) = 5/12 */
	expect_row(o, 2, 0.4, 0.5, 4.0 / 9, 1.5 / idcg4, 1, 5.0 / 12, 1);
	/* K=10, past the end of the 5-long list: the missing positions are
	 * not relevant.  P = 2/10, R = 1/2, F1 = 2 (.2)(.5) / .7 = 2/7,
	 * NDCG as at K=5 (IDCG over min(4,10) = 4), AP = 5/12 */
	expect_row(o, 3, 0.2, 0.5, 2.0 / 7, 1.5 / idcg4, 1, 5.0 / 12, 1);
}
END_TEST

/* No hits: every metric is 0. */
START_TEST(user_no_hits)
{
	const uint8_t rel[] = { 0, 0, 0 };
	const uint32_t k[] = { 3 };
	double o[IGR_NMETRIC];

	ck_assert_int_eq(igr_metrics_user(rel, 3, 2, k, 1, o), 0);
	expect_row(o, 0, 0, 0, 0, 0, 0, 0, 0);
}
END_TEST

/* All hits, |T| = 3. */
START_TEST(user_all_hits)
{
	const uint8_t rel[] = { 1, 1, 1 };
	const uint32_t k[] = { 2, 3 };
	double o[2 * IGR_NMETRIC];

	ck_assert_int_eq(igr_metrics_user(rel, 3, 3, k, 2, o), 0);
	/* K=2: P = 2/2, R = 2/3, F1 = 2 (1)(2/3) / (5/3) = 4/5,
	 * DCG = 1 + 1/log2(3) = IDCG(2): NDCG 1; AP = (1 + 1) / min(3,2) = 1 */
	expect_row(o, 0, 1, 2.0 / 3, 0.8, 1, 1, 1, 1);
	/* K=3: everything 1; AP = (1 + 1 + 1) / 3 */
	expect_row(o, 1, 1, 1, 1, 1, 1, 1, 1);
}
END_TEST

/* |T| < K: one relevant item, found at position 2 of 4. */
START_TEST(user_small_truth)
{
	const uint8_t rel[] = { 0, 1, 0, 0 };
	const uint32_t k[] = { 1, 4 };
	double o[2 * IGR_NMETRIC];

	ck_assert_int_eq(igr_metrics_user(rel, 4, 1, k, 2, o), 0);
	/* K=1: nothing yet */
	expect_row(o, 0, 0, 0, 0, 0, 0, 0, 0);
	/* K=4: P = 1/4, R = 1/1, F1 = 2 (.25)(1) / 1.25 = .4,
	 * DCG = 1/log2(3), IDCG(min(1,4) = 1) = 1, AP = P@2 / min(1,4) = 1/2,
	 * RR = 1/2 */
	expect_row(o, 1, 0.25, 1, 0.4, L3, 1, 0.5, 0.5);
}
END_TEST

/* A user without recommendations scores 0; bad arguments fail. */
START_TEST(user_empty_and_errors)
{
	const uint32_t k[] = { 5 }, bad[] = { 5, 5 }, zero[] = { 0 };
	double o[2 * IGR_NMETRIC];

	ck_assert_int_eq(igr_metrics_user(NULL, 0, 3, k, 1, o), 0);
	expect_row(o, 0, 0, 0, 0, 0, 0, 0, 0);
	ck_assert_int_eq(igr_metrics_user(NULL, 0, 0, k, 1, o), -1);
	ck_assert_int_eq(igr_metrics_user(NULL, 0, 3, bad, 2, o), -1);
	ck_assert_int_eq(igr_metrics_user(NULL, 0, 3, zero, 1, o), -1);
	ck_assert_int_eq(igr_metrics_user(NULL, 0, 3, k, 0, o), -1);
}
END_TEST

/* ---- a whole evaluation ------------------------------------------------ */

/* Truth: user 1 {10, 11} (10 given twice), user 2 {12}, user 3 {5}.
 * Lists (added out of order): user 1: 10 (rank 1), 11 (2), 3 (3);
 * user 2: 4 (1), 12 (2); user 9 (no truth): 12 (2).  K = 1, 2, 3. */
static igr_eval *small_eval(int nruns)
{
	const uint32_t k[] = { 3, 1, 2, 2 }; /* any order; duplicates */
	igr_eval *ev = igr_eval_new(k, 4, nruns);
	int r;

	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(igr_eval_add_truth(ev, 2, 12), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 10), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 3, 5), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 11), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 10), 0);
	for (r = 0; r < nruns; r++) {
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 9, 12, 2, .3f), 0);
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 1, 11, 2, .5f), 0);
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 2, 12, 2, .3f), 0);
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 1, 3, 3, .1f), 0);
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 2, 4, 1, .9f), 0);
		ck_assert_int_eq(igr_eval_add_rec(ev, r, 1, 10, 1, .9f), 0);
	}
	return ev;
}

START_TEST(eval_small)
{
	igr_eval *ev = small_eval(1);
	const igr_eval_result *res;
	const uint32_t *k, *users, *nt;
	double mean[3 * IGR_NMETRIC];
	int j, m;

	ck_assert_int_eq(igr_eval_k(ev, &k), 3);
	ck_assert_uint_eq(k[0], 1);
	ck_assert_uint_eq(k[2], 3);
	ck_assert_int_eq(igr_eval_run(ev, IGR_EVAL_PER_USER), 0);
	res = igr_eval_result_of(ev, 0);
	ck_assert_uint_eq(igr_eval_users(ev, &users, &nt), 3);
	ck_assert_uint_eq(users[0], 1);
	ck_assert_uint_eq(nt[0], 2);
	ck_assert_uint_eq(igr_eval_truth_pairs(ev), 4);
	ck_assert_int_eq(igr_eval_max_item(ev), 12);
	ck_assert_uint_eq(res->recs, 6);
	ck_assert_uint_eq(res->users_listed, 2);
	ck_assert_uint_eq(res->users_ignored, 1);
	ck_assert_uint_eq(res->recs_ignored, 1);
	ck_assert_uint_eq(res->rank_ties, 0);
	ck_assert_uint_eq(res->user_nrecs[2], 0);
	/* Per user (user 1 hits at 1, 2; user 2 at 2; user 3 has no list):
	 * P@1: 1, 0, 0 -> 1/3     P@2: 1, 1/2, 0 -> 1/2
	 * P@3: 2/3, 1/3, 0 -> 1/3
	 * R@1: 1/2, 0, 0 -> 1/6   R@2 = R@3: 1, 1, 0 -> 2/3
	 * F1@1: 2(1)(.5)/1.5 = 2/3 -> 2/9
	 * F1@2: 1, 2(.5)(1)/1.5 = 2/3, 0 -> 5/9
	 * F1@3: 2(2/3)(1)/(5/3) = 4/5, 2(1/3)(1)/(4/3) = 1/2 -> 13/30
	 * NDCG@1: 1, 0, 0 -> 1/3
	 * NDCG@2 = NDCG@3: 1, (1/log2 3)/1, 0 -> (1 + L3)/3
	 * HIT@1: 1/3, HIT@2 = HIT@3: 2/3
	 * AP@1: 1/1, 0, 0 -> 1/3
	 * AP@2 = AP@3: (1 + 1)/2 = 1, (1/2)/1, 0 -> 1/2
	 * RR@1: 1/3, RR@2 = RR@3: (1 + 1/2 + 0)/3 = 1/2 */
	double want[3][IGR_NMETRIC] = {
		{ 1.0 / 3, 1.0 / 6, 2.0 / 9, 1.0 / 3, 1.0 / 3, 1.0 / 3,
		  1.0 / 3 },
		{ 0.5, 2.0 / 3, 5.0 / 9, (1 + L3) / 3, 2.0 / 3, 0.5, 0.5 },
		{ 1.0 / 3, 2.0 / 3, 13.0 / 30, (1 + L3) / 3, 2.0 / 3, 0.5,
		  0.5 },
	};
	for (j = 0; j < 3; j++)
		for (m = 0; m < IGR_NMETRIC; m++)
			mean[j * IGR_NMETRIC + m] = res->mean[j][m];
	for (j = 0; j < 3; j++)
		expect_row(mean, j, want[j][0], want[j][1], want[j][2],
			   want[j][3], want[j][4], want[j][5], want[j][6]);
	/* user 3 (no list) is all zeros in the per-user rows */
	expect_row(res->user + 2 * 3 * IGR_NMETRIC, 2, 0, 0, 0, 0, 0, 0, 0);
	/* coverage of users with truth (user 9's list does not count):
	 * top 1: {10, 4}; top 2: {10, 11, 4, 12}; top 3: + 3 */
	ck_assert_uint_eq(res->covered[0], 2);
	ck_assert_uint_eq(res->covered[1], 4);
	ck_assert_uint_eq(res->covered[2], 5);
	ck_assert_int_eq(res->has_prob, 0);
	igr_eval_free(ev);
}
END_TEST

/* Equal ranks are ordered by score (higher first), then by item id. */
START_TEST(eval_rank_ties)
{
	const uint32_t k[] = { 1 };
	igr_eval *ev = igr_eval_new(k, 1, 1);
	const igr_eval_result *res;

	ck_assert_int_eq(igr_eval_add_truth(ev, 4, 7), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 5, 2), 0);
	/* user 4: 8 and 7 both rank 1; 7 scores higher and comes first */
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 4, 8, 1, .2f), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 4, 7, 1, .9f), 0);
	/* user 5: same rank and score: item 2 before item 3 */
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 5, 3, 1, .5f), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 5, 2, 1, .5f), 0);
	ck_assert_int_eq(igr_eval_run(ev, 0), 0);
	res = igr_eval_result_of(ev, 0);
	ck_assert_uint_eq(res->rank_ties, 2);
	ck_assert(fabs(res->mean[0][IGR_M_HIT] - 1) < EPS);
	igr_eval_free(ev);
}
END_TEST

/* Positions count records: ranks 1, 5, 9 are positions 1, 2, 3. */
START_TEST(eval_rank_gaps)
{
	const uint32_t k[] = { 2 };
	igr_eval *ev = igr_eval_new(k, 1, 1);
	const igr_eval_result *res;

	ck_assert_int_eq(igr_eval_add_truth(ev, 0, 1), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 0, 3, 9, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 0, 1, 5, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 0, 2, 1, 0), 0);
	ck_assert_int_eq(igr_eval_run(ev, 0), 0);
	res = igr_eval_result_of(ev, 0);
	/* item 1 is at position 2: P@2 = 1/2, RR = 1/2 */
	ck_assert(fabs(res->mean[0][IGR_M_PRECISION] - 0.5) < EPS);
	ck_assert(fabs(res->mean[0][IGR_M_MRR] - 0.5) < EPS);
	igr_eval_free(ev);
}
END_TEST

START_TEST(eval_errors)
{
	const uint32_t k[] = { 2 }, many[IGR_EVAL_MAXK + 1] = { 1 };
	const uint32_t big[] = { IGR_EVAL_KMAX + 1 };
	igr_eval *ev;

	ck_assert_ptr_null(igr_eval_new(k, 0, 1));
	ck_assert_ptr_null(igr_eval_new(many, IGR_EVAL_MAXK + 1, 1));
	ck_assert_ptr_null(igr_eval_new(big, 1, 1));
	ck_assert_ptr_null(igr_eval_new(k, 1, 3));

	/* an item listed twice for one user */
	ev = igr_eval_new(k, 1, 1);
	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 1), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 1, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 6, 2, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 3, 0), 0);
	ck_assert_int_eq(igr_eval_run(ev, 0), -1);
	ck_assert_str_eq(igr_errmsg(), "user 1: item 5 is listed twice");
	ck_assert_int_eq(igr_eval_failed_run(ev), 0);
	ck_assert_int_eq(igr_eval_run(ev, 0), -1); /* only once */
	igr_eval_free(ev);

	/* the same item for two users is fine; rank 0 is not */
	ev = igr_eval_new(k, 1, 1);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 0, 0), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "rank 0"));
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 2, 5, 1, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 1, 2, 5, 1, 0), -1);
	/* no truth at all */
	ck_assert_int_eq(igr_eval_run(ev, 0), -1);
	ck_assert_str_eq(igr_errmsg(), "no user has truth events");
	ck_assert_int_eq(igr_eval_failed_run(ev), -1);
	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 1), -1);
	igr_eval_free(ev);

	/* probabilities must lie in [0, 1] */
	ev = igr_eval_new(k, 1, 1);
	ck_assert_int_eq(igr_eval_set_prob(ev, 0, 0), -1);
	ck_assert_int_eq(igr_eval_set_prob(ev, 1, 10), -1);
	ck_assert_int_eq(igr_eval_set_prob(ev, 0, 10), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 1, 1.5f), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "not a probability"));
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 1, NAN), -1);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 5, 1, -0.0f), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 6, 2, 1.0f), 0);
	igr_eval_free(ev);
}
END_TEST

/* Probability metrics of the small evaluation.  Pairs (score, label):
 * user 1: (.9, 1) (.5, 1) (.1, 0); user 2: (.9, 0) (.3, 1);
 * user 9: (.3, 0) - users without truth are negatives.
 * AUC: positives .9, .5, .3 against negatives .1, .9, .3:
 *   .9 beats .1 and .3, ties .9: 2.5; .5 beats .1, .3: 2;
 *   .3 beats .1, ties .3: 1.5;  (2.5 + 2 + 1.5) / (3 * 3) = 2/3.
 * Log-loss: -(ln .9 + ln .5 + ln .9 + ln .3 + ln .9 + ln .7) / 6
 *   (negatives cost ln(1 - p): .1 -> ln .9, .9 -> ln .1, .3 -> ln .7):
 *   -(ln .9 + ln .5 + ln .3 + ln .9 + ln .1 + ln .7) / 6.
 * Brier: (.01 + .25 + .01 + .81 + .49 + .09) / 6 = 1.66 / 6.
 * 2 bins: [0, .5): .1(0) .3(1) .3(0): n 3, pos 1, mean .7/3;
 *         [.5, 1]: .9(1) .5(1) .9(0): n 3, pos 2, mean 2.3/3;
 *   ECE = 3/6 |.7/3 - 1/3| + 3/6 |2.3/3 - 2/3| = .5 (.1) + .5 (.1) = .1 */
START_TEST(eval_probabilities)
{
	igr_eval *ev = small_eval(1);
	const igr_eval_result *res;
	double ll = -(log(.9) + log(.5) + log(.3) + log(.9) + log(.1) +
		      log(.7)) / 6;

	ck_assert_int_eq(igr_eval_set_prob(ev, 0, 2), 0);
	ck_assert_int_eq(igr_eval_run(ev, 0), 0);
	res = igr_eval_result_of(ev, 0);
	ck_assert_int_eq(res->has_prob, 1);
	ck_assert_uint_eq(res->prob.pairs, 6);
	ck_assert_uint_eq(res->prob.positives, 3);
	ck_assert_uint_eq(res->prob.unscored, 1); /* user 3's item 5 */
	ck_assert(fabs(res->prob.auc - 2.0 / 3) < EPS);
	/* scores are floats: 1e-6 covers their rounding */
	ck_assert_msg(fabs(res->prob.logloss - ll) < 1e-6, "%.12g %.12g",
		      res->prob.logloss, ll);
	ck_assert(fabs(res->prob.brier - 1.66 / 6) < 1e-6);
	ck_assert(fabs(res->prob.ece - 0.1) < 1e-6);
	ck_assert_int_eq(res->prob.nbins, 2);
	ck_assert_uint_eq(res->prob.bins[0].n, 3);
	ck_assert_uint_eq(res->prob.bins[0].pos, 1);
	ck_assert(fabs(res->prob.bins[1].sum_p - 2.3) < 1e-6);
	ck_assert(res->prob.bins[1].hi == 1);
	igr_eval_free(ev);
}
END_TEST

START_TEST(auc_cases)
{
	const float p[] = { .1f, .4f, .35f, .8f };
	const uint8_t y[] = { 0, 0, 1, 1 }, all[] = { 1, 1, 1, 1 };
	const float same[] = { .5f, .5f, .5f, .5f };
	const float nanp[] = { .5f, NAN };
	double a;

	/* positives .35, .8; negatives .1, .4:
	 * .35 beats .1 (1), loses to .4; .8 beats both (2): 3/4 */
	ck_assert_int_eq(igr_auc(p, y, 4, &a), 0);
	ck_assert(fabs(a - 0.75) < EPS);
	/* all tied: 1/2 */
	ck_assert_int_eq(igr_auc(same, y, 4, &a), 0);
	ck_assert(fabs(a - 0.5) < EPS);
	/* one class only: undefined */
	ck_assert_int_eq(igr_auc(p, all, 4, &a), 0);
	ck_assert(isnan(a));
	ck_assert_int_eq(igr_auc(p, y, 0, &a), 0);
	ck_assert(isnan(a));
	ck_assert_int_eq(igr_auc(nanp, y, 2, &a), -1);
}
END_TEST

/* AUC against the O(n^2) definition on random scores with many ties
 * (and negative values: only the order matters). */
START_TEST(auc_random)
{
	enum { N = 3000 };
	static float p[N];
	static uint8_t y[N];
	double a, u = 0, np = 0, nn = 0;
	unsigned s = 12345;
	int i, j;

	for (i = 0; i < N; i++) {
		s = s * 1103515245u + 12345u;
		p[i] = (float)((int)(s >> 16) % 200 - 100) / 7.0f;
		s = s * 1103515245u + 12345u;
		y[i] = (s >> 16) % 3 == 0;
	}
	for (i = 0; i < N; i++) {
		if (!y[i])
			continue;
		np++;
		for (j = 0; j < N; j++)
			if (!y[j])
				u += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
	}
	for (i = 0; i < N; i++)
		nn += !y[i];
	ck_assert_int_eq(igr_auc(p, y, N, &a), 0);
	ck_assert_msg(fabs(a - u / (np * nn)) < 1e-12, "%.15g %.15g", a,
		      u / (np * nn));
}
END_TEST

START_TEST(logloss_brier_calibration)
{
	const float p[] = { .8f, .4f }, z[] = { 0.0f };
	const uint8_t y[] = { 1, 0 }, one[] = { 1 };
	const float cp[] = { .05f, .15f, .12f, .95f, 1.0f };
	const uint8_t cy[] = { 0, 1, 0, 1, 1 };
	igr_calib_bin bins[10];
	double ece;

	/* -(ln .8 + ln(1 - .4)) / 2 = (0.22314355 + 0.51082562) / 2 */
	ck_assert(fabs(igr_logloss(p, y, 2, 1e-15) - 0.366984584) < 1e-6);
	/* p = 0 for a positive is clipped at 1e-15: -ln(1e-15) */
	ck_assert(fabs(igr_logloss(z, one, 1, 1e-15) - 34.538776394910684) <
		  1e-9);
	ck_assert(isnan(igr_logloss(p, y, 0, 1e-15)));
	/* ((.8 - 1)^2 + (.4 - 0)^2) / 2 = (.04 + .16) / 2 */
	ck_assert(fabs(igr_brier(p, y, 2) - 0.1) < 1e-6);
	ck_assert(isnan(igr_brier(p, y, 0)));
	/* bins of 0.1: bin 0 {.05 (0)}, bin 1 {.15 (1), .12 (0)},
	 * bin 9 {.95 (1), 1.0 (1)} (1 falls in the last bin).
	 * ECE = 1/5 |.05 - 0| + 2/5 |.135 - .5| + 2/5 |.975 - 1|
	 *     = .01 + .146 + .01 = .166 */
	ece = igr_calibration(cp, cy, 5, 10, bins);
	ck_assert_msg(fabs(ece - 0.166) < 1e-6, "ece %.9g", ece);
	ck_assert_uint_eq(bins[0].n, 1);
	ck_assert_uint_eq(bins[1].n, 2);
	ck_assert_uint_eq(bins[1].pos, 1);
	ck_assert_uint_eq(bins[5].n, 0);
	ck_assert_uint_eq(bins[9].n, 2);
	ck_assert(fabs(bins[9].sum_p - 1.95) < 1e-6);
	ck_assert(fabs(bins[3].lo - 0.3) < EPS && fabs(bins[3].hi - 0.4) < EPS);
	ck_assert(isnan(igr_calibration(cp, cy, 0, 10, bins)));
}
END_TEST

START_TEST(significance)
{
	/* a = 0 0 1 1 .5, b = 1 .5 1 0 1: differences 1 .5 0 -1 .5;
	 * b better 3 times, a once, one tie.  Mean difference .2; squared
	 * deviations .64 .09 .04 1.44 .09 = 2.3; variance 2.3/4 = .575;
	 * t = .2 / sqrt(.575 / 5) = 0.5897678246; two-sided p with 4 df =
	 * 0.5870496398 (numerical integration of Student's density).
	 * Sign test: 3 vs 1, n = 4: 2 P(X <= 1) = 2 (1 + 4)/16 = 0.625 */
	const double a[] = { 0, 0, 1, 1, .5 }, b[] = { 1, .5, 1, 0, 1 };
	const double c[] = { 1, 1, 1 }, d[] = { 2, 2, 2 };
	igr_paired t;

	igr_paired_test(a, b, 5, 1, &t);
	ck_assert_uint_eq(t.b_better, 3);
	ck_assert_uint_eq(t.a_better, 1);
	ck_assert_uint_eq(t.ties, 1);
	ck_assert(fabs(t.diff - 0.2) < EPS);
	ck_assert(fabs(t.t - 0.5897678246195885) < 1e-9);
	ck_assert_msg(fabs(t.p_ttest - 0.5870496397870537) < 1e-7, "%.12g",
		      t.p_ttest);
	ck_assert(fabs(t.p_sign - 0.625) < 1e-12);
	/* stride: every other value */
	igr_paired_test(a, a, 3, 2, &t);
	ck_assert_uint_eq(t.ties, 3);
	ck_assert(t.p_ttest == 1 && t.p_sign == 1);
	/* a constant non-zero difference is certain */
	igr_paired_test(c, d, 3, 1, &t);
	ck_assert(t.p_ttest == 0);
	/* b better 3 times, a never: 2 P(X <= 0) under Bin(3, 1/2) = 2/8 */
	ck_assert(t.p_sign == 0.25);
	/* t = 2 with 10 df: 0.0733880348; the 97.5% point of t(4),
	 * 2.776445105, gives 0.05 */
	ck_assert(fabs(igr_t_pvalue(2, 10) - 0.07338803477) < 1e-8);
	ck_assert(fabs(igr_t_pvalue(-2.776445105, 4) - 0.05) < 1e-8);
	/* large df approaches the normal: 1.959963985 -> 0.05 */
	ck_assert(fabs(igr_t_pvalue(1.959963985, 1e7) - 0.05) < 1e-6);
	/* 9 wins, 1 loss: 2 (1 + 10) / 1024 */
	ck_assert(fabs(igr_sign_pvalue(9, 1) - 22.0 / 1024) < 1e-12);
	ck_assert(fabs(igr_sign_pvalue(1, 9) - 22.0 / 1024) < 1e-12);
	ck_assert(igr_sign_pvalue(0, 0) == 1);
	ck_assert(igr_sign_pvalue(5, 5) == 1);
	/* 20000 vs 19000 (z = 5, two-sided about 5.7e-7): small, not 0 */
	ck_assert(igr_sign_pvalue(20000, 19000) < 1e-5);
	ck_assert(igr_sign_pvalue(20000, 19000) > 1e-8);
	/* the incomplete beta on closed forms */
	ck_assert(fabs(igr_betai(3, 3, 0.5) - 0.5) < 1e-12);
	ck_assert(fabs(igr_betai(1, 1, 0.3) - 0.3) < 1e-12);
	ck_assert(fabs(igr_betai(2.5, 1, 0.4) - pow(0.4, 2.5)) < 1e-12);
	ck_assert(isnan(igr_betai(0, 1, 0.5)));
}
END_TEST

/* Two runs: the second differs for user 2 only. */
START_TEST(eval_two_runs)
{
	const uint32_t k[] = { 1 };
	igr_eval *ev = igr_eval_new(k, 1, 2);
	const igr_eval_result *a, *b;

	ck_assert_int_eq(igr_eval_add_truth(ev, 1, 1), 0);
	ck_assert_int_eq(igr_eval_add_truth(ev, 2, 2), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 1, 1, 1, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 0, 2, 9, 1, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 1, 1, 1, 1, 0), 0);
	ck_assert_int_eq(igr_eval_add_rec(ev, 1, 2, 2, 1, 0), 0);
	ck_assert_int_eq(igr_eval_run(ev, IGR_EVAL_PER_USER), 0);
	a = igr_eval_result_of(ev, 0);
	b = igr_eval_result_of(ev, 1);
	ck_assert_ptr_null(igr_eval_result_of(ev, 2));
	ck_assert(fabs(a->mean[0][IGR_M_HIT] - 0.5) < EPS);
	ck_assert(fabs(b->mean[0][IGR_M_HIT] - 1) < EPS);
	ck_assert(a->user[IGR_M_HIT] == 1 && b->user[IGR_M_HIT] == 1);
	ck_assert(a->user[IGR_NMETRIC + IGR_M_HIT] == 0);
	ck_assert(b->user[IGR_NMETRIC + IGR_M_HIT] == 1);
	igr_eval_free(ev);
}
END_TEST

/* The whole evaluation on random data added in random order, against a
 * direct computation: lists built by selection in (rank, -score, item)
 * order, membership by linear search, metrics by igr_metrics_user. */
START_TEST(eval_random_cross_check)
{
	enum { NU = 300, NI = 500, MAXL = 30, MAXT = 12 };
	static uint32_t lit[NU][MAXL], lrank[NU][MAXL], tit[NU][MAXT];
	static float lsc[NU][MAXL];
	static int ln[NU], tn[NU];
	static uint8_t usedi[NI];
	const uint32_t k[] = { 1, 5, 10, 20, 50 };
	double sum[5 * IGR_NMETRIC], o[5 * IGR_NMETRIC];
	unsigned s = 99;
	int u, i, j, m, nt = 0;
	igr_eval *ev = igr_eval_new(k, 5, 1);
	const igr_eval_result *res;
	struct { uint32_t u, i; } order[NU * MAXL];
	int norder = 0;

#define RND() (s = s * 1103515245u + 12345u, (s >> 8))
	memset(sum, 0, sizeof sum);
	for (u = 0; u < NU; u++) {
		memset(usedi, 0, sizeof usedi);
		tn[u] = u % 7 == 3 ? 0 : (int)(RND() % MAXT) + (u % 5 != 0);
		for (i = 0; i < tn[u]; i++)
			tit[u][i] = RND() % 60;
		ln[u] = u % 11 == 4 ? 0 : (int)(RND() % MAXL);
		for (i = 0; i < ln[u]; i++) {
			uint32_t it;
			do
				it = RND() % 80;
			while (usedi[it]);
			usedi[it] = 1;
			lit[u][i] = it;
			lrank[u][i] = 1 + RND() % 40; /* gaps and ties */
			lsc[u][i] = (float)(RND() % 5) / 4;
			order[norder].u = (uint32_t)u;
			order[norder++].i = (uint32_t)i;
		}
	}
	/* add truth (with repeats) and records in a shuffled order */
	for (u = NU - 1; u >= 0; u--)
		for (i = 0; i < tn[u]; i++) {
			ck_assert_int_eq(igr_eval_add_truth(ev, (uint32_t)u,
							    tit[u][i]), 0);
			ck_assert_int_eq(igr_eval_add_truth(ev, (uint32_t)u,
							    tit[u][i]), 0);
		}
	for (i = norder - 1; i > 0; i--) {
		int r = (int)(RND() % (unsigned)(i + 1));
		__typeof__(order[0]) t = order[i];
		order[i] = order[r];
		order[r] = t;
	}
	for (i = 0; i < norder; i++) {
		uint32_t uu = order[i].u, ii = order[i].i;
		ck_assert_int_eq(igr_eval_add_rec(ev, 0, uu, lit[uu][ii],
						  lrank[uu][ii],
						  lsc[uu][ii]), 0);
	}
	ck_assert_int_eq(igr_eval_run(ev, 0), 0);
	res = igr_eval_result_of(ev, 0);

	for (u = 0; u < NU; u++) {
		uint8_t rel[MAXL], taken[MAXL] = { 0 };
		uint32_t distinct[MAXT];
		int nd = 0;
		for (i = 0; i < tn[u]; i++) {
			for (j = 0; j < nd && distinct[j] != tit[u][i]; j++)
				;
			if (j == nd)
				distinct[nd++] = tit[u][i];
		}
		if (nd == 0)
			continue;
		nt++;
		/* selection sort into list order */
		for (i = 0; i < ln[u]; i++) {
			int best = -1, c;
			for (c = 0; c < ln[u]; c++) {
				if (taken[c])
					continue;
				if (best < 0 || lrank[u][c] < lrank[u][best] ||
				    (lrank[u][c] == lrank[u][best] &&
				     (lsc[u][c] > lsc[u][best] ||
				      (lsc[u][c] == lsc[u][best] &&
				       lit[u][c] < lit[u][best]))))
					best = c;
			}
			taken[best] = 1;
			rel[i] = 0;
			for (j = 0; j < nd; j++)
				rel[i] |= distinct[j] == lit[u][best];
		}
		ck_assert_int_eq(igr_metrics_user(rel, (size_t)ln[u],
						  (size_t)nd, k, 5, o), 0);
		for (j = 0; j < 5 * IGR_NMETRIC; j++)
			sum[j] += o[j];
	}
	ck_assert_uint_eq(igr_eval_users(ev, &(const uint32_t *){ NULL },
					 NULL), (size_t)nt);
	for (j = 0; j < 5; j++)
		for (m = 0; m < IGR_NMETRIC; m++)
			ck_assert_msg(fabs(res->mean[j][m] -
					   sum[j * IGR_NMETRIC + m] / nt) <
					      1e-12,
				      "K=%u %s: %.15g != %.15g", k[j],
				      igr_metric_name(m), res->mean[j][m],
				      sum[j * IGR_NMETRIC + m] / nt);
#undef RND
	igr_eval_free(ev);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(igr_metric_name(IGR_M_PRECISION), "precision");
	ck_assert_str_eq(igr_metric_name(IGR_M_MAP), "map");
	ck_assert_str_eq(igr_metric_name(IGR_M_MRR), "mrr");
	ck_assert_ptr_null(igr_metric_name(IGR_NMETRIC));
	ck_assert_ptr_null(igr_metric_name(-1));
}
END_TEST

/*
 * The grouped scores on a hand-worked set, the users' rows interleaved:
 * user 1 ranks items 10 (0.9, -), 11 (0.8, +), 12 (0.7, -), 13 (0.1, +):
 * NDCG@20 = (1/log2 3 + 1/log2 5) / (1 + 1/log2 3), AUC 1/4 (0.8 beats
 * 0.7 only); user 2 ties 0.4 on items 6 (+) and 5 (-): the lower item
 * goes first, NDCG = 1/log2 3, AUC 1/2; user 3 has no positive (left
 * out of both); user 4 one positive only (NDCG 1, no AUC).
 */
START_TEST(grouped_scores)
{
	static const uint32_t user[] = { 1, 2, 3, 1, 4, 2, 1, 3, 1 };
	static const uint32_t item[] = { 10, 6, 7, 11, 9, 5, 12, 8, 13 };
	static const float p[] = { 0.9f, 0.4f, 0.5f, 0.8f, 0.2f,
				   0.4f, 0.7f, 0.6f, 0.1f };
	static const uint8_t y[] = { 0, 1, 0, 1, 1, 0, 0, 0, 1 };
	const double l3 = 1 / log2(3.0), l5 = 1 / log2(5.0);
	double ndcg, gauc;
	float bad[9];

	ck_assert_int_eq(igr_grouped_scores(p, y, user, item, 9, 20, &ndcg,
					    &gauc),
			 0);
	ck_assert_double_eq_tol(ndcg, ((l3 + l5) / (1 + l3) + l3 + 1) / 3,
				1e-12);
	ck_assert_double_eq_tol(gauc, (0.25 + 0.5) / 2, 1e-12);
	/* at 1 only user 4's first item is relevant */
	ck_assert_int_eq(igr_grouped_scores(p, y, user, item, 9, 1, &ndcg,
					    &gauc),
			 0);
	ck_assert_double_eq_tol(ndcg, 1.0 / 3, 1e-12);
	/* nobody qualifies: NaN; a NaN score: an error */
	ck_assert_int_eq(igr_grouped_scores(p, y, user, item, 3, 20, &ndcg,
					    &gauc),
			 0);
	ck_assert(isnan(gauc));
	ck_assert_double_eq_tol(ndcg, 1, 1e-12); /* user 2 alone */
	ck_assert_int_eq(igr_grouped_scores(p, y, user, item, 1, 20, &ndcg,
					    &gauc),
			 0);
	ck_assert(isnan(ndcg) && isnan(gauc));
	memcpy(bad, p, sizeof bad);
	bad[4] = NAN;
	ck_assert_int_eq(igr_grouped_scores(bad, y, user, item, 9, 20, &ndcg,
					    &gauc),
			 -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, user_mixed);
	tcase_add_test(tc, user_no_hits);
	tcase_add_test(tc, user_all_hits);
	tcase_add_test(tc, user_small_truth);
	tcase_add_test(tc, user_empty_and_errors);
	tcase_add_test(tc, eval_small);
	tcase_add_test(tc, eval_rank_ties);
	tcase_add_test(tc, eval_rank_gaps);
	tcase_add_test(tc, eval_errors);
	tcase_add_test(tc, eval_probabilities);
	tcase_add_test(tc, auc_cases);
	tcase_add_test(tc, auc_random);
	tcase_add_test(tc, logloss_brier_calibration);
	tcase_add_test(tc, significance);
	tcase_add_test(tc, eval_two_runs);
	tcase_add_test(tc, eval_random_cross_check);
	tcase_add_test(tc, names);
	tcase_add_test(tc, grouped_scores);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
