# The gold API of vidlake serve, end to end (docs/api.md, "GET /api/v1/gold"):
# three simulated days are ingested and `vidlake etl run` builds the gold
# tables; then, against `vidlake table scan` of the same tables:
#   - every table answers its rows (the newest 30 days by default), equal to
#     the scan's as sorted JSON, in the default order (date, then the keys);
#   - from/to choose dates; dimension filters (a repeated key is an IN list);
#   - group_by sums the counts and recomputes the ratios from the summed
#     parts (compared with jq over the scan), leaves out what cannot be
#     re-aggregated, and passes everything through when grouping by the
#     whole grain; a table added under LAKE/gold/ later is served too;
#   - order_by (descending with "-") and limit (top-k, "truncated");
#   - each bad parameter is a 400 naming it; an unknown table a 404; a gold
#     table not built yet a 404 that says to run `vidlake etl run`, until it
#     is built (while serve runs).
# Prints the latencies of 200 requests (p50, p99) as a comment.
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
L="$WORK/lake"
L2="$WORK/lake2"
SERVE_PID=
trap '[ -n "$SERVE_PID" ] && kill -9 $SERVE_PID 2>/dev/null; rm -rf "$WORK"' EXIT

get() { curl -s -o "$WORK/resp" -w '%{http_code}' "$URL$1"; }
je() { jq -e "$@" > /dev/null; }
rows() { jq -c '.rows | sort' "$WORK/resp"; }
# scan TABLE [WHERE]: the table's rows, sorted, as one JSON array
scan() {
  if [ -n "${2:-}" ]; then "$V" table scan "$L/gold/$1" --where "$2"; else "$V" table scan "$L/gold/$1"; fi |
    jq -s -c 'sort'
}
# same GOT WANT: two JSON documents equal, numbers within 1e-9 relative
same() {
  jq -n -e --argjson a "$1" --argjson b "$2" '
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
check_same() {
  if same "$2" "$3"; then ok "$1"; else fail "$1"; echo "  got:  ${2:0:400}"; echo "  want: ${3:0:400}"; fi
}

"$V" generate --events 60000 --days 3 --seed 7 > "$WORK/events.ndjson" 2>/dev/null
check_eq "ingest three simulated days" "$(run_status "$V" ingest --lake "$L" --from "$WORK/events.ndjson")" 0
check_eq "vidlake etl run builds the gold tables" "$(run_status "$V" etl run --lake "$L")" 0

# A table someone adds under LAKE/gold/ later, described nowhere: strings
# are dimensions, longs sums, a rate and a quantile cannot be re-aggregated.
check_eq "a table added under gold/ by hand" "$(run_status "$V" table create "$L/gold/extra_daily" \
  --schema "date date, region string, hits long, misses long, hit_rate double, wait_ms_p90 double" --partition-by date)" 0
cat > "$WORK/extra.ndjson" <<'EOF'
{"date":"2024-05-01","region":"eu","hits":3,"misses":1,"hit_rate":0.75,"wait_ms_p90":12.5}
{"date":"2024-05-01","region":"us","hits":5,"misses":5,"hit_rate":0.5,"wait_ms_p90":20}
{"date":"2024-05-02","region":"eu","hits":7,"misses":0,"hit_rate":1,"wait_ms_p90":9}
{"date":"2024-05-02","region":"O'Hare","hits":1,"misses":2,"hit_rate":0.3333333333333333,"wait_ms_p90":null}
EOF
check_eq "  with rows" "$(run_status "$V" table append "$L/gold/extra_daily" --from "$WORK/extra.ndjson")" 0

start_serve "$L" --etl-interval 0
check "serve starts on the lake" test -s "$WORK/port"

# ------------------------------------------------------------- the index
check_eq "GET /api/v1/gold" "$(get /api/v1/gold)" 200
check_eq "  lists the four tables first, then the others under gold/" \
  "$(jq -c '[.tables[].name][:4]' "$WORK/resp")" '["qoe_daily","content_daily","ad_daily","kpi_daily"]'
check "  extra_daily among them, with its dimension" \
  je '.tables | any(.name == "extra_daily" and .dimensions == ["region"] and .rows == 4)' "$WORK/resp"
check "  each with a version and its dates" \
  je '[.tables[] | select(.name | test("^(qoe|content|ad|kpi)_daily$"))] | length == 4 and
      all(.[]; .version >= 0 and (.from | test("^2024-")) and (.to | test("^2024-")) and .rows > 0)' "$WORK/resp"

# ------------------------------------------------------- rows of each table
newest=$("$V" table scan "$L/gold/kpi_daily" --columns date | jq -r .date | sort | tail -1)
oldest=$("$V" table scan "$L/gold/kpi_daily" --columns date | jq -r .date | sort | head -1)
from30=$(date -u -d "$newest - 29 days" +%F)
echo "# the gold tables hold $oldest .. $newest"
for t in qoe_daily content_daily ad_daily kpi_daily extra_daily; do
  n=$("$V" table scan "$L/gold/$t" | wc -l)
  check_eq "GET /api/v1/gold/$t" "$(get "/api/v1/gold/$t?limit=100000")" 200
  tn=$(jq -r '.to' "$WORK/resp")
  tf=$(jq -r '.from' "$WORK/resp")
  check_eq "  its rows are table scan's of the newest 30 days ($n)" "$(rows)" \
    "$(scan $t "date >= '$(date -u -d "$tn - 29 days" +%F)' AND date <= '$tn'")"
  check_eq "  from = to - 29 days, to = its newest date" "$tf $tn" \
    "$(date -u -d "$tn - 29 days" +%F) $("$V" table scan "$L/gold/$t" --columns date | jq -r .date | sort | tail -1)"
  check "  table, version, not truncated" je --arg t "$t" '.table == $t and .version >= 0 and .truncated == false' "$WORK/resp"
done
get "/api/v1/gold/kpi_daily" > /dev/null
check_eq "kpi_daily: from/to default to the newest 30 days" "$(jq -r '.from + " " + .to' "$WORK/resp")" "$from30 $newest"
get "/api/v1/gold/qoe_daily?limit=100000" > /dev/null
check "qoe_daily: ordered by date, then device_type, country, cdn, os (nulls last)" \
  je '.rows | map([.date, (.device_type, .country, .cdn, .os | . // "\uffff")]) | . == sort' "$WORK/resp"
get "/api/v1/gold/ad_daily?limit=100000" > /dev/null
check "ad_daily: ordered by date, then ad_campaign_id, ad_position" \
  je '.rows | map([.date, (.ad_campaign_id, .ad_position | . // "\uffff")]) | . == sort' "$WORK/resp"

# ------------------------------------------------------------------- from/to
mid=$(date -u -d "$oldest + 1 day" +%F)
check_eq "from/to: one day of content_daily" "$(get "/api/v1/gold/content_daily?from=$mid&to=$mid&limit=100000")" 200
check_eq "  equal to the scan of that day" "$(rows)" "$(scan content_daily "date = '$mid'")"
check "  and answered as from/to" je --arg d "$mid" '.from == $d and .to == $d and (.rows | length) > 0' "$WORK/resp"
check_eq "from only: to is the newest date" "$(get "/api/v1/gold/qoe_daily?from=$mid&limit=100000")" 200
check_eq "  rows from that day on" "$(rows)" "$(scan qoe_daily "date >= '$mid'")"
check_eq "  to = $newest" "$(jq -r .to "$WORK/resp")" "$newest"
check_eq "to only: the 30 days up to it" "$(get "/api/v1/gold/ad_daily?to=$mid&limit=100000")" 200
check_eq "  rows up to that day" "$(rows)" "$(scan ad_daily "date <= '$mid'")"
check_eq "a range with no data: no rows" "$(get '/api/v1/gold/qoe_daily?from=2030-01-01&to=2030-01-31')" 200
check "  an empty list" je '.rows == [] and .from == "2030-01-01" and .to == "2030-01-31"' "$WORK/resp"

# ----------------------------------------------------------------- filters
check_eq "a dimension filter: qoe_daily?device_type=tv" "$(get '/api/v1/gold/qoe_daily?device_type=tv&limit=100000')" 200
check_eq "  equal to the scan where device_type = 'tv'" "$(rows)" "$(scan qoe_daily "device_type = 'tv'")"
check "  some rows" je '(.rows | length) > 0' "$WORK/resp"
check_eq "two filters: device_type=mobile&country=US" \
  "$(get '/api/v1/gold/qoe_daily?device_type=mobile&country=US&limit=100000')" 200
check_eq "  equal to the scan's AND" "$(rows)" "$(scan qoe_daily "device_type = 'mobile' AND country = 'US'")"
check_eq "a repeated key is an IN list: ad_position=preroll&ad_position=postroll" \
  "$(get '/api/v1/gold/ad_daily?ad_position=preroll&ad_position=postroll&limit=100000')" 200
check_eq "  equal to the scan's IN" "$(rows)" "$(scan ad_daily "ad_position IN ('preroll', 'postroll')")"
check_eq "a value with a quote: extra_daily?region=O'Hare" "$(get "/api/v1/gold/extra_daily?region=O%27Hare")" 200
check_eq "  its row" "$(jq -c '[.rows[] | .hits]' "$WORK/resp")" "[1]"
check_eq "a value no row has: no rows" "$(get '/api/v1/gold/qoe_daily?country=ZZ')" 200
check_eq "  an empty list" "$(jq -c .rows "$WORK/resp")" "[]"

# ----------------------------------------------------------------- group_by
ALL="date >= '$from30' AND date <= '$newest'"
check_eq "group_by=date,device_type on qoe_daily" "$(get "/api/v1/gold/qoe_daily?group_by=date,device_type&limit=100000")" 200
want=$(scan qoe_daily "$ALL" | jq -c 'group_by([.date, .device_type]) | map({date: .[0].date, device_type: .[0].device_type,
  attempts: (map(.attempts) | add), plays: (map(.plays) | add), vsf: (map(.vsf) | add), ebvs: (map(.ebvs) | add),
  vpf: (map(.vpf) | add), watch_ms: (map(.watch_ms) | add), stall_ms: (map(.stall_ms) | add)}
  | . + {vsf_rate: (.vsf / .attempts), ebvs_rate: (.ebvs / .attempts),
         vpf_rate: (if .plays > 0 then .vpf / .plays else null end), watch_hours: (.watch_ms / 3600000),
         rebuffering_ratio: (if .watch_ms + .stall_ms > 0 then .stall_ms / (.watch_ms + .stall_ms) else null end)})
  | sort')
