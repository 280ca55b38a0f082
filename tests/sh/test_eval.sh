#!/bin/sh
# igraph-eval: TSV and binary inputs give identical metrics; agreement to 4
# decimals with the independent scripts/eval-reference on random data (and
# on Gowalla when the data are there); any input order; probabilities;
# comparison; external ids; bad inputs (truncation anywhere, wrong kind,
# empty, duplicates, ...) and usage errors; a decimal-comma locale.
. "$(dirname "$0")/lib.sh"

REF=$TOP/scripts/eval-reference

# gen SEED NUSERS: random truth ($T/truth.tsv) and recommendations
# ($T/recs.tsv, records in random order, rank gaps and ties, users without
# truth, users with truth and no list, scores in (0, 1) never on a bin
# edge).
gen() {
	awk -v seed="$1" -v nu="$2" -v truth="$T/truth.tsv" -v recs="$T/recs.tsv" '
	BEGIN {
		srand(seed); OFS = "\t"
		print "#igraph events 1.0" > truth
		print "ts", "user", "item", "category", "behavior", "value" > truth
		split("view view view cart buy fav", beh, " ")
		for (u = 0; u < nu; u++) {
			if (u % 9 == 4) continue
			nt = 1 + int(rand() * 8)
			for (i = 0; i < nt; i++) {
				it = int(rand() * 70)
				b = beh[1 + int(rand() * 6)]
				print 1000 + i, u, it, int(it / 10), b, 1 > truth
				if (rand() < 0.2) print 2000 + i, u, it, "-", b, 1 > truth
			}
		}
		n = 0
		for (u = 0; u < nu + 12; u++) {
			if (u % 13 == 7) continue
			len = int(rand() * 26)
			split("", used)
			rank = 0
			for (i = 0; i < len; i++) {
				do it = int(rand() * 90); while (it in used)
				used[it] = 1
				rank += (rand() < 0.15) ? 0 : 1 + (rand() < 0.2)
				if (rank == 0) rank = 1
				sc = (int(rand() * 99999) + 0.5) / 100000
				line[++n] = "user\t" u "\titem\t" it "\t" sprintf("%.6f", sc) "\t" rank
			}
		}
		for (i = n; i > 1; i--) {
			j = 1 + int(rand() * i)
			t = line[i]; line[i] = line[j]; line[j] = t
		}
		print "#igraph scores 1.0" > recs
		print "query_type", "query", "target_type", "target", "score", "rank" > recs
		for (i = 1; i <= n; i++) print line[i] > recs
	}'
	# the trailer every TSV stream ends with (igraph-stream(5))
	for _f in truth recs; do
		seal_raw <"$T/$_f.tsv" >"$T/$_f.sealed" && mv "$T/$_f.sealed" "$T/$_f.tsv"
	done
}

# agree NAME FILE1 FILE2: same metric lines, values within 5e-5
# (4 decimals); "nan" only where both are nan.
agree() {
	if awk -F '\t' '
		NR == FNR { v[$1 "\t" $2] = $3; n1++; next }
		{
			n2++
			k = $1 "\t" $2
			if (!(k in v)) { print "missing in first: " k; bad = 1; next }
			a = v[k]; b = $3
			if (a == "nan" || b == "nan") {
				if (a != b) { print k ": " a " vs " b; bad = 1 }
				next
			}
			d = a - b; if (d < 0) d = -d
			if (d > 5e-5) { print k ": " a " vs " b; bad = 1 }
		}
		END { if (n1 != n2) { print n1 " lines vs " n2; bad = 1 }; exit bad }
	' "$2" "$3" >"$T/agree.log" 2>&1; then
		pass "$1"
	else
		fail "$1" "$(head -n 10 "$T/agree.log")"
	fi
}

gen 7 150
check "binary truth" ig cat --binary -o "$T/truth.igr" "$T/truth.tsv"
check "binary recs" ig cat --binary -o "$T/recs.igr" "$T/recs.tsv"
ig cat "$T/recs.igr" >"$T/recs.cat.tsv"
ig cat "$T/truth.igr" >"$T/truth.cat.tsv"

