#!/bin/sh
# make install PREFIX=... puts every command and man page in place, and the
# installed commands run.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$IGRAPH_BIN")
if ! make -s -C "$TOP" BUILD="$build" install PREFIX="$T/prefix" >"$T/out" 2>&1; then
	fail "make install PREFIX" "$(tail -n 5 "$T/out")"
	finish
	exit 1
fi
pass "make install PREFIX"
missing=
for b in "$IGRAPH_BIN"/igraph-*; do
	n=$(basename "$b")
	[ -x "$T/prefix/bin/$n" ] || missing="$missing bin/$n"
	[ -f "$T/prefix/share/man/man1/$n.1" ] || missing="$missing man1/$n.1"
done
[ -f "$T/prefix/share/man/man5/igraph-stream.5" ] || missing="$missing man5/igraph-stream.5"
[ -f "$T/prefix/share/man/man7/igraph.7" ] || missing="$missing man7/igraph.7"
[ -z "$missing" ] && pass "every command and man page installed" ||
	fail "every command and man page installed" "missing:$missing"
expect "installed command runs" 0 "$T/prefix/bin/igraph-cat" --version
expect "installed man page renders" 0 mandoc -Tutf8 "$T/prefix/share/man/man7/igraph.7"
if make -s -C "$TOP" BUILD="$build" uninstall PREFIX="$T/prefix" >"$T/out" 2>&1 &&
	[ -z "$(find "$T/prefix" -type f)" ]; then
	pass "make uninstall removes what install put there"
else
	fail "make uninstall removes what install put there" "$(find "$T/prefix" -type f | head)"
fi
finish
