#!/bin/sh
# The graph filter's tuner (igraph-train --model gf, and itemknn --tune):
# it chooses on a
# holdout of the training graph (the newest edges when the graph has
# times), records what it tried and what won, takes every setting the
# user gives as fixed, never reads anything but its input (the model is
# the same with or without a test file beside it), and --no-tune keeps
# the fixed defaults.
. "$(dirname "$0")/lib.sh"

ig gen --users 300 --items 200 --events 12000 --seed 5 -o "$T/log.csv"
ig ingest --schema taobao -q -o "$T/ev.igr" "$T/log.csv"
# the last day held out
ig split --at 1512230400 --train "$T/train.igr" --test "$T/test.igr" "$T/ev.igr"
ig featurize -o "$T/g.igr" "$T/train.igr"

served() { # MODEL -> top-10 lists as TSV
	ig recommend --model "$1" -k 10 --tsv "$T/g.igr" | grep -v '^#'
}

expect "tuned gf trains" 0 ig train --model gf -v --rank 32 -o "$T/a.igm" "$T/g.igr"
expect_err "-v prints the settings tried" "gf: tune: cheby degree=8"
expect_err "-v prints the choice" "gf: tune: chose "
expect_err "a graph with times: the newest edges held out" "newest edges held out"
if grep -a -q '"tune"' "$T/a.igm" && grep -a -q '"chosen"' "$T/a.igm" &&
	grep -a -q '"tried"' "$T/a.igm"; then
	pass "the model records what was tried and what won"
else
	fail "the model records what was tried and what won"
fi

# the tuner never looks at the test file: without it, the same model
mv "$T/test.igr" "$T/test.moved"
expect "again without the test file" 0 ig train --model gf --rank 32 -o "$T/b.igm" "$T/g.igr"
served "$T/a.igm" >"$T/ra"
served "$T/b.igm" >"$T/rb"
if [ -s "$T/ra" ] && cmp -s "$T/ra" "$T/rb"; then
	pass "same model whether or not the test file exists"
else
	fail "same model whether or not the test file exists"
fi
mv "$T/test.moved" "$T/test.igr"

# given settings are fixed; the rest is tuned
expect "a fixed family" 0 ig train --model gf -v --rank 32 --filter bspm --sharpen 1 -o "$T/c.igm" "$T/g.igr"
expect_err "the tuner keeps it" "chose bspm sharpen=1 "
if tr '\r' '\n' <"$T/err" | grep "gf: tune:" | grep -q "cheby"; then
	fail "no other family tried"
else
	pass "no other family tried"
fi

# --no-tune: no holdout, the fixed defaults (BSPM's Gowalla setting)
expect "--no-tune" 0 ig train --model gf -v --no-tune --rank 32 -o "$T/d.igm" "$T/g.igr"
if grep -q "gf: tune" "$T/err"; then
	fail "--no-tune tunes nothing"
else
	pass "--no-tune tunes nothing"
fi
if grep -a -q '"filter":"bspm"' "$T/d.igm" && grep -a -q '"sharpen":2.5' "$T/d.igm"; then
	pass "--no-tune keeps the BSPM defaults"
else
	fail "--no-tune keeps the BSPM defaults"
fi
expect "every setting given: nothing to tune" 0 ig train --model gf -v --filter cheby --rank 32 --beta 0.1 --norm 0.2 --flatness 2 -o "$T/e.igm" "$T/g.igr"
if grep -q "gf: tune" "$T/err"; then
	fail "nothing tuned when all is given"
else
	pass "nothing tuned when all is given"
fi

expect "a bad family" 2 ig train --model gf --filter fourier -o "$T/x.igm" "$T/g.igr"
expect_err "names the choices" "cheby"
expect "tune-users too small" 2 ig train --model gf --tune-users 3 -o "$T/x.igm" "$T/g.igr"

# the memory budget (--memory, IGRAPH_MEMORY): a fit that cannot fit is
# refused with the figures, before any work; bad sizes are usage errors
expect "--memory too small for any rank" 1 ig train --model gf --memory 1M -o "$T/m.igm" "$T/g.igr"
expect_err "... says what it needs and the budget" "more than the"
[ ! -e "$T/m.igm" ] && pass "... and writes no model" || fail "... and writes no model"
expect "--memory as a share of physical memory" 0 ig train --model gf --no-tune --rank 32 --memory 50% -o "$T/m.igm" "$T/g.igr"
expect "--memory that is not a size" 2 ig train --model gf --memory 12x -o "$T/m.igm" "$T/g.igr"
expect_err "... names it" "--memory: '12x' is not a size"
expect "IGRAPH_MEMORY that is not a size" 2 env IGRAPH_MEMORY=lots "$IGRAPH_BIN/igraph-train" --model gf -o "$T/m.igm" "$T/g.igr"

# itemknn --tune: the same holdout for its neighbours and shrinkage
expect "itemknn --tune" 0 ig train --model itemknn --tune -v -o "$T/k.igm" "$T/g.igr"
expect_err "itemknn: the choice printed" "itemknn: tune: chose neighbours="
if grep -a -q '"chosen"' "$T/k.igm"; then
	pass "itemknn: the choice recorded"
else
	fail "itemknn: the choice recorded"
fi
expect "itemknn --tune with --neighbours given" 0 ig train --model itemknn --tune -v --neighbours 50 -o "$T/k2.igm" "$T/g.igr"
expect_err "the given value stays" "chose neighbours=50 "

# the tuned model serves and evaluates
served "$T/a.igm" >/dev/null
expect "eval of the tuned lists" 0 sh -c "'$IGRAPH_BIN/igraph-recommend' --model '$T/a.igm' -k 20 '$T/g.igr' | '$IGRAPH_BIN/igraph-eval' --truth '$T/test.igr' -k 20"

finish
