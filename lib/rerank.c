/* rerank.c - order candidate pairs by a ranker's probability (see
 * rerank.h). */
#include "rerank.h"
#include "clock.h"
#include "error.h"
#include "mem.h"
#include "metrics.h"
#include "models/mlp.h"
#include "pairs.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 8192 /* rows scored at a time */

int igr_rerank_check(const igr_model *m, igr_reader *r)
{
	const igr_header *h = igr_reader_header(r);
	const char *want = igr_mlp_model_features(m), *got;
	const cJSON *pm;
	size_t i;

	if (strcmp(igr_model_name(m), "mlp") != 0)
		return igr_error("--rerank needs a ranker (igraph-train --model "
				 "mlp), not a %s model", igr_model_name(m));
	if (igr_reader_kind(r) != IGR_KIND_FEATURES)
		return igr_error("%s: --rerank reads a features stream "
				 "(igraph-pairs), not %s", igr_reader_name(r),
				 igr_kind_name(igr_reader_kind(r)));
	got = igr_header_get(h, "features");
	if (want == NULL || got == NULL)
		return igr_error("%s: no feature names", igr_reader_name(r));
	if (strcmp(want, got) != 0) {
		/* name the first feature that differs */
		size_t a = 0, start = 0, col = 1;
		while (want[a] && want[a] == got[a]) {
			if (want[a] == ',') {
				col++;
				start = a + 1;
			}
			a++;
		}
		return igr_error("%s: the features differ from the ranker's at "
				 "feature %zu ('%.*s' in the stream, '%.*s' in "
				 "the model): write the pairs with the inputs "
				 "used for training", igr_reader_name(r), col,
				 (int)strcspn(got + start, ","), got + start,
				 (int)strcspn(want + start, ","), want + start);
	}
	pm = cJSON_GetObjectItemCaseSensitive(m->meta, "pairs");
	for (i = 0; igr_pairs_meta_keys[i] != NULL; i++) {
		const char *key = igr_pairs_meta_keys[i];
		const cJSON *v = pm ? cJSON_GetObjectItemCaseSensitive(pm, key)
				    : NULL;
		const char *s = igr_header_get(h, key);
		if (cJSON_IsString(v) && s != NULL &&
		    strcmp(v->valuestring, s) != 0)
			return igr_error("%s: %s is %s, the ranker was trained "
					 "with %s", igr_reader_name(r), key, s,
					 v->valuestring);
	}
	return 0;
}

int igr_rerank_writer_setup(igr_writer *w, igr_reader *r,
			    const struct igr_rerank_opts *o)
{
	const igr_header *h = igr_reader_header(r);
	const char *cut = igr_header_get(h, "cut");
	char buf[32];

	snprintf(buf, sizeof buf, "%u", o->k);
	if (igr_writer_set_meta(w, "score", "probability") < 0 ||
	    igr_writer_set_meta(w, "model", "mlp") < 0 ||
	    igr_writer_set_meta(w, "mode", o->predict ? "predict" : "rerank") <
		    0 ||
	    (!o->predict && igr_writer_set_meta(w, "k", buf) < 0) ||
	    (cut != NULL && igr_writer_set_meta(w, "cut", cut) < 0))
		return -1;
	return igr_writer_copy_pg(w, h);
}

/* qsort, which must not be given a null array even for no elements. */
static void sort_n(void *a, size_t n, size_t size,
		   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(a, n, size, cmp);
}

struct scored {
	uint32_t user, item;
	float p;
	uint32_t pos; /* input position */
};

/* By user, then higher probability first, then lower item id (the order
 * igr_rank_cmp() defines, which --stop ndcg validates on). */
static int scored_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	int c;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	c = igr_rank_cmp(x->p, x->item, y->p, y->item);
	if (c != 0)
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int pos_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int score_block(const igr_mlp *n, float *x, size_t rows,
		       struct scored *out, float *p, double *secs)
{
	double t0 = igr_now();
	size_t i;