check_same "  sums equal jq's sums of the scan, ratios recomputed from them" \
  "$(jq -c '.rows | map({date, device_type, attempts, plays, vsf, ebvs, vpf, watch_ms, stall_ms, vsf_rate, ebvs_rate,
  vpf_rate, watch_hours, rebuffering_ratio}) | sort' "$WORK/resp")" "$want"
check_eq "  the quantiles and the bitrate are left out, and named" \
  "$(jq -c '[.omitted, (.rows[0] | has("startup_ms_p50") or has("avg_bitrate_kbps") or has("country"))]' "$WORK/resp")" \
  '[["startup_ms_p50","startup_ms_p90","avg_bitrate_kbps"],false]'
check_eq "  keys first, then the table's columns in order" "$(jq -c '.rows[0] | keys_unsorted' "$WORK/resp")" \
  '["date","device_type","attempts","plays","vsf","ebvs","vpf","vsf_rate","ebvs_rate","vpf_rate","watch_hours","watch_ms","stall_ms","rebuffering_ratio"]'
check "  ordered by date, then device_type" je '.rows | map([.date, .device_type]) | . == sort' "$WORK/resp"

get "/api/v1/gold/ad_daily?group_by=ad_position" > /dev/null
want=$(scan ad_daily "$ALL" | jq -c 'group_by(.ad_position) | map({ad_position: .[0].ad_position,
  impressions: (map(.impressions) | add), clicks: (map(.clicks) | add), completes: (map(.completes) | add),
  skips: (map(.skips) | add), revenue_usd: (map(.revenue_usd) | add)}
  | . + {ctr: (.clicks / .impressions), completion_rate: (.completes / .impressions), skip_rate: (.skips / .impressions),
         ecpm_usd: (.revenue_usd / .impressions * 1000)}) | sort')
