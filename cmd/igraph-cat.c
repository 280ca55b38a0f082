/* igraph-cat - print, convert and concatenate igraph streams. */
#include "cli.h"
#include "error.h"
#include "stream.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-cat",
	.accepts = IGR_CO_STREAM | IGR_CO_VOCAB,
	.operands = "[file ...]",
	.about = "Print igraph streams as TSV (the default), or convert them to binary;\n"
	"several streams of the same kind are concatenated.  --seal turns an old\n"
	"or edited TSV stream into one with a correct '#end' trailer.",
};

/* Copy every record of R to W (creating W from the first reader). */
static int copy_stream(igr_reader *r, igr_writer *w)
{
	int rc;

	switch (igr_reader_kind(r)) {
	case IGR_KIND_EVENTS: {
		igr_event e;
		while ((rc = igr_read_event(r, &e)) == 1)
			if (w && igr_write_event(w, &e) < 0)
				return -1;
		return rc;
	}
	case IGR_KIND_ITEMS: {
		igr_item it;
		while ((rc = igr_read_item(r, &it)) == 1)
			if (w && igr_write_item(w, &it) < 0)
				return -1;
		return rc;
	}
	case IGR_KIND_GRAPH: {
		igr_edge e;
		while ((rc = igr_read_edge(r, &e)) == 1)
			if (w && igr_write_edge(w, &e) < 0)
				return -1;
		return rc;
	}
	case IGR_KIND_VECTORS: {
		igr_vector v;
		while ((rc = igr_read_vector(r, &v)) == 1)
			if (w && igr_write_vector(w, &v) < 0)
				return -1;
		return rc;
	}
	case IGR_KIND_SCORES: {
		igr_score s;
		while ((rc = igr_read_score(r, &s)) == 1)
			if (w && igr_write_score(w, &s) < 0)
				return -1;
		return rc;
	}
	case IGR_KIND_FEATURES: {
		igr_pair p;
		while ((rc = igr_read_pair(r, &p)) == 1)
			if (w && igr_write_pair(w, &p) < 0)
				return -1;
		return rc;
	}
	}
	return igr_error("unknown stream kind");
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
	vs = igr_cli_vocab(&cli, IGR_VOCAB_READ);
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
		rc = copy_stream(r, w);
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
