# The S3 lake under a flaky and a failing store: exactly once, whole commits.
# (a) Through faultproxy.mjs in front of the gateway (VIDLAKE_S3_TIMEOUT_MS
#     short), with answers 503 SlowDown, answers late beyond the timeout,
#     and PUTs whose answer is dropped after the gateway took them:
#     - by rule, the answer of one Delta commit of `vidlake table append`,
#       and of one of `vidlake ingest`, is lost: the re-sent put-if-absent
#       meets its own commit (412) and must take it for a success: exit 0,
#       one commit, the rows once (libcurl itself re-sends a request whose
#       reused connection died, so the store reads back on every 412);
#     - `vidlake ingest` of a file (run again, as a user would, if it gives
#       up): bronze/events and bronze/dead_letters, read directly from the
#       gateway, equal a local ingest of the same file;
#     - `vidlake serve` collecting POSTed batches: bronze/events holds every
#       acknowledged event exactly once, nothing that was not sent;
#     - each table's log: versions 0..N contiguous, each commit whole
#       (valid JSON lines, one commitInfo, every file it adds there, the
#       adds' record counts summing to the rows scanned);
#     - the proxy's counts: each kind of fault happened, a client timed
#       out on a late answer, a retried commit met its own earlier success.
# (b) radosgw stopped (SIGTERM), and later killed (SIGKILL), each time for
#     longer than the client's retries last, while serve collects over HTTP:
#     serve stays up and keeps acknowledging (the WAL holds the events), says
#     its commits fail, and once the gateway is back commits them: every
#     acknowledged event in bronze exactly once, nothing that was not sent,
#     versions contiguous and commits whole; a SIGTERM while the gateway is
#     down makes serve wait for it, then commit and exit 0 (it would give
#     up after about half a minute, exit 2, and leave the events to the
#     WAL's replay at the next start); `vidlake ingest` against the
#     stopped gateway exits non-zero naming the connection error, and
#     loads the file once it is back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T=s3-faults
need_rgw "$T"
if ! command -v node > /dev/null 2>&1; then
  echo "skip $T: node is not installed (the fault proxy is a node script)"
  exit 0
fi
V=$VIDLAKE
HERE=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C
SERVE_PID= PROXY_PID= POSTER_PID=
trap 'for p in $POSTER_PID $SERVE_PID $PROXY_PID; do kill -9 $p; wait $p; done 2>/dev/null
      stop_rgw; rm -rf "$WORK"' EXIT

if ! RGW_MGR=0 start_rgw "$WORK/ceph"; then
  fail "$T: start_rgw brings up the gateway"
  exit 0
fi
rgw_env  # the checks read the gateway directly
check "$T: bucket created" rgw_mb lake

# ---------------------------------------------------------------- helpers
# s3get PATH FILE: a signed GET straight to the gateway; prints the status
s3get() {
  curl -s -o "$2" -w '%{http_code}' --aws-sigv4 "aws:amz:$RGW_REGION:s3" \
    --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$RGW_URL$1"
}
enc() { jq -rn --arg s "$1" '$s | @uri'; }
ids() { "$V" table scan "$1" --columns event_id | jq -r .event_id | sort; }

