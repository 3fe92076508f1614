# The whole pipeline on an S3 lake (s3://lake/pipe on a throwaway Ceph RADOS
# Gateway, s3_lib.sh) against the same pipeline on a local lake:
#   - generated events (1% invalid, 3% duplicate, 2% late) are loaded by
#     `vidlake ingest` in two parts into both lakes, `vidlake etl run` after
#     each part (so the second run on S3 is incremental, over bronze commits
#     that cross a checkpoint); every command exits 0 and the lake's
#     objects are on the gateway;
#   - bronze/events, bronze/dead_letters, silver/events, silver/views and
#     every gold table scanned from S3 equal the local ones row for row
#     (sorted; the ingestion times left out), at the same table versions;
#     silver/views from S3 equals the simulator's truth (etl_truth.mjs)
#     and silver/events holds its distinct valid events (the second run's
#     input crosses a checkpoint, whose adds all say dataChange=false);
#   - `vidlake serve --lake s3://...` answers /api/v1/gold, each gold table
#     (also filtered, grouped, ordered and limited) and /api/v1/tables as
#     a serve on the local lake does;
#   - its HTTP collector: the same POSTed events (invalid and duplicate ones
#     among them) to both servers give the same acknowledgement counts, and
#     the S3 server's real-time summary counts them (its figures depend on
#     the order concurrent batches arrive in, not on the lake: not
#     compared); after SIGTERM (exit 0) bronze on S3 holds every
#     accepted event exactly once (against a file ingest of the same lines),
#     the rejected ones as dead letters, and a further `etl run` on both
#     lakes again gives equal bronze, silver and gold tables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T=s3-pipeline
need_rgw "$T"
V=$VIDLAKE
HERE=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C
SERVE_PID= LSERVE_PID=
# (a bare wait would wait for the gateway's daemons too)
trap 'for p in $SERVE_PID $LSERVE_PID; do kill -9 $p; wait $p; done 2>/dev/null; stop_rgw; rm -rf "$WORK"' EXIT

if ! RGW_MGR=0 start_rgw "$WORK/ceph"; then
  fail "$T: start_rgw brings up the gateway"
  exit 0
fi
echo "# the gateway came up in $RGW_START_SECONDS s"
rgw_env
check "$T: bucket created" rgw_mb lake
S=s3://lake/pipe
L="$WORK/lake"

TABLES="bronze/events bronze/dead_letters silver/events silver/views gold/qoe_daily gold/content_daily gold/ad_daily
  gold/kpi_daily gold/user_daily gold/user_segments gold/churn_features"
# rows LAKE TABLE: the table's rows, sorted, without what says when they were loaded
rows() {
  "$V" table scan "$1/$2" | jq -c 'del(.ingest_time, .received_at, .received_date)' | sort
}
je() { jq -e "$@" > /dev/null; }
version() { "$V" table describe "$1/$2" --json 2>/dev/null | jq .version; }
# same_tables WHEN: each table from S3 equals the local one, at the same version
same_tables() {
  local t a b
  for t in $TABLES; do
    rows "$S" "$t" > "$WORK/s3.rows" 2> "$WORK/s3.err"
    rows "$L" "$t" > "$WORK/local.rows"
    a=$(md5sum < "$WORK/s3.rows") b=$(md5sum < "$WORK/local.rows")
    if [ "$a" = "$b" ] && [ -s "$WORK/local.rows" ]; then
      ok "$T: $1: $t from S3 equals the local one ($(wc -l < "$WORK/local.rows") rows)"
    else
      fail "$T: $1: $t from S3 equals the local one"
      echo "  S3 $(wc -l < "$WORK/s3.rows") rows, local $(wc -l < "$WORK/local.rows"); $(head -c 300 "$WORK/s3.err")"
      diff "$WORK/s3.rows" "$WORK/local.rows" | head -4 | cut -c1-300 | sed 's/^/  /'
    fi
    check_eq "$T: $1: $t at the same version" "$(version "$S" "$t")" "$(version "$L" "$t")"
  done
}

# ---------------------------------------------------- ingest -> bronze -> ETL
"$V" generate --events 30000 --days 3 --seed 23 --invalid-fraction 0.01 --duplicate-fraction 0.03 \
  --late-fraction 0.02 --truth "$WORK/truth.json" > "$WORK/ev.ndjson"
