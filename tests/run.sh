#!/bin/sh
# Run igraph's test suite: the Check unit suites in $IGRAPH_TESTBIN, then the
# shell tests in tests/sh.  Prints every result and a closing line
# "N passed, N failed"; exits 1 if anything failed.
#
#   tests/run.sh [--unit | --shell] [PATTERN]
#
# IGRAPH_WRAP (e.g. "valgrind -q --error-exitcode=99") is put in front of
# every program run; IGRAPH_SANITIZE=1 sets the sanitizer options.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${IGRAPH_BIN:=$top/build/bin}"
: "${IGRAPH_TESTBIN:=$top/build/tests}"
export IGRAPH_BIN IGRAPH_TESTBIN
export LC_ALL=C

mode=all
case "${1:-}" in
--unit) mode=unit; shift ;;
--shell) mode=shell; shift ;;
esac
pattern=${1:-}

if [ "${IGRAPH_SANITIZE:-0}" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99"
	export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
fi

pass=0
fail=0
failed_names=
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$mode" != shell ]; then
	for t in "$IGRAPH_TESTBIN"/check_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		case "$name" in *"$pattern"*) ;; *) continue ;; esac
		${IGRAPH_WRAP:-} "$t" >"$log" 2>&1
		rc=$?
		sed 's/^/  /' "$log" | grep -v '^  *$' | grep -E 'Checks|:[FE]:|ERROR|error|runtime' || true
		line=$(grep -E '[0-9]+%: Checks: [0-9]+' "$log" | tail -n 1)
		n=$(printf '%s\n' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
		f=$(printf '%s\n' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
		e=$(printf '%s\n' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
		if [ -z "$n" ]; then
			echo "not ok - $name (no Check summary; exit $rc)"
			tail -n 20 "$log" | sed 's/^/#   /'
			fail=$((fail + 1))
			failed_names="$failed_names $name"
			continue
		fi
		bad=$((f + e))
		if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
			# e.g. a sanitizer or valgrind error after the checks ran
			echo "not ok - $name (exit $rc after the checks)"
			tail -n 30 "$log" | sed 's/^/#   /'
			bad=1
		fi
		pass=$((pass + n - (f + e)))
		fail=$((fail + bad))
		[ "$bad" -gt 0 ] && failed_names="$failed_names $name"
		echo "ok - $name: $((n - f - e)) of $n checks"
	done
fi

if [ "$mode" != unit ]; then
	for t in "$here"/sh/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		case "$name" in *"$pattern"*) ;; *) continue ;; esac
		start=$(date +%s)
		sh "$t" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok - ' "$log")
		f=$(grep -c '^not ok - ' "$log")
		grep -E '^not ok - |^#' "$log" | head -n 60
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - $name exited $rc without a failed check"
			tail -n 20 "$log" | sed 's/^/#   /'
			f=1
		fi
		pass=$((pass + p))
		fail=$((fail + f))
		[ "$f" -gt 0 ] && failed_names="$failed_names $name"
		echo "ok - $name: $p passed, $f failed ($(( $(date +%s) - start ))s)"
	done
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
