/* check_split.c - train/test splits: the temporal cut, leave-last-N with
 * ties, the seeded per-user fraction, and that every event lands once. */
#include "testutil.h"

#include "error.h"
#include "split.h"
#include "stream.h"

static igr_event ev(int64_t ts, uint32_t user, uint32_t item)
{
	igr_event e;

	memset(&e, 0, sizeof e);
	e.ts = ts;
	e.user = user;
	e.item = item;
	e.category = IGR_NONE;
	e.behavior = IGR_VIEW;
	e.value = 1;
	return e;
}

START_TEST(last_n_with_ties)
{
	/* user 7: times 5, 3, 9, 9 (input order), user 2: one event */
	igr_event e[] = { ev(5, 7, 0), ev(3, 7, 1), ev(9, 7, 2), ev(100, 2, 3),
			  ev(9, 7, 4) };
	igr_split_opts o = { .mode = IGR_SPLIT_LAST, .last = 2,
			     .min_train = 1 };
	igr_split_stats st;
	uint8_t t[5];

	ck_assert_int_eq(igr_split_assign(e, 5, &o, t, &st), 0);
	/* user 7 in time order: 1(3) 0(5) 2(9) 4(9): the last two are the
	 * two events at 9; user 2 keeps its only event in train */
	ck_assert_uint_eq(t[0], 0);
	ck_assert_uint_eq(t[1], 0);
	ck_assert_uint_eq(t[2], 1);
	ck_assert_uint_eq(t[3], 0);
	ck_assert_uint_eq(t[4], 1);
	ck_assert_uint_eq(st.users, 2);
	ck_assert_uint_eq(st.users_test, 1);

	o.last = 3; /* ties by input order: of the 9s, event 4 is later */
	ck_assert_int_eq(igr_split_assign(e, 5, &o, t, NULL), 0);
	ck_assert_uint_eq(t[0] + t[1] + t[2] + t[4], 3);
	ck_assert_uint_eq(t[1], 0);

	o.last = 10; /* min_train keeps one */
	ck_assert_int_eq(igr_split_assign(e, 5, &o, t, NULL), 0);
	ck_assert_uint_eq(t[1], 0);
	ck_assert_uint_eq(t[0] + t[2] + t[4], 3);
	o.min_train = 0;
	ck_assert_int_eq(igr_split_assign(e, 5, &o, t, NULL), 0);
	ck_assert_uint_eq(t[0] + t[1] + t[2] + t[3] + t[4], 5);
}
END_TEST

START_TEST(last_one_keeps_order_of_equal_times)
{
	/* equal times: the last in input order is the last */
	igr_event e[] = { ev(1, 0, 0), ev(1, 0, 1), ev(1, 0, 2) };
	igr_split_opts o = { .mode = IGR_SPLIT_LAST, .last = 1,
			     .min_train = 1 };
	uint8_t t[3];

	ck_assert_int_eq(igr_split_assign(e, 3, &o, t, NULL), 0);
	ck_assert_uint_eq(t[0], 0);
	ck_assert_uint_eq(t[1], 0);
	ck_assert_uint_eq(t[2], 1);
}
END_TEST

#define NU 300

