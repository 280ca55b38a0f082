#!/bin/sh
# Issue 12, classes 5 and 7: no raw user id leaves igraph-ingest
# --pseudonymize by any path; --forget records its erasures before the
# graph is committed; a damaged vocabulary is an error; a reader of a
# stream whose ingest is still running sees its new ids.
. "$(dirname "$0")/lib.sh"

INJ=${IGRAPH_TESTBIN:-$TOP/build/tests}/libinject.so

# ---- class 5: privacy under --pseudonymize -----------------------------------
printf '0123456789abcdef-test-key\n' >"$T/key"
# every reject kind, each row naming a distinctive raw user id
{
	printf 'alice-RAW-123,100,10,view,,1\n'               # missing ts, no earlier time
	printf 'alice-RAW-123,100,10,view,1511701797,1\n'     # good
	printf 'bob-RAW-456,101,10,view,1511701798,1\n'       # good
	printf 'alice-RAW-123,102,10,view,notatime,1\n'       # bad time
	printf 'bob-RAW-456,103,10,clik,1511701797,1\n'     # unknown behavior
	printf 'alice-RAW-123,104,10,view,99999999999,1\n'    # out of range
	printf 'bob-RAW-456,105,10,view,1511701797,x1\n'      # value not a number
	printf ' carol-RAW-789 ,106,10,view,1511701797,1\n'   # spaces around the id
	printf 'dave-RAW-000\001,107,10,view,1511701797,1\n'  # control character
	printf 'erin-RAW-\377\376,108,10,view,1511701797,1\n' # not UTF-8
	printf 'frank-RAW-111,109,10,view\n'                  # too few fields
	printf 'gina-RAW-222,1"10,10,view,1511701797,1\n'     # bad quoting
	printf 'hank-RAW-333,%0300d,10,view,1511701797,1\n' 7 # field too long
	printf ',111,10,view,1511701797,1\n'                  # missing user
	printf '"ivy-RAW-444",112,10,view,1511701799,1\n'     # good, quoted
	printf 'judy-RAW-555,,10,view,1511701797,1\n'         # missing item
} >"$T/raw.csv"
COLS='user=1,item=2,category=3,behavior=4,ts=5,value=6'
expect "--pseudonymize with rejects of every kind" 0 ig ingest --columns "$COLS" \
	--max-field 200 --missing ts=previous --pseudonymize "$T/key" --vocab "$T/P" \
	--rejects "$T/rej" -v -o "$T/p.igr" "$T/raw.csv"
cp "$T/err" "$T/ingest.err"
# the JSON lines path: a row that is not JSON, a user of the wrong type
printf '{"user":"kim-RAW-666","item":"1","ts":1511701797}\n{"user":"lee-RAW-777",\n{"user":["mo-RAW-888"],"item":"1","ts":1511701797}\n{"user":"nia-RAW-999","item":"1","ts":"bad"}\n' >"$T/raw.jsonl"
expect "--pseudonymize, JSON lines" 0 ig ingest --format jsonl --pseudonymize "$T/key" \
	--vocab "$T/P" --rejects "$T/rej.json" -v -o "$T/pj.igr" "$T/raw.jsonl"
cp "$T/err" "$T/ingest.json.err"
expect "--strict stops on a bad user id" 1 ig ingest --columns "$COLS" --strict \
	--pseudonymize "$T/key" --vocab "$T/P" -o "$T/strict.igr" "$T/raw.csv"
cp "$T/err" "$T/strict.err"
printf 'x,100,10,view,1511701797,1\n carol-RAW-789 ,106,10,view,1511701797,1\n' >"$T/s2.csv"
expect "--strict on a user id with spaces" 1 ig ingest --columns "$COLS" --strict \
	--pseudonymize "$T/key" -o "$T/strict2.igr" "$T/s2.csv"
cp "$T/err" "$T/strict2.err"
expect "downstream: cat --vocab" 0 ig cat --vocab "$T/P" "$T/p.igr"
cp "$T/out" "$T/cat.out"
expect "downstream: featurize --vocab --report" 0 ig featurize --vocab "$T/P" --tsv \
	--report "$T/report" -v -o "$T/g.tsv" "$T/p.igr" "$T/pj.igr"
