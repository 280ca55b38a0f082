#!/bin/sh
# igraph-index and igraph-recommend --index on a generated log: the lists
# served through an index keep every rule exactly (no seen or blocked item,
# the category cap), a flat (exact) index gives the exhaustive lists,
# --exact is the exhaustive path, and a missing, damaged or foreign index
# is an error with exit status 1, not a crash.
. "$(dirname "$0")/lib.sh"
(set -o pipefail) 2>/dev/null && set -o pipefail

ig gen --users 1500 --items 3000 --events 60000 --seed 3 -o "$T/log.csv"
ig ingest --schema taobao -q -o "$T/ev.igr" "$T/log.csv"
ig featurize -o "$T/g.igr" "$T/ev.igr"
expect "mf trains" 0 ig train --model mf --epochs 3 --dim 16 -o "$T/mf.igm" "$T/g.igr"
expect "another mf trains" 0 ig train --model mf --epochs 3 --dim 16 --seed 9 -o "$T/mf2.igm" "$T/g.igr"
expect "itemknn trains" 0 ig train --model itemknn -o "$T/knn.igm" "$T/g.igr"

# rows of a scores stream: user item score rank
rows() {
	ig cat --tsv "$1" | awk -F '\t' '$1 == "user" { print $2, $4, $5, $6 }'
}
# user item pairs of the graph
ig cat --tsv "$T/g.igr" | awk -F '\t' '$1 == "user" && $3 == "item" { print $2, $4 }' |
	sort >"$T/seen"

expect "igraph-index (pq, the default)" 0 ig index -v --model "$T/mf.igm" --lists 40 "$T/g.igr"
expect_err "-v describes the index" "pq index of [0-9]* items x 16"
check "the index is beside the model" test -s "$T/mf.igm.idx"
expect "igraph-index --type sq8" 0 ig index -v --type sq8 --model "$T/mf.igm" --lists 40 -o "$T/sq8.idx" "$T/g.igr"
expect_err "... described" "sq8 index of [0-9]* items x 16"
expect "igraph-index --type flat" 0 ig index --type flat --model "$T/mf.igm" -o "$T/flat.idx" "$T/g.igr"
expect "igraph-index --type hnsw" 0 ig index --type hnsw --model "$T/mf.igm" -o "$T/hnsw.idx" "$T/g.igr"

expect "exhaustive lists" 0 ig recommend --model "$T/mf.igm" -k 20 -o "$T/ex.igr" "$T/g.igr"
expect "--exact" 0 ig recommend -v --model "$T/mf.igm" -k 20 --exact -o "$T/exact.igr" "$T/g.igr"
expect_err "-v says --exact scores every item" "scoring: every item (--exact)"
rows "$T/ex.igr" >"$T/ex.rows"
rows "$T/exact.igr" >"$T/exact.rows"
same "--exact is the exhaustive path" "$T/ex.rows" "$T/exact.rows"

