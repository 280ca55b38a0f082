#!/bin/sh
# igraph-ingest in pipelines: exact output through igraph-cat, both
# encodings, a shared vocabulary, atomic -o and failed runs, gzip and
# stdin, rejects file, pseudonyms, usage errors, SIGPIPE and a full disk,
# and a generated log counted against awk.
. "$(dirname "$0")/lib.sh"
# pipefail where the shell has it (dash does not): pipelines below also
# check the status of each stage where it matters
(set -o pipefail) 2>/dev/null && set -o pipefail

cat >"$T/day.csv" <<'EOF'
1,2268318,2520377,pv,1511544070
1,2333346,2520771,cart,1511561733
2,2268318,2520377,buy,1511572885
2,2268318,2520377,buy,1511572885
3,2576651,149192,clik,1511572885
4,2576651,,fav,1511573000
EOF

# ---- exact output ----------------------------------------------------------
expect "taobao day" 0 ig ingest --schema taobao --vocab "$T/V" -o "$T/day.igr" \
	--rejects "$T/day.rej" -q "$T/day.csv"
ig cat --vocab "$T/V" "$T/day.igr" | grep -v '^#' >"$T/got"
cat >"$T/want" <<'EOF'
ts	user	item	category	behavior	value
1511544070	1	2268318	2520377	view	1
1511561733	1	2333346	2520771	cart	1
1511572885	2	2268318	2520377	buy	1
1511573000	4	2576651	-	fav	1
EOF
same "external ids and normalised behaviours" "$T/want" "$T/got"
printf '%s\t%s\t%s\n' "$T/day.csv:5" "unknown behavior 'clik'" \
	"3,2576651,149192,clik,1511572885" >"$T/want"
same "rejects file: file:line, reason, row" "$T/want" "$T/day.rej"
printf '1\n2\n4\n' >"$T/want"
same "user vocabulary in first-seen order, no rejected ids" "$T/want" \
	"$T/V/user.tsv"
printf '2520377\n2520771\n' >"$T/want"
same "category vocabulary" "$T/want" "$T/V/category.tsv"

expect "-v summary" 0 ig ingest -v --schema taobao "$T/day.csv"
expect_err "summary adds up" \
	'rows 6 = accepted 4 + duplicates 1 + rejected 1 (1 unknown behavior); view 1, fav 1, cart 1, buy 1; users 3 (3 new), items 3 (3 new), categories 2 (2 new)'
expect_err "reject shown with file:line" "day.csv:5: unknown behavior 'clik'"
expect "-q is quiet" 0 ig ingest -q --schema taobao "$T/day.csv"
if [ -s "$T/err" ]; then fail "-q prints nothing" "$(cat "$T/err")"; else pass "-q prints nothing"; fi

# ---- encodings -------------------------------------------------------------
# records and meta, without the provenance line (it names the command)
# (without the #PG lines, and so without the '#end' trailer, whose
# checksum covers them)
body() {
	grep -v '^#PG\|^#end' "$@"
}
ig ingest -q --schema taobao --tsv "$T/day.csv" | body >"$T/a.tsv"
ig ingest -q --schema taobao --binary "$T/day.csv" | ig cat | body >"$T/b.tsv"
same "--tsv equals --binary through igraph-cat" "$T/a.tsv" "$T/b.tsv"
ig cat --seal --binary "$T/a.tsv" | ig cat | body >"$T/c.tsv"
same "TSV output reads back" "$T/a.tsv" "$T/c.tsv"

# ---- inputs ------------------------------------------------------------------
gzip -c "$T/day.csv" >"$T/day.csv.gz"
ig ingest -q --schema taobao --tsv "$T/day.csv.gz" | body >"$T/gz.tsv"
same "gzip input" "$T/a.tsv" "$T/gz.tsv"
cp "$T/day.csv.gz" "$T/plain-name.csv"
ig ingest -q --schema taobao --tsv "$T/plain-name.csv" | body >"$T/gz2.tsv"
same "gzip recognised by content, not name" "$T/a.tsv" "$T/gz2.tsv"
ig ingest -q --schema taobao --tsv <"$T/day.csv" | body >"$T/in.tsv"
same "stdin" "$T/a.tsv" "$T/in.tsv"
ig ingest -q --schema taobao --tsv - <"$T/day.csv" | body >"$T/in2.tsv"
same "- is stdin" "$T/a.tsv" "$T/in2.tsv"
expect "two inputs" 0 ig ingest -v --schema taobao "$T/day.csv" "$T/day.csv.gz"
expect_err "two inputs counted" 'rows 12 = accepted 4 + duplicates 6 + rejected 2'

