# tests/sh/lib.sh - helpers for the shell tests (sourced).
#
# Each test_*.sh prints "ok - NAME" or "not ok - NAME" per check (with
# "#   detail" lines) and ends with `finish`.  tests/run.sh counts them.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${IGRAPH_BIN:=$TOP/build/bin}"
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/igraph-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0

# Real data sets (never committed): IGRAPH_DATA, else ../shared/data next
# to the checkout.
DATA=${IGRAPH_DATA:-$TOP/../shared/data}
[ -d "$DATA" ] || DATA=/work/shared/data

# ig TOOL ARGS...: run an igraph command (through IGRAPH_WRAP if set).
ig() {
	_t=$1
	shift
	${IGRAPH_WRAP:-} "$IGRAPH_BIN/igraph-$_t" "$@"
}

# sealed [FILE]: a TSV stream made by hand (printf, awk, sed ...) to stdout
# with a correct '#end' trailer, the last line of every TSV stream
# (igraph-stream(5)): igraph-cat --seal re-counts it and rewrites it.
sealed() {
	"$IGRAPH_BIN/igraph-cat" --seal --tsv "$@"
}

# seal_raw: the same for a stream whose records are bad on purpose (which
# igraph-cat would refuse): stdin with the trailer appended as it is,
# counting the lines after the column line (the first not starting with
# '#') and the CRC-32 from gzip's trailer.
seal_raw() {
	cat >"$T/.seal"
	_n=$(awk 'f { n++ } !f && !/^#/ { f = 1 } END { print n + 0 }' "$T/.seal")
	_c=$(gzip -c <"$T/.seal" | tail -c 8 | od -An -tx1 -N4 |
		awk '{ print $4 $3 $2 $1 }')
	cat "$T/.seal"
	printf '#end\t%s\t%s\n' "$_n" "$_c"
}

pass() {
	PASS=$((PASS + 1))
	echo "ok - $1"
}

fail() {
	FAIL=$((FAIL + 1))
	echo "not ok - $1"
	shift
	for _l in "$@"; do
		printf '%s\n' "$_l" | sed 's/^/#   /'
	done
}

skip() {
	PASS=$((PASS + 1))
	echo "ok - $1 # SKIP $2"
}

# check NAME COMMAND...: passes if COMMAND succeeds.
check() {
	_n=$1
	shift
	if "$@" >"$T/.out" 2>"$T/.err"; then
		pass "$_n"
	else
		fail "$_n" "command failed: $*" "$(head -n 5 "$T/.err")"
	fi
}

# expect NAME STATUS COMMAND...: runs COMMAND with stdout in $T/out and
# stderr in $T/err; passes if it exits with STATUS.
expect() {
	_n=$1
	_want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	_got=$?
	if [ "$_got" = "$_want" ]; then
		pass "$_n"
	else
		fail "$_n" "exit $_got, wanted $_want: $*" "$(head -n 5 "$T/err")"
	fi
}

# expect_err NAME PATTERN: the last expect's stderr matches PATTERN.
expect_err() {
	if grep -q -e "$2" "$T/err"; then
		pass "$1"
	else
		fail "$1" "stderr lacks '$2':" "$(head -n 5 "$T/err")"
	fi
}

# same NAME FILE1 FILE2: files are identical.
same() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "$2 and $3 differ:" "$(diff "$2" "$3" | head -n 10)"
	fi
}

# near NAME A B TOL: |A - B| <= TOL (numbers).
near() {
	if awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass "$1"
	else
		fail "$1" "$2 and $3 differ by more than $4"
	fi
}

finish() {
	echo "# $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
