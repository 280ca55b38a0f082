#!/bin/sh
# The pipeline of the pipeline issue on Gowalla (the LightGCN split):
# ingest -> featurize -> train -> recommend -> eval, with item-kNN above
# the published bar (recall@20 0.1570, ndcg@20 0.1214) and popularity
# near recall@20 0.04.  Skips without the data or the other stages.
. "$(dirname "$0")/lib.sh"

G=$DATA/gowalla
missing=
for b in ingest featurize train recommend eval; do
	[ -x "$IGRAPH_BIN/igraph-$b" ] || missing="$missing igraph-$b"
done
if [ ! -f "$G/train.txt" ]; then
	skip "Gowalla pipeline" "no $G (real data are not shipped)"
elif [ -n "$missing" ]; then
	skip "Gowalla pipeline" "not built:$missing"
elif [ -n "${IGRAPH_WRAP:-}" ]; then
	skip "Gowalla pipeline" "too slow under $IGRAPH_WRAP"
else
	if ig ingest --format adjlist --vocab "$T/V" "$G/train.txt" >"$T/train.igr" 2>"$T/err" &&
		ig ingest --format adjlist --vocab "$T/V" "$G/test.txt" >"$T/test.igr" 2>>"$T/err" &&
		ig featurize "$T/train.igr" >"$T/graph.igr" 2>>"$T/err" &&
		ig train --model itemknn "$T/graph.igr" -o "$T/knn.igm" 2>>"$T/err" &&
		ig recommend --model "$T/knn.igm" -k 20 "$T/graph.igr" >"$T/recs.igr" 2>>"$T/err" &&
		ig eval --truth "$T/test.igr" -k 20 "$T/recs.igr" >"$T/m" 2>>"$T/err"; then
		pass "Gowalla pipeline runs"
		r=$(awk '$1 == "recall" && $2 == 20 { print $3 }' "$T/m")
		n=$(awk '$1 == "ndcg" && $2 == 20 { print $3 }' "$T/m")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.1570) }' && pass "item-kNN recall@20 $r >= 0.1570" ||
			fail "item-kNN recall@20 >= 0.1570" "$(cat "$T/m")"
		awk -v n="$n" 'BEGIN { exit !(n >= 0.1214) }' && pass "item-kNN ndcg@20 $n >= 0.1214" ||
			fail "item-kNN ndcg@20 >= 0.1214" "$(cat "$T/m")"
		grep -q '^users	-	29858$' "$T/m" && pass "every user evaluated" || fail "every user evaluated"
		ig recommend --model "$T/knn.igm" -k 20 --tsv "$T/graph.igr" >"$T/recs.tsv"
		ig eval --truth "$T/test.igr" -k 20 "$T/recs.tsv" >"$T/m2"
		same "the TSV recommendations give identical metrics" "$T/m" "$T/m2"
	else
		fail "Gowalla pipeline runs" "$(tail -n 5 "$T/err")"
	fi
	if [ -f "$T/graph.igr" ] && ig train --model pop "$T/graph.igr" -o "$T/pop.igm" &&
		ig recommend --model "$T/pop.igm" -k 20 "$T/graph.igr" >"$T/pop.igr" &&
		ig eval --truth "$T/test.igr" -k 20 "$T/pop.igr" >"$T/pm"; then
		r=$(awk '$1 == "recall" && $2 == 20 { print $3 }' "$T/pm")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.035 && r <= 0.045) }' &&
			pass "popularity recall@20 $r is near 0.04" ||
			fail "popularity recall@20 is near 0.04" "$(cat "$T/pm")"
	else
		fail "Gowalla popularity runs"
	fi
fi
finish
