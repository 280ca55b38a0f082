/* check_ann.c - the FAISS shim (ann.h) and the index file (annindex.h). */
#include "ann.h"
#include "annindex.h"
#include "embed.h"
#include "error.h"
#include "topk.h"

#include <math.h>

#include "testutil.h"

#define N 4000
#define D 16
#define NQ 200
#define K 10
#define PQ_BOUND 0.45 /* measured 0.559 */

/* Clustered vectors (items of a catalogue are not uniform either). */
static float *random_vectors(uint32_t n, uint32_t d)
{
	float *x = malloc((size_t)n * d * sizeof *x), c[32][D];
	uint32_t i, j;

	ck_assert_ptr_nonnull(x);
	for (i = 0; i < 32; i++)
		for (j = 0; j < d; j++)
			c[i][j] = (float)(tu_rnd() % 2001) / 1000.0f - 1.0f;
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			x[(size_t)i * d + j] =
				c[i % 32][j] +
				0.3f * ((float)(tu_rnd() % 2001) / 1000.0f - 1.0f);
	return x;
}

/* The true top K of query Q by inner product. */
static void brute(const float *x, uint32_t n, const float *q, int64_t *out)
{
	igr_topk t;
	igr_hit h[K];
	uint32_t i;

	ck_assert_int_eq(igr_topk_init(&t, K, NULL), 0);
	for (i = 0; i < n; i++)
		igr_topk_push(&t, igr_dot_seq(q, x + (size_t)i * D, D), i);
	ck_assert_uint_eq(igr_topk_sorted(&t, h), K);
	for (i = 0; i < K; i++)
		out[i] = h[i].id;
	igr_topk_release(&t);
}

/* Recall@K of the index's lists against brute force. */
static double recall(const igr_ann *a, const float *x, const float *q,
		     uint32_t effort)
{
	int64_t ids[NQ * K], truth[K];
	float sc[NQ * K];
	uint32_t j, c, e, hit = 0;

	ck_assert_int_eq(igr_ann_search(a, q, NQ, K, effort, sc, ids), 0);
	for (j = 0; j < NQ; j++) {
		brute(x, N, q + (size_t)j * D, truth);
		for (c = 0; c < K; c++)
			for (e = 0; e < K; e++)
				hit += ids[j * K + c] == truth[e];
		/* best first */
		for (c = 1; c < K && ids[j * K + c] >= 0; c++)
			ck_assert(sc[j * K + c - 1] >= sc[j * K + c]);
	}
	return (double)hit / (NQ * K);
}

