/* featurize_run.c - one run of igraph-featurize: inputs, vocabulary,
 * erasures, the graph and its report (see featurize_run.h). */
#include "featurize_run.h"
#include "error.h"
#include "mem.h"
#include "par.h"
#include "stream.h"
#include "version.h"
#include "vocab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct igr_fzrun {
	const struct igr_fzrun_opts *o;
	igr_fz_opts fz;      /* o->fz with the vocabulary's node counts */
	igr_fz *f;
	igr_fz_report rep;
	igr_vocabset *vs;    /* opened when names are needed */
	igr_reader *base;
	igr_reader **in;     /* o->nfiles; NULL once read */
	igr_writer *w;
	igr_out *rout;
	uint64_t nforget;
};

static int is_dash(const char *p)
{
	return p != NULL && strcmp(p, "-") == 0;
}

/* Forgotten users found by igr_vocabset_stat(). */
struct idlist {
	uint32_t *id;
	size_t n, cap;
};

static int add_forgotten(void *arg, uint32_t user)
{
	struct idlist *l = arg;

	if (igr_grow(&l->id, &l->cap, l->n + 1, sizeof *l->id) < 0)
		return -1;
	l->id[l->n++] = user;
	return 0;
}

/* 1 if R's ids are external names (TSV written with a vocabulary). */
static int external(const igr_reader *r)
{
	const char *ids = igr_header_get(igr_reader_header(r), "ids");

	return ids != NULL && strcmp(ids, "external") == 0;
}

