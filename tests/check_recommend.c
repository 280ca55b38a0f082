/* check_recommend.c - the serving rules engine against brute force: every
 * rule, on the embedding, sparse and dense scoring paths. */
#include "testutil.h"

#include "embed.h"
#include "error.h"
#include "graph.h"
#include "model.h"
#include "recommend.h"
#include "topk.h"
#include "models/itemknn.h"
#include "models/pop.h"
#include "serve.h"
#include "train.h"

#include <math.h>

#define NU 40   /* users in the graph */
#define NT 32   /* users with a trained vector */
#define NI 60   /* items */
#define NC 5    /* categories */
#define D 6

static uint64_t st = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return (uint32_t)(st >> 11);
}

/* ---- a test embedding model ------------------------------------------- */

/* New users (no trained row) get the sum of their items' vectors: a
 * model that places users from their edges, as LightGCN does. */
static int t_embedding(const igr_model *m, igr_embed *e)
{
	const igr_array *u = igr_model_get(m, "user");
	const igr_array *v = igr_model_get(m, "item");
	memset(e, 0, sizeof *e);
	e->dim = (uint32_t)v->dim[1];
	e->nusers = (uint32_t)u->dim[0];
	e->user = u->data;
	e->nitems = (uint32_t)v->dim[0];
	e->item = v->data;
	return 0;
}

static int t_user_vector(const igr_model *m, const igr_graph *g, uint32_t u,
			 float *out)
{
	igr_embed e;
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	uint64_t k;
	t_embedding(m, &e);
	if (u < e.nusers) {
		memcpy(out, e.user + (size_t)u * e.dim, e.dim * sizeof *out);
		return 0;
	}
	if (ui == NULL || u >= ui->nrows || ui->ptr[u] == ui->ptr[u + 1])
		return IGR_UNKNOWN_USER;
	memset(out, 0, e.dim * sizeof *out);
	for (k = ui->ptr[u]; k < ui->ptr[u + 1]; k++)
		for (uint32_t c = 0; c < e.dim && ui->idx[k] < e.nitems; c++)
			out[c] += e.item[(size_t)ui->idx[k] * e.dim + c];
	return 0;
}

static int t_prepare(igr_model *m, const igr_graph *g)
{
	(void)m;
	(void)g;
	return 0;
}

static const struct igr_model_ops test_ops = {
	.name = "testemb",
	.prepare = t_prepare,
	.score_users = igr_embed_score_users,
	.score_items = igr_embed_score_items,
	.dim = igr_embed_dim,
	.user_vector = t_user_vector,
	.embedding = t_embedding,
};

/* the same itemknn model without its sparse path: the dense path */
static struct igr_model_ops dense_ops;

static igr_model *embed_model(void)
{
	igr_model *m = igr_model_new("testemb");
	uint64_t du[2] = { NT, D }, dv[2] = { NI - 2, D }; /* 2 new items */
	float *u = malloc(NT * D * sizeof *u), *v = malloc(NI * D * sizeof *v);
	cJSON *d;
	int i;
	/* small integers: sgemm and the brute force agree exactly */
	for (i = 0; i < NT * D; i++)
		u[i] = (float)(rnd() % 5) - 2;
	for (i = 0; i < (NI - 2) * D; i++)
		v[i] = (float)(rnd() % 5) - 2;
	ck_assert_int_eq(igr_model_add(m, "user", IGR_DT_F32, 2, du, u), 0);
	ck_assert_int_eq(igr_model_add(m, "item", IGR_DT_F32, 2, dv, v), 0);
	d = igr_model_data(m);
	cJSON_AddNumberToObject(d, "users", NT);
	cJSON_AddNumberToObject(d, "items", NI - 2);
	m->ops = &test_ops;
	return m;
}

/* Graph: users 0..NU-1 (users 5 and 35 have no edges; 32..39 are newer
 * than the model), random integer weights, item i in category i % NC
 * except items 7 and 8 (none). */
