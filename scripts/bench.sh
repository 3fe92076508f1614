#!/usr/bin/env bash
# make bench: performance figures, optimized build, on this machine.
# Whole-process timings are the median of 3 runs. Peers run in the same
# invocation so that ratios are comparable on a shared, noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
V=build/vidlake
export VIDLAKE_PROGRESS=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vidlake-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# median_secs CMD...: runs CMD 3 times (output discarded), prints the median wall time in seconds
median_secs() {
  local t=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null || [ $? -eq 1 ]  # validate exits 1 when it found rejects
    e=$(date +%s%N)
    t+=("$(( (e - s) / 1000 ))")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p | awk '{printf "%.3f", $1 / 1e6}'
}

echo "== event decoder vs general-purpose JSON parsers; simulator (in memory, 1 thread)"
"$B"/bench/bench_decode 1000000

echo
echo "== JSON DOM parser and writer on a synthetic Delta log of 1,000,000 add actions (1 thread)"
"$B"/bench/bench_json 1000000

echo
echo "== whole process: vidlake generate --events 5000000 --seed 1 > /dev/null"
s=$(median_secs "$V" generate --events 5000000 --seed 1)
awk -v s="$s" 'BEGIN { printf "generate  %.2f s  %.2f M events/s\n", s, 5 / s }'

echo
echo "== whole process: vidlake validate of 2,000,000 generated events (1% invalid)"
"$V" generate --events 2000000 --seed 2 --invalid-fraction 0.01 > "$tmp/events.ndjson"
bytes=$(stat -c %s "$tmp/events.ndjson")
s=$(median_secs "$V" validate "$tmp/events.ndjson" --show 0)
awk -v s="$s" -v b="$bytes" 'BEGIN { printf "validate  %.2f s  %.0f MB/s  %.2f M events/s\n", s, b / s / 1e6, 2 / s }'

rows=${VIDLAKE_BENCH_ROWS:-10000000}
echo
echo "== Parquet: $rows event-shaped rows, zstd, one thread; vidlake and DuckDB in the same run"
if ! node -e "require.resolve('@duckdb/node-api')" >/dev/null 2>&1; then
  echo "skipped: the DuckDB peer is not installed (npm ci)"
  exit 0
fi
"$B"/bench/bench_parquet "$rows" "$tmp/vidlake.parquet" | tee "$tmp/v.txt"
node bench/duckdb_parquet.mjs "$tmp/vidlake.parquet" "$tmp/duckdb.parquet" | tee "$tmp/d.txt"
"$B"/bench/bench_parquet --scan "$tmp/duckdb.parquet" | tee -a "$tmp/v.txt"
# field 3 of each line is seconds, field 8 of a write line its bytes
get() { awk -v k="$2" -v f="$3" '$1 == k && $2 == f { print $3 }' "$1"; }
size() { awk -v f="$2" '$1 == "write" && $2 == f { print $8 }' "$1"; }
vw=$(get "$tmp/v.txt" write "$tmp/vidlake.parquet"); dw=$(get "$tmp/d.txt" write "$tmp/duckdb.parquet")
vs=$(size "$tmp/v.txt" "$tmp/vidlake.parquet"); ds=$(size "$tmp/d.txt" "$tmp/duckdb.parquet")
vrv=$(get "$tmp/v.txt" read "$tmp/vidlake.parquet"); drv=$(get "$tmp/d.txt" read "$tmp/vidlake.parquet")
vrd=$(get "$tmp/v.txt" read "$tmp/duckdb.parquet"); drd=$(get "$tmp/d.txt" read "$tmp/duckdb.parquet")
awk -v vw="$vw" -v dw="$dw" -v vs="$vs" -v ds="$ds" -v vrv="$vrv" -v drv="$drv" -v vrd="$vrd" -v drd="$drd" 'BEGIN {
  printf "summary: write  vidlake %.2f s, DuckDB %.2f s: vidlake %.2fx as fast\n", vw, dw, dw / vw
  printf "         size   vidlake %.1f MB, DuckDB %.1f MB: vidlake %.3f of DuckDB\n", vs / 1e6, ds / 1e6, vs / ds
  printf "         read of vidlake file  vidlake %.2f s, DuckDB %.2f s: vidlake %.2fx as fast\n", vrv, drv, drv / vrv
  printf "         read of DuckDB file   vidlake %.2f s, DuckDB %.2f s: vidlake %.2fx as fast\n", vrd, drd, drd / vrd
}'