# ---- the default output, and its format --------------------------------
expect "eval runs" 0 ig eval --truth "$T/truth.igr" -k 1,5,10,20,50 "$T/recs.igr"
cp "$T/out" "$T/bin.out"
if awk -F '\t' 'NF != 3 || ($2 != "-" && $2 !~ /^[0-9]+$/) ||
		$3 !~ /^(nan|[0-9]+(\.[0-9]+)?)$/ { bad = 1 } END { exit bad }' \
		"$T/bin.out"; then
	pass "output lines are metric<TAB>k<TAB>value"
else
	fail "output lines are metric<TAB>k<TAB>value" "$(head -n 5 "$T/bin.out")"
fi
want="users items precision recall f1 ndcg hit map mrr coverage"
got=$(cut -f 1 "$T/bin.out" | uniq | tr '\n' ' ' | sed 's/ $//')
if [ "$got" = "$want" ]; then
	pass "metric order"
else
	fail "metric order" "got: $got"
fi
if [ "$(grep -c '^precision	' "$T/bin.out")" = 5 ] &&
	grep -q '^ndcg	50	0\.[0-9]\{6\}$' "$T/bin.out"; then
	pass "one line per cutoff, six decimals"
else
	fail "one line per cutoff, six decimals" "$(grep ndcg "$T/bin.out")"
fi

# ---- encodings and order -----------------------------------------------
expect "TSV recs" 0 ig eval --truth "$T/truth.tsv" -k 1,5,10,20,50 "$T/recs.tsv"
same "TSV and binary inputs give identical metrics" "$T/bin.out" "$T/out"
expect "recs from stdin" 0 sh -c "\"$IGRAPH_BIN/igraph-eval\" --truth '$T/truth.igr' -k 50,20,10,5,1,10 < '$T/recs.igr'"
same "stdin, cutoffs in any order" "$T/bin.out" "$T/out"
gzip -c "$T/recs.igr" >"$T/recs.igr.gz"
expect "gzip input" 0 ig eval --truth "$T/truth.igr" -k 1,5,10,20,50 "$T/recs.igr.gz"
same "gzip input gives identical metrics" "$T/bin.out" "$T/out"
{ head -n 2 "$T/recs.cat.tsv"; tail -n +3 "$T/recs.cat.tsv" | grep -v '^#end' | sort -t '	' -k2,2n -k6,6n; } |
	sealed >"$T/sorted.tsv"
expect "sorted input" 0 ig eval --truth "$T/truth.igr" -k 1,5,10,20,50 "$T/sorted.tsv"
same "input order does not matter" "$T/bin.out" "$T/out"
expect "JSON, binary" 0 ig eval --json --per-user --truth "$T/truth.igr" "$T/recs.igr"
cp "$T/out" "$T/bin.json"
expect "JSON, TSV" 0 ig eval --json --per-user --truth "$T/truth.tsv" "$T/recs.tsv"
sed 's/truth\.tsv/truth.igr/; s/recs\.tsv/recs.igr/' "$T/out" >"$T/tsv.json"
same "JSON identical for both encodings" "$T/bin.json" "$T/tsv.json"

# ---- the independent reference -----------------------------------------
"$REF" -k 1,5,10,20,50 "$T/truth.cat.tsv" "$T/recs.cat.tsv" >"$T/ref.out"
agree "agrees with eval-reference (random data)" "$T/ref.out" "$T/bin.out"
expect "eval --behavior" 0 ig eval --truth "$T/truth.igr" --behavior cart,buy -k 3,10 --items 500 "$T/recs.igr"
"$REF" -k 3,10 -b cart,buy -n 500 "$T/truth.cat.tsv" "$T/recs.cat.tsv" >"$T/ref.out"
agree "agrees with eval-reference (--behavior cart,buy, --items)" "$T/ref.out" "$T/out"
expect "eval --probabilities" 0 ig eval --truth "$T/truth.igr" --probabilities --bins 7 -k 10 "$T/recs.igr"
cp "$T/out" "$T/prob.out"
"$REF" -k 10 -p 7 "$T/truth.cat.tsv" "$T/recs.cat.tsv" >"$T/ref.out"
agree "agrees with eval-reference (AUC, log-loss, calibration)" "$T/ref.out" "$T/prob.out"
for s in 11 12 13; do
	gen $s 60
	ig cat --binary -o "$T/r.igr" "$T/recs.tsv"
	ig eval --truth "$T/truth.tsv" -k 2,7,25 --probabilities "$T/r.igr" >"$T/o" 2>/dev/null
	"$REF" -k 2,7,25 -p 10 "$T/truth.tsv" "$T/recs.tsv" >"$T/ref.out"
	agree "agrees with eval-reference (seed $s)" "$T/ref.out" "$T/o"