static igr_graph *make_graph(void)
{
	char *text = malloc(200000);
	size_t n = 0;
	igr_reader *r;
	igr_graph *g;
	uint32_t u, i;
	n += (size_t)sprintf(text + n,
			     "#igraph graph 1.0\n#meta\tnodes.user\t%d\n"
			     "#meta\tnodes.item\t%d\n"
			     "src_type\tsrc\tdst_type\tdst\tweight\tcount\t"
			     "last_ts\n",
			     NU, NI);
	for (u = 0; u < NU; u++) {
		if (u == 5 || u == 35)
			continue;
		for (i = 0; i < NI; i++)
			if (rnd() % 6 == 0)
				n += (size_t)sprintf(text + n,
						     "user\t%u\titem\t%u\t%u\t1\t0\n",
						     u, i, 1 + rnd() % 4);
	}
	for (i = 0; i < NI; i++)
		if (i != 7 && i != 8)
			n += (size_t)sprintf(text + n,
					     "item\t%u\tcategory\t%u\t1\t1\t0\n",
					     i, i % NC);
	tu_write_sealed(tu_path("g.tsv"), text, n);
	free(text);
	r = igr_reader_open(tu_path("g.tsv"), IGR_KIND_GRAPH);
	ck_assert_ptr_nonnull(r);
	g = igr_graph_read(r, IGR_REL_ALL, 0);
	ck_assert_msg(g != NULL, "%s", igr_errmsg());
	igr_reader_close(r);
	return g;
}

/* ---- brute force -------------------------------------------------------- */

static double pop[NI];
static uint32_t poprank[NI];

static void ref_popularity(const igr_graph *g)
{
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	double max = 0;
	uint32_t i, j;
	memset(pop, 0, sizeof pop);
	for (uint64_t k = 0; k < ui->nnz; k++)
		pop[ui->idx[k]] += ui->w[k];
	for (i = 0; i < NI; i++)
		max = pop[i] > max ? pop[i] : max;
	for (i = 0; i < NI; i++)
		pop[i] /= max;
	for (i = 0; i < NI; i++) {
		poprank[i] = 0;
		for (j = 0; j < NI; j++)
			if (pop[j] > pop[i] || (pop[j] == pop[i] && j < i))
				poprank[i]++;
	}
}

static int cat_of(uint32_t i)
{
	return i == 7 || i == 8 ? -1 : (int)(i % NC);
}

struct cand {
	float s;
	uint32_t i;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->s != y->s)
		return x->s > y->s ? -1 : 1;
	if (poprank[x->i] != poprank[y->i])
		return poprank[x->i] < poprank[y->i] ? -1 : 1;
	return x->i < y->i ? -1 : 1;
}

struct rules {
	uint32_t k, cap;
	const igr_csr *excl;
	const uint8_t *blocked;
	float min;
	int fallback;
};

/* The expected list of user U: SCORES (NI, -inf = cannot score) or NULL
 * for an unknown user (the fallback). */
static uint32_t expect(const struct rules *ru, uint32_t u, const float *scores,
		       struct cand *out)
{
	struct cand all[NI];
	uint32_t n = 0, i, taken = 0, cnt[NC] = { 0 };
	for (i = 0; i < NI; i++) {
		float s = scores ? scores[i] : (float)pop[i];
		if (ru->blocked && ru->blocked[i])
			continue;
		if (ru->excl && u < ru->excl->nrows &&
		    igr_csr_get(ru->excl, u, i) != 0)
			continue;
		if (scores && (isinf(s) || s < ru->min))
			continue;
		all[n].s = s;
		all[n++].i = i;
	}
	if (!scores) /* popularity order, whatever the float rounding */
		for (i = 0; i < n; i++)
			all[i].s = (float)-(double)poprank[all[i].i];
	qsort(all, n, sizeof *all, cmp_cand);
	for (i = 0; i < n && taken < ru->k; i++) {
		int c = cat_of(all[i].i);
		if (ru->cap && c >= 0) {
			if (cnt[c] >= ru->cap)
				continue;
			cnt[c]++;
		}
		out[taken] = all[i];
		if (!scores)
			out[taken].s = (float)pop[all[i].i];
		taken++;
	}
	return taken;
}

