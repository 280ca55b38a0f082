#!/bin/sh
# igraph-show: the summary, one user's and one item's neighbourhood as TSV
# and as Graphviz DOT (rendered when dot is installed), ids through the
# vocabulary, the halo of user ranges (--halo), bad input.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

ig ingest --schema taobao --vocab "$T/V" "$TOP/sample-data/user_behavior.csv" \
	>"$T/ev.igr" 2>"$T/err" || fail "ingest sample-data" "$(cat "$T/err")"
ig featurize --cooc-window 30m --cooc-max 4 "$T/ev.igr" >"$T/g.igr"
ig featurize --tsv "$T/ev.igr" >"$T/g.tsv"

expect "summary" 0 ig show "$T/g.igr"
cp "$T/out" "$T/sum"
head -n 1 "$T/sum" | grep -q '^metric	key	value$' && pass "summary header" || fail "summary header"
for rel in user-item user-category item-item item-category; do
	grep -q "^edges	$rel	[1-9]" "$T/sum" || missing="${missing:-} $rel"
done
[ -z "${missing:-}" ] && pass "summary counts every relation" || fail "summary counts every relation" "missing:$missing"
# the edge counts agree with the stream
n=$(ig cat "$T/g.igr" | awk -F'\t' '$1 == "user" && $3 == "item"' | wc -l)
grep -q "^edges	user-item	$n$" "$T/sum" && pass "summary edge count matches the stream" ||
	fail "summary edge count matches the stream" "stream $n; $(grep '^edges	user-item' "$T/sum")"
[ "$(grep -c '^top_item	' "$T/sum")" = 10 ] && pass "ten heaviest items" || fail "ten heaviest items"
grep -q '^nodes	item	8846$' "$T/sum" && pass "node counts from the header" || fail "node counts from the header"
expect "summary of a TSV graph" 0 ig show "$T/g.tsv"
grep -v item-item "$T/out" | grep -v '^edges\|^sources\|^degree\|^weight' >"$T/a"
grep -v item-item "$T/sum" | grep -v '^edges\|^sources\|^degree\|^weight' >"$T/b"
same "TSV and binary graphs summarise alike" "$T/a" "$T/b"

expect "--user" 0 ig show --user 0 -k 5 "$T/g.igr"
cp "$T/out" "$T/u0"
head -n 1 "$T/u0" | grep -q '^relation	node	weight	count	last_ts$' && pass "--user header" || fail "--user header"
[ "$(grep -c '^user-item	' "$T/u0")" -le 5 ] && [ "$(grep -c '^user-category	' "$T/u0")" -ge 1 ] &&
	pass "-k caps each relation" || fail "-k caps each relation" "$(cat "$T/u0")"
awk -F'\t' 'NR > 1 { if ($1 == r && $3 > p) bad++; r = $1; p = $3 } END { exit bad > 0 }' "$T/u0" &&
	pass "strongest first" || fail "strongest first"
# the user's strongest item is the stream's
best=$(ig cat "$T/g.igr" | awk -F'\t' '$1 == "user" && $2 == 0 && $3 == "item" && $5 > w { w = $5; d = $4 } END { print d }')
[ "$(awk -F'\t' '$1 == "user-item" { print $2; exit }' "$T/u0")" = "$best" ] &&
	pass "--user finds the strongest item" || fail "--user finds the strongest item" "want $best"
expect "--item" 0 ig show --item "$best" "$T/g.igr"
grep -q '^item-category	' "$T/out" && grep -q '^user-item	0	' "$T/out" &&
	pass "--item shows categories and users" || fail "--item shows categories and users" "$(cat "$T/out")"

u=$(sed -n 1p "$T/V/user.tsv")
expect "--user with external ids" 0 ig show --vocab "$T/V" --user "$u" --dot -k 6 "$T/g.igr"
cp "$T/out" "$T/u.dot"
head -n 1 "$T/u.dot" | grep -q '^digraph interest {$' && tail -n 1 "$T/u.dot" | grep -q '^}$' &&
	pass "--dot writes a digraph" || fail "--dot writes a digraph" "$(head -3 "$T/u.dot")"
