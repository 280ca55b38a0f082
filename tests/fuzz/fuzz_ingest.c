/* fuzz_ingest.c - whole ingest runs (ingest.h) on arbitrary input.
 *
 * The first byte picks the format, schema and options (missing-value
 * policies, trimming, a tiny duplicate window, pseudonyms, items); the
 * rest is the input.  Properties: no crash, hang or leak; an input error
 * is reported, never a crash; and every run keeps
 * rows = accepted + duplicates + rejected.  Issue 12: every line of a
 * line-based input (JSON lines; CSV/TSV without quoting) is a row, a
 * header or a blank line, never lost; and with --now no accepted event
 * is after the --max-future horizon. */
#include "csvparse.h"
#include "fuzz_util.h"
#include "ingest.h"
#include "stream.h"
#include "vocab.h"

#include <fcntl.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char keyfile[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	/* the streams go to stdout, which goes nowhere */
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	snprintf(keyfile, sizeof keyfile, "/tmp/igraph-fuzz-key.%d",
		 (int)getpid());
	fd = open(keyfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, "fuzzing key, 16+ bytes", 22) != 22)
			abort();
		close(fd);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	igr_ingest_config cfg;
	igr_vocab *v[3];
	igr_writer *w;
	igr_ingest *ig;
	igr_in *in;
	int usage, t, rc, gzip;
	unsigned char sel, opt;
	const igr_ingest_stats *st;

	if (size < 2)
		return 0;
	sel = data[0];
	opt = data[1];
	data += 2;
	size -= 2;
	igr_ingest_config_init(&cfg);
	switch (sel % 12) {
	case 0: cfg.schema = "taobao"; break;
	case 1: cfg.schema = "tianchi-mobile"; break;
	case 2: cfg.schema = "dyhatr"; break;
	case 3: cfg.schema = "yoochoose"; break;
	case 4: cfg.schema = "diginetica"; break;
	case 5: cfg.schema = "movielens"; break;
	case 6: cfg.format = IGR_FMT_JSONL; break;
	case 7: cfg.format = IGR_FMT_ADJLIST; break;
	case 8:
		cfg.columns = "user=1,item=2,category=3,behavior=4,ts=5,value=6";
		cfg.time_format = (opt & 16) ? "iso" : "auto";
		break;
	case 9:
		cfg.columns = "user=u,item=i,ts=t";
		cfg.header = 1;
		break;
	case 10:
		cfg.kind = IGR_KIND_ITEMS;
		cfg.schema = (opt & 16) ? "movielens" : "dyhatr";
		break;
	case 11:
		cfg.format = IGR_FMT_TSV;
		cfg.columns = "user=1,item=2,ts=3,offset_ms=4";
		cfg.time_format = (opt & 16) ? "days" : "%Y-%m-%d %H:%M";
		break;
	}
	if (sel & 0x10)
		cfg.missing = (cfg.kind == IGR_KIND_ITEMS)
				      ? "category=none,price=0"
				      : (opt & 1) ? "ts=interpolate,category=x"
						  : "ts=previous,behavior=view";
	if (sel & 0x20)
		cfg.trim = 1;
	if (sel & 0x40)
		cfg.dedup_window = opt & 7;
	if ((sel & 0x80) && cfg.kind == IGR_KIND_EVENTS)
		cfg.pseudonymize = keyfile;
	if (opt & 32)
		cfg.latin1 = 1;
	if (opt & 64)
		cfg.max_field = 8;
	if (opt & 128)
		cfg.quote = IGR_CSV_NOQUOTE;
	if (opt & 4) {
		cfg.has_now = 1;
		cfg.now = 1512000000; /* 2017-11-30, inside the presets' logs */
		cfg.max_future = (opt & 2) ? 0 : 86400;
	}
	cfg.rejects = igr_out_open(NULL);
	FUZZ_ASSERT(cfg.rejects != NULL);
	for (t = 0; t < 3; t++)
		v[t] = igr_vocab_new();
	w = igr_writer_open(NULL, cfg.kind, (opt & 8) ? IGR_ENC_TSV
						      : IGR_ENC_BINARY);
	FUZZ_ASSERT(w != NULL);
	ig = igr_ingest_new(&cfg, v, w, &usage);
	if (ig == NULL) {
		/* only the options can be wrong here, never the data */
		FUZZ_ASSERT(usage || cfg.pseudonymize != NULL);
		goto out_w;
	}
	in = fuzz_input(data, size);
	if (in == NULL)
		goto out_ig;
	rc = igr_ingest_input(ig, in);
	gzip = igr_in_is_gzip(in);
	igr_in_close(in);
	if (rc == 0)
		rc = igr_ingest_finish(ig);
	st = igr_ingest_get_stats(ig);
	/* a failed run may stop with rows held back for interpolation */
	if (rc == 0)
		FUZZ_ASSERT(st->rows ==
			    st->accepted + st->duplicates + st->rejected);
	else
		FUZZ_ASSERT(st->rows >=
			    st->accepted + st->duplicates + st->rejected);
	FUZZ_ASSERT(igr_writer_records(w) == st->accepted);
	if (cfg.has_now && st->accepted > 0)
		FUZZ_ASSERT(st->max_ts <= cfg.now + (int64_t)cfg.max_future);
	if (rc == 0 && !gzip && (cfg.format == IGR_FMT_JSONL ||
				 (cfg.quote == IGR_CSV_NOQUOTE &&
				  cfg.format != IGR_FMT_ADJLIST &&
				  sel % 12 != 6 && sel % 12 != 7))) {
		uint64_t lines = 0;
		size_t i;
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (size > 0 && data[size - 1] != '\n')
			lines++;
		FUZZ_ASSERT(lines == st->rows + st->headers + st->blank);
	}
out_ig:
	igr_ingest_free(ig);
out_w:
	igr_writer_abort(w);
	igr_out_abort(cfg.rejects);
	for (t = 0; t < 3; t++)
		igr_vocab_free(v[t]);
	return 0;
}
