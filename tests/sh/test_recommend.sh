#!/bin/sh
# igraph-train / igraph-recommend on a small hand-made graph: every rule's
# output is compared with the same rule applied independently (awk, sort)
# to the complete TSV ranking, and the item-kNN scores themselves with a
# cosine computed in awk.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

# ---- the graph ---------------------------------------------------------------
# users 0-4 have edges, 5 and 6 none (nodes.user 7); items 0-9 (item 9 has
# no edges); item i is in category i % 3 except item 8 (none).
cat >"$T/edges" <<'EOF'
0 0 1
0 1 2
0 3 1
1 0 1
1 1 1
1 2 3
2 1 1
2 2 1
2 4 2
3 3 1
3 4 1
3 5 1
3 6 1
4 6 2
4 7 1
4 0 1
EOF
{
	printf '#igraph graph 1.0\n#meta\tnodes.user\t7\n#meta\tnodes.item\t10\n'
	printf 'src_type\tsrc\tdst_type\tdst\tweight\tcount\tlast_ts\n'
	awk '{ printf "user\t%s\titem\t%s\t%s\t1\t100\n", $1, $2, $3 }' "$T/edges"
	for i in 0 1 2 3 4 5 6 7 9; do printf 'item\t%s\tcategory\t%s\t1\t1\t100\n' $i $((i % 3)); done
} | sealed >"$T/g.tsv"
ig cat --binary -o "$T/g.igr" "$T/g.tsv"
# category of each item ("-" for none)
awk '$1 == "item" && $3 == "category" { print $2, $4 }' "$T/g.tsv" >"$T/cats"

# rows of a TSV scores stream: query target score rank
rows() { grep -v '^#' "$1" | awk -F'\t' 'NR > 1 { print $2, $4, $5, $6 }'; }

# same_rows NAME GOT WANT: identical ids and ranks, scores within 1e-5
same_rows() {
	if awk 'NR == FNR { g[FNR] = $0; n = FNR; next }
		{ split(g[FNR], a, " ")
		  if (a[1] != $1 || a[2] != $2 || a[4] != $4) exit 1
		  d = a[3] - $3; if (d < 0) d = -d; if (d > 1e-5) exit 1 }
		END { if (n != FNR) exit 1 }' "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "got < > want:" "$(diff "$2" "$3" | head -n 12)"
	fi
}

# ---- training ----------------------------------------------------------------
expect "train pop" 0 ig train --model pop "$T/g.igr" -o "$T/pop.igm"
expect "train itemknn as a plain cosine" 0 ig train --model itemknn \
	--alpha 0.5 --user-damping 0 --normalise 0 "$T/g.igr" -o "$T/knn.igm"
expect "train itemknn with the defaults" 0 ig train --model itemknn \
	"$T/g.igr" -o "$T/knnd.igm"
if grep -a -q '"params":{"neighbours":200,"shrink":0,"alpha":0.5,"user-damping":0,"locality":1,"normalise":0,"binary":false}' "$T/knn.igm" &&
	grep -a -q '"data":{"users":7,"items":10,"categories":3,"active_users":5,"user_item_edges":16' "$T/knn.igm"; then
	pass "the model records every setting and the training data"
else
	fail "the model records every setting and the training data" \
		"$(grep -a -o '"params":{[^}]*}' "$T/knn.igm")"
fi
expect "an option of another model is a usage error" 2 ig train --model pop \
	--neighbours 5 "$T/g.igr" -o "$T/x.igm"
expect_err "... naming it" "does not apply to model pop"
expect "an unknown model is a usage error" 2 ig train --model nope "$T/g.igr" -o "$T/x.igm"
expect "an out-of-range option is a usage error" 2 ig train --model itemknn \
	--alpha 2 "$T/g.igr" -o "$T/x.igm"