grep -q "label=\"user $u\"" "$T/u.dot" && pass "--dot labels with external ids" || fail "--dot labels with external ids"
grep -q 'penwidth=6.00' "$T/u.dot" && grep -q 'style=dashed' "$T/u.dot" &&
	pass "--dot edge widths by weight, items linked to categories" || fail "--dot edge widths by weight"
if command -v dot >/dev/null 2>&1; then
	if dot -Tsvg "$T/u.dot" >"$T/u.svg" 2>"$T/err" && grep -q '<svg' "$T/u.svg"; then
		pass "Graphviz renders it"
	else
		fail "Graphviz renders it" "$(cat "$T/err")"
	fi
else
	skip "Graphviz renders it" "dot is not installed"
fi
expect "--item --dot" 0 ig show --item "$best" --dot "$T/g.igr"

expect "unknown external id" 1 ig show --vocab "$T/V" --user no-such-user "$T/g.igr"
expect_err "unknown id message" "not in the vocabulary"
expect "user out of range" 1 ig show --user 99999 "$T/g.igr"
expect_err "out of range message" "not in the graph"
expect "events are not a graph" 1 ig show "$T/ev.igr"
expect_err "wrong kind message" "expected a graph stream"
size=$(wc -c <"$T/g.igr")
head -c $((size - 10)) "$T/g.igr" >"$T/cut"
expect "truncated graph" 1 ig show "$T/cut"
expect_err "truncated message" "truncated"
: >"$T/empty"
expect "empty input" 1 ig show "$T/empty"
expect "--dot without a node" 2 ig show --dot "$T/g.igr"
# --halo on the graph of check_halo.c, whose cuts are worked out there
{
	printf '#igraph graph 1.0\nsrc_type\tsrc\tdst_type\tdst\tweight\tcount\tlast_ts\n'
	for e in 0:0 0:1 1:1 1:2 2:2 2:3 3:0 3:2; do
		printf 'user\t%s\titem\t%s\t1\t1\t0\n' "${e%:*}" "${e#*:}"
	done
} | sealed >"$T/h.tsv"
cat >"$T/h.want" <<'EOF'
ranks	rank	users	edges	items	remote	owned	served
1	0	4	8	4	0	4	0
2	0	2	4	3	1	2	1
2	1	2	4	3	1	2	1
4	0	1	2	2	1	1	1
4	1	1	2	2	1	1	1
4	2	1	2	2	1	1	2
4	3	1	2	2	2	1	1
EOF
expect "--halo" 0 ig show --halo 1,2,4 "$T/h.tsv"
same "--halo: the rows each rank needs and serves" "$T/h.want" "$T/out"
expect "--halo on the sample graph" 0 ig show --halo 1,3,64 "$T/g.igr"
awk -F'\t' 'NR > 1 { u[$1] += $3; e[$1] += $4; o[$1] += $7; r[$1] += $6
	s[$1] += $8; n[$1]++ }
	END { for (k in u) if (n[k] != k || r[k] != s[k]) bad++
	      print bad + 0, u[1], u[3], u[64], e[64], o[64], r[1] }' "$T/out" >"$T/h.sum"
users=$(awk -F'\t' '$1 == "nodes" && $2 == "user" { print $3 }' "$T/sum")
items=$(awk -F'\t' '$1 == "nodes" && $2 == "item" { print $3 }' "$T/sum")
[ "$(cat "$T/h.sum")" = "0 $users $users $users $n $items 0" ] &&
	pass "--halo: every rank count adds up to the graph" ||
	fail "--halo: every rank count adds up to the graph" "$(cat "$T/h.sum") ($users users, $n edges, $items items)"
expect "--halo 0" 2 ig show --halo 0 "$T/g.igr"
expect "--halo beyond 65536 ranks" 2 ig show --halo 2,65537 "$T/g.igr"
expect "--halo and --user" 2 ig show --halo 2 --user 1 "$T/g.igr"
expect "--user and --item" 2 ig show --user 1 --item 1 "$T/g.igr"
expect "-k 0" 2 ig show -k 0 "$T/g.igr"
expect "two graphs" 2 ig show "$T/g.igr" "$T/g.igr"
finish
