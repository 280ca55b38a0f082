#!/bin/sh
# igraph-gen and sample-data/: the documented command regenerates the
# committed files byte for byte; the output is the Taobao layout, inside
# its window, the same for the same seed; usage and write errors; the
# scripts/gen-taobao wrapper; igraph-ingest --schema taobao takes it all.
. "$(dirname "$0")/lib.sh"

SD=$TOP/sample-data

# ---- sample-data: regenerate with the command in its README ------------
cmdline=$(grep '^igraph-gen ' "$SD/README.md" | head -n 1)
if [ -z "$cmdline" ]; then
	fail "sample-data/README.md documents the igraph-gen command" \
		"no line starting with 'igraph-gen '"
else
	pass "sample-data/README.md documents the igraph-gen command"
	mkdir -p "$T/re/sample-data"
	# the README's command, run from a scratch top directory
	if (cd "$T/re" && eval "ig gen ${cmdline#igraph-gen }") 2>"$T/err"; then
		pass "the documented command runs"
	else
		fail "the documented command runs" "$(head -n 5 "$T/err")"
	fi
	for f in user_behavior.csv items.csv; do
		same "sample-data/$f is what the documented command writes" \
			"$SD/$f" "$T/re/sample-data/$f"
	done
fi

# ---- the layout, the window, the counts ------------------------------
# Taobao UserBehavior: five fields, numeric ids, four behaviours, Unix s.
layout() {
	awk -F, -v lo="$2" -v hi="$3" '
	NF != 5 || $1 !~ /^[1-9][0-9]*$/ || $2 !~ /^[1-9][0-9]*$/ ||
	$3 !~ /^[1-9][0-9]*$/ || $4 !~ /^(pv|cart|fav|buy)$/ ||
	$5 !~ /^[0-9]+$/ || $5 < lo || $5 >= hi { bad++; if (bad < 4) print "bad: " $0 }
	END { exit bad > 0 }' "$1"
}
if layout "$SD/user_behavior.csv" 1511539200 1512316800 >"$T/bad"; then
	pass "sample data: Taobao layout inside 2017-11-25..12-03 UTC+8"
else
	fail "sample data: Taobao layout inside 2017-11-25..12-03 UTC+8" \
		"$(cat "$T/bad")"
fi
n=$(wc -l <"$SD/user_behavior.csv")
[ "$n" -eq 60000 ] && pass "sample data: 60000 rows" ||
	fail "sample data: 60000 rows" "got $n"
nu=$(cut -d, -f1 "$SD/user_behavior.csv" | uniq | wc -l)
nus=$(cut -d, -f1 "$SD/user_behavior.csv" | sort -u | wc -l)
[ "$nu" -eq 1000 ] && [ "$nus" -eq 1000 ] &&
	pass "sample data: 1000 users, each in one block" ||
	fail "sample data: 1000 users, each in one block" "$nu blocks, $nus users"
d=$(sort "$SD/user_behavior.csv" | uniq -d | wc -l)
[ "$d" -eq 0 ] && pass "sample data: no duplicate rows" ||
	fail "sample data: no duplicate rows" "$d duplicates"
if awk -F, '$1 == u && $5 < t { exit 1 } { u = $1; t = $5 }' \
	"$SD/user_behavior.csv"; then
	pass "sample data: time-sorted within each user"
else
	fail "sample data: time-sorted within each user"
fi
if awk -F, 'NF != 4 || $3 !~ /^[0-9]+\.[0-9][0-9]$/ || $4 ~ /"/ { exit 1 }' \
	"$SD/items.csv" && [ "$(wc -l <"$SD/items.csv")" -eq 10000 ]; then
	pass "sample catalogue: 10000 items, four fields, prices"
else
	fail "sample catalogue: 10000 items, four fields, prices"
fi
# every event's item is in the catalogue with the same category
if awk -F, 'NR == FNR { c[$1] = $2; next }
	!($2 in c) || c[$2] != $3 { exit 1 }' "$SD/items.csv" \
	"$SD/user_behavior.csv"; then
	pass "sample data: items and categories agree with the catalogue"
else
	fail "sample data: items and categories agree with the catalogue"
fi
# the size the README promises
sz=$(cat "$SD/user_behavior.csv" "$SD/items.csv" | wc -c)
[ "$sz" -lt 3000000 ] && pass "sample data under 3 MB" ||
	fail "sample data under 3 MB" "$sz bytes"

# ---- the command --------------------------------------------------------
expect "gen: -o and stdout agree (1)" 0 ig gen --users 40 --events 2000 \
	--seed 5 -o "$T/a.csv"
