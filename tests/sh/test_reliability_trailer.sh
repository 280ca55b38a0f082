#!/bin/sh
# Issue 12: a TSV stream ends with a trailer line "#end<TAB>RECORDS<TAB>CRC"
# (igraph-stream(5)), so a TSV stream from a stage that died, cut anywhere
# at a line boundary, is as detectable as a cut binary stream: every
# reader exits 1 saying so and writes no -o file.  An edited stream (a line
# removed or changed) is refused too; 'igraph-cat --seal' is the one way
# to accept a stream without a correct trailer.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

for t in ingest split featurize train propagate recommend eval pairs show cat; do
	if [ ! -x "$IGRAPH_BIN/igraph-$t" ]; then
		skip "TSV trailer" "igraph-$t is not built"
		finish
		exit $?
	fi
done

# crc32: the CRC-32 of stdin as 8 lowercase hex digits, computed without
# igraph (gzip's trailer holds it, little-endian).
crc32() {
	gzip -c | tail -c 8 | od -An -tx1 -N4 | awk '{ print $4 $3 $2 $1 }'
}

# Inputs from the sample data, every stream in TSV.
head -n 20000 "$TOP/sample-data/user_behavior.csv" >"$T/log.csv"
ig ingest --tsv --schema taobao --vocab "$T/V" -o "$T/events.tsv" "$T/log.csv" &&
	ig split --tsv --at 2017-12-02T00:00:00+08:00 --train "$T/train.tsv" \
		--test "$T/test.tsv" "$T/events.tsv" &&
	ig featurize --tsv -o "$T/graph.tsv" "$T/train.tsv" &&
	ig train --model itemknn -o "$T/knn.igm" "$T/graph.tsv" &&
	ig train --model mf --dim 4 --epochs 1 -o "$T/mf.igm" "$T/graph.tsv" &&
	ig propagate --tsv --model "$T/mf.igm" --vectors "$T/vec.tsv" \
		-o "$T/interest.tsv" "$T/graph.tsv" &&
	ig recommend --tsv --model "$T/knn.igm" -k 10 -o "$T/recs.tsv" "$T/graph.tsv" &&
	ig pairs --tsv --at 1512144000 --history 5 -o "$T/feat.tsv" "$T/train.tsv" &&
	ig cat --tsv -o "$T/cat.tsv" "$T/graph.tsv" ||
	{ fail "TSV inputs for the trailer tests" "$(cat "$T/err" 2>/dev/null)"; finish; exit 1; }
pass "TSV inputs for the trailer tests"

# Every TSV writer ends its stream with a trailer holding the number of
# records and the CRC-32 of every byte before the trailer line.
for f in events train test graph interest vec recs feat cat; do
	file=$T/$f.tsv
	last=$(tail -n 1 "$file")
	recs=$(grep -v '^#' "$file" | tail -n +2 | wc -l | tr -d ' ')
	crc=$(head -n -1 "$file" | crc32)
	want=$(printf '#end\t%s\t%s' "$recs" "$crc")
	if [ "$last" = "$want" ]; then
		pass "$f: TSV trailer holds the count and the CRC-32"
	else
		fail "$f: TSV trailer holds the count and the CRC-32" \
			"last line '$last', wanted '$want'"
	fi
done

# A stream with no records has a trailer too.
ig split --tsv --at 1 --train "$T/e0.tsv" --test /dev/null "$T/events.tsv"
want=$(printf '#end\t0\t%s' "$(head -n -1 "$T/e0.tsv" | crc32)")
[ "$(tail -n 1 "$T/e0.tsv")" = "$want" ] && pass "an empty TSV stream has a trailer" ||
	fail "an empty TSV stream has a trailer" "$(cat "$T/e0.tsv")"

# try NAME FILE COMMAND...: run COMMAND with @ replaced by FILE cut at line
# boundaries (half-way through the records, and all but the trailer); each
# run exits 1 saying the TSV stream has no trailer, and no -o file appears.
try() {
	_name=$1
	_file=$2
	shift 2
	_bad=
	_n=$(wc -l <"$_file")
	for _c in 1 2 $((_n / 2)) $((_n - 1)); do
		head -n "$_c" "$_file" >"$T/cut"
		_args=
		for _a in "$@"; do
			[ "$_a" = @ ] && _a=$T/cut
			_args="$_args '$_a'"
		done
		eval "ig $_args" >"$T/out" 2>"$T/err"
		_rc=$?
		if [ "$_rc" != 1 ] || ! grep -q -e "no '#end' trailer" -e "truncated" "$T/err"; then
			_bad="$_bad cut@$_c:exit$_rc:$(head -n 1 "$T/err")"
		fi
	done
	if [ -z "$_bad" ]; then
		pass "$_name: TSV cut at a line boundary exits 1 saying so"
	else
		fail "$_name: TSV cut at a line boundary exits 1 saying so" "$_bad"
	fi
}

