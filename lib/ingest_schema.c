/* ingest_schema.c - the preset layouts of the real logs igraph knows, and
 * the parsers of --columns and --behaviors (see ingest.h).  Each layout
 * follows the data set's own documentation (the SOURCE.md next to the
 * files in the shared data directory); the man page repeats them. */
#include "ingest.h"
#include "csvparse.h"
#include "error.h"
#include "numtext.h"

#include <stdlib.h>
#include <string.h>

static const char *const role_names[IGR_NROLE] = {
	"user", "item", "category", "behavior", "ts",
	"offset_ms", "value", "price", "title",
};

const char *igr_role_name(int role)
{
	return role >= 0 && role < IGR_NROLE ? role_names[role] : "?";
}

int igr_role_parse(const char *s, size_t len)
{
	int r;

	for (r = 0; r < IGR_NROLE; r++)
		if (strlen(role_names[r]) == len &&
		    memcmp(role_names[r], s, len) == 0)
			return r;
	if (len == 4 && memcmp(s, "time", 4) == 0)
		return IGR_ROLE_TS;
	if (len == 9 && memcmp(s, "behaviour", 9) == 0)
		return IGR_ROLE_BEHAVIOR;
	return -1;
}

/* Column list initialiser: every role unmapped, then the given ones. */
#define NOCOLS                                                               \
	.col = { -1, -1, -1, -1, -1, -1, -1, -1, -1 }

#define TAOBAO_BEHAVIORS "pv=view,cart=cart,fav=fav,buy=buy"
#define TIANCHI_BEHAVIORS "1=click,2=fav,3=cart,4=buy"

static const igr_layout taobao_events[] = {
	{ .desc = "UserBehavior.csv: user,item,category,behavior,ts",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 5,
	  .col = { 0, 1, 2, 3, 4, -1, -1, -1, -1 },
	  .behaviors = TAOBAO_BEHAVIORS, .time_format = "s" },
};

static const igr_layout tianchi_events[] = {
	{ .desc = "tianchi_mobile_recommend_train_user.csv",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 6,
	  .header = "user_id,item_id,behavior_type,user_geohash,"
		    "item_category,time",
	  .has_header = 1,
	  .col = { 0, 1, 4, 2, 5, -1, -1, -1, -1 },
	  .behaviors = TIANCHI_BEHAVIORS, .time_format = "iso" },
	{ .desc = "the same without its header line",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 6,
	  .col = { 0, 1, 4, 2, 5, -1, -1, -1, -1 },
	  .behaviors = TIANCHI_BEHAVIORS, .time_format = "iso" },
};

static const igr_layout tianchi_items[] = {
	{ .desc = "tianchi_mobile_recommend_train_item.csv",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 3,
	  .header = "item_id,item_geohash,item_category", .has_header = 1,
	  .col = { -1, 0, 2, -1, -1, -1, -1, -1, -1 } },
	{ .desc = "the same without its header line",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 3,
	  .col = { -1, 0, 2, -1, -1, -1, -1, -1, -1 } },
};

static const igr_layout dyhatr_events[] = {
	{ .desc = "ecomm_edge_train.txt: user,item,type,YYYYMMDD",
	  .format = IGR_FMT_TSV, .delim = '\t', .quote = '"', .nfields = 4,
	  .col = { 0, 1, -1, 2, 3, -1, -1, -1, -1 },
	  .behaviors = TIANCHI_BEHAVIORS, .time_format = "iso" },
};

static const igr_layout dyhatr_items[] = {
	{ .desc = "ecomm_item_feature.txt: item,cate_1,cate,brand,price",
	  .format = IGR_FMT_TSV, .delim = '\t', .quote = '"', .nfields = 5,
	  .col = { -1, 0, 2, -1, -1, -1, -1, 4, -1 } },
};

