/* check_mem.c - growing arrays and large working arrays (mem.c). */
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "mem.h"

#include "testutil.h"

START_TEST(grow_doubles)
{
	int *a = NULL;
	size_t cap = 0;

	ck_assert_int_eq(igr_grow(&a, &cap, 10, sizeof *a), 0);
	ck_assert_uint_eq(cap, 64);
	a[63] = 1;
	ck_assert_int_eq(igr_grow(&a, &cap, 65, sizeof *a), 0);
	ck_assert_uint_eq(cap, 128);
	ck_assert_int_eq(a[63], 1);
	/* a size that cannot be represented: an error, the array kept */
	ck_assert_int_eq(igr_grow(&a, &cap, SIZE_MAX / 2, sizeof *a), -1);
	ck_assert_uint_eq(cap, 128);
	ck_assert_int_eq(a[63], 1);
	free(a);
}
END_TEST

START_TEST(large_arrays)
{
	/* small: plain malloc; from 2 MB: 2 MB aligned; all usable and
	 * freed with free() */
	size_t sizes[] = { 0, 1, 1000, (size_t)2 << 20, ((size_t)5 << 20) + 3 };
	size_t q;

	for (q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
		unsigned char *p = igr_alloc_large(sizes[q], 1);

		ck_assert_ptr_nonnull(p);
		if (sizes[q] >= ((size_t)2 << 20))
			ck_assert_uint_eq((uintptr_t)p % ((size_t)2 << 20), 0);
		memset(p, 0xab, sizes[q] ? sizes[q] : 1);
		ck_assert_uint_eq(p[sizes[q] ? sizes[q] - 1 : 0], 0xab);
		free(p);
	}
	/* N x SIZE overflowing: NULL, nothing allocated */
	ck_assert_ptr_null(igr_alloc_large(SIZE_MAX / 2, 4));
}
END_TEST

START_TEST(sizes)
{
	uint64_t b;

	ck_assert_int_eq(igr_parse_size("16G", "x", &b), 0);
	ck_assert_uint_eq(b, (uint64_t)16 << 30);
	ck_assert_int_eq(igr_parse_size("800M", "x", &b), 0);
	ck_assert_uint_eq(b, (uint64_t)800 << 20);
	ck_assert_int_eq(igr_parse_size("1.5GiB", "x", &b), 0);
	ck_assert_uint_eq(b, (uint64_t)3 << 29);
	ck_assert_int_eq(igr_parse_size("4096", "x", &b), 0);
	ck_assert_uint_eq(b, 4096);
	ck_assert_int_eq(igr_parse_size("2kb", "x", &b), 0);
	ck_assert_uint_eq(b, 2048);
	if (igr_physical_memory() > 0) {
		ck_assert_int_eq(igr_parse_size("50%", "x", &b), 0);
		ck_assert_uint_eq(b, igr_physical_memory() / 2);
	}
	ck_assert_int_eq(igr_parse_size("", "x", &b), -1);
	ck_assert_int_eq(igr_parse_size("12x", "--memory", &b), -1);
	ck_assert_str_eq(igr_errmsg(),
			 "--memory: '12x' is not a size (e.g. 16G, 800M, 50%)");
	ck_assert_int_eq(igr_parse_size("-3G", "x", &b), -1);
	ck_assert_int_eq(igr_parse_size("150%", "x", &b), -1);
	ck_assert_int_eq(igr_parse_size("0", "x", &b), -1);
	ck_assert_int_eq(igr_parse_size("nanG", "x", &b), -1);
	ck_assert_int_eq(igr_parse_size("99999999T", "x", &b), -1);
	/* the budget: set, or 5/8 of physical memory */
	igr_memory_set(0);
	if (igr_physical_memory() > 0)
		ck_assert_uint_eq(igr_memory_budget(),
				  igr_physical_memory() / 8 * 5);
	igr_memory_set(12345);
	ck_assert_uint_eq(igr_memory_budget(), 12345);
	ck_assert_uint_gt(igr_memory_resident(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("mem");

	tcase_add_test(tc, grow_doubles);
	tcase_add_test(tc, large_arrays);
	tcase_add_test(tc, sizes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
