#!/bin/sh
# igraph-split in real pipelines on sample-data: every event lands in
# exactly one output, the three rules, both encodings, seeds, bad input.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

ig ingest --schema taobao --vocab "$T/V" "$TOP/sample-data/user_behavior.csv" \
	>"$T/ev.igr" 2>"$T/err" || fail "ingest sample-data" "$(cat "$T/err")"
ig cat "$T/ev.igr" >"$T/ev.tsv"
total=$(ig cat --count "$T/ev.igr" | cut -f1)
users=$(awk -F'\t' '!/^#/ && $1 != "ts" { u[$2] } END { print length(u) }' "$T/ev.tsv")

# counts NAME TRAIN TEST: train + test records = all events
counts() {
	a=$(ig cat --count "$2" | cut -f1)
	b=$(ig cat --count "$3" | cut -f1)
	if [ $((a + b)) = "$total" ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ]; then
		pass "$1: $a + $b = $total"
	else
		fail "$1: counts add up" "train $a + test $b != $total"
	fi
}

# 2017-12-02T00:00:00+08:00: the last two days are the test set
at=1512144000
for enc in binary tsv; do
	expect "--at ($enc)" 0 ig split --$enc --at 2017-12-02T00:00:00+08:00 \
		--train "$T/tr.$enc" --test "$T/te.$enc" "$T/ev.igr"
	counts "--at ($enc)" "$T/tr.$enc" "$T/te.$enc"
	bad=$(ig cat "$T/tr.$enc" | awk -F'\t' -v at=$at '!/^#/ && $1 != "ts" && $1 >= at' | wc -l)
	bad2=$(ig cat "$T/te.$enc" | awk -F'\t' -v at=$at '!/^#/ && $1 != "ts" && $1 < at' | wc -l)
	[ "$bad$bad2" = 00 ] && pass "--at cuts at the time ($enc)" ||
		fail "--at cuts at the time ($enc)" "$bad train events after, $bad2 test events before"
done
ig cat "$T/tr.binary" >"$T/a"
ig cat "$T/tr.tsv" | grep -v '^#PG\|^#end' >"$T/b"
grep -v '^#PG\|^#end' "$T/a" >"$T/a1"
same "--at: binary and TSV outputs hold the same events" "$T/a1" "$T/b"
grep -q '^#meta	split	train$' "$T/a" && grep -q '^#meta	split.rule	at 1512144000$' "$T/a" &&
	pass "--at output names its part and rule" || fail "--at output names its part and rule" "$(head -5 "$T/a")"
grep -q '^#PG	igraph-split' "$T/a" && grep -q '^#PG	igraph-ingest' "$T/a" &&
	pass "provenance kept and extended" || fail "provenance kept and extended"

# from TSV input, through stdin, train on stdout
ig split --at $at --train - --test "$T/te2" <"$T/ev.tsv" >"$T/tr2" 2>"$T/err"
[ $? = 0 ] && pass "--at from TSV on stdin, train to stdout" || fail "--at from TSV on stdin" "$(cat "$T/err")"
ig cat "$T/tr2" | grep -v '^#PG\|^#end' >"$T/c"
grep -v '^#PG\|^#end' "$T/a" >"$T/a2"
same "TSV input splits like binary" "$T/a2" "$T/c"

expect "--last 2" 0 ig split -v --last 2 --train "$T/tr" --test "$T/te" "$T/ev.igr"
counts "--last 2" "$T/tr" "$T/te"
expect_err "--last -v summary" "users.*test"
# each user has 2 test events (sample users have at least 3 events), and
# they are the user's newest
ig cat "$T/te" | awk -F'\t' '!/^#/ && $1 != "ts" { n[$2]++; if ($1 > t[$2]) t[$2] = $1 }
	END { for (u in n) if (n[u] != 2) bad++; print bad + 0, length(n) }' >"$T/o"
[ "$(cat "$T/o")" = "0 $users" ] && pass "--last 2: two test events per user" ||
	fail "--last 2: two test events per user" "$(cat "$T/o") (users $users)"
