# vidlake's Parquet reader against DuckDB as a peer: `vidlake parquet cat F`
# and `node tests/peers/duckdb.mjs cat F` (DuckDB from npm, pinned in
# package-lock.json) must print the same NDJSON, line for line,
#   a. for the shared fixtures in $VIDLAKE_TESTDATA/parquet/data that DuckDB
#      reads (the others are listed with the reason);
#   b. for files DuckDB writes: every codec it has, a table of many types
#      (nulls everywhere, nesting, extremes), small row groups, page v2.
# Skipped, with a reason, when node or the npm packages are missing.
. "$(dirname "$0")/lib.sh"

T="parquet vs duckdb"

need_duckdb_peer "$T"

# same NAME VIDLAKE_OUT PEER_OUT: ok when identical, else FAIL with the first
# differing line of each (and the first top-level key whose values differ).
same() {
  local name=$1 a=$2 b=$3 n na nb
  if cmp -s "$a" "$b"; then ok "$name"; return; fi
  na=$(wc -l < "$a"); nb=$(wc -l < "$b")
  n=$(cmp "$a" "$b" 2>&1 | sed -n 's/.*line \([0-9]*\).*/\1/p')
  if cmp "$a" "$b" 2>&1 | grep -q EOF; then n=$((n + 1)); fi
  fail "$name: line ${n:-?} differs ($na rows from vidlake, $nb from DuckDB)"
  echo "  vidlake: $(if [ "${n:-0}" -le "$na" ]; then sed -n "${n}p" "$a"; else echo '(no such line)'; fi)"
  echo "  duckdb:  $(if [ "${n:-0}" -le "$nb" ]; then sed -n "${n}p" "$b"; else echo '(no such line)'; fi)"
  # a hint only: JSON.parse rounds big integers, so it may find nothing
  sed -n "${n}p" "$a" > "$WORK/la"; sed -n "${n}p" "$b" > "$WORK/lb"
  node -e '
    const fs = require("fs");
    try {
      const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const b = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
      const k = Object.keys(a).find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      if (k !== undefined) console.log("  first differing column: " + k + ": vidlake " +
        JSON.stringify(a[k]) + ", duckdb " + JSON.stringify(b[k]));
    } catch (e) {}' "$WORK/la" "$WORK/lb"
}

# ------------------------------------------------------------ a. fixtures
D="${VIDLAKE_TESTDATA:-}/parquet/data"
if [ -z "${VIDLAKE_TESTDATA:-}" ] || [ ! -d "$D" ]; then
  echo "skip $T fixtures: no $D (set VIDLAKE_TESTDATA)"