head -c 300 "$T/g.igr" >"$T/cut.igr"
expect "train: a truncated graph exits 1" 1 ig train --model pop "$T/cut.igr" -o "$T/x.igm"
expect_err "... saying so" "truncated"
[ ! -e "$T/x.igm" ] && pass "... and writes no model" || fail "... and writes no model"

# ---- the scores, independently -------------------------------------------------
# item-kNN, plain cosine: S(i,j) = co(i,j) / sqrt(n(i) n(j)), never S(i,i);
# score(u,j) = sum of w(u,i) S(i,j).  Every known user, every item.
awk '{ w[$1, $2] = $3; u[$1] = 1; it[$2] = 1; n[$2] += $3 * $3 }
	END {
		for (i in it) for (j in it) if (i != j) {
			c = 0; for (x in u) c += w[x, i] * w[x, j]
			if (c > 0) S[i, j] = c / sqrt(n[i] * n[j])
		}
		for (x in u) for (j = 0; j < 10; j++) {
			s = 0; for (i in it) if ((x, i) in w && (i, j) in S) s += w[x, i] * S[i, j]
			printf "%s %d %.9g\n", x, j, s
		}
	}' "$T/edges" | sort -k1,1n -k2,2n >"$T/want.scores"
# popularity: sum of weights; rank by (sum desc, id asc)
awk '{ p[$2] += $3 } END { for (i = 0; i < 10; i++) printf "%d %.9g\n", i, p[i] + 0 }' \
	"$T/edges" | sort -k2,2gr -k1,1n | awk '{ print $1, $2, NR }' >"$T/pop"

# the complete ranking of every item for every user, nothing excluded
expect "recommend everything" 0 ig recommend --model "$T/knn.igm" --exclude none \
	-k 100 --tsv "$T/g.igr"
cp "$T/out" "$T/full.tsv"
rows "$T/full.tsv" >"$T/full"
awk '$1 <= 4 { print $1, $2, $3 }' "$T/full" | sort -k1,1n -k2,2n >"$T/got.scores"
if awk 'NR == FNR { s[$1, $2] = $3; next }
	{ d = s[$1, $2] - $3; if (d < 0) d = -d; if (d > 1e-6) bad++ }
	END { exit bad > 0 }' "$T/want.scores" "$T/got.scores" &&
	[ "$(wc -l <"$T/got.scores")" -eq 50 ]; then
	pass "every item-kNN score equals the cosine computed in awk"
else
	fail "every item-kNN score equals the cosine computed in awk" "$(diff "$T/want.scores" "$T/got.scores" | head)"
fi
# ranks: score desc, then popularity rank, then id
awk 'NR == FNR { pr[$1] = $3; next } $1 <= 4 { print $1, $2, $3, pr[$2] }' "$T/pop" "$T/full" |
	sort -k1,1n -k3,3gr -k4,4n -k2,2n | awk '{ r[$1]++; print $1, $2, $3, r[$1] }' >"$T/want.full"
awk '$1 <= 4' "$T/full" >"$T/got.full"
same_rows "the ranking orders equal scores by popularity" "$T/got.full" "$T/want.full"

# apply RULE (an awk filter on "user item score rank") and keep K per user
topk() { awk -v k="$1" '{ if (++n[$1] <= k) print $1, $2, $3, n[$1] }'; }

# ---- exclusion ---------------------------------------------------------------
expect "--exclude seen (the default)" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv "$T/g.igr"
rows "$T/out" | awk '$1 <= 4' >"$T/got"
awk 'NR == FNR { seen[$1, $2] = 1; next } $1 <= 4 && !(($1, $2) in seen)' "$T/edges" "$T/full" |
	topk 3 >"$T/want"
same_rows "seen items are left out" "$T/got" "$T/want"

{ printf '#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\tvalue\n'
  printf '5\t0\t4\t-\tbuy\t1\n6\t0\t5\t-\tview\t1\n7\t2\t0\t-\tbuy\t1\n8\t3\t7\t-\tcart\t1\n'
} | sealed >"$T/ev.tsv"
ig cat --binary -o "$T/ev.igr" "$T/ev.tsv"
expect "--exclude bought" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv \
	--exclude bought --events "$T/ev.igr" "$T/g.igr"