ig cat "$T/tr" | awk -F'\t' '!/^#/ && $1 != "ts" { if ($1 > t[$2]) t[$2] = $1 } END { for (u in t) print u "\t" t[u] }' | sort >"$T/trmax"
ig cat "$T/te" | awk -F'\t' '!/^#/ && $1 != "ts" { if (!($2 in t) || $1 < t[$2]) t[$2] = $1 } END { for (u in t) print u "\t" t[u] }' | sort >"$T/temin"
join "$T/trmax" "$T/temin" | awk '$2 > $3 { bad++ } END { exit bad > 0 }' &&
	pass "--last: test events are each user's newest" || fail "--last: test events are each user's newest"

for seed in 1 2; do
	expect "--fraction seed $seed" 0 ig split --fraction 0.2 --seed $seed \
		--train "$T/f$seed.tr" --test "$T/f$seed.te" "$T/ev.igr"
	counts "--fraction seed $seed" "$T/f$seed.tr" "$T/f$seed.te"
done
ig split --fraction 0.2 --seed 1 --train "$T/g.tr" --test "$T/g.te" "$T/ev.igr"
for f in f1 f2 g; do ig cat "$T/$f.te" | grep -v '^#' >"$T/$f.rec"; done
same "--fraction is reproducible" "$T/f1.rec" "$T/g.rec"
cmp -s "$T/f1.rec" "$T/f2.rec" && fail "another seed, another split" || pass "another seed, another split"
n=$(ig cat --count "$T/f1.te" | cut -f1)
near "--fraction 0.2 puts about a fifth in test" "$n" "$((total / 5))" "$((total / 50))"
expect "--fraction 0 leaves test empty" 0 ig split --fraction 0 --train "$T/z.tr" --test "$T/z.te" "$T/ev.igr"
[ "$(ig cat --count "$T/z.te" | cut -f1)" = 0 ] && pass "empty test stream is valid" || fail "empty test stream is valid"

# bad input: exit 1 with a message, and no output file left behind
ig featurize "$T/ev.igr" >"$T/graph.igr"
rm -f "$T/x.tr" "$T/x.te"
expect "a graph is not events" 1 ig split --at $at --train "$T/x.tr" --test "$T/x.te" "$T/graph.igr"
expect_err "wrong kind message" "expected an events stream, got graph"
[ ! -e "$T/x.tr" ] && [ ! -e "$T/x.te" ] && pass "no output after an error" || fail "no output after an error"
head -c 100000 "$T/ev.igr" >"$T/cut.igr"
for rule in "--at $at" "--last 1" "--fraction 0.5"; do
	expect "truncated input ($rule)" 1 ig split $rule --train "$T/x.tr" --test "$T/x.te" "$T/cut.igr"
	expect_err "truncated input message ($rule)" "truncated"
	[ ! -e "$T/x.tr" ] && [ ! -e "$T/x.te" ] && pass "no output after truncation ($rule)" ||
		fail "no output after truncation ($rule)"
done
: >"$T/empty"
expect "empty input" 1 ig split --at $at --train "$T/x.tr" --test "$T/x.te" "$T/empty"
expect_err "empty input message" "empty input"

expect "no rule" 2 ig split --train "$T/x.tr" --test "$T/x.te" "$T/ev.igr"
expect "two rules" 2 ig split --at 1 --last 1 --train "$T/x.tr" --test "$T/x.te" "$T/ev.igr"
expect "no --test" 2 ig split --at 1 --train "$T/x.tr" "$T/ev.igr"
expect "both outputs on stdout" 2 ig split --at 1 --train - --test - "$T/ev.igr"
expect "the same file twice" 2 ig split --at 1 --train "$T/x" --test "$T/x" "$T/ev.igr"
expect "--fraction out of range" 2 ig split --fraction 1.5 --train "$T/x.tr" --test "$T/x.te" "$T/ev.igr"
expect "--last 0" 2 ig split --last 0 --train "$T/x.tr" --test "$T/x.te" "$T/ev.igr"
expect "--at not a time" 2 ig split --at yesterday --train "$T/x.tr" --test "$T/x.te" "$T/ev.igr"
finish