echo
echo "== Delta: commit latency on the local store (fsync'd put-if-absent), 200 commits each"
"$B"/bench/bench_delta commits "$tmp/commits" 200

echo
echo "== Delta: snapshot load of a table of 10,000 commits and 1,000,000 files"
"$B"/bench/bench_delta snapshot "$tmp/snap" 10000 1000000
rm -rf "$tmp/snap"

drows=${VIDLAKE_BENCH_DELTA_ROWS:-5000000}
echo
echo "== Delta: full scan to NDJSON of a $drows-row event table, one thread; vidlake and DuckDB read_parquet"
"$B"/bench/bench_delta table "$tmp/events" "$drows"
"$B"/bench/bench_delta scan "$tmp/events" | tee "$tmp/ds.txt"
node bench/duckdb_delta_scan.mjs "$tmp/events/files.txt" | tee -a "$tmp/ds.txt"
awk '$1 == "scan" && $2 == "vidlake" { v = $3 } $1 == "scan" && $2 == "duckdb" { d = $3 }
     END { if (v && d) printf "summary: scan  vidlake %.2f s, DuckDB %.2f s: vidlake %.2fx as fast\n", v, d, d / v }' "$tmp/ds.txt"

iev=${VIDLAKE_BENCH_INGEST_EVENTS:-1000000}
echo
echo "== file -> bronze: $iev generated events (0.5% invalid); vidlake ingest and DuckDB read_json -> Parquet, 2 threads each"
"$V" generate --events "$iev" --seed 5 --invalid-fraction 0.005 > "$tmp/ingest.ndjson"
/usr/bin/time -f "peak RSS %M KiB" "$V" ingest --lake "$tmp/lake" --from "$tmp/ingest.ndjson" 2>&1 | tee "$tmp/ing.txt"
node bench/duckdb_ingest.mjs "$tmp/ingest.ndjson" "$tmp/duck_ingest.parquet" 2 | tee -a "$tmp/ing.txt"
awk '$1 == "ingest:" { for (i = 1; i <= NF; i++) if ($i == "s,") v = $(i - 1) } $1 == "ingest" && $2 == "duckdb" { d = $3 }
     END { if (v && d) printf "summary: file -> bronze  vidlake %.2f s, DuckDB %.2f s: vidlake %.2fx as fast\n", v, d, d / v }' "$tmp/ing.txt"

hev=${VIDLAKE_BENCH_HTTP_EVENTS:-1000000}
hbytes=$("$V" generate --events "$hev" --seed 5 --invalid-fraction 0.005 | wc -c)
# http_run COMPRESSION: one serve, one load process, figures on two lines
http_run() {
  rm -rf "$tmp/hlake" "$tmp/hport"
  "$V" serve --lake "$tmp/hlake" --listen 127.0.0.1:0 --port-file "$tmp/hport" 2>"$tmp/serve.log" &
  local spid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/hport" ] && break; sleep 0.05; done
  local hs ha he hwm committed
  hs=$(date +%s%N)
  "$V" generate --events "$hev" --seed 5 --invalid-fraction 0.005 --to "http://127.0.0.1:$(cat "$tmp/hport")" -X compression="$1"
  ha=$(date +%s%N)
  hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$spid/status)
  kill -TERM $spid; wait $spid
  he=$(date +%s%N)
  committed=$("$V" table scan "$tmp/hlake/bronze/events" --columns event_type | wc -l)
  awk -v z="$1" -v n="$hev" -v b="$hbytes" -v s="$hs" -v a="$ha" -v e="$he" -v r="$hwm" -v c="$committed" 'BEGIN {
    printf "http %-4s acknowledged (durable in the WAL)  %.2f s  %.0f events/s  %.0f MB/s\n", z, (a - s) / 1e9, n / ((a - s) / 1e9), b / 1e6 / ((a - s) / 1e9)
    printf "http %-4s committed to bronze (%d events)   %.2f s  %.0f events/s; serve peak RSS %.0f MiB\n", z, c, (e - s) / 1e9, n / ((e - s) / 1e9), r / 1024
  }'
}
echo
echo "== HTTP -> bronze: $hev generated events POSTed by a separate load process (vidlake generate --to http://,"
echo "   4 connections, batches of 5000) to vidlake serve; the load process shares the machine's 2 cores."
echo "   gzip: bodies gzip'd (level 1) as players send them, which costs the load process about a core;"
echo "   none: uncompressed bodies, the collector's own throughput"
http_run gzip
http_run none

