/* igraph-gen - write synthetic Taobao-shaped behaviour logs. */
#include "cli.h"
#include "error.h"
#include "gen.h"
#include "io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct igr_cli_cmd cmd = {
	.name = "igraph-gen",
	.accepts = IGR_CO_OUTPUT | IGR_CO_VERBOSE | IGR_CO_QUIET |
		   IGR_CO_PROGRESS | IGR_CO_SEED,
	.operands = "",
	.about = "Write a synthetic behaviour log in the Taobao UserBehavior "
		 "layout\n(CSV, no header: user_id,item_id,category_id,"
		 "behavior_type,timestamp;\nbehaviours pv, cart, fav, buy), "
		 "the same bytes for the same options.",
};

enum { OPT_EVENTS_PER_USER = 1, OPT_START, OPT_ORDER };

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
	const struct igr_cli *cli = arg;

	igr_progress(cli, "%.0f%%", total ? 100.0 * (double)done /
						    (double)total
					  : 100.0);
}

static int is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

int main(int argc, char **argv)
{
	struct igr_cli cli;
	igr_gen_opts o;
	igr_gen *g;
	igr_out *out = NULL, *items = NULL;
	const char *items_out = NULL;
	int c, order = IGR_GEN_BY_USER, per_user_set = 0;
	uint64_t counts[IGR_GEN_NBEHAVIOR], total;
	double t0;

	igr_gen_opts_init(&o);
	{
		const struct igr_cli_opt opts[] = {
			IGR_OPT_U64(0, "users", "n", &o.users, 1, 100000000,
				    "users (default 1000)"),
			IGR_OPT_U64(0, "items", "n", &o.items, 1, 500000000,
				    "items (default 4 per user, at least 100)"),
			IGR_OPT_U64(0, "categories", "n", &o.categories, 1,
				    10000000, "categories (default items/50, "
				    "at most 9439)"),
			IGR_OPT_U64(0, "events", "n", &o.events, 1,
				    1000000000000.0,
				    "rows in all (default 100 per user)"),
			IGR_OPT_CODE(0, "events-per-user", "n",
				     OPT_EVENTS_PER_USER,
				     "mean rows per user, instead of --events",
				     .flags = IGR_OF_OR),
			IGR_OPT_U32(0, "days", "n", &o.days, 1, 3650,
				    "length of the log in days (default 9)"),
			IGR_OPT_CODE(0, "start", "time", OPT_START,
				     "first second, a local midnight (default "
				     "2017-11-25T00:00:00+08:00)"),
			IGR_OPT_DOUBLE(0, "drift", "p", &o.drift, 0, 1,
				       "chance per user and day that a new "
				       "interest takes the top place (default "
				       "0.3)"),
			IGR_OPT_CODE(0, "order", "user | time", OPT_ORDER,
				     "user: grouped by user, time-sorted "
				     "within a user (the default, as Taobao's "
				     "file); time: sorted by time",
				     .metavar = "ORDER"),
			IGR_OPT_STR(0, "items-out", "file", &items_out,
				    "also write the item catalogue (item_id,"
				    "category_id,price,title) to FILE"),
			IGR_OPT_COMMON("seed", "random seed (default 1)"),
			IGR_OPT_END
		};
		igr_cli_init(&cli, &cmd, opts, argc, argv);
		while ((c = igr_cli_getopt(&cli)) != -1) {
			switch (c) {
			case OPT_EVENTS_PER_USER:
				o.events_per_user = igr_opt_u64(
					optarg, 1, 1000000, "--events-per-user");
				per_user_set = 1;
				break;
			case OPT_START:
				o.start = igr_opt_time(optarg, "--start");
				if (o.start < 0 || o.start > ((int64_t)1 << 40))
					igr_usage_error("--start: '%s' is out of "
							"range (1970 to about "
							"36812)", optarg);
				break;
			case OPT_ORDER:
				if (strcmp(optarg, "user") == 0)
					order = IGR_GEN_BY_USER;
				else if (strcmp(optarg, "time") == 0)
					order = IGR_GEN_BY_TIME;
				else
					igr_usage_error("--order: '%s' is not "
							"user or time", optarg);
				break;
			}
		}
	}
	igr_cli_ready(&cli);
	if (optind < argc)
		igr_usage_error("unexpected argument '%s'", argv[optind]);
	if (o.events != 0 && per_user_set)
		igr_usage_error("--events and --events-per-user exclude each "
				"other");
	if (o.events == 0 && o.users * o.events_per_user > 1000000000000ULL)
		igr_usage_error("--events-per-user: more than 10^12 rows in "
				"all");
	if (o.items != 0 && o.categories > o.items)
		igr_usage_error("--categories: %llu is more than the %llu "
				"items", (unsigned long long)o.categories,
				(unsigned long long)o.items);
	if (o.events != 0 && o.events < o.users)
		igr_usage_error("--events: %llu is fewer than the %llu users "
				"(each user has at least one event)",
				(unsigned long long)o.events,
				(unsigned long long)o.users);
	if (o.events != 0 && o.events / o.users > 1000000)
		igr_usage_error("--events: more than 1000000 per user");
	if (items_out != NULL && is_stdout(items_out) &&
	    is_stdout(cli.output))
		igr_usage_error("--items-out and the events cannot both go to "
				"standard output");
	igr_cli_output(&cli, "--items-out", items_out);
	if (cli.seed_set)
		o.seed = cli.seed;

	t0 = igr_now();
	g = igr_gen_new(&o);
	if (g == NULL)
		igr_die_lib();
	out = igr_out_open(cli.output);
	if (out == NULL)
		goto fail;
	if (igr_gen_write_events(g, out, order,
				 cli.progress ? show_progress : NULL,
				 &cli) < 0)
		goto fail;
	if (items_out != NULL) {
		items = igr_out_open(items_out);
		if (items == NULL || igr_gen_write_items(g, items) < 0)
			goto fail;
	}
	igr_progress_done(&cli);
	/* the catalogue first: the events file appearing means both are done */
	if (items != NULL) {
		int rc = igr_out_close(items);
		items = NULL;
		if (rc < 0)
			goto fail;
	}
	if (igr_out_close(out) < 0) {
		out = NULL;
		goto fail;
	}
	igr_gen_counts(g, counts);
	total = counts[0] + counts[1] + counts[2] + counts[3];
	{
		const igr_gen_opts *r = igr_gen_options(g);
		igr_info(&cli,
			 "%llu events (pv %llu, cart %llu, fav %llu, buy %llu)"
			 " for %llu users, %llu items, %llu categories, %u "
			 "days, seed %llu in %.2f s",
			 (unsigned long long)total,
			 (unsigned long long)counts[IGR_GEN_PV],
			 (unsigned long long)counts[IGR_GEN_CART],
			 (unsigned long long)counts[IGR_GEN_FAV],
			 (unsigned long long)counts[IGR_GEN_BUY],
			 (unsigned long long)r->users,
			 (unsigned long long)r->items,
			 (unsigned long long)r->categories, r->days,
			 (unsigned long long)r->seed, igr_now() - t0);
	}
	igr_gen_free(g);
	return igr_cli_finish(&cli);
fail:
	{
		/* keep the message: aborting may overwrite it */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", igr_errmsg());
		igr_progress_done(&cli);
		if (items != NULL)
			igr_out_abort(items);
		if (out != NULL)
			igr_out_abort(out);
		igr_gen_free(g);
		igr_die("%s", msg);
	}
}