START_TEST(fraction_counts_and_seed)
{
	size_t n = 0, i;
	igr_event *e = malloc(NU * 40 * sizeof *e);
	uint8_t *t1 = malloc(NU * 40), *t2 = malloc(NU * 40),
		*t3 = malloc(NU * 40);
	igr_split_opts o = { .mode = IGR_SPLIT_FRACTION, .fraction = 0.25,
			     .seed = 42, .min_train = 1 };
	uint32_t u;
	size_t cnt[NU], tst[NU];
	int differ = 0;

	ck_assert_ptr_nonnull(e);
	/* users with 1..39 events, interleaved */
	for (i = 0; i < 40; i++)
		for (u = 0; u < NU; u++)
			if (i < 1 + u % 39)
				e[n++] = ev((int64_t)(i * 1000 + u), u,
					    (uint32_t)i);
	ck_assert_int_eq(igr_split_assign(e, n, &o, t1, NULL), 0);
	memset(cnt, 0, sizeof cnt);
	memset(tst, 0, sizeof tst);
	for (i = 0; i < n; i++) {
		cnt[e[i].user]++;
		tst[e[i].user] += t1[i];
	}
	for (u = 0; u < NU; u++) {
		size_t k = (size_t)(0.25 * (double)cnt[u] + 0.5);
		if (cnt[u] - k < 1)
			k = cnt[u] - 1;
		ck_assert_uint_eq(tst[u], k);
	}
	/* the same seed, the same split; another seed, another */
	ck_assert_int_eq(igr_split_assign(e, n, &o, t2, NULL), 0);
	ck_assert_mem_eq(t1, t2, n);
	o.seed = 43;
	ck_assert_int_eq(igr_split_assign(e, n, &o, t3, NULL), 0);
	for (i = 0; i < n; i++)
		differ += t1[i] != t3[i];
	ck_assert_int_gt(differ, 0);
	free(e);
	free(t1);
	free(t2);
	free(t3);
}
END_TEST

START_TEST(fraction_independent_of_other_users)
{
	/* user 5's choice is the same alone, among others, and with the
	 * users in another input order */
	igr_event a[64], b[128];
	uint8_t ta[64], tb[128];
	igr_split_opts o = { .mode = IGR_SPLIT_FRACTION, .fraction = 0.5,
			     .seed = 9, .min_train = 0 };
	size_t i, na = 0, nb = 0, j;

	for (i = 0; i < 64; i++)
		a[na++] = ev((int64_t)i, 5, (uint32_t)i);
	for (i = 0; i < 64; i++) {
		b[nb++] = ev((int64_t)(1000 - i), 9, 500);
		b[nb++] = ev((int64_t)i, 5, (uint32_t)i);
	}
	ck_assert_int_eq(igr_split_assign(a, na, &o, ta, NULL), 0);
	ck_assert_int_eq(igr_split_assign(b, nb, &o, tb, NULL), 0);
	for (i = 0, j = 0; i < nb; i++)
		if (b[i].user == 5)
			ck_assert_uint_eq(tb[i], ta[j++]);
	ck_assert_uint_eq(j, 64);
}
END_TEST

START_TEST(fraction_extremes)
{
	igr_event e[] = { ev(1, 0, 0), ev(2, 0, 1), ev(3, 1, 2) };
	igr_split_opts o = { .mode = IGR_SPLIT_FRACTION, .fraction = 0,
			     .seed = 1, .min_train = 0 };
	uint8_t t[3];

	ck_assert_int_eq(igr_split_assign(e, 3, &o, t, NULL), 0);
	ck_assert_uint_eq(t[0] + t[1] + t[2], 0);
	o.fraction = 1;
	ck_assert_int_eq(igr_split_assign(e, 3, &o, t, NULL), 0);
	ck_assert_uint_eq(t[0] + t[1] + t[2], 3);
	ck_assert_int_eq(igr_split_assign(e, 0, &o, t, NULL), 0);
}
END_TEST

/* Write N events, split them with O through files, and check the
 * outputs hold every event once, in input order. */
