#!/bin/sh
# igraph-propagate: interest points computed independently (awk on the
# model's TSV ranking), pass-through of every other edge, --users-from,
# --vectors, users the model does not know, truncated inputs.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

# users 0-4 with edges, 5 and 6 without; items 0-9 in category i % 3 but
# item 8; user->category edges as featurize writes them
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
graph() { # graph USERS ITEMS [extra rows]: a sealed TSV graph
	graph_lines "$@" | seal_raw
}
graph_lines() {
	printf '#igraph graph 1.0\n#meta\tnow\t500\n#meta\tnodes.user\t%s\n#meta\tnodes.item\t%s\n' "$1" "$2"
	printf 'src_type\tsrc\tdst_type\tdst\tweight\tcount\tlast_ts\n'
	{
		awk '{ printf "user\t%s\titem\t%s\t%s\t1\t%d\n", $1, $2, $3, 100 + $1 * 10 + $2 }' "$T/edges"
		awk '{ c = $2 % 3; if ($2 != 8) w[$1 "\t" c] += $3 }
			END { for (k in w) { split(k, a, "\t"); printf "user\t%s\tcategory\t%s\t%s\t2\t90\n", a[1], a[2], w[k] } }' "$T/edges"
		for i in 0 1 2 3 4 5 6 7 9; do printf 'item\t%s\tcategory\t%s\t1\t1\t100\n' $i $((i % 3)); done
		printf 'item\t2\titem\t5\t0.5\t1\t100\n'
		[ $# -gt 2 ] && printf '%b' "$3"
	} | sort -t "$(printf '\t')" -k1,1 -k2,2n -k3,3 -k4,4n
}
graph 7 10 >"$T/g.tsv"
ig cat --binary -o "$T/g.igr" "$T/g.tsv"
awk '$1 == "item" && $3 == "category" { print $2, $4 }' "$T/g.tsv" >"$T/cats"
ig train --model itemknn "$T/g.igr" -o "$T/knn.igm"
ig train --model pop "$T/g.igr" -o "$T/pop.igm"

# the independent computation: DCG shares of the categories of the top
# DEPTH items, the best POINTS of them, ties by lower category id
interest() { # interest DEPTH POINTS MODEL GRAPH
	ig recommend --model "$3" --exclude none --no-fallback -k "$1" --tsv "$4" |
		grep -v '^#' | awk -F'\t' 'NR > 1 { print $2, $4, $6 }' |
		awk -v p="$2" 'NR == FNR { c[$1] = $2; next }
			($2 in c) { s[$1, c[$2]] += log(2) / log($3 + 1); n[$1, c[$2]]++; t[$1] += log(2) / log($3 + 1); u[$1] = 1 }
			END { for (k in s) { split(k, a, SUBSEP); printf "%s %s %.9g %d\n", a[1], a[2], s[k] / t[a[1]], n[k] } }' "$T/cats" - |
		sort -k1,1n -k3,3gr -k2,2n | awk -v p="$2" '++m[$1] <= p' | sort -k1,1n -k2,2n
}
points() { # the user->category edges of a TSV graph: user category weight count
	grep -v '^#' "$1" | awk -F'\t' '$1 == "user" && $3 == "category" { print $2, $4, $5, $6 }' | sort -k1,1n -k2,2n
}
close() { # close NAME GOT WANT: same rows, weights within 1e-6
	if awk 'NR == FNR { g[FNR] = $0; n = FNR; next }
		{ split(g[FNR], a, " "); if (a[1] != $1 || a[2] != $2 || a[4] != $4) exit 1
		  d = a[3] - $3; if (d < 0) d = -d; if (d > 1e-6) exit 1 }
		END { if (n != FNR) exit 1 }' "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "got < > want:" "$(diff "$2" "$3" | head -n 12)"
	fi
}

expect "propagate" 0 ig propagate --model "$T/knn.igm" --depth 5 --points 2 --tsv "$T/g.igr"
cp "$T/out" "$T/p.tsv"
points "$T/p.tsv" >"$T/got"
interest 5 2 "$T/knn.igm" "$T/g.igr" >"$T/want"
close "interest points are the DCG shares of the model's top items" "$T/got" "$T/want"
[ "$(wc -l <"$T/want")" -eq 10 ] && pass "... two for each of the five users with edges" || fail "... two for each of the five users with edges" "$(cat "$T/want")"
[ "$(awk '$1 >= 5' "$T/got" | wc -l)" -eq 0 ] && pass "users without edges get none" ||
	fail "users without edges get none"
# every other edge passes through
grep -v '^#' "$T/g.tsv" | awk -F'\t' '!($1 == "user" && $3 == "category")' | sort >"$T/a"
grep -v '^#' "$T/p.tsv" | awk -F'\t' '!($1 == "user" && $3 == "category")' | sort >"$T/b"
same "every other edge passes through unchanged" "$T/a" "$T/b"
grep -v '^#' "$T/p.tsv" | awk -F'\t' '$1 == "user" && $3 == "category" && $2 == 0 { print $7 }' | sort -u >"$T/ts"
[ "$(cat "$T/ts")" = "103" ] && pass "an interest point's time is the user's newest edge" ||
	fail "an interest point's time is the user's newest edge" "$(cat "$T/ts")"
grep -q '^#meta	interest	model itemknn, top 5 items, 2 points per user$' "$T/p.tsv" &&
	grep -q '^#meta	now	500$' "$T/p.tsv" && pass "the header keeps the meta and says what was done" ||
	fail "the header keeps the meta and says what was done" "$(grep '^#' "$T/p.tsv")"
ig propagate --model "$T/knn.igm" --depth 5 --points 2 --binary "$T/g.igr" | ig cat >"$T/pb.tsv"
# (the trailer's checksum covers the #PG lines: left out with them)
grep -v '^#PG\|^#end' "$T/pb.tsv" >"$T/x1"
grep -v '^#PG\|^#end' "$T/p.tsv" >"$T/x2"
same "binary and TSV output hold the same records" "$T/x1" "$T/x2"
expect "recommend reads propagate's graph" 0 ig recommend --model "$T/knn.igm" -k 3 --tsv "$T/p.tsv"
ig recommend --model "$T/knn.igm" -k 3 --tsv "$T/g.igr" | grep -v '^#' >"$T/r1"
grep -v '^#' "$T/out" >"$T/r2"
same "... and gives the same lists as from featurize's graph" "$T/r1" "$T/r2"

# ---- --users-from: only the users of the events change ----------------------------
printf '#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\tvalue\n1\t1\t2\t-\tview\t1\n2\t3\t3\t-\tbuy\t1\n3\t1\t0\t-\tview\t1\n' | sealed >"$T/ev.tsv"
ig cat --binary -o "$T/ev.igr" "$T/ev.tsv"
expect "--users-from" 0 ig propagate --model "$T/knn.igm" --depth 5 --points 2 --tsv \
	--users-from "$T/ev.igr" "$T/g.igr"
points "$T/out" >"$T/got"
{ awk '$1 == 1 || $1 == 3' "$T/want"; points "$T/g.tsv" | awk '$1 != 1 && $1 != 3'; } |
	sort -k1,1n -k2,2n >"$T/want2"
close "only the users of the events are recomputed" "$T/got" "$T/want2"

# ---- a user the model does not know: their own edges --------------------------------
graph 8 12 'user\t7\titem\t11\t3\t1\t400\nitem\t11\tcategory\t2\t1\t1\t100\nuser\t7\tcategory\t2\t3\t1\t400\n' >"$T/g2.tsv"
expect "propagate a newer graph" 0 ig propagate --model "$T/knn.igm" --tsv -v "$T/g2.tsv"
points "$T/out" | awk '$1 == 7' >"$T/got"
printf '7 2 1 1\n' >"$T/want"
close "a user of new items only gets their own categories" "$T/got" "$T/want"
expect_err "... counted in the summary (with users 5 and 6)" "(3 unknown to the model"

# ---- vectors -----------------------------------------------------------------------------
expect "--vectors with pop" 0 ig propagate --model "$T/pop.igm" --vectors "$T/v.igr" "$T/g.igr"
ig cat "$T/v.igr" >"$T/v.tsv"
[ "$(grep -v '^#' "$T/v.tsv" | awk -F'\t' 'NR > 1 { print $1, $2, $3 }' | tr '\n' ',')" = \
	"user 0 1,user 1 1,user 2 1,user 3 1,user 4 1,user 5 1,user 6 1," ] &&
	pass "pop's user vectors: [1] for everyone" || fail "pop's user vectors: [1] for everyone" "$(cat "$T/v.tsv")"
expect "recommend --vectors" 0 ig recommend --model "$T/pop.igm" --vectors "$T/v.igr" -k 2 --tsv "$T/g.igr"
expect "--vectors with item-kNN exits 1" 1 ig propagate --model "$T/knn.igm" --vectors "$T/v2.igr" "$T/g.igr"
expect_err "... saying why" "no user vectors"
expect "recommend --vectors with item-kNN exits 1" 1 ig recommend --model "$T/knn.igm" --vectors "$T/v.igr" "$T/g.igr"

# ---- an embedding model: vectors of users added after training ---------------------------
# vectors for users 0-4 and items 0-9 (dimension 3), user 7 new (edges to
# items 1 and 2 with weights 2 and 1): the weighted mean of their vectors
awk 'BEGIN { printf "#igraph vectors 1.0\nnode_type\tnode\tv0\tv1\tv2\n"
	for (u = 0; u < 5; u++) printf "user\t%d\t%d\t%d\t%d\n", u, u % 3, (u + 1) % 2, u - 2
	for (i = 0; i < 10; i++) printf "item\t%d\t%d\t%d\t%d\n", i, (i * 7) % 5 - 2, i % 3, (i * 3) % 4 - 1 }' | seal_raw >"$T/vec.tsv"