try "igraph-split" "$T/events.tsv" split --at 1512000000 --train "$T/a" --test "$T/b" @
try "igraph-featurize" "$T/train.tsv" featurize -o "$T/g" @
try "igraph-featurize --base" "$T/graph.tsv" featurize --base @ -o "$T/g" "$T/test.tsv"
try "igraph-train" "$T/graph.tsv" train --model itemknn -o "$T/m" @
try "igraph-train (pop)" "$T/graph.tsv" train --model pop -o "$T/m" @
try "igraph-propagate" "$T/graph.tsv" propagate --model "$T/knn.igm" -o "$T/p" @
try "igraph-recommend" "$T/graph.tsv" recommend --model "$T/knn.igm" -o "$T/r" @
try "igraph-recommend (vectors)" "$T/vec.tsv" recommend --model "$T/mf.igm" --vectors @ -o "$T/r" "$T/graph.tsv"
try "igraph-eval (recs)" "$T/recs.tsv" eval --truth "$T/test.tsv" -o "$T/r" @
try "igraph-eval (truth)" "$T/test.tsv" eval --truth @ -o "$T/r" "$T/recs.tsv"
try "igraph-pairs (events)" "$T/train.tsv" pairs --at 1512144000 --history 5 -o "$T/f" @
try "igraph-pairs (candidates)" "$T/recs.tsv" pairs --at 1512144000 --candidates @ -o "$T/f" "$T/train.tsv"
try "igraph-show" "$T/graph.tsv" show -o "$T/s" @
try "igraph-cat (graph)" "$T/graph.tsv" cat -o "$T/c" @
try "igraph-cat (features)" "$T/feat.tsv" cat -o "$T/c" @
try "igraph-cat (vectors)" "$T/vec.tsv" cat -o "$T/c" @
try "igraph-cat --binary" "$T/events.tsv" cat --binary -o "$T/c" @

