#!/bin/sh
# Issue 12, classes 2 and 3: times that cannot be right (an event decades
# ahead, a --now before the events, a merge that would prune nearly the
# whole graph) and inputs where something on a line could be lost (content
# after a JSON object, byte order marks and headers in the middle of a
# concatenation, concatenated compressions, binary garbage).  Each case is
# a reject with a reason or an error, never a silent exit 0.  Streams are
# made with igraph-ingest from raw logs, never written by hand.
. "$(dirname "$0")/lib.sh"

CSVOPTS="--header --columns user=user_id,item=item_id,behavior=behavior,ts=ts"
JSONOPTS="--format jsonl --columns user=user,item=item,behavior=behavior,ts=ts"

# counts: "rows accepted duplicates rejected" from the -v summary in $T/err
counts() {
	sed -n "s/.*rows \([0-9]*\) = accepted \([0-9]*\) + duplicates \([0-9]*\) + rejected \([0-9]*\).*/\1 \2 \3 \4/p" "$T/err" |
		tail -n 1
}

# is NAME GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', wanted '$3'"
	fi
}

# rejects_have NAME FILE PATTERN: a line of the rejects file matches
rejects_have() {
	if grep -q -e "$3" "$2" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "no reject matches '$3':" "$(head -n 5 "$2" 2>&1)"
	fi
}

# vocab_clean NAME DIR: only the ids of the test data (u*, i*), no phantom
vocab_clean() {
	if [ -s "$2/user.tsv" ] && ! grep -v -q -E '^[ui][0-9]+$' "$2/user.tsv" "$2/item.tsv"; then
		pass "$1"
	else
		fail "$1" "phantom ids:" "$(grep -v -E '^[ui][0-9]+$' "$2/user.tsv" "$2/item.tsv" | head -n 5 | od -c | head -n 5)"
	fi
}

# ---- class 2: times that cannot be right ---------------------------------

cat >"$T/future.csv" <<'EOF'
user_id,item_id,behavior,ts
u1,i1,click,2024-01-01T10:00:00Z
u2,i2,buy,2024-01-01T11:00:00Z
u3,i3,click,2090-01-01T00:00:00Z
u1,i2,click,2024-01-01T12:00:00Z
EOF

# ingest: a far-future event is a reject with its reason, against --now
expect "ingest: a future event is a reject" 0 \
	ig ingest -v $CSVOPTS --now 2024-01-02 --rejects "$T/rej" \
	-o "$T/f.igr" "$T/future.csv"
is "ingest: future counted as a reject" "$(counts)" "4 3 0 1"
rejects_have "ingest: future reason" "$T/rej" \
	'future.csv:4.*time .* is in the future (after 2024-01-03T00:00:00Z'
expect_err "ingest: -v names the reason" "1 time in the future"
expect "ingest: --strict stops at a future event" 1 \
	ig ingest $CSVOPTS --now 2024-01-02 --strict -o "$T/f.igr" \
	"$T/future.csv"
expect_err "ingest: --strict message" "is in the future"
# the default horizon is the clock plus a day (2099 is before the old
# 2100 --max-time, so only the horizon catches it)
sed 's/2090-01-01/2099-06-01/' "$T/future.csv" >"$T/future2.csv"
expect "ingest: clock horizon" 0 \
	ig ingest -v $CSVOPTS --rejects "$T/rej" -o "$T/f.igr" "$T/future2.csv"
is "ingest: clock horizon rejects the 2099 event" "$(counts)" "4 3 0 1"
# --max-future widens it; inf turns it off
expect "ingest: --max-future 100y" 0 \
	ig ingest -v $CSVOPTS --now 2024-01-02 --max-future 36600d \
	-o "$T/f.igr" "$T/future.csv"
is "ingest: --max-future lets the event in" "$(counts)" "4 4 0 0"
expect "ingest: --max-future inf" 0 \
	ig ingest -v $CSVOPTS --max-future inf -o "$T/ff.igr" "$T/future2.csv"
is "ingest: --max-future inf keeps all" "$(counts)" "4 4 0 0"
# a time within the margin is fine
expect "ingest: 12 hours ahead is within the margin" 0 \
	ig ingest -v $CSVOPTS --now 2024-01-01T00:00:00Z -o "$T/f.igr" \
	"$T/future.csv"
is "ingest: margin" "$(counts)" "4 3 0 1"
expect "ingest: --max-future is a duration" 2 \
	ig ingest $CSVOPTS --max-future soon "$T/future.csv"

