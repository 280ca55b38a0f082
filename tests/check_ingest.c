/* check_ingest.c - ingest's parsing and cleaning: times, UTF-8, the
 * duplicate window, the id index, option parsers, and whole runs through
 * igr_ingest (counts, rejects, missing values, schemas).  The record
 * readers it uses have their own suites: check_csvparse.c, check_jsonl.c,
 * check_pseudo.c. */
#include "testutil.h"

#include "error.h"
#include "ingest.h"
#include "io.h"
#include "pseudo.h"
#include "stream.h"
#include "vocab.h"

#include <math.h>

/* ---- times ------------------------------------------------------------ */

struct tcase {
	const char *fmt;
	const char *in;
	int ok;
	int64_t ms;
};

START_TEST(times)
{
	static const struct tcase tc[] = {
		{ "s", "1511544070", 1, 1511544070000LL },
		{ "s", "1396860669.277", 1, 1396860669277LL },
		{ "s", "1396860669.2779", 1, 1396860669277LL },
		{ "s", "-1.5", 1, -1500 },
		{ "s", "-0.0001", 1, -1 },
		{ "s", "12a", 0, 0 },
		{ "s", "", 0, 0 },
		{ "s", "1.", 0, 0 },
		{ "s", ".5", 0, 0 },
		{ "s", "-", 0, 0 },
		{ "s", "1234567890123456789", 0, 0 },
		{ "ms", "1511544070123", 1, 1511544070123LL },
		{ "us", "1511544070123999", 1, 1511544070123LL },
		{ "us", "-1", 1, -1 },
		{ "iso", "2017-11-26", 1, 1511654400000LL },
		{ "iso", "20171126", 1, 1511654400000LL },
		{ "iso", "2017-11-26T09:00:00+08:00", 1, 1511658000000LL },
		{ "iso", "2017-11-26 01:00:00", 1, 1511658000000LL },
		{ "iso", "2017-11-26T01:00:00.5Z", 1, 1511658000500LL },
		{ "iso", "2014-04-07T10:51:09.277Z", 1, 1396867869277LL },
		{ "iso", "2014-12-06 02", 1, 1417831200000LL },
		{ "iso", "2014-12-06T02", 1, 1417831200000LL },
		{ "iso", "2017-02-29", 0, 0 },
		{ "iso", "2017-11-26 25:00", 0, 0 },
		{ "iso", "2017-11-26X", 0, 0 },
		{ "iso", "1511544070", 0, 0 },
		{ "auto", "1511544070", 1, 1511544070000LL },
		{ "auto", "2017-11-26", 1, 1511654400000LL },
		{ "auto", "yesterday", 0, 0 },
		{ "days", "0", 1, 0 },
		{ "days", "17496", 1, 17496LL * 86400000 },
		{ "days", "1.5", 1, 129600000 },
		{ "%d/%m/%Y %H:%M", "26/11/2017 09:30", 1, 1511688600000LL },
		{ "%d/%m/%Y %H:%M", "26/11/2017", 0, 0 },
		{ "%Y-%m-%d %H:%M:%S %z", "2017-11-26 09:00:00 +0800", 1,
		  1511658000000LL },
	};
	size_t i;

	for (i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		igr_timefmt tf;
		int64_t ms = 0;
		int r;
		memset(&tf, 0, sizeof tf);
		ck_assert_int_eq(igr_timefmt_set(&tf, tc[i].fmt), 0);
		r = igr_time_parse(&tf, tc[i].in, strlen(tc[i].in), &ms);
		ck_assert_msg((r == 0) == tc[i].ok, "%s '%s': %d", tc[i].fmt,
			      tc[i].in, r);
		if (tc[i].ok)
			ck_assert_msg(ms == tc[i].ms, "%s '%s': %lld, want %lld",
				      tc[i].fmt, tc[i].in, (long long)ms,
				      (long long)tc[i].ms);
	}
}
END_TEST

START_TEST(times_zone_and_epoch)
{
	igr_timefmt tf;
	int64_t ms, off;

	memset(&tf, 0, sizeof tf);
	ck_assert_int_eq(igr_timefmt_set(&tf, "iso"), 0);
	ck_assert_int_eq(igr_utc_offset_parse("+08:00", &tf.offset_s), 0);
	ck_assert_int_eq(igr_time_parse(&tf, "2017-11-26 09:00", 16, &ms), 0);
	ck_assert_int_eq(ms, 1511658000000LL);
	/* an explicit zone wins over the default one */
	ck_assert_int_eq(igr_time_parse(&tf, "2017-11-26T01:00Z", 17, &ms), 0);
	ck_assert_int_eq(ms, 1511658000000LL);
	ck_assert_int_eq(igr_timefmt_set(&tf, "days"), 0);
	tf.epoch_ms = 1560124800000LL; /* 2019-06-10 */
	ck_assert_int_eq(igr_time_parse(&tf, "9", 1, &ms), 0);
	ck_assert_int_eq(ms, 1560124800000LL + 9 * 86400000LL);
	ck_assert_int_eq(igr_utc_offset_parse("-0530", &off), 0);
	ck_assert_int_eq(off, -(5 * 3600 + 30 * 60));
	ck_assert_int_eq(igr_utc_offset_parse("Z", &off), 0);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(igr_utc_offset_parse("+8", &off), -1);
	ck_assert_int_eq(igr_utc_offset_parse("+24:00", &off), -1);
	ck_assert_int_eq(igr_utc_offset_parse("0800", &off), -1);
	ck_assert_int_eq(igr_timefmt_set(&tf, "fortnights"), -1);
	ck_assert_int_eq(igr_ms_to_s(-1), -1);
	ck_assert_int_eq(igr_ms_to_s(-1000), -1);
	ck_assert_int_eq(igr_ms_to_s(1999), 1);
}
END_TEST

/* ---- UTF-8 ------------------------------------------------------------ */

