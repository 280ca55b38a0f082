#!/bin/sh
# igraph-ingest on the bad-input corpus (tests/bad/ingest, one file per
# problem), driven by tests/bad/ingest/TABLE: exit status, input rows,
# rejected rows and the message.  Every run must also keep
# rows = accepted + duplicates + rejected, write one rejects line per
# rejected row (file:line, reason, row), never die of a signal, and when it
# succeeds write a stream that reads back with as many records as accepted.
. "$(dirname "$0")/lib.sh"

dir=$TOP/tests/bad/ingest
tab=$(printf '\t')

# summary FIELD: a number from the -v summary line in $T/err
summary() {
	sed -n "s/.*rows \([0-9]*\) = accepted \([0-9]*\) + duplicates \([0-9]*\) + rejected \([0-9]*\).*/\1 \2 \3 \4/p" "$T/err" |
		tail -n 1 | cut -d' ' -f"$1"
}

n=0
while IFS="$tab" read -r file status rows rejected pattern opts; do
	case "$file" in '#'* | '') continue ;; esac
	n=$((n + 1))
	name="bad $n: $file $opts"
	rm -f "$T/rej"
	# shellcheck disable=SC2086 # options are words
	ig ingest -v --rejects "$T/rej" $opts "$dir/$file" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" != "$status" ]; then
		fail "$name: exit status" "exit $got, wanted $status" \
			"$(head -n 5 "$T/err")"
		continue
	fi
	if [ "$got" -gt 2 ]; then
		fail "$name: no crash" "exit $got"
		continue
	fi
	if [ "$pattern" != - ] && ! grep -E -q -e "$pattern" "$T/err"; then
		fail "$name: message" "stderr lacks /$pattern/:" \
			"$(head -n 5 "$T/err")"
		continue
	fi
	if [ "$status" = 2 ]; then
		# a usage error touches nothing
		if [ -e "$T/rej" ] || [ -s "$T/out" ]; then
			fail "$name: usage error writes nothing"
		else
			pass "$name"
		fi
		continue
	fi
	r=$(summary 1)
	a=$(summary 2)
	d=$(summary 3)
	j=$(summary 4)
	if [ -z "$r" ]; then
		fail "$name: summary" "no summary line" "$(tail -n 3 "$T/err")"
		continue
	fi
	if [ "$r" -ne $((a + d + j)) ]; then
		fail "$name: counts add up" "rows $r != $a + $d + $j"
		continue
	fi
	if [ "$rows" != - ] && [ "$r" != "$rows" ]; then
		fail "$name: rows" "rows $r, wanted $rows"
		continue
	fi
	lines=$(wc -l <"$T/rej" 2>/dev/null || echo 0)
	if [ "$rejected" != - ] && { [ "$j" != "$rejected" ] ||
		[ "$lines" != "$rejected" ]; }; then
		fail "$name: rejects" "summary $j, file $lines lines, wanted $rejected"
		continue
	fi
	if [ -s "$T/rej" ] &&
		grep -a -v -E -q "^[^$tab]*:[0-9]+$tab[^$tab]+$tab" "$T/rej"; then
		fail "$name: rejects file format" "$(head -n 3 "$T/rej")"
		continue
	fi
	if [ "$status" = 0 ]; then
		c=$(ig cat --count "$T/out" 2>&1 | cut -f1)
		if [ "$c" != "$a" ]; then
			fail "$name: output" "igraph-cat counts '$c', accepted $a"
			continue
		fi
	elif ig cat --count "$T/out" >/dev/null 2>&1; then
		# a failed run must not leave a stream that looks complete
		fail "$name: failed output is not a valid stream"
		continue
	fi
	pass "$name"
done <"$dir/TABLE"
[ "$n" -gt 50 ] && pass "the corpus table has $n cases" ||
	fail "the corpus table has $n cases"
# every file of the corpus is in the table
for f in "$dir"/*; do
	b=$(basename "$f")
	[ "$b" = TABLE ] && continue
	if ! cut -f1 "$dir/TABLE" | grep -q -x -F "$b"; then
		fail "$b is in the table"
	fi
done
finish
