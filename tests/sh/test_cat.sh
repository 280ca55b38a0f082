#!/bin/sh
# igraph-cat and the stream contract seen from the command line: encodings,
# truncation, write errors, SIGPIPE, atomic -o, locale, usage errors.
. "$(dirname "$0")/lib.sh"

# A scores stream of 5000 records: two binary blocks (3640 + 1360 records
# of 18 bytes).
awk 'BEGIN {
	print "#igraph scores 1.0"
	print "query_type\tquery\ttarget_type\ttarget\tscore\trank"
	for (i = 0; i < 5000; i++)
		printf "user\t%d\titem\t%d\t%g\t%d\n", int(i / 20), i * 7, 1000 - i / 4, i % 20 + 1
}' | sealed >"$T/s.tsv"

expect "tsv to binary" 0 ig cat --binary -o "$T/s.igr" "$T/s.tsv"
expect "binary to tsv" 0 ig cat "$T/s.igr"
same "tsv -> binary -> tsv is identical" "$T/s.tsv" "$T/out"
ig cat --binary "$T/s.igr" | ig cat >"$T/piped.tsv"
same "binary through a pipe" "$T/s.tsv" "$T/piped.tsv"
gzip -c "$T/s.igr" >"$T/s.igr.gz"
expect "gzip-compressed stream" 0 ig cat "$T/s.igr.gz"
same "gzip stream reads the same" "$T/s.tsv" "$T/out"
expect "count" 0 ig cat --count "$T/s.igr" "$T/s.tsv"
if [ "$(cut -f1 "$T/out" | tr '\n' ' ')" = "5000 5000 " ]; then
	pass "count prints record counts"
else
	fail "count prints record counts" "$(cat "$T/out")"
fi
expect "concatenation" 0 ig cat --binary -o "$T/two.igr" "$T/s.igr" "$T/s.tsv"
expect "concatenated count" 0 ig cat --count "$T/two.igr"
grep -q '^10000' "$T/out" && pass "concatenated count is 10000" || fail "concatenated count is 10000" "$(cat "$T/out")"

# Truncation anywhere, including exactly at record and block boundaries.
size=$(wc -c <"$T/s.igr")
hdr=$(( size - 5000 * 18 - 2 * 4 - 20 ))
bad=0
for cut in 1 4 8 20 $((hdr - 1)) $hdr $((hdr + 4)) $((hdr + 4 + 18)) \
	$((hdr + 4 + 18 * 100)) $((hdr + 4 + 18 * 3640)) $((hdr + 8 + 18 * 3640)) \
	$((size - 20)) $((size - 19)) $((size - 1)); do
	head -c "$cut" "$T/s.igr" >"$T/cut"
	ig cat "$T/cut" >/dev/null 2>"$T/err"
	rc=$?
	if [ "$rc" != 1 ] || ! grep -q 'truncated' "$T/err"; then
		bad=$((bad + 1))
		echo "# cut at $cut: exit $rc: $(cat "$T/err")"
	fi
done
[ "$bad" = 0 ] && pass "truncated binary streams exit 1 saying so" || fail "truncated binary streams exit 1 saying so"
head -c 0 "$T/s.igr" >"$T/cut"
expect "empty input" 1 ig cat "$T/cut"
expect_err "empty input message" "empty input"
head -c 200 "$T/s.tsv" >"$T/cut"
expect "tsv cut mid-line" 1 ig cat "$T/cut"
expect_err "tsv cut message" "truncated"
printf 'user,item\n1,2\n' >"$T/raw.csv"
expect "raw csv is not a stream" 1 ig cat "$T/raw.csv"
expect_err "raw csv message names ingest" "igraph-ingest"

# A killed upstream stage: the downstream stage fails, the pipeline fails.
( ig cat --binary "$T/s.igr"; ) | head -c 5000 | ig cat >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && pass "killed upstream is detected downstream" || fail "killed upstream is detected downstream" "exit $rc"

# Atomic -o: a failed run leaves the old file as it was and no temporary.
printf 'old contents\n' >"$T/keep.igr"
head -c 3000 "$T/s.igr" >"$T/cut"
expect "failed run with -o" 1 ig cat --binary -o "$T/keep.igr" "$T/cut"
if [ "$(cat "$T/keep.igr")" = "old contents" ] && ! ls "$T"/keep.igr.tmp.* >/dev/null 2>&1; then
	pass "-o keeps the old file and removes its temporary"
else
	fail "-o keeps the old file and removes its temporary" "$(ls "$T")"
fi
expect "-o into a missing directory" 1 ig cat -o "$T/no/such/dir/x" "$T/s.igr"
expect_err "-o error names the file" "cannot create"

# Write errors are reported, never silent.
if [ -w /dev/full ]; then
	ig cat "$T/s.igr" >/dev/full 2>"$T/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q 'No space left' "$T/err"; then
		pass "a full disk is an error (exit 1, message)"
	else
		fail "a full disk is an error (exit 1, message)" "exit $rc: $(cat "$T/err")"
	fi
fi

# A big stream for the failure tests below.
awk 'BEGIN { print "#igraph scores 1.0"; print "query_type\tquery\ttarget_type\ttarget\tscore\trank";
	for (i = 0; i < 400000; i++) printf "user\t%d\titem\t%d\t1\t1\n", i, i }' | sealed >"$T/big.tsv"