# ---- shared vocabulary -------------------------------------------------------
printf '0 10 11 12\n1 11 13\n' >"$T/train.txt"
printf '0 13\n1 10\n2 14\n' >"$T/test.txt"
expect "adjlist train" 0 ig ingest --format adjlist --vocab "$T/G" "$T/train.txt" -o "$T/train.igr"
expect "adjlist test" 0 ig ingest -v --format adjlist --vocab "$T/G" "$T/test.txt" -o "$T/test.igr"
expect_err "test adds only its new ids" 'users 3 (1 new), items 5 (1 new)'
ig cat --vocab "$T/G" "$T/test.igr" | grep -v '^#' | cut -f2,3,5 >"$T/got"
printf 'user\titem\tbehavior\n0\t13\tclick\n1\t10\tclick\n2\t14\tclick\n' >"$T/want"
same "test ids mean the same as in train" "$T/want" "$T/got"
ig cat "$T/test.igr" | grep -v '^#' | cut -f2,3 >"$T/got"
printf 'user\titem\n0\t3\n1\t0\n2\t4\n' >"$T/want"
same "dense ids continue the train vocabulary" "$T/want" "$T/got"
printf '10\n11\n12\n13\n14\n' >"$T/want"
same "item vocabulary" "$T/want" "$T/G/item.tsv"
expect "adjlist position time" 0 ig ingest --format adjlist --time-format position --tsv "$T/train.txt"
if grep -v '^#' "$T/out" | cut -f1 | tail -n 5 | tr '\n' ' ' | grep -q '^1 2 3 4 5 $'; then
	pass "position time keeps order"
else
	fail "position time keeps order" "$(cat "$T/out")"
fi

# ---- failures leave everything as it was -------------------------------------
cp "$T/day.igr" "$T/keep.igr"
cp -r "$T/V" "$T/Vkeep"
printf '9,1,1,pv,1511544070\n9,1,1,clik,1511544070\n' >"$T/bad.csv"
expect "--strict fails on a reject" 1 ig ingest --strict --schema taobao \
	--vocab "$T/V" -o "$T/day.igr" --rejects "$T/bad.rej" "$T/bad.csv"
expect_err "--strict names file:line" "bad.csv:2: unknown behavior 'clik'"
same "-o file untouched by a failed run" "$T/keep.igr" "$T/day.igr"
same "vocabulary untouched by a failed run" "$T/Vkeep/user.tsv" "$T/V/user.tsv"
if [ "$(wc -l <"$T/bad.rej")" -eq 1 ]; then pass "rejects kept after a failed run"; else fail "rejects kept after a failed run"; fi
if ls "$T" | grep -q '\.tmp\.'; then fail "no temporary files left" "$(ls "$T")"; else pass "no temporary files left"; fi
ig ingest -q --strict --schema taobao "$T/bad.csv" 2>/dev/null | ig cat >/dev/null 2>"$T/err"
if [ $? -ne 0 ] && grep -q -i 'truncated\|not an igraph stream\|empty' "$T/err"; then
	pass "a failed run on stdout is not a valid stream downstream"
else
	fail "a failed run on stdout is not a valid stream downstream" "$(cat "$T/err")"
fi
expect "--max-rejects 10% fails" 1 ig ingest --schema taobao --max-rejects 10% "$T/day.csv"
expect_err "--max-rejects message" '1 of 6 rows rejected'
expect "--max-rejects 20% passes" 0 ig ingest -q --schema taobao --max-rejects 20% "$T/day.csv"
expect "write error is reported" 1 sh -c "'$IGRAPH_BIN/igraph-ingest' --schema taobao -q '$T/day.csv' > /dev/full"
expect_err "write error message" 'igraph-ingest: .*No space left on device'

