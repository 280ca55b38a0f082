#!/bin/sh
# Issue 2: a truncated binary stream, cut anywhere (inside the header,
# exactly at a record boundary, exactly at a block boundary, just before or
# inside the end block), fed to ANY stage that reads streams, exits 1 with a
# message that says so: a killed upstream stage never looks like a short,
# valid file.
. "$(dirname "$0")/lib.sh"

for t in ingest split featurize train propagate recommend eval pairs show; do
	if [ ! -x "$IGRAPH_BIN/igraph-$t" ]; then
		skip "truncated input" "igraph-$t is not built"
		finish
		exit $?
	fi
done

# Inputs from the sample data.
head -n 20000 "$TOP/sample-data/user_behavior.csv" >"$T/log.csv"
ig ingest --schema taobao --vocab "$T/V" -o "$T/events.igr" "$T/log.csv" &&
	ig split --at 2017-12-02T00:00:00+08:00 --train "$T/train.igr" \
		--test "$T/test.igr" "$T/events.igr" &&
	ig featurize -o "$T/graph.igr" "$T/train.igr" &&
	ig train --model itemknn -o "$T/knn.igm" "$T/graph.igr" &&
	ig recommend --model "$T/knn.igm" -k 10 -o "$T/recs.igr" "$T/graph.igr" ||
	{ fail "inputs for the truncation tests"; finish; exit 1; }
pass "inputs for the truncation tests"

# cuts FILE RECSIZE: byte offsets that cut FILE inside its header, exactly
# after the first record, exactly at the end of the first block, exactly
# before the end block, and inside the end block.
cuts() {
	size=$(wc -c <"$1")
	n=$(ig cat --count "$1" | cut -f1)
	per=$((65536 / $2))
	blocks=$(((n + per - 1) / per))
	hdr=$((size - n * $2 - blocks * 4 - 20))
	first=$n
	[ "$first" -gt "$per" ] && first=$per
	echo 10 $((hdr - 1)) $((hdr + 4 + $2)) $((hdr + 4 + first * $2)) \
		$((size - 20)) $((size - 7))
}

# try NAME FILE RECSIZE COMMAND...: run COMMAND with @ replaced by a cut of
# FILE at every offset of `cuts`; each run must exit 1 saying "truncated".
try() {
	_name=$1
	_file=$2
	_rs=$3
	shift 3
	_bad=
	for _c in $(cuts "$_file" "$_rs"); do
		head -c "$_c" "$_file" >"$T/cut"
		_args=
		for _a in "$@"; do
			[ "$_a" = @ ] && _a=$T/cut
			_args="$_args '$_a'"
		done
		eval "ig $_args" >"$T/out" 2>"$T/err"
		_rc=$?
		if [ "$_rc" != 1 ] || ! grep -q truncated "$T/err"; then
			_bad="$_bad cut@$_c:exit$_rc:$(head -n 1 "$T/err")"
		fi
	done
	if [ -z "$_bad" ]; then
		pass "$_name: truncated input exits 1 saying so"
	else
		fail "$_name: truncated input exits 1 saying so" "$_bad"
	fi
}

try "igraph-split" "$T/events.igr" 25 split --at 1512000000 --train "$T/a" --test "$T/b" @
try "igraph-featurize" "$T/events.igr" 25 featurize -o "$T/g" @
try "igraph-featurize --base" "$T/graph.igr" 26 featurize --base @ -o "$T/g" "$T/test.igr"
try "igraph-train" "$T/graph.igr" 26 train --model itemknn -o "$T/m" @
try "igraph-train (pop)" "$T/graph.igr" 26 train --model pop -o "$T/m" @
try "igraph-propagate" "$T/graph.igr" 26 propagate --model "$T/knn.igm" -o "$T/p" @
try "igraph-recommend" "$T/graph.igr" 26 recommend --model "$T/knn.igm" -o "$T/r" @
try "igraph-eval (recs)" "$T/recs.igr" 18 eval --truth "$T/test.igr" @
try "igraph-eval (truth)" "$T/test.igr" 25 eval --truth @ "$T/recs.igr"
try "igraph-pairs (events)" "$T/train.igr" 25 pairs --at 1512144000 --history 5 -o "$T/f" @
try "igraph-pairs (candidates)" "$T/recs.igr" 18 pairs --at 1512144000 --candidates @ -o "$T/f" "$T/train.igr"
try "igraph-show" "$T/graph.igr" 26 show @
try "igraph-cat" "$T/graph.igr" 26 cat @

# The outputs named with -o were never created by the failed runs.
if ls "$T"/a "$T"/b "$T"/g "$T"/m "$T"/p "$T"/r "$T"/f "$T"/*.tmp.* >/dev/null 2>&1; then
	fail "failed runs leave no output files" "$(ls "$T")"
else
	pass "failed runs leave no output files"
fi

# A truncated model file is an error too.
size=$(wc -c <"$T/knn.igm")
bad=
for c in 5 100 $((size / 2)) $((size - 4)); do
	head -c "$c" "$T/knn.igm" >"$T/cut.igm"
	ig recommend --model "$T/cut.igm" "$T/graph.igr" >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" = 1 ] && grep -q -e truncated -e damaged "$T/err" || bad="$bad $c:$rc:$(cat "$T/err")"
done
[ -z "$bad" ] && pass "a truncated model file is an error" || fail "a truncated model file is an error" "$bad"
finish