static void check_users(igr_rec *rec, igr_model *m, const igr_graph *g,
			const struct rules *ru, const char *what)
{
	igr_rec_batch b;
	uint32_t users[NU + 2], u, j, h;
	float scores[NI];
	struct cand exp[NI];
	for (u = 0; u < NU + 2; u++)
		users[u] = (u * 7) % (NU + 2); /* any order; 2 beyond the graph */
	igr_rec_batch_init(&b);
	ck_assert_msg(igr_rec_users(rec, users, NU + 2, &b) == 0, "%s: %s",
		      what, igr_errmsg());
	ck_assert_uint_eq(b.n, NU + 2);
	for (j = 0; j < NU + 2; j++) {
		const igr_rec_list *l = &b.lists[j];
		uint32_t uu = users[j], n;
		int known;
		const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
		int has_edges = uu < ui->nrows && ui->ptr[uu + 1] > ui->ptr[uu];
		if (m->ops == &test_ops)
			known = uu < NT || has_edges;
		else
			known = has_edges;
		ck_assert_uint_eq(l->query, uu);
		ck_assert_msg(l->fallback == !known, "%s: user %u fallback %d",
			      what, uu, l->fallback);
		if (known) {
			ck_assert_int_eq(m->ops->score_users(m, g, &uu, 1, NULL,
							     NI, scores),
					 0);
			n = expect(ru, uu, scores, exp);
		} else if (ru->fallback) {
			n = expect(ru, uu, NULL, exp);
		} else {
			n = 0;
		}
		ck_assert_msg(l->n == n, "%s: user %u: %u items, expected %u",
			      what, uu, l->n, n);
		for (h = 0; h < n; h++) {
			ck_assert_msg(l->hits[h].id == exp[h].i,
				      "%s: user %u rank %u: item %u, expected "
				      "%u",
				      what, uu, h + 1, l->hits[h].id, exp[h].i);
			ck_assert_msg(fabsf(l->hits[h].score - exp[h].s) <= 1e-5f,
				      "%s: user %u rank %u: score %g, expected %g",
				      what, uu, h + 1, l->hits[h].score, exp[h].s);
		}
	}
	igr_rec_batch_free(&b);
}

static void run_rules(igr_model *m, igr_graph *g, const char *name)
{
	struct igr_rec_opts o;
	struct rules ru;
	igr_rec *rec = igr_rec_new(m, g);
	uint8_t blocked[NI] = { 0 };
	uint32_t allow[NI], nallow = 0, blk[3] = { 1, 2, 40 }, i;
	igr_csr *bought;
	char what[64];

	ck_assert_msg(rec != NULL, "%s", igr_errmsg());
	ref_popularity(g);
	ck_assert_uint_eq(igr_rec_nitems(rec), NI);
	{
		/* "bought": a few of each user's items, and one never seen */
		uint32_t r[NU], c[NU];
		for (i = 0; i < NU; i++) {
			r[i] = i;
			c[i] = (i * 13) % NI;
		}
		bought = igr_csr_from_coo(NU, NI, NU, r, c, NULL, NULL, NULL, 0);
	}
	igr_rec_opts_init(&o);
	memset(&ru, 0, sizeof ru);
	ru.k = o.k = 7;
	ru.excl = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	ru.min = -INFINITY;
	ru.fallback = 1;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: seen", name);
	check_users(rec, m, g, &ru, what);

	o.exclude = IGR_EXCL_NONE;
	ru.excl = NULL;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: none", name);
	check_users(rec, m, g, &ru, what);

	o.exclude = IGR_EXCL_BOUGHT;
	o.bought = bought;
	ru.excl = bought;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: bought", name);
	check_users(rec, m, g, &ru, what);

	o.exclude = IGR_EXCL_SEEN;
	ru.excl = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	o.per_category = ru.cap = 1;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: per category 1", name);
	check_users(rec, m, g, &ru, what);

	o.per_category = ru.cap = 2;
	o.k = ru.k = 12; /* more than 5 categories x 2: needs 7 and 8 */
	o.min_score = ru.min = 0.5f;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: cap 2, k 12, min score", name);
	check_users(rec, m, g, &ru, what);

	o.per_category = ru.cap = 0;
	o.min_score = ru.min = -INFINITY;
	o.k = ru.k = 7;
	o.fallback = ru.fallback = 0;
	igr_rec_set_opts(rec, &o);
	snprintf(what, sizeof what, "%s: no fallback", name);
	check_users(rec, m, g, &ru, what);

	o.fallback = ru.fallback = 1;
	igr_rec_set_opts(rec, &o);
	for (i = 0; i < NI; i++)
		if (i % 3 != 0)
			allow[nallow++] = i;
		else
			blocked[i] = 1;
	ck_assert_int_eq(igr_rec_allow(rec, allow, nallow), 0);
	ck_assert_int_eq(igr_rec_block(rec, blk, 3), 0);
	for (i = 0; i < 3; i++)
		blocked[blk[i]] = 1;
	ru.blocked = blocked;
	snprintf(what, sizeof what, "%s: allow and block", name);
	check_users(rec, m, g, &ru, what);
	{
		uint32_t bad = NI;
		ck_assert_int_eq(igr_rec_block(rec, &bad, 1), -1);
		ck_assert(strstr(igr_errmsg(), "not in the model") != NULL);
	}
	igr_csr_free(bought);
	igr_rec_free(rec);
}