START_TEST(utf8)
{
	static const struct {
		const char *s;
		int ok;
	} tc[] = {
		{ "plain", 1 },
		{ "caf\xc3\xa9", 1 },
		{ "\xe6\xb7\x98\xe5\xae\x9d", 1 },    /* 淘宝 */
		{ "\xf0\x9f\x9b\x92", 1 },            /* U+1F6D2 */
		{ "\xe9", 0 },                        /* Latin-1 é */
		{ "\xc0\xaf", 0 },                    /* overlong / */
		{ "\xe0\x80\xaf", 0 },                /* overlong */
		{ "\xed\xa0\x80", 0 },                /* surrogate */
		{ "\xf4\x90\x80\x80", 0 },            /* above U+10FFFF */
		{ "\xc3", 0 },                        /* cut short */
		{ "\xe6\xb7", 0 },
		{ "\x80", 0 },
		{ "\xf8\x88\x80\x80\x80", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof tc / sizeof tc[0]; i++)
		ck_assert_msg(igr_utf8_valid(tc[i].s, strlen(tc[i].s)) ==
				      tc[i].ok, "case %zu", i);
}
END_TEST

/* ---- the duplicate window --------------------------------------------- */

START_TEST(dedup_window_exact)
{
	/* against a reference: a FIFO of the last W distinct keys, searched
	 * linearly */
	enum { W = 300, N = 20000, KEYS = 700 };
	igr_dedup *d = igr_dedup_new(W);
	unsigned ref[W];
	size_t rn = 0, rhead = 0, i, j;
	unsigned seed = 12345;
	uint64_t dups = 0;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < N; i++) {
		unsigned char key[IGR_DEDUP_KEY];
		unsigned k, found = 0;
		int r;
		seed = seed * 1103515245u + 12345u;
		/* mostly recent keys, to make duplicates common */
		k = (seed >> 8) % KEYS;
		memset(key, 0, sizeof key);
		memcpy(key + 3, &k, sizeof k);
		for (j = 0; j < rn; j++)
			found |= ref[j] == k;
		r = igr_dedup_check(d, key);
		ck_assert_msg(r == (int)found, "step %zu key %u: %d", i, k, r);
		if (!found) {
			if (rn < W) {
				ref[rn++] = k;
			} else {
				ref[rhead] = k;
				rhead = (rhead + 1) % W;
			}
		} else {
			dups++;
		}
	}
	ck_assert_uint_gt(dups, N / 10);
	igr_dedup_free(d);
}
END_TEST

START_TEST(dedup_off)
{
	igr_dedup *d = igr_dedup_new(0);
	unsigned char key[IGR_DEDUP_KEY] = { 1 };

	ck_assert_int_eq(igr_dedup_check(d, key), 0);
	ck_assert_int_eq(igr_dedup_check(d, key), 0);
	igr_dedup_free(d);
}
END_TEST

/* igr_dedup_keys copies a window (a new one fed its keys, oldest first,
 * decides every later key alike), and what ingest_resolve.c builds on:
 * a run started from an empty window that has made the same W
 * insertions in a row as the true run decides every later key alike */
START_TEST(dedup_copy_and_converge)
{
	static const unsigned ws[] = { 1, 3, 50, 300 };
	enum { N = 6000, KEYS = 1 << 20 };
	size_t wi;

	for (wi = 0; wi < sizeof ws / sizeof ws[0]; wi++) {
		unsigned w = ws[wi];
		igr_dedup *a = igr_dedup_new(w), *b = NULL, *c = igr_dedup_new(w);
		unsigned char *keys;
		unsigned seed = 99 + w, run = 0, last[8] = { 0 };
		size_t i, n, cut = N / 3;
		int agreed = 0, converged_at = -1;

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(c);
		for (i = 0; i < N; i++) {
			unsigned char key[IGR_DEDUP_KEY];
			unsigned k;
			int ra, rb, rc;
			/* as a log's duplicates come: a row repeated a few
			 * rows later, else mostly new rows */
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 4) % 10 < 3 && i > 8)
				k = last[(seed >> 12) % 8];
			else
				k = (seed >> 8) % KEYS;
			last[i % 8] = k;
			memset(key, 0, sizeof key);
			memcpy(key, &k, sizeof k);
			if (i == cut) {
				/* the copy, made where the run is */
				n = igr_dedup_keys(a, NULL);
				ck_assert_uint_le(n, w);
				keys = malloc(n * IGR_DEDUP_KEY + 1);
				ck_assert_uint_eq(igr_dedup_keys(a, keys), n);
				b = igr_dedup_new(w);
				for (size_t j = 0; j < n; j++)
					ck_assert_int_eq(igr_dedup_check(
						b, keys + j * IGR_DEDUP_KEY), 0);
				free(keys);
			}
			ra = igr_dedup_check(a, key);
			if (i >= cut) {
				rb = igr_dedup_check(b, key);
				ck_assert_msg(ra == rb, "w %u step %zu", w, i);
				/* c started empty at the cut */
				rc = igr_dedup_check(c, key);
				if (agreed)
					ck_assert_msg(rc == ra, "w %u step %zu "
						      "after agreeing", w, i);
				else if (rc != ra)
					run = 0;
				else if (!ra && ++run >= w) {
					agreed = 1;
					converged_at = (int)i;
				}
			}
		}
		ck_assert_msg(agreed, "w %u never agreed", w);
		ck_assert_int_lt(converged_at, N / 3 + 20 * (int)w + 100);
		igr_dedup_free(a);
		igr_dedup_free(b);
		igr_dedup_free(c);
	}
}
END_TEST

/* ---- id index ----------------------------------------------------------- */

START_TEST(idtab)
{
	igr_idtab *t = igr_idtab_new();
	char name[64];
	uint32_t i, id;

	for (i = 0; i < 50000; i++) {
		size_t n = (size_t)sprintf(name, i % 3 ? "%u" :
					   "a-long-external-id-number-%u", i);
		uint64_t h = igr_idtab_hash(name, n);
		ck_assert_int_eq(igr_idtab_find(t, name, n, h, &id), 0);
		ck_assert_int_eq(igr_idtab_add(t, name, n, h, i), 0);
	}
	for (i = 0; i < 50000; i++) {
		size_t n = (size_t)sprintf(name, i % 3 ? "%u" :
					   "a-long-external-id-number-%u", i);
		ck_assert_int_eq(igr_idtab_find(t, name, n,
						igr_idtab_hash(name, n), &id),
				 1);
		ck_assert_uint_eq(id, i);
	}
	ck_assert_int_eq(igr_idtab_find(t, "x", 1, igr_idtab_hash("x", 1), &id),
			 0);
	igr_idtab_free(t);
}
END_TEST

