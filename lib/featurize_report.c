/* featurize_report.c - what one featurize update changed (see
 * featurize.h): the TSV / JSON report. */
#include "featurize.h"
#include "error.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void igr_fz_report_free(igr_fz_report *rep)
{
	int r;

	if (rep == NULL)
		return;
	for (r = 0; r < IGR_FZ_NREL; r++)
		igr_weighthist_release(&rep->rel[r].w);
	free(rep->changed);
	memset(rep, 0, sizeof *rep);
}

static const char *name_of(const igr_vocabset *vs, int type, uint32_t id,
			   char *buf)
{
	const char *s;

	if (id == IGR_NONE)
		return "-";
	if (vs != NULL && (s = igr_vocab_name(vs->v[type], id)) != NULL &&
	    !igr_vocab_is_forgotten(vs->v[type], id))
		return s;
	snprintf(buf, 16, "%u", id);
	return buf;
}

static int rel_used(const igr_fz_report *rep, int r)
{
	const igr_fz_relstats *s = &rep->rel[r];

	return r != IGR_FZ_OTHER || s->edges || s->pruned || s->forgotten;
}

static int put_num(igr_out *out, const char *metric, const char *key,
		   double v)
{
	char b[40];

	igr_fmt_double(b, v);
	return igr_out_printf(out, "%s\t%s\t%s\n", metric, key, b);
}

static int put_u64(igr_out *out, const char *metric, const char *key,
		   uint64_t v)
{
	return igr_out_printf(out, "%s\t%s\t%llu\n", metric, key,
			      (unsigned long long)v);
}

static void top_list(char *buf, size_t cap, const uint32_t *id, int n,
		     const igr_vocabset *vs)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		char nb[16];
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					i ? "," : "",
					name_of(vs, IGR_CATEGORY, id[i], nb));
		if (len >= cap)
			break;
	}
	if (n == 0)
		snprintf(buf, cap, "-");
}

static int write_tsv(const igr_fz_report *rep, igr_out *out,
		     const igr_vocabset *vs)
{
	uint64_t oct[256], i;
	int r, e;

	if (igr_out_printf(out, "metric\tkey\tvalue\n") < 0 ||
	    igr_out_printf(out, "now\t-\t%lld\n", (long long)rep->now) < 0)
		return -1;
	if (rep->has_base &&
	    (igr_out_printf(out, "base_now\t-\t%lld\n",
			    (long long)rep->base_now) < 0 ||
	     put_num(out, "decay", "-", rep->decay) < 0))
		return -1;
	if (put_u64(out, "events", "-", rep->events) < 0 ||
	    put_u64(out, "events_forgotten", "-", rep->events_forgotten) < 0 ||
	    put_u64(out, "users_touched", "-", rep->users_touched) < 0 ||
	    put_u64(out, "users_new", "-", rep->users_new) < 0 ||
	    put_u64(out, "users_forgotten", "-", rep->users_forgotten) < 0 ||
	    put_u64(out, "users_top1_changed", "-", rep->users_top1_changed) <
		    0 ||
	    put_u64(out, "users_top3_changed", "-", rep->users_top3_changed) <
		    0)
		return -1;
	for (r = 0; r < IGR_FZ_NREL; r++) {
		const igr_fz_relstats *s = &rep->rel[r];
		const char *k = igr_fz_rel_name(r);
		if (!rel_used(rep, r))
			continue;
		if (put_u64(out, "edges", k, s->edges) < 0 ||
		    put_u64(out, "added", k, s->added) < 0 ||
		    put_u64(out, "strengthened", k, s->strengthened) < 0 ||
		    put_u64(out, "decayed", k, s->decayed) < 0 ||
		    put_u64(out, "pruned", k, s->pruned) < 0 ||
		    put_u64(out, "forgotten", k, s->forgotten) < 0)
			return -1;
		if (s->w.n == 0)
			continue;
		if (put_num(out, "weight_sum", k, s->w.sum) < 0 ||
		    put_num(out, "weight_min", k, s->w.min) < 0 ||
		    put_num(out, "weight_p50", k,
			    igr_weighthist_quantile(&s->w, 0.5)) < 0 ||
		    put_num(out, "weight_p90", k,
			    igr_weighthist_quantile(&s->w, 0.9)) < 0 ||
		    put_num(out, "weight_p99", k,
			    igr_weighthist_quantile(&s->w, 0.99)) < 0 ||
		    put_num(out, "weight_max", k, s->w.max) < 0)
			return -1;
		igr_weighthist_octaves(&s->w, oct);
		for (e = 0; e < 256; e++) {
			char lo[40], hi[40];
			if (oct[e] == 0)
				continue;
			igr_fmt_double(lo, igr_weighthist_octave_lo(e));
			igr_fmt_double(hi, ldexp(1, e - 126));
			if (igr_out_printf(out, "weight_hist\t%s:[%s,%s)\t%llu\n",
					   k, lo, hi,
					   (unsigned long long)oct[e]) < 0)
				return -1;
		}
	}
	for (i = 0; i < rep->users_top3_changed; i++) {
		const igr_fz_change *c = &rep->changed[i];
		char a[512], b[512], nb[16];
		top_list(a, sizeof a, c->old_top, c->nold, vs);
		top_list(b, sizeof b, c->new_top, c->nnew, vs);
		if (igr_out_printf(out, "top3_changed\t%s\t%s>%s\n",
				   name_of(vs, IGR_USER, c->user, nb), a,
				   b) < 0)
			return -1;
	}
	return 0;
}