static void warn(const igr_fzrun *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(const igr_fzrun *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (r->o->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->o->warn(r->o->warn_arg, msg);
}

/* The vocabulary: loaded when names are needed, else only its sizes and
 * erasure marks (a line count gives them), which go to the builder. */
static int open_vocab(igr_fzrun *r, int names, struct idlist *fg)
{
	const struct igr_fzrun_opts *o = r->o;
	int t, unchecked = 0;

	if (o->vocab != NULL && names) {
		/* on several ranks rank 0 alone writes the erasure marks */
		r->vs = igr_vocabset_open(o->vocab,
					  o->forget && igr_par_rank() == 0
						  ? IGR_VOCAB_WRITE
						  : IGR_VOCAB_READ);
		if (r->vs == NULL)
			return -1;
		if (r->vs->missing)
			return igr_error("vocabulary '%s': %s", o->vocab,
					 strerror(ENOENT));
		unchecked = r->vs->unchecked && !o->forget; /* --forget
							       upgrades it */
		for (t = 0; t < IGR_NNODE; t++)
			r->fz.nodes[t] = igr_vocab_size(r->vs->v[t]);
	} else if (o->vocab != NULL) {
		if (igr_vocabset_stat(o->vocab, r->fz.nodes, add_forgotten,
				      fg, &unchecked) < 0)
			return -1;
	}
	if (unchecked)
		warn(r, IGR_VOCAB_UNCHECKED_FMT, o->vocab, o->vocab);
	return 0;
}

igr_fzrun *igr_fzrun_open(const struct igr_fzrun_opts *o)
{
	igr_fzrun *r = calloc(1, sizeof *r);
	struct idlist fg = { NULL, 0, 0 };
	int i, names = 0;
	size_t j;

	if (r == NULL)
		return igr_error("out of memory"), NULL;
	r->o = o;
	r->fz = o->fz;
	/* open every input first: whether the vocabulary's names are needed
	 * depends on them */
	r->in = calloc((size_t)o->nfiles, sizeof *r->in);
	if (r->in == NULL) {
		igr_error("out of memory");
		goto fail;
	}
	for (i = 0; i < o->nfiles; i++) {
		r->in[i] = igr_reader_open(o->files[i], IGR_KIND_EVENTS);
		if (r->in[i] == NULL)
			goto fail;
		names |= external(r->in[i]);
	}
	if (o->base != NULL) {
		r->base = igr_reader_open(o->base, 0);
		if (r->base == NULL)
			goto fail;
		names |= external(r->base);
	}
	if (o->text_output || o->forget != NULL || o->report != NULL)
		names = 1;
	if (open_vocab(r, names, &fg) < 0)
		goto fail;
	r->f = igr_fz_new(&r->fz);
	if (r->f == NULL)
		goto fail;
	for (j = 0; j < fg.n; j++)
		if (igr_fz_forget(r->f, fg.id[j]) < 0)
			goto fail;
	if (r->vs != NULL) {
		/* erasures already recorded stay erased */
		uint32_t u, n = igr_vocab_size(r->vs->v[IGR_USER]);
		for (u = 0; u < n; u++)
			if (igr_vocab_is_forgotten(r->vs->v[IGR_USER], u) &&
			    igr_fz_forget(r->f, u) < 0)
				goto fail;
	}
	free(fg.id);
	return r;
fail:
	free(fg.id);
	igr_fzrun_free(r);
	return NULL;
}

/* User id of LINE (LEN bytes) of the --forget file IN: through the
 * vocabulary (marking it forgotten there) or a dense id.  1 with *ID set,
 * 0 to skip the line (a warning), -1. */
static int forget_id(igr_fzrun *r, igr_in *in, char *line, size_t len,
		     uint32_t *id)
{
	igr_vocabset *vs = r->vs;
	uint64_t v;

	if (vs == NULL) {
		if (igr_parse_u64(line, len, UINT32_MAX - 1, &v) < 0)
			return igr_error("%s:%llu: '%s' is not a dense user id "
					 "(give --vocab to use external ids)",
					 igr_in_name(in),
					 (unsigned long long)igr_in_lineno(in),
					 line);
		*id = (uint32_t)v;
		return 1;
	}
	*id = igr_vocab_find(vs->v[IGR_USER], line, len);
	if (*id == IGR_NONE) {
		warn(r, "%s:%llu: user '%s' is not in the vocabulary",
		     igr_in_name(in), (unsigned long long)igr_in_lineno(in),
		     line);
		return 0;
	}
	if (!igr_vocab_is_forgotten(vs->v[IGR_USER], *id)) {
		igr_vocab_forget(vs->v[IGR_USER], *id);
		if (!igr_vocab_is_forgotten(vs->v[IGR_USER], *id))
			return igr_error("out of memory");
		vs->forgot[IGR_USER] = 1;
	}
	return 1;
}

int igr_fzrun_forget(igr_fzrun *r)
{
	igr_in *in;
	char *line;
	size_t len;
	int rc;

	if (r->o->forget == NULL)
		return 0;
	in = igr_in_open(r->o->forget);
	if (in == NULL)
		return -1;
	while ((rc = igr_in_getline(in, &line, &len)) == 1) {
		uint32_t id = 0;
		int x;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		x = forget_id(r, in, line, len, &id);
		if (x < 0 || (x == 1 && igr_fz_forget(r->f, id) < 0)) {
			rc = -1;
			break;
		}
		if (x == 1)
			r->nforget++;
	}
	igr_in_close(in);
	return rc < 0 ? -1 : 0;
}

/* Every event of the I-th input into the builder. */
static int read_events(igr_fzrun *r, int i)
{
	igr_reader *rd = r->in[i];
	igr_event e;
	int rc;

	if (r->vs != NULL)
		igr_reader_set_vocab(rd, r->vs);
	while ((rc = igr_read_event(rd, &e)) == 1) {
		if (e.user == IGR_NONE || e.item == IGR_NONE) {
			igr_error("%s: record %llu: event without a user or "
				  "an item", r->o->files[i],
				  (unsigned long long)igr_reader_records(rd));
			rc = -1;
			break;
		}
		if (igr_fz_add_event(r->f, &e) < 0) {
			igr_error_prefix("%s: record %llu", r->o->files[i],
					 (unsigned long long)
						 igr_reader_records(rd));
			rc = -1;
			break;
		}
		if ((igr_reader_records(rd) & 0xfffff) == 0)
			igr_report_progress(r->o->report_to, "%s: %llu events",
					    r->o->files[i],
					    (unsigned long long)
						    igr_reader_records(rd));
	}
	igr_reader_close(rd);
	r->in[i] = NULL;
	return rc < 0 ? -1 : 0;
}

int igr_fzrun_read(igr_fzrun *r)
{
	int i;

	if (r->base != NULL) {
		if (r->vs != NULL)
			igr_reader_set_vocab(r->base, r->vs);
		if (igr_fz_use_base(r->f, r->base) < 0)
			return -1;
	}
	for (i = 0; i < r->o->nfiles; i++)
		if (read_events(r, i) < 0)
			return -1;
	igr_report_progress_done(r->o->report_to);
	return 0;
}

int igr_fzrun_write(igr_fzrun *r)
{
	const struct igr_fzrun_opts *o = r->o;

	r->w = igr_writer_open_par(o->output, IGR_KIND_GRAPH, o->encoding);
	if (r->w == NULL)
		return -1;
	igr_fz_set_par(r->f);
	if (igr_writer_add_pg(r->w, "igraph-featurize", IGR_VERSION, o->argc,
			      o->argv) < 0)
		return -1;
	if (r->vs != NULL)
		igr_writer_set_vocab(r->w, r->vs);
	if (igr_fz_write(r->f, r->base, r->w, &r->rep) < 0)
		return -1;
	if (o->report != NULL && igr_par_rank() == 0) {
		r->rout = igr_out_open(is_dash(o->report) ? NULL : o->report);
		if (r->rout == NULL ||
		    igr_fz_report_write(&r->rep, r->rout, o->json, r->vs) < 0)
			return -1;
	}
	return 0;
}

int igr_fzrun_close(igr_fzrun *r)
{
	igr_writer *w = r->w;
	igr_out *ro = r->rout;

	/* the erasure marks first, durably: the graph without the users must
	 * never be in place while the vocabulary could bring them back; if
	 * the graph then fails, the marks stay and every later run (and
	 * every tool printing names) applies them */
	if (r->vs != NULL && r->o->forget != NULL && igr_par_rank() == 0 &&
	    igr_vocabset_save(r->vs) < 0)
		return -1;
	r->w = NULL;
	if (igr_writer_close(w) < 0)
		return -1;
	r->rout = NULL;
	if (ro != NULL && igr_out_close(ro) < 0)
		return -1;
	return 0;
}

const igr_fz_report *igr_fzrun_report(const igr_fzrun *r, uint64_t *nforget)
{
	*nforget = r->nforget;
	return &r->rep;
}

void igr_fzrun_free(igr_fzrun *r)
{
	int i;

	if (r == NULL)
		return;
	igr_writer_abort(r->w);
	if (r->rout != NULL)
		igr_out_abort(r->rout);
	igr_reader_close(r->base);
	for (i = 0; r->in != NULL && i < r->o->nfiles; i++)
		igr_reader_close(r->in[i]);
	free(r->in);
	igr_fz_report_free(&r->rep);
	igr_fz_free(r->f);
	igr_vocabset_close(r->vs);
	free(r);
}
