#!/bin/sh
# The purchase ranker end to end: igraph-pairs (columns, labels, the cut,
# candidates, history, errors), igraph-train --model mlp, igraph-recommend
# --rerank / --predict, igraph-eval's probability metrics; on the synthetic
# sample log, and on the real UserBehavior histories when they are there.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail
SD=$TOP/sample-data
DAY=86400
D0=1511539200 # 2017-11-25 00:00 in China time: the logs' day 0

# ---- a small log by hand ----------------------------------------------------
# user 1: item 10 viewed 2 h and 1 h before the cut (T = D0 + 2 days), carted
# 30 min before; bought at the cut (a label) and again 2 days later (no
# label).  user 2: item 11 viewed a day before.
C=$((D0 + 2 * DAY)) # the cut
hand=$T/hand.tsv
{
	printf '#igraph events 1.0\nts\tuser\titem\tcategory\tbehavior\tvalue\n'
	printf '%s\t1\t10\t5\tview\t1\n' $((C - 7200)) $((C - 3600))
	printf '%s\t1\t10\t5\tcart\t1\n' $((C - 1800))
	printf '%s\t2\t11\t5\tview\t1\n' $((C - DAY))
	printf '%s\t1\t10\t5\tbuy\t1\n' "$C"
	printf '%s\t1\t10\t5\tbuy\t1\n' $((C + 2 * DAY))
	printf '%s\t2\t12\t6\tfav\t1\n' $((C + 3600))
} | seal_raw >"$hand"
{
	printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\n'
	printf 'user\t2\titem\t12\t0.5\t1\nuser\t2\titem\t10\t0.25\t2\n'
} | seal_raw >"$T/cand.tsv"

expect "pairs from history and candidates" 0 \
	ig pairs --at "$C" --history 5 --candidates "$T/cand.tsv" --tsv "$hand"
cp "$T/out" "$T/p.tsv"
col() { awk -F '\t' -v c="$1" '/^#/ { next } !h { for (i = 1; i <= NF; i++) if ($i == c) k = i; h = 1; next } { print $1 ":" $2 "=" $k }' "$T/p.tsv" | tr '\n' ' '; }
if [ "$(col label)" = "1:10=buy 2:12=fav 2:10=- 2:11=- " ]; then
	pass "pairs: users in order, listed before history, labels of the period only"
else
	fail "pairs: users in order, listed before history, labels of the period only" "$(col label)"
fi
if [ "$(col ui_view_n)" = "1:10=2 2:12=0 2:10=0 2:11=1 " ] &&
	[ "$(col ui_cart_age)" = "1:10=0.5 2:12=nan 2:10=nan 2:11=nan " ] &&
	[ "$(col graph_rank)" = "1:10=1 2:12=1 2:10=2 2:11=3 " ] &&
	[ "$(col uc_view_n)" = "1:10=2 2:12=0 2:10=1 2:11=1 " ]; then
	pass "pairs: counts, ages in hours, ranks, category totals"
else
	fail "pairs: counts, ages in hours, ranks, category totals" \
		"$(col ui_view_n)" "$(col ui_cart_age)" "$(col graph_rank)" "$(col uc_view_n)"
fi
grep -q "^#meta	cut	$C\$" "$T/p.tsv" && grep -q '^#meta	half_life	259200$' "$T/p.tsv" &&
	grep -q '^user	item	label	ui_view_n	ui_view_w	ui_view_age' "$T/p.tsv" &&
	pass "pairs: header meta and named columns" ||
	fail "pairs: header meta and named columns" "$(head -n 12 "$T/p.tsv")"

# the cut: events at or after it change no feature
{
	grep -v '^#end' "$hand"
	printf '%s\t1\t10\t9\tcart\t1\n' "$C" $((C + 60)) $((C + 5 * DAY))
	printf '%s\t3\t10\t5\tview\t1\n' $((C + 10))
} | seal_raw >"$T/more.tsv"
expect "pairs with more events after the cut" 0 \
	ig pairs --at "$C" --history 5 --candidates "$T/cand.tsv" --tsv "$T/more.tsv"