done
gen 7 150 # back to the main data set

# ---- probabilities announced by the stream -------------------------------
{ echo "#igraph scores 1.0"; printf '#meta\tscore\tprobability\n'; tail -n +2 "$T/recs.tsv" | grep -v '^#end'; } |
	seal_raw >"$T/pm.tsv"
ig cat --binary -o "$T/pm.igr" "$T/pm.tsv"
expect "header meta score=probability" 0 ig eval --truth "$T/truth.igr" --bins 7 -k 10 "$T/pm.igr"
same "meta gives the probability metrics" "$T/prob.out" "$T/out"
grep -q '^auc	-	0\.' "$T/out" && grep -q '^calib_rate	0.142857-0.285714	' "$T/out" &&
	pass "auc and calibration lines" || fail "auc and calibration lines" "$(tail -n 5 "$T/out")"
printf '#igraph scores 1.0\n#meta\tscore\tprobability\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nuser\t1\titem\t2\t1.5\t1\n' | seal_raw >"$T/bad.tsv"
expect "probability above 1" 1 ig eval --truth "$T/truth.igr" "$T/bad.tsv"
expect_err "probability above 1: message" "bad.tsv: record 1: user 1 item 2: score 1.5 is not a probability"

# ---- per-user rows ---------------------------------------------------------
expect "--per-user" 0 ig eval --truth "$T/truth.igr" -k 5,10 --per-user "$T/recs.igr"
cp "$T/out" "$T/pu.out"
if [ "$(head -n 1 "$T/pu.out")" = "$(printf 'user\tk\ttruth\trecs\thits\tprecision\trecall\tf1\tndcg\thit\tap\trr')" ] &&
	[ "$(($(wc -l <"$T/pu.out") - 1))" = "$((2 * $(grep '^users' "$T/bin.out" | cut -f 3)))" ]; then
	pass "per-user header and one row per user and cutoff"
else
	fail "per-user header and one row per user and cutoff" "$(head -n 3 "$T/pu.out")"
fi
# the mean of the per-user rows is the average
m=$(awk -F '\t' 'NR > 1 && $2 == 10 { s += $9; n++ } END { printf "%.6f", s / n }' "$T/pu.out")
near "per-user rows average to the ndcg line" "$m" "$(grep '^ndcg	10	' "$T/bin.out" | cut -f 3)" 0.0000011
# users with truth and no list appear with zeros
u=$(awk -F '\t' 'NR > 1 && $4 == 0 { print $1; exit }' "$T/pu.out")
if [ -n "$u" ] && awk -F '\t' -v u="$u" 'NR > 1 && $1 == u && ($5 != 0 || $6 != "0.000000") { bad = 1 } END { exit bad }' "$T/pu.out"; then
	pass "users without recommendations score zeros"
else
	fail "users without recommendations score zeros" "user '$u'"