ig cat --binary -o "$T/big.igr" "$T/big.tsv"

# Injected I/O failures (tests/inject.c): each is an error, the old output
# stays, no temporary is left behind.
INJ=${IGRAPH_TESTBIN:-$TOP/build/tests}/libinject.so
if [ "${IGRAPH_SANITIZE:-0}" = 1 ] || [ -n "${IGRAPH_WRAP:-}" ] || [ ! -f "$INJ" ]; then
	skip "injected I/O failures" "not with sanitizers/valgrind, or shim not built"
else
	for spec in "write@5000=EIO:write error" "fsync=EIO:cannot sync" \
		"rename=EXDEV:cannot rename" "read@1000=EIO:read error"; do
		inj=${spec%%:*}
		msg=${spec#*:}
		printf 'old contents\n' >"$T/keep.igr"
		IGR_INJECT=$inj LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-cat" --binary \
			-o "$T/keep.igr" "$T/big.igr" 2>"$T/err"
		rc=$?
		if [ "$rc" = 1 ] && grep -q "$msg" "$T/err" &&
			[ "$(cat "$T/keep.igr")" = "old contents" ] &&
			! ls "$T"/keep.igr.tmp.* >/dev/null 2>&1; then
			pass "injected $inj: exit 1, '$msg', old file kept"
		else
			fail "injected $inj: exit 1, '$msg', old file kept" \
				"exit $rc: $(cat "$T/err")" "$(ls "$T" | grep keep)"
		fi
	done
	IGR_INJECT=write1@100=EIO LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-cat" \
		"$T/big.igr" >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'write error on <stdout>' "$T/err" &&
		pass "injected stdout write error: exit 1" ||
		fail "injected stdout write error: exit 1" "exit $rc: $(cat "$T/err")"
fi

# SIGPIPE: a reader that goes away ends the writer quietly, as for cat(1),
# also when the parent ignores SIGPIPE (the writer re-raises it).
status=$( { ig cat "$T/big.igr" 2>"$T/err"; echo $? >"$T/rc"; } | head -n 1 >/dev/null; cat "$T/rc")
if [ "$status" = 141 ] && [ ! -s "$T/err" ]; then
	pass "SIGPIPE ends the writer quietly"
else
	fail "SIGPIPE ends the writer quietly" "exit $status: $(cat "$T/err")"
fi
status=$( { sh -c 'trap "" PIPE; exec "$@"' sh "$IGRAPH_BIN/igraph-cat" "$T/big.igr" 2>"$T/err"; echo $? >"$T/rc"; } | head -n 1 >/dev/null; cat "$T/rc")
if [ "$status" = 141 ] || { [ "$status" = 1 ] && grep -q 'Broken pipe' "$T/err"; }; then
	pass "ignored SIGPIPE: EPIPE is not silent"
else
	fail "ignored SIGPIPE: EPIPE is not silent" "exit $status: $(cat "$T/err")"
fi

# Numbers never follow the locale.
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
	LC_ALL=de_DE.UTF-8 ig cat "$T/s.igr" >"$T/de.tsv" 2>"$T/err"
	same "decimal-comma locale prints the same TSV" "$T/s.tsv" "$T/de.tsv"
	printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nuser\t1\titem\t2\t0,5\t1\n' | seal_raw >"$T/comma.tsv"
	LC_ALL=de_DE.UTF-8 ig cat "$T/comma.tsv" >/dev/null 2>"$T/err"
	[ $? = 1 ] && grep -q "bad score '0,5'" "$T/err" && pass "decimal comma in a stream is an error" ||
		fail "decimal comma in a stream is an error" "$(cat "$T/err")"
else
	fail "de_DE.UTF-8 locale present (scripts/install-deps makes it)"
fi

# Usage errors exit 2.
expect "--seed does not apply" 2 ig cat --seed 3 "$T/s.igr"
expect_err "--seed message" "does not apply"
expect "missing file" 1 ig cat "$T/no-such-file"
expect_err "missing file message" "cannot open"

# External ids through a vocabulary.
mkdir -p "$T/V"
awk 'BEGIN { for (i = 0; i < 300; i++) print "u" i }' >"$T/V/user.tsv"
awk 'BEGIN { for (i = 0; i < 35000; i++) print "sku-" i }' >"$T/V/item.tsv"
expect "print external ids" 0 ig cat --vocab "$T/V" "$T/s.igr"
grep '^user' "$T/out" | sed -n 2p >"$T/line"
printf 'user\tu0\titem\tsku-7\t999.75\t2\n' >"$T/want"
same "external ids printed" "$T/want" "$T/line"
cp "$T/out" "$T/ext.tsv"
expect "external ids need the vocabulary" 1 ig cat "$T/ext.tsv"
expect_err "external ids message" "vocab"
expect "external ids read back" 0 ig cat --vocab "$T/V" --binary -o "$T/back.igr" "$T/ext.tsv"
expect "external ids round trip" 0 ig cat "$T/back.igr"
same "external ids round trip is identical" "$T/s.tsv" "$T/out"
finish