rows "$T/out" | awk '$1 <= 4' >"$T/got"
awk -F'\t' 'NR > 2 && $5 == "buy" { print $2, $3 }' "$T/ev.tsv" >"$T/bought"
awk 'NR == FNR { b[$1, $2] = 1; next } $1 <= 4 && !(($1, $2) in b)' "$T/bought" "$T/full" |
	topk 3 >"$T/want"
same_rows "bought items (buy events only) are left out" "$T/got" "$T/want"
expect "--exclude bought without --events is a usage error" 2 ig recommend \
	--model "$T/knn.igm" --exclude bought "$T/g.igr"

# ---- allow and block -----------------------------------------------------------
printf '1\n# a comment\n\n2\n4\n6\n7\n' >"$T/allow"
printf '4\n' >"$T/block"
expect "--allow and --block" 0 ig recommend --model "$T/knn.igm" -k 2 --tsv \
	--exclude none --allow "$T/allow" --block "$T/block" "$T/g.igr"
rows "$T/out" | awk '$1 <= 4' >"$T/got"
awk '$1 <= 4 && ($2 == 1 || $2 == 2 || $2 == 6 || $2 == 7)' "$T/full" | topk 2 >"$T/want"
same_rows "only allowed, never blocked items" "$T/got" "$T/want"

# ---- per category, min score ----------------------------------------------------
expect "--per-category 1" 0 ig recommend --model "$T/knn.igm" -k 4 --tsv \
	--exclude none --per-category 1 "$T/g.igr"
rows "$T/out" | awk '$1 <= 4' >"$T/got"
awk 'NR == FNR { c[$1] = $2; next } $1 <= 4 {
		cat = ($2 in c) ? c[$2] : "-"
		if (cat != "-" && used[$1, cat]++) next
		print }' "$T/cats" "$T/full" | topk 4 >"$T/want"
same_rows "at most one item per category (item 8 has none)" "$T/got" "$T/want"

expect "--min-score" 0 ig recommend --model "$T/knn.igm" -k 5 --tsv \
	--exclude none --min-score 0.5 "$T/g.igr"
rows "$T/out" | awk '$1 <= 4' >"$T/got"
awk '$1 <= 4 && $3 >= 0.5' "$T/full" | topk 5 >"$T/want"
same_rows "no item scores below the minimum" "$T/got" "$T/want"

# ---- users without history: the popularity fallback ------------------------------
expect "users 5 and 6 get a list" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv "$T/g.igr"
rows "$T/out" | awk '$1 >= 5' >"$T/got"
awk 'NR == 1 { max = $2 } { printf "%.9g %s\n", $2 / max, $1 }' "$T/pop" | head -n 3 |
	awk '{ for (u = 5; u <= 6; u++) print u, $2, $1 }' | sort -k1,1n -s |
	awk '{ r[$1]++; print $1, $2, $3, r[$1] }' >"$T/want"
same_rows "a user with no history gets the most popular items" "$T/got" "$T/want"
grep -q "^#meta	fallback.users	2$" "$T/out" && pass "the header states the fallback users" ||
	fail "the header states the fallback users" "$(grep fallback "$T/out")"
expect "--no-fallback" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv --no-fallback "$T/g.igr"
[ "$(rows "$T/out" | awk '$1 >= 5' | wc -l)" -eq 0 ] && pass "... gives them nothing" ||
	fail "... gives them nothing"
expect "--json" 0 ig recommend --model "$T/knn.igm" -k 3 --json "$T/g.igr"
[ "$(wc -l <"$T/out")" -eq 7 ] && pass "one JSON line per user" || fail "one JSON line per user"
grep '^{"user":"5","fallback":"popularity","items":\[{"item":"1","score":1,"rank":1}' "$T/out" >/dev/null &&
	grep -c '"fallback":false' "$T/out" | grep -q '^5$' &&
	pass "JSON states the fallback per user" || fail "JSON states the fallback per user" "$(head -n 6 "$T/out")"