# 10% over 100,000: on 2 shared cores the simulator delivers about 93% of
# its rate while the server and the prober take the rest; the prober
# prints the rate that was accepted meanwhile
frate=${VIDLAKE_BENCH_FRESH_RATE:-110000}
echo
echo "== real time: freshness and API latency while live viewers send $frate events/s (generate --rate,"
echo "   uncompressed: the simulator itself takes most of a core) to vidlake serve; freshness = POST of one"
echo "   event -> the summary counts it (WAL fsync included); the prober is node (bench/freshness.mjs);"
echo "   all on the same 2 cores"
rm -rf "$tmp/flake" "$tmp/fport"
"$V" serve --lake "$tmp/flake" --listen 127.0.0.1:0 --port-file "$tmp/fport" 2>"$tmp/fserve.log" &
fpid=$!
for _ in $(seq 1 200); do [ -s "$tmp/fport" ] && break; sleep 0.05; done
furl="http://127.0.0.1:$(cat "$tmp/fport")"
"$V" generate --rate "$frate" --seed 4 --to "$furl" -X compression=none 2>"$tmp/fgen.log" &
gpid=$!
# wait until the load has run 10 s (the simulator sizes its audience in about a second)
for _ in $(seq 1 180); do
  a=$(curl -s "$furl/api/v1/pipeline" | jq '.collector.events_accepted' 2>/dev/null || echo 0)
  [ "${a:-0}" -gt $((frate * 10)) ] && break
  sleep 1
done
node bench/freshness.mjs "$furl" 1000 || echo "freshness: the prober failed"
fhwm=$(awk '/^VmHWM/ { print $2 }' /proc/$fpid/status)
kill -TERM $gpid 2>/dev/null; wait $gpid 2>/dev/null || true
curl -s "$furl/api/v1/pipeline" | jq -r '"engine: \(.realtime.events) events, \(.realtime.views_tracked) views tracked, \(.realtime.memory_bytes / 1048576 | floor) MiB; late \(.realtime.late_events)"'
kill -TERM $fpid; wait $fpid || true
awk -v r="$fhwm" 'BEGIN { printf "serve peak RSS %.0f MiB\n", r / 1024 }'

kev=${VIDLAKE_BENCH_KAFKA_EVENTS:-1000000}
kparts=$(( (kev + 39999) / 40000 )); [ "$kparts" -lt 16 ] && kparts=16  # the mock keeps 5 MiB per partition
echo
echo "== Kafka -> bronze: $kev generated events (0.5% invalid) in a mock cluster (librdkafka's, $kparts partitions, zstd); one vidlake ingest"
[ -x "$B/tools/kafka_tool" ] || make --no-print-directory MODE=release "$B/tools/kafka_tool" > /dev/null
"$B/tools/kafka_tool" cluster --brokers 1 --topic bench --partitions "$kparts" --port-file "$tmp/kafka" > /dev/null 2>&1 &
kpid=$!
trap 'kill $kpid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do [ -s "$tmp/kafka" ] && break; sleep 0.05; done
kb=$(cat "$tmp/kafka")
s=$(date +%s%N)
"$V" generate --events "$kev" --seed 6 --invalid-fraction 0.005 --to "kafka://$kb/bench" -X compression.codec=zstd
e=$(date +%s%N)
awk -v s=$(((e - s) / 1000)) -v n="$kev" 'BEGIN { printf "produce   %.2f s  %.2f M events/s (generate --to kafka://: idempotent, acks=all, zstd)\n", s / 1e6, n / s }'
"$B/tools/kafka_tool" offsets --brokers "$kb" --topic bench --group none |
  awk -v n="$kev" '{ k += $4 - $3; lo += $3 } END { if (k != n || lo) printf "warning: the topic holds %d of %d records (retention)\n", k, n }'