/* ---- option parsers --------------------------------------------------- */

START_TEST(columns_parse)
{
	int col[IGR_NROLE];
	const char *names[IGR_NROLE] = { 0 };
	char *store = NULL;
	int r;

	for (r = 0; r < IGR_NROLE; r++)
		col[r] = -1;
	ck_assert_int_eq(igr_columns_parse("user=2,item=4,behavior=3,ts=1",
					   col, names, &store), 0);
	ck_assert_int_eq(col[IGR_ROLE_USER], 1);
	ck_assert_int_eq(col[IGR_ROLE_ITEM], 3);
	ck_assert_int_eq(col[IGR_ROLE_TS], 0);
	free(store);
	ck_assert_int_eq(igr_columns_parse("user=visitorid,time=ts", col, names,
					   &store), 0);
	ck_assert_str_eq(names[IGR_ROLE_USER], "visitorid");
	ck_assert_str_eq(names[IGR_ROLE_TS], "ts");
	free(store);
	ck_assert_int_eq(igr_columns_parse("user=0", col, names, &store), -1);
	free(store);
	ck_assert_int_eq(igr_columns_parse("usr=1", col, names, &store), -1);
	free(store);
	ck_assert_int_eq(igr_columns_parse("user=1,user=2", col, names,
					   &store), -1);
	free(store);
	ck_assert_int_eq(igr_columns_parse("user", col, names, &store), -1);
	free(store);
	ck_assert_int_eq(igr_columns_parse("user=", col, names, &store), -1);
	free(store);
}
END_TEST

START_TEST(behaviors_parse)
{
	igr_bmap m[IGR_MAX_BMAP];

	ck_assert_int_eq(igr_behaviors_parse("view=view,addtocart=cart,"
					     "transaction=buy", m, IGR_MAX_BMAP),
			 3);
	ck_assert_str_eq(m[1].from, "addtocart");
	ck_assert_int_eq(m[1].to, IGR_CART);
	ck_assert_int_eq(igr_behaviors_parse("pv=peek", m, IGR_MAX_BMAP), -1);
	ck_assert_int_eq(igr_behaviors_parse("pv=view,pv=buy", m,
					     IGR_MAX_BMAP), -1);
	ck_assert_int_eq(igr_behaviors_parse("=view", m, IGR_MAX_BMAP), -1);
	ck_assert_int_eq(igr_behaviors_parse("a=view,b=buy", m, 1), -1);
}
END_TEST

/* ---- whole runs ------------------------------------------------------- */

#define MAXEV 512

struct run {
	int rc, usage;
	char err[512];
	igr_ingest_stats st;
	igr_event ev[MAXEV];
	igr_item it[MAXEV];
	char title[MAXEV][64];
	int n;
	char *rejects;
	size_t nrejects_lines;
	igr_vocab *v[3];
};

static void run_free(struct run *r)
{
	int i;

	free(r->rejects);
	for (i = 0; i < 3; i++)
		igr_vocab_free(r->v[i]);
}

/* Ingest TEXT with CFG into a TSV stream and read it back. */
static void run_text(igr_ingest_config *cfg, const char *text,
		     struct run *out)
{
	igr_writer *w;
	igr_ingest *ig;
	igr_reader *rd;
	size_t n, i;
	int t;

	memset(out, 0, sizeof *out);
	for (t = 0; t < 3; t++)
		out->v[t] = igr_vocab_new();
	tu_write(tu_path("in"), text, strlen(text));
	cfg->rejects = igr_out_open(tu_path("rej"));
	ck_assert_ptr_nonnull(cfg->rejects);
	w = igr_writer_open(tu_path("out"), cfg->kind, IGR_ENC_TSV);
	ck_assert_ptr_nonnull(w);
	ig = igr_ingest_new(cfg, out->v, w, &out->usage);
	if (ig == NULL) {
		out->rc = -1;
		snprintf(out->err, sizeof out->err, "%s", igr_errmsg());
		igr_writer_abort(w);
		igr_out_abort(cfg->rejects);
		cfg->rejects = NULL;
		return;
	}
	out->rc = igr_ingest_file(ig, tu_path("in"));
	if (out->rc == 0)
		out->rc = igr_ingest_finish(ig);
	if (out->rc < 0)
		snprintf(out->err, sizeof out->err, "%s", igr_errmsg());
	out->st = *igr_ingest_get_stats(ig);
	igr_ingest_free(ig);
	ck_assert_int_eq(igr_out_close(cfg->rejects), 0);
	cfg->rejects = NULL;
	out->rejects = (char *)tu_read(tu_path("rej"), &n);
	for (i = 0; i < n; i++)
		out->nrejects_lines += out->rejects[i] == '\n';
	if (out->rc < 0) {
		igr_writer_abort(w);
		return;
	}
	ck_assert_int_eq(igr_writer_close(w), 0);
	rd = igr_reader_open(tu_path("out"), cfg->kind);
	ck_assert_msg(rd != NULL, "%s", igr_errmsg());
	for (;;) {
		int r;
		ck_assert_int_lt(out->n, MAXEV);
		if (cfg->kind == IGR_KIND_EVENTS) {
			r = igr_read_event(rd, &out->ev[out->n]);
		} else {
			r = igr_read_item(rd, &out->it[out->n]);
			if (r == 1)
				snprintf(out->title[out->n], 64, "%s",
					 out->it[out->n].text);
		}
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		out->n++;
	}
	igr_reader_close(rd);
	/* the invariant every run keeps */
	ck_assert_uint_eq(out->st.rows, out->st.accepted + out->st.duplicates +
						 out->st.rejected);
	ck_assert_uint_eq(out->st.rejected, out->nrejects_lines);
	ck_assert_uint_eq(out->st.accepted, (uint64_t)out->n);
}