cp "$T/err" "$T/featurize.err"
leaks=$(grep -a -l -r -e 'RAW' "$T/P" "$T/rej" "$T/rej.json" "$T"/*.err "$T/cat.out" \
	"$T/p.igr" "$T/pj.igr" "$T/g.tsv" "$T/report" 2>/dev/null)
if [ -z "$leaks" ]; then
	pass "no raw user id in streams, vocabulary, rejects, messages, reports"
else
	fail "no raw user id in streams, vocabulary, rejects, messages, reports" \
		"$(grep -a -r -e 'RAW' $leaks | head -n 12)"
fi
n=$(grep -c . "$T/rej")
[ "$n" -eq 13 ] && pass "every reject is in the rejects file ($n)" ||
	fail "every reject is in the rejects file" "$(cat "$T/rej")"
# a row whose fields were read keeps them, the user by its pseudonym (the
# one in the vocabulary); a row that could not be split is withheld
alice=$(sed -n 1p "$T/P/user.tsv")
grep -q "	bad time 'notatime'	$alice,102,10,view,notatime,1\$" "$T/rej" &&
	pass "rejects file: the user field replaced by its pseudonym" ||
	fail "rejects file: the user field replaced by its pseudonym" "$alice" "$(cat "$T/rej")"
grep -q "missing ts.*	$alice,100,10,view,,1\$" "$T/rej" &&
	pass "rejects file: held-back rows too" || fail "rejects file: held-back rows too" "$(cat "$T/rej")"
grep -q ':11	.*	\[row withheld: --pseudonymize\]$' "$T/rej" &&
	grep -q ':12	.*	\[row withheld: --pseudonymize\]$' "$T/rej" &&
	pass "rejects file: a row that was not split is withheld" ||
	fail "rejects file: a row that was not split is withheld" "$(cat "$T/rej")"
grep -q ':8	user id has spaces around it' "$T/rej" &&
	pass "reasons name the user field without quoting it" ||
	fail "reasons name the user field without quoting it" "$(cat "$T/rej")"
grep -q 'withheld' "$T/rej.json" && pass "JSON rejects withheld too" || fail "JSON rejects withheld too" "$(cat "$T/rej.json")"

# ---- class 5: --forget records the erasure before the graph is committed ------
printf 'u1,100,10,view,1511701797,1\nu2,101,10,view,1511701798,1\nu3,101,10,buy,1511701799,1\n' >"$T/f.csv"
ig ingest --columns "$COLS" --vocab "$T/F" -o "$T/f.igr" "$T/f.csv" 2>/dev/null
printf 'u2\n' >"$T/forget"
if [ "${IGRAPH_SANITIZE:-0}" = 1 ] || [ -n "${IGRAPH_WRAP:-}" ] || [ ! -f "$INJ" ]; then
	skip "--forget under injected rename failures" "not with sanitizers/valgrind, or shim not built"
else
	bad=
	seen_case=0
	for n in 0 1 2 3 4 5 6 7; do
		rm -rf "$T/F2"
		cp -r "$T/F" "$T/F2"
		printf 'old graph\n' >"$T/fg.igr"
		IGR_INJECT="rename@$n=EIO" LD_PRELOAD=$INJ "$IGRAPH_BIN/igraph-featurize" \
			--vocab "$T/F2" --forget "$T/forget" -o "$T/fg.igr" "$T/f.igr" 2>"$T/err"
		rc=$?
		replaced=1
		[ "$(cat "$T/fg.igr")" = "old graph" ] && replaced=0
		marked=0
		grep -q '^u2	forgotten$' "$T/F2/user.tsv" && marked=1
		[ "$replaced" = 1 ] && [ "$marked" = 0 ] && bad="$bad rename@$n: graph committed, user not forgotten;"
		[ "$rc" = 0 ] && [ "$replaced" = 0 ] && bad="$bad rename@$n: exit 0 without the graph;"
		[ "$rc" = 1 ] && [ "$replaced" = 0 ] && [ "$marked" = 1 ] && seen_case=1
		# whatever happened, a reader of the vocabulary must accept it
		ig ingest --columns "$COLS" --vocab "$T/F2" -o "$T/f2.igr" "$T/f.csv" 2>"$T/err2" ||
			bad="$bad rename@$n: vocabulary unreadable: $(cat "$T/err2");"
	done
	[ -z "$bad" ] && pass "--forget: never a committed graph with an unforgotten user" ||
		fail "--forget: never a committed graph with an unforgotten user" "$bad"
	[ "$seen_case" = 1 ] && pass "--forget: the graph commit fails after the marks: the user stays forgotten" ||
		fail "--forget: the graph commit fails after the marks: the user stays forgotten"
fi

# ---- class 7: a damaged vocabulary is an error ----------------------------------
awk 'BEGIN { for (i = 0; i < 40; i++) printf "u%d,%d,c%d,view,%d,1\n", i, 1000 + i % 7, i % 3, 1511701797 + i }' >"$T/v.csv"
ig ingest --columns "$COLS" --vocab "$T/V" -o "$T/v.igr" "$T/v.csv" 2>/dev/null
expect "an intact vocabulary reads" 0 ig cat --vocab "$T/V" "$T/v.igr"
[ -s "$T/err" ] && fail "... without a warning" "$(cat "$T/err")" || pass "... without a warning"
damage() { # NAME EDIT MESSAGE
	rm -rf "$T/D"
	cp -r "$T/V" "$T/D"
	sh -c "$2" _ "$T/D/user.tsv"
	expect "damaged vocabulary ($1): exit 1" 1 ig cat --vocab "$T/D" "$T/v.igr"
	expect_err "... naming the file and what is wrong" "D/user.tsv.*$3"
	expect "damaged vocabulary ($1): ingest refuses to append" 1 ig ingest --columns "$COLS" \
		--vocab "$T/D" -o "$T/d.igr" "$T/v.csv"
	expect "damaged vocabulary ($1): featurize refuses it" 1 ig featurize --vocab "$T/D" \
		-o "$T/d.igr" "$T/v.igr"
}
damage "a deleted line" 'sed -i 5d "$1"' "ids"
damage "a changed id" 'sed -i "s/^u7\$/u7x/" "$1"' "checksum"
damage "a truncated file" 'head -n 30 "$1" >"$1.t" && mv "$1.t" "$1"' "ids"
damage "a swapped pair of lines" 'sed -i "3{h;d};4G" "$1"' "checksum"
damage "a line cut short" 'head -c -2 "$1" >"$1.t" && mv "$1.t" "$1"' "truncated"
# a vocabulary written before the checksums: read with a warning, upgraded
# by the next write
mkdir "$T/L"
awk 'BEGIN { for (i = 0; i < 40; i++) print "u" i }' >"$T/L/user.tsv"
cp "$T/V/item.tsv" "$T/V/category.tsv" "$T/L/"
expect "a vocabulary without checksums is read" 0 ig cat --vocab "$T/L" "$T/v.igr"
expect_err "... with a warning naming the fix" "no checksums.*igraph-ingest --vocab"
expect "... and upgraded by the next ingest" 0 ig ingest --columns "$COLS" --vocab "$T/L" \
	-o "$T/l.igr" "$T/v.csv"
expect "... after which it reads without a warning" 0 ig cat --vocab "$T/L" "$T/v.igr"
[ -s "$T/err" ] && fail "... (no warning)" "$(cat "$T/err")" || pass "... (no warning)"
sed -i 5d "$T/L/user.tsv"
expect "... and its damage is found" 1 ig cat --vocab "$T/L" "$T/v.igr"

# ---- class 7: igraph-ingest --vocab V | igraph-cat --vocab V ------------------
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "new-u%d,new-i%d,new-c%d,view,%d,1\n", i, i, i % 50, 1511701797 + i }' >"$T/n.csv"
# the same ids printed from a vocabulary complete before cat starts
ig ingest --columns "$COLS" --vocab "$T/NREF" -o "$T/nref.igr" "$T/n.csv" 2>/dev/null
ig cat --vocab "$T/NREF" "$T/nref.igr" | grep -v '^#' >"$T/n.want"
for enc in "" "--tsv"; do
	rm -rf "$T/N"
	ig ingest --columns "$COLS" --vocab "$T/N" "$T/n.csv" 2>"$T/err1" |
		ig cat $enc --vocab "$T/N" >"$T/n.got" 2>"$T/err"
	st=$?
	grep -v '^#' "$T/n.got" >"$T/n.got2"
	if [ "$st" = 0 ] && [ "$(wc -l <"$T/n.want")" -eq 3001 ] && cmp -s "$T/n.want" "$T/n.got2"; then
		pass "ingest --vocab V | cat $enc --vocab V: every new id printed"
	else
		fail "ingest --vocab V | cat $enc --vocab V: every new id printed" \
			"exit $st: $(cat "$T/err1" "$T/err")" "$(head -n 3 "$T/n.got")"
	fi
done
finish