	igr_mlp_prepare(n, x, rows, x);
	if (igr_mlp_predict(n, x, rows, p) < 0)
		return -1;
	for (i = 0; i < rows; i++)
		out[i].p = p[i];
	*secs += igr_now() - t0;
	return 0;
}

int igr_rerank_run(const igr_model *m, igr_reader *r, igr_writer *w,
		   const struct igr_rerank_opts *o, igr_rerank_stats *st)
{
	igr_mlp *n = NULL;
	struct scored *s = NULL;
	size_t ns = 0, cap = 0, nb = 0, i, j;
	uint32_t dim = igr_reader_header(r)->dim;
	float *x = NULL, *p = NULL;
	igr_rerank_stats local;
	igr_pair pr;
	int rc = -1, got;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof *st);
	if (igr_rerank_check(m, r) < 0)
		return -1;
	n = igr_mlp_from_model(m);
	if (n == NULL)
		return -1;
	if (n->nin != dim) {
		igr_error("damaged ranker: %u inputs for %u features", n->nin,
			  dim);
		goto out;
	}
	x = malloc((size_t)BLOCK * dim * sizeof *x);
	p = malloc((size_t)BLOCK * sizeof *p);
	if (x == NULL || p == NULL)
		goto oom;
	while ((got = igr_read_pair(r, &pr)) == 1) {
		if (igr_grow(&s, &cap, ns + 1, sizeof *s) < 0)
			goto oom;
		if (ns >= UINT32_MAX) {
			igr_error("more than 4294967295 pairs");
			goto out;
		}
		s[ns].user = pr.user;
		s[ns].item = pr.item;
		s[ns].pos = (uint32_t)ns;
		memcpy(x + nb * dim, pr.v, dim * sizeof *x);
		ns++;
		if (++nb == BLOCK) {
			if (score_block(n, x, nb, s + ns - nb, p,
					&st->predict_s) < 0)
				goto out;
			nb = 0;
		}
	}
	if (got < 0)
		goto out;
	if (nb > 0 && score_block(n, x, nb, s + ns - nb, p, &st->predict_s) < 0)
		goto out;
	st->pairs = ns;

	/* each user's order */
	sort_n(s, ns, sizeof *s, scored_cmp);
	for (i = 0; i < ns; i = j) {
		for (j = i; j < ns && s[j].user == s[i].user; j++)
			;
		st->users++;
	}
	if (o->predict) {
		/* ranks within the user, then back to input order */
		uint32_t *rank = malloc((ns ? ns : 1) * sizeof *rank);
		if (rank == NULL)
			goto oom;
		for (i = 0; i < ns; i = j) {
			for (j = i; j < ns && s[j].user == s[i].user; j++)
				rank[s[j].pos] = (uint32_t)(j - i + 1);
		}
		sort_n(s, ns, sizeof *s, pos_cmp);
		for (i = 0; i < ns; i++) {
			igr_score sc = { IGR_USER, IGR_ITEM, s[i].user,
					 s[i].item, s[i].p, rank[i] };
			if (igr_write_score(w, &sc) < 0) {
				free(rank);
				goto out;
			}
		}
		free(rank);
		st->written = ns;
	} else {
		for (i = 0; i < ns; i = j) {
			uint32_t k = 0;
			for (j = i; j < ns && s[j].user == s[i].user; j++) {
				igr_score sc;
				if (o->k && k == o->k)
					continue;
				sc.query_type = IGR_USER;
				sc.target_type = IGR_ITEM;
				sc.query = s[j].user;
				sc.target = s[j].item;
				sc.score = s[j].p;
				sc.rank = ++k;
				if (igr_write_score(w, &sc) < 0)
					goto out;
				st->written++;
			}
		}
	}
	rc = 0;
	goto out;
oom:
	igr_error("out of memory");
out:
	igr_mlp_free(n);
	free(s);
	free(x);
	free(p);
	return rc;
}
