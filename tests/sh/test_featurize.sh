#!/bin/sh
# igraph-featurize in real pipelines: the graph of sample-data, encodings,
# the daily merge equal to a rebuild (sample-data always, the Taobao
# UserBehavior histories when present), the report, forgetting, pruning,
# bad input.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

# graphcmp A B: two graph streams hold the same edges, counts and times,
# and weights within a relative error of 1e-5.  Prints "edges N maxrel X".
graphcmp() {
	ig cat "$1" >"$T/cmp.a" && ig cat "$2" >"$T/cmp.b" || return 1
	awk -F'\t' -v tol=1e-5 '
	FNR == NR { if (/^#/ || $1 == "src_type") next
		k = $1 FS $2 FS $3 FS $4; W[k] = $5; C[k] = $6; L[k] = $7; n1++; next }
	/^#/ || $1 == "src_type" { next }
	{ n2++; k = $1 FS $2 FS $3 FS $4
	  if (!(k in W)) { if (bad++ < 3) print "only in the second: " $0; next }
	  d = W[k] - $5; if (d < 0) d = -d; m = $5 > W[k] ? $5 : W[k]
	  e = m > 0 ? d / m : d; if (e > maxe) maxe = e
	  if (e > tol || C[k] != $6 || L[k] != $7) { if (bad++ < 3) print "differs: " $0 " vs " W[k] " " C[k] " " L[k] }
	  delete W[k] }
	END { for (k in W) if (bad++ < 3) print "only in the first: " k
	      printf "edges %d maxrel %.3g\n", n2, maxe; exit (bad > 0 || n1 != n2) }' "$T/cmp.a" "$T/cmp.b"
}

# days FILE.tsv PREFIX FIRST: one events TSV per day (UTC+8 midnights from
# FIRST), PREFIX1.tsv ... PREFIX9.tsv; day 1 also takes earlier events.
days() {
	for d in 1 2 3 4 5 6 7 8 9; do
		awk -F'\t' -v lo=$(($3 + (d - 1) * 86400)) -v hi=$(($3 + d * 86400)) -v d=$d '
			/^#/ || $1 == "ts" { print; next }
			(d == 1 || $1 >= lo) && $1 < hi' "$1" | sealed >"$2$d.tsv"
	done
}

# chain NAME PREFIX OPTS: featurize day 1, merge days 2..9 one by one, and
# compare the merges of days $CHECK (default all) with rebuilds of days
# 1..d.
CHECK="2 3 4 5 6 7 8 9"
chain() {
	_name=$1 _p=$2
	shift 2
	ok=1
	ig featurize "$@" "${_p}1.tsv" >"$T/m1.igr" 2>"$T/err" || { ok=0; cat "$T/err"; }
	grep -v '^#end' "${_p}1.tsv" >"$T/upto.raw"
	for d in 2 3 4 5 6 7 8 9; do
		ig featurize --base "$T/m$((d - 1)).igr" --report "$T/rep$d.tsv" \
			"${_p}$d.tsv" >"$T/m$d.igr" 2>"$T/err" || { ok=0; cat "$T/err"; break; }
		grep -v '^#' "${_p}$d.tsv" | grep -v '^ts' >>"$T/upto.raw"
		case " $CHECK " in *" $d "*) ;; *) continue ;; esac
		sealed "$T/upto.raw" >"$T/upto.tsv"
		ig featurize "$@" "$T/upto.tsv" >"$T/f$d.igr" || { ok=0; break; }
		if ! graphcmp "$T/m$d.igr" "$T/f$d.igr" >"$T/cmp.out"; then
			ok=0
			echo "# day $d:"
			sed 's/^/#   /' "$T/cmp.out"
			break
		fi
	done
	if [ $ok = 1 ]; then
		pass "$_name: each daily merge equals the rebuild ($(cat "$T/cmp.out"))"
	else
		fail "$_name: each daily merge equals the rebuild"
	fi
}

ig ingest --schema taobao --vocab "$T/V" "$TOP/sample-data/user_behavior.csv" \
	>"$T/ev.igr" 2>"$T/err" || fail "ingest sample-data" "$(cat "$T/err")"
ig cat "$T/ev.igr" >"$T/ev.tsv"

