# The real-time API of vidlake serve, end to end: live simulated viewers
# (generate --rate, with invalid lines) POST to the collector; once the
# pipeline has applied everything, /api/v1/realtime/summary counts what the
# simulator's truth file says was sent, series and top-k add up to the
# summary, filters agree with top-k, bad parameters get 400 naming them,
# /api/v1/tables follows the commits, /api/v1/pipeline and the dashboard's
# files are served. (Exactness of every metric against per-view truth is
# src/stream/stream_test.c's job.)
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
L="$WORK/lake"
SERVE_PID=
trap '[ -n "$SERVE_PID" ] && kill -9 $SERVE_PID 2>/dev/null; rm -rf "$WORK"' EXIT

get() { curl -s -o "$WORK/resp" -w '%{http_code}' "$URL$1"; }
api() { curl -s "$URL$1"; }
je() { jq -e "$@" > /dev/null; }

start_serve "$L"
check_eq "an empty engine answers the summary" "$(get '/api/v1/realtime/summary')" 200
check_eq "  with zero events and null quantiles" "$(jq -c '[.metrics.events, .metrics.startup_ms_p90, .now]' "$WORK/resp")" \
  "[0,null,null]"

check_eq "live viewers POST their events" "$(run_status "$V" generate --rate 5000 --events 10000 --seed 31 \
  --invalid-fraction 0.01 --truth "$WORK/truth.json" --to "$URL")" 0
valid=$(jq .valid "$WORK/truth.json")
for _ in $(seq 1 100); do
  [ "$(api /api/v1/pipeline | jq .realtime.events)" = "$valid" ] && break
  sleep 0.1
done
api /api/v1/pipeline > "$WORK/pipeline.json"
check_eq "the engine counted every valid event" "$(jq .realtime.events "$WORK/pipeline.json")" "$valid"
check_eq "  none late, none duplicated" "$(jq -c '[.realtime.late_events, .realtime.duplicates]' "$WORK/pipeline.json")" "[0,0]"
check_eq "the pipeline view counts the collector's events" \
  "$(jq -c '[.collector.events_accepted, .collector.events_rejected]' "$WORK/pipeline.json")" \
  "$(jq -c '[.valid, .invalid]' "$WORK/truth.json")"