if command -v jq >/dev/null 2>&1; then
	jq -e . "$T/out" >/dev/null && pass "every JSON line parses" || fail "every JSON line parses"
else
	skip "every JSON line parses" "jq is not installed"
fi

# ---- --users, unknown ids -------------------------------------------------------
printf '3\n6\n1\n12\n' >"$T/users"
expect "--users" 0 ig recommend --model "$T/knn.igm" -k 2 --tsv --users "$T/users" "$T/g.igr"
[ "$(rows "$T/out" | awk '{ print $1 }' | uniq | tr '\n' ' ')" = "3 6 1 12 " ] &&
	pass "users come in the order of the file" || fail "users come in the order of the file" "$(rows "$T/out")"
[ "$(rows "$T/out" | awk '$1 == 12 { print $2 }' | tr '\n' ' ')" = "1 2 " ] &&
	pass "a user beyond the graph gets the fallback" || fail "a user beyond the graph gets the fallback"
# --users-from: the users of an events stream (the daily update), in id
# order, each with the list the full run gives
{
	printf '#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\tvalue\n'
	printf '200\t3\t1\t-\tview\t1\n300\t1\t2\t-\tview\t1\n400\t3\t4\t-\tbuy\t1\n'
} | sealed >"$T/day.tsv"
expect "--users-from" 0 ig recommend --model "$T/knn.igm" -k 2 --tsv --users-from "$T/day.tsv" "$T/g.igr"
rows "$T/out" >"$T/day.rows"
ig recommend --model "$T/knn.igm" -k 2 --tsv "$T/g.igr" >"$T/full.out"
rows "$T/full.out" | awk '$1 == 1 || $1 == 3' >"$T/full.rows"
[ "$(awk '{ print $1 }' "$T/day.rows" | uniq | tr '\n' ' ')" = "1 3 " ] && cmp -s "$T/day.rows" "$T/full.rows" &&
	pass "... the touched users, as the full run lists them" || fail "... the touched users, as the full run lists them" "$(cat "$T/day.rows")"
expect "--users with --users-from is a usage error" 2 ig recommend --model "$T/knn.igm" \
	--users "$T/users" --users-from "$T/day.tsv" "$T/g.igr"
expect "--users-from a missing file exits 1" 1 ig recommend --model "$T/knn.igm" \
	--users-from "$T/nope.igr" "$T/g.igr"
printf '1\n99\n2\n' >"$T/allow_bad"
expect "an unknown item in a list exits 1" 1 ig recommend --model "$T/knn.igm" \
	--allow "$T/allow_bad" "$T/g.igr"
expect_err "... naming the file and line" "allow_bad:2: unknown item '99'"
expect "--skip-unknown skips it" 0 ig recommend --model "$T/knn.igm" --tsv \
	--allow "$T/allow_bad" --skip-unknown "$T/g.igr"
expect_err "... with a warning" "skipped 1 unknown id"
[ "$(rows "$T/out" | awk '$2 != 1 && $2 != 2' | wc -l)" -eq 0 ] &&
	pass "... and allows only the known ones" || fail "... and allows only the known ones"
printf 'x7\n' >"$T/allow_txt"
expect "a non-numeric id without --vocab exits 1" 1 ig recommend --model "$T/knn.igm" \
	--allow "$T/allow_txt" "$T/g.igr"
expect_err "... saying why" "external ids need --vocab"