# featurize: --now before the events is an error, never a weight > w
head -n 3 "$T/future.csv" >"$T/past.csv"
check "featurize: stream of 2024" \
	ig ingest $CSVOPTS -o "$T/past.igr" "$T/past.csv"
expect "featurize: --now before the events" 1 \
	ig featurize --now 2023-12-31 -o "$T/g.igr" "$T/past.igr"
expect_err "featurize: --now message" "event at 1704103200 is after --now 1703980800"
if [ -e "$T/g.igr" ]; then
	fail "featurize: no graph after the error"
else
	pass "featurize: no graph after the error"
fi
expect "featurize: --now after the events is fine" 0 \
	ig featurize --now 2024-01-02 -o "$T/g.igr" "$T/past.igr"

# featurize: a far-future event (a stream not from today's ingest) does
# not move the graph's now
expect "featurize: far-future event" 1 \
	ig featurize -o "$T/g.igr" "$T/ff.igr"
expect_err "featurize: far-future message" "event at 4083955200 is in the future"
expect "featurize: --max-future inf accepts it" 0 \
	ig featurize --max-future inf -o "$T/gff.igr" "$T/ff.igr"
expect "featurize: a base whose now is in the future" 1 \
	ig featurize --base "$T/gff.igr" -o "$T/g.igr" "$T/past.igr"
expect_err "featurize: base now message" "base graph's now 4083955200 is in the future"

# featurize: a merge that would prune nearly all of the base graph
i=0
{
	echo user_id,item_id,behavior,ts
	while [ $i -lt 50 ]; do
		echo "u$i,i$((i % 7)),click,2020-01-01T00:00:00Z"
		i=$((i + 1))
	done
} >"$T/old.csv"
printf 'user_id,item_id,behavior,ts\nu1,i1,click,2022-01-01T00:00:00Z\n' >"$T/new.csv"
check "prune: old stream" ig ingest $CSVOPTS -o "$T/old.igr" "$T/old.csv"
check "prune: new stream" ig ingest $CSVOPTS -o "$T/new.igr" "$T/new.csv"
check "prune: base graph" ig featurize -o "$T/base.igr" "$T/old.igr"
rm -f "$T/g.igr"
expect "prune: a merge two years on is refused" 1 \
	ig featurize --base "$T/base.igr" -o "$T/g.igr" "$T/new.igr"
expect_err "prune: message" "would prune .* of the base graph's .* edges"
if [ -e "$T/g.igr" ]; then
	fail "prune: no graph after the error"
else
	pass "prune: no graph after the error"
fi
expect "prune: --allow-prune" 0 \
	ig featurize --allow-prune --base "$T/base.igr" -o "$T/g.igr" "$T/new.igr"

# real daily merges never trip it: igraph-gen days merged one by one
check "daily: gen log" ig gen --users 300 --days 6 -o "$T/gen.csv"
check "daily: ingest" ig ingest --schema taobao -o "$T/gen.igr" "$T/gen.csv"
prev=
ok=1
for d in 0 1 2 3 4 5; do
	lo=$((1511539200 + d * 86400))
	ig split --at "$lo" --train "$T/before.igr" --test "$T/after.igr" "$T/gen.igr" 2>"$T/err" || { ok=0; break; }
	ig split --at $((lo + 86400)) --train "$T/day.igr" --test "$T/later.igr" "$T/after.igr" 2>>"$T/err" || { ok=0; break; }
	if [ -z "$prev" ]; then
		ig featurize -o "$T/g$d.igr" "$T/day.igr" 2>>"$T/err" || { ok=0; break; }
	else
		ig featurize --base "$prev" -o "$T/g$d.igr" "$T/day.igr" 2>>"$T/err" || { ok=0; break; }
	fi
	prev=$T/g$d.igr
done
if [ $ok = 1 ]; then
	pass "daily: six daily merges pass the prune check"
else
	fail "daily: six daily merges pass the prune check" "$(head -n 5 "$T/err")"
fi

# ---- class 3: everything on a line is accounted for -----------------------

# JSON lines: content after the object
{
	echo '{"user":"u1","item":"i1","behavior":"click","ts":1704067200}'
	echo '{"user":"u2","item":"i2","behavior":"click","ts":1704067200} trailing'
	echo '{"user":"u3","item":"i3","behavior":"click","ts":1704067200}{"user":"u4","item":"i4","behavior":"click","ts":1704067200}'
	echo '{"user":"u5","item":"i5","behavior":"click","ts":1704067200}   '
} >"$T/trail.jsonl"
expect "jsonl: trailing content" 0 \
	ig ingest -v $JSONOPTS --rejects "$T/rej" -o "$T/o.igr" "$T/trail.jsonl"
