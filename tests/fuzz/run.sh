#!/bin/sh
# tests/fuzz/run.sh [SECONDS [NAME ...]] - build every libFuzzer target
# (tests/fuzz/fuzz_*.c) with clang, AddressSanitizer and UBSan, and run
# each for SECONDS (default 60) from its seed corpus (tests/fuzz/corpus/
# NAME, plus what earlier runs found, kept in build/fuzz/corpus/NAME).
# Exits 1 if any target finds a crash, a leak, a sanitizer error, a failed
# property or a timeout; the input is left in build/fuzz/artifacts/.
# `make fuzz FUZZ_SECONDS=N` calls this.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
only="$*"   # run only these targets (e.g. fuzz_stream), default all
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
build=build/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# the library as it is built for make, but instrumented for libFuzzer
make -s BUILD=$build CC=clang \
	OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $san" \
	"$build/libigr.a"
libs="$(pkg-config --libs libcjson openblas zlib nettle) -lcsv -llapacke -lm -fopenmp"
mkdir -p "$build/artifacts"
status=0
for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	case " $only " in "  " | *" $name "*) ;; *) continue ;; esac
	bin=$build/$name
	# shellcheck disable=SC2086
	clang -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -fopenmp \
		-Ilib -Itests/fuzz $(pkg-config --cflags libcjson) \
		-fsanitize=fuzzer $san "$src" "$build/libigr.a" $libs -o "$bin"
	mkdir -p "$build/corpus/$name"
	seeds=
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	if ! ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$name-" \
		"$build/corpus/$name" $seeds >"$build/$name.log" 2>&1; then
		echo "fuzz: $name FAILED (see $build/$name.log, $build/artifacts/)"
		tail -n 30 "$build/$name.log"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' \
			"$build/$name.log" | sed "s/^/fuzz: $name: /"
	fi
done
exit $status
