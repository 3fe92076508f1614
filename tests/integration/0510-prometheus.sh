# GET /metrics in the Prometheus text format, and deploy/prometheus:
#   - what `serve` exposes passes `promtool check metrics`, with the HTTP
#     collector and with a Kafka member (skipped, visibly, without promtool:
#     Debian package prometheus); one HELP and TYPE per family, counters in
#     _total, no NaN samples;
#   - events posted by `generate --to http://` are counted exactly: accepted
#     is the generator's valid count, rejected by reason its invalid lines by
#     reason (its truth keys "reason:field" summed per reason);
#   - histograms: cumulative buckets ending at +Inf = _count; the commit
#     histogram counts every commit, the fsync one every fsync; the data-file
#     histograms agree with the table (rows committed, the sizes `table
#     files` lists);
#   - the real-time gauges are there and the engine saw every accepted event;
#     RSS > 0 and a process start time within the last hour;
#   - Kafka: a vidlake_kafka_lag{topic,partition} series per partition, above
#     0 while a slowed consumer works through the topic, then 0; the high
#     watermarks add up to the records produced;
#   - deploy/prometheus: promtool check rules / test rules / check config.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
V=$VIDLAKE
DP="$(cd "$(dirname "$0")/../.." && pwd)/deploy/prometheus"
PROMTOOL=$(command -v promtool || true)
L="$WORK/lake"