static void run_files(const igr_split_opts *o, int n, uint64_t *ntrain)
{
	igr_writer *w = igr_writer_open(tu_path("in"), IGR_KIND_EVENTS,
					IGR_ENC_BINARY);
	igr_reader *in[2], *r;
	igr_writer *wt, *ws;
	igr_split_stats st;
	igr_event e;
	int i, rc, descents;
	int64_t last;
	uint64_t seen = 0;

	ck_assert_ptr_nonnull(w);
	for (i = 0; i < n; i++) {
		e = ev(i, (uint32_t)(i % 17), (uint32_t)i);
		ck_assert_int_eq(igr_write_event(w, &e), 0);
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	in[0] = igr_reader_open(tu_path("in"), IGR_KIND_EVENTS);
	in[1] = igr_reader_open(tu_path("in"), IGR_KIND_EVENTS);
	ck_assert_ptr_nonnull(in[0]);
	ck_assert_ptr_nonnull(in[1]);
	wt = igr_writer_open(tu_path("train"), IGR_KIND_EVENTS, IGR_ENC_TSV);
	ws = igr_writer_open(tu_path("test"), IGR_KIND_EVENTS,
			     IGR_ENC_BINARY);
	ck_assert_int_eq(igr_split_run(in, 2, o, wt, ws, &st), 0);
	ck_assert_int_eq(igr_writer_close(wt), 0);
	ck_assert_int_eq(igr_writer_close(ws), 0);
	igr_reader_close(in[0]);
	igr_reader_close(in[1]);
	ck_assert_uint_eq(st.events, 2 * (uint64_t)n);
	ck_assert_uint_eq(st.train + st.test, st.events);
	for (i = 0; i < 2; i++) {
		r = igr_reader_open(tu_path(i ? "test" : "train"),
				    IGR_KIND_EVENTS);
		ck_assert_ptr_nonnull(r);
		last = -1;
		descents = 0;
		while ((rc = igr_read_event(r, &e)) == 1) {
			seen++;
			if (o->mode == IGR_SPLIT_AT)
				ck_assert(i ? e.ts >= o->at : e.ts < o->at);
			/* input order: the times rise, except once where the
			 * second copy of the input starts */
			descents += e.ts < last;
			last = e.ts;
		}
		ck_assert_int_le(descents, 1);
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(igr_reader_records(r),
				  i ? st.test : st.train);
		igr_reader_close(r);
	}
	ck_assert_uint_eq(seen, 2 * (uint64_t)n);
	*ntrain = st.train;
}

START_TEST(run_at_and_per_user)
{
	igr_split_opts o = { .mode = IGR_SPLIT_AT, .at = 700 };
	uint64_t ntrain;

	run_files(&o, 1000, &ntrain);
	ck_assert_uint_eq(ntrain, 2 * 700);
	o.mode = IGR_SPLIT_LAST;
	o.last = 3;
	o.min_train = 1;
	run_files(&o, 1000, &ntrain);
	/* 17 users, each twice: 3 test events per user */
	ck_assert_uint_eq(ntrain, 2000 - 17 * 3);
	o.mode = IGR_SPLIT_FRACTION;
	o.fraction = 0.1;
	run_files(&o, 1000, &ntrain);
	ck_assert_uint_lt(ntrain, 2000);
}
END_TEST

START_TEST(run_wrong_kind)
{
	igr_writer *w = igr_writer_open(tu_path("g"), IGR_KIND_GRAPH,
					IGR_ENC_BINARY);
	igr_reader *r;
	igr_writer *wt, *ws;
	igr_split_opts o = { .mode = IGR_SPLIT_AT, .at = 1 };

	ck_assert_int_eq(igr_writer_close(w), 0);
	r = igr_reader_open(tu_path("g"), 0);
	ck_assert_ptr_nonnull(r);
	wt = igr_writer_open(tu_path("a"), IGR_KIND_EVENTS, IGR_ENC_BINARY);
	ws = igr_writer_open(tu_path("b"), IGR_KIND_EVENTS, IGR_ENC_BINARY);
	ck_assert_int_eq(igr_split_run(&r, 1, &o, wt, ws, NULL), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "expected events"));
	igr_writer_abort(wt);
	igr_writer_abort(ws);
	igr_reader_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("split");
	TCase *tc = tcase_create("split");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, last_n_with_ties);
	tcase_add_test(tc, last_one_keeps_order_of_equal_times);
	tcase_add_test(tc, fraction_counts_and_seed);
	tcase_add_test(tc, fraction_independent_of_other_users);
	tcase_add_test(tc, fraction_extremes);
	tcase_add_test(tc, run_at_and_per_user);
	tcase_add_test(tc, run_wrong_kind);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