START_TEST(rules_embedding)
{
	igr_graph *g = make_graph();
	igr_model *m = embed_model();
	run_rules(m, g, "embedding");
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

static igr_model *knn_model(const igr_graph *g)
{
	struct igr_train_ctx ctx;
	igr_model *m;
	memset(&ctx, 0, sizeof ctx);
	m = igr_train_itemknn(g, &ctx);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	m->ops = igr_model_ops_find("itemknn");
	return m;
}

START_TEST(rules_sparse_and_dense)
{
	igr_graph *g = make_graph();
	igr_model *m = knn_model(g);
	run_rules(m, g, "sparse");
	/* the same model through score_users only */
	dense_ops = *m->ops;
	dense_ops.score_user_sparse = NULL;
	dense_ops.release = NULL; /* the state is released below */
	m->ops->release(m);
	m->ops = &dense_ops;
	run_rules(m, g, "dense");
	m->ops = igr_model_ops_find("itemknn");
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

/* A rank-1 model (pop) is walked in its order at any catalogue size: no
 * item index is built for it (one of 3.87M items took hours to build
 * and search where the walk serves every user in 31 s). */
START_TEST(rank_one_walks_without_index)
{
	igr_graph *g = make_graph();
	struct igr_train_ctx ctx;
	struct igr_index_choice c;
	struct igr_index *ix = (struct igr_index *)&ctx;
	igr_model *m;
	igr_rec *r;

	memset(&ctx, 0, sizeof ctx);
	m = igr_train_pop(g, &ctx);
	ck_assert_msg(m != NULL, "%s", igr_errmsg());
	m->ops = igr_model_ops_find("pop");
	r = igr_rec_new(m, g);
	ck_assert_msg(r != NULL, "%s", igr_errmsg());
	ck_assert_ptr_nonnull(igr_rec_embedding(r));
	ck_assert_ptr_nonnull(igr_rec_embedding(r)->order);
	memset(&c, 0, sizeof c);
	c.candidates = UINT32_MAX;
	c.ann_items = 1; /* an index from the first item on */
	ck_assert_int_eq(igr_rec_index_open(r, "pop", &c, 20, NULL, &ix), 0);
	ck_assert_ptr_null(ix);
	igr_rec_free(r);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(known_and_vectors)
{
	igr_graph *g = make_graph();
	igr_model *m = embed_model();
	igr_rec *rec = igr_rec_new(m, g);
	uint32_t users[4] = { 5, 35, 36, 3 }, d;
	uint8_t known[4];
	float v[D];
	ck_assert_int_eq(igr_rec_known(rec, users, 4, known), 1);
	ck_assert(!known[1] && known[2] && known[3]);
	ck_assert(known[0]); /* user 5: no edges but a trained vector */
	d = igr_rec_dim(rec);
	ck_assert_uint_eq(d, D);
	ck_assert_int_eq(igr_rec_user_vector(rec, 35, v), IGR_UNKNOWN_USER);
	ck_assert_int_eq(igr_rec_user_vector(rec, 3, v), 0);
	/* a vectors stream replaces the model's vector of user 3 */
	{
		igr_writer *w = igr_writer_open(tu_path("v.igr"),
						IGR_KIND_VECTORS,
						IGR_ENC_BINARY);
		igr_vector vec;
		igr_reader *r;
		float z[D] = { 0 };
		uint32_t one = 3;
		float sc[NI];
		ck_assert_int_eq(igr_writer_set_dim(w, D), 0);
		vec.node_type = IGR_USER;
		vec.node = 3;
		vec.v = z;
		ck_assert_int_eq(igr_write_vector(w, &vec), 0);
		ck_assert_int_eq(igr_writer_close(w), 0);
		r = igr_reader_open(tu_path("v.igr"), IGR_KIND_VECTORS);
		ck_assert_int_eq(igr_rec_load_vectors(rec, r), 0);
		igr_reader_close(r);
		ck_assert_int_eq(igr_rec_user_vector(rec, 3, v), 0);
		ck_assert(v[0] == 0 && v[D - 1] == 0);
		(void)one;
		(void)sc;
	}
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

/* Audiences: brute force over users for each query. */
static void check_audience(igr_model *m, igr_graph *g, int exclude)
{
	igr_rec *rec = igr_rec_new(m, g);
	struct igr_rec_opts o;
	struct igr_audience q[4];
	uint32_t one[1] = { 3 }, camp[3] = { 10, 11, 59 }, two[1] = { 58 };
	igr_rec_batch b;
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	size_t j;

	ck_assert_ptr_nonnull(rec);
	igr_rec_opts_init(&o);
	o.k = 9;
	o.exclude = exclude;
	igr_rec_set_opts(rec, &o);
	memset(q, 0, sizeof q);
	q[0].type = IGR_ITEM, q[0].id = 3, q[0].items = one, q[0].nitems = 1;
	q[1].type = IGR_ITEM, q[1].id = 10, q[1].items = camp, q[1].nitems = 3;
	q[2].type = IGR_CATEGORY, q[2].id = 2;
	q[3].type = IGR_ITEM, q[3].id = 58, q[3].items = two, q[3].nitems = 1;
	igr_rec_batch_init(&b);
	ck_assert_msg(igr_rec_audience(rec, q, 4, NULL, 0, &b) == 0, "%s",
		      igr_errmsg());
	ck_assert_uint_eq(b.n, 4);
	for (j = 0; j < 4; j++) {
		struct cand all[NU];
		uint32_t n = 0, u, h, items[NI], ni = 0;
		if (q[j].type == IGR_CATEGORY) {
			for (u = 0; u < NI; u++)
				if (cat_of(u) == (int)q[j].id)
					items[ni++] = u;
		} else {
			memcpy(items, q[j].items, q[j].nitems * sizeof *items);
			ni = (uint32_t)q[j].nitems;
		}
		for (u = 0; u < NU; u++) {
			float sc[NI], best = -INFINITY;
			int has = u < ui->nrows && ui->ptr[u + 1] > ui->ptr[u];
			int skip = 0;
			uint32_t c;
			if (m->ops == &test_ops ? !(u < NT || has) : !has)
				continue; /* unknown users are left out */
			ck_assert_int_eq(m->ops->score_users(m, g, &u, 1, NULL,
							     NI, sc),
					 0);
			for (c = 0; c < ni; c++) {
				if (sc[items[c]] > best)
					best = sc[items[c]];
				if (exclude == IGR_EXCL_SEEN &&
				    igr_csr_get(ui, u, items[c]) != 0)
					skip = 1;
			}
			if (skip || isinf(best))
				continue;
			/* a neighbourhood model's audience holds the users
			 * its evidence reaches: a nonzero score */
			if (m->ops != &test_ops && best == 0)
				continue;
			all[n].s = best;
			all[n++].i = u;
		}
		/* users: ties by lower id (no popularity) */
		for (u = 0; u < n; u++)
			for (h = u + 1; h < n; h++)
				if (all[h].s > all[u].s ||
				    (all[h].s == all[u].s && all[h].i < all[u].i)) {
					struct cand t = all[u];
					all[u] = all[h];
					all[h] = t;
				}
		if (n > 9)
			n = 9;
		ck_assert_msg(b.lists[j].n == n, "query %zu: %u users, want %u",
			      j, b.lists[j].n, n);
		ck_assert_uint_eq(b.lists[j].query, q[j].id);
		ck_assert_uint_eq(b.lists[j].query_type,
				  q[j].type == IGR_CATEGORY ? IGR_CATEGORY
							   : IGR_ITEM);
		for (h = 0; h < n; h++) {
			ck_assert_uint_eq(b.lists[j].hits[h].id, all[h].i);
			ck_assert(fabsf(b.lists[j].hits[h].score - all[h].s) <=
				  1e-5f);
		}
	}
	igr_rec_batch_free(&b);
	igr_rec_free(rec);
}

START_TEST(audiences)
{
	igr_graph *g = make_graph();
	igr_model *m = embed_model();
	check_audience(m, g, IGR_EXCL_NONE);
	check_audience(m, g, IGR_EXCL_SEEN);
	igr_model_free(m);
	m = knn_model(g);
	check_audience(m, g, IGR_EXCL_NONE);
	check_audience(m, g, IGR_EXCL_SEEN);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(similar_items)
{
	igr_graph *g = make_graph();
	igr_model *m = embed_model();
	igr_rec *rec = igr_rec_new(m, g);
	struct igr_rec_opts o;
	igr_rec_batch b;
	uint32_t q[3] = { 4, 0, 59 }, j, h;
	const igr_array *v = igr_model_get(m, "item");
	const float *V = v->data;

	ref_popularity(g);
	igr_rec_opts_init(&o);
	o.k = 5;
	igr_rec_set_opts(rec, &o);
	igr_rec_batch_init(&b);
	ck_assert_int_eq(igr_rec_similar(rec, q, 3, &b), 0);
	for (j = 0; j < 2; j++) {
		struct cand all[NI];
		uint32_t n = 0, i, c;
		double nq = 0;
		for (c = 0; c < D; c++)
			nq += V[q[j] * D + c] * V[q[j] * D + c];
		for (i = 0; i < NI - 2; i++) {
			double dot = 0, ni = 0;
			if (i == q[j])
				continue;
			for (c = 0; c < D; c++) {
				dot += V[q[j] * D + c] * V[i * D + c];
				ni += V[i * D + c] * V[i * D + c];
			}
			if (ni == 0)
				continue;
			all[n].s = (float)(dot / sqrt(nq * ni));
			all[n++].i = i;
		}
		qsort(all, n, sizeof *all, cmp_cand);
		ck_assert_uint_eq(b.lists[j].n, 5);
		for (h = 0; h < 5; h++) {
			ck_assert(fabsf(b.lists[j].hits[h].score - all[h].s) <
				  1e-5f);
			ck_assert_uint_ne(b.lists[j].hits[h].id, q[j]);
		}
	}
	/* item 59 is unknown to the model: nothing is similar to it */
	ck_assert_uint_eq(b.lists[2].n, 0);
	{
		uint32_t bad = NI + 3;
		ck_assert_int_eq(igr_rec_similar(rec, &bad, 1, &b), -1);
	}
	igr_rec_batch_free(&b);
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

START_TEST(interest_points)
{
	igr_graph *g = make_graph();
	igr_model *m = knn_model(g);
	igr_rec *rec = igr_rec_new(m, g);
	igr_rec_batch b, top;
	struct igr_rec_opts o;
	uint32_t users[3] = { 0, 5, 12 }, h;
	double share[NC] = { 0 }, total = 0;

	igr_rec_batch_init(&b);
	igr_rec_batch_init(&top);
	ck_assert_int_eq(igr_rec_interest(rec, users, 3, 20, 3, &b), 0);
	/* user 0 by hand: DCG shares of the categories of the top 20 */
	igr_rec_opts_init(&o);
	o.k = 20;
	o.exclude = IGR_EXCL_NONE;
	o.fallback = 0;
	igr_rec_set_opts(rec, &o);
	ck_assert_int_eq(igr_rec_users(rec, users, 1, &top), 0);
	for (h = 0; h < top.lists[0].n; h++) {
		int c = cat_of(top.lists[0].hits[h].id);
		if (c < 0)
			continue;
		share[c] += 1 / log2(h + 2.0);
		total += 1 / log2(h + 2.0);
	}
	ck_assert_uint_eq(b.lists[0].n, 3);
	ck_assert(!b.lists[0].fallback);
	for (h = 0; h < 3; h++) {
		uint32_t c = b.lists[0].hits[h].id, x;
		ck_assert(fabs(b.lists[0].hits[h].score - share[c] / total) <
			  1e-6);
		for (x = 0; x < NC; x++) /* no stronger category left out */
			if (share[x] > share[c] + 1e-9) {
				uint32_t y;
				int in = 0;
				for (y = 0; y < 3; y++)
					in |= b.lists[0].hits[y].id == x;
				ck_assert(in);
			}
	}
	/* user 5 has no edges: no interest points */
	ck_assert_uint_eq(b.lists[1].n, 0);
	igr_rec_batch_free(&b);
	igr_rec_batch_free(&top);
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

/* Explanations: the model's own (item-kNN) and the generic one of
 * embedding models (the user's items closest in cosine, times the edge
 * weight), checked by brute force. */
START_TEST(explanations)
{
	igr_graph *g = make_graph();
	igr_model *m = embed_model();
	igr_rec *rec = igr_rec_new(m, g);
	struct igr_rec_opts o;
	igr_rec_batch b;
	uint32_t users[3] = { 0, 5, 33 }, j, h, c;
	const igr_csr *ui = igr_graph_rel(g, IGR_USER, IGR_ITEM);
	const float *V = igr_model_get(m, "item")->data;

	igr_rec_opts_init(&o);
	o.k = 4;
	o.explain = 3;
	igr_rec_set_opts(rec, &o);
	igr_rec_batch_init(&b);
	ck_assert_int_eq(igr_rec_users(rec, users, 3, &b), 0);
	for (j = 0; j < 3; j++) {
		const igr_rec_list *l = &b.lists[j];
		uint32_t u = users[j];
		ck_assert_ptr_nonnull(l->nwhy);
		for (h = 0; h < l->n; h++) {
			const igr_contrib *w = l->why + (size_t)h * 3;
			uint32_t i = l->hits[h].id, n = 0;
			struct cand all[NI];
			uint64_t e;
			double ni = 0;
			for (c = 0; c < D; c++)
				ni += V[i * D + c] * V[i * D + c];
			for (e = ui->ptr[u]; e < ui->ptr[u + 1] && ni > 0; e++) {
				uint32_t q = ui->idx[e];
				double dot = 0, nq = 0;
				if (q >= NI - 2)
					continue;
				for (c = 0; c < D; c++) {
					dot += V[i * D + c] * V[q * D + c];
					nq += V[q * D + c] * V[q * D + c];
				}
				if (nq == 0)
					continue;
				all[n].s = (float)(ui->w[e] * dot / sqrt(ni * nq));
				all[n++].i = q;
			}
			/* by contribution, then lower id (no popularity) */
			for (c = 0; c < n; c++)
				for (uint32_t x = c + 1; x < n; x++)
					if (all[x].s > all[c].s ||
					    (all[x].s == all[c].s && all[x].i < all[c].i)) {
						struct cand t = all[c];
						all[c] = all[x];
						all[x] = t;
					}
			if (l->fallback)
				n = 0;
			ck_assert_uint_eq(l->nwhy[h], n < 3 ? n : 3);
			for (c = 0; c < l->nwhy[h]; c++) {
				ck_assert_uint_eq(w[c].type, IGR_ITEM);
				ck_assert_uint_eq(w[c].id, all[c].i);
				ck_assert(fabsf(w[c].w - all[c].s) < 1e-4f);
			}
		}
	}
	igr_rec_free(rec);
	igr_model_free(m);
	/* item-kNN: the lists carry the model's own explanations */
	m = knn_model(g);
	rec = igr_rec_new(m, g);
	igr_rec_set_opts(rec, &o);
	ck_assert_int_eq(igr_rec_users(rec, users, 3, &b), 0);
	for (h = 0; h < b.lists[0].n; h++) {
		igr_contrib mine[3];
		int n = m->ops->explain(m, g, 0, b.lists[0].hits[h].id, mine, 3);
		ck_assert_int_eq(n, (int)b.lists[0].nwhy[h]);
		for (c = 0; c < (uint32_t)n; c++) {
			ck_assert_uint_eq(mine[c].id, b.lists[0].why[h * 3 + c].id);
			ck_assert(mine[c].w == b.lists[0].why[h * 3 + c].w);
		}
	}
	/* a fallback list has nothing to explain */
	ck_assert(b.lists[1].fallback);
	for (h = 0; h < b.lists[1].n; h++)
		ck_assert_uint_eq(b.lists[1].nwhy[h], 0);
	igr_rec_batch_free(&b);
	igr_rec_free(rec);
	igr_model_free(m);
	igr_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recommend");
	TCase *tc = tcase_create("recommend");
	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rules_embedding);
	tcase_add_test(tc, rules_sparse_and_dense);
	tcase_add_test(tc, rank_one_walks_without_index);
	tcase_add_test(tc, known_and_vectors);
	tcase_add_test(tc, audiences);
	tcase_add_test(tc, similar_items);
	tcase_add_test(tc, interest_points);
	tcase_add_test(tc, explanations);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
