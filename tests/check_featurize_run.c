/* check_featurize_run.c - one igraph-featurize run (featurize_run.h): a
 * graph and a report written from events, --forget with dense ids and
 * with a vocabulary (a missing name is a warning through the callback),
 * errors returned. */
#include "testutil.h"

#include <sys/stat.h>

#include "error.h"
#include "featurize_run.h"
#include "stream.h"

static const char events[] = "#igraph events 1.0\n"
			     "ts\tuser\titem\tcategory\tbehavior\tvalue\n"
			     "1000\t0\t1\t0\tview\t1\n"
			     "1001\t1\t2\t1\tbuy\t1\n"
			     "1002\t2\t1\t0\tcart\t1\n";

static char warned[256];

/* A path that outlives tu_path()'s few slots (the options keep it); static
 * room, so nothing leaks when the tests run in one process (valgrind). */
static char *keep(const char *name)
{
	static char pool[16][512];
	static int next;
	char *p = pool[next++ % 16];

	snprintf(p, sizeof pool[0], "%s", tu_path(name));
	return p;
}

static void on_warn(void *arg, const char *msg)
{
	(void)arg;
	snprintf(warned, sizeof warned, "%s", msg);
}

static char *argv0[] = { "igraph-featurize", NULL };
static char *files[1];

static void opts_init(struct igr_fzrun_opts *o)
{
	memset(o, 0, sizeof *o);
	igr_fz_opts_init(&o->fz);
	tu_write_sealed(tu_path("ev.tsv"), events, sizeof events - 1);
	files[0] = keep("ev.tsv");
	o->files = files;
	o->nfiles = 1;
	o->output = keep("g.tsv");
	o->encoding = IGR_ENC_TSV;
	o->text_output = 1;
	o->argc = 1;
	o->argv = argv0;
	o->warn = on_warn;
}

/* Each test starts from these options in a fresh directory. */
static struct igr_fzrun_opts o;

static void setup(void)
{
	tu_setup();
	opts_init(&o);
}

/* Every step of the run of the options; its report. */
static const igr_fz_report *run(igr_fzrun **r, uint64_t *nforget)
{
	*r = igr_fzrun_open(&o);
	ck_assert_msg(*r != NULL, "%s", igr_errmsg());
	ck_assert_msg(igr_fzrun_forget(*r) == 0, "%s", igr_errmsg());
	ck_assert_msg(igr_fzrun_read(*r) == 0, "%s", igr_errmsg());
	ck_assert_msg(igr_fzrun_write(*r) == 0, "%s", igr_errmsg());
	ck_assert_msg(igr_fzrun_close(*r) == 0, "%s", igr_errmsg());
	return igr_fzrun_report(*r, nforget);
}

START_TEST(graph_and_report)
{
	const igr_fz_report *rep;
	igr_fzrun *r;
	uint64_t nforget;
	size_t n;
	char *text;

	o.report = keep("report.tsv");
	rep = run(&r, &nforget);
	ck_assert_uint_eq(rep->events, 3);
	ck_assert_uint_eq(rep->users_touched, 3);
	ck_assert_uint_eq(nforget, 0);
	igr_fzrun_free(r);
	text = (char *)tu_read(tu_path("g.tsv"), &n);
	ck_assert_ptr_nonnull(strstr(text, "#igraph graph "));
	ck_assert_ptr_nonnull(strstr(text, "\tigraph-featurize\t"));
	ck_assert_ptr_nonnull(strstr(text, "user\t1\titem\t2\t"));
	free(text);
	text = (char *)tu_read(tu_path("report.tsv"), &n);
	ck_assert_ptr_nonnull(strstr(text, "events\t-\t3\n"));
	free(text);
}
END_TEST

START_TEST(forget)
{
	static const char dense[] = "# users\n1\n\n";
	static const char names[] = "u1\nnobody\n";
	static const char vocab_users[] = "u0\nu1\nu2\n";
	const igr_fz_report *rep;
	igr_fzrun *r;
	uint64_t nforget;
	size_t n;
	char *text;

	tu_write(tu_path("gone.txt"), dense, sizeof dense - 1);
	o.forget = keep("gone.txt");
	rep = run(&r, &nforget);
	ck_assert_uint_eq(nforget, 1);
	ck_assert_uint_eq(rep->events_forgotten, 1);
	igr_fzrun_free(r);
	text = (char *)tu_read(tu_path("g.tsv"), &n);
	ck_assert_ptr_null(strstr(text, "user\t1\t"));
	free(text);

	/* by name through a vocabulary, which records the erasure */
	ck_assert_int_eq(mkdir(tu_path("v"), 0777), 0);
	tu_write(tu_path("v/user.tsv"), vocab_users, sizeof vocab_users - 1);
	tu_write(tu_path("v/item.tsv"), "i0\ni1\ni2\n", 9);
	tu_write(tu_path("v/category.tsv"), "c0\nc1\n", 6);
	tu_write(tu_path("gone.txt"), names, sizeof names - 1);
	o.vocab = keep("v");
	warned[0] = 0;
	rep = run(&r, &nforget);
	ck_assert_uint_eq(nforget, 1);
	ck_assert_ptr_nonnull(strstr(warned, "gone.txt:2: user 'nobody' is "
					     "not in the vocabulary"));
	igr_fzrun_free(r);
}
END_TEST

START_TEST(errors_returned)
{
	static const char bad[] = "u1\n";
	igr_fzrun *r;

	tu_write(tu_path("gone.txt"), bad, sizeof bad - 1);
	o.forget = keep("gone.txt");
	r = igr_fzrun_open(&o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(igr_fzrun_forget(r), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "gone.txt:1: 'u1' is not a "
						   "dense user id"));
	igr_fzrun_free(r);

	opts_init(&o);
	files[0] = keep("missing.tsv");
	ck_assert_ptr_null(igr_fzrun_open(&o));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "missing.tsv"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("featurize_run");
	TCase *tc = tcase_create("featurize_run");

	tcase_add_checked_fixture(tc, setup, tu_cleanup);

	tcase_add_test(tc, graph_and_report);
	tcase_add_test(tc, forget);
	tcase_add_test(tc, errors_returned);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