for ix in mf.igm.idx sq8.idx flat.idx hnsw.idx; do
	expect "served through $ix" 0 ig recommend -v --model "$T/mf.igm" -k 20 --index "$T/$ix" -o "$T/a.igr" "$T/g.igr"
	expect_err "-v names $ix" "scoring: index .*$ix"
	rows "$T/a.igr" >"$T/a.rows"
	awk '{ print $1, $2 }' "$T/a.rows" | sort >"$T/a.pairs"
	n=$(comm -12 "$T/a.pairs" "$T/seen" | wc -l)
	check "$ix: no seen item served" test "$n" -eq 0
	n=$(awk '{ n[$1]++ } END { for (u in n) if (n[u] != 20) print u }' "$T/a.rows" | wc -l)
	check "$ix: every list has 20 items" test "$n" -eq 0
	# each printed score is the model's: the exhaustive path's where both
	# list the item (to the last bits: the sums run in another order)
	bad=$(awk 'NR == FNR { s[$1 " " $2] = $3; next }
		($1 " " $2) in s { d = s[$1 " " $2] - $3; if (d < 0) d = -d
			a = $3 < 0 ? -$3 : $3; if (d > 1e-5 * (a > 1 ? a : 1)) n++ }
		END { print n + 0 }' "$T/ex.rows" "$T/a.rows")
	check "$ix: scores are the model's" test "$bad" -eq 0
done
# the flat index searches every item: the exhaustive lists
expect "flat index" 0 ig recommend --model "$T/mf.igm" -k 20 --index "$T/flat.idx" -o "$T/f.igr" "$T/g.igr"
rows "$T/f.igr" | awk '{ print $1, $2, $4 }' >"$T/f.ids"
awk '{ print $1, $2, $4 }' "$T/ex.rows" >"$T/ex.ids"
same "a flat index gives the exhaustive lists" "$T/ex.ids" "$T/f.ids"

# rules through the index: a block list and a category cap
awk 'NR <= 300 { print $2 }' "$T/ex.rows" | sort -u >"$T/block"
expect "--block through the index" 0 ig recommend --model "$T/mf.igm" -k 10 --index "$T/mf.igm.idx" --block "$T/block" -o "$T/b.igr" "$T/g.igr"
n=$(rows "$T/b.igr" | awk 'NR == FNR { b[$1]; next } $2 in b' "$T/block" - | wc -l)
check "no blocked item served" test "$n" -eq 0
expect "--per-category through the index" 0 ig recommend --model "$T/mf.igm" -k 10 --per-category 2 --index "$T/mf.igm.idx" -o "$T/c.igr" "$T/g.igr"
expect "--per-category exhaustive" 0 ig recommend --model "$T/mf.igm" -k 10 --per-category 2 --exact -o "$T/c2.igr" "$T/g.igr"
ig cat --tsv "$T/g.igr" | awk -F '\t' '$1 == "item" && $3 == "category" { print $2, $4 }' >"$T/cats"
n=$(rows "$T/c.igr" | awk 'NR == FNR { c[$1] = $2; next } { k = $1 " " c[$2]; if (++n[k] > 2) print }' "$T/cats" - | wc -l)
check "the category cap holds through the index" test "$n" -eq 0
expect "--exclude zero through the flat index" 0 ig recommend --model "$T/mf.igm" -k 20 --exclude zero --index "$T/flat.idx" -o "$T/z.igr" "$T/g.igr"
expect "--exclude zero exhaustive" 0 ig recommend --model "$T/mf.igm" -k 20 --exclude zero -o "$T/z2.igr" "$T/g.igr"
rows "$T/z.igr" | awk '{ print $1, $2, $4 }' >"$T/z.ids"
rows "$T/z2.igr" | awk '{ print $1, $2, $4 }' >"$T/z2.ids"
same "--exclude zero: the flat index gives the exhaustive lists" "$T/z.ids" "$T/z2.ids"

# igraph-propagate through the index: a flat index gives the exhaustive
# interest points; a pq index a complete graph
expect "propagate --exact" 0 ig propagate -v --model "$T/mf.igm" --exact -o "$T/p.igr" "$T/g.igr"
expect_err "-v says --exact" "scoring: every item (--exact)"
expect "propagate through the flat index" 0 ig propagate -v --model "$T/mf.igm" --index "$T/flat.idx" -o "$T/pf.igr" "$T/g.igr"
expect_err "-v names the index" "scoring: index .*flat.idx"
ig cat --tsv "$T/p.igr" | grep -v "^#" | sort >"$T/p.tsv"
ig cat --tsv "$T/pf.igr" | grep -v "^#" | sort >"$T/pf.tsv"
same "propagate: the flat index gives the exhaustive interest points" "$T/p.tsv" "$T/pf.tsv"
expect "propagate through the pq index" 0 ig propagate --model "$T/mf.igm" --index "$T/mf.igm.idx" -o "$T/pq.igr" "$T/g.igr"
a=$(ig cat --tsv "$T/p.igr" | awk -F '\t' '$1 == "user" && $3 == "category"' | wc -l)
b=$(ig cat --tsv "$T/pq.igr" | awk -F '\t' '$1 == "user" && $3 == "category"' | wc -l)
check "propagate through pq: as many interest points ($a, $b)" test "$a" -eq "$b"
expect "propagate --exact with --index" 2 ig propagate --model "$T/mf.igm" --exact --index "$T/flat.idx" "$T/g.igr"
expect "propagate: an index for a neighbourhood model" 1 ig propagate --model "$T/knn.igm" --index "$T/mf.igm.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "... says it is not an embedding model" "not an embedding model"

# the graph filter's spectral form is an embedding model: indexed, and a
# flat index gives its exhaustive lists; with sparse terms it is not one
expect "gf, the spectral form" 0 ig train --model gf --no-tune --rank 32 --sparse-powers 0 --norm 0.3 -o "$T/gf0.igm" "$T/g.igr"
expect "gf with sparse terms" 0 ig train --model gf --no-tune --rank 32 -o "$T/gf2.igm" "$T/g.igr"
expect "igraph-index of the spectral gf" 0 ig index --type flat --model "$T/gf0.igm" -o "$T/gf.idx" "$T/g.igr"
expect "its lists through the index" 0 ig recommend --model "$T/gf0.igm" -k 20 --index "$T/gf.idx" -o "$T/gi.igr" "$T/g.igr"
expect "its exhaustive lists" 0 ig recommend --model "$T/gf0.igm" -k 20 -o "$T/ge.igr" "$T/g.igr"
rows "$T/gi.igr" | awk '{ print $1, $2, $4 }' >"$T/gi.ids"
rows "$T/ge.igr" | awk '{ print $1, $2, $4 }' >"$T/ge.ids"
same "spectral gf: the flat index gives the exhaustive lists" "$T/ge.ids" "$T/gi.ids"
expect "igraph-index of gf with sparse terms" 1 ig index --model "$T/gf2.igm" -o "$T/x.idx" "$T/g.igr"
expect_err "... says it is not an embedding model" "not an embedding model"

# its pruned form (--sparse-nbrs) is a hybrid: the index serves the dot
# product, the sparse part's items join the candidates, and a flat index
# gives the exhaustive lists (the scores to float rounding: the sums run
# in another order)
expect "gf, the pruned form" 0 ig train --model gf --no-tune --rank 32 --sparse-nbrs 8 --norm 0.3 -o "$T/gfp.igm" "$T/g.igr"
expect "igraph-index of the pruned gf" 0 ig index --type flat --model "$T/gfp.igm" -o "$T/gfp.idx" "$T/g.igr"
expect "its lists through the index" 0 ig recommend --model "$T/gfp.igm" -k 20 --index "$T/gfp.idx" -o "$T/gpi.igr" "$T/g.igr"
expect "its exhaustive lists" 0 ig recommend --model "$T/gfp.igm" -k 20 -o "$T/gpe.igr" "$T/g.igr"
rows "$T/gpi.igr" | awk '{ print $1, $2, $4 }' >"$T/gpi.ids"
rows "$T/gpe.igr" | awk '{ print $1, $2, $4 }' >"$T/gpe.ids"
same "pruned gf: the flat index gives the exhaustive lists" "$T/gpe.ids" "$T/gpi.ids"
n=$(rows "$T/gpe.igr" | wc -l)
check "pruned gf: lists of 20 ($n rows)" test "$n" -gt 100
expect "pruned gf through pq" 0 ig index --model "$T/gfp.igm" -o "$T/gfpq.idx" "$T/g.igr"
expect "... its lists" 0 ig recommend --model "$T/gfp.igm" -k 20 --index "$T/gfpq.idx" -o "$T/gpq.igr" "$T/g.igr"
a=$(rows "$T/gpq.igr" | wc -l)
check "pruned gf through pq: as many rows ($n, $a)" test "$n" -eq "$a"
for f in gpi gpq; do
	d=$(rows "$T/$f.igr" | awk '{ print $1, $2 }' | sort | uniq -d | wc -l)
	check "pruned gf ($f): no item twice in a list ($d)" test "$d" -eq 0
done
expect "--sparse-nbrs with --sparse-powers 2" 1 ig train --model gf --no-tune --rank 32 --sparse-nbrs 8 --sparse-powers 2 -o "$T/x.igm" "$T/g.igr"
expect_err "... says they do not go together" "needs --sparse-powers 1"

# errors: exit 1 with a message, never a crash
expect "a missing index" 1 ig recommend --model "$T/mf.igm" --index "$T/nope.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "names the missing file" "nope.idx"
cp "$T/mf.igm.idx" "$T/bad.idx"
printf 'XXXX' | dd of="$T/bad.idx" bs=1 seek=3000 conv=notrunc 2>/dev/null
expect "a damaged index" 1 ig recommend --model "$T/mf.igm" --index "$T/bad.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "says it is damaged" "checksum mismatch"
head -c 2000 "$T/mf.igm.idx" >"$T/short.idx"
expect "a truncated index" 1 ig recommend --model "$T/mf.igm" --index "$T/short.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "says it is truncated" "truncated"
expect "an index of another model" 1 ig recommend --model "$T/mf2.igm" --index "$T/mf.igm.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "says it was built from other vectors" "built from other item vectors"
expect "a model given as the index" 1 ig recommend --model "$T/mf.igm" --index "$T/mf2.igm" -o "$T/x.igr" "$T/g.igr"
expect_err "says it is not an index" "not an index file"
expect "an index for a neighbourhood model" 1 ig recommend --model "$T/knn.igm" --index "$T/mf.igm.idx" -o "$T/x.igr" "$T/g.igr"
expect_err "says it is not an embedding model" "not an embedding model"
expect "igraph-index of a neighbourhood model" 1 ig index --model "$T/knn.igm" -o "$T/x.idx" "$T/g.igr"
check "no index file is left behind" test ! -e "$T/x.idx"
expect "--index with --audience" 2 ig recommend --model "$T/mf.igm" --index "$T/mf.igm.idx" --audience "$T/block" "$T/g.igr"
expect "--exact with --index" 2 ig recommend --model "$T/mf.igm" --exact --index "$T/mf.igm.idx" "$T/g.igr"
expect "igraph-index --type ivf" 2 ig index --type ivf --model "$T/mf.igm" "$T/g.igr"

finish
