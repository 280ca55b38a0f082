/* model_diff - are two models the same within a tolerance?  For the
 * tests of a model trained on several MPI ranks (tests/sh/test_mpi.sh),
 * whose floating sums go in another order than one rank's:
 *
 *   model_diff A.igm B.igm TOL [NAME=TOL ...]
 *
 * The two must be of the same type with the same settings (the "params"
 * object of their descriptions, compared exactly: a tuner's choices) and
 * the same arrays (names, types, shapes); every float array of B must be
 * within TOL of A's normwise, ||B - A|| / ||A|| <= TOL (2-norm; ||B|| <=
 * TOL when A is 0; NAME=TOL: another tolerance for array NAME), every
 * other array equal.  Prints one line per array,
 * its name and relative difference, and "max DIFF".  Exits 0 when they
 * agree, 1 when not (saying why on stderr), 2 when a model cannot be
 * read or the usage is wrong. */
#include "error.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t elems(const igr_array *a)
{
	size_t n = 1;
	int d;

	for (d = 0; d < a->ndim; d++)
		n *= (size_t)a->dim[d];
	return n;
}

static int same_shape(const igr_array *a, const igr_array *b)
{
	int d;

	if (a->dtype != b->dtype || a->ndim != b->ndim)
		return 0;
	for (d = 0; d < a->ndim; d++)
		if (a->dim[d] != b->dim[d])
			return 0;
	return 1;
}

/* ||B - A|| / ||A|| of two float arrays of N elements (||B|| if A is 0;
 * INFINITY when a value is not finite) */
static double rel_diff(const float *a, const float *b, size_t n)
{
	double na = 0, nd = 0, nb = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double d = (double)b[i] - a[i];

		if (!isfinite(a[i]) || !isfinite(b[i]))
			return INFINITY;
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
		nd += d * d;
	}
	return na > 0 ? sqrt(nd / na) : sqrt(nb);
}

/* TOL, or -1 when S is not a number >= 0 */
static double tolerance(const char *s)
{
	char *end;
	double t = strtod(s, &end);

	return *end == '\0' && end != s && t >= 0 ? t : -1;
}

/* array NAME's tolerance: a NAME=TOL of ARGV[4 ..], else DEF */
static double tol_of(const char *name, int argc, char **argv, double def)
{
	size_t n = strlen(name);
	int i;

	for (i = 4; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return tolerance(argv[i] + n + 1);
	return def;
}

int main(int argc, char **argv)
{
	igr_model *a, *b;
	double tol, most = 0;
	size_t i;
	int bad = 0, j;

	if (argc < 4) {
		fprintf(stderr, "usage: model_diff A.igm B.igm TOL "
			"[NAME=TOL ...]\n");
		return 2;
	}
	tol = tolerance(argv[3]);
	for (j = 4; j < argc; j++)
		if (strchr(argv[j], '=') == NULL ||
		    tolerance(strchr(argv[j], '=') + 1) < 0)
			tol = -1;
	if (tol < 0) {
		fprintf(stderr, "model_diff: bad tolerance\n");
		return 2;
	}
	a = igr_model_load(argv[1]);
	b = a ? igr_model_load(argv[2]) : NULL;
	if (b == NULL) {
		fprintf(stderr, "model_diff: %s\n", igr_errmsg());
		igr_model_free(a);
		return 2;
	}
	if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a->meta, "model"),
			   cJSON_GetObjectItemCaseSensitive(b->meta, "model"),
			   1) ||
	    !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a->meta, "params"),
			   cJSON_GetObjectItemCaseSensitive(b->meta, "params"),
			   1)) {
		fprintf(stderr, "model_diff: the types or settings differ\n");
		bad = 1;
	}
	if (a->narr != b->narr) {
		fprintf(stderr, "model_diff: %zu arrays against %zu\n",
			a->narr, b->narr);
		bad = 1;
	}
	for (i = 0; i < a->narr; i++) {
		const igr_array *x = &a->arr[i];
		const igr_array *y = igr_model_get(b, x->name);
		double d, t = tol_of(x->name, argc, argv, tol);

		if (y == NULL || !same_shape(x, y)) {
			fprintf(stderr, "model_diff: array %s: %s\n", x->name,
				y ? "another type or shape" : "missing");
			bad = 1;
			continue;
		}
		if (x->dtype == IGR_DT_F32)
			d = rel_diff(x->data, y->data, elems(x));
		else
			d = memcmp(x->data, y->data,
				   elems(x) * igr_dtype_size(x->dtype)) == 0
				    ? 0 : INFINITY;
		printf("%s\t%.3g\n", x->name, d);
		if (!(d <= t)) {
			fprintf(stderr, "model_diff: array %s: %.3g over %g\n",
				x->name, d, t);
			bad = 1;
		}
		if (!(d <= most))
			most = d;
	}
	printf("max\t%.3g\n", most);
	igr_model_free(a);
	igr_model_free(b);
	return bad;
}
