/* check_par.c - the parallel layer run without a launcher: ranges cut by
 * weight, the serial fallbacks of every collective, launchers that cannot
 * work refused, and the outputs of every rank that are, on one rank, the
 * ordinary ones.  (Several ranks: tests/sh/test_mpi.sh under mpirun.) */
#include "testutil.h"

#include "error.h"
#include "io.h"
#include "par.h"
#include "stream.h"

#include <stdint.h>

static const char *const launcher_vars[] = {
	"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK",
	"SLURM_STEP_ID", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS",
};

static void no_launcher(void)
{
	size_t i;

	for (i = 0; i < sizeof launcher_vars / sizeof launcher_vars[0]; i++)
		unsetenv(launcher_vars[i]);
}

/* Part r of BOUNDS weighs at most its share plus one element: the cut
 * goes at the first element that reaches the share. */
static void check_cut(const uint64_t *w, size_t n, int parts)
{
	size_t b[17], i;
	uint64_t total = 0, max = 0;
	int r;

	for (i = 0; i < n; i++) {
		total += w[i];
		max = w[i] > max ? w[i] : max;
	}
	igr_par_split(w, n, parts, b);
	ck_assert_uint_eq(b[0], 0);
	ck_assert_uint_eq(b[parts], n);
	for (r = 0; r < parts; r++) {
		uint64_t part = 0;
		ck_assert_uint_le(b[r], b[r + 1]);
		for (i = b[r]; i < b[r + 1]; i++)
			part += w[i];
		ck_assert_uint_le(part, total / (uint64_t)parts + max + 1);
	}
}

START_TEST(split_by_weight)
{
	uint64_t w[1000], s = 88172645463325252ull;
	size_t i;
	int parts;

	for (i = 0; i < 1000; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		/* skewed: a few heavy users among many light ones */
		w[i] = i % 97 == 0 ? 1000 + s % 5000 : 1 + s % 10;
	}
	for (parts = 1; parts <= 16; parts++) {
		check_cut(w, 1000, parts);
		check_cut(w, 7, parts);
		check_cut(w, 0, parts);
	}
	{
		/* equal weights: equal ranges */
		uint64_t one[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
		size_t b[5];
		igr_par_split(one, 12, 4, b);
		ck_assert_uint_eq(b[1], 3);
		ck_assert_uint_eq(b[2], 6);
		ck_assert_uint_eq(b[3], 9);
		/* all weight in the last element: the first parts empty */
		uint64_t last[4] = { 0, 0, 0, 9 };
		igr_par_split(last, 4, 3, b);
		ck_assert_uint_le(b[1], b[2]);
		ck_assert_uint_eq(b[3], 4);
	}
}
END_TEST

START_TEST(serial_fallbacks)
{
	uint64_t v[3] = { 1, 2, 3 }, g[1];
	unsigned char c[4] = "abc";
	void *all;
	size_t total, lo, hi;

	no_launcher();
	ck_assert_int_eq(igr_par_launched(), 0);
	ck_assert_int_eq(igr_par_start(1), 0);
	ck_assert_int_eq(igr_par_rank(), 0);
	ck_assert_int_eq(igr_par_size(), 1);
	ck_assert_int_eq(igr_par_agree(0), 0);
	ck_assert_int_eq(igr_par_agree(-1), -1);
	ck_assert_int_eq(igr_par_failed_elsewhere(), 0);
	ck_assert_int_eq(igr_par_sum_u64(v, 3), 0);
	ck_assert_uint_eq(v[2], 3);
	ck_assert_int_eq(igr_par_bcast(c, 3), 0);
	ck_assert_int_eq(igr_par_gather(c, 3, &all, &total), 0);
	ck_assert_uint_eq(total, 3);
	ck_assert_mem_eq(all, "abc", 3);
	free(all);
	ck_assert_int_eq(igr_par_gather_u64(42, g), 0);
	ck_assert_uint_eq(g[0], 42);
	{
		/* nothing to exchange with oneself */
		const void *send[1] = { c };
		uint64_t len[1] = { 3 }, rlen[1] = { 7 };
		void *recv[1] = { c };
		ck_assert_int_eq(igr_par_alltoall(send, len, recv, rlen), 0);
		ck_assert_ptr_null(recv[0]);
		ck_assert_uint_eq(rlen[0], 0);
	}
	ck_assert_int_eq(igr_par_range(v, 3, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 3);
	/* standard input stays standard input */
	ck_assert_str_eq(igr_in_par("-"), "-");
	ck_assert_str_eq(igr_in_par("x.igr"), "x.igr");
	ck_assert_ptr_null(igr_in_par(NULL));
	ck_assert_uint_eq(igr_par_bytes_sent(), 0);
	{
		/* steps are named once, in order, at most IGR_PAR_MAXSTEP */
		const char *names[IGR_PAR_MAXSTEP];
		uint64_t bytes[IGR_PAR_MAXSTEP];
		static const char *const nine[] = { "a", "b", "c", "d", "e",
						     "f", "g", "h", "i" };
		int i;
		igr_par_step("input");
		igr_par_step("output");
		igr_par_step("input");
		ck_assert_int_eq(igr_par_steps(names, bytes), 2);
		ck_assert_str_eq(names[1], "output");
		ck_assert_uint_eq(bytes[0], 0);
		for (i = 0; i < 9; i++)
			igr_par_step(nine[i]);
		ck_assert_int_eq(igr_par_steps(names, bytes),
				 IGR_PAR_MAXSTEP);
	}
	ck_assert_int_eq(igr_par_finish(), 0);
	igr_par_abort(1, 0); /* nothing to end */
}
END_TEST

START_TEST(launchers_refused)
{
	/* srun's tasks without PMI cannot reach each other */
	no_launcher();
	setenv("SLURM_STEP_ID", "0", 1);
	setenv("SLURM_PROCID", "1", 1);
	setenv("SLURM_STEP_NUM_TASKS", "4", 1);
	ck_assert_int_eq(igr_par_launched(), 0);
	ck_assert_int_eq(igr_par_start(1), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "--mpi=pmix"));
	/* one task: a serial run */
	setenv("SLURM_STEP_NUM_TASKS", "1", 1);
	ck_assert_int_eq(igr_par_start(1), 0);
	no_launcher();
#ifndef IGRAPH_MPI
	/* several copies of a build without MPI would each write it all */
	setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
	ck_assert_int_eq(igr_par_launched(), 1);
	ck_assert_int_eq(igr_par_start(1), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "make MPI=1"));
	/* one copy is the serial run */
	setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
	ck_assert_int_eq(igr_par_start(0), 0);
	no_launcher();
#endif
}
END_TEST