check_same "group_by=ad_position on ad_daily: impressions, CTR, revenue, eCPM" "$(rows)" "$want"
check_eq "  nothing left out" "$(jq -c .omitted "$WORK/resp")" "[]"

get "/api/v1/gold/content_daily?group_by=content_type" > /dev/null
want=$(scan content_daily "$ALL" | jq -c 'group_by(.content_type) | map({content_type: .[0].content_type,
  views: (map(.views) | add), plays: (map(.plays) | add), watch_hours: (map(.watch_hours) | add),
  completions: (map(.completions) | add), likes: (map(.likes) | add), dislikes: (map(.dislikes) | add),
  comments: (map(.comments) | add), shares: (map(.shares) | add)}
  | . + {completion_rate: (if .plays > 0 then .completions / .plays else null end)}) | sort')
check_same "group_by=content_type on content_daily: sums and completion_rate" "$(rows)" "$want"
check "  unique viewers, average and retention left out" \
  je '.omitted == ["unique_viewers","avg_pct_watched","retention_10","retention_20","retention_30","retention_40",
      "retention_50","retention_60","retention_70","retention_80","retention_90","retention_100"]' "$WORK/resp"

get "/api/v1/gold/kpi_daily?group_by=date" > /dev/null
check_eq "group_by=date on kpi_daily keeps one row per day: every column as it is" "$(rows)" "$(scan kpi_daily "$ALL")"
get "/api/v1/gold/qoe_daily?group_by=date,device_type,country,cdn,os&limit=100000" > /dev/null
check_eq "group_by the whole grain of qoe_daily: the rows as they are" "$(rows)" "$(scan qoe_daily "$ALL")"
get "/api/v1/gold/content_daily?group_by=date,content_id,content_type&limit=100000" > /dev/null
check_eq "group_by the grain of content_daily with its attribute: as they are" "$(rows)" "$(scan content_daily "$ALL")"
get "/api/v1/gold/kpi_daily?group_by=date&date_x=1" > /dev/null
check "grouped, a bad filter is still named" je '.error | startswith("date_x")' "$WORK/resp"
get "/api/v1/gold/qoe_daily?group_by=device_type&device_type=tv&device_type=console" > /dev/null
check_eq "group_by with a filter: the filtered groups only" "$(jq -c '[.rows[].device_type]' "$WORK/resp")" \
  '["console","tv"]'
