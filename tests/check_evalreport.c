/* check_evalreport.c - one igraph-eval run (evalreport.h): TSV averages,
 * per-user rows, a comparison and JSON written to an igr_out; the
 * catalogue check; errors returned, never printed. */
#include "testutil.h"

#include "error.h"
#include "evalreport.h"
#include "io.h"

#include <cjson/cJSON.h>

static const char truth_tsv[] =
	"#igraph events 1.0\n"
	"ts\tuser\titem\tcategory\tbehavior\tvalue\n"
	"1000\t0\t1\t-\tview\t1\n"
	"1001\t0\t2\t-\tbuy\t1\n"
	"1002\t1\t3\t-\tview\t1\n";

/* user 0: item 1 first (a hit), then 4; user 1: item 3 second */
static const char recs_tsv[] =
	"#igraph scores 1.0\n"
	"query_type\tquery\ttarget_type\ttarget\tscore\trank\n"
	"user\t0\titem\t1\t0.9\t1\n"
	"user\t0\titem\t4\t0.5\t2\n"
	"user\t1\titem\t0\t0.8\t1\n"
	"user\t1\titem\t3\t0.7\t2\n";

static const uint32_t ks[] = { 1, 2 };

static void opts_init(struct igr_evalreport_opts *o)
{
	memset(o, 0, sizeof *o);
	tu_write_sealed(tu_path("truth.tsv"), truth_tsv, sizeof truth_tsv - 1);
	tu_write_sealed(tu_path("recs.tsv"), recs_tsv, sizeof recs_tsv - 1);
	o->truth = tu_path("truth.tsv");
	o->runs[0] = tu_path("recs.tsv");
	o->nruns = 1;
	o->k = ks;
	o->nk = 2;
	o->nbins = 10;
}

/* Run O through every step into FILE; returns its contents. */
static char *run(const struct igr_evalreport_opts *o, const char *file,
		 struct igr_evalreport_stats *st)
{
	igr_evalreport *er = igr_evalreport_new(o);
	igr_out *out;
	size_t n;

	ck_assert_ptr_nonnull(er);
	ck_assert_int_eq(igr_evalreport_read(er), 0);
	ck_assert_int_eq(igr_evalreport_compute(er), 0);
	out = igr_out_open(tu_path(file));
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(igr_evalreport_write(er, out), 0);
	ck_assert_int_eq(igr_out_close(out), 0);
	igr_evalreport_stats(er, st);
	igr_evalreport_free(er);
	return (char *)tu_read(tu_path(file), &n);
}

START_TEST(tsv_averages)
{
	struct igr_evalreport_opts o;
	struct igr_evalreport_stats st;
	char *text;

	tu_setup();
	opts_init(&o);
	text = run(&o, "out.tsv", &st);
	/* precision@1: user 0 hits, user 1 does not */
	ck_assert_ptr_nonnull(strstr(text, "users\t-\t2\nitems\t-\t5\n"));
	ck_assert_ptr_nonnull(strstr(text, "precision\t1\t0.500000\n"));
	ck_assert_ptr_nonnull(strstr(text, "hit\t2\t1.000000\n"));
	ck_assert_ptr_nonnull(strstr(text, "coverage\t2\t0.800000\n"));
	ck_assert_uint_eq(st.truth_read, 3);
	ck_assert_uint_eq(st.truth_relevant, 3);
	ck_assert_uint_eq(st.records[0], 4);
	ck_assert_str_eq(st.items_source, "largest id + 1");
	free(text);
	tu_cleanup();
}
END_TEST

START_TEST(behaviors_and_per_user)
{
	struct igr_evalreport_opts o;
	struct igr_evalreport_stats st;
	char *text;

	tu_setup();
	opts_init(&o);
	o.behaviors = 1u << 0; /* view */
	o.per_user = 1;
	text = run(&o, "out.tsv", &st);
	ck_assert_uint_eq(st.truth_relevant, 2);
	ck_assert_ptr_nonnull(strstr(text, "user\tk\ttruth\trecs\thits\t"
					   "precision\trecall\tf1\tndcg\thit\t"
					   "ap\trr\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n0\t1\t1\t2\t1\t"));
	ck_assert_ptr_nonnull(strstr(text, "\n1\t2\t1\t2\t1\t"));
	free(text);
	tu_cleanup();
}
END_TEST

START_TEST(compare_and_json)
{
	struct igr_evalreport_opts o;
	struct igr_evalreport_stats st;
	cJSON *root, *cmp;
	char *text;

	tu_setup();
	opts_init(&o);
	o.runs[1] = o.runs[0];
	o.nruns = 2;
	text = run(&o, "out.tsv", &st);
	ck_assert_ptr_nonnull(strstr(text, "metric\tk\ta\tb\tdiff\t"));
	ck_assert_ptr_nonnull(strstr(text, "precision\t1\t0.500000\t0.500000\t"
					   "0.000000\t0\t0\t2\t"));
	free(text);
	o.json = 1;
	text = run(&o, "out.json", &st);
	root = cJSON_Parse(text);
	ck_assert_ptr_nonnull(root);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(root, "a"));
	cmp = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "compare"), "2");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(cmp, "ndcg"));
	ck_assert_str_eq(cJSON_GetObjectItem(root, "behavior")->valuestring,
			 "all");
	cJSON_Delete(root);
	free(text);
	tu_cleanup();
}
END_TEST

START_TEST(errors_returned)
{
	struct igr_evalreport_opts o;
	igr_evalreport *er;
	char bl[64];

	tu_setup();
	opts_init(&o);
	o.items = 3; /* item 4 is recommended */
	er = igr_evalreport_new(&o);
	ck_assert_ptr_nonnull(er);
	ck_assert_int_eq(igr_evalreport_read(er), 0);
	ck_assert_int_eq(igr_evalreport_compute(er), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), ": item 4 is outside the "
					   "3 items of the catalogue "
					   "(--items)"));
	igr_evalreport_free(er);

	opts_init(&o);
	o.behaviors = 1u << 5; /* review: nobody has truth */
	er = igr_evalreport_new(&o);
	ck_assert_ptr_nonnull(er);
	ck_assert_int_eq(igr_evalreport_read(er), 0);
	ck_assert_int_eq(igr_evalreport_compute(er), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), ": behavior review: "));
	igr_evalreport_free(er);

	opts_init(&o);
	o.runs[0] = tu_path("missing.tsv");
	er = igr_evalreport_new(&o);
	ck_assert_ptr_nonnull(er);
	ck_assert_int_eq(igr_evalreport_read(er), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "missing.tsv"));
	igr_evalreport_free(er);

	ck_assert_str_eq(igr_behavior_list(0, bl, sizeof bl), "all");
	ck_assert_str_eq(igr_behavior_list(3, bl, sizeof bl), "view,click");
	ck_assert_str_eq(igr_evalreport_disp("-"), "<stdin>");
	tu_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evalreport");
	TCase *tc = tcase_create("evalreport");

	tcase_add_test(tc, tsv_averages);
	tcase_add_test(tc, behaviors_and_per_user);
	tcase_add_test(tc, compare_and_json);
	tcase_add_test(tc, errors_returned);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