# prom_check NAME ARGS...: `promtool ARGS...` succeeds (its output shown if not)
prom_check() {
  local name=$1; shift
  if [ -z "$PROMTOOL" ]; then
    echo "skip $name: promtool is not installed (Debian package prometheus)"
    return
  fi
  if "$PROMTOOL" "$@" > "$WORK/promtool.out" 2>&1; then ok "$name"; else fail "$name"; head -20 "$WORK/promtool.out" | sed 's/^/  /'; fi
}
# mval FILE SERIES: the value of the sample printed as SERIES, or "absent"
mval() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print "absent" }' "$1"; }
# msum FILE REGEX: the sum of the samples whose series matches REGEX
msum() { awk -v r="$2" '!/^#/ && $1 ~ r { s += $2 } END { printf "%d\n", s }' "$1"; }
# histo_problems FILE: histograms whose buckets are not cumulative, lack
# +Inf, or whose +Inf bucket differs from _count; empty when all is well
histo_problems() {
  awk '/^#/ { next }
    $1 ~ /_bucket\{/ {
      b = $1; sub(/_bucket\{/, "{", b)
      match(b, /[{,]le="[^"]*"\}$/); le = substr(b, RSTART + 5, RLENGTH - 7)  # le is the last label
      b = substr(b, 1, RSTART) "}"; sub(/,\}$/, "}", b); sub(/\{\}$/, "", b)
      if ((b in last) && $2 + 0 < last[b]) bad = bad " " b ":decreasing"
      last[b] = $2 + 0; if (le == "+Inf") inf[b] = $2 + 0; next }
    $1 ~ /_count(\{|$)/ { c = $1; sub(/_count/, "", c); cnt[c] = $2 + 0 }
    END { for (b in last) { if (!(b in inf)) bad = bad " " b ":no+Inf"; else if (inf[b] != cnt[b]) bad = bad " " b ":+Inf!=count" }
          print bad }' "$1"
}
# exposition_problems FILE: families with several HELP or TYPE lines,
# counters not in _total (or others in it), NaN samples
exposition_problems() {
  { grep '^# HELP' "$1" | awk '{ print $3 }' | sort | uniq -d | sed 's/$/:two-HELP/'
    grep '^# TYPE' "$1" | awk '{ print $3 }' | sort | uniq -d | sed 's/$/:two-TYPE/'
    awk '/^# TYPE/ { if (($4 == "counter") != ($3 ~ /_total$/)) print $3 ":" $4 }' "$1"
    awk '!/^#/ && $2 == "NaN" { print $1 ":NaN" }' "$1"; } | tr '\n' ' '
}

# ------------------------------------------------------------ HTTP collector
bg /dev/null "$WORK/serve.err" "$V" serve --lake "$L" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --commit-interval 200ms
SPID=$BG
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
check_eq "generate --to http:// exits 0" "$(run_status "$V" generate --events 20000 --seed 3 --invalid-fraction 0.02 \
  --truth "$WORK/truth.json" --to "$URL")" 0
valid=$(jq .valid "$WORK/truth.json"); invalid=$(jq .invalid "$WORK/truth.json")
# every acknowledged event committed: nothing waits, both tables hold them all
for _ in $(seq 1 100); do
  curl -s "$URL/metrics" > "$WORK/m"
  [ "$(mval "$WORK/m" vidlake_pipeline_queue_records)" = 0 ] &&
    [ "$(( $(mval "$WORK/m" vidlake_bronze_events_committed_total) + \
           $(mval "$WORK/m" vidlake_bronze_dead_letters_committed_total) ))" = $((valid + invalid)) ] && break
  sleep 0.1
done
M="$WORK/m"
check_eq "GET /metrics: text/plain; version=0.0.4" \
  "$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")" "text/plain; version=0.0.4; charset=utf-8"
prom_check "promtool check metrics passes" check metrics < "$M"
check_eq "one HELP and TYPE per family, counters in _total, no NaN samples" "$(exposition_problems "$M")" ""
check_eq "histograms: cumulative buckets, +Inf equals _count" "$(histo_problems "$M")" ""

check_eq "accepted = the generator's valid events" "$(mval "$M" vidlake_events_accepted_total)" "$valid"
check_eq "rejected, summed over reasons = its invalid lines" "$(msum "$M" '^vidlake_events_rejected_total\{')" "$invalid"
want_reasons=$(jq -r '.by_reason | to_entries[] | "\(.key | split(":")[0]) \(.value)"' "$WORK/truth.json" |
  awk '{ s[$1] += $2 } END { for (r in s) print r, s[r] }' | sort)
got_reasons=$(grep '^vidlake_events_rejected_total{' "$M" | sed 's/.*reason="\([^"]*\)"} \(.*\)/\1 \2/' |
  awk '$2 > 0' | sort)
check_eq "rejected by reason = the generator's reasons" "$got_reasons" "$want_reasons"
check_eq "every reason has a series (zeros too)" "$(grep -c '^vidlake_events_rejected_total{' "$M")" 11
check_eq "received = every line sent" "$(mval "$M" vidlake_events_received_total)" $((valid + invalid))
check_eq "events per request add up to what was acknowledged" \
  "$(mval "$M" vidlake_http_request_events_sum)" $((valid + invalid))

commits=$(mval "$M" vidlake_bronze_commits_total)
check "at least one commit ($commits)" test "${commits:-0}" -ge 1
check_eq "the commit histogram counts every commit" "$(mval "$M" vidlake_bronze_commit_duration_seconds_count)" "$commits"
check_eq "the WAL fsync histogram counts every fsync" "$(mval "$M" vidlake_wal_fsync_duration_seconds_count)" \
  "$(mval "$M" vidlake_wal_fsyncs_total)"
check_eq "nothing waits in the queue" "$(mval "$M" vidlake_pipeline_queue_records)" 0
check_eq "the WAL's durable and committed LSNs meet" "$(mval "$M" vidlake_wal_durable_lsn)" \
  "$(mval "$M" vidlake_wal_committed_lsn)"
check_eq "rows per data file add up to the events committed" \
  "$(mval "$M" 'vidlake_bronze_file_rows_sum{source="http",table="events"}')" "$valid"
check_eq "and to the dead letters committed" \
  "$(mval "$M" 'vidlake_bronze_file_rows_sum{source="http",table="dead_letters"}')" "$invalid"
for t in events dead_letters; do
  "$V" table files "$L/bronze/$t" > "$WORK/files.$t"
  check_eq "bytes per data file match the $t table's files (sum)" \
    "$(mval "$M" "vidlake_bronze_file_bytes_sum{source=\"http\",table=\"$t\"}")" "$(jq -s 'map(.size) | add' "$WORK/files.$t")"
  check_eq "and their number" "$(mval "$M" "vidlake_bronze_file_bytes_count{source=\"http\",table=\"$t\"}")" \
    "$(wc -l < "$WORK/files.$t")"
done

for g in concurrent_plays plays_per_minute rebuffering_ratio video_start_failure_ratio; do
  check "the business gauge vidlake_rt_$g is described" grep -q "^# TYPE vidlake_rt_$g gauge$" "$M"
done
check "concurrent plays has a value" grep -Eq '^vidlake_rt_concurrent_plays [0-9]' "$M"
check_eq "the real-time engine saw every accepted event (counted, late, duplicate or dropped)" \
  "$(msum "$M" '^vidlake_rt_(events|late_events|duplicate_events|dropped_events)_total$')" "$valid"
rss=$(mval "$M" process_resident_memory_bytes)
check "process_resident_memory_bytes > 0 ($rss)" test "${rss:-0}" -gt 0 2>/dev/null
check "process_start_time_seconds is within the last hour" \
  awk -v s="$(mval "$M" process_start_time_seconds)" -v now="$(date +%s)" 'BEGIN { exit !(s > now - 3600 && s <= now + 5) }'
stop "$SPID"
check_eq "SIGTERM: serve exits 0" "$STOP_RC" 0

# ------------------------------------------------------------ Kafka lag
if [ ! -x "$KT" ]; then
  echo "skip Kafka lag: $KT is not built (make tests-build)"
else
  kafka_cluster 2 ev
  "$V" generate --events 2000 --seed 5 --invalid-fraction 0.02 --truth "$WORK/ktruth.json" \
    --to "kafka://$BROKERS/ev" 2>/dev/null
  produced=$(jq '.valid + .invalid' "$WORK/ktruth.json")
  # a slow store (each put 50 ms late) and small commits: the member takes
  # seconds to work through the topic, so its lag can be seen going down
  rm -f "$WORK/port"
  bg /dev/null "$WORK/kserve.err" env VIDLAKE_STORE_PUT_DELAY=50ms "$V" serve --lake "$WORK/klake" \
    --listen 127.0.0.1:0 --port-file "$WORK/port" --commit-interval 100ms --target-file-size 32KiB \
    --kafka "kafka://$BROKERS/ev" --group lag "${KX[@]}"
  KPID=$BG
  for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
  max_lag=0; series=0; zero=no
  for _ in $(seq 1 480); do
    curl -s "$URL/metrics" > "$WORK/km"
    series=$(grep -Ec '^vidlake_kafka_lag\{topic="ev",partition="[01]"\} ' "$WORK/km")
    lag=$(msum "$WORK/km" '^vidlake_kafka_lag\{')
    [ "$lag" -gt "$max_lag" ] && max_lag=$lag
    if [ "$series" = 2 ] && [ "$lag" = 0 ] &&
       [ "$(( $(mval "$WORK/km" 'vidlake_kafka_events_committed_total{topic="ev"}') + \
              $(mval "$WORK/km" 'vidlake_kafka_dead_letters_committed_total{topic="ev"}') ))" = "$produced" ]; then
      zero=yes; break
    fi
    sleep 0.25
  done
  check_eq "a vidlake_kafka_lag{topic,partition} series per partition" "$series" 2
  check "the lag was above 0 while the member consumed (at most $max_lag)" test "$max_lag" -gt 0
  check_eq "the lag reaches 0 once the topic is consumed and committed" "$zero" yes
  check_eq "the high watermarks add up to the records produced" \
    "$(msum "$WORK/km" '^vidlake_kafka_high_watermark\{topic="ev",')" "$produced"
  check_eq "records read = records produced" "$(mval "$WORK/km" 'vidlake_kafka_records_total{topic="ev"}')" "$produced"
  check_eq "invalid records by reason add up to the invalid ones" \
    "$(msum "$WORK/km" '^vidlake_kafka_records_rejected_total\{')" "$(jq .invalid "$WORK/ktruth.json")"
  check_eq "the Kafka sink's data files hold its events" \
    "$(mval "$WORK/km" 'vidlake_bronze_file_rows_sum{source="kafka",table="events"}')" \
    "$(mval "$WORK/km" 'vidlake_kafka_events_committed_total{topic="ev"}')"
  prom_check "promtool check metrics passes with a Kafka member" check metrics < "$WORK/km"
  check_eq "with Kafka too: one HELP and TYPE per family, no NaN" "$(exposition_problems "$WORK/km")" ""
  check_eq "with Kafka too: histograms are consistent" "$(histo_problems "$WORK/km")" ""
  stop "$KPID"
  check_eq "SIGTERM: serve --kafka exits 0" "$STOP_RC" 0
fi
if sanitizer "$WORK"/*serve.err; then fail "no sanitizer reports"; grep -m3 -E 'Sanitizer|runtime error' "$WORK"/*serve.err; else ok "no sanitizer reports"; fi

# ------------------------------------------------------------ deploy/prometheus
prom_check "promtool check rules deploy/prometheus/alerts.yml" check rules "$DP/alerts.yml"
prom_check "promtool test rules: each alert fires, and not on a healthy twin" test rules "$DP/alerts_test.yml"
prom_check "promtool check config deploy/prometheus/prometheus.yml" check config "$DP/prometheus.yml"