cut -f 1,2,4- "$T/p.tsv" | grep -v '^#' >"$T/a"
cut -f 1,2,4- "$T/out" | grep -v '^#' >"$T/b"
same "pairs: events at or after the cut change no feature" "$T/a" "$T/b"

# both encodings hold the same pairs
ig pairs --at "$C" --history 5 --candidates "$T/cand.tsv" --binary "$hand" |
	ig cat >"$T/c.tsv" 2>"$T/err"
grep -v '^#PG\|^#end' "$T/p.tsv" >"$T/a"
grep -v '^#PG\|^#end' "$T/c.tsv" >"$T/b"
same "pairs: binary and TSV agree" "$T/a" "$T/b"

expect "pairs: --label-period 0 writes no labels" 0 \
	ig pairs --at "$C" --history 5 --label-period 0 --tsv "$hand"
[ "$(grep -v '^#' "$T/out" | tail -n +2 | cut -f 3 | sort -u)" = "-" ] &&
	pass "pairs: no labels are '-'" || fail "pairs: no labels are '-'"
expect "pairs: --top keeps the best ranks" 0 \
	ig pairs --at "$C" --top 1 --candidates "$T/cand.tsv" --tsv "$hand"
[ "$(grep -v '^#' "$T/out" | tail -n +2 | cut -f 1,2 | tr '\t\n' ': ')" = "2:12 " ] &&
	pass "pairs: --top 1 gives one pair" || fail "pairs: --top 1 gives one pair" "$(cat "$T/out")"

# errors
expect "pairs without --at" 2 ig pairs --history 5 "$hand"
expect "pairs without candidates or history" 2 ig pairs --at "$C" "$hand"
expect "pairs: --model without --graph" 2 ig pairs --at "$C" --history 1 --model x "$hand"
expect "pairs: bad --half-life" 2 ig pairs --at "$C" --history 1 --half-life 0 "$hand"
expect "pairs: --short longer than --long" 2 ig pairs --at "$C" --history 1 --short 8d "$hand"
{ head -n 1 "$T/cand.tsv"; printf '#meta\tnow\t%s\n' $((C + 1)); tail -n +2 "$T/cand.tsv"; } | sealed >"$T/late.tsv"
expect "pairs: candidates from after the cut" 1 ig pairs --at "$C" --candidates "$T/late.tsv" "$hand"
expect_err "pairs: names the look-ahead" "after the cut"
printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nitem\t2\tuser\t12\t0.5\t1\n' | seal_raw >"$T/aud.tsv"
expect "pairs: audience rows are not candidates" 1 ig pairs --at "$C" --candidates "$T/aud.tsv" "$hand"
ig pairs --at "$C" --history 5 --binary "$hand" | head -c 200 >"$T/cut.igr"
expect "a truncated pairs stream is an error" 1 ig cat "$T/cut.igr"

# ---- the sample log: train, rerank, predict, evaluate -------------------------
if [ ! -f "$SD/user_behavior.csv" ]; then
	skip "ranker on the sample log" "no $SD/user_behavior.csv"
	finish
	exit
fi
ig ingest --schema taobao --vocab "$T/V" -o "$T/ev.igr" "$SD/user_behavior.csv" 2>"$T/err" &&
	ig ingest --kind items --columns item=1,category=2,price=3,title=4 --no-header \
		--vocab "$T/V" -o "$T/items.igr" "$SD/items.csv" 2>>"$T/err" ||
	fail "ingest the sample log" "$(cat "$T/err")"