static const igr_layout yoochoose_events[] = {
	{ .desc = "session-rec prepared clicks: SessionId,ItemId,Time",
	  .format = IGR_FMT_TSV, .delim = '\t', .quote = '"', .nfields = 3,
	  .header = "SessionId\tItemId\tTime", .has_header = 1,
	  .col = { 0, 1, -1, -1, 2, -1, -1, -1, -1 },
	  .behavior = IGR_CLICK, .time_format = "s" },
	{ .desc = "yoochoose-clicks.dat: session,time,item,category",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 4,
	  .col = { 0, 2, 3, -1, 1, -1, -1, -1, -1 },
	  .behavior = IGR_CLICK, .time_format = "iso",
	  .na = "category:0" },
	{ .desc = "yoochoose-buys.dat: session,time,item,price,quantity",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 5,
	  .col = { 0, 2, -1, -1, 1, -1, 4, -1, -1 },
	  .behavior = IGR_BUY, .time_format = "iso" },
};

static const igr_layout diginetica_events[] = {
	{ .desc = "train-item-views.csv (user = session)",
	  .format = IGR_FMT_CSV, .delim = ';', .quote = '"', .nfields = 5,
	  .header = "session_id;user_id;item_id;timeframe;eventdate",
	  .has_header = 1,
	  .col = { 0, 2, -1, -1, 4, 3, -1, -1, -1 },
	  .behavior = IGR_VIEW, .time_format = "iso", .na = "NA" },
	{ .desc = "train-purchases.csv (user = session)",
	  .format = IGR_FMT_CSV, .delim = ';', .quote = '"', .nfields = 6,
	  .header = "sessionId;userId;timeframe;eventdate;ordernumber;itemId",
	  .has_header = 1,
	  .col = { 0, 5, -1, -1, 3, 2, -1, -1, -1 },
	  .behavior = IGR_BUY, .time_format = "iso", .na = "NA" },
};

static const igr_layout diginetica_items[] = {
	{ .desc = "product-categories.csv",
	  .format = IGR_FMT_CSV, .delim = ';', .quote = '"', .nfields = 2,
	  .header = "itemId;categoryId", .has_header = 1,
	  .col = { -1, 0, 1, -1, -1, -1, -1, -1, -1 } },
	{ .desc = "products.csv (title = the name tokens)",
	  .format = IGR_FMT_CSV, .delim = ';', .quote = '"', .nfields = 3,
	  .header = "itemId;pricelog2;product.name.tokens", .has_header = 1,
	  .col = { -1, 0, -1, -1, -1, -1, -1, -1, 2 } },
};

static const igr_layout movielens_events[] = {
	{ .desc = "ratings.csv (ml-latest)",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 4,
	  .header = "userId,movieId,rating,timestamp", .has_header = 1,
	  .col = { 0, 1, -1, -1, 3, -1, 2, -1, -1 },
	  .behavior = IGR_REVIEW, .time_format = "s" },
	{ .desc = "u.data (ml-100k)",
	  .format = IGR_FMT_TSV, .delim = '\t', .quote = IGR_CSV_NOQUOTE,
	  .nfields = 4,
	  .col = { 0, 1, -1, -1, 3, -1, 2, -1, -1 },
	  .behavior = IGR_REVIEW, .time_format = "s" },
};

static const igr_layout movielens_items[] = {
	{ .desc = "movies.csv (ml-latest; category = first genre)",
	  .format = IGR_FMT_CSV, .delim = ',', .quote = '"', .nfields = 3,
	  .header = "movieId,title,genres", .has_header = 1,
	  .col = { -1, 0, 2, -1, -1, -1, -1, -1, 1 },
	  .cat_list_sep = '|' },
	{ .desc = "u.item (ml-100k; ISO 8859-1 titles)",
	  .format = IGR_FMT_CSV, .delim = '|', .quote = IGR_CSV_NOQUOTE,
	  .nfields = 24,
	  .col = { -1, 0, -1, -1, -1, -1, -1, -1, 1 }, .latin1 = 1 },
};

#define N(a) (int)(sizeof a / sizeof a[0])

