# vidlake table: a Delta table through the CLI, checked against a model of
# its rows and against DuckDB reading the live data files.
#   - A table partitioned by (region string, day date) with every kind of
#     column (string, long, int, double, decimal(10,2), boolean, date,
#     timestamp, array<string>, map<string,int>, struct with a nested array),
#     a null partition and partition values Spark escapes ("a/b c", "x%y",
#     "k=v", non-ASCII); versions from appends, an --overwrite of some
#     partitions, --txn appends (a replay is a no-op).
#   - At every version: `scan --version N` has exactly the ids the model
#     expects; `history --json` counts the adds/removes the `files` lists
#     imply; `--timestamp` picks the version current then; and (DuckDB) the
#     sorted rows equal DuckDB reading the files `files --version N` lists
#     (paths URL-decoded, partition values added as columns).
#   - `scan --where/--columns/--format csv/--limit` against DuckDB with the
#     same filter; CSV is the NDJSON cells by the CSV rules, --limit a prefix.
#   - checkpoint: DuckDB reads the checkpoint Parquet (add paths, partition
#     values, txn, record count); scans unchanged; replay from it.
#   - optimize: fewer files, same rows; vacuum --dry-run lists exactly the
#     files no longer live; vacuum --retain-hours 0 deletes them, the latest
#     version scans the same, an old version fails naming a missing file.
#   - Errors: missing table, bad --where (offset), unknown column, a
#     malformed row (line and field named, nothing committed), create over
#     an existing table, a version that does not exist.
# The DuckDB checks are skipped (with a reason) when node or the npm
# packages are missing; the rest runs without them.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T="delta cli"
V=$VIDLAKE
TB="$WORK/tbl"
export LC_ALL=C

