#!/bin/sh
# Reliability of the outputs (issue 12, classes 4 and 6): concurrent
# writers of one output, one path named twice, the two outputs of
# igraph-split, modes kept, signals, stale temporaries of killed runs,
# memory limits, and the injection shim's close and Nth-rename failures.
. "$(dirname "$0")/lib.sh"

INJ=${IGRAPH_TESTBIN:-$TOP/build/tests}/libinject.so
wrapped() { [ "${IGRAPH_SANITIZE:-0}" = 1 ] || [ -n "${IGRAPH_WRAP:-}" ]; }

# notmp NAME FILE: no FILE.tmp.* and no FILE.lock left behind.
notmp() {
	_l=$(ls "$2".tmp.* "$2".lock 2>/dev/null)
	if [ -z "$_l" ]; then
		pass "$1"
	else
		fail "$1" "left behind: $_l"
	fi
}

# kept NAME FILE: FILE still holds "old contents".
kept() {
	if [ "$(cat "$2" 2>/dev/null)" = "old contents" ]; then
		pass "$1"
	else
		fail "$1" "$2 changed: $(head -c 80 "$2" | od -c | head -n 2)"
	fi
}

old() { for _f; do printf 'old contents\n' >"$_f"; done; }

# bg TOOL ARGS...: start an igraph command in the background as the
# process $! itself (not a subshell), with the default action for every
# signal (a non-interactive shell ignores SIGINT in background jobs).
bg() {
	_t=$1
	shift
	if env --default-signal=INT true 2>/dev/null; then
		env --default-signal "$IGRAPH_BIN/igraph-$_t" "$@" &
	else
		"$IGRAPH_BIN/igraph-$_t" "$@" &
	fi
}