# pairs of cut d: the top N of model M (pop) of the events before it, and
# the user's N most recent items
cutpairs() {
	_at=$((D0 + $1 * DAY))
	_m=${M:-pop} _n=${N:-30}
	ig split --at "$_at" --train "$T/before.igr" --test "$T/after.igr" "$T/ev.igr" &&
		ig split --at $((_at + DAY)) --train "$T/day$1.igr" --test /dev/null "$T/after.igr" &&
		ig featurize "$T/before.igr" >"$T/g$1.igr" &&
		ig train --model "$_m" -o "$T/pop$1.igm" "$T/g$1.igr" &&
		ig recommend --model "$T/pop$1.igm" -k "$_n" --exclude none "$T/g$1.igr" >"$T/c$1.igr" &&
		ig pairs --at "$_at" --candidates "$T/c$1.igr" --history "$_n" \
			$ITEMS "$T/ev.igr" >"$T/p$1.igr"
}
ok=1
ITEMS="--items $T/items.igr"
for d in 4 5 6 7 8; do cutpairs $d 2>"$T/err" || ok=0; done
if [ $ok = 1 ]; then
	pass "pairs of five cuts of the sample log"
else
	fail "pairs of five cuts of the sample log" "$(cat "$T/err")"
fi
ig cat "$T/p8.igr" | grep '^#meta	features' | grep -q ',price,tok0,' &&
	pass "a catalogue with titles adds price and token columns" ||
	fail "a catalogue with titles adds price and token columns"
ig cat --binary "$T/p4.igr" "$T/p5.igr" "$T/p6.igr" >"$T/train.igr"
expect "train the ranker" 0 ig train --model mlp --valid "$T/p7.igr" --epochs 8 \
	-v -o "$T/r.igm" "$T/train.igr"
expect "train the ranker stopping on the grouped NDCG" 0 ig train --model mlp \
	--valid "$T/p7.igr" --epochs 3 --stop ndcg -o "$T/r2.igm" "$T/train.igr"
if grep -a -q '"stop":"ndcg"' "$T/r2.igm" &&
	grep -a -o '"valid_ndcg":[0-9.e-]*' "$T/r2.igm" |
	awk -F: '{ n++; if (!($2 > 0 && $2 <= 1)) bad = 1 } END { exit bad || n != 1 }'; then
	pass "--stop ndcg: recorded with the validation NDCG"
else
	fail "--stop ndcg: recorded with the validation NDCG" "$(grep -a -o '"valid_[a-z]*":[^,]*' "$T/r2.igm")"
fi
expect "--stop: an unknown score is a usage error" 2 ig train --model mlp --valid "$T/p7.igr" \
	--stop map -o "$T/r3.igm" "$T/train.igr"
grep -q "not auc, logloss, ndcg or gauc" "$T/err" &&
	pass "--stop: the error names the scores" ||
	fail "--stop: the error names the scores" "$(cat "$T/err")"
expect "rerank" 0 ig recommend --rerank "$T/r.igm" -k 5 --tsv "$T/p8.igr"
cp "$T/out" "$T/rr.tsv"
grep -q '^#meta	score	probability$' "$T/rr.tsv" && grep -q '^#meta	mode	rerank$' "$T/rr.tsv" &&
	pass "rerank: the scores are marked as probabilities" ||
	fail "rerank: the scores are marked as probabilities" "$(head -n 8 "$T/rr.tsv")"
if awk -F '\t' '$1 == "user" { if (n == 0 || $2 != u) { u = $2; r = 0; prev = 2 }
		n++; r++; if ($6 != r || $5 > prev || $5 < 0 || $5 > 1 || r > 5) bad = 1; prev = $5 }
		END { exit bad || !n }' "$T/rr.tsv"; then
	pass "rerank: at most k per user, ranked by probability"
else
	fail "rerank: at most k per user, ranked by probability" "$(head -n 20 "$T/rr.tsv")"