/usr/bin/time -f "peak RSS %M KiB" "$V" ingest --lake "$tmp/klake" --from "kafka://$kb/bench" --group bench --until-end \
  2>&1 | tee "$tmp/king.txt" | grep -v ' INFO '
# the rate once the partitions are assigned (the mock's group join takes 3 s)
awk -v n="$kev" '/assigned partition/ { a = $1 } /gave up/ { g = $1 }
  function secs(t) { split(substr(t, 12, 15), x, ":"); return x[1] * 3600 + x[2] * 60 + x[3] }
  END { if (a && g) printf "summary: Kafka -> bronze  %.2f s after the assignment: %.0f events/s\n", secs(g) - secs(a), n / (secs(g) - secs(a)) }' "$tmp/king.txt"
kill $kpid 2>/dev/null
wait $kpid 2>/dev/null || true

eev=${VIDLAKE_BENCH_ETL_EVENTS:-20000000}
echo
echo "== ETL: $eev generated events over 7 days (2% duplicate, 1% late) in bronze; the whole batch pipeline"
echo "   (silver events and views, the gold tables), vidlake etl run --full vs the same pipeline in DuckDB SQL"
echo "   (bench/etl_duckdb.sql) over the same bronze files, both writing zstd Parquet, 2 threads each, in turn"
"$V" generate --events "$eev" --days 7 --seed 5 --duplicate-fraction 0.02 --late-fraction 0.01 |
  "$V" ingest --lake "$tmp/elake" --from - --source-id bench-etl 2>&1 | grep '^ingest:' || true
etl_pair() { # RUN: one vidlake run and one DuckDB run, their wall seconds and peak RSS
  rm -rf "$tmp/epq"
  /usr/bin/time -f "vidlake %e s %M KiB" -o "$tmp/et.v.$1" "$V" etl run --lake "$tmp/elake" --full --threads 2 \
    2> "$tmp/et.log.$1" || { cat "$tmp/et.log.$1"; return 1; }
  /usr/bin/time -f "duckdb %e s %M KiB" -o "$tmp/et.d.$1" env VIDLAKE="$V" \
    node tests/peers/etl_duckdb.mjs "$tmp/elake" "$tmp/epq" --threads 2 --parquet > /dev/null
  cat "$tmp/et.v.$1" "$tmp/et.d.$1"
}
for r in 1 2 3; do etl_pair $r; done | tee "$tmp/etl.txt"
sed 's/^/  /' "$tmp/et.log.3"
awk '$1 == "vidlake" { v[++nv] = $2; vm = $4 > vm ? $4 : vm } $1 == "duckdb" { d[++nd] = $2; dm = $4 > dm ? $4 : dm }
  function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((n + 1) / 2)] }
  END { mv = med(v, nv); md = med(d, nd)
        printf "summary: ETL  vidlake %.2f s, DuckDB %.2f s (medians of %d): vidlake %.2fx as fast; peak RSS %.0f MiB vs %.0f MiB\n",
               mv, md, nv, md / mv, vm / 1024, dm / 1024 }' "$tmp/etl.txt"