# hold [FILE]: keep the FIFO open for writing in the background, after
# writing FILE to it for writing in the background (a reader waits
# for input, never for end of file); unhold ends it.
hold() {
	{ [ $# = 0 ] || cat "$1"; exec sleep 60; } >"$T/fifo" &
	holder=$!
}
unhold() {
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
}

# waitfor FILE: until FILE exists (at most 10 s).
waitfor() {
	_i=0
	while [ ! -e "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# Inputs: a generated log ingested, split in days, featurized.
ig gen --users 300 --seed 7 -o "$T/ev.csv" --items-out "$T/items.csv"
ig ingest --schema taobao --vocab "$T/V" -o "$T/ev.igr" "$T/ev.csv" 2>/dev/null
ig split --at 2017-11-30T00:00:00+08:00 --train "$T/d1.igr" --test "$T/rest.igr" "$T/ev.igr"
ig split --at 2017-12-02T00:00:00+08:00 --train "$T/d2.igr" --test "$T/d3.igr" "$T/rest.igr"
ig featurize -o "$T/g1.igr" "$T/d1.igr"
ig train --model pop -o "$T/pop.igm" "$T/g1.igr"

# ---- class 4: concurrent writers --------------------------------------

# The daily merge onto the same graph, twice at once.  The first run holds
# the graph's lock from its start and waits on a FIFO for its events; the
# second must fail at once without reading the base, and the first's
# result is base + its own events.
cp "$T/g1.igr" "$T/g.igr"
mkfifo "$T/fifo"
bg featurize --base "$T/g.igr" -o "$T/g.igr" "$T/fifo" 2>"$T/err1"
first=$!
waitfor "$T/g.igr.lock"
start=$(date +%s)
expect "a second merge onto the same graph exits 1" 1 \
	ig featurize --base "$T/g.igr" -o "$T/g.igr" "$T/d3.igr"
expect_err "... naming the file and its lock" \
	"igraph-featurize: '$T/g.igr' is being written by another process (lock '$T/g.igr.lock')"
[ $(($(date +%s) - start)) -le 3 ] && pass "... at once" ||
	fail "... at once" "took $(($(date +%s) - start)) s"
timeout 10 sh -c 'cat "$1" >"$2"' sh "$T/d2.igr" "$T/fifo"
wait $first
rc=$?
[ $rc = 0 ] && pass "the first merge succeeds" || fail "the first merge succeeds" "exit $rc: $(cat "$T/err1")"
ig featurize --base "$T/g1.igr" -o "$T/want.igr" "$T/d2.igr"
# (their provenance lines name different inputs)
ig cat --tsv "$T/want.igr" | grep -v '^#' >"$T/want.tsv"
ig cat --tsv "$T/g.igr" | grep -v '^#' >"$T/got.tsv"
same "the graph is the base merged with the first run's events" "$T/want.tsv" "$T/got.tsv"
notmp "no temporary or lock left" "$T/g.igr"

# Any -o output: a model, a stream; the holder killed with SIGKILL does
# not block the next run (the kernel drops the flock).
for c in "train --model pop $T/fifo" "cat $T/fifo" "propagate --model $T/pop.igm $T/fifo"; do
	tool=${c%% *}
	old "$T/out.$tool"
	hold
	bg $c -o "$T/out.$tool" 2>/dev/null
	pid=$!
	waitfor "$T/out.$tool.lock"
	expect "$tool: a concurrent -o onto the same file exits 1" 1 \
		ig cat -o "$T/out.$tool" "$T/d3.igr"
	expect_err "$tool: ... 'being written by another process'" "being written by another process"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	unhold
	kept "$tool: ... the file is untouched" "$T/out.$tool"
done
expect "after a SIGKILL the next run takes the lock" 0 \
	ig cat -o "$T/out.cat" "$T/d3.igr"

# ---- class 4: one path named twice ------------------------------------

mkdir -p "$T/sub"
for spec in \
	"ingest --schema taobao -o X --rejects X $T/ev.csv" \
	"ingest --schema taobao -o X --rejects $T/sub/../X $T/ev.csv" \
	"featurize -o X --report X $T/d1.igr" \
	"featurize -o X --report ./X $T/d1.igr" \
	"propagate --model $T/pop.igm -o X --vectors X $T/g1.igr" \
	"split --at 1512000000 --train X --test ./X $T/ev.igr" \
	"gen --users 10 -o X --items-out X" \
	"gen --users 10 -o Y --items-out $T/sub/../Y"; do
	tool=${spec%% *}
	# X exists, Y does not: both are the same path
	old "$T/X"
	rm -f "$T/Y"
	(cd "$T" && ig $spec) >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && grep -q "name the same file" "$T/err" &&
		[ "$(cat "$T/X")" = "old contents" ] && [ ! -e "$T/Y" ] &&
		[ -z "$(ls "$T" | grep -E '^[XY]\.')" ]; then
		pass "$tool: $(echo "$spec" | cut -d' ' -f2-6 | sed "s|$T/||g"): usage error, file untouched"
	else
		fail "$tool: $(echo "$spec" | cut -d' ' -f2-6 | sed "s|$T/||g"): usage error, file untouched" \
			"exit $rc: $(cat "$T/err")" "$(ls "$T" | grep -E '^[XY]')"
	fi
done
# a hard link is the same file too
old "$T/X"
ln -f "$T/X" "$T/X2"
expect "ingest: -o and --rejects on two links of one file: exit 2" 2 \
	ig ingest --schema taobao -o "$T/X" --rejects "$T/X2" "$T/ev.csv"
kept "... untouched" "$T/X"
rm -f "$T/X2"
expect "-o /dev/null twice is fine (a device)" 0 \
	ig split --at 1512000000 --train /dev/null --test /dev/null "$T/ev.igr"

# ---- class 4: igraph-split commits both outputs or neither --------------

if wrapped || [ ! -f "$INJ" ]; then
	skip "split: the second rename fails" "not with sanitizers/valgrind, or shim not built"
else
	old "$T/tr" "$T/te"
	IGR_INJECT=rename@2=EIO LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-split" \
		--at 1512000000 --train "$T/tr" --test "$T/te" "$T/ev.igr" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] && grep -q "cannot rename" "$T/err" &&
		pass "split: the second rename fails: exit 1, 'cannot rename'" ||
		fail "split: the second rename fails: exit 1, 'cannot rename'" "exit $rc: $(cat "$T/err")"
	kept "split: ... --train is restored" "$T/tr"
	kept "split: ... --test is kept" "$T/te"
	notmp "split: ... no temporary left (train)" "$T/tr"
	notmp "split: ... no temporary left (test)" "$T/te"
	rm -f "$T/tr"
	IGR_INJECT=rename@2=EIO LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-split" \
		--at 1512000000 --train "$T/tr" --test "$T/te" "$T/ev.igr" 2>"$T/err"
	[ ! -e "$T/tr" ] && pass "split: ... a --train that did not exist is removed again" ||
		fail "split: ... a --train that did not exist is removed again"
	expect "split: without injection both are written" 0 \
		ig split --at 1512000000 --train "$T/tr" --test "$T/te" "$T/ev.igr"
	[ "$(head -c 12 "$T/tr")" != "old contents" ] && [ "$(head -c 12 "$T/te")" != "old contents" ] &&
		pass "split: ... both replaced" || fail "split: ... both replaced"

	# close() failing (a delayed write error, NFS): the old file stays
	old "$T/keep.igr"
	IGR_INJECT=close=EIO LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-cat" \
		-o "$T/keep.igr" "$T/ev.igr" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] && grep -q "cannot close" "$T/err" &&
		pass "injected close=EIO: exit 1, 'cannot close'" ||
		fail "injected close=EIO: exit 1, 'cannot close'" "exit $rc: $(cat "$T/err")"
	kept "injected close=EIO: old file kept" "$T/keep.igr"
	notmp "injected close=EIO: no temporary left" "$T/keep.igr"
fi

# ---- class 6: mode and owner kept ---------------------------------------

for m in 600 640 755; do
	old "$T/m.igr"
	chmod $m "$T/m.igr"
	ig cat -o "$T/m.igr" "$T/d3.igr"
	got=$(stat -c %a "$T/m.igr")
	[ "$got" = $m ] && pass "a rewritten -o file keeps mode $m" ||
		fail "a rewritten -o file keeps mode $m" "mode $got"
done
g=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n 1)
if [ -n "$g" ] && old "$T/grp.igr" && chgrp "$g" "$T/grp.igr" 2>/dev/null; then
	ig cat -o "$T/grp.igr" "$T/d3.igr"
	[ "$(stat -c %g "$T/grp.igr")" = "$g" ] && pass "a rewritten -o file keeps its group" ||
		fail "a rewritten -o file keeps its group" "group $(stat -c %g "$T/grp.igr"), wanted $g"
else
	skip "a rewritten -o file keeps its group" "no second group"
fi

# ---- class 6: signals ---------------------------------------------------

# SIGXFSZ: an -o file over `ulimit -f`
old "$T/fsz.igr"
(ulimit -f 20; exec "$IGRAPH_BIN/igraph-cat" --tsv -o "$T/fsz.igr" "$T/ev.igr") 2>/dev/null
kept "SIGXFSZ (ulimit -f): the old -o file stays" "$T/fsz.igr"
notmp "SIGXFSZ: no temporary left" "$T/fsz.igr"

# SIGPIPE: --items-out to a closed pipe while -o is being written
old "$T/pipe.csv"
ig gen --users 2000 --items 300000 -o "$T/pipe.csv" --items-out - 2>/dev/null | head -c 10 >/dev/null
kept "SIGPIPE: the old -o file stays" "$T/pipe.csv"
notmp "SIGPIPE: no temporary left" "$T/pipe.csv"

# SIGTERM, SIGINT, SIGHUP while the output is open (an input FIFO held)
for sig in TERM INT HUP; do
	old "$T/sig.igr"
	hold
	bg cat -o "$T/sig.igr" "$T/d3.igr" "$T/fifo" 2>/dev/null
	pid=$!
	waitfor "$T/sig.igr.lock"
	sleep 0.3
	kill -$sig $pid
	wait $pid 2>/dev/null
	unhold
	kept "SIG$sig: the old -o file stays" "$T/sig.igr"
	notmp "SIG$sig: no temporary or lock left" "$T/sig.igr"
done

# ---- class 6: stale temporaries of a killed run -------------------------

old "$T/st.igr"
hold
bg cat -o "$T/st.igr" "$T/d3.igr" "$T/fifo" 2>/dev/null
pid=$!
waitfor "$T/st.igr.tmp.$pid"
kill -9 $pid
wait $pid 2>/dev/null
unhold
[ -e "$T/st.igr.tmp.$pid" ] && pass "SIGKILL leaves st.igr.tmp.$pid" ||
	fail "SIGKILL leaves st.igr.tmp.$pid" "$(ls "$T" | grep st.igr)"
sh -c 'exit 0' &
dead=$!
wait $dead
: >"$T/st.igr.tmp.$dead"
: >"$T/st.igr.tmp.$$" # a live process's: not ours to remove
expect "the next run succeeds" 0 ig cat -o "$T/st.igr" "$T/d3.igr"
if [ ! -e "$T/st.igr.tmp.$pid" ] && [ ! -e "$T/st.igr.tmp.$dead" ] && [ -e "$T/st.igr.tmp.$$" ]; then
	pass "... and removes the temporaries of dead processes only"
else
	fail "... and removes the temporaries of dead processes only" "$(ls "$T" | grep st.igr)"
fi
rm -f "$T/st.igr.tmp.$$"

# ---- class 6: memory limits ---------------------------------------------

# Every command under `ulimit -v`: success, or "out of memory" and exit 1;
# never a hang (OpenBLAS's start used to loop before main) or a crash.
if wrapped; then
	skip "ulimit -v" "not with sanitizers/valgrind"
else
	ig train --model itemknn -o "$T/knn.igm" "$T/g1.igr"
	ig recommend --model "$T/knn.igm" -o "$T/rec.igr" "$T/g1.igr"
	for v in 60000 150000 300000; do
		for c in "cat $T/ev.igr" "show $T/g1.igr" "gen --users 300" \
			"ingest --schema taobao $T/ev.csv" \
			"split --at 1512000000 --train /dev/null --test /dev/null $T/ev.igr" \
			"featurize $T/d1.igr" "train --model itemknn $T/g1.igr" \
			"propagate --model $T/knn.igm $T/g1.igr" \
			"recommend --model $T/knn.igm $T/g1.igr" \
			"eval --truth $T/d3.igr $T/rec.igr" \
			"pairs --at 1512000000 --history 3 $T/d1.igr"; do
			tool=${c%% *}
			(ulimit -v $v; exec timeout 30 $IGRAPH_BIN/igraph-$c) >/dev/null 2>"$T/err"
			rc=$?
			if [ $rc = 0 ] || { [ $rc = 1 ] && grep -q "out of memory" "$T/err"; }; then
				pass "ulimit -v $v: $tool exits $rc"
			else
				fail "ulimit -v $v: $tool: exit 0, or 1 with 'out of memory'" \
					"exit $rc$([ $rc = 124 ] && echo ' (hung)'): $(head -n 2 "$T/err")"
			fi
		done
	done
	# a big input under a small limit: out of memory, exit 1
	(ulimit -v 60000; exec timeout 30 "$IGRAPH_BIN/igraph-featurize" --cooc-window 7d --cooc-max 1000 "$T/ev.igr") >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 0 ] || { [ $rc = 1 ] && grep -q "out of memory" "$T/err"; } &&
		pass "ulimit -v 60000: featurize with co-occurrences exits $rc" ||
		fail "ulimit -v 60000: featurize with co-occurrences" "exit $rc: $(head -n 2 "$T/err")"
fi

finish