static int to_buf(void *arg, const void *p, size_t n)
{
	struct { unsigned char *p; size_t n; } *b = arg;
	b->p = realloc(b->p, b->n + n);
	ck_assert_ptr_nonnull(b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static int fail_write(void *arg, const void *p, size_t n)
{
	(void)arg, (void)p, (void)n;
	return igr_error("disk full (test)");
}

/* An index of TYPE over X (N x D), seed 7; PQ_BYTES 0: the default. */
static igr_ann *build(int type, uint32_t pq_bytes, const float *x)
{
	struct igr_ann_params p;
	igr_ann *a;

	memset(&p, 0, sizeof p);
	p.type = type;
	p.pq_bytes = pq_bytes;
	p.seed = 7;
	a = igr_ann_build(&p, x, N, D);
	ck_assert_msg(a != NULL, "%s", igr_errmsg());
	return a;
}

static void check_type(int type, double bound, uint32_t effort)
{
	float *x = random_vectors(N, D), *q = random_vectors(NQ, D);
	struct igr_ann_info in, in2;
	struct { unsigned char *p; size_t n; } b = { NULL, 0 };
	int64_t i1[NQ * K], i2[NQ * K];
	float s1[NQ * K], s2[NQ * K];
	igr_ann *a, *a2;
	double r;

	a = build(type, 0, x);
	igr_ann_describe(a, &in);
	ck_assert_int_eq(in.type, type);
	ck_assert_uint_eq(in.n, N);
	ck_assert_uint_eq(in.dim, D);
	r = recall(a, x, q, effort);
	ck_assert_msg(r >= bound, "%s recall %.3f < %.3f",
		      igr_ann_type_name(type), r, bound);
	/* a round trip through write/read searches the same */
	ck_assert_int_eq(igr_ann_write(a, to_buf, &b), 0);
	a2 = igr_ann_read(b.p, b.n);
	ck_assert_msg(a2 != NULL, "%s", igr_errmsg());
	igr_ann_describe(a2, &in2);
	ck_assert_int_eq(in2.type, type);
	ck_assert_uint_eq(in2.n, N);
	ck_assert_uint_eq(in2.effort, in.effort);
	ck_assert_int_eq(igr_ann_search(a, q, NQ, K, effort, s1, i1), 0);
	ck_assert_int_eq(igr_ann_search(a2, q, NQ, K, effort, s2, i2), 0);
	ck_assert_mem_eq(i1, i2, sizeof i1);
	ck_assert_mem_eq(s1, s2, sizeof s1);
	/* damaged bytes are an error, not a crash */
	ck_assert_ptr_null(igr_ann_read(b.p, b.n / 2));
	ck_assert_ptr_null(igr_ann_read(b.p, 3));
	/* the writer's error is the one reported */
	ck_assert_int_eq(igr_ann_write(a, fail_write, NULL), -1);
	ck_assert_str_eq(igr_errmsg(), "disk full (test)");
	igr_ann_free(a2);
	igr_ann_free(a);
	free(b.p);
	free(x);
	free(q);
}

START_TEST(flat_is_exact)
{
	check_type(IGR_ANN_FLAT, 0.999, 0);
}
END_TEST

START_TEST(ivf_sq8_recall)
{
	/* 4 sqrt(4000) = 252 lists; probing 64 of them */
	check_type(IGR_ANN_IVF_SQ8, 0.9, 64);
}
END_TEST

START_TEST(ivf_pq_recall)
{
	/* 16 dimensions in 4 sub-vectors of 4: a rough score, which
	 * serving makes exact on a longer candidate list; here the index's
	 * own top 10 */
	check_type(IGR_ANN_IVF_PQ, PQ_BOUND, 64);
}
END_TEST

START_TEST(pq_code_bytes)
{
	float *x = random_vectors(N, D);
	struct igr_ann_info in4, in8;
	igr_ann *a;

	/* a byte for 4 dimensions */
	ck_assert_uint_eq(igr_ann_default_pq_bytes(64), 16);
	ck_assert_uint_eq(igr_ann_default_pq_bytes(240), 60);
	ck_assert_uint_eq(igr_ann_default_pq_bytes(512), 128);
	ck_assert_uint_eq(igr_ann_default_pq_bytes(2), 1);
	/* --bytes: 16 dimensions in 4 bytes (the default) or 8 */
	a = build(IGR_ANN_IVF_PQ, 0, x);
	igr_ann_describe(a, &in4);
	igr_ann_free(a);
	a = build(IGR_ANN_IVF_PQ, 7, x); /* the divisor of 16 nearest 7: 8 */
	igr_ann_describe(a, &in8);
	igr_ann_free(a);
	ck_assert_uint_eq(in8.bytes - in4.bytes, (uint64_t)N * 4);
	free(x);
}
END_TEST

START_TEST(hnsw_recall)
{
	check_type(IGR_ANN_HNSW, 0.9, 128);
}
END_TEST

START_TEST(bad_input)
{
	struct igr_ann_params p;
	float x[10 * D] = { 0 };

	memset(&p, 0, sizeof p);
	p.type = IGR_ANN_IVF_SQ8;
	ck_assert_ptr_null(igr_ann_build(&p, x, 10, D));
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "at least 39"));
	p.type = IGR_ANN_FLAT;
	ck_assert_ptr_null(igr_ann_build(&p, x, 10, 0));
	ck_assert_int_eq(igr_ann_type_parse("sq8"), IGR_ANN_IVF_SQ8);
	ck_assert_int_eq(igr_ann_type_parse("hnsw"), IGR_ANN_HNSW);
	ck_assert_int_eq(igr_ann_type_parse("pq"), IGR_ANN_IVF_PQ);
	p.type = IGR_ANN_IVF_PQ;
	{
		float *y = calloc(100 * D, sizeof *y);

		ck_assert_ptr_null(igr_ann_build(&p, y, 100, D));
		ck_assert_ptr_nonnull(strstr(igr_errmsg(), "at least 256"));
		free(y);
	}
	ck_assert_int_eq(igr_ann_type_parse("ivf"), -1);
	ck_assert_uint_eq(igr_ann_default_nlist(4000), 102); /* 4000 / 39 */
	ck_assert_uint_eq(igr_ann_default_nlist(1000000), 4000);
	ck_assert_uint_eq(igr_ann_default_nlist(0), 1);
	/* 64 probes, fewer where 64 lists hold more than ~16k items */
	ck_assert_uint_eq(igr_ann_default_probes(4000, 252), 64);
	ck_assert_uint_eq(igr_ann_default_probes(394000, 2510), 64);
	ck_assert_uint_eq(igr_ann_default_probes(3871560, 7870), 33);
	ck_assert_uint_eq(igr_ann_default_probes(100000000, 40000), 16);
	ck_assert_uint_eq(igr_ann_default_probes(10, 0), 64);
}
END_TEST