# ---- SIGPIPE ---------------------------------------------------------------------
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "%d,%d,7,pv,%d\n", i % 1000, i, 1511544070 + i }' >"$T/many.csv"
( ig ingest --schema taobao --tsv "$T/many.csv" 2>"$T/err"; echo $? >"$T/rc" ) | head -n 2 >/dev/null
rc=$(cat "$T/rc")
if [ "$rc" -eq 141 ] && [ ! -s "$T/err" ]; then
	pass "a closed pipe ends ingest by SIGPIPE, silently"
else
	fail "a closed pipe ends ingest by SIGPIPE, silently" "exit $rc" "$(cat "$T/err")"
fi

# ---- pseudonyms ----------------------------------------------------------------
printf 'a long enough secret key\n' >"$T/key"
expect "pseudonymize" 0 ig ingest --schema taobao --vocab "$T/P" --pseudonymize "$T/key" -o "$T/p.igr" "$T/day.csv"
if grep -q -x -E '[0-9a-f]{32}' "$T/P/user.tsv" && [ "$(grep -c -v -x -E '[0-9a-f]{32}' "$T/P/user.tsv")" -eq 0 ]; then
	pass "user vocabulary holds only pseudonyms"
else
	fail "user vocabulary holds only pseudonyms" "$(cat "$T/P/user.tsv")"
fi
# that key file ends in a newline, which is part of the key; compare with
# openssl's -hmac (a string argument) through a key without one
printf 'another secret, 16+ bytes' >"$T/key2"
expect "pseudonymize again" 0 ig ingest --schema taobao --vocab "$T/P2" --pseudonymize "$T/key2" -o "$T/p2.igr" "$T/day.csv"
want=$(printf '1' | openssl dgst -sha256 -hmac 'another secret, 16+ bytes' 2>/dev/null | sed 's/.*= //' | cut -c1-32)
if [ -z "$want" ]; then
	skip "pseudonym equals HMAC-SHA-256 by openssl" "no openssl"
elif [ "$(head -n 1 "$T/P2/user.tsv")" = "$want" ]; then
	pass "pseudonym equals HMAC-SHA-256 by openssl"
else
	fail "pseudonym equals HMAC-SHA-256 by openssl" "$(head -n 1 "$T/P2/user.tsv") != $want"
fi
printf 'short' >"$T/shortkey"
expect "a short key is refused" 1 ig ingest --schema taobao --pseudonymize "$T/shortkey" "$T/day.csv"
expect_err "short key message" 'too short'

# ---- generic layouts ---------------------------------------------------------
cat >"$T/rr.csv" <<'EOF'
timestamp,visitorid,event,itemid,transactionid
1433221332117,257597,view,355908,
1433224214164,992329,addtocart,248676,
1433221999827,111016,transaction,11,4000
EOF
expect "generic mapping" 0 ig ingest --header --columns user=2,item=4,behavior=3,ts=1 \
	--behaviors view=view,addtocart=cart,transaction=buy --time-format ms --tsv "$T/rr.csv"
grep -v '^#' "$T/out" | cut -f1,5 >"$T/got"
printf 'ts\tbehavior\n1433221332\tview\n1433224214\tcart\n1433221999\tbuy\n' >"$T/want"
same "generic mapping output" "$T/want" "$T/got"
printf 'u;i;2017-11-26 09:00\n' >"$T/semi.csv"
expect "delimiter and zone" 0 ig ingest --delimiter ';' --columns user=1,item=2,ts=3 \
	--time-format iso --utc-offset +08:00 --tsv "$T/semi.csv"
if grep -q '^1511658000	' "$T/out"; then pass "zone-less time read at --utc-offset"; else fail "zone-less time read at --utc-offset" "$(cat "$T/out")"; fi
printf '{"uid": 18446744073709551615, "sku": "A1", "at": "2017-11-26T01:00:00Z"}\n' >"$T/c.jsonl"
expect "jsonl" 0 ig ingest --format jsonl --columns user=uid,item=sku,ts=at --vocab "$T/J" -o "$T/j.igr" "$T/c.jsonl"
if [ "$(cat "$T/J/user.tsv")" = 18446744073709551615 ]; then pass "a 64-bit JSON id survives"; else fail "a 64-bit JSON id survives" "$(cat "$T/J/user.tsv")"; fi
printf 'item_id,item_geohash,item_category\n1,,8270\n2,,7393\n' >"$T/items.csv"
expect "items kind" 0 ig ingest --kind items --schema tianchi-mobile --tsv "$T/items.csv"
if grep -v '^#' "$T/out" | head -n 1 | grep -q '^item	category	price	text$'; then pass "items stream"; else fail "items stream" "$(cat "$T/out")"; fi