expect "featurize sample-data" 0 ig featurize -v --vocab "$T/V" "$T/ev.igr"
cp "$T/out" "$T/g.igr"
expect_err "-v summary" "user-item.*user-category.*item-category"
ig cat "$T/g.igr" >"$T/g.tsv"
for key in now half_life weights min_weight nodes.user nodes.item nodes.category; do
	grep -q "^#meta	$key	" "$T/g.tsv" || missing="${missing:-} $key"
done
[ -z "${missing:-}" ] && pass "header meta" || fail "header meta" "missing:$missing"
grep -q '^#meta	nodes.item	8846$' "$T/g.tsv" && pass "nodes.item is the vocabulary size" ||
	fail "nodes.item is the vocabulary size" "$(grep nodes "$T/g.tsv")"
grep -q '^#meta	half_life	604800$' "$T/g.tsv" && pass "default half-life 7 days" || fail "default half-life 7 days"
grep -q '^#meta	weights	view=1,click=1,fav=2,cart=3,buy=5,review=4$' "$T/g.tsv" &&
	pass "default behaviour weights" || fail "default behaviour weights"
awk -F'\t' '!/^#/ && $1 != "src_type" { r[$1 "-" $3]++ } END { for (k in r) print k }' "$T/g.tsv" | sort >"$T/rels"
printf 'item-category\nuser-category\nuser-item\n' >"$T/want"
same "relations user-item, user-category, item-category" "$T/want" "$T/rels"
# sorted by (src_type, src, dst_type, dst); node types sort as user < item < category
awk -F'\t' '!/^#/ && $1 != "src_type" {
	t["user"] = 0; t["item"] = 1; t["category"] = 2
	k = sprintf("%d %012d %d %012d", t[$1], $2, t[$3], $4)
	if (k <= p) bad++; p = k } END { exit bad > 0 }' "$T/g.tsv" &&
	pass "output sorted" || fail "output sorted"
# the sum of user->item weights equals the sum of user->category weights
# where every event has a category (sample-data does)
awk -F'\t' '!/^#/ && $1 == "user" { s[$3] += $5 } END { d = s["item"] - s["category"]; if (d < 0) d = -d; exit d > 1e-3 * s["item"] }' "$T/g.tsv" &&
	pass "user->item and user->category carry the same total" || fail "user->item and user->category carry the same total"

expect "TSV output" 0 ig featurize --tsv "$T/ev.igr"
# (without the #PG lines, and so without the trailer, whose checksum
# covers them)
grep -v '^#PG\|^#end' "$T/out" >"$T/a"
grep -v '^#PG' "$T/g.tsv" | sed 's/^#meta	ids	external$//' >"$T/b"
ig featurize "$T/ev.igr" | ig cat | grep -v '^#PG\|^#end' >"$T/b"
same "binary and TSV graphs are the same" "$T/a" "$T/b"
ig featurize "$T/ev.tsv" | ig cat | grep -v '^#PG\|^#end' >"$T/c"
same "TSV events give the same graph" "$T/a" "$T/c"
ig cat "$T/ev.igr" | ig featurize | ig cat | grep -v '^#PG\|^#end' >"$T/c"
same "events on stdin" "$T/a" "$T/c"

# the daily merge equals the rebuild: 9 days of sample-data
days "$T/ev.tsv" "$T/day" 1511539200
chain "sample-data" "$T/day" --min-weight 0
for d in 2 3 4 5 6 7 8 9; do
	grep -q "^users_top3_changed	-	[1-9]" "$T/rep$d.tsv" || nodrift="${nodrift:-} $d"
done
[ -z "${nodrift:-}" ] && pass "sample-data: every daily report shows top-3 drift" ||
	fail "sample-data: every daily report shows top-3 drift" "days without:$nodrift"
CHECK="3 9" chain "sample-data with co-engagement" "$T/day" --min-weight 0 --cooc-window 30m --cooc-max 4
ig cat "$T/m9.igr" | grep -q '^item	[0-9]*	item	' && pass "co-engagement makes item->item edges" ||
	fail "co-engagement makes item->item edges"
CHECK=9 chain "sample-data with default pruning" "$T/day"

