/* igraph-cat - print, convert and concatenate igraph streams. */
#include "cli.h"
#include "error.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-cat",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Print igraph streams as TSV (the default), or convert them to binary;\n"
	"several streams of the same kind are concatenated.  --seal turns an old\n"
	"or edited TSV stream into one with a correct '#end' trailer.",
};

/*
 * Names for ids an ingest upstream is still adding.  In `igraph-ingest
 * --vocab V | igraph-cat --vocab V` the new ids reach cat before the
 * ingest has saved them; it saves the vocabulary before it writes the
 * stream's end.  So a record with an id beyond the vocabulary loaded (and
 * every record after it, to keep the order) goes to a spool, a binary
 * stream in a temporary file; at the end of the input the vocabulary is
 * read again and the spool printed.  Records whose ids are known cost one
 * comparison per id.
 */
struct sink {
	igr_writer *w;        /* the output, NULL for --count */
	igr_vocabset *vs;     /* names are printed from it, or NULL */
	const igr_header *h;  /* of the input, for the spool's header */
	igr_writer *spool;
	char path[4096];
};

static int known(const struct sink *s, int type, uint32_t id)
{
	return id == IGR_NONE || type >= IGR_NNODE ||
	       id < igr_vocab_size(s->vs->v[type]);
}

/* Where a record goes: the output, or the spool once a record has an id
 * the vocabulary lacks (KNOWN 0).  NULL on error. */
