# vidlake parquet: sub-commands, projection, formats, limits and clean errors.
. "$(dirname "$0")/lib.sh"

D="${VIDLAKE_TESTDATA:-}/parquet/data"
if [ ! -d "$D" ]; then
  echo "skip parquet command tests: no test data at \$VIDLAKE_TESTDATA ($VIDLAKE_TESTDATA)"
  exit 0
fi
F="$D/alltypes_plain.parquet"

check_eq "schema exits 0" "$(run_status "$VIDLAKE" parquet schema "$F")" 0
check "schema shows a leaf with its levels" grep -q "optional INT32 id  \[column 0, max_def 1, max_rep 0\]" "$WORK/out"
check_eq "meta exits 0" "$(run_status "$VIDLAKE" parquet meta "$F")" 0
check "meta shows the row count" grep -q "^rows        8" "$WORK/out"
check "meta shows encodings" grep -q "PLAIN_DICTIONARY" "$WORK/out"
check_eq "cat --limit 2 writes 2 rows" "$("$VIDLAKE" parquet cat "$F" --limit 2 | wc -l)" 2
check_eq "cat projects columns in schema order" "$("$VIDLAKE" parquet cat "$F" --columns string_col,id --limit 1)" '{"id":4,"string_col":"MA=="}'
check_eq "cat --format csv writes a header" "$("$VIDLAKE" parquet cat "$F" --columns id,bool_col --format csv --limit 2)" "$(printf 'id,bool_col\n4,true\n5,false')"
check_eq "an unknown column is refused" "$(run_status "$VIDLAKE" parquet cat "$F" --columns nope)" 2
check "the unknown column is named" grep -q "no top-level column 'nope'" "$WORK/err"
check_eq "a missing file exits 2" "$(run_status "$VIDLAKE" parquet cat "$WORK/none.parquet")" 2
printf 'not parquet at all' > "$WORK/x.parquet"
check_eq "a non-Parquet file exits 2" "$(run_status "$VIDLAKE" parquet meta "$WORK/x.parquet")" 2
check "it says why" grep -q "not a Parquet file" "$WORK/err"
check_eq "an encrypted file exits 2" "$(run_status "$VIDLAKE" parquet cat "$D/uniform_encryption.parquet.encrypted")" 2
check "it says encryption is not supported" grep -q "encrypted Parquet is not supported" "$WORK/err"
check_eq "an unknown sub-command exits 2" "$(run_status "$VIDLAKE" parquet frob "$F")" 2
check_eq "a bad format exits 2" "$(run_status "$VIDLAKE" parquet cat "$F" --format xml)" 2
