#!/bin/sh
# The behaviour-sequence model end to end: trained on events, served from
# events (an event after training changes the next recommendation at
# once), interest points, explanations, checkpoint and resume, and the
# leave-one-out evaluation.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

# 60 users walk a cycle of 10 items (category item % 3) from a start and
# for 5 to 8 steps of a small LCG (ZX81's, the same in every awk): the
# next item is always the last + 1, which only the order of the events
# tells
events() { # events [extra TSV rows]
	{
		printf '#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\tvalue\n'
		awk 'BEGIN {
			b[0] = "view"; b[1] = "click"; b[2] = "cart"; x = 7
			for (u = 0; u < 60; u++) {
				x = (x * 75 + 74) % 65537; s = x % 10
				x = (x * 75 + 74) % 65537; n = 5 + x % 4
				for (t = 0; t < n; t++) {
					i = (s + t) % 10
					printf "%d\t%d\t%d\t%d\t%s\t1\n", 100 + t, u, i, i % 3, b[t % 3]
				}
			}
		}'
		[ $# -gt 0 ] && printf '%b' "$1"
	} | sealed
}
events >"$T/ev.tsv"
OPTS="--epochs 40 --dim 16 --heads 2 --blocks 1 --max-len 8 --batch 16 --lr 0.01 --dropout 0.1 --threads 1"

# shellcheck disable=SC2086
expect "seq trains on an events stream" 0 ig train --model seq $OPTS "$T/ev.tsv" -o "$T/m.igm"
expect "seq recommends from an events stream" 0 ig recommend --model "$T/m.igm" -k 3 --tsv "$T/ev.tsv"
cp "$T/out" "$T/recs"
# the next item of each user is their last + 1
awk -F'\t' '!/^#/ && $1 != "ts" { print $2, $3 }' "$T/ev.tsv" |
	awk '{ last[$1] = $2 } END { for (u in last) print u, (last[u] + 1) % 10 }' |
	sort -n >"$T/next"