static const char *name_of(const struct run *r, int type, uint32_t id)
{
	const char *s = igr_vocab_name(r->v[type], id);
	return s ? s : "(none)";
}

static const char taobao_text[] =
	"1,2268318,2520377,pv,1511544070\n"
	"1,2333346,2520771,pv,1511561733\n"
	"1,2268318,2520377,pv,1511544070\n" /* duplicate of row 1 */
	"2,2576651,149192,cart,1511572885\n"
	"2,2576651,149192,clik,1511572885\n" /* unknown behaviour */
	"3,,149192,buy,1511572885\n"          /* missing item */
	"4,5,6,buy,1511572885123\n"           /* milliseconds */
	"4,5,6,fav\n"                         /* 4 fields */
	"5,7,8,buy,2017-11-26\n"              /* not Unix seconds */
	"\n"
	"6,7,8,fav,1511572999\n";

START_TEST(run_taobao)
{
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.rows, 10);
	ck_assert_uint_eq(r.st.accepted, 4);
	ck_assert_uint_eq(r.st.duplicates, 1);
	ck_assert_uint_eq(r.st.rejected, 5);
	ck_assert_uint_eq(r.st.blank, 1);
	ck_assert_uint_eq(r.st.behavior[IGR_VIEW], 2);
	ck_assert_uint_eq(r.st.behavior[IGR_CART], 1);
	ck_assert_uint_eq(r.st.behavior[IGR_FAV], 1);
	ck_assert_int_eq(r.ev[0].ts, 1511544070);
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[0].user), "1");
	ck_assert_str_eq(name_of(&r, IGR_ITEM, r.ev[0].item), "2268318");
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.ev[0].category),
			 "2520377");
	ck_assert_uint_eq(r.ev[2].behavior, IGR_CART);
	ck_assert_float_eq(r.ev[2].value, 1);
	/* the rejects file: file:line, reason, the row */
	ck_assert_ptr_nonnull(strstr(r.rejects, ":5\tunknown behavior 'clik'\t"
					       "2,2576651,149192,clik,1511572885\n"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":6\tmissing item\t"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":7\ttime 1511572885123 is out "
					       "of range"));
	ck_assert_ptr_nonnull(strstr(r.rejects, "milliseconds?"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":8\t4 fields, expected 5\t"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":9\tbad time '2017-11-26'"));
	/* rejected rows leave no ids behind: user 3, 4, 5 never entered */
	ck_assert_uint_eq(igr_vocab_find(r.v[IGR_USER], "3", 1), IGR_NONE);
	ck_assert_uint_eq(igr_vocab_find(r.v[IGR_USER], "4", 1), IGR_NONE);
	ck_assert_uint_eq(igr_vocab_size(r.v[IGR_USER]), 3);
	run_free(&r);
}
END_TEST

START_TEST(run_strict_and_limits)
{
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.strict = 1;
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_ptr_nonnull(strstr(r.err, ":5: unknown behavior 'clik'"));
	ck_assert_uint_eq(r.st.rejected, 1);
	ck_assert_uint_eq(r.nrejects_lines, 1);
	run_free(&r);

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.max_rejects_kind = 1;
	cfg.max_rejects = 2;
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_ptr_nonnull(strstr(r.err, "more than 2 rows rejected"));
	ck_assert_uint_eq(r.st.rejected, 3);
	run_free(&r);

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.max_rejects_kind = 1;
	cfg.max_rejects = 5;
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, 0);
	run_free(&r);

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.max_rejects_kind = 2;
	cfg.max_reject_frac = 0.4; /* 5 of 10 rows */
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_ptr_nonnull(strstr(r.err, "5 of 10 rows rejected"));
	run_free(&r);

	cfg.max_reject_frac = 0.5;
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, 0);
	run_free(&r);
}
END_TEST

START_TEST(run_generic_mapping)
{
	/* RetailRocket-like: ms times, a header, mapped behaviour names */
	static const char text[] =
		"timestamp,visitorid,event,itemid,transactionid\n"
		"1433221332117,257597,view,355908,\n"
		"1433224214164,992329,view,248676,\n"
		"1433221999827,111016,addtocart,11,\n"
		"1433221999827,111016,transaction,11,4000\n"
		"1433221999827,111016,click,11,\n";
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.columns = "user=2,item=4,behavior=3,ts=1";
	cfg.behaviors = "view=view,addtocart=cart,transaction=buy";
	cfg.time_format = "ms";
	cfg.header = 1;
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 4);
	ck_assert_uint_eq(r.st.rejected, 1); /* click is not in the map */
	ck_assert_uint_eq(r.st.headers, 1);
	ck_assert_int_eq(r.ev[0].ts, 1433221332);
	ck_assert_uint_eq(r.ev[3].behavior, IGR_BUY);
	run_free(&r);

	/* the same by column names */
	igr_ingest_config_init(&cfg);
	cfg.columns = "user=visitorid,item=itemid,behavior=event,ts=timestamp";
	cfg.behaviors = "view=view,addtocart=cart,transaction=buy";
	cfg.time_format = "ms";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 4);
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[0].user), "257597");
	run_free(&r);

	/* a name the header lacks */
	cfg.columns = "user=visitor,item=itemid";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_ptr_nonnull(strstr(r.err, "no column 'visitor'"));
	run_free(&r);

	/* configuration errors are usage errors */
	igr_ingest_config_init(&cfg);
	cfg.columns = "item=1";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
}
END_TEST