START_TEST(index_file)
{
	/* an embedding with a bias: the index holds it as a coordinate and
	 * a query [u, 1] finds the items of the largest dot + bias */
	float *x = random_vectors(N, D), bias[N];
	igr_embed e;
	struct igr_ann_params p;
	igr_index *ix, *ix2;
	float qv[D + 1], u[D], sc[K];
	int64_t ids[K];
	uint32_t i, best = 0;
	float bs = -INFINITY;

	tu_setup();
	for (i = 0; i < N; i++)
		bias[i] = i == 1234 ? 100.0f : 0.0f;
	memset(&e, 0, sizeof e);
	e.dim = D;
	e.nitems = N;
	e.item = x;
	e.item_bias = bias;
	memset(&p, 0, sizeof p);
	p.type = IGR_ANN_FLAT;
	ix = igr_index_build(&e, "mf", &p);
	ck_assert_ptr_nonnull(ix);
	ck_assert_uint_eq(igr_index_qdim(ix), D + 1);
	for (i = 0; i < D; i++)
		u[i] = 0.1f;
	igr_index_query(ix, u, qv);
	ck_assert(qv[D] == 1.0f);
	ck_assert_int_eq(igr_ann_search(ix->ann, qv, 1, K, 0, sc, ids), 0);
	for (i = 0; i < N; i++) {
		float s = igr_dot_seq(u, x + (size_t)i * D, D) + bias[i];
		if (s > bs)
			bs = s, best = i;
	}
	ck_assert_int_eq(ids[0], best);
	ck_assert_int_eq(ids[0], 1234);
	/* saved and loaded: the same description, and it checks */
	ck_assert_int_eq(igr_index_save(ix, tu_path("m.idx")), 0);
	ix2 = igr_index_load(tu_path("m.idx"));
	ck_assert_msg(ix2 != NULL, "%s", igr_errmsg());
	ck_assert_uint_eq(ix2->fingerprint, ix->fingerprint);
	ck_assert_uint_eq(ix2->nitems, N);
	ck_assert_uint_eq(ix2->dim, D);
	ck_assert_int_eq(ix2->bias, 1);
	ck_assert_str_eq(ix2->model, "mf");
	ck_assert_int_eq(igr_index_check(ix2, &e, "mf", "m.idx"), 0);
	/* another model type, other vectors, other sizes: refused */
	ck_assert_int_eq(igr_index_check(ix2, &e, "lightgcn", "m.idx"), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "index of a mf model"));
	bias[7] = 0.5f;
	ck_assert_int_eq(igr_index_check(ix2, &e, "mf", "m.idx"), -1);
	ck_assert_ptr_nonnull(strstr(igr_errmsg(), "other item vectors"));
	bias[7] = 0.0f;
	e.item_bias = NULL;
	ck_assert_int_eq(igr_index_check(ix2, &e, "mf", "m.idx"), -1);
	e.item_bias = bias;
	e.nitems = N - 1;
	ck_assert_int_eq(igr_index_check(ix2, &e, "mf", "m.idx"), -1);
	/* a damaged file */
	{
		size_t n;
		unsigned char *b = tu_read(tu_path("m.idx"), &n);
		b[n / 2] ^= 0x40;
		tu_write(tu_path("bad.idx"), b, n);
		ck_assert_ptr_null(igr_index_load(tu_path("bad.idx")));
		ck_assert_ptr_nonnull(strstr(igr_errmsg(), "checksum"));
		tu_write(tu_path("short.idx"), b, n / 3);
		ck_assert_ptr_null(igr_index_load(tu_path("short.idx")));
		ck_assert_ptr_nonnull(strstr(igr_errmsg(), "truncated"));
		free(b);
	}
	ck_assert_ptr_null(igr_index_load(tu_path("missing.idx")));
	igr_index_free(ix2);
	igr_index_free(ix);
	free(x);
	tu_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ann");
	TCase *tc = tcase_create("ann");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, flat_is_exact);
	tcase_add_test(tc, ivf_sq8_recall);
	tcase_add_test(tc, ivf_pq_recall);
	tcase_add_test(tc, pq_code_bytes);
	tcase_add_test(tc, hnsw_recall);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, index_file);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