static igr_writer *dest(struct sink *s, int kind, int is_known)
{
	const char *tmp = getenv("TMPDIR");
	size_t m;

	if (s->spool != NULL)
		return s->spool;
	if (is_known || s->vs == NULL)
		return s->w;
	snprintf(s->path, sizeof s->path, "%s/igraph-cat-spool.%ld",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp", (long)getpid());
	s->spool = igr_writer_open(s->path, kind, IGR_ENC_BINARY);
	if (s->spool == NULL)
		return NULL;
	for (m = 0; m < s->h->nmeta; m++)
		if (strcmp(s->h->meta[m].key, "ids") != 0 &&
		    igr_writer_set_meta(s->spool, s->h->meta[m].key,
					s->h->meta[m].value) < 0)
			return NULL;
	if (s->h->dim && igr_writer_set_dim(s->spool, s->h->dim) < 0)
		return NULL;
	return s->spool;
}

#define COPY(type, readf, writef, is_known)                                  \
	do {                                                                 \
		type x;                                                      \
		while ((rc = readf(r, &x)) == 1) {                           \
			igr_writer *to;                                      \
			if (s->w == NULL)                                    \
				continue;                                    \
			to = dest(s, kind, s->vs == NULL || (is_known));     \
			if (to == NULL || writef(to, &x) < 0)                \
				return -1;                                   \
		}                                                            \
		return rc;                                                   \
	} while (0)

/* Copy every record of R to the sink. */
static int copy_records(igr_reader *r, struct sink *s)
{
	int rc, kind = igr_reader_kind(r);

	switch (kind) {
	case IGR_KIND_EVENTS:
		COPY(igr_event, igr_read_event, igr_write_event,
		     known(s, IGR_USER, x.user) && known(s, IGR_ITEM, x.item) &&
		     known(s, IGR_CATEGORY, x.category));
	case IGR_KIND_ITEMS:
		COPY(igr_item, igr_read_item, igr_write_item,
		     known(s, IGR_ITEM, x.item) &&
		     known(s, IGR_CATEGORY, x.category));
	case IGR_KIND_GRAPH:
		COPY(igr_edge, igr_read_edge, igr_write_edge,
		     known(s, x.src_type, x.src) && known(s, x.dst_type, x.dst));
	case IGR_KIND_VECTORS:
		COPY(igr_vector, igr_read_vector, igr_write_vector,
		     known(s, x.node_type, x.node));
	case IGR_KIND_SCORES:
		COPY(igr_score, igr_read_score, igr_write_score,
		     known(s, x.query_type, x.query) &&
		     known(s, x.target_type, x.target));
	case IGR_KIND_FEATURES:
		COPY(igr_pair, igr_read_pair, igr_write_pair,
		     known(s, IGR_USER, x.user) && known(s, IGR_ITEM, x.item));
	}
	return igr_error("unknown stream kind");
}

/* Copy R to the sink; a spool is printed once R has ended. */
static int copy_stream(igr_reader *r, struct sink *s)
{
	igr_reader *sr;
	igr_writer *sw = NULL;
	int rc;

	s->h = igr_reader_header(r);
	if (copy_records(r, s) < 0)
		return -1;
	if (s->spool == NULL)
		return 0;
	sw = s->spool;
	s->spool = NULL;
	if (igr_writer_close(sw) < 0 || igr_vocabset_refresh(s->vs) < 0) {
		unlink(s->path);
		return -1;
	}
	sr = igr_reader_open(s->path, 0);
	unlink(s->path);
	if (sr == NULL)
		return -1;
	rc = copy_records(sr, s);
	igr_reader_close(sr);
	return rc;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_vocabset *vs = NULL;
	igr_writer *w = NULL;
	int count = 0, seal = 0, i, nfiles, kind = 0;
	uint32_t dim = 0;
	uint64_t total = 0;
	char *features = NULL; /* names of the first features stream */
	char **files;
	struct sink sink;

	const struct igr_cli_opt opts[] = {
		IGR_OPT_FLAG(0, "count", &count,
			     "print only the number of records per input"),
		IGR_OPT_FLAG(0, "seal", &seal,
			     "accept TSV input whose '#end' trailer is missing "
			     "or wrong (an old or edited stream) and write it "
			     "with a correct one"),
		IGR_OPT_COMMON("tsv", "write TSV (the default)"),
		IGR_OPT_COMMON("progress", "accepted as by every stream "
			       "command (igraph-cat shows none)"),
		IGR_OPT_COMMON("binary", "write the binary encoding"),
		IGR_OPT_COMMON("vocab", "print external ids from vocabulary "
			       "DIR, and read TSV streams that hold external "
			       "ids"),
		IGR_OPT_END
	};

	igr_cli_init(&cli, &cmd, opts, argc, argv);
	igr_cli_parse(&cli);
	igr_cli_ready(&cli);
	if (cli.encoding == IGR_ENC_AUTO)
		cli.encoding = IGR_ENC_TSV;
	files = igr_cli_inputs(argc, argv, &nfiles);
	if (cli.vocab != NULL) {
		/* not igr_cli_vocab(): the directory may be made by an
		 * ingest upstream */
		vs = igr_vocabset_open(cli.vocab, IGR_VOCAB_READ);
		if (vs == NULL)
			igr_die_lib();
		if (vs->unchecked)
			igr_warn(&cli, IGR_VOCAB_UNCHECKED_FMT, cli.vocab,
				 cli.vocab);
	}
	memset(&sink, 0, sizeof sink);
	for (i = 0; i < nfiles; i++) {
		igr_reader *r = igr_reader_open(files[i], kind);
		const igr_header *h;
		int rc;

		if (r == NULL)
			goto fail;
		h = igr_reader_header(r);
		if (vs != NULL)
			igr_reader_set_vocab(r, vs);
		if (seal)
			igr_reader_allow_unsealed(r);
		if (kind == 0) {
			kind = h->kind;
			dim = h->dim;
			if (kind == IGR_KIND_FEATURES &&
			    (features = strdup(igr_header_get(h, "features"))) ==
				    NULL) {
				igr_error("out of memory");
				goto fail_r;
			}
			if (!count) {
				size_t m;
				w = igr_writer_open(cli.output, kind,
						    cli.encoding);
				if (w == NULL)
					goto fail_r;
				for (m = 0; m < h->nmeta; m++)
					if (strcmp(h->meta[m].key, "ids") != 0 &&
					    igr_writer_set_meta(w,
						    h->meta[m].key,
						    h->meta[m].value) < 0)
						goto fail_r;
				if (igr_writer_copy_pg(w, h) < 0 ||
				    (dim && igr_writer_set_dim(w, dim) < 0))
					goto fail_r;
				if (vs != NULL)
					igr_writer_set_vocab(w, vs);
			}
		} else if (features != NULL &&
			   strcmp(igr_header_get(h, "features"), features) != 0) {
			igr_error("%s: features differ from the first input's",
				  files[i]);
			goto fail_r;
		} else if (h->dim != dim) {
			igr_error("%s: vectors of dimension %u cannot follow "
				  "dimension %u", files[i], h->dim, dim);
			goto fail_r;
		}
		sink.w = w;
		/* names are needed only when they are printed */
		sink.vs = cli.encoding == IGR_ENC_TSV ? vs : NULL;
		rc = copy_stream(r, &sink);
		if (rc < 0)
			goto fail_r;
		if (!igr_reader_trailer_ok(r))
			igr_info(&cli, "%s: sealed %llu records (its '#end' "
				 "trailer was missing or wrong)",
				 igr_reader_name(r),
				 (unsigned long long)igr_reader_records(r));
		if (count)
			printf("%llu\t%s\n",
			       (unsigned long long)igr_reader_records(r),
			       igr_reader_name(r));
		total += igr_reader_records(r);
		igr_reader_close(r);
		continue;
fail_r:
		igr_reader_close(r);
		goto fail;
	}
	if (w != NULL && igr_writer_close(w) < 0) {
		w = NULL;
		goto fail;
	}
	igr_info(&cli, "%llu records of %s from %d input%s",
		 (unsigned long long)total, igr_kind_name(kind), nfiles,
		 nfiles == 1 ? "" : "s");
	igr_vocabset_close(vs);
	free(features);
	return igr_cli_finish(&cli);
fail:
	{
		/* keep the message: aborting may overwrite it */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_writer_abort(w);
		igr_vocabset_close(vs);
		igr_die("%s", msg);
	}
}
