/* fuzz_options.c - the option-value parsers of igraph-ingest: --columns,
 * --behaviors, --missing, --na, --time-format, --utc-offset and --epoch,
 * all through igr_ingest_new().  Properties: no crash or leak; a refusal
 * always comes with a message. */
#include "error.h"
#include "fuzz_util.h"
#include "ingest.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *copy = malloc(size + 1), *part[8] = { 0 }, *p;
	igr_ingest_config cfg;
	igr_vocab *v[3];
	igr_ingest *ig;
	igr_bmap map[IGR_MAX_BMAP];
	int col[IGR_NROLE], i, usage, n = 0;
	const char *names[IGR_NROLE] = { 0 };
	char *store = NULL;
	int64_t off;

	FUZZ_ASSERT(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* NUL-separated option values */
	for (p = copy; n < 8 && p <= copy + size; p += strlen(p) + 1)
		part[n++] = p;
	for (i = 0; i < IGR_NROLE; i++)
		col[i] = -1;
	if (igr_columns_parse(part[0], col, names, &store) < 0)
		FUZZ_ASSERT(igr_errmsg()[0] != '\0');
	free(store);
	if (igr_behaviors_parse(part[0], map, IGR_MAX_BMAP) < 0)
		FUZZ_ASSERT(igr_errmsg()[0] != '\0');
	(void)igr_utc_offset_parse(part[0], &off);
	igr_ingest_config_init(&cfg);
	cfg.columns = part[0];
	cfg.behaviors = n > 1 && part[1][0] ? part[1] : NULL;
	cfg.missing = n > 2 && part[2][0] ? part[2] : NULL;
	cfg.na = n > 3 && part[3][0] ? part[3] : NULL;
	cfg.time_format = n > 4 && part[4][0] ? part[4] : NULL;
	cfg.utc_offset = n > 5 && part[5][0] ? part[5] : NULL;
	cfg.epoch = n > 6 && part[6][0] ? part[6] : NULL;
	if (n > 7 && part[7][0] == 'i')
		cfg.kind = IGR_KIND_ITEMS;
	if (n > 7 && part[7][0] == 'j')
		cfg.format = IGR_FMT_JSONL;
	for (i = 0; i < 3; i++)
		v[i] = igr_vocab_new();
	igr_error_clear();
	ig = igr_ingest_new(&cfg, v, NULL, &usage);
	if (ig == NULL)
		FUZZ_ASSERT(usage && igr_errmsg()[0] != '\0');
	igr_ingest_free(ig);
	for (i = 0; i < 3; i++)
		igr_vocab_free(v[i]);
	free(copy);
	return 0;
}