split -n l/2 -d "$WORK/ev.ndjson" "$WORK/part."
t0=$(date +%s%N)
for p in 00 01; do
  check_eq "$T: ingest part $p into $S" \
    "$(run_status "$V" ingest --lake "$S" --from "$WORK/part.$p" --commit-rows 3000)" 0
  grep -q "^ingest: " "$WORK/err" || sed 's/^/  /' "$WORK/err" | head -5
  "$V" ingest --lake "$L" --from "$WORK/part.$p" --commit-rows 3000 > /dev/null 2>&1
  check_eq "$T: etl run on $S after part $p" "$(run_status "$V" etl run --lake "$S" --threads 2)" 0
  cp "$WORK/err" "$WORK/etl.s3.$p"
  "$V" etl run --lake "$L" --threads 2 > /dev/null 2>&1
done
echo "# two ingests and ETL runs on S3 took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "$T: the second run on S3 rebuilt silver/views" grep -q "^etl: silver/views: version 1," "$WORK/etl.s3.01"
check "$T: the lake is on the gateway (a gold commit, read directly)" \
  test "$(rgw_curl GET /lake/pipe/gold/kpi_daily/_delta_log/00000000000000000000.json)" = 200
check "$T: and not in a local directory named s3:" test ! -e "s3:" -a ! -e "$WORK/s3:"
same_tables "ingest + etl"

if command -v node > /dev/null 2>&1; then
  "$V" table scan "$S/silver/views" > "$WORK/views.s3"
  node "$HERE/etl_truth.mjs" "$WORK/truth.json" "$WORK/views.s3" > "$WORK/cmp" 2>&1; rc=$?
  sed 's/^/# /' "$WORK/cmp"
  check_eq "$T: silver/views on S3 equals the simulator's truth" "$rc" 0
else
  echo "skip $T: the truth comparison needs node"
fi
check_eq "$T: silver/events on S3 holds the truth's distinct valid events" \
  "$("$V" table scan "$S/silver/events" --columns event_id | wc -l)" "$(jq '.valid - .duplicates' "$WORK/truth.json")"

# ----------------------------------------------------------- the gold API
# serve_on LAKE LOG [ARGS...]: a server on an ephemeral port; sets PID and U
serve_on() {
  local lake=$1 log=$2; shift 2
  rm -f "$WORK/port"
  "$V" serve --lake "$lake" --listen 127.0.0.1:0 --port-file "$WORK/port" --commit-interval 200ms \
    --etl-interval 0 "$@" 2>> "$WORK/$log" &
  PID=$!
  for _ in $(seq 1 300); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  U="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
}
serve_on "$S" serve.s3.log --wal "$WORK/wal.s3"; SERVE_PID=$PID SURL=$U
serve_on "$L" serve.local.log; LSERVE_PID=$PID LURL=$U
check "$T: serve --lake $S starts" curl -sf -o /dev/null "$SURL/healthz"
check "$T: serve on the local lake starts" curl -sf -o /dev/null "$LURL/healthz"

# same A.json B.json: equal JSON documents, numbers within 1e-9 relative (a
# sum over the files of a table may add them in another order)
same() {
  jq -n -e --slurpfile a "$1" --slurpfile b "$2" '
    def close($x; $y):
      if ($x | type) == "number" and ($y | type) == "number"
      then (($x - $y) | fabs) <= 1e-9 * ([1, ($x | fabs), ($y | fabs)] | max)
      elif ($x | type) == "array" and ($y | type) == "array"
      then ($x | length) == ($y | length) and all(range($x | length); . as $i | close($x[$i]; $y[$i]))
      elif ($x | type) == "object" and ($y | type) == "object"
      then ($x | keys) == ($y | keys) and all($x | keys[]; . as $k | close($x[$k]; $y[$k]))
      else $x == $y end;
    close($a; $b)' > /dev/null
}
# both PATH [JQ]: GET PATH from both servers; both 200, equal bodies (through JQ)
both() {
  local p=$1 f=${2:-.} a b
  a=$(curl -s -o "$WORK/a.json" -w '%{http_code}' "$SURL$p")
  b=$(curl -s -o "$WORK/b.json" -w '%{http_code}' "$LURL$p")
  jq "$f" "$WORK/a.json" > "$WORK/a.f.json" 2>&1
  jq "$f" "$WORK/b.json" > "$WORK/b.f.json" 2>&1
  if [ "$a" = 200 ] && [ "$b" = 200 ] && same "$WORK/a.f.json" "$WORK/b.f.json"; then
    ok "$T: GET $p from S3 as from the local lake"
  else
    fail "$T: GET $p from S3 as from the local lake"
    echo "  S3 $a: $(head -c 300 "$WORK/a.json")"
    echo "  local $b: $(head -c 300 "$WORK/b.json")"
  fi
}
both /api/v1/gold
check "$T: /api/v1/gold lists the seven tables built on S3" \
  sh -c "jq -e '[.tables[] | select(.version != null)] | length == 7' '$WORK/a.json' > /dev/null"
for t in qoe_daily content_daily ad_daily kpi_daily user_daily user_segments churn_features; do
  both "/api/v1/gold/$t?limit=100000" '.rows |= sort'