# ---- similar items ----------------------------------------------------------------
printf '1\n6\n9\n' >"$T/q"
expect "--similar" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv --similar "$T/q" "$T/g.igr"
rows "$T/out" >"$T/got"
awk '{ w[$1, $2] = $3; u[$1] = 1; it[$2] = 1; n[$2] += $3 * $3 }
	END { for (q = 0; q < 10; q++) if (q == 1 || q == 6 || q == 9) for (j = 0; j < 10; j++) {
		if (j == q) continue
		c = 0; for (x in u) c += w[x, q] * w[x, j]
		if ((q "") in it && (j "") in it) printf "%d %d %.9g\n", q, j, c / sqrt(n[q] * n[j])
		else printf "%d %d 0\n", q, j
	} }' "$T/edges" >"$T/sims"
awk 'NR == FNR { pr[$1] = $3; next } { print $1, $2, $3, pr[$2] }' "$T/pop" "$T/sims" |
	sort -k1,1n -k3,3gr -k4,4n -k2,2n | topk 3 >"$T/want"
same_rows "similar items are the cosine neighbours (item 9 has none: popular items at 0)" "$T/got" "$T/want"
expect "pop has no similar items" 1 ig recommend --model "$T/pop.igm" --similar "$T/q" "$T/g.igr"
expect_err "... saying so" "no item-to-item scores"

# ---- audiences ---------------------------------------------------------------------
printf '4\n0\t6\n' >"$T/aud"
printf '1\n' >"$T/audc"
expect "--audience (an item and a campaign) and --audience-category" 0 \
	ig recommend --model "$T/knn.igm" -k 5 --tsv --audience "$T/aud" \
	--audience-category "$T/audc" "$T/g.igr"
rows "$T/out" >"$T/got"
# a query's score is the best of its items'; users 5 and 6 are unknown;
# item-kNN's audience holds the users its evidence reaches (score > 0)
awk 'NR == FNR { c[$1] = $2; next }
	$1 <= 4 && $3 > 0 { if ($2 == 4) print 4, $1, $3
		  if ($2 == 0 || $2 == 6) { k = $1; if (!(k in b) || $3 > b[k]) b[k] = $3 }
		  if (($2 in c) && c[$2] == 1) { if (!($1 in cb) || $3 > cb[$1]) cb[$1] = $3 } }
	END { for (k in b) print 0, k, b[k]; for (k in cb) print "c1", k, cb[k] }' "$T/cats" "$T/full" |
	awk '{ o = ($1 == 4) ? 1 : ($1 == 0) ? 2 : 3; print o, $1, $2, $3 }' |
	sort -k1,1n -k4,4gr -k3,3n | awk '{ q = ($2 == "c1") ? 1 : $2; if (++n[$1] <= 5) print q, $3, $4, n[$1] }' >"$T/want"
same_rows "audiences: top users by score, campaigns by their best item" "$T/got" "$T/want"
grep -q '^category	1	user	' "$T/out" && pass "a category audience is written as a category query" ||
	fail "a category audience is written as a category query"
printf '9\n' >"$T/aud9"
expect "the audience of an item without neighbours" 0 ig recommend --model "$T/knn.igm" \
	-k 5 --tsv --audience "$T/aud9" "$T/g.igr"
[ "$(rows "$T/out" | wc -l)" -eq 0 ] && pass "... is empty: no user has evidence for it" ||
	fail "... is empty: no user has evidence for it" "$(rows "$T/out")"
expect "--audience --exclude seen" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv \
	--audience "$T/aud" --exclude seen "$T/g.igr"
rows "$T/out" >"$T/got"
awk 'NR == FNR { s[$1, $2] = 1; next }
	$1 <= 4 && $3 > 0 { if ($2 == 4 && !(($1, 4) in s)) print 4, $1, $3
		  if ($2 == 0 || $2 == 6) { k = $1; if (!(k in b) || $3 > b[k]) b[k] = $3 } }
	END { for (k in b) if (!((k, 0) in s) && !((k, 6) in s)) print 0, k, b[k] }' "$T/edges" "$T/full" |
	awk '{ print ($1 == 4) ? 1 : 2, $0 }' | sort -k1,1n -k4,4gr -k3,3n |
	awk '{ if (++n[$1] <= 3) print $2, $3, $4, n[$1] }' >"$T/want"