ig train --model vectors --vectors "$T/vec.tsv" "$T/g.igr" -o "$T/vec.igm"
graph 8 10 'user\t7\titem\t1\t2\t1\t400\nuser\t7\titem\t2\t1\t1\t400\n' >"$T/g3.tsv"
expect "propagate --vectors with an embedding model" 0 ig propagate --model "$T/vec.igm" \
	--vectors "$T/uv.tsv" --tsv "$T/g3.tsv"
grep -v '^#' "$T/uv.tsv" | awk -F'\t' 'NR > 1 { printf "%s %s %s %s\n", $2, $3, $4, $5 }' >"$T/got"
awk -F'\t' '$1 == "user" { print $2, $3, $4, $5 } $1 == "item" { v[$2] = $3 " " $4 " " $5 }
	END { split(v[1], a, " "); split(v[2], b, " ")
		printf "7 %.9g %.9g %.9g\n", (2 * a[1] + b[1]) / 3, (2 * a[2] + b[2]) / 3, (2 * a[3] + b[3]) / 3 }' \
	"$T/vec.tsv" >"$T/want"
if awk 'NR == FNR { w[FNR] = $0; n = FNR; next }
	{ split(w[FNR], a, " "); for (c = 1; c <= 4; c++) { d = a[c] - $c; if (d < 0) d = -d; if (d > 1e-6) exit 1 } }
	END { if (n != FNR) exit 1 }' "$T/got" "$T/want"; then
	pass "trained users keep their vectors, a new one gets the weighted mean of its items'; users without either none"