done
check "$T: gold rows from S3 are there" sh -c "jq -e '.rows | length > 10' '$WORK/a.json' > /dev/null"
both "/api/v1/gold/qoe_daily?group_by=date,device_type&limit=100000"
both "/api/v1/gold/ad_daily?group_by=ad_position&order_by=-revenue_usd"
both "/api/v1/gold/content_daily?from=2024-05-02&to=2024-05-02&order_by=-plays&limit=10"
both "/api/v1/gold/qoe_daily?device_type=tv&device_type=mobile&limit=100000" '.rows |= sort'
check_eq "$T: an unknown gold table is a 404 on S3 too" "$(curl -s -o /dev/null -w '%{http_code}' "$SURL/api/v1/gold/nosuch_daily")" 404
both /api/v1/tables '.tables | map(del(.url, .last_commit, .bytes))'

# --------------------------------------------------------- the HTTP collector
"$V" generate --events 15000 --days 1 --start 2024-05-03 --seed 5 --invalid-fraction 0.02 --duplicate-fraction 0.03 \
  > "$WORK/post.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/post.ndjson" > /dev/null 2>&1
check_eq "$T: generate --to the S3 server exits 0" "$(run_status "$V" generate --events 15000 --days 1 \
  --start 2024-05-03 --seed 5 --invalid-fraction 0.02 --duplicate-fraction 0.03 --to "$SURL")" 0
check_eq "$T: generate --to the local server exits 0" "$(run_status "$V" generate --events 15000 --days 1 \
  --start 2024-05-03 --seed 5 --invalid-fraction 0.02 --duplicate-fraction 0.03 --to "$LURL")" 0
both /api/v1/pipeline '.collector | {events_received, events_accepted, events_rejected}'
check_eq "$T: the S3 server accepted every valid event" "$(jq .collector.events_accepted "$WORK/a.json")" \
  "$("$V" table scan "$WORK/ref/bronze/events" --columns event_id | wc -l)"
# (the real-time figures depend on the order in which concurrent batches
# arrive, not on the lake: the S3 server's only have to be there)
check_eq "$T: GET /api/v1/realtime/summary from the S3 server" \
  "$(curl -s -o "$WORK/a.json" -w '%{http_code}' "$SURL/api/v1/realtime/summary?window=24h")" 200
check "$T: it counts the posted events" je '.metrics.events > 1000 and .metrics.attempts > 10' "$WORK/a.json"

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "$T: SIGTERM: serve on S3 exits 0" "$rc" 0
kill -TERM "$LSERVE_PID"; wait "$LSERVE_PID"; LSERVE_PID=
grep -i "error\|warn" "$WORK/serve.s3.log" | head -5 | sed 's/^/# serve on S3: /'

ids() { "$V" table scan "$1" --columns event_id | jq -r .event_id | sort; }
# what bronze/events on S3 must hold: the file-ingested events and the posted ones
{ "$V" ingest --lake "$WORK/ref.file" --from "$WORK/ev.ndjson" > /dev/null 2>&1
  ids "$WORK/ref.file/bronze/events"; ids "$WORK/ref/bronze/events"; } | sort > "$WORK/ids.want"
ids "$S/bronze/events" > "$WORK/ids.got"
check_eq "$T: bronze/events on S3: every accepted event (count)" "$(wc -l < "$WORK/ids.got")" "$(wc -l < "$WORK/ids.want")"
check "$T: bronze/events on S3: each accepted event exactly as often as it was sent" \
  cmp -s "$WORK/ids.got" "$WORK/ids.want"
check_eq "$T: bronze/dead_letters on S3: the posted rejects, with their reasons and bytes" \
  "$("$V" table scan "$S/bronze/dead_letters" --columns source,reason,raw |
     jq -c 'select(.source | startswith("http:")) | [.reason, .raw]' | sort | md5sum)" \
  "$("$V" table scan "$WORK/ref/bronze/dead_letters" --columns reason,raw | jq -c '[.reason, .raw]' | sort | md5sum)"
check "$T: the collector's commits carry the WAL's txn" sh -c \
  "'$V' table describe '$S/bronze/events' --json | jq -e '.txns | keys | any(test(\"^wal-\"))' > /dev/null"

check_eq "$T: etl run on $S after the collector" "$(run_status "$V" etl run --lake "$S" --threads 2)" 0
"$V" etl run --lake "$L" --threads 2 > /dev/null 2>&1
# (the dead letters' sources name the client's request: they differ)
TABLES="bronze/events silver/events silver/views gold/qoe_daily gold/kpi_daily gold/user_daily"
same_tables "after the collector"
echo "# $T: ${SECONDS} s in all (the gateway included)"