else
  # DuckDB cannot read these (DuckDB 1.5.6; a file that starts to read after
  # an upgrade is compared like the others).
  declare -A duckdb_cannot=(
    [hadoop_lz4_compressed.parquet]="legacy LZ4 codec (Hadoop framing); DuckDB only has LZ4_RAW"
    [hadoop_lz4_compressed_larger.parquet]="legacy LZ4 codec (Hadoop framing); DuckDB only has LZ4_RAW"
    [non_hadoop_lz4_compressed.parquet]="legacy LZ4 codec (raw block); DuckDB only has LZ4_RAW"
    [map_no_value.parquet]="DuckDB rejects a MAP group without a value field (\"MAP_KEY_VALUE requires two children\")"
    [byte_stream_split_extended.gzip.parquet]="DuckDB reads BYTE_STREAM_SPLIT only for FLOAT/DOUBLE, and fails on the whole file even when only those columns are selected"
  )
  # vidlake refuses these on purpose and DuckDB reads them: DuckDB does not
  # check page CRCs (and returns the altered data), and it is lenient about
  # a page that runs past its chunk (the fixture README allows either).
  declare -A vidlake_rejects=(
    [datapage_v1-corrupt-checksum.parquet]="CRC"
    [rle-dict-uncompressed-corrupt-checksum.parquet]="CRC"
    [nation.dict-malformed.parquet]="runs past"
  )
  mkdir -p "$WORK/a"
  node "$PEER" cat-to "$WORK/a" "$D"/*.parquet
  for f in "$D"/*.parquet; do
    b=$(basename "$f")
    if [ -n "${vidlake_rejects[$b]:-}" ]; then
      st=$(run_status "$VIDLAKE" parquet cat "$f")
      if [ "$st" = 2 ] && grep -q "${vidlake_rejects[$b]}" "$WORK/err"; then
        ok "$T: vidlake rejects $b (${vidlake_rejects[$b]}), DuckDB reads it leniently"
      else
        fail "$T: vidlake should reject $b with '${vidlake_rejects[$b]}' (status $st)"
        head -3 "$WORK/err"
      fi
      continue
    fi
    if [ ! -f "$WORK/a/$b.ndjson" ]; then
      if [ -n "${duckdb_cannot[$b]:-}" ]; then
        echo "skip $T: $b: ${duckdb_cannot[$b]}"
      else
        fail "$T: DuckDB cannot read $b: $(head -c 300 "$WORK/a/$b.err")"
      fi
      continue
    fi
    if ! "$VIDLAKE" parquet cat "$f" > "$WORK/v.ndjson" 2> "$WORK/err"; then
      fail "$T: $b: vidlake parquet cat failed where DuckDB reads $(wc -l < "$WORK/a/$b.ndjson") rows"
      head -3 "$WORK/err"
      continue
    fi
    if [ "$b" = int96_from_spark.parquet ]; then
      # Row 6 is 9089380393200000000 us, which Spark wrote with an int64
      # overflow (Julian day as a negative int32, nanoseconds wrapped); its
      # own reader undoes it with the same wrap-around. DuckDB overflows
      # differently (year -226413), so row 6 is checked against the value
      # the fixture README documents instead.
      head -5 "$WORK/v.ndjson" > "$WORK/v5"; head -5 "$WORK/a/$b.ndjson" > "$WORK/d5"
      same "$T: $b rows 1-5" "$WORK/v5" "$WORK/d5"
      check_eq "$T: $b row 6 (the README's value)" "$(sed -n 6p "$WORK/v.ndjson")" \
        '{"a":"+290000-12-30T23:00:00.000000Z"}'
      continue
    fi
    same "$T: $b" "$WORK/v.ndjson" "$WORK/a/$b.ndjson"
  done
fi

# ------------------------------------------------------------ b. written by DuckDB
# A table of many types with nulls everywhere. Left out on purpose:
#   - a NULL fixed-size ARRAY (INTEGER[3]): DuckDB writes levels for the
#     reserved slots of a null array, which is invalid Parquet that only
#     DuckDB reads back (duckdb/duckdb#24731, open); arrays here are never
#     null themselves.
#   - INTERVAL: DESIGN.md has no convention for it (vidlake prints the raw
#     FIXED_LEN_BYTE_ARRAY(12) as base64), and HUGEINT: DuckDB writes it as
#     DOUBLE.
#   - subnormal floats, empty maps with non-string keys and years after
#     9999: the separate files floats_edge, maps_empty and dates_far below,
#     so that a difference there does not hide the rest of the table.
cat > "$WORK/types.sql" <<'EOF'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t AS
SELECT
  i::INTEGER AS id,
  CASE WHEN i % 11 = 5 THEN NULL ELSE i % 3 = 0 END AS b,
  CASE WHEN i % 13 = 1 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS ti,
  CASE WHEN i % 17 = 2 THEN NULL ELSE (i * 37 % 65536 - 32768)::SMALLINT END AS si,
  CASE i WHEN 1 THEN -2147483648 WHEN 2 THEN 2147483647 WHEN 3 THEN NULL
    ELSE (i * 2654435761 % 4294967296 - 2147483648)::INTEGER END AS ii,
  CASE i WHEN 1 THEN -9223372036854775808 WHEN 2 THEN 9223372036854775807 WHEN 3 THEN 9007199254740993
    WHEN 4 THEN NULL ELSE (hash(i) % 9223372036854775807)::BIGINT - 4611686018427387904 END AS bi,
  CASE WHEN i % 19 = 3 THEN NULL ELSE (i % 256)::UTINYINT END AS uti,
  CASE WHEN i % 23 = 4 THEN NULL ELSE (i * 7919 % 65536)::USMALLINT END AS usi,
  CASE i WHEN 2 THEN 4294967295 WHEN 5 THEN NULL ELSE (i * 2654435761 % 4294967296)::UINTEGER END AS ui,
  CASE i WHEN 2 THEN 18446744073709551615 WHEN 3 THEN 9007199254740993 WHEN 6 THEN NULL
    ELSE hash(i)::UBIGINT END AS ubi,
  CASE i WHEN 1 THEN 'nan'::FLOAT WHEN 2 THEN 'inf'::FLOAT WHEN 3 THEN '-inf'::FLOAT WHEN 4 THEN -0.0::FLOAT
    WHEN 5 THEN 3.4028235e38::FLOAT WHEN 6 THEN 1.1754944e-38::FLOAT WHEN 7 THEN NULL WHEN 8 THEN 1e-7::FLOAT
    WHEN 9 THEN 16777216::FLOAT WHEN 10 THEN 123456.79::FLOAT WHEN 11 THEN 1e10::FLOAT
    ELSE (i / 7.0)::FLOAT END AS f,
  CASE i WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN '-inf'::DOUBLE WHEN 4 THEN -0.0::DOUBLE
    WHEN 5 THEN 1.7976931348623157e308 WHEN 6 THEN 2.2250738585072014e-308 WHEN 7 THEN NULL
    WHEN 8 THEN 0.1::DOUBLE + 0.2::DOUBLE WHEN 9 THEN 1e15::DOUBLE WHEN 10 THEN 1e16::DOUBLE WHEN 11 THEN 1e-5::DOUBLE
    WHEN 12 THEN 123456789012345680000::DOUBLE WHEN 13 THEN pi() WHEN 14 THEN 9007199254740993::DOUBLE
    WHEN 15 THEN 0.0001::DOUBLE
    ELSE i * 1.1::DOUBLE - 1000 END AS d,
  CASE i WHEN 1 THEN '99.99' WHEN 2 THEN '-99.99' WHEN 3 THEN '0' WHEN 4 THEN NULL WHEN 5 THEN '-0.01'
    ELSE ((i % 9999 - 5000) // 100)::VARCHAR || '.' || lpad((i % 100)::VARCHAR, 2, '0') END::DECIMAL(4,2) AS dec4,
  CASE i WHEN 1 THEN '999999999999999.999' WHEN 2 THEN '-999999999999999.999' WHEN 3 THEN NULL WHEN 4 THEN '0.001'
    ELSE ((i * 1234567 - 1000000000)::DECIMAL(18,0) / 1000)::VARCHAR END::DECIMAL(18,3) AS dec18,
  CASE i WHEN 1 THEN '9999999999999999999999999999.9999999999' WHEN 2 THEN '-9999999999999999999999999999.9999999999'
    WHEN 3 THEN NULL WHEN 4 THEN '-0.0000000001'
    ELSE ((i::HUGEINT * 123456789123456789 - 1000000000000000000000)::VARCHAR || '.' || lpad((i * 7919 % 10000000000)::VARCHAR, 10, '0'))
    END::DECIMAL(38,10) AS dec38,
  CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'héllo wörld 🚀 ' || i WHEN 3 THEN 'quote " backslash \ slash /'
    WHEN 4 THEN 'tab' || chr(9) || 'nl' || chr(10) || 'cr' || chr(13) || 'ctl' || chr(1) || chr(31) || 'del' || chr(127)
    WHEN 5 THEN '日本語テキスト' WHEN 6 THEN 'line' || chr(8232) || 'sep' ELSE 'row ' || i END AS s,
  CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN ''::BLOB WHEN 2 THEN '\x00\x01\xFF\xFE'::BLOB
    ELSE unhex(printf('%08x', i * 2654435761 % 4294967296)) END AS bl,
  CASE i WHEN 1 THEN DATE '0001-01-01' WHEN 2 THEN DATE '9999-12-31' WHEN 3 THEN DATE '1969-12-31'
    WHEN 4 THEN NULL WHEN 5 THEN DATE '1900-02-28' WHEN 6 THEN DATE '2024-02-29'
    ELSE DATE '1970-01-01' + (i * 13 - 20000)::INTEGER END AS dt,
  CASE i WHEN 1 THEN TIMESTAMP '0001-01-01 00:00:00' WHEN 2 THEN TIMESTAMP '9999-12-31 23:59:59.999999'
    WHEN 3 THEN TIMESTAMP '1969-12-31 23:59:59.999999' WHEN 4 THEN NULL WHEN 5 THEN TIMESTAMP '1900-01-01 00:00:00.000001'
    ELSE TIMESTAMP '2024-05-01 12:00:00' + to_microseconds(i * 12345678901 - 10000000000000) END AS ts,
  CASE i WHEN 1 THEN TIMESTAMPTZ '0001-01-01 00:00:00+00' WHEN 2 THEN TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'
    WHEN 3 THEN NULL WHEN 4 THEN TIMESTAMPTZ '2024-05-01 12:00:00+02'
    ELSE TIMESTAMPTZ '2024-05-01 12:00:00+00' + to_microseconds(i * 987654321) END AS tstz,
  CASE i WHEN 1 THEN NULL WHEN 2 THEN '1969-12-31 23:59:59.999999999'::TIMESTAMP_NS
    WHEN 3 THEN '1677-09-22 00:00:00.000000001'::TIMESTAMP_NS WHEN 4 THEN '2262-04-11 23:47:16.854775'::TIMESTAMP_NS
    ELSE ('2024-05-01 12:00:00'::TIMESTAMP_NS + to_microseconds(i * 1000003)) END AS ts_ns,
  CASE i WHEN 1 THEN NULL WHEN 2 THEN '1969-12-31 23:59:59.999'::TIMESTAMP_MS
    ELSE ('2024-05-01 12:00:00'::TIMESTAMP + to_milliseconds(i * 1001))::TIMESTAMP_MS END AS ts_ms,
  CASE i WHEN 1 THEN TIME '00:00:00' WHEN 2 THEN TIME '23:59:59.999999' WHEN 3 THEN NULL
    ELSE TIME '00:00:00' + to_microseconds(i * 28800001) END AS tm,
  CASE i WHEN 1 THEN '00000000-0000-0000-0000-000000000000'::UUID WHEN 2 THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID
    WHEN 3 THEN NULL WHEN 4 THEN '80000000-0000-0000-0000-000000000000'::UUID
    ELSE (substr(md5(i::VARCHAR), 1, 8) || '-' || substr(md5(i::VARCHAR), 9, 4) || '-' || substr(md5(i::VARCHAR), 13, 4) || '-' ||
          substr(md5(i::VARCHAR), 17, 4) || '-' || substr(md5(i::VARCHAR), 21, 12))::UUID END AS u,
  CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN []::INTEGER[] WHEN 2 THEN [i, NULL, -i]::INTEGER[]
    ELSE list_transform(range(i % 7), x -> (x * i)::INTEGER) END AS l_int,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN ['a', NULL, ''] WHEN 2 THEN []::VARCHAR[] ELSE ['x' || i, 'ü'] END AS l_str,
  CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN []::INTEGER[][] WHEN 2 THEN [[1, 2], [], NULL, [NULL]]::INTEGER[][]
    WHEN 3 THEN [NULL]::INTEGER[][] ELSE [[i], [i + 1, i + 2]]::INTEGER[][] END AS ll,
  CASE i % 5 WHEN 0 THEN NULL
    WHEN 1 THEN {'a': NULL, 'b': NULL, 'c': NULL}::STRUCT(a INTEGER, b VARCHAR, c DOUBLE[])
    ELSE {'a': i, 'b': 'v' || i, 'c': [i / 3, NULL]}::STRUCT(a INTEGER, b VARCHAR, c DOUBLE[]) END AS st,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN []::STRUCT(x INTEGER, y STRUCT(z VARCHAR))[]
    WHEN 2 THEN [{'x': 1, 'y': NULL}, NULL, {'x': NULL, 'y': {'z': NULL}}]::STRUCT(x INTEGER, y STRUCT(z VARCHAR))[]
    ELSE [{'x': i, 'y': {'z': 'z' || i}}]::STRUCT(x INTEGER, y STRUCT(z VARCHAR))[] END AS ls,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN MAP {}::MAP(VARCHAR, INTEGER) WHEN 2 THEN MAP {'k1': 1, 'k2': NULL, '': 3}
    ELSE MAP {'key' || i: i} END AS m_str,
  CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN MAP {1: 'a', 2: NULL, -3: ''}::MAP(INTEGER, VARCHAR)
    ELSE MAP {i: 'v' || i}::MAP(INTEGER, VARCHAR) END AS m_int,
  CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN MAP {'a': [1, 2], 'b': []}::MAP(VARCHAR, INTEGER[])
    ELSE MAP {'c': NULL}::MAP(VARCHAR, INTEGER[]) END AS m_list,
  CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'sad'::mood WHEN 2 THEN 'ok'::mood ELSE 'happy'::mood END AS e,
  (CASE i % 3 WHEN 1 THEN [i::INTEGER, NULL, 3] ELSE [0, 0, 0] END)::INTEGER[3] AS arr,
  CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN '{"a": [1, 2.5, null], "b": "ü"}'::JSON ELSE '[]'::JSON END AS js
FROM range(0, 3000) r(i);
EOF
{
  cat "$WORK/types.sql"
  # lz4 is DuckDB's alias of lz4_raw (the legacy Hadoop LZ4 is not written)
  for c in uncompressed snappy gzip zstd lz4_raw brotli; do
    echo "COPY t TO '$WORK/b/types_$c.parquet' (FORMAT parquet, COMPRESSION $c);"
  done
  # row groups are multiples of DuckDB's 2048-row vectors: 9000 rows in 5
  echo "COPY (SELECT t.* FROM t, range(3)) TO '$WORK/b/types_rowgroups.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2048);"
  # data page v2 and the DELTA_* encodings. DuckDB computes INT32 deltas in
  # 64 bits, so INT32 columns spanning more than 2^31 get 33-bit miniblocks,
  # which Encodings.md forbids ("INT32 data must not use more than 32
  # bits"); ii and ui are halved here, and the wide case is int32_delta_wide.
  echo "COPY (SELECT * REPLACE (ii // 2 AS ii, ui // 2 AS ui) FROM t) TO '$WORK/b/types_v2.parquet' (FORMAT parquet, PARQUET_VERSION v2, COMPRESSION zstd);"
  echo "COPY (SELECT ii, ui FROM t) TO '$WORK/w/int32_delta_wide.parquet' (FORMAT parquet, PARQUET_VERSION v2);"
  cat <<EOF
COPY (SELECT * FROM (VALUES
    (1, 1e-45::FLOAT, 5e-324::DOUBLE), (2, -1e-40::FLOAT, 1e-310::DOUBLE),
    (3, 1.1754942e-38::FLOAT, -2.225073858507201e-308::DOUBLE), (4, 1.5::FLOAT, 1.5::DOUBLE)) v(id, f, d))
  TO '$WORK/b/floats_edge.parquet' (FORMAT parquet);
COPY (SELECT * FROM (VALUES
    (1, DATE '10000-01-01', TIMESTAMP '10000-01-01 00:00:00'),
    (2, DATE '0001-01-01 (BC)', TIMESTAMP '0001-01-01 00:00:00' - INTERVAL 1 DAY),
    (3, DATE '9999-12-31', TIMESTAMP '9999-12-31 23:59:59')) v(id, dt, ts))
  TO '$WORK/b/dates_far.parquet' (FORMAT parquet);
COPY (SELECT MAP {}::MAP(INTEGER, VARCHAR) AS m_int, MAP {}::MAP(VARCHAR, INTEGER) AS m_str,
    [MAP {}::MAP(BIGINT, DOUBLE), MAP {7: 1.5}::MAP(BIGINT, DOUBLE)] AS l_m)
  TO '$WORK/b/maps_empty.parquet' (FORMAT parquet);
EOF
} > "$WORK/write.sql"
mkdir -p "$WORK/b" "$WORK/bd" "$WORK/w"
if ! node "$PEER" sql "$(cat "$WORK/write.sql")" > "$WORK/out" 2> "$WORK/peer.err"; then
  fail "$T: DuckDB writes the test files: $(head -c 500 "$WORK/peer.err")"
else
  check_eq "$T: DuckDB wrote types_rowgroups.parquet in 5 row groups" \
    "$("$VIDLAKE" parquet meta "$WORK/b/types_rowgroups.parquet" | sed -n 's/^row groups *//p')" 5
  node "$PEER" cat-to "$WORK/bd" "$WORK/b"/*.parquet
  for f in "$WORK/b"/*.parquet; do
    b=$(basename "$f")
    if [ ! -f "$WORK/bd/$b.ndjson" ]; then
      fail "$T: DuckDB cannot read back its own $b: $(head -c 300 "$WORK/bd/$b.err")"
    elif ! "$VIDLAKE" parquet cat "$f" > "$WORK/v.ndjson" 2> "$WORK/err"; then
      fail "$T: DuckDB-written $b: vidlake parquet cat failed"
      head -3 "$WORK/err"
    else
      same "$T: DuckDB-written $b" "$WORK/v.ndjson" "$WORK/bd/$b.ndjson"
    fi
  done
  # 33-bit INT32 miniblocks: parquet-cpp and arrow-rs refuse them, DuckDB and
  # arrow-go read them. vidlake may do either, but must not misread them.
  f="$WORK/w/int32_delta_wide.parquet"
  if "$VIDLAKE" parquet cat "$f" > "$WORK/v.ndjson" 2> "$WORK/err"; then
    node "$PEER" cat "$f" > "$WORK/d.ndjson"
    same "$T: DuckDB-written int32_delta_wide.parquet (33-bit INT32 deltas) is read right" "$WORK/v.ndjson" "$WORK/d.ndjson"
  else
    check "$T: DuckDB-written int32_delta_wide.parquet (33-bit INT32 deltas) is refused clearly" \
      grep -q "bit width 33" "$WORK/err"
  fi
fi