# same NAME GOT_FILE WANT_FILE: ok when the files are equal, else the first differences
same() {
  if cmp -s "$2" "$3"; then ok "$1"; else
    fail "$1 ($(wc -l < "$2") lines got, $(wc -l < "$3") wanted)"
    diff "$2" "$3" | head -8 | cut -c1-400 | sed 's/^/  /'
  fi
}
# sane NAME: the last command's stderr ($WORK/err) shows no sanitizer report or crash
sane() {
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Aborted' "$WORK/err"; then
    fail "$1: sanitizer report or crash"; head -5 "$WORK/err" | sed 's/^/  /'
  fi
}
# urldecode TEXT (bytes %XX back; '+' is not special in paths)
urldecode() { local s=${1//\\/\\\\}; printf '%b' "${s//%/\\x}"; }
# paths FILES_OUTPUT: the decoded paths of `table files` lines, sorted
paths() { sed -n 's/^{"path":"\([^"]*\)".*/\1/p' "$1" | while IFS= read -r p; do urldecode "$p"; echo; done | sort; }
# ids: the sorted ids of NDJSON rows on stdin (id is the first column)
ids() { sed -n 's/^{"id":\(-\{0,1\}[0-9]*\).*/\1/p' | sort -n; }
latest() { "$V" table describe "$TB" --json 2>/dev/null | sed -n 's/^{"table":"[^"]*","version":\([0-9]*\).*/\1/p'; }

# ------------------------------------------------------------ input rows
# gen START COUNT REGIONS DAYS OUT: COUNT rows with ids START.., partition
# values cycling through REGIONS and DAYS ('|'-separated, NULL for null);
# writes OUT (NDJSON) and OUT.keys ("id region|day" per row, for the model).
gen() {
  awk -v start="$1" -v count="$2" -v regions="$3" -v days="$4" -v out="$5" '
  function q(s) { return s == "NULL" ? "null" : "\"" s "\"" }
  BEGIN {
    nR = split(regions, R, "|"); nD = split(days, D, "|")
    for (k = 0; k < count; k++) {
      id = start + k
      r = R[k % nR + 1]; d = D[(int(k / nR) + k) % nD + 1]
      m = k % 9
      if (m == 0) name = "null"
      else if (m == 1) name = "\"\""
      else if (m == 2) name = "\"quote \\\" and back\\\\slash\""
      else if (m == 3) name = "\"tab\\there\\nnewline\""
      else if (m == 4) name = "\"é✓ ünïcödé\""
      else if (m == 5) name = "\"comma, here\""
      else name = "\"n" id "\""
      qty = k % 11 == 0 ? "null" : (id * 37) % 200 - 100
      m = k % 13
      if (m == 0) price = "\"NaN\""
      else if (m == 1) price = "-0"
      else if (m == 2) price = "1e300"
      else if (m == 3) price = "null"
      else if (m == 4) price = "\"-Infinity\""
      else if (m == 5) price = "0.1"
      else price = sprintf("%.3f", id * 0.125 - 3)
      m = k % 7
      if (m == 0) amount = "null"
      else if (m == 1) amount = "\"99999999.99\""
      else if (m == 2) amount = "\"-0.01\""
      else if (m == 3) amount = "12.5"
      else { c = (id * 123457) % 10000000 - 5000000; s = c < 0 ? "-" : ""; if (c < 0) c = -c
             amount = sprintf("\"%s%d.%02d\"", s, int(c / 100), c % 100) }
      flag = k % 3 == 0 ? "true" : k % 3 == 1 ? "false" : "null"
      m = k % 8
      if (m == 0) born = "null"
      else if (m == 1) born = "\"0001-01-01\""
      else if (m == 2) born = "\"9999-12-31\""
      else born = sprintf("\"%04d-%02d-%02d\"", 1900 + id % 200, 1 + id % 12, 1 + id % 28)
      m = k % 10
      if (m == 0) ts = "null"
      else if (m == 1) ts = "\"1969-12-31T23:59:59.999999Z\""
      else if (m == 2) ts = "\"2024-05-01T10:00:00+02:00\""
      else ts = sprintf("\"2024-%02d-%02dT%02d:%02d:%02d.%06dZ\"", 1 + id % 12, 1 + id % 28, id % 24, id % 60,
                        (id * 7) % 60, (id * 7919) % 1000000)
      m = k % 5
      tags = m == 0 ? "null" : m == 1 ? "[]" : m == 2 ? "[\"x\",null,\"y\"]" : m == 3 ? "[\"only\"]" : "[\"a,b\",\"\\\"q\\\"\"]"
      m = k % 4
      attrs = m == 0 ? "null" : m == 1 ? "{}" : m == 2 ? "{\"a\":1,\"b\":null}" : "{\"k\":" id ",\"neg\":" (-id) "}"
      m = k % 6
      if (m == 0) info = "null"
      else if (m == 1) info = "{\"a\":null,\"b\":\"s\",\"c\":[1,2]}"
      else if (m == 2) info = "{\"a\":1,\"b\":null,\"c\":null}"
      else if (m == 3) info = "{\"a\":-2147483648,\"b\":\"x\",\"c\":[]}"
      else if (m == 4) info = "{\"a\":2147483647,\"b\":\"\",\"c\":[9223372036854775807,-9223372036854775808,null]}"
      else info = "{}"
      # a null region is sometimes an explicit null, sometimes a missing key
      reg = (r == "NULL" && k % 2) ? "" : ",\"region\":" q(r)
      printf "{\"id\":%d,\"name\":%s%s,\"qty\":%s,\"price\":%s,\"amount\":%s,\"flag\":%s,\"born\":%s,\"day\":%s,\"ts\":%s,\"tags\":%s,\"attrs\":%s,\"info\":%s}\n",
        id, name, reg, qty, price, amount, flag, born, q(d), ts, tags, attrs, info > out
      print id " " r "|" d > (out ".keys")
    }
  }'
}

# The model: "id region|day" of every live row. model_append FILE.keys [overwrite]
: > "$WORK/model"
model_append() {
  if [ "${2:-}" = overwrite ]; then
    cut -d' ' -f2- "$1" | sort -u > "$WORK/ow.keys"
    awk 'NR == FNR { k[$0] = 1; next } { key = $0; sub(/^[^ ]* /, "", key); if (!(key in k)) print }' \
      "$WORK/ow.keys" "$WORK/model" > "$WORK/model.new"
    mv "$WORK/model.new" "$WORK/model"
  fi
  cat "$1" >> "$WORK/model"
}
snap_model() { cut -d' ' -f1 "$WORK/model" | sort -n > "$WORK/model.ids.$1"; }

SCHEMA='id long, name string, region string, qty int, price double, amount decimal(10,2), flag boolean,
  born date, day date, ts timestamp, tags array<string>, attrs map<string,int>,
  info struct<a:int,b:string,c:array<long>>'
# columns in schema order; the partition columns with their DuckDB type
COLS=(id name region qty price amount flag born day ts tags attrs info)
declare -A PART_TYPE=([region]=VARCHAR [day]=DATE)

# ------------------------------------------------------------ versions
check_eq "create exits 0" "$(run_status "$V" table create "$TB" --schema "$SCHEMA" --partition-by region,day \
  --property delta.appendOnly=false)" 0
sane "create"
snap_model 0

gen 1 40 'a/b c|x%y|NULL|eu|k=v|ü' '2024-05-01|2024-05-02|NULL' "$WORK/in1.ndjson"
check_eq "append v1 exits 0" "$(run_status "$V" table append "$TB" --from "$WORK/in1.ndjson")" 0
sane "append v1"
model_append "$WORK/in1.ndjson.keys"; snap_model 1
gen 101 30 'eu|x%y|NULL|a/b c' '2024-05-01|2024-05-03' "$WORK/in2.ndjson"
check_eq "append v2 from stdin exits 0" "$(run_status "$V" table append "$TB" < "$WORK/in2.ndjson")" 0
model_append "$WORK/in2.ndjson.keys"; snap_model 2
# v3 replaces the partitions its rows fall in: (x%y, 2024-05-01), (null, null)
gen 201 10 'x%y|NULL' '2024-05-01|NULL' "$WORK/in3.ndjson"
awk '{ split($2, a, "|"); if ((a[1] == "x%y" && a[2] == "2024-05-01") || (a[1] == "NULL" && a[2] == "NULL")) print }' \
  "$WORK/in3.ndjson.keys" > "$WORK/in3.keep"
grep -F -f <(cut -d' ' -f1 "$WORK/in3.keep" | sed 's/^/{"id":/; s/$/,/') "$WORK/in3.ndjson" > "$WORK/in3b.ndjson"
cp "$WORK/in3.keep" "$WORK/in3b.ndjson.keys"
check_eq "append --overwrite v3 exits 0" "$(run_status "$V" table append "$TB" --overwrite --from "$WORK/in3b.ndjson")" 0
model_append "$WORK/in3b.ndjson.keys" overwrite; snap_model 3
gen 301 15 'eu|NULL' '2024-05-02|NULL' "$WORK/in4.ndjson"
check_eq "append --txn app1:1 v4 exits 0" "$(run_status "$V" table append "$TB" --txn app1:1 --from "$WORK/in4.ndjson")" 0
model_append "$WORK/in4.ndjson.keys"; snap_model 4
check_eq "replaying --txn app1:1 exits 0" "$(run_status "$V" table append "$TB" --txn app1:1 --from "$WORK/in4.ndjson")" 0
check "the replay says there is nothing to do" grep -q "nothing to do" "$WORK/err"
check_eq "--txn app1:0 (older) is a no-op too" "$(run_status "$V" table append "$TB" --txn app1:0 --from "$WORK/in1.ndjson")" 0
check_eq "the replays committed nothing (latest version 4)" "$(latest)" 4
check "the v4 commit holds the txn action" grep -q '"txn":{"appId":"app1","version":1' "$TB/_delta_log/00000000000000000004.json"
gen 401 20 'ü|k=v|a/b c|NULL' '2024-05-03|NULL|2024-05-01' "$WORK/in5.ndjson"
check_eq "append --txn app1:2 v5 exits 0" "$(run_status "$V" table append "$TB" --txn app1:2 --from "$WORK/in5.ndjson")" 0
model_append "$WORK/in5.ndjson.keys"; snap_model 5
LAST=5

# ------------------------------------------------------------ every version
for n in $(seq 0 $LAST); do
  "$V" table files "$TB" --version "$n" > "$WORK/files.$n" 2> "$WORK/err" || fail "files --version $n: $(head -c 300 "$WORK/err")"
  if "$V" table scan "$TB" --version "$n" > "$WORK/scan.raw.$n" 2> "$WORK/err"; then :; else
    fail "scan --version $n exits $?: $(head -c 300 "$WORK/err")"
  fi
  sane "scan --version $n"
  sort "$WORK/scan.raw.$n" > "$WORK/scan.$n"
  ids < "$WORK/scan.$n" > "$WORK/scan.ids.$n"
  same "$T: scan --version $n has the ids the model expects ($(wc -l < "$WORK/model.ids.$n") rows)" \
    "$WORK/scan.ids.$n" "$WORK/model.ids.$n"
  "$V" table describe "$TB" --version "$n" --json > "$WORK/desc.$n" 2> "$WORK/err"
  check_eq "describe --version $n: numRecords, numFiles" \
    "$(grep -o '"numFiles":[0-9]*,"numRecords":[0-9]*' "$WORK/desc.$n")" \
    "\"numFiles\":$(wc -l < "$WORK/files.$n"),\"numRecords\":$(wc -l < "$WORK/scan.$n")"
done
check "the null partition is written as __HIVE_DEFAULT_PARTITION__" \
  test -d "$TB/region=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__"
check "partition directories escape '/', '%' and '=' as Spark does" \
  test -d "$TB/region=a%2Fb c" -a -d "$TB/region=x%25y" -a -d "$TB/region=k%3Dv"
check "add.path URL-encodes the escaped directory" grep -q '"path":"region=a%252Fb%20c/day=2024-05-01/' "$WORK/files.1"
check "files lists the null partition value as null" grep -q '"partitionValues":{"region":null,"day":null}' "$WORK/files.1"
check_eq "a scan equals the scan of its latest version" "$("$V" table scan "$TB" | sort | md5sum)" "$(md5sum < "$WORK/scan.$LAST")"

# ------------------------------------------------------------ describe, history
D="$WORK/desc.$LAST"
check "describe --json: version and partition columns" grep -q "^{\"table\":\"$TB\",\"version\":$LAST,.*\"partitionColumns\":\\[\"region\",\"day\"\\]" "$D"
check "describe --json: the txn version of app1 is 2" grep -q '"txns":{"app1":2}' "$D"
check "describe --json: no checkpoint yet" grep -q '"checkpointVersion":null' "$D"
check "describe --json: the property" grep -q '"properties":{"delta.appendOnly":"false"}' "$D"
check "describe --json: decimal, map and struct in the schema" grep -q \
  '"name":"amount","type":"decimal(10,2)".*"type":{"type":"map","keyType":"string","valueType":"integer".*"name":"info","type":{"type":"struct"' "$D"
"$V" table history "$TB" --json > "$WORK/hist" 2> "$WORK/err"
check_eq "history --json lists every version, newest first" "$(sed -n 's/^{"version":\([0-9]*\),.*/\1/p' "$WORK/hist" | tr '\n' ' ')" \
  "$(seq $LAST -1 0 | tr '\n' ' ')"
check_eq "history: operations" "$(grep -o '"operation":"[A-Z ]*"' "$WORK/hist" | cut -d'"' -f4 | tr '\n' ,)" \
  "WRITE,WRITE,WRITE,WRITE,WRITE,CREATE TABLE,"
check "history: v3 is an overwrite" grep -q '^{"version":3,.*"mode":"Overwrite"' "$WORK/hist"
bad=""
for n in $(seq 1 $LAST); do
  paths "$WORK/files.$((n - 1))" > "$WORK/p.old"; paths "$WORK/files.$n" > "$WORK/p.new"
  want="\"adds\":$(comm -13 "$WORK/p.old" "$WORK/p.new" | wc -l),\"removes\":$(comm -23 "$WORK/p.old" "$WORK/p.new" | wc -l)"
  got=$(grep "^{\"version\":$n," "$WORK/hist" | grep -o '"adds":[0-9]*,"removes":[0-9]*')
  [ "$got" = "$want" ] || bad+=" v$n: $got, files imply $want;"
done
check_eq "history: adds/removes per version match the files lists" "$bad" ""
check "the overwrite removed files" grep -q '^{"version":3,.*"removes":[1-9]' "$WORK/hist"

# --timestamp: the latest version committed at or before T
sed -n 's/^{"version":\([0-9]*\),"timestamp":"\([^"]*\)".*/\1 \2/p' "$WORK/hist" > "$WORK/times"
ts_version() { awk -v t="$1" '$2 <= t && $1 > best { best = $1 } BEGIN { best = -1 } END { print best }' "$WORK/times"; }
bad=""
for n in $(seq 0 $LAST); do
  t=$(awk -v n="$n" '$1 == n { print $2 }' "$WORK/times")
  got=$("$V" table describe "$TB" --timestamp "$t" --json 2>&1 | sed -n 's/^{"table":"[^"]*","version":\([0-9]*\).*/\1/p')
  [ "$got" = "$(ts_version "$t")" ] || bad+=" $t: version '$got', want $(ts_version "$t");"
done
check_eq "describe --timestamp (each commit's time) picks the version current then" "$bad" ""
t2=$(awk '$1 == 2 { print $2 }' "$WORK/times")
t2p1=$(TZ=XXX-1 date -d "$t2" +%Y-%m-%dT%H:%M:%S.%6N+01:00)
check_eq "scan --timestamp with a +01:00 offset equals scan --version 2" \
  "$("$V" table scan "$TB" --timestamp "$t2p1" 2>&1 | sort | md5sum)" "$(md5sum < "$WORK/scan.2")"
check_eq "scan --timestamp before the first commit exits 2" "$(run_status "$V" table scan "$TB" --timestamp 2000-01-01T00:00:00Z)" 2
check "it says the first commit is later" grep -q "first commit is later" "$WORK/err"
check_eq "--timestamp in the future is the latest version" \
  "$("$V" table describe "$TB" --timestamp 2999-01-01T00:00:00Z --json | sed -n 's/^{"table":"[^"]*","version":\([0-9]*\).*/\1/p')" $LAST

# ------------------------------------------------------------ errors
check_eq "scan of a missing table exits 2" "$(run_status "$V" table scan "$WORK/nope")" 2
check "it says there is no table" grep -q "no Delta table at" "$WORK/err"
sane "scan of a missing table"
check_eq "a bad --where exits 2" "$(run_status "$V" table scan "$TB" --where "qty >>= 3")" 2
check "it gives the offset" grep -q "at offset 5" "$WORK/err"
check_eq "an unfinished --where exits 2" "$(run_status "$V" table scan "$TB" --where "qty = 3 AND")" 2
check "it gives the offset at the end" grep -q "at offset 11" "$WORK/err"
check_eq "--where on an unknown column exits 2" "$(run_status "$V" table scan "$TB" --where "nosuch = 1")" 2
check "it names the column" grep -q "unknown column 'nosuch'" "$WORK/err"
check_eq "--columns with an unknown column exits 2" "$(run_status "$V" table scan "$TB" --columns id,nosuch)" 2
check "it names the column" grep -q "no column 'nosuch'" "$WORK/err"
check_eq "--where with a literal of the wrong type exits 2" "$(run_status "$V" table scan "$TB" --where "day = 'tuesday'")" 2
check_eq "scan --version past the latest exits 2" "$(run_status "$V" table scan "$TB" --version 99)" 2
check "it names the latest version" grep -q "latest is $LAST" "$WORK/err"
head -3 "$WORK/in1.ndjson" > "$WORK/bad.ndjson"
echo '{"id":9001,"qty":"many"}' >> "$WORK/bad.ndjson"
check_eq "append of a malformed row exits 2" "$(run_status "$V" table append "$TB" --from "$WORK/bad.ndjson")" 2
check "it names the line and the field" grep -q "bad.ndjson line 4: field 'qty'" "$WORK/err"
sane "append of a malformed row"
printf '%s\n' '{"id":9002}' '{"id":9003,"info":{"a":"x"}}' > "$WORK/bad2.ndjson"
check_eq "append of a row with a bad nested field exits 2" "$(run_status "$V" table append "$TB" --from "$WORK/bad2.ndjson")" 2
check "it names the line and the nested field" grep -q "bad2.ndjson line 2: field 'info.a'" "$WORK/err"
printf '%s\n' '{"id":9004}' '{"id":9005,' > "$WORK/bad3.ndjson"
check_eq "append of broken JSON exits 2" "$(run_status "$V" table append "$TB" < "$WORK/bad3.ndjson")" 2
check "it names the line" grep -q "stdin line 2" "$WORK/err"
echo '{"id":9006,"colour":"red"}' > "$WORK/bad4.ndjson"
check_eq "append of an unknown key exits 2" "$(run_status "$V" table append "$TB" --from "$WORK/bad4.ndjson")" 2
check "it names the key" grep -q "field 'colour'" "$WORK/err"
check_eq "nothing was committed (latest version $LAST)" "$(latest)" $LAST
check_eq "create over an existing table exits 2" "$(run_status "$V" table create "$TB" --schema 'a int')" 2
check "it says a table exists" grep -q "already exists" "$WORK/err"
check_eq "append to a missing table exits 2" "$(run_status "$V" table append "$WORK/nope" --from "$WORK/in1.ndjson")" 2
check_eq "the table still scans the same" "$("$V" table scan "$TB" | sort | md5sum)" "$(md5sum < "$WORK/scan.$LAST")"

# ------------------------------------------------------------ DuckDB
peer_out=$(need_duckdb_peer "$T: duckdb")
echo "$peer_out"
HAVE_PEER=1
case $peer_out in skip*) HAVE_PEER=0 ;; esac
PEER="$ROOT/tests/peers/duckdb.mjs"

# node mksql.cjs TABLEDIR FILES_OUTPUT: a DuckDB query for the rows of the
# listed files in the table's column order, partition values as columns
cat > "$WORK/mksql.cjs" <<'EOF'
const fs = require('fs');
const [dir, list, colSpec] = process.argv.slice(2);
const cols = colSpec.split(',').map((c) => c.split(':')); // name[:partition type]
const q = (s) => "'" + s.replace(/'/g, "''") + "'";
const groups = new Map();
for (const line of fs.readFileSync(list, 'utf8').split('\n').filter(Boolean)) {
  const f = JSON.parse(line);
  const k = JSON.stringify(f.partitionValues);
  if (!groups.has(k)) groups.set(k, { pv: f.partitionValues, files: [] });
  groups.get(k).files.push(dir + '/' + decodeURIComponent(f.path));
}
const sel = [...groups.values()].map((g) => 'SELECT ' + cols.map(([n, t]) =>
  !t ? `"${n}"` : `CAST(${g.pv[n] === null ? 'NULL' : q(g.pv[n])} AS ${t}) AS "${n}"`).join(', ') +
  ` FROM read_parquet([${g.files.map(q).join(', ')}], hive_partitioning = false)`);
console.log(sel.length ? sel.join('\nUNION ALL\n') : 'SELECT 1 AS none WHERE false');
EOF
colspec=$(for c in "${COLS[@]}"; do printf '%s%s,' "$c" "${PART_TYPE[$c]:+:${PART_TYPE[$c]}}"; done)
colspec=${colspec%,}
duck_version() { # duck_version N OUT: DuckDB's sorted rows of the files of version N
  node "$WORK/mksql.cjs" "$TB" "$WORK/files.$1" "$colspec" > "$WORK/sql.$1"
  if ! node "$PEER" sql "$(cat "$WORK/sql.$1")" > "$2.raw" 2> "$WORK/peer.err"; then
    fail "$T: DuckDB cannot read the files of version $1: $(head -c 400 "$WORK/peer.err")"
  fi
  sort "$2.raw" > "$2"
}
if [ $HAVE_PEER = 1 ]; then
  for n in $(seq 0 $LAST); do
    duck_version "$n" "$WORK/duck.$n"
    same "$T: scan --version $n equals DuckDB reading its $(wc -l < "$WORK/files.$n") live files ($(wc -l < "$WORK/duck.$n") rows)" \
      "$WORK/scan.$n" "$WORK/duck.$n"
  done
  # --where / --columns against DuckDB with the same filter
  full=$(cat "$WORK/sql.$LAST")
  while IFS='|' read -r where sqlwhere; do
    "$V" table scan "$TB" --where "$where" --columns id,name,amount,region,tags > "$WORK/w.raw" 2> "$WORK/err" ||
      fail "scan --where \"$where\": $(head -c 300 "$WORK/err")"
    sort "$WORK/w.raw" > "$WORK/w.got"
    # through a table: DuckDB folds a comparison using the Parquet min/max,
    # which (as the format says) leave NaN out, so on the files themselves
    # NOT (price < 10) would be false for NaN; by Spark's rules (and
    # DuckDB's own on values) NaN is greater than every number
    node "$PEER" sql "CREATE TEMP TABLE t AS $full; SELECT id, name, amount, region, tags FROM t WHERE ${sqlwhere:-$where}" 2> "$WORK/peer.err" |
      sort > "$WORK/w.want"
    same "$T: scan --where \"$where\" --columns id,name,amount,region,tags equals DuckDB ($(wc -l < "$WORK/w.want") rows)" \
      "$WORK/w.got" "$WORK/w.want"
  done <<'EOF'
qty >= 0 AND region = 'x%y'|
region IS NULL OR day IN ('2024-05-02', '2024-05-03')|
NOT (price < 10) AND flag = true|
amount > 10.5 AND amount <= '99999999.99'|
ts >= '2024-06-01T00:00:00Z' AND ts < '2024-09-01T00:00:00Z'|ts >= TIMESTAMPTZ '2024-06-01 00:00:00+00' AND ts < TIMESTAMPTZ '2024-09-01 00:00:00+00'
region NOT IN ('eu', 'ü') AND day IS NOT NULL AND name <> 'comma, here'|
born < '1950-01-01' OR qty = -100 OR id = 7|
day = '2024-05-01' AND region != 'a/b c'|
EOF
fi

# CSV: the same cells as the NDJSON scan (same file order), by the CSV rules;
# --limit N: the first N rows
W="region IS NOT NULL AND (qty < 0 OR name IS NULL)"
C=id,name,tags,attrs,info,price,ts,flag,region
"$V" table scan "$TB" --where "$W" --columns "$C" > "$WORK/c.ndjson" 2> "$WORK/err"
"$V" table scan "$TB" --where "$W" --columns "$C" --format csv > "$WORK/c.csv" 2> "$WORK/err"
check "scan --format csv exits 0" test ! -s "$WORK/err"
cat > "$WORK/tocsv.cjs" <<'EOF'
// node tocsv.cjs KEYS < NDJSON: the rows as CSV, a header of KEYS first:
// null empty, a JSON string unescaped, any other value its JSON text as is;
// a cell holding , " CR or LF quoted. Values are cut from the line's text
// (not parsed), so numbers keep their exact digits.
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const cell = (s) => (/[,"\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
function cells(l) { // the raw value texts of a flat-keyed JSON object line
  const out = []; let i = 1;
  const str = () => { let j = i + 1; while (l[j] !== '"') j += l[j] === '\\' ? 2 : 1; const s = l.slice(i, j + 1); i = j + 1; return s; };
  while (l[i] !== '}') {
    str(); i++; // key, ':'
    const st = i; let depth = 0;
    for (;;) {
      const c = l[i];
      if (c === '"') { str(); continue; }
      if (depth === 0 && (c === ',' || c === '}')) break;
      if (c === '[' || c === '{') depth++;
      if (c === ']' || c === '}') depth--;
      i++;
    }
    const raw = l.slice(st, i);
    out.push(raw === 'null' ? '' : raw[0] === '"' ? JSON.parse(raw) : raw);
    if (l[i] === ',') i++;
  }
  return out;
}
let out = process.argv[2].split(',').map(cell).join(',') + '\n';
for (const l of lines) out += cells(l).map(cell).join(',') + '\n';
process.stdout.write(out);
EOF
check_eq "the CSV header" "$(head -1 "$WORK/c.csv")" "$C"
if command -v node >/dev/null 2>&1; then
  node "$WORK/tocsv.cjs" "$C" < "$WORK/c.ndjson" > "$WORK/c.want"
  same "$T: scan --format csv is the NDJSON cells by the CSV rules ($(wc -l < "$WORK/c.ndjson") rows)" "$WORK/c.csv" "$WORK/c.want"
  "$V" table scan "$TB" --where "$W" --columns "$C" --format csv --limit 3 > "$WORK/c3.csv" 2> "$WORK/err"
  head -3 "$WORK/c.ndjson" | node "$WORK/tocsv.cjs" "$C" > "$WORK/c3.want"
  same "$T: scan --format csv --limit 3 is the header and the first 3 rows" "$WORK/c3.csv" "$WORK/c3.want"
else
  echo "skip $T: CSV cell checks: node is not installed"
fi
check_eq "scan --limit 5 writes 5 rows" "$("$V" table scan "$TB" --limit 5 | wc -l)" 5
check_eq "scan --limit 0 writes nothing" "$("$V" table scan "$TB" --limit 0 | wc -c)" 0

# ------------------------------------------------------------ checkpoint
before=$(md5sum < "$WORK/scan.$LAST")
check_eq "checkpoint exits 0" "$(run_status "$V" table checkpoint "$TB")" 0
sane "checkpoint"
CP="$TB/_delta_log/$(printf '%020d' $LAST).checkpoint.parquet"
check "the checkpoint file is there" test -f "$CP"
check "_last_checkpoint names it" grep -q "^{\"version\":$LAST," "$TB/_delta_log/_last_checkpoint"
"$V" table describe "$TB" --json > "$WORK/desc.cp" 2> "$WORK/err"
check "describe shows the checkpoint version" grep -q "\"checkpointVersion\":$LAST" "$WORK/desc.cp"
check_eq "scan after the checkpoint equals scan before" "$("$V" table scan "$TB" | sort | md5sum)" "$before"
check_eq "an older version still scans the same" "$("$V" table scan "$TB" --version 2 | sort | md5sum)" "$(md5sum < "$WORK/scan.2")"
if [ $HAVE_PEER = 1 ]; then
  qcp=$(printf "'%s'" "$CP")
  sed 's/,"size".*/}/' "$WORK/files.$LAST" | sort > "$WORK/cp.want"
  node "$PEER" sql "SELECT add.path AS path, add.partitionValues AS partitionValues FROM read_parquet($qcp) WHERE add IS NOT NULL" \
    2> "$WORK/peer.err" | sort > "$WORK/cp.got"
  same "$T: DuckDB reads the checkpoint's add paths and partition values as table files lists them ($(wc -l < "$WORK/cp.want") files)" \
    "$WORK/cp.got" "$WORK/cp.want"
  size=$(sed -n 's/.*"size":\([0-9]*\).*/\1/p' "$TB/_delta_log/_last_checkpoint")
  check_eq "$T: DuckDB: checkpoint row count (= _last_checkpoint size), adds, records, txn, protocol, metadata" \
    "$(node "$PEER" sql "SELECT count(*) AS n, count(add) AS adds,
        sum(CAST(json_extract(add.stats, '\$.numRecords') AS BIGINT)) AS records,
        max(CASE WHEN txn.appId = 'app1' THEN txn.version END) AS app1,
        count(protocol) AS protocols, count(metaData) AS metadata FROM read_parquet($qcp)" 2>&1)" \
    "{\"n\":$size,\"adds\":$(wc -l < "$WORK/files.$LAST"),\"records\":$(wc -l < "$WORK/scan.$LAST"),\"app1\":2,\"protocols\":1,\"metadata\":1}"
fi

# one more commit after the checkpoint: a replay from it plus the JSON commit
gen 501 12 'eu|x%y' '2024-05-01|NULL' "$WORK/in6.ndjson"
check_eq "append after the checkpoint exits 0" "$(run_status "$V" table append "$TB" --from "$WORK/in6.ndjson")" 0
model_append "$WORK/in6.ndjson.keys"; snap_model 6
LAST=6
"$V" table files "$TB" --version $LAST > "$WORK/files.$LAST"
"$V" table scan "$TB" --version $LAST | sort > "$WORK/scan.$LAST"
ids < "$WORK/scan.$LAST" > "$WORK/scan.ids.$LAST"
same "$T: scan --version 6 (checkpoint 5 + one commit) has the ids the model expects" \
  "$WORK/scan.ids.$LAST" "$WORK/model.ids.$LAST"
if [ $HAVE_PEER = 1 ]; then
  duck_version $LAST "$WORK/duck.$LAST"
  same "$T: scan --version 6 equals DuckDB reading its live files" "$WORK/scan.$LAST" "$WORK/duck.$LAST"
fi

# ------------------------------------------------------------ optimize
check_eq "optimize exits 0" "$(run_status "$V" table optimize "$TB")" 0
sane "optimize"
check "optimize reports a new version" grep -q "^optimize: version 7:" "$WORK/out"
LAST=7
"$V" table files "$TB" > "$WORK/files.$LAST"
"$V" table scan "$TB" | sort > "$WORK/scan.$LAST"
same "$T: scan after optimize equals scan before" "$WORK/scan.$LAST" "$WORK/scan.6"
check "optimize left fewer files" test "$(wc -l < "$WORK/files.7")" -lt "$(wc -l < "$WORK/files.6")"
check "the optimize commit is dataChange=false" grep -q '"dataChange":false' "$TB/_delta_log/00000000000000000007.json"
"$V" table history "$TB" --json --limit 1 > "$WORK/hist1"
check "history shows OPTIMIZE" grep -q '^{"version":7,.*"operation":"OPTIMIZE"' "$WORK/hist1"
if [ $HAVE_PEER = 1 ]; then
  duck_version $LAST "$WORK/duck.$LAST"
  same "$T: after optimize, DuckDB reads the same rows from the compacted files" "$WORK/scan.$LAST" "$WORK/duck.$LAST"
fi

# ------------------------------------------------------------ vacuum
(cd "$TB" && find . -type f -not -path './_delta_log/*' | sed 's|^\./||' | sort) > "$WORK/ondisk"
paths "$WORK/files.$LAST" > "$WORK/live"
comm -23 "$WORK/ondisk" "$WORK/live" > "$WORK/dead"
check "some files are no longer live (overwrite, optimize)" test -s "$WORK/dead"
check_eq "vacuum --dry-run with the default retention exits 0" "$(run_status "$V" table vacuum "$TB" --dry-run)" 0
check "... and deletes nothing (the removals are recent)" grep -q "would delete 0 files" "$WORK/out"
check_eq "vacuum --dry-run --retain-hours 0 exits 0" "$(run_status "$V" table vacuum "$TB" --dry-run --retain-hours 0)" 0
sed -n 's/^would delete \(.*\)  [0-9]* bytes$/\1/p' "$WORK/out" | sort > "$WORK/would"
same "$T: vacuum --dry-run lists exactly the files not live in the latest version ($(wc -l < "$WORK/dead"))" "$WORK/would" "$WORK/dead"
check_eq "the dry run deleted nothing" "$(cd "$TB" && find . -type f -not -path './_delta_log/*' | wc -l)" "$(wc -l < "$WORK/ondisk")"
check_eq "vacuum --retain-hours 0 exits 0" "$(run_status "$V" table vacuum "$TB" --retain-hours 0)" 0
sane "vacuum"
sed -n 's/^deleted \(.*\)  [0-9]* bytes$/\1/p' "$WORK/out" | sort > "$WORK/deleted"
same "$T: vacuum deleted the files the dry run listed" "$WORK/deleted" "$WORK/dead"
(cd "$TB" && find . -type f -not -path './_delta_log/*' | sed 's|^\./||' | sort) > "$WORK/ondisk2"
same "$T: after vacuum the data files on disk are the live ones" "$WORK/ondisk2" "$WORK/live"
check_eq "the latest version scans the same after vacuum" "$("$V" table scan "$TB" | sort | md5sum)" "$(md5sum < "$WORK/scan.$LAST")"
check_eq "describe --version 1 still works (the log is kept)" "$(run_status "$V" table describe "$TB" --version 1)" 0
rc=$(run_status "$V" table scan "$TB" --version 1)
check_eq "scan --version 1 after vacuum fails cleanly (exit 2)" "$rc" 2
sane "scan --version 1 after vacuum"
missing=no
while IFS= read -r f; do grep -qF "$(basename "$f")" "$WORK/err" && missing=yes; done < "$WORK/deleted"
check_eq "... naming a missing data file" "$missing" yes
[ "$missing" = yes ] || echo "  stderr: $(head -c 400 "$WORK/err")"
check_eq "vacuum again deletes nothing" "$("$V" table vacuum "$TB" --retain-hours 0 | tail -1)" "vacuum: deleted 0 files, 0 bytes"

# ------------------------------------------------------------ a large file
# 600,000 rows in one file of three row groups (the writer's 262,144 rows
# each) and over 1 MiB: scans read it in ranges, and a predicate on id
# prunes the row groups its statistics exclude.
TL="$WORK/large"
check_eq "create a table for a large file exits 0" \
  "$(run_status "$V" table create "$TL" --schema 'id long, pad string, part string' --partition-by part)" 0
awk 'BEGIN { srand(11); for (i = 0; i < 600000; i++) { p = ""; for (k = 0; k < 3; k++) p = p sprintf("%08x", int(rand() * 4294967296)); printf "{\"id\":%d,\"pad\":\"%s\",\"part\":\"a\"}\n", i, p } }' > "$WORK/large.ndjson"
check_eq "append 600,000 rows exits 0" "$(run_status "$V" table append "$TL" --from "$WORK/large.ndjson")" 0
size=$("$V" table files "$TL" | sed -n 's/.*"size":\([0-9]*\).*/\1/p' | head -1)
check "the file is over 1 MiB ($size bytes)" test "${size:-0}" -gt 1048576
"$V" table scan "$TL" --where "id >= 590000" --columns id --stats > "$WORK/large.out" 2> "$WORK/err"
sane "scan of the large file"
check_eq "scan --where id >= 590000 returns those 10,000 ids" "$(ids < "$WORK/large.out" | md5sum)" "$(seq 590000 599999 | md5sum)"
check "... from one of its 3 row groups" grep -q "3 row groups (2 pruned)" "$WORK/err"
fetched=$(sed -n 's/.* read, \([0-9]*\) bytes.*/\1/p' "$WORK/err")
check "... fetching under a tenth of the file (the footer and one id chunk: ${fetched:-?} of $size bytes)" \
  test "${fetched:-$size}" -lt $((size / 10))
"$V" table scan "$TL" > "$WORK/large.all" 2> "$WORK/err"
sane "full scan of the large file"
check_eq "a full scan returns every row as appended" "$(md5sum < "$WORK/large.all")" "$(md5sum < "$WORK/large.ndjson")"
"$V" table scan "$TL" --columns part > "$WORK/large.part" 2> "$WORK/err"
sane "scan of the large file's partition column alone"
check_eq "a scan of the partition column alone counts the file's rows (from one fetched chunk)" \
  "$(sort -u "$WORK/large.part") $(wc -l < "$WORK/large.part")" '{"part":"a"} 600000'