check_eq "  summing the filtered rows" "$(jq -c '[.rows[].attempts]' "$WORK/resp")" \
  "$(scan qoe_daily "$ALL AND device_type IN ('console', 'tv')" | jq -c 'group_by(.device_type) | map(map(.attempts) | add)')"

get "/api/v1/gold/extra_daily?group_by=region" > /dev/null
check_eq "a table added later, grouped: longs summed, the rate and the quantile left out" \
  "$(jq -c '[.omitted, .rows]' "$WORK/resp")" \
  '[["hit_rate","wait_ms_p90"],[{"region":"O'"'"'Hare","hits":1,"misses":2},{"region":"eu","hits":10,"misses":1},{"region":"us","hits":5,"misses":5}]]'

# ------------------------------------------------------- order_by and limit
day=$newest
get "/api/v1/gold/content_daily?from=$day&to=$day&order_by=-plays&limit=10" > /dev/null
want=$(scan content_daily "date = '$day'" | jq -c 'sort_by([-.plays, .content_id]) | .[:10] | map(.content_id)')
check_eq "order_by=-plays&limit=10: the top content of the newest day" "$(jq -c '[.rows[].content_id]' "$WORK/resp")" "$want"
check "  ten rows, plays not increasing, truncated" \
  je '(.rows | length) == 10 and ([.rows[].plays] | . == (sort | reverse)) and .truncated == true' "$WORK/resp"