is "jsonl: two rejects" "$(counts)" "4 2 0 2"
rejects_have "jsonl: reason (text)" "$T/rej" \
	'trail.jsonl:2.*content after the JSON object'
rejects_have "jsonl: reason (object)" "$T/rej" \
	'trail.jsonl:3.*content after the JSON object'

# JSON lines: a byte order mark in the middle (cat of two files)
printf '\357\273\277{"user":"u1","item":"i1","behavior":"click","ts":1704067200}\n' >"$T/j1.jsonl"
printf '\357\273\277{"user":"u2","item":"i2","behavior":"click","ts":1704067200}\n' >"$T/j2.jsonl"
cat "$T/j1.jsonl" "$T/j2.jsonl" >"$T/j12.jsonl"
rm -rf "$T/v"
expect "jsonl: BOM in the middle" 0 \
	ig ingest -v $JSONOPTS --vocab "$T/v" -o "$T/o.igr" "$T/j12.jsonl"
is "jsonl: BOM in the middle starts a new file" "$(counts)" "2 2 0 0"
vocab_clean "jsonl: BOM makes no phantom id" "$T/v"

# CSV: a repeated header (cat day1.csv day2.csv)
printf 'user_id,item_id,behavior,ts\nu1,i1,click,1704067200\nu2,i2,buy,1704067300\n' >"$T/d1.csv"
printf 'user_id,item_id,behavior,ts\nu3,i3,click,1704153600\n' >"$T/d2.csv"
cat "$T/d1.csv" "$T/d2.csv" >"$T/d12.csv"
rm -rf "$T/v"
expect "csv: repeated header" 0 \
	ig ingest -v $CSVOPTS --rejects "$T/rej" --vocab "$T/v" -o "$T/o.igr" "$T/d12.csv"
is "csv: repeated header is a reject" "$(counts)" "4 3 0 1"
rejects_have "csv: repeated header reason" "$T/rej" 'd12.csv:4.*repeated header'
vocab_clean "csv: no user named user_id" "$T/v"
# a header whose time column is parsed as "none" would make a phantom
rm -rf "$T/v"
expect "csv: repeated header, no time" 0 \
	ig ingest -v --header --columns user=user_id,item=item_id \
	--time-format none --rejects "$T/rej" --vocab "$T/v" -o "$T/o.igr" \
	"$T/d12.csv"
is "csv: repeated header, no time: a reject" "$(counts)" "4 3 0 1"
vocab_clean "csv: repeated header, no time: no phantom" "$T/v"

# CSV: the second file starts with a byte order mark and its header
printf '\357\273\277' | cat - "$T/d2.csv" >"$T/d2bom.csv"
cat "$T/d1.csv" "$T/d2bom.csv" >"$T/d12bom.csv"
rm -rf "$T/v"
expect "csv: BOM and header in the middle" 0 \
	ig ingest -v $CSVOPTS --rejects "$T/rej" --vocab "$T/v" -o "$T/o.igr" "$T/d12bom.csv"
is "csv: BOM header is a repeated header" "$(counts)" "4 3 0 1"
rejects_have "csv: BOM header reason" "$T/rej" 'd12bom.csv:4.*repeated header'
vocab_clean "csv: BOM header makes no phantom" "$T/v"
# headerless files: a BOM before a data row starts a new file
printf '\357\273\277u1,i1,click,1704067200\n' >"$T/h1.csv"
printf '\357\273\277u2,i2,click,1704067200\n' >"$T/h2.csv"
cat "$T/h1.csv" "$T/h2.csv" >"$T/h12.csv"
rm -rf "$T/v"
expect "csv: BOM before a data row" 0 \
	ig ingest -v --columns user=1,item=2,behavior=3,ts=4 --vocab "$T/v" \
	-o "$T/o.igr" "$T/h12.csv"
is "csv: BOM before a data row: accepted" "$(counts)" "2 2 0 0"
vocab_clean "csv: BOM before a data row: no phantom" "$T/v"