# S3: a throwaway Ceph RGW on loopback (tests/integration/s3_lib.sh: one
# memstore OSD, radosgw's beast frontend), sharing the 2 cores with vidlake
s3mb=${VIDLAKE_BENCH_S3_MB:-256}
echo
echo "== S3: file -> bronze of the same $iev events into s3:// on a local Ceph RGW (memstore OSD, on the same 2 cores)"
echo "   against the local filesystem, in turn, 3 runs each; then a $s3mb MiB object put (multipart: 16 MiB parts,"
echo "   4 at a time) and got back through the store, and the same put as one PUT"
(
  WORK=$tmp/s3
  mkdir -p "$WORK"
  . tests/integration/s3_lib.sh
  trap 'stop_rgw' EXIT
  need_rgw bench-s3
  RGW_MGR=0 RGW_MEMSTORE_BYTES=$((5 * 1024 * 1024 * 1024)) start_rgw "$WORK/ceph" || exit 1
  rgw_env
  rgw_mb bench
  for r in 1 2 3; do
    rm -rf "$tmp/s3local"
    "$V" ingest --lake "$tmp/s3local" --from "$tmp/ingest.ndjson" 2>&1 | grep '^ingest:' | sed 's/^/local /'
    "$V" ingest --lake "s3://bench/lake-$r" --from "$tmp/ingest.ndjson" 2>&1 | grep '^ingest:' | sed 's/^/s3 /'
  done | tee "$tmp/s3ing.txt"
  awk '{ for (i = 1; i <= NF; i++) if ($i == "s,") t = $(i - 1); if ($1 == "local") l[++nl] = t; else s[++ns] = t }
    function med(a, n,   i, j, x) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x } return a[int((n + 1) / 2)] }
    END { ml = med(l, nl); ms = med(s, ns)
          printf "summary: file -> bronze on S3 (RGW) %.2f s = %.0f events/s; local %.2f s = %.0f events/s; S3/local time %.2f\n",
                 ms, '"$iev"' / ms, ml, '"$iev"' / ml, ms / ml }' "$tmp/s3ing.txt"
  "$B/bench/bench_store" s3://bench/obj "$s3mb" | sed 's/^/multipart /'
  VIDLAKE_S3_MULTIPART_MB=5120 "$B/bench/bench_store" s3://bench/obj "$s3mb" | sed 's/^/one PUT   /'
  VIDLAKE_S3_UNSIGNED_PAYLOAD=1 "$B/bench/bench_store" s3://bench/obj "$s3mb" | sed "s/^/multipart, unsigned payload (the default over https) /"
  # Reads: a scan of 2 of bronze's 25 columns fetches only their chunks
  # (ranged GETs); commits and small files are fetched 8 at a time, which
  # matters once a request costs a round trip (20 ms here, by the fault
  # proxy the tests use).
  echo "-- reads: scan --columns event_id,error_code --where \"event_type = 'error'\" of bronze (the last run's lakes)"
  for lake in "$tmp/s3local" s3://bench/lake-3; do
    s=$(date +%s%N)
    "$V" table scan "$lake/bronze/events" --columns event_id,error_code --where "event_type = 'error'" --stats \
      2> "$tmp/scan.err" > /dev/null
    e=$(date +%s%N)
    sz=$("$V" table files "$lake/bronze/events" | sed -n 's/.*"size":\([0-9]*\).*/\1/p' | awk '{ t += $1 } END { print t }')
    case $lake in s3:*) where=S3 ;; *) where=local ;; esac
    echo "scan $where: $(( (e - s) / 1000000 )) ms, fetched $(sed -n 's/.* read, \([0-9]*\) bytes.*/\1/p' "$tmp/scan.err") of $sz bytes"
  done
  node tests/integration/faultproxy.mjs --target "$RGW_URL" --port-file "$tmp/pport" --delay 1 --delay-ms 20 \
    > "$tmp/proxy.log" 2>&1 &
  proxy=$!
  for i in $(seq 50); do [ -s "$tmp/pport" ] && break; sleep 0.1; done
  "$V" table create s3://bench/t25 --schema 'id long, s string' > /dev/null
  for i in $(seq 24); do echo "{\"id\":$i,\"s\":\"x$i\"}" | "$V" table append s3://bench/t25 --from - > /dev/null; done
  for cmd in history scan; do
    s=$(date +%s%N)
    AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$tmp/pport")" "$V" table $cmd s3://bench/t25 > /dev/null
    e=$(date +%s%N)
    echo "table $cmd of 25 commits (24 one-row files) with a 20 ms round trip: $(( (e - s) / 1000000 )) ms"
  done
  kill $proxy
)