same_rows "audiences leave out users who have the item(s)" "$T/got" "$T/want"
printf '4\t77\n' >"$T/aud_bad"
expect "an unknown item in an audience exits 1" 1 ig recommend --model "$T/knn.igm" \
	--audience "$T/aud_bad" "$T/g.igr"
expect_err "... naming it" "aud_bad:1: unknown item '77'"
expect "--similar with --audience is a usage error" 2 ig recommend --model "$T/knn.igm" \
	--similar "$T/q" --audience "$T/aud" "$T/g.igr"

# ---- explanations -------------------------------------------------------------------
expect "--explain" 0 ig recommend --model "$T/knn.igm" -k 2 --tsv --explain "$T/g.igr"
# the best contributor of (user 0, its first item): argmax over its items of w S
first=$(rows "$T/out" | awk '$1 == 0 { print $2; exit }')
want=$(awk -v j="$first" '{ w[$1, $2] = $3; u[$1] = 1; it[$2] = 1; n[$2] += $3 * $3 }
	END { best = -1; for (i in it) if (((0, i) in w) && i != j) {
		c = 0; for (x in u) c += w[x, i] * w[x, j]; s = w[0, i] * c / sqrt(n[i] * n[j])
		if (s > best + 1e-12) { best = s; bi = i } }
		printf "%s %.6f", bi, best }' "$T/edges")
got=$(grep -v '^#' "$T/out" | awk -F'\t' -v j="$first" 'f && $1 == "item" && $2 == j && $6 == 1 { printf "%s %.6f", $4, $5; exit }
	$1 == "user" && $2 == 0 && $4 == j { f = 1 }')
[ -n "$got" ] && [ "$got" = "$want" ] && pass "the first contributor is the item with the largest w*S" ||
	fail "the first contributor is the item with the largest w*S" "got '$got' want '$want'"
grep -q '^#meta	explain	' "$T/out" && pass "... and the header says so" || fail "... and the header says so"
expect "--explain in JSON" 0 ig recommend --model "$T/knn.igm" -k 2 --json --explain "$T/g.igr"
grep -q '"because":\[{"item":"' "$T/out" && pass "JSON carries the contributions" ||
	fail "JSON carries the contributions" "$(head -n 1 "$T/out")"

# ---- JSON for similar items and audiences -----------------------------------------------
expect "--similar --json" 0 ig recommend --model "$T/knn.igm" -k 2 --json --similar "$T/q" "$T/g.igr"
[ "$(wc -l <"$T/out")" -eq 3 ] && grep -q '^{"item":"1","similar":\[{"item":"0","score":0.707106769,"rank":1},' "$T/out" &&
	pass "similar items as JSON lines" || fail "similar items as JSON lines" "$(cat "$T/out")"
expect "--audience --json" 0 ig recommend --model "$T/knn.igm" -k 2 --json --audience "$T/aud" "$T/g.igr"
grep -q '^{"item":"4","users":\[{"user":"' "$T/out" && grep -q '^{"campaign":\["0","6"\],"users":\[{"user":"' "$T/out" &&
	pass "audiences and campaigns as JSON lines" || fail "audiences and campaigns as JSON lines" "$(cat "$T/out")"

# ---- external ids (--vocab) -------------------------------------------------------------
mkdir "$T/V"
awk 'BEGIN { for (u = 0; u < 7; u++) print "u-" u }' >"$T/V/user.tsv"
awk 'BEGIN { for (i = 0; i < 10; i++) print "sku" i }' >"$T/V/item.tsv"
printf 'shoes\nbags\nhats\n' >"$T/V/category.tsv"
printf 'u-3\nu-6\n' >"$T/vusers"
expect "--vocab prints external ids and reads them in --users" 0 ig recommend \
	--model "$T/knn.igm" -k 2 --tsv --vocab "$T/V" --users "$T/vusers" "$T/g.igr"
rows "$T/out" >"$T/got"
printf '3\n6\n' >"$T/dusers"
ig recommend --model "$T/knn.igm" -k 2 --tsv --users "$T/dusers" "$T/g.igr" |
	grep -v '^#' | awk -F'\t' 'NR > 1 { print "u-" $2, "sku" $4, $5, $6 }' >"$T/want"
same "... the same lists as with dense ids" "$T/got" "$T/want"
printf 'u-3\nnobody\n' >"$T/vbad"
expect "an external id not in the vocabulary exits 1" 1 ig recommend --model "$T/knn.igm" \
	--vocab "$T/V" --users "$T/vbad" "$T/g.igr"
expect_err "... naming it" "vbad:2: unknown user 'nobody'"
printf 'hats\n' >"$T/vcat"
expect "--audience-category with external ids" 0 ig recommend --model "$T/knn.igm" -k 1 \
	--json --vocab "$T/V" --audience-category "$T/vcat" "$T/g.igr"
grep -q '^{"category":"hats","users":\[{"user":"u-' "$T/out" && pass "... printed as external ids" ||
	fail "... printed as external ids" "$(cat "$T/out")"

# ---- a user added after training is served from their new edges ---------------------------
printf '7\n' >"$T/u7"
for it in 0 6; do
	{ printf '#igraph graph 1.0\n#meta\tnodes.user\t8\n#meta\tnodes.item\t10\n'
	  grep -v '^#' "$T/g.tsv"
	  printf 'user\t7\titem\t%s\t1\t1\t200\n' "$it"; } | seal_raw >"$T/new$it.tsv"
	ig recommend --model "$T/knn.igm" -k 3 --tsv --users "$T/u7" "$T/new$it.tsv" >"$T/new$it.out"
	rows "$T/new$it.out" >"$T/new$it"
done
if [ -s "$T/new0" ] && ! cmp -s "$T/new0" "$T/new6" &&
	grep -q '^#meta	fallback.users	0$' "$T/new0.out" && grep -q '^#meta	fallback.users	0$' "$T/new6.out"; then
	pass "a new user's list follows their edges (no fallback, no retraining)"
else
	fail "a new user's list follows their edges (no fallback, no retraining)" "$(cat "$T/new0" "$T/new6")"
fi

# ---- encodings, threads, truncation ---------------------------------------------------
ig recommend --model "$T/knn.igm" -k 4 --binary "$T/g.igr" >"$T/b.igr"
ig recommend --model "$T/knn.igm" -k 4 --tsv "$T/g.igr" >"$T/t.tsv"
ig cat "$T/b.igr" | grep -v '^#PG\|^#end' >"$T/b.tsv"
grep -v '^#PG\|^#end' "$T/t.tsv" >"$T/t2.tsv"
same "binary and TSV output hold the same records" "$T/b.tsv" "$T/t2.tsv"
ig recommend --model "$T/knnd.igm" -k 5 --tsv --threads 1 "$T/g.igr" >"$T/t1"
ig recommend --model "$T/knnd.igm" -k 5 --tsv --threads 2 "$T/g.igr" >"$T/t2"
# (the #PG lines differ, and with them the trailer's checksum)
sed 's/--threads [12]//; /^#end	/d' "$T/t1" >"$T/t1s"
sed 's/--threads [12]//; /^#end	/d' "$T/t2" >"$T/t2s"
same "the output does not depend on the number of threads" "$T/t1s" "$T/t2s"
ig cat --tsv "$T/g.igr" | ig recommend --model "$T/pop.igm" -k 3 --tsv >"$T/p"
rows "$T/p" | awk '$1 == 0' >"$T/got"
awk 'NR == 1 { max = $2 } { print $1, $2 / max }' "$T/pop" |
	awk 'NR == FNR { s[$1, $2] = 1; next } !((0, $1) in s) { print 0, $1, $2 }' "$T/edges" - |
	topk 3 >"$T/want"
same_rows "pop from a TSV graph on stdin: popularity, seen left out" "$T/got" "$T/want"

size=$(wc -c <"$T/g.igr")
for cut in 40 200 $((size / 2)) $((size - 12)) $((size - 1)); do
	head -c "$cut" "$T/g.igr" >"$T/cut.igr"
	expect "a graph cut at byte $cut exits 1" 1 ig recommend --model "$T/knn.igm" "$T/cut.igr"
	expect_err "... saying it is truncated" "truncated"
done
# cut exactly at a record boundary: the end block is missing
ig cat --tsv "$T/g.igr" | head -n 10 >"$T/cut.tsv"
printf 'user\t0\titem\t1\t1\t1' >>"$T/cut.tsv"
expect "a TSV graph cut mid-line exits 1" 1 ig recommend --model "$T/knn.igm" "$T/cut.tsv"
expect_err "... saying it is truncated" "truncated"
msize=$(wc -c <"$T/knn.igm")
head -c $((msize - 5)) "$T/knn.igm" >"$T/cut.igm"
expect "a truncated model exits 1" 1 ig recommend --model "$T/cut.igm" "$T/g.igr"
expect_err "... saying so" "truncated"
esize=$(wc -c <"$T/ev.igr")
head -c $((esize - 3)) "$T/ev.igr" >"$T/cut_ev.igr"
expect "truncated --events exit 1" 1 ig recommend --model "$T/knn.igm" \
	--exclude bought --events "$T/cut_ev.igr" "$T/g.igr"
expect_err "... saying so" "truncated"
expect "output to /dev/full exits 1" 1 ig recommend --model "$T/knn.igm" -o /dev/full "$T/g.igr"
expect "no --model is a usage error" 2 ig recommend "$T/g.igr"
expect "-k 0 is a usage error" 2 ig recommend --model "$T/knn.igm" -k 0 "$T/g.igr"

# ---- the accumulator's two modes -------------------------------------------------
# item-kNN's scores summed from (item, value) pairs sorted by item
# (IGRAPH_ACC_PAIRS=1; the default from 800,000 items) or through the
# dense arrays (0; the default below): the same output, scores to the
# bit, under every rule, for audiences and for interest points
for args in "-k 5" "-k 10 --exclude none" "-k 10 --exclude zero" \
	"-k 3 --per-category 1" "-k 4 --min-score 0.2" "-k 20 --no-fallback" \
	"-k 3 --audience $T/aud" "-k 9 --exclude none --audience $T/aud"; do
	# shellcheck disable=SC2086
	IGRAPH_ACC_PAIRS=0 ig recommend --model "$T/knnd.igm" $args --tsv \
		"$T/g.igr" >"$T/acc0" 2>&1
	# shellcheck disable=SC2086
	IGRAPH_ACC_PAIRS=1 ig recommend --model "$T/knnd.igm" $args --tsv \
		"$T/g.igr" >"$T/acc1" 2>&1
	if [ -s "$T/acc0" ] && cmp -s "$T/acc0" "$T/acc1"; then
		pass "recommend $args: pairs and dense accumulators agree"
	else
		fail "recommend $args: pairs and dense accumulators agree" \
			"$(diff "$T/acc0" "$T/acc1" | head -n 8)"
	fi
done
for m in 0 1; do
	IGRAPH_ACC_PAIRS=$m ig propagate --model "$T/knnd.igm" --tsv \
		"$T/g.igr" >"$T/prop$m" 2>&1
done
if grep -q '^user.*category' "$T/prop0" && cmp -s "$T/prop0" "$T/prop1"; then
	pass "propagate: pairs and dense accumulators agree"
else
	fail "propagate: pairs and dense accumulators agree" \
		"$(diff "$T/prop0" "$T/prop1" | head -n 8)"
fi
finish