right=$(awk -F'\t' 'NR == FNR { split($0, a, " "); want[a[1]] = a[2]; next }
	$1 == "user" && $6 == 1 && want[$2] == $4 { r++ } END { print r + 0 }' \
	"$T/next" "$T/recs")
if [ "$right" -ge 54 ]; then pass "the next item of (nearly) every user"; else fail "the next item of (nearly) every user" "$right of 60"; fi

# the same seed and threads give the same model
# shellcheck disable=SC2086
ig train --model seq $OPTS "$T/ev.tsv" -o "$T/m2.igm" 2>/dev/null
ig recommend --model "$T/m2.igm" -k 3 --tsv "$T/ev.tsv" 2>/dev/null | grep -v '^#' >"$T/recs2"
grep -v '^#' "$T/recs" >"$T/recs1"
same "the same seed gives the same recommendations" "$T/recs1" "$T/recs2"

# serving without retraining: user 3 buys item X (not their next) after
# training; their next item becomes X + 1, nobody else's list changes
x=$(awk '$1 == 3 { print ($2 + 4) % 10 }' "$T/next")
events "200\t3\t$x\t$((x % 3))\tbuy\t1\n" >"$T/ev2.tsv"
expect "a later event is served without retraining" 0 ig recommend --model "$T/m.igm" -k 3 --exclude none --tsv "$T/ev2.tsv"
top=$(awk -F'\t' '$1 == "user" && $2 == 3 && $6 == 1 { print $4 }' "$T/out")
if [ "$top" = $(((x + 1) % 10)) ]; then pass "user 3's next item follows the new event"; else fail "user 3's next item follows the new event" "got '$top' after $x"; fi
awk -F'\t' '!/^#/ && $2 != 3' "$T/out" >"$T/o1"
ig recommend --model "$T/m.igm" -k 3 --exclude none --tsv "$T/ev.tsv" 2>/dev/null |
	awk -F'\t' '!/^#/ && $2 != 3' >"$T/o2"
same "the other users' lists do not change" "$T/o1" "$T/o2"

# interest points and vectors from the current events
expect "igraph-propagate reads events for seq" 0 ig propagate --model "$T/m.igm" --tsv --vectors "$T/vec.tsv" "$T/ev2.tsv"
n=$(awk -F'\t' '$1 == "user" && $3 == "category"' "$T/out" | wc -l)
if [ "$n" -ge 60 ]; then pass "every user gets interest points"; else fail "every user gets interest points" "$n rows"; fi
c=$(awk -F'\t' '$1 == "user" && $2 == 3 && $3 == "category" { if ($5 > w) { w = $5; c = $4 } } END { print c }' "$T/out")
if [ "$c" = $(((x + 1) % 10 % 3)) ]; then pass "user 3's strongest interest is the next item's category"; else fail "user 3's strongest interest is the next item's category" "got '$c'"; fi
expect "igraph-recommend --explain works for seq" 0 ig recommend --model "$T/m.igm" -k 2 --explain --tsv "$T/ev.tsv"
n=$(awk -F'\t' '$1 == "item" && $3 == "item"' "$T/out" | wc -l)
if [ "$n" -gt 0 ]; then pass "explanations name items"; else fail "explanations name items" "none"; fi

# the wrong inputs
expect "seq does not train on a graph" 1 ig train --model seq "$T/vec.tsv" -o "$T/x.igm"
ig featurize "$T/ev.tsv" >"$T/g.igr" 2>/dev/null
expect "seq is not served from a graph" 1 ig recommend --model "$T/m.igm" "$T/g.igr"
expect_err "the error says to give events" "events stream"
expect "--heads must divide --dim" 2 ig train --model seq --dim 10 --heads 3 "$T/ev.tsv" -o "$T/x.igm"

# checkpoint and resume: 4 + 4 epochs give the model of 8
O8="--epochs 8 --dim 16 --heads 2 --blocks 1 --max-len 8 --batch 16 --lr 0.01 --threads 1"
# shellcheck disable=SC2086
ig train --model seq $O8 "$T/ev.tsv" -o "$T/m8.igm" 2>/dev/null
# shellcheck disable=SC2086
expect "a run with --checkpoint" 0 ig train --model seq $(echo "$O8" | sed 's/--epochs 8/--epochs 4/') --checkpoint "$T/ck" "$T/ev.tsv" -o "$T/m4.igm"
# shellcheck disable=SC2086
expect "--resume from it" 0 ig train --model seq $O8 --checkpoint "$T/ck" --resume "$T/ev.tsv" -o "$T/m8r.igm"
ig recommend --model "$T/m8.igm" -k 5 --tsv "$T/ev.tsv" 2>/dev/null | grep -v '^#' >"$T/r8"
ig recommend --model "$T/m8r.igm" -k 5 --tsv "$T/ev.tsv" 2>/dev/null | grep -v '^#' >"$T/r8r"
same "a resumed run ends with the uninterrupted run's model" "$T/r8" "$T/r8r"

# leave-one-out: split off the last event, validate on the one before
expect "split --last 1" 0 ig split --last 1 --train "$T/hist" --test "$T/test" "$T/ev.tsv"
ig split --last 1 --train "$T/train" --test "$T/valid" "$T/hist" 2>/dev/null
# shellcheck disable=SC2086
expect "seq trains with --valid" 0 ig train --model seq $OPTS --valid "$T/valid" -v "$T/train" -o "$T/mv.igm"
expect_err "validation is reported" "recall@20"
# shellcheck disable=SC2086
expect "--valid-seen ranks the seen items too" 0 ig train --model seq $OPTS --valid "$T/valid" --valid-seen -v "$T/train" -o "$T/mvs.igm"
ig recommend --model "$T/mv.igm" -k 20 "$T/hist" >"$T/loo" 2>/dev/null
expect "igraph-eval reports HR and NDCG" 0 ig eval --truth "$T/test" -k 10 "$T/loo"
hit=$(awk -F'\t' '$1 == "hit" && $2 == 10 { print $3 }' "$T/out")
if awk -v h="$hit" 'BEGIN { exit !(h >= 0.8) }'; then pass "HR@10 of the next event"; else fail "HR@10 of the next event" "$hit"; fi
ig recommend --model "$T/mv.igm" -k 20 --exclude zero "$T/hist" >"$T/looz" 2>/dev/null
ig eval --truth "$T/test" -k 10 "$T/looz" >"$T/ez" 2>/dev/null
same "the published protocol (history scored 0) agrees here" "$T/out" "$T/ez"
expect "--exclude zero ranks every item" 0 ig recommend --model "$T/mv.igm" -k 10 --exclude zero --tsv "$T/hist"
n=$(awk -F'\t' '$1 == "user" && $2 == 0' "$T/out" | wc -l)
z=$(awk -F'\t' 'NR == FNR { if ($2 == 0) h[$3] = 1; next } $1 == "user" && $2 == 0 && ($4 in h) && $5 == 0' "$T/hist" "$T/out" | wc -l)
h=$(awk -F'\t' '$2 == 0 { h[$3] = 1 } END { print length(h) }' "$T/hist")
if [ "$n" = 10 ] && [ "$z" = "$h" ]; then pass "history items stay with score 0"; else fail "history items stay with score 0" "$n listed, $z of $h at 0"; fi
expect "--exclude zero is for user lists" 2 ig recommend --model "$T/mv.igm" --exclude zero --audience /dev/null "$T/hist"
finish