else
	fail "trained users keep their vectors, a new one gets the weighted mean of its items'" "$(diff "$T/got" "$T/want")"
fi
expect "recommend --vectors from propagate" 0 ig recommend --model "$T/vec.igm" \
	--vectors "$T/uv.tsv" -k 3 --tsv "$T/g3.tsv"
rows() { grep -v '^#' "$1" | awk -F'\t' 'NR > 1 { print $2, $4, $5, $6 }'; }
rows "$T/out" >"$T/a"
ig recommend --model "$T/vec.igm" -k 3 --tsv "$T/g3.tsv" >"$T/o2"
rows "$T/o2" >"$T/b"
same "... the same lists as computing the vectors on the fly" "$T/a" "$T/b"
awk '$1 == 7 { s += 1 } END { exit s != 3 }' "$T/a" && pass "... the new user included" ||
	fail "... the new user included" "$(cat "$T/a")"
ig recommend --model "$T/vec.igm" -k 4 --tsv --threads 1 "$T/g3.tsv" | grep -v '^#' >"$T/t1"
ig recommend --model "$T/vec.igm" -k 4 --tsv --threads 2 "$T/g3.tsv" | grep -v '^#' >"$T/t2"
same "the embedding path gives the same lists with 1 and 2 threads" "$T/t1" "$T/t2"

# ---- a graph without categories ------------------------------------------------------------
grep -v 'category' "$T/g.tsv" | sealed >"$T/nc.tsv"
expect "a graph without item categories passes through" 0 ig propagate --model "$T/knn.igm" --tsv "$T/nc.tsv"
expect_err "... with a warning" "no item->category edges"
grep -v '^#' "$T/out" | sort >"$T/a"
grep -v '^#' "$T/nc.tsv" | sort >"$T/b"
same "... unchanged" "$T/a" "$T/b"

# ---- bad input -------------------------------------------------------------------------------
size=$(wc -c <"$T/g.igr")
for cut in 30 $((size / 2)) $((size - 1)); do
	head -c "$cut" "$T/g.igr" >"$T/cut.igr"
	expect "a graph cut at byte $cut exits 1" 1 ig propagate --model "$T/knn.igm" -o "$T/o.igr" "$T/cut.igr"
	expect_err "... saying it is truncated" "truncated"
done
[ ! -e "$T/o.igr" ] && pass "... and leaves no output file" || fail "... and leaves no output file"
head -c $(($(wc -c <"$T/ev.igr") - 2)) "$T/ev.igr" >"$T/cut_ev.igr"
expect "truncated --users-from events exit 1" 1 ig propagate --model "$T/knn.igm" --users-from "$T/cut_ev.igr" "$T/g.igr"
expect_err "... saying so" "truncated"
expect "no --model is a usage error" 2 ig propagate "$T/g.igr"
expect "--points 0 is a usage error" 2 ig propagate --model "$T/knn.igm" --points 0 "$T/g.igr"
finish