START_TEST(run_missing_policies)
{
	static const char text[] =
		"u1,i1,,view,100\n"
		"u1,i2,c9,,200\n"
		"u2,i3,c9,buy,\n"
		"u2,i4,c9,buy,\n"
		"u2,i5,c9,buy,500\n"
		"u3,i6,c9,buy,\n";
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.columns = "user=1,item=2,category=3,behavior=4,ts=5";
	cfg.missing = "category=unknown,behavior=view,ts=interpolate";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 6);
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.ev[0].category),
			 "unknown");
	ck_assert_uint_eq(r.ev[1].behavior, IGR_VIEW);
	/* 200 .. 500 in three steps; the last carried forward */
	ck_assert_int_eq(r.ev[2].ts, 300);
	ck_assert_int_eq(r.ev[3].ts, 400);
	ck_assert_int_eq(r.ev[4].ts, 500);
	ck_assert_int_eq(r.ev[5].ts, 500);
	ck_assert_uint_eq(r.st.filled, 2);
	ck_assert_uint_eq(r.st.interpolated, 3);
	run_free(&r);

	cfg.missing = "ts=previous";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.rejected, 1); /* the missing behaviour */
	ck_assert_uint_eq(r.ev[0].category, IGR_NONE);
	/* the previous accepted row's time: row 2 was rejected */
	ck_assert_int_eq(r.ev[1].ts, 100);
	ck_assert_int_eq(r.ev[2].ts, 100);
	ck_assert_int_eq(r.ev[3].ts, 500);
	ck_assert_int_eq(r.ev[4].ts, 500);
	run_free(&r);

	/* nothing to interpolate from */
	cfg.missing = "ts=interpolate";
	run_text(&cfg, "a,b,c,view,\n", &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.rejects, "no time to interpolate"));
	run_free(&r);

	cfg.missing = "ts=previous";
	run_text(&cfg, "a,b,c,view,\n", &r);
	ck_assert_uint_eq(r.st.rejected, 1);
	run_free(&r);

	/* bad policies are usage errors */
	cfg.missing = "user=none";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
	cfg.missing = "category=interpolate";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
	cfg.missing = "ts=yesterday";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
	cfg.missing = "behavior=peek";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
}
END_TEST

START_TEST(run_jsonl)
{
	static const char text[] =
		"{\"user\": 12345678901234567891, \"item\": \"A\", \"ts\": "
		"1511544070, \"behavior\": \"buy\", \"value\": 2}\n"
		"{\"user\": \"9007199254740993\", \"item\": 7, \"ts\": "
		"\"2017-11-26T09:00:00+08:00\", \"category\": null}\n"
		"{\"user\": 1, \"item\": 2, \"ts\": 1, \"behavior\": true}\n"
		"not json\n"
		"{\"user\": 1, \"ts\": 1}\n";
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.format = IGR_FMT_JSONL;
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 2);
	ck_assert_uint_eq(r.st.rejected, 3);
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[0].user),
			 "12345678901234567891");
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[1].user),
			 "9007199254740993");
	ck_assert_float_eq(r.ev[0].value, 2);
	ck_assert_uint_eq(r.ev[0].behavior, IGR_BUY);
	ck_assert_uint_eq(r.ev[1].behavior, IGR_CLICK); /* no such key */
	ck_assert_int_eq(r.ev[1].ts, 1511658000);
	ck_assert_ptr_nonnull(strstr(r.rejects, "behavior: a boolean"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":4\tinvalid JSON"));
	ck_assert_ptr_nonnull(strstr(r.rejects, ":5\tmissing item"));
	run_free(&r);
}
END_TEST

START_TEST(run_adjlist)
{
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.format = IGR_FMT_ADJLIST;
	cfg.time_format = "position";
	run_text(&cfg, "0 10 11\t12\n\n1\n2 10\r\n", &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.rows, 4);
	ck_assert_uint_eq(r.st.accepted, 4);
	ck_assert_uint_eq(r.st.blank, 1);
	ck_assert_uint_eq(r.st.empty_users, 1);
	ck_assert_int_eq(r.ev[0].ts, 1);
	ck_assert_int_eq(r.ev[3].ts, 4);
	ck_assert_str_eq(name_of(&r, IGR_ITEM, r.ev[2].item), "12");
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[3].user), "2");
	ck_assert_uint_eq(r.ev[3].item, r.ev[0].item);
	ck_assert_uint_eq(r.ev[0].behavior, IGR_CLICK);
	/* user 1 has no items and no events, so no id either */
	ck_assert_uint_eq(igr_vocab_size(r.v[IGR_USER]), 2);
	run_free(&r);

	cfg.kind = IGR_KIND_ITEMS;
	run_text(&cfg, "0 1\n", &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
}
END_TEST

START_TEST(run_pseudonymize)
{
	igr_ingest_config cfg;
	struct run r;
	const char *u;
	char key[512];
	size_t i;

	snprintf(key, sizeof key, "%s", tu_path("key"));
	tu_write(key, "0123456789abcdef0123", 20);
	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.pseudonymize = key;
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, 0);
	u = name_of(&r, IGR_USER, r.ev[0].user);
	ck_assert_uint_eq(strlen(u), IGR_PSEUDO_LEN);
	for (i = 0; i < IGR_PSEUDO_LEN; i++)
		ck_assert(strchr("0123456789abcdef", u[i]) != NULL);
	/* raw user ids are nowhere in the vocabulary */
	ck_assert_uint_eq(igr_vocab_find(r.v[IGR_USER], "1", 1), IGR_NONE);
	/* items are not pseudonymized; user 1's two events share an id */
	ck_assert_uint_eq(r.ev[0].user, r.ev[1].user);
	ck_assert_uint_ne(r.ev[0].user, r.ev[2].user);
	{
		igr_pseudo *ps = igr_pseudo_new("0123456789abcdef0123", 20);
		char want[IGR_PSEUDO_LEN + 1];
		igr_pseudo_id(ps, "1", 1, want);
		ck_assert_str_eq(u, want);
		igr_pseudo_free(ps);
	}
	run_free(&r);
	tu_write(key, "short", 5);
	run_text(&cfg, taobao_text, &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_int_eq(r.usage, 0);
	run_free(&r);
}
END_TEST

