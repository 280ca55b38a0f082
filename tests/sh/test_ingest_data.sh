#!/bin/sh
# igraph-ingest on every real log in the shared data directory, each with
# its preset: the run succeeds, its summary adds up (rows = accepted +
# duplicates + rejected), the rows are the file's data lines, and the
# events per behaviour in the output stream equal a count made with awk on
# the raw file (over distinct rows where the file repeats some).  Skips
# the data sets that are absent.
. "$(dirname "$0")/lib.sh"

# counts_of STREAM: "behavior count" lines of an events stream, sorted
counts_of() {
	ig cat "$1" | awk -F'\t' '!/^#/ && !h { h = 1; next } !/^#/ { c[$5]++ }
		END { for (b in c) print b, c[b] }' | sort
}

# summary_ok NAME ROWS: the -v line in $T/err adds up and has ROWS rows
summary_ok() {
	line=$(grep 'rows [0-9]* = accepted' "$T/err" | tail -n 1)
	set -- "$1" "$2" $(printf '%s\n' "$line" |
		sed -n 's/.*rows \([0-9]*\) = accepted \([0-9]*\) + duplicates \([0-9]*\) + rejected \([0-9]*\).*/\1 \2 \3 \4/p')
	if [ $# -ne 6 ]; then
		fail "$1: summary" "no summary: $(tail -n 2 "$T/err")"
	elif [ "$3" -ne $(($4 + $5 + $6)) ]; then
		fail "$1: summary adds up" "$line"
	elif [ "$3" -ne "$2" ]; then
		fail "$1: every data line is a row" "rows $3, file has $2" "$line"
	elif [ "$6" -ne 0 ]; then
		fail "$1: no rejects in a clean published file" "$line" \
			"$(grep warning "$T/err" | head -n 3)"
	else
		pass "$1: summary adds up ($3 rows)"
	fi
}

# run NAME DATAFILE ROWS WANT ARGS...: ingest, check summary and counts
run() {
	_n=$1 _f=$2 _rows=$3 _want=$4
	shift 4
	if [ ! -f "$_f" ]; then
		skip "$_n" "$_f is absent"
		return
	fi
	if ig ingest -v "$@" -o "$T/run.igr" "$_f" 2>"$T/err"; then
		pass "$_n: ingests"
	else
		fail "$_n: ingests" "$(tail -n 3 "$T/err")"
		return
	fi
	summary_ok "$_n" "$_rows"
	if [ -n "$_want" ]; then
		counts_of "$T/run.igr" >"$T/got"
		same "$_n: events per behaviour match awk" "$_want" "$T/got"
	fi
}

# ---- Taobao UserBehavior ---------------------------------------------------
# behaviour counts of distinct rows; KEY is the awk expression of a row's
# identity, MAP turns the log's name into igraph's
awk_counts() {
	_file=$1 _fs=$2 _skip=$3 _key=$4 _beh=$5 _map=$6
	tr -d '\r' <"$_file" | awk -F"$_fs" -v skip="$_skip" "
		NR <= skip || NF == 0 { next }
		{ k = $_key } !seen[k]++ { b = \$$_beh; $_map; c[b]++ }
		END { for (b in c) print b, c[b] }" | sort
}
datalines() {
	tr -d '\r' <"$1" | awk -v skip="$2" 'NR > skip && NF > 0' | wc -l
}

tb=$DATA/taobao-userbehavior
for f in UserBehavior_head_814users.csv UserBehavior_timesorted_2017-11-26_0900-1110.csv; do
	[ -f "$tb/$f" ] || { skip "taobao $f" "absent"; continue; }
	awk_counts "$tb/$f" , 0 '$0' 4 'if (b == "pv") b = "view"' >"$T/want"
	run "taobao $f" "$tb/$f" "$(datalines "$tb/$f" 0)" "$T/want" --schema taobao
done
if [ -f "$tb/UserBehavior_head_814users.csv" ]; then
	ig ingest -q --schema taobao --vocab "$T/TV" -o /dev/null "$tb/UserBehavior_head_814users.csv"
	printf '814 55233 2911\n' >"$T/want"
	echo "$(wc -l <"$T/TV/user.tsv") $(wc -l <"$T/TV/item.tsv") $(wc -l <"$T/TV/category.tsv")" >"$T/got"
	same "taobao head: users, items, categories as SOURCE.md" "$T/want" "$T/got"
fi

# ---- Tianchi mobile ----------------------------------------------------------
tm=$DATA/tianchi-mobile-sample
f=$tm/tianchi_mobile_recommend_train_user_sample.csv
if [ -f "$f" ]; then
	awk_counts "$f" , 1 '$1 FS $2 FS $3 FS $5 FS $6' 3 \
		'b = b == 1 ? "click" : b == 2 ? "fav" : b == 3 ? "cart" : "buy"' >"$T/want"
	run "tianchi-mobile users" "$f" "$(datalines "$f" 1)" "$T/want" --schema tianchi-mobile
else
	skip "tianchi-mobile users" "absent"
fi
f=$tm/tianchi_mobile_recommend_train_item_sample.csv
run "tianchi-mobile items" "$f" "$(datalines "$f" 1)" "" --schema tianchi-mobile --kind items
if [ -f "$f" ]; then
	n=$(tr -d '\r' <"$f" | awk -F, 'NR > 1 { print $1 FS $3 }' | sort -u | wc -l)
	c=$(ig cat --count "$T/run.igr" | cut -f1)
	[ "$n" = "$c" ] && pass "tianchi-mobile items: one per distinct row" ||
		fail "tianchi-mobile items: one per distinct row" "$c, awk $n"
fi

# ---- DyHATR ----------------------------------------------------------------------
dy=$DATA/taobao-ecomm-dyhatr
f=$dy/ecomm_edge_train.txt
if [ -f "$f" ]; then
	awk_counts "$f" '\t' 0 '$0' 3 \
		'b = b == 1 ? "click" : b == 2 ? "fav" : b == 3 ? "cart" : "buy"' >"$T/want"
	run "dyhatr edges" "$f" "$(datalines "$f" 0)" "$T/want" --schema dyhatr
	grep -q 'duplicates 4270 ' "$T/err" && pass "dyhatr: the 4,270 duplicates of SOURCE.md" ||
		fail "dyhatr: the 4,270 duplicates of SOURCE.md" "$(tail -n 1 "$T/err")"
else
	skip "dyhatr edges" "absent"
fi
f=$dy/ecomm_item_feature.txt
run "dyhatr items" "$f" "$(datalines "$f" 0)" "" --schema dyhatr --kind items

# ---- YOOCHOOSE, DIGINETICA ---------------------------------------------------------
yc=$DATA/yoochoose-clicks-100k
for f in "$yc"/yoochoose-clicks-100k_train_full.txt "$yc"/yoochoose-clicks-100k_test.txt; do
	[ -f "$f" ] || { skip "yoochoose $(basename "$f")" "absent"; continue; }
	awk_counts "$f" '\t' 1 '$0' 1 'b = "click"' >"$T/want"
	run "yoochoose $(basename "$f")" "$f" "$(datalines "$f" 1)" "$T/want" --schema yoochoose
done
f=$DATA/diginetica-sample/sample_train-item-views.csv
if [ -f "$f" ]; then
	awk_counts "$f" ';' 1 '$1 FS $3 FS $4 FS $5' 1 'b = "view"' >"$T/want"
	run "diginetica views" "$f" "$(datalines "$f" 1)" "$T/want" --schema diginetica
else
	skip "diginetica views" "absent"
fi

# ---- MovieLens -----------------------------------------------------------------------
f=$DATA/movielens-100k/u.data
if [ -f "$f" ]; then
	awk_counts "$f" '\t' 0 '$0' 3 'b = "review"' >"$T/want"
	run "movielens u.data" "$f" "$(datalines "$f" 0)" "$T/want" --schema movielens
	ig cat "$T/run.igr" | awk -F'\t' '!/^#/ && $6 != "value" { s += $6 } END { print s }' >"$T/got"
	awk '{ s += $3 } END { print s }' "$f" >"$T/want"
	same "movielens u.data: ratings kept as values" "$T/want" "$T/got"
else
	skip "movielens u.data" "absent"
fi
f=$DATA/movielens-latest-small/ratings.csv
if [ -f "$f" ]; then
	awk_counts "$f" , 1 '$0' 3 'b = "review"' >"$T/want"
	run "movielens ratings.csv" "$f" "$(datalines "$f" 1)" "$T/want" --schema movielens
else
	skip "movielens ratings.csv" "absent"
fi
f=$DATA/movielens-latest-small/movies.csv
run "movielens movies.csv" "$f" 9742 "" --schema movielens --kind items
f=$DATA/movielens-100k/u.item
run "movielens u.item (ISO 8859-1)" "$f" 1682 "" --schema movielens --kind items

# ---- adjacency lists: Gowalla (shared vocabulary), Amazon --------------------------------
pairs() {
	awk '{ n += NF - 1 } END { print n + 0 }' "$1"
}
gw=$DATA/gowalla
if [ -f "$gw/train.txt" ] && [ -f "$gw/test.txt" ]; then
	printf 'click %s\n' "$(pairs "$gw/train.txt")" >"$T/want"
	run "gowalla train" "$gw/train.txt" "$(pairs "$gw/train.txt")" "$T/want" --format adjlist --vocab "$T/GV"
	cp "$T/run.igr" "$T/train.igr"
	printf 'click %s\n' "$(pairs "$gw/test.txt")" >"$T/want"
	run "gowalla test" "$gw/test.txt" "$(pairs "$gw/test.txt")" "$T/want" --format adjlist --vocab "$T/GV"
	echo "$(wc -l <"$T/GV/user.tsv") $(wc -l <"$T/GV/item.tsv")" >"$T/got"
	echo "29858 40981" >"$T/want"
	same "gowalla: users and items as SOURCE.md" "$T/want" "$T/got"
	# the ids mean the same in both files: external ids back through V
	ig cat --vocab "$T/GV" "$T/run.igr" | awk -F'\t' '!/^#/ && $2 != "user" { print $2, $3 }' >"$T/got"
	awk '{ for (i = 2; i <= NF; i++) print $1, $i }' "$gw/test.txt" >"$T/want"
	same "gowalla test: every pair back through the shared vocabulary" "$T/want" "$T/got"
else
	skip "gowalla" "absent"
fi
for f in "$DATA"/amazon-seq-s3rec/*.txt "$DATA"/amazon-videogames-sasrec/Video.txt; do
	[ -f "$f" ] || continue
	printf 'click %s\n' "$(pairs "$f")" >"$T/want"
	run "amazon $(basename "$f")" "$f" "$(pairs "$f")" "$T/want" --format adjlist --time-format position
done
finish