# check_log PREFIX/TABLE: the table's log on the gateway: versions 0..N, no
# gap; each commit whole; the adds (less the removes) are the rows scanned
check_log() {
  local tbl=$1 n=0 v bad="" rows=0 want got p st
  s3get "/lake?list-type=2&prefix=$(enc "$tbl/")" "$WORK/list.xml" > /dev/null
  grep -q '<IsTruncated>false</IsTruncated>' "$WORK/list.xml" || echo "# $tbl: the listing is truncated"
  grep -o '<Key>[^<]*</Key>' "$WORK/list.xml" | sed 's:<Key>\(.*\)</Key>:\1:' > "$WORK/keys"
  sed -n 's:.*/_delta_log/\([0-9]*\)\.json$:\1:p' "$WORK/keys" > "$WORK/versions"
  want=$(seq 0 $(($(wc -l < "$WORK/versions") - 1)) | tr '\n' ' ')
  got=$(sed 's/^0*\([0-9]\)/\1/' "$WORK/versions" | tr '\n' ' ')
  check_eq "$T: $tbl: versions 0..$(($(wc -l < "$WORK/versions") - 1)), contiguous" "$got" "$want"
  for v in $(cat "$WORK/versions"); do
    st=$(s3get "/lake/$tbl/_delta_log/$v.json" "$WORK/commit.json")
    if [ "$st" != 200 ] || ! jq -c . "$WORK/commit.json" > "$WORK/commit.lines" 2>/dev/null ||
      [ "$(jq -s '[.[] | select(.commitInfo)] | length' "$WORK/commit.lines")" != 1 ]; then
      bad+=" $v:not-whole"; continue
    fi
    # every file it adds is there (an add's path is a URI: these need no decoding)
    for p in $(jq -r 'select(.add) | .add.path' "$WORK/commit.lines"); do
      grep -qxF "$tbl/$p" "$WORK/keys" || bad+=" $v:missing:$p"
      n=$((n + 1))
    done
    rows=$((rows + $(jq -s '[.[] | (.add.stats // .remove.stats // null) as $s
      | select($s) | ($s | fromjson | .numRecords) * (if .add then 1 else -1 end)] | add // 0' "$WORK/commit.lines")))
  done
  check_eq "$T: $tbl: every commit whole, every file it adds there ($n files)" "$bad" ""
  check_eq "$T: $tbl: the commits' record counts add up to the rows scanned" "$rows" \
    "$("$V" table scan "s3://lake/$tbl" --columns "$2" | wc -l)"
}

# the fault proxy
faults() { # JSON: the proxy's settings, atomically
  echo "$1" > "$WORK/faults.tmp" && mv "$WORK/faults.tmp" "$WORK/faults.json"
}
faults '{}'
node "$HERE/faultproxy.mjs" --target "$RGW_URL" --port-file "$WORK/pport" --stats "$WORK/pstats.json" \
  --control "$WORK/faults.json" --log "$WORK/proxy.log" --seed "${FAULT_SEED:-$RANDOM}" 2>> "$WORK/proxy.err" &
PROXY_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/pport" ] && break; sleep 0.05; done
PURL="http://127.0.0.1:$(cat "$WORK/pport" 2>/dev/null)"
check "$T: the fault proxy listens" test -s "$WORK/pport"
# through the proxy, with a short timeout per request
via_proxy() { AWS_ENDPOINT_URL=$PURL VIDLAKE_S3_TIMEOUT_MS=1000 "$@"; }
pstat() { jq -r ".$1 // 0" "$WORK/pstats.json"; }

# the poster: each batch of $WORK/b once, in order, no retry; records which
# were acknowledged (a 200); stops at $WORK/stop or when the batches run out
start_poster() { # URL
  rm -f "$WORK/stop"
  ( for f in "$WORK"/b/*; do
      [ -e "$WORK/stop" ] && break
      echo "$f" >> "$WORK/posted"
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$f" "$1/v1/events")
      [ "$code" = 200 ] && echo "$f" >> "$WORK/acked"
      [ "$code" = 000 ] && sleep 0.02
      sleep 0.01
    done ) &
  POSTER_PID=$!
}
stop_poster() { touch "$WORK/stop"; wait $POSTER_PID; POSTER_PID=; }
start_serve_s3() { # PREFIX [ENV...]: serve on s3://lake/PREFIX, WAL under $WORK
  rm -f "$WORK/port"
  env "${@:2}" "$V" serve --lake "s3://lake/$1" --wal "$WORK/wal.$1" --listen 127.0.0.1:0 --port-file "$WORK/port" \
    --commit-interval 200ms --batch-rows 500 --etl-interval 0 --optimize-interval 0 2>> "$WORK/serve.$1.log" &
  SERVE_PID=$!
  for _ in $(seq 1 400); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
}
stop_serve() { kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; STOP_RC=$?; SERVE_PID=; }
# exactly_once TABLE: bronze/events on S3 against the acknowledged and posted batches
exactly_once() {
  xargs cat < "$WORK/acked" | jq -r .event_id | sort > "$WORK/ids.acked"
  xargs cat < "$WORK/posted" | jq -r .event_id | sort > "$WORK/ids.sent"
  ids "$1" > "$WORK/ids.got"
  check_eq "$T: $2: no event is in bronze twice" "$(uniq -d "$WORK/ids.got" | wc -l)" 0
  check_eq "$T: $2: every acknowledged event is in bronze" "$(comm -23 "$WORK/ids.acked" "$WORK/ids.got" | wc -l)" 0
  check_eq "$T: $2: bronze holds nothing that was not sent" "$(comm -13 "$WORK/ids.sent" "$WORK/ids.got" | wc -l)" 0
  echo "# $2: $(wc -l < "$WORK/ids.got") events in bronze, $(wc -l < "$WORK/ids.acked") acknowledged," \
    "$(wc -l < "$WORK/ids.sent") sent"
}

"$V" generate --events 20000 --seed 41 --invalid-fraction 0.02 --duplicate-fraction 0.02 > "$WORK/ev.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/ev.ndjson" > /dev/null 2>&1
"$V" generate --events 80000 --seed 43 > "$WORK/post.ndjson"
mkdir "$WORK/b"
split -l 40 -d -a 4 "$WORK/post.ndjson" "$WORK/b/"  # 2000 batches

# ------------------------- (a) a commit's answer lost after the gateway took it
# The proxy takes the request, the gateway stores the commit, the client's
# connection is reset instead of the answer. Whatever repeats the PUT meets
# its own commit (412): that must count as a success, not a lost race.
# (lines of the proxy's log for KEY, with the time: the retries' pauses)
proxy_lines() { grep -F " $1 " "$WORK/proxy.log" | awk '{ $1 = substr($1, 12, 12); print "#   " $0 }'; }
faults '{"rules": [{"method": "PUT", "path": "/lake/ta/_delta_log/0+1\\.json$", "action": "drop", "count": 1}]}'
check_eq "$T: table create on s3://lake/ta" "$(run_status "$V" table create s3://lake/ta --schema "a long, b string")" 0
printf '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n' > "$WORK/rows.ndjson"
check_eq "$T: table append whose commit's answer is lost: exit 0" \
  "$(run_status via_proxy "$V" table append s3://lake/ta --from "$WORK/rows.ndjson")" 0
cat "$WORK/err" | sed 's/^/#   /'
check_eq "$T: ... it commits once: versions 0 (create) and 1" \
  "$("$V" table history s3://lake/ta --json | jq -r .version | sort -n | tr '\n' ' ')" "0 1 "
proxy_lines /lake/ta/_delta_log/00000000000000000001.json
proxy_lines /lake/ta/_delta_log/00000000000000000002.json
check_eq "$T: ... and the rows are there once" "$("$V" table scan s3://lake/ta | sort | tr -d '\n')" \
  '{"a":1,"b":"x"}{"a":2,"b":"y"}'

faults '{"rules": [{"method": "PUT", "path": "/lake/ib/bronze/events/_delta_log/0+3\\.json$", "action": "drop", "count": 1}]}'
check_eq "$T: file ingest whose third commit's answer is lost: exit 0" \
  "$(run_status via_proxy "$V" ingest --lake s3://lake/ib --from "$WORK/ev.ndjson" --commit-rows 5000)" 0
tail -1 "$WORK/err" | sed 's/^/#   /'
proxy_lines /lake/ib/bronze/events/_delta_log/00000000000000000003.json
check_eq "$T: ... run again, it finishes (exit 0)" \
  "$(run_status via_proxy "$V" ingest --lake s3://lake/ib --from "$WORK/ev.ndjson" --commit-rows 5000)" 0
check "$T: ... and bronze/events holds each valid event as often as the file" \
  cmp -s <(ids s3://lake/ib/bronze/events) <(ids "$WORK/ref/bronze/events")

# ---------------------------------- (a) file ingest through random faults
faults '{"slowdown": 0.12, "delay": 0.02, "delay_ms": 2000, "drop": 0.08, "drop_methods": ["PUT"]}'
t0=$(date +%s%N)
runs=0 rc=1
while [ $rc != 0 ] && [ $runs -lt 5 ]; do
  # a run that gives up is run again, as a user would: it resumes
  rc=$(run_status via_proxy "$V" ingest --lake s3://lake/fa --from "$WORK/ev.ndjson" --commit-rows 4000)
  runs=$((runs + 1))
  [ $rc = 0 ] || echo "# ingest run $runs through the faults exited $rc: $(tail -1 "$WORK/err" | cut -c1-300)"
done
echo "# file ingest through the faults: $runs run(s), $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check_eq "$T: file ingest through the faults ends with exit 0" "$rc" 0
ids "s3://lake/fa/bronze/events" > "$WORK/ids.fa"
check_eq "$T: file ingest: bronze/events holds each valid event as often as the file (count)" \
  "$(wc -l < "$WORK/ids.fa")" "$(ids "$WORK/ref/bronze/events" | tee "$WORK/ids.ref" | wc -l)"
check "$T: file ingest: bronze/events holds each valid event as often as the file" cmp -s "$WORK/ids.fa" "$WORK/ids.ref"
check_eq "$T: file ingest: bronze/dead_letters has every reject once" \
  "$("$V" table scan s3://lake/fa/bronze/dead_letters --columns line | jq -r .line | sort -n | md5sum)" \
  "$("$V" table scan "$WORK/ref/bronze/dead_letters" --columns line | jq -r .line | sort -n | md5sum)"
check_log fa/bronze/events event_id
check_log fa/bronze/dead_letters line
cp "$WORK/pstats.json" "$WORK/pstats.a1.json"
echo "# proxy after the file ingest: $(jq -c 'del(.by_method, .faults_by_method)' "$WORK/pstats.json")"

# --------------------------------------- (a) HTTP collector through faults
start_serve_s3 fb AWS_ENDPOINT_URL="$PURL" VIDLAKE_S3_TIMEOUT_MS=1000
check "$T: serve on s3://lake/fb through the proxy starts" curl -sf -o /dev/null "$URL/healthz"
start_poster "$URL"
sleep 6
stop_poster
stop_serve
check_eq "$T: serve through the faults: SIGTERM exits 0" "$STOP_RC" 0
faults '{}'
grep -E "ERROR|WARN|error" "$WORK/serve.fb.log" | cut -c1-250 | sort | uniq -c | sort -rn | head -4 | sed 's/^/# serve fb: /'
check "$T: serve through the faults: some batches acknowledged ($(wc -l < "$WORK/acked"))" \
  test "$(wc -l < "$WORK/acked")" -gt 20
exactly_once s3://lake/fb/bronze/events "serve through the faults"
check_log fb/bronze/events event_id

echo "# proxy: $(jq -c 'del(.by_method)' "$WORK/pstats.json")"
check "$T: the proxy answered 503 SlowDown ($(pstat slowdown))" test "$(pstat slowdown)" -gt 0
check "$T: the proxy delayed answers ($(pstat delayed)), clients timed out on them ($(pstat delayed_abandoned))" \
  test "$(pstat delayed_abandoned)" -gt 0
check "$T: the proxy dropped answers of PUTs that took effect ($(pstat dropped))" test "$(pstat dropped)" -gt 0
# a commit whose answer was dropped, retried: the gateway says 412 (the key
# exists: our own commit), which the store must take for a success
grep -E ' PUT [^ ]*_delta_log/[0-9]+\.json drop -> 200$' "$WORK/proxy.log" | awk '{ print $4 }' | sort -u \
  > "$WORK/dropped.commits"
met=0
while read -r k; do
  grep -qE " PUT ${k//./\\.} (forward|drop) -> 412$" "$WORK/proxy.log" && met=$((met + 1))
done < "$WORK/dropped.commits"
check "$T: commits whose answer was dropped ($(wc -l < "$WORK/dropped.commits")), whose retry met its own success ($met)" \
  test "$met" -gt 0

# ------------------------------- (b) the gateway stopped while serve collects
rm -f "$WORK/acked" "$WORK/posted"
: > "$WORK/acked"
start_serve_s3 fc
check "$T: serve on s3://lake/fc starts" curl -sf -o /dev/null "$URL/healthz"
start_poster "$URL"
sleep 2
for sig in TERM KILL; do
  a0=$(wc -l < "$WORK/acked")
  rgw_stop_gateway $sig
  t0=$(date +%s%N)
  if [ $sig = TERM ]; then
    # a file ingest meanwhile: it cannot reach the store
    rc=$(run_status "$V" ingest --lake s3://lake/fd --from "$WORK/ev.ndjson")
    echo "# ingest against the stopped gateway: exit $rc after $(( ($(date +%s%N) - t0) / 1000000 )) ms:" \
      "$(tail -1 "$WORK/err" | cut -c1-200)"
    check "$T: ingest against the stopped gateway exits non-zero" test "$rc" != 0
    check "$T: ... naming the connection error" grep -qi "connect" "$WORK/err"
  fi
  sleep 4
  a1=$(wc -l < "$WORK/acked")
  check "$T: gateway down ($sig): serve keeps acknowledging ($((a1 - a0)) batches in 4 s)" test $((a1 - a0)) -gt 0
  check "$T: gateway down ($sig): serve says its commits fail" \
    grep -q "commit to bronze failed" "$WORK/serve.fc.log"
  check "$T: gateway down ($sig): serve is still running" kill -0 "$SERVE_PID"
  check "$T: the gateway starts again (after $sig)" rgw_start_gateway
  sleep 3
done
stop_poster
check_eq "$T: after the outages serve answers /healthz" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200
curl -s "$URL/metrics" | grep -E '^vidlake_[a-z_]*(fail|retr)[a-z_]* ' | sed 's/^/# /'
# SIGTERM while the store is down: serve keeps trying to commit what it
# acknowledged (about half a minute), and exits 0 once the store is back
rgw_stop_gateway
kill -TERM "$SERVE_PID"
sleep 3
check "$T: SIGTERM while the gateway is down: serve waits for it" kill -0 "$SERVE_PID"
check "$T: the gateway starts again" rgw_start_gateway
t0=$(date +%s%N)
wait "$SERVE_PID"; STOP_RC=$?; SERVE_PID=
echo "# serve exited $(( ($(date +%s%N) - t0) / 1000000 )) ms after the gateway was back"
check_eq "$T: ... then commits and exits 0" "$STOP_RC" 0
grep -E "ERROR|WARN" "$WORK/serve.fc.log" | sed 's/(request id [^)]*)//; s/LSNs up to [0-9]*/LSNs up to N/' |
  cut -c1-250 | sort | uniq -c | sort -rn | head -4 | sed 's/^/# serve fc: /'
exactly_once s3://lake/fc/bronze/events "gateway stopped and killed"
check_log fc/bronze/events event_id
check_eq "$T: the file ingest once the gateway is back exits 0" \
  "$(run_status "$V" ingest --lake s3://lake/fd --from "$WORK/ev.ndjson")" 0
check "$T: ... and loads the file once" cmp -s <(ids s3://lake/fd/bronze/events) "$WORK/ids.ref"
echo "# $T: ${SECONDS} s in all (the gateway included)"