get "/api/v1/gold/qoe_daily?order_by=watch_ms&limit=5" > /dev/null
want=$(scan qoe_daily "$ALL" | jq -c 'sort_by(.watch_ms) | .[:5] | map(.watch_ms)')
check_eq "order_by=watch_ms&limit=5: the five smallest" "$(jq -c '[.rows[].watch_ms]' "$WORK/resp")" "$want"
get "/api/v1/gold/ad_daily?group_by=ad_campaign_id&order_by=-revenue_usd&limit=3" > /dev/null
want=$(scan ad_daily "$ALL" | jq -c 'group_by(.ad_campaign_id) | map({c: .[0].ad_campaign_id, r: (map(.revenue_usd) | add)})
  | sort_by(-.r) | .[:3] | map(.c)')
check_eq "grouped, ordered by a sum: the top 3 campaigns by revenue" "$(jq -c '[.rows[].ad_campaign_id]' "$WORK/resp")" "$want"
get "/api/v1/gold/qoe_daily?limit=1" > /dev/null
check "limit=1: one row, truncated" je '(.rows | length) == 1 and .truncated' "$WORK/resp"

# ----------------------------------------------------------- bad parameters
for q in "qoe_daily?from=2024-13-01:from" "qoe_daily?from=yesterday:from" "qoe_daily?to=2024-05-32:to" \
         "qoe_daily?from=2024-05-03&to=2024-05-01:from" "qoe_daily?limit=0:limit" "qoe_daily?limit=100001:limit" \
         "qoe_daily?limit=ten:limit" "qoe_daily?planet=mars:planet" "qoe_daily?plays=3:plays" \
         "qoe_daily?date=2024-05-01:date" "qoe_daily?group_by=plays:group_by" "qoe_daily?group_by=nope:group_by" \
         "qoe_daily?group_by=date,date:group_by" "qoe_daily?order_by=nope:order_by" \
         "qoe_daily?group_by=device_type&order_by=startup_ms_p50:order_by" "qoe_daily?limit=5&limit=6:limit" \
         "qoe_daily?device_type:device_type" "bad-name:table"; do
  check_eq "400 for ${q%%:*}" "$(get "/api/v1/gold/${q%%:*}")" 400
  check "  naming ${q#*:}" je --arg p "${q#*:}" '.error | startswith($p)' "$WORK/resp"
done
check_eq "404 for a table that is not in the lake" "$(get /api/v1/gold/nosuch_daily)" 404
check "  saying what there is" je '.error | test("qoe_daily") and test("etl run")' "$WORK/resp"
check_eq "405 for POST" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/gold/qoe_daily")" 405

# ----------------------------------------------------------------- latency
for i in $(seq 1 200); do
  case $((i % 4)) in
    0) p="/api/v1/gold/kpi_daily" ;;
    1) p="/api/v1/gold/content_daily?from=$newest&to=$newest&order_by=-plays&limit=10" ;;
    2) p="/api/v1/gold/qoe_daily?group_by=date,device_type" ;;
    3) p="/api/v1/gold/ad_daily?group_by=ad_position" ;;
  esac
  curl -s -o /dev/null -w '%{time_total}\n' "$URL$p"
done | sort -n > "$WORK/lat"
echo "# latency of 200 gold requests (4 kinds): p50 $(sed -n 100p "$WORK/lat") s, p99 $(sed -n 198p "$WORK/lat") s," \
  "max $(tail -1 "$WORK/lat") s"

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "SIGTERM: serve exits 0" "$rc" 0

# ------------------------------------------ a lake whose gold is not built yet
check_eq "a second lake: ingest only" "$(run_status "$V" ingest --lake "$L2" --from "$WORK/events.ndjson")" 0
start_serve "$L2" --etl-interval 0
check_eq "404 for qoe_daily before the ETL ran" "$(get /api/v1/gold/qoe_daily)" 404
check "  saying to run vidlake etl run" je '.error | test("vidlake etl run")' "$WORK/resp"
check_eq "GET /api/v1/gold lists the four, none built" "$(get /api/v1/gold)" 200
check_eq "  versions null" "$(jq -c '[.tables[] | .version]' "$WORK/resp")" "[null,null,null,null]"
check_eq "etl run while serve runs" "$(run_status "$V" etl run --lake "$L2")" 0
check_eq "then qoe_daily answers" "$(get /api/v1/gold/qoe_daily?limit=100000)" 200
check_eq "  the new table's rows" "$(rows)" \
  "$("$V" table scan "$L2/gold/qoe_daily" | jq -s -c 'sort')"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "serve exits 0" "$rc" 0
