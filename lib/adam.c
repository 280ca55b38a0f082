/* adam.c - the Adam optimiser (see adam.h). */
#include "adam.h"
#include "error.h"
#include "vec.h"

#include <math.h>
#include <stdlib.h>


int igr_adam_init(igr_adam *a, size_t n)
{
	a->n = n;
	a->t = 0;
	a->b1 = 0.9f;
	a->b2 = 0.999f;
	a->eps = 1e-8f;
	a->m = calloc(n ? n : 1, sizeof *a->m);
	a->v = calloc(n ? n : 1, sizeof *a->v);
	if (a->m == NULL || a->v == NULL) {
		igr_adam_release(a);
		return igr_error("out of memory");
	}
	return 0;
}

void igr_adam_release(igr_adam *a)
{
	free(a->m);
	free(a->v);
	a->m = a->v = NULL;
}

IGR_VEC
static void adam_span(float *restrict x, const float *restrict g,
		      float *restrict m, float *restrict v, size_t n, float b1,
		      float b2, float eps, float step, float c2)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float gi = g[i];

		m[i] = b1 * m[i] + (1 - b1) * gi;
		v[i] = b2 * v[i] + (1 - b2) * gi * gi;
		x[i] -= step * m[i] / (sqrtf(v[i] * c2) + eps);
	}
}

/* The bias corrections of step T: step = lr / (1 - b1^t); c2 = 1 / (1 -
 * b2^t) */
static void factors(const igr_adam *a, uint64_t t, float lr, float *step,
		    float *c2)
{
	*step = (float)(lr / (1 - pow(a->b1, (double)t)));
	*c2 = (float)(1 / (1 - pow(a->b2, (double)t)));
}

void igr_adam_step(igr_adam *a, float *x, const float *g, float lr)
{
	enum { CH = 4096 };
	float step, c2;
	int64_t c, nc = (int64_t)((a->n + CH - 1) / CH);

	factors(a, ++a->t, lr, &step, &c2);
#pragma omp parallel for schedule(static)
	for (c = 0; c < nc; c++) {
		size_t lo = (size_t)c * CH, n = a->n - lo < CH ? a->n - lo : CH;

		adam_span(x + lo, g + lo, a->m + lo, a->v + lo, n, a->b1,
			  a->b2, a->eps, step, c2);
	}
}

void igr_adam_rows_at(const igr_adam *a, uint64_t t, float *x,
		      const float *g, size_t dim, const uint32_t *rows,
		      size_t nr, float lr)
{
	float step, c2;
	int64_t j;

	factors(a, t, lr, &step, &c2);

#pragma omp parallel for schedule(static) if (nr * dim >= (1u << 22))
	for (j = 0; j < (int64_t)nr; j++) {
		size_t o = (size_t)rows[j] * dim;

		adam_span(x + o, g + (size_t)j * dim, a->m + o, a->v + o, dim,
			  a->b1, a->b2, a->eps, step, c2);
	}
}

void igr_adam_rows(igr_adam *a, float *x, const float *g, size_t dim,
		   const uint32_t *rows, size_t nr, float lr)
{
	igr_adam_rows_at(a, ++a->t, x, g, dim, rows, nr, lr);
}
