#!/bin/sh
# Every command: --help exits 0, its usage block and the man page SYNOPSIS
# name the same options, the man page passes mandoc -Tlint, --version works,
# and an unknown option is a usage error (exit 2).
. "$(dirname "$0")/lib.sh"

# Option tokens (-x, -xyz, --long) of a text, one per line, sorted.
flags() {
	tr ' []|' '\n\n\n\n' | grep -E '^--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^(--?[A-Za-z][A-Za-z0-9-]*).*/\1/' | sort -u
}

for bin in "$IGRAPH_BIN"/igraph-*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	page="$TOP/man/man1/$name.1"
	expect "$name --help exits 0" 0 "$bin" --help
	cp "$T/out" "$T/help"
	if [ ! -f "$page" ]; then
		fail "$name has a man page" "missing $page"
		continue
	fi
	pass "$name has a man page"
	if out=$(mandoc -Tlint -W warning "$page" 2>&1) && [ -z "$out" ]; then
		pass "$name.1 passes mandoc -Tlint"
	else
		fail "$name.1 passes mandoc -Tlint" "$out"
	fi
	sed -n '/^usage:/,/^$/p' "$T/help" | sed 's/^usage://' | flags >"$T/h"
	mandoc -Tutf8 "$page" | col -b | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
		flags >"$T/m"
	if [ -s "$T/h" ] && cmp -s "$T/h" "$T/m"; then
		pass "$name --help usage matches the man SYNOPSIS"
	else
		fail "$name --help usage matches the man SYNOPSIS" \
			"help<  >man:" "$(diff "$T/h" "$T/m")"
	fi
	# every option in the synopsis is described in the help text too
	missing=
	for f in $(cat "$T/m"); do
		case "$f" in --*) grep -q -e "$f" "$T/help" || missing="$missing $f" ;; esac
	done
	if [ -z "$missing" ]; then
		pass "$name --help describes every long option"
	else
		fail "$name --help describes every long option" "missing:$missing"
	fi
	expect "$name --version" 0 "$bin" --version
	expect "$name rejects an unknown option" 2 "$bin" --no-such-option
	expect_err "$name names --help on a usage error" "Try '$name --help'"
done
for page in "$TOP"/man/man5/*.5 "$TOP"/man/man7/*.7; do
	[ -f "$page" ] || continue
	if out=$(mandoc -Tlint -W warning "$page" 2>&1) && [ -z "$out" ]; then
		pass "$(basename "$page") passes mandoc -Tlint"
	else
		fail "$(basename "$page") passes mandoc -Tlint" "$out"
	fi
done
finish