START_TEST(run_items)
{
	static const char text[] =
		"movieId,title,genres\n"
		"1,Toy Story (1995),Adventure|Animation|Children\n"
		"2,\"American President, The (1995)\",Comedy|Drama\n"
		"2,\"American President, The (1995)\",Comedy|Drama\n"
		"3,Jumanji (1995),(no genres listed)\n";
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.kind = IGR_KIND_ITEMS;
	cfg.schema = "movielens";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 3);
	ck_assert_uint_eq(r.st.duplicates, 1);
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.it[0].category),
			 "Adventure");
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.it[1].category),
			 "Comedy");
	ck_assert_str_eq(r.title[1], "American President, The (1995)");
	ck_assert_uint_eq(r.it[1].ntok, 4);
	ck_assert(isnan(r.it[0].price));
	run_free(&r);

	igr_ingest_config_init(&cfg);
	cfg.kind = IGR_KIND_ITEMS;
	cfg.schema = "dyhatr";
	run_text(&cfg, "10\t33\t500\t0\t21.8\n11\t33\t500\t0\t-1\n"
		       "12\t33\t501\t0\tcheap\n", &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_uint_eq(r.st.rejected, 2);
	ck_assert_float_eq_tol(r.it[0].price, 21.8f, 1e-6);
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.it[0].category), "500");
	run_free(&r);
}
END_TEST

START_TEST(run_dedup_window)
{
	/* a duplicate 3 records back is found with a window of 3, not 2 */
	static const char text[] = "u,a,view,1\nu,b,view,1\nu,c,view,1\n"
				   "u,a,view,1\n";
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.columns = "user=1,item=2,behavior=3,ts=4";
	cfg.dedup_window = 3;
	run_text(&cfg, text, &r);
	ck_assert_uint_eq(r.st.duplicates, 1);
	run_free(&r);
	cfg.dedup_window = 2;
	run_text(&cfg, text, &r);
	ck_assert_uint_eq(r.st.duplicates, 0);
	ck_assert_uint_eq(r.st.accepted, 4);
	run_free(&r);
	/* the same time in ms resolution differs: not duplicates */
	cfg.dedup_window = 100;
	cfg.time_format = "s";
	run_text(&cfg, "u,a,view,1.001\nu,a,view,1.002\nu,a,view,1.001\n", &r);
	ck_assert_uint_eq(r.st.duplicates, 1);
	ck_assert_uint_eq(r.st.accepted, 2);
	run_free(&r);
}
END_TEST

START_TEST(run_field_checks)
{
	char text[4096];
	igr_ingest_config cfg;
	struct run r;
	size_t n;

	n = (size_t)sprintf(text, "u\x01x,a,view,1\nu,\xe9t\xe9,view,1\n"
				  "u,a,view,1,extra\nu,");
	memset(text + n, 'x', 1100);
	n += 1100;
	strcpy(text + n, ",view,1\n\"u\",\"a\",view,1\n");
	igr_ingest_config_init(&cfg);
	cfg.columns = "user=1,item=2,behavior=3,ts=4";
	run_text(&cfg, text, &r);
	ck_assert_int_eq(r.rc, 0);
	/* too many fields is fine for a generic layout: at least 4 */
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_uint_eq(r.st.rejected, 3);
	ck_assert_ptr_nonnull(strstr(r.rejects, "control character"));
	ck_assert_ptr_nonnull(strstr(r.rejects, "not valid UTF-8"));
	ck_assert_ptr_nonnull(strstr(r.rejects, "longer than 1024 bytes"));
	/* quoted and unquoted are the same event: a duplicate */
	ck_assert_uint_eq(r.st.duplicates, 1);
	run_free(&r);

	cfg.latin1 = 1;
	run_text(&cfg, "u,\xe9t\xe9,view,1\n", &r);
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_str_eq(name_of(&r, IGR_ITEM, r.ev[0].item),
			 "\xc3\xa9t\xc3\xa9");
	run_free(&r);
}
END_TEST