# a decimal-comma locale changes nothing
loc=$(locale -a 2>/dev/null | grep -i -E '^(de_DE|fr_FR|ru_RU).*utf' | head -n 1)
printf '1\t2\t3.5\t881250949\n' >"$T/u.data"
if [ -n "$loc" ]; then
	LC_ALL=$loc ig ingest --schema movielens --tsv "$T/u.data" >"$T/loc.tsv"
	if grep -q '	review	3.5$' "$T/loc.tsv"; then pass "ratings under $loc"; else fail "ratings under $loc" "$(cat "$T/loc.tsv")"; fi
else
	skip "ratings under a decimal-comma locale" "no such locale installed"
fi

# ---- usage errors ----------------------------------------------------------------
for args in "--kind graph" "--format xml" "--delimiter ab" "--dedup-window -1" \
	"--max-field 0" "--min-time never" "--max-rejects 200%" "--quote xy" \
	"--schema taobao --missing user=none" "--schema taobao --behaviors pv=peek" \
	"--schema taobao --kind items" "--format adjlist --kind items" \
	"--columns user=1" "--utc-offset +25:00 --columns user=1,item=2" \
	"--schema taobao --time-format position --columns ts=5"; do
	# shellcheck disable=SC2086
	expect "usage error: $args" 2 ig ingest $args "$T/day.csv"
done
expect "--list-schemas" 0 ig ingest --list-schemas
for s in taobao tianchi-mobile dyhatr yoochoose diginetica movielens; do
	grep -q "^$s	" "$T/out" || fail "--list-schemas lists $s"
done
pass "--list-schemas lists every preset"

# ---- a generated log, counted with awk ------------------------------------------
if [ -x "$IGRAPH_BIN/igraph-gen" ]; then
	ig gen --users 300 --events 20000 --seed 7 -o "$T/gen.csv"
	expect "generated log" 0 ig ingest -v --schema taobao --vocab "$T/GV" -o "$T/gen.igr" "$T/gen.csv"
	rows=$(wc -l <"$T/gen.csv")
	uniq=$(sort -u "$T/gen.csv" | wc -l)
	expect_err "generated: all rows accounted for" "rows $rows = accepted $uniq + duplicates $((rows - uniq)) + rejected 0"
	ig cat "$T/gen.igr" | grep -v '^#' | awk -F'\t' 'NR > 1 { c[$5]++ } END { for (b in c) print b, c[b] }' | sort >"$T/got"
	sort -u "$T/gen.csv" | awk -F, '{ b = $4 == "pv" ? "view" : $4; c[b]++ } END { for (b in c) print b, c[b] }' | sort >"$T/want"
	same "generated: events per behaviour match awk" "$T/want" "$T/got"
	users=$(cut -d, -f1 "$T/gen.csv" | sort -u | wc -l)
	if [ "$(wc -l <"$T/GV/user.tsv")" -eq "$users" ]; then pass "generated: users match"; else fail "generated: users match"; fi
	# every field quoted sends every line through libcsv: same events
	sed 's/,/","/g; s/^/"/; s/$/"/' "$T/gen.csv" >"$T/genq.csv"
	ig ingest -q --schema taobao --tsv "$T/gen.csv" | body >"$T/a.tsv"
	ig ingest -q --schema taobao --tsv "$T/genq.csv" | body >"$T/b.tsv"
	same "generated: libcsv path equals the fast path" "$T/a.tsv" "$T/b.tsv"
	gzip -c "$T/genq.csv" | ig ingest -q --schema taobao --tsv | body >"$T/c.tsv"
	same "generated: gzip on stdin" "$T/a.tsv" "$T/c.tsv"
else
	skip "generated log counted with awk" "igraph-gen not built"
fi
finish