expect "gen: -o and stdout agree (2)" 0 ig gen --users 40 --events 2000 \
	--seed 5
same "gen: -o and stdout agree" "$T/a.csv" "$T/out"
ig gen --users 40 --events 2000 --seed 6 >"$T/b.csv" 2>/dev/null
if cmp -s "$T/a.csv" "$T/b.csv"; then
	fail "gen: another seed, another log"
else
	pass "gen: another seed, another log"
fi
expect "gen: -v" 0 ig gen -v --users 40 --events 2000 --seed 5 -o "$T/c.csv"
expect_err "gen: -v summary counts the rows" "^igraph-gen: 2000 events (pv"
if sed -n 's/.*(pv \([0-9]*\), cart \([0-9]*\), fav \([0-9]*\), buy \([0-9]*\)).*/\1 \2 \3 \4/p' \
	"$T/err" | awk '{ exit $1 + $2 + $3 + $4 != 2000 }' &&
	[ "$(grep -c ',pv,' "$T/c.csv")" -eq \
	  "$(sed -n 's/.*(pv \([0-9]*\),.*/\1/p' "$T/err")" ]; then
	pass "gen: -v behaviour counts add up and match the file"
else
	fail "gen: -v behaviour counts add up and match the file" "$(cat "$T/err")"
fi

# another window, time order, --events-per-user
expect "gen: 30 days from 2024-03-01, time order" 0 ig gen --users 200 \
	--events-per-user 50 --days 30 --start 2024-03-01T00:00:00+08:00 \
	--order time -o "$T/t.csv"
lo=1709222400
if layout "$T/t.csv" $lo $((lo + 30 * 86400)) >"$T/bad" &&
	[ "$(wc -l <"$T/t.csv")" -eq 10000 ]; then
	pass "gen: 10000 rows inside the 30-day window"
else
	fail "gen: 10000 rows inside the 30-day window" "$(cat "$T/bad")"
fi
if awk -F, '$5 < t { exit 1 } { t = $5 }' "$T/t.csv"; then
	pass "gen --order time: sorted by time"
else
	fail "gen --order time: sorted by time"
fi
ig gen --users 200 --events-per-user 50 --days 30 \
	--start 2024-03-01T00:00:00+08:00 >"$T/u.csv" 2>/dev/null
sort -t, -k5,5n -s "$T/u.csv" >"$T/us.csv"
same "gen --order time: the user order, stably sorted by time" \
	"$T/us.csv" "$T/t.csv"

# the catalogue
expect "gen --items-out" 0 ig gen --users 30 --items 500 --categories 20 \
	--items-out "$T/i.csv" -o "$T/e.csv"
[ "$(wc -l <"$T/i.csv")" -eq 500 ] && pass "gen --items-out: one line per item" ||
	fail "gen --items-out: one line per item" "$(wc -l <"$T/i.csv") lines"

# usage errors: exit 2, a message, nothing written
expect "gen: fewer events than users" 2 ig gen --users 10 --events 5 \
	-o "$T/x.csv"
expect_err "gen: says why" "fewer than the 10 users"
[ ! -e "$T/x.csv" ] && pass "gen: no output on a usage error" ||
	fail "gen: no output on a usage error"
expect "gen: more categories than items" 2 ig gen --items 10 --categories 11
expect_err "gen: names --categories" "--categories"
expect "gen: --events with --events-per-user" 2 ig gen --events 100 \
	--events-per-user 3
expect "gen: bad --order" 2 ig gen --order random
expect_err "gen: names --order" "--order: 'random'"
expect "gen: --drift out of range" 2 ig gen --drift 1.5
expect "gen: --days 0" 2 ig gen --days 0
expect "gen: --users not a number" 2 ig gen --users 10k
expect "gen: --start not a time" 2 ig gen --start yesterday
expect "gen: an operand" 2 ig gen extra
expect "gen: both outputs on stdout" 2 ig gen --items-out -

# write errors: exit 1, and no partial file left where -o pointed
gen_full() { ig gen --users 100 >/dev/full; }
if [ -w /dev/full ]; then
	expect "gen: write error on stdout" 1 gen_full
	expect_err "gen: reports the write error" "write error"
else
	skip "gen: write error on stdout" "no /dev/full"
fi
# -o on a FIFO or device (-o /dev/null) writes to it, never renames a
# temporary file over it (that once replaced /dev/null on a root machine)
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
reader=$!
expect "gen -o FIFO" 0 ig gen --users 10 -o "$T/fifo"
if [ -p "$T/fifo" ]; then
	wait "$reader"
	n=$(wc -l <"$T/fifo.out")
	[ "$n" -eq 1000 ] && pass "gen -o FIFO: written through, still a FIFO" ||
		fail "gen -o FIFO: written through, still a FIFO" "$n lines"