fi
expect "predict" 0 ig recommend --rerank "$T/r.igm" --predict --tsv "$T/p8.igr"
cp "$T/out" "$T/pr.tsv"
ig cat "$T/p8.igr" | grep -v '^#' | tail -n +2 | cut -f 1,2 >"$T/a"
grep '^user' "$T/pr.tsv" | cut -f 2,4 >"$T/b"
same "predict: every pair, in input order" "$T/a" "$T/b"
# the reranked top 5 are the 5 most probable pairs of each user
awk -F '\t' '$1 == "user" && $6 <= 5 { print $2 "\t" $4 }' "$T/pr.tsv" | sort >"$T/a"
awk -F '\t' '$1 == "user" { print $2 "\t" $4 }' "$T/rr.tsv" | sort >"$T/b"
same "predict ranks agree with rerank" "$T/a" "$T/b"
expect "evaluate the probabilities" 0 ig eval --truth "$T/day8.igr" --behavior buy -k 5 "$T/pr.tsv"
auc=$(awk '$1 == "auc" { print $3 }' "$T/out")
if awk -v a="$auc" 'BEGIN { exit !(a > 0.75) }'; then
	pass "the ranker separates next-day purchases (AUC $auc)"
else
	fail "the ranker separates next-day purchases (AUC $auc)" "$(cat "$T/out")"
fi

# an embedding model adds its vectors' dot product and cosine; its graph
# must not hold events at or after the cut
A8=$((D0 + 8 * DAY))
if ig train --model mf --epochs 2 -o "$T/mf.igm" "$T/g8.igr" 2>"$T/err"; then
	ig recommend --model "$T/mf.igm" -k 10 --exclude none "$T/g8.igr" >"$T/cmf.igr"
	expect "pairs with an embedding model" 0 ig pairs --at "$A8" --candidates "$T/cmf.igr" \
		--history 10 --model "$T/mf.igm" --graph "$T/g8.igr" --tsv "$T/ev.igr"
	if awk -F '\t' '/^#/ { next } !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1
			if (!c["emb_dot"] || !c["emb_cos"]) exit 1; next }
		{ n++; if ($(c["emb_cos"]) != "nan" && ($(c["emb_cos"]) > 1.0001 || $(c["emb_cos"]) < -1.0001)) exit 1 }
		END { exit !n }' "$T/out"; then
		pass "pairs: emb_dot and emb_cos columns"
	else
		fail "pairs: emb_dot and emb_cos columns" "$(head -n 14 "$T/out" | cut -c 1-200)"
	fi
	ig featurize "$T/ev.igr" >"$T/gall.igr"
	expect "pairs: a graph with events after the cut" 1 ig pairs --at "$A8" \
		--candidates "$T/cmf.igr" --model "$T/mf.igm" --graph "$T/gall.igr" "$T/ev.igr"
	expect_err "pairs: says it is look-ahead" "after the cut"
else
	skip "pairs with an embedding model" "no mf model: $(head -n 1 "$T/err")"
fi

# the ranker checks what it is given
ig pairs --at $((D0 + 8 * DAY)) --candidates "$T/c8.igr" --history 30 --half-life 1d \
	--items "$T/items.igr" "$T/ev.igr" >"$T/hl.igr"
expect "rerank refuses another half-life" 1 ig recommend --rerank "$T/r.igm" "$T/hl.igr"
expect_err "rerank names the setting" "half_life"
ig pairs --at $((D0 + 8 * DAY)) --candidates "$T/c8.igr" --history 30 "$T/ev.igr" >"$T/noitems.igr"
expect "rerank refuses other columns" 1 ig recommend --rerank "$T/r.igm" "$T/noitems.igr"
expect_err "rerank names the column" "feature"
expect "rerank with a graph model" 1 ig recommend --rerank "$T/pop8.igm" "$T/p8.igr"
expect "rerank of a graph stream" 1 ig recommend --rerank "$T/r.igm" "$T/g8.igr"
expect "a ranker serves no graph" 1 ig recommend --model "$T/r.igm" "$T/g8.igr"
expect_err "and says so" "mlp"
expect "--rerank with graph options" 2 ig recommend --rerank "$T/r.igm" --exclude seen "$T/p8.igr"
expect "--predict alone" 2 ig recommend --predict "$T/p8.igr"
expect "mlp from a graph stream" 1 ig train --model mlp -o "$T/x.igm" "$T/g8.igr"
expect "mlp: bad --hidden" 2 ig train --model mlp --hidden 64,x -o "$T/x.igm" "$T/train.igr"
expect "mlp: bad --label" 2 ig train --model mlp --label bye -o "$T/x.igm" "$T/train.igr"
expect "mlp: --dropout out of range" 2 ig train --model mlp --dropout 1 -o "$T/x.igm" "$T/train.igr"
expect "mlp: bad --activation, refused before the input is opened" 2 \
	ig train --model mlp --activation swish -o "$T/x.igm" "$T/no-such-file.igr"