fi
expect "-v summary" 0 ig eval -v --truth "$T/truth.igr" "$T/recs.igr"
nign=$(awk -F '\t' '/^#/ { next } NR == FNR { if (FNR > 2) t[$2] = 1; next }
	FNR > 2 && !($2 in t) && !s[$2]++ { n++ } END { print n }' "$T/truth.tsv" "$T/recs.tsv")
expect_err "-v: users with truth" "$(grep '^users' "$T/bin.out" | cut -f 3) users with truth"
expect_err "-v: ignored users counted" "for $nign users without truth, ignored"
expect_err "-v: item count source" "items (largest id + 1)"
expect "-o file" 0 ig eval -o "$T/o.out" --truth "$T/truth.igr" -k 1,5,10,20,50 "$T/recs.igr"
same "-o writes the same as stdout" "$T/bin.out" "$T/o.out"

# ---- comparison ------------------------------------------------------------
expect "--compare with itself" 0 ig eval --truth "$T/truth.igr" -k 10 --compare "$T/recs.tsv" "$T/recs.igr"
if awk -F '\t' 'NR > 3 && $5 != "0.000000" { bad = 1 } NR > 3 && $6 != "-" && ($6 != 0 || $7 != 0) { bad = 1 } END { exit bad }' "$T/out"; then
	pass "a run against itself: no difference, all ties"
else
	fail "a run against itself: no difference, all ties" "$(head -n 5 "$T/out")"
fi
# a better run: the truth itself, first, for every other user
awk -F '\t' 'NR > 2 && !/^#/ && $2 % 2 == 0 && !seen[$2 " " $3]++ { r[$2]++; printf "user\t%s\titem\t%s\t0.9\t%d\n", $2, $3, r[$2] }' \
	"$T/truth.tsv" >"$T/oracle.body"
{ head -n 2 "$T/recs.tsv"; cat "$T/oracle.body"; } | seal_raw >"$T/oracle.tsv"
expect "--compare with an oracle" 0 ig eval --truth "$T/truth.igr" -k 10 --compare "$T/oracle.tsv" "$T/recs.igr"
cp "$T/out" "$T/cmp.out"
line=$(grep '^recall	10	' "$T/cmp.out")
b=$(echo "$line" | cut -f 4)
bw=$(echo "$line" | cut -f 6)
p=$(echo "$line" | cut -f 9)
expect "oracle alone" 0 ig eval --truth "$T/truth.igr" -k 10 "$T/oracle.tsv"
if [ "$b" = "$(grep '^recall	10	' "$T/out" | cut -f 3)" ] && [ "$bw" -gt 40 ] &&
	awk -v p="$p" 'BEGIN { exit !(p < 1e-6) }'; then
	pass "comparison: b column, wins and a tiny p-value"
else
	fail "comparison: b column, wins and a tiny p-value" "$line"
fi
expect "--compare --json" 0 ig eval --json --truth "$T/truth.igr" -k 10 --compare "$T/oracle.tsv" "$T/recs.igr"
grep -q '"b_better":' "$T/out" && grep -q '"p_sign":' "$T/out" &&
	pass "JSON comparison fields" || fail "JSON comparison fields"

# ---- external ids ------------------------------------------------------------
mkdir "$T/V"
awk 'BEGIN { for (i = 0; i < 200; i++) print "u-" i }' >"$T/V/user.tsv"
awk 'BEGIN { for (i = 0; i < 120; i++) print "sku" i }' >"$T/V/item.tsv"
awk 'BEGIN { for (i = 0; i < 10; i++) print "cat" i }' >"$T/V/category.tsv"
ig cat --vocab "$T/V" "$T/recs.igr" >"$T/recs.ext.tsv"
ig cat --vocab "$T/V" "$T/truth.igr" >"$T/truth.ext.tsv"
if grep -q 'u-3	item	sku' "$T/recs.ext.tsv"; then pass "external-id TSV written"; else fail "external-id TSV written"; fi
expect "external ids need --vocab" 1 ig eval --truth "$T/truth.ext.tsv" "$T/recs.ext.tsv"
expect "--vocab" 0 ig eval --vocab "$T/V" --truth "$T/truth.ext.tsv" -k 1,5,10,20,50 "$T/recs.ext.tsv"
grep -v '^items\|^coverage' "$T/out" >"$T/v1"
grep -v '^items\|^coverage' "$T/bin.out" >"$T/v2"
same "external ids give the same metrics" "$T/v1" "$T/v2"
grep -q '^items	-	120$' "$T/out" && pass "--vocab item count for coverage" || fail "--vocab item count for coverage" "$(grep items "$T/out")"
expect "--vocab --per-user" 0 ig eval --vocab "$T/V" --truth "$T/truth.igr" -k 5 --per-user "$T/recs.igr"
awk -F '\t' 'NR > 1 && $1 !~ /^u-[0-9]+$/ { bad = 1 } END { exit bad }' "$T/out" &&
	pass "per-user rows name users by external id" || fail "per-user rows name users by external id" "$(sed -n 2p "$T/out")"

# ---- bad inputs ------------------------------------------------------------
# cut_all FILE RECSIZE ROLE: FILE cut anywhere -- inside the header, at
# its end, inside and exactly between records, before and inside the end
# block -- must exit 1 with "truncated" in the message.
cut_all() {
	_size=$(wc -c <"$1")
	head -n 2 "${1%.igr}.tsv" | ig cat --seal --binary >"$T/empty.igr"
	_hdr=$(($(wc -c <"$T/empty.igr") - 20)) # the end block is 20 bytes
	_n=$(($(wc -l <"${1%.igr}.tsv") - 3)) # header, columns, trailer
	if [ $((_hdr + 4 + $2 * _n + 20)) -eq "$_size" ]; then
		pass "$3: binary layout as expected (one block of $2-byte records)"
	else
		fail "$3: binary layout as expected (one block of $2-byte records)" "size $_size hdr $_hdr n $_n"
	fi
	_bad=
	for _c in 1 8 $((_hdr - 1)) $_hdr $((_hdr + 2)) $((_hdr + 4)) \
		$((_hdr + 4 + $2)) $((_hdr + 4 + $2 * 7)) $((_hdr + 4 + $2 * 7 + 5)) \
		$((_hdr + 4 + $2 * (_n - 1))) $((_hdr + 4 + $2 * _n)) \
		$((_size - 19)) $((_size - 12)) $((_size - 4)) $((_size - 1)); do
		head -c "$_c" "$1" >"$T/cut.igr"
		if [ "$3" = truth ]; then
			"$IGRAPH_BIN/igraph-eval" --truth "$T/cut.igr" "$T/recs.igr" >/dev/null 2>"$T/err"
		else
			"$IGRAPH_BIN/igraph-eval" --truth "$T/truth.igr" "$T/cut.igr" >/dev/null 2>"$T/err"
		fi
		_rc=$?
		if [ $_rc -ne 1 ] || ! grep -q truncated "$T/err"; then
			_bad="$_bad $_c(exit $_rc: $(head -n 1 "$T/err"))"
		fi
	done
	if [ -z "$_bad" ]; then
		pass "$3 cut anywhere (at record boundaries too) exits 1 saying truncated"
	else
		fail "$3 cut anywhere (at record boundaries too) exits 1 saying truncated" "$_bad"
	fi
}
cut_all "$T/recs.igr" 18 recommendations
cut_all "$T/truth.igr" 25 truth
head -n 40 "$T/recs.tsv" | head -c -3 >"$T/cut.tsv"
expect "TSV without its last newline" 1 ig eval --truth "$T/truth.igr" "$T/cut.tsv"
expect_err "TSV cut: message" "truncated"
expect "events as recommendations" 1 ig eval --truth "$T/truth.igr" "$T/truth.igr"
expect_err "wrong kind: message" "scores"
expect "scores as truth" 1 ig eval --truth "$T/recs.igr" "$T/recs.igr"
expect_err "wrong kind of truth: message" "events"
: >"$T/empty"
expect "empty recommendations file" 1 ig eval --truth "$T/truth.igr" "$T/empty"
expect_err "empty input: message" "empty input"
expect "empty stdin" 1 sh -c "\"$IGRAPH_BIN/igraph-eval\" --truth '$T/truth.igr' </dev/null"
expect_err "empty stdin: message" "empty input"
head -n 2 "$T/recs.tsv" | ig cat --seal --binary >"$T/norecs.igr"
expect "no records: every user scores 0" 0 ig eval --truth "$T/truth.igr" -k 5 "$T/norecs.igr"
grep -q '^recall	5	0.000000$' "$T/out" && pass "no records: recall 0" || fail "no records: recall 0"
expect "no relevant truth" 1 ig eval --truth "$T/truth.igr" --behavior review "$T/recs.igr"
expect_err "no relevant truth: message" "behavior review: no user has truth events"
printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nuser\t1\titem\t2\t0.5\t1\nuser\t1\titem\t2\t0.4\t2\n' | seal_raw >"$T/dup.tsv"
expect "an item listed twice" 1 ig eval --truth "$T/truth.igr" "$T/dup.tsv"
expect_err "duplicate: message" "dup.tsv: user 1: item 2 is listed twice"
printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nuser\t1\titem\t2\t0.5\t0\n' | seal_raw >"$T/r0.tsv"
expect "rank 0" 1 ig eval --truth "$T/truth.igr" "$T/r0.tsv"
expect_err "rank 0: message" "r0.tsv: record 1: user 1 item 2: rank 0"
printf '#igraph scores 1.0\nquery_type\tquery\ttarget_type\ttarget\tscore\trank\nitem\t1\tuser\t2\t0.5\t1\n' | seal_raw >"$T/aud.tsv"
expect "item -> user scores" 1 ig eval --truth "$T/truth.igr" "$T/aud.tsv"
expect_err "item -> user: message" "item -> user scores"
expect "item outside --items" 1 ig eval --truth "$T/truth.igr" --items 50 "$T/recs.igr"
expect_err "item outside --items: message" "outside the 50 items"
expect "missing file" 1 ig eval --truth "$T/truth.igr" "$T/nonexistent"
expect "garbage" 1 ig eval --truth "$T/truth.igr" /etc/passwd

# ---- usage errors ------------------------------------------------------------
expect "no --truth" 2 ig eval "$T/recs.igr"
expect "-k 0" 2 ig eval --truth "$T/truth.igr" -k 0 "$T/recs.igr"
expect "-k 10,x" 2 ig eval --truth "$T/truth.igr" -k 10,x "$T/recs.igr"
expect "-k 1000001" 2 ig eval --truth "$T/truth.igr" -k 1000001 "$T/recs.igr"
expect "--bins 0" 2 ig eval --truth "$T/truth.igr" --bins 0 "$T/recs.igr"
expect "--items 0" 2 ig eval --truth "$T/truth.igr" --items 0 "$T/recs.igr"
expect "--behavior bogus" 2 ig eval --truth "$T/truth.igr" --behavior buy,bogus "$T/recs.igr"
expect_err "--behavior bogus: message" "unknown behavior 'bogus'"
expect "two recommendation files" 2 ig eval --truth "$T/truth.igr" "$T/recs.igr" "$T/recs.igr"
expect "--per-user with --compare" 2 ig eval --truth "$T/truth.igr" --per-user --compare "$T/recs.igr" "$T/recs.tsv"
expect "stdin twice" 2 ig eval --truth - -

# ---- numbers never follow the locale ---------------------------------------
if locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
	LC_ALL=de_DE.UTF-8 "$IGRAPH_BIN/igraph-eval" --truth "$T/truth.igr" -k 1,5,10,20,50 "$T/recs.igr" >"$T/de.out" 2>"$T/err"
	same "decimal-comma locale prints '.'" "$T/bin.out" "$T/de.out"
	LC_ALL=de_DE.UTF-8 "$IGRAPH_BIN/igraph-eval" --json --per-user --truth "$T/truth.igr" "$T/recs.igr" >"$T/de.json" 2>"$T/err"
	same "decimal-comma locale: JSON" "$T/bin.json" "$T/de.json"
	LC_ALL=de_DE.UTF-8 "$IGRAPH_BIN/igraph-eval" --truth "$T/truth.igr" --probabilities --bins 7 -k 10 "$T/recs.igr" >"$T/de.out" 2>"$T/err"
	same "decimal-comma locale: probability lines and bins" "$T/prob.out" "$T/de.out"
else
	skip "decimal-comma locale" "de_DE.UTF-8 is not installed (locale-gen de_DE.UTF-8)"
fi

# ---- real data: Gowalla ------------------------------------------------------
G=$DATA/gowalla
if [ ! -f "$G/test.txt" ]; then
	skip "Gowalla: igraph-eval agrees with eval-reference" "no $G"
elif [ -x "$IGRAPH_BIN/igraph-ingest" ] && [ -x "$IGRAPH_BIN/igraph-featurize" ] &&
	[ -x "$IGRAPH_BIN/igraph-train" ] && [ -x "$IGRAPH_BIN/igraph-recommend" ]; then
	# the real pipeline, with the quick popularity model
	if ig ingest --format adjlist --vocab "$T/GV" "$G/train.txt" >"$T/g.train.igr" 2>"$T/err" &&
		ig ingest --format adjlist --vocab "$T/GV" "$G/test.txt" >"$T/g.test.igr" 2>>"$T/err" &&
		ig featurize "$T/g.train.igr" >"$T/g.graph.igr" 2>>"$T/err" &&
		ig train --model pop "$T/g.graph.igr" -o "$T/g.pop.igm" 2>>"$T/err" &&
		ig recommend --model "$T/g.pop.igm" -k 20 "$T/g.graph.igr" >"$T/g.recs.igr" 2>>"$T/err"; then
		ig eval --truth "$T/g.test.igr" -k 10,20 "$T/g.recs.igr" >"$T/g.out" 2>"$T/err"
		ig cat "$T/g.recs.igr" >"$T/g.recs.tsv"
		ig cat "$T/g.test.igr" >"$T/g.test.tsv"
		"$REF" -k 10,20 "$T/g.test.tsv" "$T/g.recs.tsv" >"$T/g.ref"
		agree "Gowalla pipeline (pop): igraph-eval agrees with eval-reference" "$T/g.ref" "$T/g.out"
		grep -q '^users	-	29858$' "$T/g.out" && pass "Gowalla: 29858 users evaluated" ||
			fail "Gowalla: 29858 users evaluated" "$(head -n 1 "$T/g.out")"
	else
		fail "Gowalla pipeline runs" "$(tail -n 3 "$T/err")"
	fi
else
	# the stages are not all built yet: real data, lists made here
	awk 'BEGIN { OFS = "\t"; print "#igraph events 1.0"; print "ts", "user", "item", "category", "behavior", "value" }
		{ for (i = 2; i <= NF; i++) print 0, $1, $i, "-", "view", 1 }' "$G/test.txt" | seal_raw >"$T/g.test.tsv"
	awk 'NR == FNR { for (i = 2; i <= NF; i++) c[$i]++; next }
		FNR == 1 { n = 0; for (it in c) top[++n] = it
			# the 20 most popular training items (selection, ties by id)
			for (r = 1; r <= 20; r++) { b = r
				for (j = r + 1; j <= n; j++)
					if (c[top[j]] > c[top[b]] || (c[top[j]] == c[top[b]] && top[j] + 0 < top[b] + 0)) b = j
				t = top[r]; top[r] = top[b]; top[b] = t }
			print "#igraph scores 1.0"; print "query_type\tquery\ttarget_type\ttarget\tscore\trank" }
		{ for (r = 1; r <= 20; r++) printf "user\t%s\titem\t%s\t%d\t%d\n", $1, top[r], c[top[r]], r }' \
		"$G/train.txt" "$G/test.txt" | seal_raw >"$T/g.recs.tsv"
	ig cat --binary -o "$T/g.recs.igr" "$T/g.recs.tsv"
	ig cat --binary -o "$T/g.test.igr" "$T/g.test.tsv"
	ig eval --truth "$T/g.test.igr" -k 10,20 "$T/g.recs.igr" >"$T/g.out" 2>"$T/err"
	"$REF" -k 10,20 "$T/g.test.tsv" "$T/g.recs.tsv" >"$T/g.ref"
	agree "Gowalla (popularity lists built here; stages missing): agrees with eval-reference" "$T/g.ref" "$T/g.out"
fi
finish