TB=$DATA/taobao-userbehavior/UserBehavior_head_814users.csv
if [ -f "$TB" ]; then
	ig ingest --schema taobao --vocab "$T/TV" "$TB" 2>/dev/null | ig cat >"$T/tb.tsv"
	days "$T/tb.tsv" "$T/tb" 1511539200
	chain "Taobao 814 users" "$T/tb" --min-weight 0
	CHECK="4 9" chain "Taobao 814 users, co-engagement" "$T/tb" --min-weight 0 --cooc-window 1h --cooc-max 5
	# the drift that is there: a short half-life and a threshold prune
	ig featurize --half-life 1d --min-weight 0.05 "$T/tb1.tsv" >"$T/m1.igr"
	pr=0 ch=0
	for d in 2 3 4 5 6 7 8 9; do
		ig featurize --base "$T/m$((d - 1)).igr" --min-weight 0.05 \
			--report "$T/r$d.tsv" "$T/tb$d.tsv" >"$T/m$d.igr"
		# after day 2 (where nothing is old enough yet) edges decay out
		[ $d -gt 2 ] && awk -F'\t' '$1 == "pruned" { p += $3 } END { exit p == 0 }' "$T/r$d.tsv" && pr=$((pr + 1))
		grep -q "^users_top3_changed	-	[1-9]" "$T/r$d.tsv" && ch=$((ch + 1))
	done
	[ "$pr" = 7 ] && [ "$ch" = 8 ] && pass "Taobao daily reports show pruning and interest drift" ||
		fail "Taobao daily reports show pruning and interest drift" "$pr of days 3-9 pruned, $ch of 8 days with top-3 changes"
else
	skip "Taobao daily merges" "no $TB"
fi

# an update in place, and the report in JSON
cp "$T/m1.igr" "$T/live.igr"
expect "update in place (-o = --base)" 0 ig featurize --base "$T/live.igr" -o "$T/live.igr" \
	--report "$T/r.json" --json "$T/day2.tsv"
ig featurize --base "$T/m1.igr" "$T/day2.tsv" >"$T/ref.igr"
graphcmp "$T/live.igr" "$T/ref.igr" >/dev/null && pass "in-place result" || fail "in-place result"
ig cat "$T/m1.igr" >"$T/m1.tsv"
ig featurize --base "$T/m1.tsv" "$T/day2.tsv" >"$T/fromtsv.igr"
graphcmp "$T/fromtsv.igr" "$T/ref.igr" >/dev/null && pass "a TSV base merges like a binary one" ||
	fail "a TSV base merges like a binary one"
ig featurize --tsv --base "$T/m1.igr" "$T/day2.tsv" >"$T/totsv.tsv"
graphcmp "$T/totsv.tsv" "$T/ref.igr" >/dev/null && pass "a merge written as TSV" ||
	fail "a merge written as TSV"
case $(head -c 1 "$T/r.json") in "{") pass "JSON report" ;; *) fail "JSON report" "$(head -c 200 "$T/r.json")" ;; esac
grep -q '"relations":{"user-item":{"edges":' "$T/r.json" && pass "JSON report has the relations" ||
	fail "JSON report has the relations" "$(head -c 300 "$T/r.json")"

# --max-degree
ig featurize --max-degree 5 "$T/ev.igr" | ig cat >"$T/cap.tsv"
awk -F'\t' '$1 == "user" && $3 == "item" { n[$2]++ } END { for (u in n) if (n[u] > 5) bad++; exit bad > 0 || length(n) == 0 }' "$T/cap.tsv" &&
	pass "--max-degree caps user->item rows" || fail "--max-degree caps user->item rows"

# forgetting, with the vocabulary
cp -r "$T/V" "$T/V2"
u1=$(sed -n 1p "$T/V2/user.tsv")
u2=$(sed -n 2p "$T/V2/user.tsv")
printf '%s\n# a comment\n\n%s\n' "$u1" "$u2" >"$T/gone"
expect "--forget" 0 ig featurize -v --vocab "$T/V2" --base "$T/g.igr" --forget "$T/gone" \
	--report "$T/fr.tsv" -o "$T/g2.igr" "$T/day9.tsv"
expect_err "--forget summary" "forgot 2 users (2 with edges)"
grep -q "^$u1	forgotten$" "$T/V2/user.tsv" && grep -q "^$u2	forgotten$" "$T/V2/user.tsv" &&
	pass "vocabulary entries marked forgotten" || fail "vocabulary entries marked forgotten" "$(head -3 "$T/V2/user.tsv")"