expect_err "mlp: names the activations" "not relu, tanh or sigmoid"
expect "pop: bad --popularity, refused before the input is opened" 2 \
	ig train --model pop --popularity clicks -o "$T/x.igm" "$T/no-such-file.igr"
expect_err "pop: names the choices" "not 'weight' or 'users'"
[ ! -e "$T/x.igm" ] && pass "no model file is left by a refused option" ||
	fail "no model file is left by a refused option" "$(ls -l "$T/x.igm")"
expect "itemknn refuses mlp options" 2 ig train --model itemknn --hidden 8 -o "$T/x.igm" "$T/g8.igr"
expect "mlp: no positives" 1 ig train --model mlp --label review -o "$T/x.igm" "$T/train.igr"
expect_err "mlp: says why" "positive"
# the same seed gives the same ranker
ig train --model mlp --threads 1 --epochs 2 -o "$T/s1.igm" "$T/p6.igr" 2>/dev/null
ig train --model mlp --threads 1 --epochs 2 -o "$T/s2.igm" "$T/p6.igr" 2>/dev/null
ig recommend --rerank "$T/s1.igm" --tsv "$T/p8.igr" | grep -v '^#PG\|^#end' >"$T/a"
ig recommend --rerank "$T/s2.igm" --tsv "$T/p8.igr" | grep -v '^#PG\|^#end' >"$T/b"
same "the same seed gives the same ranker" "$T/a" "$T/b"

# ---- the real UserBehavior histories: better than the candidates' order ----
ub=$DATA/taobao-userbehavior/UserBehavior_head_814users.csv
if [ ! -f "$ub" ]; then
	skip "ranker on UserBehavior" "no $ub"
else
	ig ingest --schema taobao --vocab "$T/VU" -o "$T/ev.igr" "$ub" 2>/dev/null
	ITEMS=
	for d in 4 5 6 7 8; do
		M=itemknn N=100 cutpairs $d 2>"$T/err" || fail "UserBehavior pairs" "$(cat "$T/err")"
	done
	ig cat --binary "$T/p4.igr" "$T/p5.igr" "$T/p6.igr" >"$T/train.igr"
	ig train --model mlp --valid "$T/p7.igr" -o "$T/u.igm" "$T/train.igr" 2>"$T/err" ||
		fail "UserBehavior ranker" "$(cat "$T/err")"
	ig recommend --rerank "$T/u.igm" --predict "$T/p8.igr" >"$T/up.igr"
	ig recommend --rerank "$T/u.igm" -k 20 "$T/p8.igr" >"$T/ur.igr"
	auc=$(ig eval --truth "$T/day8.igr" --behavior buy "$T/up.igr" | awk '$1 == "auc" { print $3 }')
	nr=$(ig eval --truth "$T/day8.igr" --behavior buy -k 20 "$T/ur.igr" | awk '$1 == "ndcg" { print $3 }')
	np=$(ig eval --truth "$T/day8.igr" --behavior buy -k 20 "$T/c8.igr" | awk '$1 == "ndcg" { print $3 }')
	if awk -v a="$auc" -v r="$nr" -v p="$np" 'BEGIN { exit !(a > 0.85 && r > p) }'; then
		pass "UserBehavior day 8: AUC $auc, NDCG@20 $nr over item-kNN's $np"
	else
		fail "UserBehavior day 8: AUC $auc, NDCG@20 $nr over item-kNN's $np"
	fi
fi
finish