static cJSON *id_array(const uint32_t *id, int n, int type,
		       const igr_vocabset *vs)
{
	cJSON *a = cJSON_CreateArray();
	int i;

	for (i = 0; a != NULL && i < n; i++) {
		char nb[16];
		cJSON *s = cJSON_CreateString(name_of(vs, type, id[i], nb));
		if (s == NULL || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *json_report(const igr_fz_report *rep, const igr_vocabset *vs)
{
	cJSON *o = cJSON_CreateObject(), *rels, *ch;
	uint64_t oct[256], i;
	int r, e, ok = 1;

	if (o == NULL)
		return NULL;
	ok &= cJSON_AddNumberToObject(o, "now", (double)rep->now) != NULL;
	if (rep->has_base) {
		ok &= cJSON_AddNumberToObject(o, "base_now",
					      (double)rep->base_now) != NULL;
		ok &= cJSON_AddNumberToObject(o, "decay", rep->decay) != NULL;
	}
#define NUM(k) ok &= cJSON_AddNumberToObject(o, #k, (double)rep->k) != NULL
	NUM(events);
	NUM(events_forgotten);
	NUM(users_touched);
	NUM(users_new);
	NUM(users_forgotten);
	NUM(users_top1_changed);
	NUM(users_top3_changed);
#undef NUM
	rels = cJSON_AddObjectToObject(o, "relations");
	ok &= rels != NULL;
	for (r = 0; ok && r < IGR_FZ_NREL; r++) {
		const igr_fz_relstats *s = &rep->rel[r];
		cJSON *x, *wt, *h;
		if (!rel_used(rep, r))
			continue;
		x = cJSON_AddObjectToObject(rels, igr_fz_rel_name(r));
		if (x == NULL) {
			ok = 0;
			break;
		}
#define NUM(k) ok &= cJSON_AddNumberToObject(x, #k, (double)s->k) != NULL
		NUM(edges);
		NUM(added);
		NUM(strengthened);
		NUM(decayed);
		NUM(pruned);
		NUM(forgotten);
#undef NUM
		if (s->w.n == 0)
			continue;
		wt = cJSON_AddObjectToObject(x, "weight");
		if (wt == NULL) {
			ok = 0;
			break;
		}
		ok &= cJSON_AddNumberToObject(wt, "sum", s->w.sum) != NULL;
		ok &= cJSON_AddNumberToObject(wt, "min", s->w.min) != NULL;
		ok &= cJSON_AddNumberToObject(
			      wt, "p50", igr_weighthist_quantile(&s->w, 0.5)) !=
		      NULL;
		ok &= cJSON_AddNumberToObject(
			      wt, "p90", igr_weighthist_quantile(&s->w, 0.9)) !=
		      NULL;
		ok &= cJSON_AddNumberToObject(
			      wt, "p99", igr_weighthist_quantile(&s->w, 0.99)) !=
		      NULL;
		ok &= cJSON_AddNumberToObject(wt, "max", s->w.max) != NULL;
		h = cJSON_AddArrayToObject(wt, "hist");
		if (h == NULL) {
			ok = 0;
			break;
		}
		igr_weighthist_octaves(&s->w, oct);
		for (e = 0; ok && e < 256; e++) {
			cJSON *b;
			if (oct[e] == 0)
				continue;
			b = cJSON_CreateObject();
			if (b == NULL || !cJSON_AddItemToArray(h, b)) {
				cJSON_Delete(b);
				ok = 0;
				break;
			}
			ok &= cJSON_AddNumberToObject(
				      b, "lo", igr_weighthist_octave_lo(e)) !=
			      NULL;
			ok &= cJSON_AddNumberToObject(b, "hi",
						      ldexp(1, e - 126)) != NULL;
			ok &= cJSON_AddNumberToObject(b, "count",
						      (double)oct[e]) != NULL;
		}
	}
	ch = cJSON_AddArrayToObject(o, "top3_changed");
	ok &= ch != NULL;
	for (i = 0; ok && i < rep->users_top3_changed; i++) {
		const igr_fz_change *c = &rep->changed[i];
		cJSON *u = cJSON_CreateObject(), *a, *b;
		char nb[16];
		if (u == NULL || !cJSON_AddItemToArray(ch, u)) {
			cJSON_Delete(u);
			ok = 0;
			break;
		}
		ok &= cJSON_AddStringToObject(
			      u, "user", name_of(vs, IGR_USER, c->user, nb)) !=
		      NULL;
		a = id_array(c->old_top, c->nold, IGR_CATEGORY, vs);
		b = id_array(c->new_top, c->nnew, IGR_CATEGORY, vs);
		if (a == NULL || !cJSON_AddItemToObject(u, "old", a)) {
			cJSON_Delete(a);
			ok = 0;
		}
		if (b == NULL || !cJSON_AddItemToObject(u, "new", b)) {
			cJSON_Delete(b);
			ok = 0;
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int igr_fz_report_write(const igr_fz_report *rep, igr_out *out, int json,
			const igr_vocabset *vs)
{
	cJSON *o;
	char *s;
	int rc;

	if (!json)
		return write_tsv(rep, out, vs);
	o = json_report(rep, vs);
	if (o == NULL)
		return igr_error("out of memory");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return igr_error("out of memory");
	rc = igr_out_write(out, s, strlen(s));
	if (rc == 0)
		rc = igr_out_write(out, "\n", 1);
	cJSON_free(s);
	return rc;
}