ig cat "$T/g2.igr" | awk -F'\t' '$1 == "user" && ($2 == 0 || $2 == 1)' | grep -q . &&
	fail "forgotten users have no edges" || pass "forgotten users have no edges"
expect "the graph prints with the vocabulary" 0 ig cat --vocab "$T/V2" "$T/g2.igr"
grep -q "^user	$u1	" "$T/out" && fail "forgotten ids are not printed" || pass "forgotten ids are not printed"
grep -q '^users_forgotten	-	2$' "$T/fr.tsv" && pass "report counts forgotten users" || fail "report counts forgotten users"
# a later rebuild with the vocabulary leaves them out too
expect "rebuild after erasure" 0 ig featurize -v --vocab "$T/V2" "$T/ev.igr"
ig cat "$T/out" | awk -F'\t' '$1 == "user" && ($2 == 0 || $2 == 1)' | grep -q . &&
	fail "erasure holds in a rebuild" || pass "erasure holds in a rebuild"
expect_err "rebuild counts the forgotten users' events" "events ([1-9][0-9]* of forgotten users)"
printf 'no-such-user\n' >"$T/gone2"
expect "unknown user to forget is a warning" 0 ig featurize --vocab "$T/V2" --forget "$T/gone2" "$T/day2.tsv"
expect_err "unknown user warning" "not in the vocabulary"
printf 'abc\n' >"$T/gone3"
expect "--forget without --vocab needs dense ids" 1 ig featurize --forget "$T/gone3" "$T/day2.tsv"

# bad input: exit 1, a message, and the old output left alone
cp "$T/g.igr" "$T/keep.igr"
expect "a graph is not events" 1 ig featurize "$T/g.igr"
expect_err "wrong kind message" "expected an events stream, got graph"
expect "events are not a base graph" 1 ig featurize --base "$T/ev.igr" "$T/day2.tsv"
expect_err "base kind message" "not a graph"
head -c 50000 "$T/ev.igr" >"$T/cut.igr"
expect "truncated events" 1 ig featurize -o "$T/keep.igr" "$T/cut.igr"
expect_err "truncated events message" "truncated"
cmp -s "$T/g.igr" "$T/keep.igr" && pass "a failed run keeps the old output" || fail "a failed run keeps the old output"
size=$(wc -c <"$T/g.igr")
head -c $((size - 1)) "$T/g.igr" >"$T/cutg.igr"
expect "truncated base graph" 1 ig featurize --base "$T/cutg.igr" "$T/day2.tsv"
expect_err "truncated base message" "truncated"
head -c $((size / 2)) "$T/g.igr" >"$T/cutg.igr"
expect "base cut in the middle" 1 ig featurize --base "$T/cutg.igr" "$T/day2.tsv"
: >"$T/empty"
expect "empty input" 1 ig featurize "$T/empty"
expect_err "empty input message" "empty input"
expect "base with another half-life" 1 ig featurize --half-life 1d --base "$T/g.igr" "$T/day2.tsv"
expect_err "half-life mismatch message" "half-life"
sort -r "$T/g.tsv" | grep -v '^#' | grep -v src_type >"$T/body"
{ grep '^#' "$T/g.tsv" | grep -v '^#PG\|^#end'; echo 'src_type	src	dst_type	dst	weight	count	last_ts'; cat "$T/body"; } |
	seal_raw >"$T/unsorted.tsv"
expect "unsorted base" 1 ig featurize --base "$T/unsorted.tsv" "$T/day2.tsv"
expect_err "unsorted base message" "out of order"

expect "--half-life 0" 2 ig featurize --half-life 0 "$T/ev.igr"
expect "--weights unknown behaviour" 2 ig featurize --weights clik=1 "$T/ev.igr"
expect_err "--weights message" "unknown behavior 'clik'"
expect "--weights negative" 2 ig featurize --weights buy=-1 "$T/ev.igr"
expect "--json without --report" 2 ig featurize --json "$T/ev.igr"
expect "--min-weight negative" 2 ig featurize --min-weight -1 "$T/ev.igr"
expect "stdin twice" 2 ig featurize --base - -
finish
