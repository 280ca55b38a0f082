/* check_mem.c - growing arrays and large working arrays (mem.c). */
#include <stdint.h>
#include <string.h>

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

int main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("mem");

	tcase_add_test(tc, grow_doubles);
	tcase_add_test(tc, large_arrays);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