/* On one rank an output of every rank is the ordinary one. */
START_TEST(outputs_on_one_rank)
{
	const char *a = tu_path("a.igr"), *b = tu_path("b.igr");
	igr_writer *w[2];
	igr_score sc = { IGR_USER, IGR_ITEM, 3, 9, 0.5f, 1 };
	unsigned char *x, *y;
	size_t nx, ny;
	igr_out *o;
	uint64_t got;
	int i, enc;

	no_launcher();
	for (enc = IGR_ENC_BINARY; enc <= IGR_ENC_TSV; enc++) {
		w[0] = igr_writer_open(a, IGR_KIND_SCORES, enc);
		w[1] = igr_writer_open_par(b, IGR_KIND_SCORES, enc);
		for (i = 0; i < 2; i++) {
			ck_assert_ptr_nonnull(w[i]);
			ck_assert_int_eq(igr_writer_set_meta(w[i], "k", "1"), 0);
			for (sc.target = 0; sc.target < 20000; sc.target++) {
				ck_assert_int_eq(igr_write_score(w[i], &sc), 0);
				/* a gather in the middle changes nothing */
				if (sc.target == 5000)
					ck_assert_int_eq(
						igr_writer_gather(w[i]), 0);
			}
			ck_assert_int_eq(igr_writer_close(w[i]), 0);
		}
		x = tu_read(a, &nx);
		y = tu_read(b, &ny);
		ck_assert_uint_eq(nx, ny);
		ck_assert_mem_eq(x, y, nx);
		free(x);
		free(y);
	}
	o = igr_out_open_par(a);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(igr_out_is_part(o), 0);
	ck_assert_int_eq(igr_out_write(o, "xyz\n", 4), 0);
	ck_assert_int_eq(igr_out_gather(o, 0, 1, 1, NULL, NULL, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(igr_out_close(o), 0);
	x = tu_read(a, &nx);
	ck_assert_uint_eq(nx, 4);
	free(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("par");
	TCase *tc = tcase_create("par");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_add_test(tc, split_by_weight);
	tcase_add_test(tc, serial_fallbacks);
	tcase_add_test(tc, launchers_refused);
	tcase_add_test(tc, outputs_on_one_rank);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