START_TEST(run_schema_layouts)
{
	igr_ingest_config cfg;
	struct run r;

	/* movielens picks its layout from the first line */
	igr_ingest_config_init(&cfg);
	cfg.schema = "movielens";
	run_text(&cfg, "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n",
		 &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_float_eq(r.ev[0].value, 4);
	ck_assert_uint_eq(r.ev[0].behavior, IGR_REVIEW);
	run_free(&r);
	run_text(&cfg, "196\t242\t3\t881250949\n", &r);
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_float_eq(r.ev[0].value, 3);
	run_free(&r);

	/* diginetica: date plus milliseconds, session as user */
	cfg.schema = "diginetica";
	run_text(&cfg, "session_id;user_id;item_id;timeframe;eventdate\n"
		       "1;NA;81766;526309;2016-05-09\n", &r);
	ck_assert_uint_eq(r.st.accepted, 1);
	ck_assert_int_eq(r.ev[0].ts, 1462752000 + 526);
	ck_assert_str_eq(name_of(&r, IGR_USER, r.ev[0].user), "1");
	run_free(&r);

	/* a schema whose header is required and missing */
	cfg.schema = "diginetica";
	run_text(&cfg, "1;NA;81766;526309;2016-05-09\n", &r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_ptr_nonnull(strstr(r.err, "not a header of --schema "
					    "diginetica"));
	run_free(&r);

	/* yoochoose, original clicks: category 0 is missing */
	cfg.schema = "yoochoose";
	run_text(&cfg, "1,2014-04-07T10:51:09.277Z,214536502,0\n"
		       "1,2014-04-07T10:54:09.868Z,214536500,S\n", &r);
	ck_assert_uint_eq(r.st.accepted, 2);
	ck_assert_uint_eq(r.ev[0].category, IGR_NONE);
	ck_assert_str_eq(name_of(&r, IGR_CATEGORY, r.ev[1].category), "S");
	ck_assert_int_eq(r.ev[0].ts, 1396867869);
	run_free(&r);

	cfg.schema = "nosuch";
	run_text(&cfg, "", &r);
	ck_assert_int_eq(r.usage, 1);
	run_free(&r);
	cfg.schema = "taobao";
	cfg.kind = IGR_KIND_ITEMS;
	run_text(&cfg, "", &r);
	ck_assert_int_eq(r.usage, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "has no items layout"));
	run_free(&r);
}
END_TEST

/* What a record-and-replay test reads into: vocabularies for the direct
 * reader and for the recorder, the rejects ("rej") and the stream
 * ("out") of the direct reader IG, opened with CFG (its rejects set). */
struct side {
	igr_vocab *v[3], *rv[3];
	igr_writer *w;
	igr_ingest *ig;
};

static void side_open(struct side *s, igr_ingest_config *cfg)
{
	int t, usage;

	for (t = 0; t < 3; t++) {
		s->v[t] = igr_vocab_new();
		s->rv[t] = igr_vocab_new();
	}
	cfg->rejects = igr_out_open(tu_path("rej"));
	s->w = igr_writer_open(tu_path("out"), IGR_KIND_EVENTS, IGR_ENC_TSV);
	ck_assert_ptr_nonnull(s->w);
	s->ig = igr_ingest_new(cfg, s->v, s->w, &usage);
	ck_assert_ptr_nonnull(s->ig);
}

/* Finish S: its counts into ST, its rejects into *REJ (*NREJ bytes);
 * returns its stream (*N bytes). */
static char *side_close(struct side *s, const igr_ingest_config *cfg,
			igr_ingest_stats *st, char **rej, size_t *nrej,
			size_t *n)
{
	int t;

	ck_assert_int_eq(igr_ingest_finish(s->ig), 0);
	*st = *igr_ingest_get_stats(s->ig);
	igr_ingest_free(s->ig);
	ck_assert_int_eq(igr_writer_close(s->w), 0);
	ck_assert_int_eq(igr_out_close(cfg->rejects), 0);
	for (t = 0; t < 3; t++) {
		igr_vocab_free(s->v[t]);
		igr_vocab_free(s->rv[t]);
	}
	*rej = (char *)tu_read(tu_path("rej"), nrej);
	return (char *)tu_read(tu_path("out"), n);
}

/* Two inputs read in turn against the first read, the second read by a
 * recorder and its log replayed (what several ranks do, ingest_par.c):
 * the same stream, rejects and counts, positions counted on and a time
 * interpolated across the two. */
static char *replayed(int replay, size_t *n, size_t *nrej,
		      igr_ingest_stats *st)
{
	igr_ingest_config cfg;
	struct side sd;
	igr_ingest *ig, *rec, *cut;
	const void *log;
	uint64_t len;
	char *rej, *out, *copy = NULL;
	int usage, fd;

	igr_ingest_config_init(&cfg);
	cfg.columns = "user=1,item=2,category=3,behavior=4,ts=5";
	cfg.missing = "ts=interpolate";
	cfg.time_format = "s";
	side_open(&sd, &cfg);
	ig = sd.ig;
	ck_assert_int_eq(igr_ingest_file(ig, tu_path("a")), 0);
	if (replay) {
		igr_ingest_config c2 = cfg;
		c2.rejects = NULL;
		rec = igr_ingest_new(&c2, sd.rv, NULL, &usage);
		ck_assert_ptr_nonnull(rec);
		/* 3: the log kept in memory 10 bytes at a time, the rest in
		 * its temporary file */
		igr_ingest_record(rec, replay == 3 ? 10 : 0);
		ck_assert_int_eq(igr_ingest_file_logged(rec, tu_path("b")), 0);
		ck_assert_int_eq(igr_ingest_log(rec, &log, &fd, &len), 0);
		if (replay == 3) {
			ck_assert_int_ge(fd, 0);
			ck_assert_ptr_null(log);
			ck_assert_uint_gt(len, 10);
			copy = malloc(len);
			ck_assert_ptr_nonnull(copy);
			ck_assert_int_eq(pread(fd, copy, len, 0), (ssize_t)len);
			log = copy;
		} else {
			ck_assert_int_eq(fd, -1);
		}
		ck_assert_uint_eq(igr_ingest_log_whole(log, len), len);
		ck_assert_uint_lt(igr_ingest_log_whole(log, len - 3), len - 3);
		if (replay != 2) {
			ck_assert_int_eq(igr_ingest_replay(ig, log, len), 0);
		} else {
			/* in pieces of 7 bytes, as rank 0 gets the other
			 * ranks' logs: whole entries replayed, the cut one
			 * kept for the next piece */
			char *buf = malloc(len);
			size_t have = 0, off, whole;
			ck_assert_ptr_nonnull(buf);
			for (off = 0; off < len; off += 7) {
				size_t m = len - off < 7 ? len - off : 7;
				memcpy(buf + have, (const char *)log + off, m);
				have += m;
				whole = igr_ingest_log_whole(buf, have);
				ck_assert_int_eq(
					igr_ingest_replay(ig, buf, whole), 0);
				memmove(buf, buf + whole, have - whole);
				have -= whole;
			}
			ck_assert_uint_eq(have, 0);
			free(buf);
		}
		/* a log cut short (within its last record) is an error, not
		 * fewer rows */
		cut = igr_ingest_new(&c2, sd.rv, NULL, &usage);
		ck_assert_ptr_nonnull(cut);
		ck_assert_int_lt(igr_ingest_replay(cut, log, len - 3), 0);
		igr_ingest_free(cut);
		igr_ingest_free(rec);
		free(copy);
	} else {
		ck_assert_int_eq(igr_ingest_file(ig, tu_path("b")), 0);
	}
	out = side_close(&sd, &cfg, st, &rej, nrej, n);
	free(rej);
	return out;
}

START_TEST(record_and_replay)
{
	static const char a[] = "u1,i1,c1,view,100\n"
				"u2,i2,c1,buy,200\n"
				"u1,i1,c1,view,100\n"; /* duplicate */
	static const char b[] = "u3,i1,c2,view,\n"     /* interpolated */
				"u1,i1,c1,view,100\n"   /* duplicate */
				"u4,i9,c2,clik,300\n"   /* rejected */
				"u2,i3,c3,cart,400\n";
	igr_ingest_stats s1, s2;
	size_t n1, n2, r1, r2;
	char *o1, *o2;
	int piece;

	tu_write(tu_path("a"), a, strlen(a));
	tu_write(tu_path("b"), b, strlen(b));
	o1 = replayed(0, &n1, &r1, &s1);
	for (piece = 3; piece >= 1; piece--) {
		/* replayed whole (1), in pieces (2), and from the log's
		 * temporary file (3): the serial bytes */
		o2 = replayed(piece, &n2, &r2, &s2);
		ck_assert_uint_eq(n1, n2);
		ck_assert_int_eq(memcmp(o1, o2, n1), 0);
		ck_assert_uint_eq(r1, r2);
		if (piece > 1)
			free(o2);
	}
	ck_assert_uint_eq(s1.rows, 7);
	ck_assert_uint_eq(s2.rows, 7);
	ck_assert_uint_eq(s2.duplicates, 2);
	ck_assert_uint_eq(s2.rejected, 1);
	ck_assert_uint_eq(s2.interpolated, 1);
	ck_assert_uint_eq(s2.files, 2);
	free(o1);
	free(o2);
}
END_TEST

/* One file read in three ranges, as three ranks do (ingest_par.c): the
 * first read directly up to the cuts, the others logged and replayed.
 * The first cut is inside a quoted field, so the first range reads on to
 * the second cut and the replay skips the range that began at the
 * first; the stream, the rejects (their file:line) and the counts are
 * the serial run's. */
static char *ranged(int ranges, igr_ingest_stats *st, char **rej,
		    size_t *nrej, size_t *n)
{
	static const char text[] = "user,item,cat,beh,ts,note\n"
				   "u1,i1,c1,view,100,x\n"
				   "u2,i2,c1,clik,200,x\n"
				   "u3,i3,c2,view,300,\"a\n"
				   "b\"\n"
				   "u4,i4,c2,buy,400,x\n"
				   "u5,i5,c3,pv,500,x\n"
				   "u1,i1,c1,view,100,x\n";
	igr_ingest_config cfg;
	struct side sd;
	igr_ingest *ig, *rec;
	const void *log;
	uint64_t len, cuts[2];
	int usage, fd;

	cuts[0] = (uint64_t)(strstr(text, "b\"") - text);
	cuts[1] = (uint64_t)(strstr(text, "u5") - text);
	tu_write(tu_path("r.csv"), text, strlen(text));
	igr_ingest_config_init(&cfg);
	cfg.columns = "user=1,item=2,category=3,behavior=4,ts=5";
	cfg.header = 1;
	cfg.time_format = "s";
	side_open(&sd, &cfg);
	ig = sd.ig;
	if (!ranges) {
		ck_assert_int_eq(igr_ingest_file(ig, tu_path("r.csv")), 0);
	} else {
		igr_ingest_config c2 = cfg;
		c2.rejects = NULL;
		rec = igr_ingest_new(&c2, sd.rv, NULL, &usage);
		ck_assert_ptr_nonnull(rec);
		igr_ingest_record(rec, 0);
		ck_assert_int_eq(igr_ingest_range(ig, tu_path("r.csv"), cuts,
						  2), 0);
		/* from inside the field: rejects, all skipped */
		ck_assert_int_eq(igr_ingest_range_logged(rec, tu_path("r.csv"),
							 cuts[0], cuts + 1, 1),
				 0);
		ck_assert_uint_gt(igr_ingest_get_stats(rec)->rows, 0);
		ck_assert_int_eq(igr_ingest_range_logged(rec, tu_path("r.csv"),
							 cuts[1], NULL, 0), 0);
		ck_assert_int_eq(igr_ingest_log(rec, &log, &fd, &len), 0);
		ck_assert_int_eq(igr_ingest_replay(ig, log, len), 0);
		igr_ingest_free(rec);
	}
	return side_close(&sd, &cfg, st, rej, nrej, n);
}

START_TEST(ranges_replayed)
{
	igr_ingest_stats s1, s2;
	size_t n1, n2, r1, r2;
	char *o1, *o2, *j1, *j2;

	o1 = ranged(0, &s1, &j1, &r1, &n1);
	o2 = ranged(1, &s2, &j2, &r2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(o1, o2, n1), 0);
	ck_assert_uint_eq(r1, r2);
	ck_assert_int_eq(memcmp(j1, j2, r1), 0);
	ck_assert_ptr_nonnull(strstr(j2, "r.csv:3\t"));
	ck_assert_ptr_nonnull(strstr(j2, "r.csv:7\t"));
	ck_assert_uint_eq(s1.rows, 6);
	ck_assert_uint_eq(s2.rows, 6);
	ck_assert_uint_eq(s2.headers, 1);
	ck_assert_uint_eq(s2.duplicates, 1);
	ck_assert_uint_eq(s2.rejected, 2);
	ck_assert_uint_eq(s2.files, 1);
	ck_assert_uint_eq(s2.bytes, s1.bytes);
	free(o1);
	free(o2);
	free(j1);
	free(j2);
}
END_TEST

START_TEST(run_time_range)
{
	igr_ingest_config cfg;
	struct run r;

	igr_ingest_config_init(&cfg);
	cfg.schema = "taobao";
	cfg.has_min_time = cfg.has_max_time = 1;
	cfg.min_time = 1511539200; /* 2017-11-25 UTC */
	cfg.max_time = 1511625600;
	run_text(&cfg, "1,2,3,pv,1511539199\n1,2,3,pv,1511539200\n"
		       "1,2,3,pv,1511625599\n1,2,3,pv,1511625600\n", &r);
	ck_assert_uint_eq(r.st.accepted, 2);
	ck_assert_uint_eq(r.st.rejected, 2);
	run_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, tu_setup, tu_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, times);
	tcase_add_test(tc, dedup_copy_and_converge);
	tcase_add_test(tc, record_and_replay);
	tcase_add_test(tc, ranges_replayed);
	tcase_add_test(tc, times_zone_and_epoch);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, dedup_window_exact);
	tcase_add_test(tc, dedup_off);
	tcase_add_test(tc, idtab);
	tcase_add_test(tc, columns_parse);
	tcase_add_test(tc, behaviors_parse);
	tcase_add_test(tc, run_taobao);
	tcase_add_test(tc, run_strict_and_limits);
	tcase_add_test(tc, run_generic_mapping);
	tcase_add_test(tc, run_missing_policies);
	tcase_add_test(tc, run_jsonl);
	tcase_add_test(tc, run_adjlist);
	tcase_add_test(tc, run_pseudonymize);
	tcase_add_test(tc, run_items);
	tcase_add_test(tc, run_dedup_window);
	tcase_add_test(tc, run_field_checks);
	tcase_add_test(tc, run_schema_layouts);
	tcase_add_test(tc, run_time_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