if ls "$T"/a "$T"/b "$T"/g "$T"/m "$T"/p "$T"/r "$T"/f "$T"/s "$T"/c "$T"/*.tmp.* >/dev/null 2>&1; then
	fail "failed runs leave no output files" "$(ls "$T")"
else
	pass "failed runs leave no output files"
fi

# The issue's pipeline: igraph-ingest --tsv dies half-way (here: killed by
# SIGPIPE when head has its lines) and featurize must not commit a graph.
{ ig ingest --tsv --schema taobao "$T/log.csv" | head -n 5000; } 2>/dev/null |
	ig featurize -o "$T/g" - 2>"$T/err"
rc=$?
if [ "$rc" = 1 ] && [ ! -e "$T/g" ] && grep -q "no '#end' trailer" "$T/err"; then
	pass "ingest --tsv killed mid-stream: featurize exits 1, writes no graph"
else
	fail "ingest --tsv killed mid-stream: featurize exits 1, writes no graph" \
		"exit $rc" "$(cat "$T/err")" "$(ls "$T")"
fi

# The same with SIGKILL while ingest is in the middle of its input: it
# reads from a FIFO held open, so it has written part of its stream and
# waits for more when it is killed.
mkfifo "$T/in" "$T/fifo"
ig featurize -o "$T/g" "$T/fifo" 2>"$T/err" &
fpid=$!
# (the binary itself, not the ig function: $! must be its pid)
"$IGRAPH_BIN/igraph-ingest" --tsv --schema taobao --no-header <"$T/in" \
	>"$T/fifo" 2>/dev/null &
ipid=$!
exec 3>"$T/in"
for _ in 1 2 3 4 5; do tail -n +2 "$T/log.csv"; done >&3
sleep 1
kill -KILL "$ipid" 2>/dev/null
exec 3>&-
wait "$ipid" 2>/dev/null
wait "$fpid"
rc=$?
if [ "$rc" = 1 ] && [ ! -e "$T/g" ] &&
	grep -q -e "no '#end' trailer" -e "empty input" "$T/err"; then
	pass "ingest --tsv killed by SIGKILL: featurize exits 1, writes no graph"
else
	fail "ingest --tsv killed by SIGKILL: featurize exits 1, writes no graph" \
		"exit $rc" "$(cat "$T/err")"
fi
rm -f "$T/g"

# Edited streams are refused, naming the fix.
sed '10d' "$T/train.tsv" >"$T/del.tsv"
expect "a removed line is refused" 1 ig featurize -o "$T/g" "$T/del.tsv"
expect_err "... saying the stream was damaged or edited" "damaged or edited"
expect_err "... with both counts" "records, trailer says"
expect_err "... naming igraph-cat --seal" "igraph-cat --seal"
awk 'NR == 10 { sub(/\tview\t/, "\tclick\t"); sub(/\tcart\t/, "\tbuy\t"); sub(/\tfav\t/, "\tbuy\t") } { print }' \
	"$T/train.tsv" >"$T/chg.tsv"
cmp -s "$T/chg.tsv" "$T/train.tsv" && fail "a changed line: test input changed"
expect "a changed line is refused" 1 ig featurize -o "$T/g" "$T/chg.tsv"
expect_err "... saying the checksum does not match" "checksum"
expect_err "... naming igraph-cat --seal" "igraph-cat --seal"
[ ! -e "$T/g" ] && pass "refused edits write no graph" || fail "refused edits write no graph"

# igraph-cat --seal accepts them, re-counts and writes a correct trailer
# (in either encoding); the sealed stream reads everywhere.
expect "igraph-cat --seal repairs a removed line" 0 ig cat --seal --tsv -o "$T/del2.tsv" "$T/del.tsv"
n=$(($(grep -vc '^#' "$T/train.tsv") - 2))
expect "the sealed stream reads" 0 ig cat --count "$T/del2.tsv"
[ "$(cut -f1 "$T/out")" = "$n" ] && pass "... with one record less" ||
	fail "... with one record less" "$(cat "$T/out") vs $n"
expect "igraph-cat --seal --binary repairs a changed line" 0 \
	ig cat --seal --binary -o "$T/chg.igr" "$T/chg.tsv"
expect "... and featurize takes it" 0 ig featurize -o "$T/g" "$T/chg.igr"
rm -f "$T/g"
head -n 700 "$T/train.tsv" | ig cat --seal --tsv >"$T/head.tsv"
expect "igraph-cat --seal seals a stream cut with head" 0 ig featurize -o "$T/g" "$T/head.tsv"
rm -f "$T/g"
expect "--seal of a correct stream changes nothing" 0 ig cat --seal --tsv "$T/train.tsv"
same "... byte for byte" "$T/out" "$T/train.tsv"
expect "without --seal igraph-cat refuses the edit" 1 ig cat --tsv "$T/del.tsv"
expect_err "... naming --seal" "igraph-cat --seal"

# A stream written before the trailer (version 1.0 or 1.1, no trailer) is
# refused with the way to convert it; --seal converts it.
{ printf '#igraph events 1.0\n'; grep -v '^#' "$T/train.tsv"; } >"$T/old.tsv"
expect "an old TSV stream without a trailer is refused" 1 ig featurize -o "$T/g" "$T/old.tsv"
expect_err "... naming the conversion" "convert it with 'igraph-cat --seal"
expect "igraph-cat --seal converts it" 0 ig cat --seal --tsv -o "$T/new.tsv" "$T/old.tsv"
expect "... and it reads" 0 ig featurize -o "$T/g" "$T/new.tsv"
rm -f "$T/g"

# Content after the trailer: refused, and --seal does not hide a second
# stream either.
{ cat "$T/train.tsv"; tail -n 1 "$T/train.tsv"; } >"$T/after.tsv"
expect "a second trailer is refused" 1 ig cat --count "$T/after.tsv"
expect_err "... as content after the trailer" "after the '#end' trailer"
{ cat "$T/train.tsv"; sed -n '3p' "$T/train.tsv"; } >"$T/after.tsv"
expect "a record after the trailer is refused" 1 ig cat --count "$T/after.tsv"
expect_err "... as content after the trailer" "after the '#end' trailer"
{ cat "$T/train.tsv"; cat "$T/train.tsv"; } >"$T/after.tsv"
expect "two streams concatenated with cat(1) are refused" 1 ig featurize -o "$T/g" "$T/after.tsv"
[ ! -e "$T/g" ] && pass "... and write no graph" || fail "... and write no graph"

# A damaged trailer line.
{ head -n -1 "$T/train.tsv"; printf '#end\t12x\tzz\n'; } >"$T/badt.tsv"
expect "a malformed trailer is refused" 1 ig cat --count "$T/badt.tsv"
expect_err "... as a bad trailer" "bad '#end' trailer"
{ head -n -1 "$T/train.tsv"; tail -n 1 "$T/train.tsv" | tr -d '\n'; } >"$T/badt.tsv"
expect "a trailer without its newline is refused" 1 ig cat --count "$T/badt.tsv"
expect_err "... as truncated" "truncated"

# CRLF line ends (a text-mode transfer) are refused with the reason.
sed 's/$/\r/' "$T/train.tsv" >"$T/crlf.tsv"
expect "a CRLF TSV stream is refused" 1 ig cat --count "$T/crlf.tsv"
expect_err "... saying CRLF" "CRLF"
expect "--seal does not accept CRLF either" 1 ig cat --seal "$T/crlf.tsv"

# A binary stream is not affected by --seal: a cut one is still refused.
ig cat --binary -o "$T/train.igr" "$T/train.tsv"
head -c 2000 "$T/train.igr" >"$T/cut.igr"
expect "--seal does not accept a truncated binary stream" 1 ig cat --seal --tsv "$T/cut.igr"
expect_err "... saying truncated" "truncated"

# Compressed TSV: the trailer covers the decompressed bytes.
gzip -c "$T/train.tsv" >"$T/train.tsv.gz"
expect "a gzipped TSV stream reads" 0 ig cat --count "$T/train.tsv.gz"
head -n 300 "$T/train.tsv" | gzip -c >"$T/cut.tsv.gz"
expect "a gzipped cut TSV stream is refused" 1 ig cat --count "$T/cut.tsv.gz"
finish