else
	kill "$reader" 2>/dev/null
	fail "gen -o FIFO: written through, still a FIFO" "replaced by a file"
fi
mkdir "$T/ro" && chmod 555 "$T/ro"
if [ "$(id -u)" = 0 ]; then
	skip "gen: unwritable -o directory" "running as root"
else
	expect "gen: unwritable -o directory" 1 ig gen -o "$T/ro/x.csv"
fi

# ---- scripts/gen-taobao ---------------------------------------------------
if IGRAPH_BIN=$IGRAPH_BIN "$TOP/scripts/gen-taobao" 20000 --seed 3 \
	>"$T/g.csv" 2>"$T/err"; then
	n=$(wc -l <"$T/g.csv")
	nu=$(cut -d, -f1 "$T/g.csv" | uniq | wc -l)
	# the real proportions: 101.4 rows per user
	if [ "$n" -eq 20000 ] && [ "$nu" -eq 197 ]; then
		pass "scripts/gen-taobao 20000: the rows, Taobao's users per row"
	else
		fail "scripts/gen-taobao 20000: the rows, Taobao's users per row" \
			"$n rows, $nu users"
	fi
else
	fail "scripts/gen-taobao 20000" "$(head -n 5 "$T/err")"
fi
expect "scripts/gen-taobao: bad ROWS" 2 "$TOP/scripts/gen-taobao" 0

# ---- the shape against the real log, when it is here --------------------
REAL=$DATA/taobao-userbehavior/UserBehavior_head_814users.csv
mix() {
	awk -F, '{ n++; c[$4]++ } END { printf "%.4f %.4f %.4f %.4f\n",
		c["pv"] / n, c["cart"] / n, c["fav"] / n, c["buy"] / n }' "$1"
}
if [ -f "$REAL" ]; then
	ig gen --users 814 --items 50000 --categories 3000 >"$T/m.csv" 2>/dev/null
	set -- $(mix "$REAL") $(mix "$T/m.csv")
	if awk -v a="$1 $2 $3 $4" -v b="$5 $6 $7 $8" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= 4; i++) { d = x[i] - y[i]; if (d < 0) d = -d
			if (d > 0.01) exit 1 } }'; then
		pass "gen: behaviour mix within 1 point of the real 814-user log"
	else
		fail "gen: behaviour mix within 1 point of the real 814-user log" \
			"real $1 $2 $3 $4, generated $5 $6 $7 $8"
	fi
else
	skip "gen: behaviour mix against the real log" "$REAL not found"
fi

# ---- igraph-ingest takes it with zero rejects ---------------------------
if [ -x "$IGRAPH_BIN/igraph-ingest" ]; then
	expect "ingest --schema taobao reads the sample data" 0 \
		ig ingest -v --schema taobao --vocab "$T/V" \
		"$SD/user_behavior.csv" -o "$T/ev.igr"
	if grep -q "rows 60000 = accepted 60000 + duplicates 0 + rejected 0" \
		"$T/err"; then
		pass "ingest: 60000 accepted, no duplicates, no rejects"
	else
		fail "ingest: 60000 accepted, no duplicates, no rejects" \
			"$(cat "$T/err")"
	fi
	# per-behaviour counts as awk counts them on the CSV
	for b in pv:view cart:cart fav:fav buy:buy; do
		c=$(grep -c ",${b%:*}," "$SD/user_behavior.csv")
		expect_err "ingest: ${b#*:} count matches awk ($c)" \
			"[ ;]${b#*:} $c[,;]"
	done
	expect "ingest --kind items reads the sample catalogue" 0 \
		ig ingest -v --kind items --columns item=1,category=2,price=3,title=4 \
		--no-header --vocab "$T/V" "$SD/items.csv" -o "$T/it.igr"
	expect_err "ingest: 10000 items, no rejects" \
		"rows 10000 = accepted 10000 + duplicates 0 + rejected 0"
	expect "ingest --schema taobao reads a time-ordered log" 0 \
		ig ingest -v --schema taobao "$T/t.csv" -o "$T/t.igr"
	expect_err "ingest: time-ordered log, no rejects" \
		"rows 10000 = accepted 10000 + duplicates 0 + rejected 0"
else
	skip "ingest --schema taobao reads the sample data" \
		"$IGRAPH_BIN/igraph-ingest not built"
fi
finish