# concatenated compressions
gzip -c "$T/d1.csv" >"$T/d1.csv.gz"
printf 'u3,i3,click,1704153600\nu4,i4,click,1704153601\n' >"$T/d2n.csv"
gzip -c "$T/d2n.csv" >"$T/d2n.csv.gz"
cat "$T/d1.csv.gz" "$T/d2n.csv.gz" >"$T/members.csv.gz"
expect "gzip: two members" 0 ig ingest -v $CSVOPTS -o "$T/o.igr" "$T/members.csv.gz"
is "gzip: two members: every row" "$(counts)" "4 4 0 0"
# plain then gzip: the compressed bytes are rejects with a reason
cat "$T/d1.csv" "$T/d2n.csv.gz" >"$T/plaingz.csv"
rm -rf "$T/v"
ig ingest -v $CSVOPTS --rejects "$T/rej" --vocab "$T/v" -o "$T/o.igr" "$T/plaingz.csv" >"$T/out" 2>"$T/err"
is "plain+gzip: exit" "$?" 0
set -- $(counts)
is "plain+gzip: the plain rows accepted" "${2:-}" 2
is "plain+gzip: the rest rejected" "$((${1:-0} - ${2:-0}))" "${4:-}"
rejects_have "plain+gzip: reason" "$T/rej" 'not text: gzip data'
vocab_clean "plain+gzip: no ids from garbage" "$T/v"
# gzip then plain: the plain rows are read (zlib's gzread() dropped
# whatever followed the last gzip member; io.c inflates by itself now)
cat "$T/d1.csv.gz" "$T/d2n.csv" >"$T/gzplain.csv"
rm -rf "$T/v"
expect "gzip+plain: exit" 0 \
	ig ingest -v $CSVOPTS --vocab "$T/v" -o "$T/o.igr" "$T/gzplain.csv"
is "gzip+plain: never a silent drop" "$(counts)" "4 4 0 0"
vocab_clean "gzip+plain: no phantom ids" "$T/v"
ig ingest -v $CSVOPTS -o "$T/o.igr" <"$T/gzplain.csv" >"$T/out" 2>"$T/err"
is "gzip+plain on stdin: exit" "$?" 0
is "gzip+plain on stdin: never a silent drop" "$(counts)" "4 4 0 0"
cat "$T/gzplain.csv" | ig ingest -v $CSVOPTS -o "$T/o.igr" >"$T/out" 2>"$T/err"
is "gzip+plain on a pipe: never a silent drop" "$(counts)" "4 4 0 0"
# the plain part holding binary bytes: rejects with a reason
{ cat "$T/d1.csv.gz"; printf 'u3,i3,click,1704153600\nu4,\000,click,1704153601\n'; } >"$T/gzbin.csv"
ig ingest -v $CSVOPTS --rejects "$T/rej" -o "$T/o.igr" "$T/gzbin.csv" >"$T/out" 2>"$T/err"
is "gzip+binary: exit" "$?" 0
is "gzip+binary: a reject, not a drop" "$(counts)" "4 3 0 1"
rejects_have "gzip+binary: reason" "$T/rej" 'gzbin.csv:5.*NUL byte'
# a slow producer: the first rows are read before the last arrive
( printf 'user_id,item_id,behavior,ts\nu1,i1,click,1704067200\n'; sleep 2
  printf 'u2,i2,click,1704067200\n' ) |
	ig ingest -v $CSVOPTS -o "$T/o.igr" >"$T/out" 2>"$T/err"
is "slow pipe: every row" "$(counts)" "2 2 0 0"

# binary garbage: rejects with a reason, never ids
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 256) }' >"$T/garbage.bin" 2>/dev/null
{ printf 'u1,i1,click,1704067200\n'; cat "$T/garbage.bin"; printf '\nu2,\001\377x,click,1704067200\n'; } >"$T/garbage.csv"
rm -rf "$T/v"
ig ingest -v --columns user=1,item=2,behavior=3,ts=4 --rejects "$T/rej" \
	--vocab "$T/v" -o "$T/o.igr" "$T/garbage.csv" >"$T/out" 2>"$T/err"
is "garbage: exit" "$?" 0
set -- $(counts)
is "garbage: one row accepted" "${2:-}" 1
vocab_clean "garbage: no ids from garbage" "$T/v"
nul=$(printf 'u1,i1,click,1704067200,x\000y\n' | ig ingest -v --columns user=1,item=2,behavior=3,ts=4 --rejects "$T/rej" -o "$T/o.igr" 2>&1 >/dev/null | sed -n 's/.*rejected \([0-9]*\).*/\1/p')
is "garbage: a NUL byte in an unused column is a reject" "$nul" 1
rejects_have "garbage: NUL reason" "$T/rej" 'not text: NUL byte'

finish