static const igr_schema schemas[] = {
	{ "taobao", "Taobao UserBehavior (Tianchi 649)", IGR_KIND_EVENTS,
	  taobao_events, N(taobao_events) },
	{ "tianchi-mobile", "Tianchi mobile recommendation, user file",
	  IGR_KIND_EVENTS, tianchi_events, N(tianchi_events) },
	{ "tianchi-mobile", "Tianchi mobile recommendation, item file",
	  IGR_KIND_ITEMS, tianchi_items, N(tianchi_items) },
	{ "dyhatr", "Taobao e-commerce network of DyHATR, edges",
	  IGR_KIND_EVENTS, dyhatr_events, N(dyhatr_events) },
	{ "dyhatr", "Taobao e-commerce network of DyHATR, item features",
	  IGR_KIND_ITEMS, dyhatr_items, N(dyhatr_items) },
	{ "yoochoose", "RecSys Challenge 2015 clicks and buys",
	  IGR_KIND_EVENTS, yoochoose_events, N(yoochoose_events) },
	{ "diginetica", "CIKM Cup 2016 views and purchases",
	  IGR_KIND_EVENTS, diginetica_events, N(diginetica_events) },
	{ "diginetica", "CIKM Cup 2016 products",
	  IGR_KIND_ITEMS, diginetica_items, N(diginetica_items) },
	{ "movielens", "MovieLens ratings (100K and latest)",
	  IGR_KIND_EVENTS, movielens_events, N(movielens_events) },
	{ "movielens", "MovieLens movies (100K and latest)",
	  IGR_KIND_ITEMS, movielens_items, N(movielens_items) },
	{ NULL, NULL, 0, NULL, 0 },
};

const igr_schema *igr_ingest_schemas(void)
{
	return schemas;
}

const igr_schema *igr_ingest_schema_find(const char *name, int kind)
{
	const igr_schema *s;

	for (s = schemas; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0 && s->kind == kind)
			return s;
	return NULL;
}

int igr_columns_parse(const char *spec, int col[IGR_NROLE],
		      const char *names[IGR_NROLE], char **store)
{
	char *copy = strdup(spec), *p, *next;
	int seen[IGR_NROLE] = { 0 };

	if (copy == NULL)
		return igr_error("out of memory");
	*store = copy;
	for (p = copy; p != NULL; p = next) {
		char *eq;
		int role;
		uint64_t n;
		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		eq = strchr(p, '=');
		if (eq == NULL || eq == p || eq[1] == '\0')
			return igr_error("--columns: '%s' is not ROLE=COLUMN",
					 p);
		role = igr_role_parse(p, (size_t)(eq - p));
		if (role < 0)
			return igr_error("--columns: unknown role '%.*s' (user, "
					 "item, category, behavior, ts, "
					 "offset_ms, value, price, title)",
					 (int)(eq - p), p);
		if (seen[role]++)
			return igr_error("--columns: role '%s' given twice",
					 igr_role_name(role));
		if (igr_parse_u64(eq + 1, strlen(eq + 1), 4096, &n) == 0) {
			if (n == 0)
				return igr_error("--columns: columns count "
						 "from 1 ('%s')", p);
			col[role] = (int)n - 1;
			names[role] = NULL;
		} else {
			col[role] = -1;
			names[role] = eq + 1;
		}
	}
	return 0;
}

int igr_behaviors_parse(const char *spec, igr_bmap *map, int max)
{
	const char *p = spec;
	int n = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		int b, i;
		if (eq == NULL || eq == p || eq + 1 == p + len)
			return igr_error("--behaviors: '%.*s' is not NAME=BEHAVIOR",
					 (int)len, p);
		if ((size_t)(eq - p) >= sizeof map[0].from)
			return igr_error("--behaviors: name '%.*s' too long",
					 (int)(eq - p), p);
		b = igr_behavior_parse(eq + 1, (size_t)(p + len - eq - 1));
		if (b < 0)
			return igr_error("--behaviors: '%.*s' is not an igraph "
					 "behavior (view, click, fav, cart, "
					 "buy, review)",
					 (int)(p + len - eq - 1), eq + 1);
		for (i = 0; i < n; i++)
			if (strlen(map[i].from) == (size_t)(eq - p) &&
			    memcmp(map[i].from, p, (size_t)(eq - p)) == 0)
				return igr_error("--behaviors: '%.*s' mapped "
						 "twice", (int)(eq - p), p);
		if (n == max)
			return igr_error("--behaviors: more than %d names",
					 max);
		memcpy(map[n].from, p, (size_t)(eq - p));
		map[n].from[eq - p] = '\0';
		map[n].to = b;
		n++;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
}
