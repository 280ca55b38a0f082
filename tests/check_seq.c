/* check_seq.c - the behaviour-sequence model: its gradient against finite
 * differences, the packing of sequences, determinism, and serving from
 * the current events without retraining. */
#include "testutil.h"

#include "error.h"
#include "model.h"
#include "models/seq.h"
#include "seqs.h"
#include "stream.h"
#include "train.h"

#include <math.h>

/* Three sequences of 3, 5 and 1 rows (L = 5), 7 items, mixed behaviours. */
static const uint32_t TOK[] = { 1, 2, 3, 0, 4, 5, 6, 2, 3 };
static const uint8_t BEH[] = { 0, 1, 5, 0, 2, 3, 4, 0, 1 };
static const uint32_t TGT[] = { 2, 3, 4, 4, 5, 6, 2, 1, 0 };
static const uint32_t OFF[] = { 0, 3, 8, 9 };

static double loss_of(const igr_seqnet *n, igr_seqnet_work *w, float *g)
{
	double loss;

	ck_assert_int_eq(igr_seqnet_loss_grad(n, w, TOK, BEH, TGT, OFF, 3, 0,
					      NULL, &loss, g), 0);
	return loss;
}

START_TEST(gradient)
{
	igr_seqnet_cfg c = { .ni = 7, .d = 8, .L = 5, .heads = 2,
			     .blocks = 2, .ffn = 16 };
	igr_seqnet *n = igr_seqnet_new(&c, 3);
	igr_seqnet_work *w = igr_seqnet_work_new();
	float *g, *g2;
	size_t i, bad = 0;
	double worst = 0;
	uint64_t s = 99;

	ck_assert_ptr_nonnull(n);
	/* larger weights than the initialiser's, so that every gradient
	 * stands well above the rounding of the float passes */
	for (i = 0; i < n->nparam; i++)
		n->param[i] += (float)(0.3 * igr_splitmix_normal(&s));
	g = malloc(n->nparam * sizeof *g);
	g2 = malloc(n->nparam * sizeof *g2);
	loss_of(n, w, g);
	for (i = 0; i < n->nparam; i++) {
		float keep = n->param[i];
		const float h = 1e-2f;
		double lp, lm, num, err;

		n->param[i] = keep + h;
		lp = loss_of(n, w, g2);
		n->param[i] = keep - h;
		lm = loss_of(n, w, g2);
		n->param[i] = keep;
		num = (lp - lm) / (2.0 * h);
		err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-3);
		if (err > worst)
			worst = err;
		if (err > 0.05) {
			if (bad < 5)
				fprintf(stderr, "param %zu: numeric %g, "
					"analytic %g\n", i, num, g[i]);
			bad++;
		}
	}
	fprintf(stderr, "worst %g\n", worst);
	ck_assert_msg(bad == 0, "%zu of %zu gradients off (worst %g)", bad,
		      n->nparam, worst);
	free(g);
	free(g2);
	igr_seqnet_work_free(w);
	igr_seqnet_free(n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("seq");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gradient);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