check_eq "GET summary?window=10m" "$(get '/api/v1/realtime/summary?window=10m')" 200
cp "$WORK/resp" "$WORK/summary.json"
m() { jq ".metrics.$1" "$WORK/summary.json"; }
t() { jq ".by_type.$1" "$WORK/truth.json"; }
check_eq "summary: events == the truth's valid lines" "$(m events)" "$valid"
for p in likes:like dislikes:dislike comments:comment shares:share subscribes:subscribe ad_impressions:ad_impression \
         ad_clicks:ad_click ad_completes:ad_complete ad_skips:ad_skip; do
  check_eq "summary: ${p%%:*} == the truth's ${p#*:} events" "$(m "${p%%:*}")" "$(t "${p#*:}")"
done
plays=$(m plays)
check "summary: plays > 0 and at most the play events" test "$plays" -gt 0 -a "$plays" -le "$(t play)"
check "summary: startup p50 <= p90 <= p99, none null" \
  je '.metrics | .startup_ms_p50 != null and .startup_ms_p50 <= .startup_ms_p90 and .startup_ms_p90 <= .startup_ms_p99' \
  "$WORK/summary.json"
check "summary: watch time, bitrate and unique viewers are positive" \
  je '.metrics | .watch_time_s > 0 and .avg_bitrate_kbps > 0 and .unique_viewers > 0 and .concurrent_plays > 0' \
  "$WORK/summary.json"
check "summary: rates are ratios of its counts" \
  je '.metrics | (.ad_ctr - .ad_clicks / .ad_impressions | fabs) < 1e-9 and (.vsf_rate - .vsf / .attempts | fabs) < 1e-9' \
  "$WORK/summary.json"

check_eq "GET timeseries?metric=plays&window=10m&step=10s" \
  "$(get '/api/v1/realtime/timeseries?metric=plays&window=10m&step=10s')" 200
check_eq "  60 points" "$(jq '.t | length' "$WORK/resp"),$(jq '.v | length' "$WORK/resp")" "60,60"
check_eq "  adding up to the summary's plays" "$(jq '.v | add' "$WORK/resp")" "$plays"
check "  steps 10 s apart" je '[.t as $t | range(1; $t | length) | $t[.] - $t[. - 1]] | all(. == 10)' "$WORK/resp"
check_eq "GET top?dim=country&metric=plays" "$(get '/api/v1/realtime/top?dim=country&metric=plays&k=100&window=10m')" 200
check_eq "  the countries' plays add up to all plays" "$(jq '[.items[].value] | add' "$WORK/resp")" "$plays"
check "  sorted, largest first" je '[.items[].value] | . == (sort | reverse)' "$WORK/resp"
top=$(jq -r '.items[0].key' "$WORK/resp"); topv=$(jq '.items[0].value' "$WORK/resp")
check_eq "a country filter agrees with top-k" \
  "$(api "/api/v1/realtime/summary?window=10m&country=$top" | jq .metrics.plays)" "$topv"
check_eq "GET top?dim=content_id&metric=concurrent_plays" \
  "$(get '/api/v1/realtime/top?dim=content_id&metric=concurrent_plays&k=5')" 200
check "  at most 5 titles, each with viewers" je '(.items | length) <= 5 and (.items | length) > 0 and all(.items[]; .value > 0)' \
  "$WORK/resp"

# bad parameters: 400 naming the parameter
for q in "summary?window=bogus:window" "summary?window=90d:window" "summary?country=US&cdn=akamai:one dimension" \
         "summary?content_id=x:content_id" "timeseries?window=5m:metric" "timeseries?metric=nope:metric" \
         "timeseries?metric=plays&window=30m&step=1s:1440" "timeseries?metric=plays&window=1h&step=7s:60 s" "timeseries?metric=unique_viewers&step=10s:60 s" \
         "top?k=0:k" "top?dim=planet:dim" "top?dim=content_id&metric=vsf:metric"; do
  check_eq "400 for ${q%%:*}" "$(get "/api/v1/realtime/${q%%:*}")" 400
  check "  naming ${q#*:}" grep -q "${q#*:}" "$WORK/resp"
done
check_eq "404 for an unknown API path" "$(get /api/v1/nothing)" 404
check_eq "405 for POST to the API" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/tables")" 405

for _ in $(seq 1 100); do
  [ "$(api /api/v1/tables | jq '.tables[0].rows')" = "$valid" ] && break
  sleep 0.1
done
check_eq "GET tables" "$(get /api/v1/tables)" 200
check_eq "  bronze/events holds the valid events" "$(jq -c '.tables[0] | [.name, .rows]' "$WORK/resp")" \
  "[\"bronze/events\",$valid]"
check_eq "  bronze/dead_letters the invalid ones" "$(jq -c '.tables[1] | [.name, .rows]' "$WORK/resp")" \
  "[\"bronze/dead_letters\",$(jq .invalid "$WORK/truth.json")]"
check "  with versions, files and a last commit time" \
  je 'all(.tables[]; .version >= 1 and .files >= 1 and (.last_commit | test("^20[0-9-]+T")))' "$WORK/resp"

check_eq "GET / is the dashboard" "$(curl -s -o "$WORK/index" -w '%{http_code} %{content_type}' "$URL/")" \
  "200 text/html; charset=utf-8"
check "  an HTML page" grep -qi "<html" "$WORK/index"
check_eq "  its chart library is served from the binary" \
  "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/assets/uPlot.iife.min.js")" \
  "200 text/javascript; charset=utf-8"
check_eq "  with Cache-Control: no-cache" \
  "$(curl -s -D - -o /dev/null "$URL/" | tr -d '\r' | awk -F': ' 'tolower($1) == "cache-control" { print $2 }')" "no-cache"
check_eq "/metrics still answers" "$(get /metrics)" 200

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "SIGTERM: serve exits 0" "$rc" 0
