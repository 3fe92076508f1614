# vidlake etl run: bronze/events -> silver/events -> silver/views, checked
# against the simulator's truth (every view, every field), incrementally
# (bronze loaded in three parts, the ETL run after each) and in full; re-runs
# change nothing; a kill -9 mid-run leaves the tables as they were and the
# next run finishes the work; DuckDB agrees on the deduplicated events.
. "$(dirname "$0")/lib.sh"
T=etl
V=$VIDLAKE
L="$WORK/lake"
NODE_OK=1; command -v node >/dev/null 2>&1 || NODE_OK=0
HERE=$(cd "$(dirname "$0")" && pwd)

"$V" generate --events 60000 --days 2 --seed 23 --invalid-fraction 0.01 --duplicate-fraction 0.03 \
  --late-fraction 0.02 --truth "$WORK/truth.json" > "$WORK/ev.ndjson"
split -n l/3 -d "$WORK/ev.ndjson" "$WORK/part."
for p in 00 01 02; do
  "$V" ingest --lake "$L" --from "$WORK/part.$p" > /dev/null 2>&1
  check_eq "etl run after bronze part $p exits 0" "$(run_status "$V" etl run --lake "$L" --threads 2)" 0
  cp "$WORK/err" "$WORK/etl.$p.err"
done
sed 's/^/# /' "$WORK/etl.02.err"
check "each job says what it wrote" grep -q "^etl: silver/views: version 2, .* partitions, .* written" "$WORK/etl.02.err"

scan() { "$V" table scan "$L/$1" | sort; }
scan silver/views > "$WORK/views.inc"
if [ $NODE_OK = 1 ]; then
  node "$HERE/etl_truth.mjs" "$WORK/truth.json" "$WORK/views.inc" > "$WORK/cmp" 2>&1; rc=$?
  sed 's/^/# /' "$WORK/cmp"
  check_eq "silver/views equals the truth: every view once, every field (incremental)" "$rc" 0
else
  echo "skip $T: the truth comparison needs node"
fi

"$V" table scan "$L/bronze/events" --columns event_id | jq -r .event_id | sort -u > "$WORK/ids.bronze"
"$V" table scan "$L/silver/events" --columns event_id | jq -r .event_id | sort > "$WORK/ids.silver"
check_eq "silver/events holds each bronze event once" "$(md5sum < "$WORK/ids.silver")" "$(md5sum < "$WORK/ids.bronze")"
check_eq "and the truth's count of distinct valid events" "$(wc -l < "$WORK/ids.silver")" \
  "$(jq '.valid - .duplicates' "$WORK/truth.json")"
check_eq "silver/events rows are bronze rows" \
  "$("$V" table scan "$L/silver/events" --columns event_id,event_type,event_time,view_id,position_ms | sort | md5sum)" \
  "$("$V" table scan "$L/bronze/events" --columns event_id,event_type,event_time,view_id,position_ms | sort -u | md5sum)"

# gold against the truth: sums over the days equal the truth's views and events
sum() { "$V" table scan "$L/gold/$1" --columns "$2" | jq -s "map(.$2) | add"; }
tv() { jq "[.views[] | $1] | length" "$WORK/truth.json"; }
check_eq "qoe_daily: attempts add up to the truth's views" "$(sum qoe_daily attempts)" "$(tv 'select(true)')"
check_eq "qoe_daily: plays to its started views" "$(sum qoe_daily plays)" "$(tv 'select(.started)')"
for o in vsf ebvs vpf; do
  check_eq "qoe_daily: $o to its $o views" "$(sum qoe_daily $o)" "$(tv "select(.outcome == \"$o\")")"
done
check_eq "qoe_daily: watch_ms to its watch time" "$(sum qoe_daily watch_ms)" "$(jq '[.views[].watch_ms] | add' "$WORK/truth.json")"
check_eq "qoe_daily: stall_ms to its stall time" "$(sum qoe_daily stall_ms)" "$(jq '[.views[].stall_ms] | add' "$WORK/truth.json")"
check_eq "content_daily: views add up to the truth's" "$(sum content_daily views)" "$(tv 'select(true)')"
check_eq "content_daily: completions to its completed started views" "$(sum content_daily completions)" \
  "$(tv 'select(.completed and .started)')"
for col in impressions clicks completes skips; do
  check_eq "ad_daily: $col add up to the truth's views' ad $col" "$(sum ad_daily $col)" \
    "$(jq "[.views[].ads.$col] | add" "$WORK/truth.json")"
done
check "ad_daily: revenue adds up to the truth's (to the micro-dollar)" sh -c \
  "[ \$(echo \"$(sum ad_daily revenue_usd) $(jq '[.views[].ads.revenue_usd | tonumber] | add' "$WORK/truth.json")\" | awk '{ d = \$1 - \$2; print (d < 0 ? -d : d) < 0.000001 }') = 1 ]"
check_eq "kpi_daily: DAU is the truth's users per day" \
  "$("$V" table scan "$L/gold/kpi_daily" --columns date,dau | jq -c '[.date, .dau]' | sort)" \
  "$(jq -c '.by_day | to_entries[] | [.key, .value.users]' "$WORK/truth.json" | sort)"
check_eq "kpi_daily: new users add up to the distinct users of silver/events" "$(sum kpi_daily new_users)" \
  "$("$V" table scan "$L/silver/events" --columns user_id | sort -u | wc -l)"

# segments and churn need history: 10 days
L4="$WORK/lake4"
"$V" generate --events 150000 --days 10 --seed 29 > "$WORK/ev10.ndjson"
"$V" ingest --lake "$L4" --from "$WORK/ev10.ndjson" > /dev/null 2>&1
check_eq "etl run over 10 days exits 0" "$(run_status "$V" etl run --lake "$L4")" 0
grep "user_segments\|churn" "$WORK/err" | sed 's/^/# /'
last=$("$V" table scan "$L4/gold/user_daily" --columns date | jq -r .date | sort -u | tail -1)
check_eq "user_segments: one row per user active in the 28 days to $last" \
  "$("$V" table scan "$L4/gold/user_segments" --columns user_id | jq -r .user_id | sort | uniq | wc -l)" \
  "$("$V" table scan "$L4/gold/user_daily" --columns user_id | jq -r .user_id | sort -u | wc -l)"
check_eq "every user has one of the five segments" \
  "$("$V" table scan "$L4/gold/user_segments" --columns segment | jq -r .segment | grep -cvE '^(new|lapsing|binge|weekend|casual)$')" 0
check "lapsing users were not active in the last 7 days" sh -c \
  "'$V' table scan '$L4/gold/user_segments' --where \"segment = 'lapsing'\" --columns days_since_last | jq -e -s 'all(.days_since_last >= 7)' > /dev/null"
# (too few users here for a meaningful AUC: 1.5M events over 14 days give about 0.88, see docs/etl.md)
check "the churn model's test AUC is in its commit" sh -c \
  "'$V' table history '$L4/gold/churn_features' --json | jq -e -s '.[0].commitInfo.operationParameters | (.test_auc == null or (.test_auc >= 0 and .test_auc <= 1)) and .train_rows > 0' > /dev/null"
check "training rows carry a label and a split, scored rows a score" sh -c \
  "'$V' table scan '$L4/gold/churn_features' | jq -e -s 'all(.churn_score != null) and (map(select(.split == \"train\" or .split == \"test\")) | all(.churned != null))' > /dev/null"
check "on 2 days there is no model yet, and the log says why" grep -q "no churn model: it needs 8 days" "$WORK/etl.02.err"

# re-running does nothing
vs=$("$V" table describe "$L/silver/views" --json | jq .version)
check_eq "a second run exits 0" "$(run_status "$V" etl run --lake "$L")" 0
check_eq "it says every table is up to date" "$(grep -c ': up to date' "$WORK/err")" 9
check_eq "and commits nothing" "$("$V" table describe "$L/silver/views" --json | jq .version)" "$vs"
check "the commits record the input versions covered" sh -c \
  "'$V' table describe '$L/silver/views' --json | jq -e '.txns[\"vidlake-etl:silver/events\"] >= 0' > /dev/null"

# a full rebuild gives the same tables
check_eq "etl run --full exits 0" "$(run_status "$V" etl run --lake "$L" --full)" 0
check_eq "--full rebuilds the same views" "$(scan silver/views | md5sum)" "$(md5sum < "$WORK/views.inc")"
check_eq "--full rebuilds the same events" \
  "$("$V" table scan "$L/silver/events" --columns event_id | jq -r .event_id | sort | md5sum)" "$(md5sum < "$WORK/ids.bronze")"

# kill -9 during runs on a slow store: the tables never show a partial run
L2="$WORK/lake2"
cp -r "$L/bronze" "$WORK/bronze.copy"
mkdir -p "$L2" && cp -r "$WORK/bronze.copy" "$L2/bronze"
kills=0 partial=0 seen=""
for i in 1 2 3 4 5 6; do
  VIDLAKE_STORE_PUT_DELAY=80ms "$V" etl run --lake "$L2" > /dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf %02d $(( RANDOM % 95 + 5 )))"
  kill -9 $pid 2>/dev/null && kills=$((kills + 1))
  wait $pid 2>/dev/null
  # each job commits once: a table is absent or whole
  if "$V" table describe "$L2/silver/events" > /dev/null 2>&1; then
    seen="$seen e"
    [ "$("$V" table scan "$L2/silver/events" --columns event_id | jq -r .event_id | sort | md5sum)" = \
      "$(md5sum < "$WORK/ids.bronze")" ] || partial=$((partial + 1))
  fi
  if "$V" table describe "$L2/silver/views" > /dev/null 2>&1; then
    seen="$seen v"
    [ "$("$V" table scan "$L2/silver/views" | sort | md5sum)" = "$(md5sum < "$WORK/views.inc")" ] || partial=$((partial + 1))
  fi
done
check_eq "after each of $kills kills -9 the tables are absent or whole" "$partial" 0
echo "# $kills runs killed; tables found after each kill:$seen"
check_eq "after the kills a run finishes" "$(run_status "$V" etl run --lake "$L2")" 0
check_eq "with the same views" "$("$V" table scan "$L2/silver/views" | sort | md5sum)" "$(md5sum < "$WORK/views.inc")"
check_eq "and the same events" \
  "$("$V" table scan "$L2/silver/events" --columns event_id | jq -r .event_id | sort | md5sum)" "$(md5sum < "$WORK/ids.bronze")"

# errors
check_eq "--lake is required" "$(run_status "$V" etl run)" 2
check_eq "an unknown sub-command is a usage error" "$(run_status "$V" etl go --lake "$L")" 2
check "it names it" grep -q "go" "$WORK/err"
mkdir -p "$WORK/empty"
check_eq "a lake without bronze: nothing to do, exit 0" "$(run_status "$V" etl run --lake "$WORK/empty")" 0

# serve runs the jobs on its own every --etl-interval
L3="$WORK/lake3"
start_serve "$L3" --etl-interval 1s
"$V" generate --events 5000 --seed 41 --to "$URL" > /dev/null 2>&1
for _ in $(seq 1 100); do
  "$V" table scan "$L3/gold/kpi_daily" 2>/dev/null | grep -q dau && break
  sleep 0.2
done
check_eq "serve --etl-interval 1s builds the gold tables from what it collected" \
  "$("$V" table scan "$L3/gold/qoe_daily" --columns attempts 2>/dev/null | jq -s 'map(.attempts) | add')" \
  "$("$V" table scan "$L3/silver/views" --columns view_id 2>/dev/null | wc -l)"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; src=$?
check_eq "and stops on SIGTERM with exit 0" "$src" 0
check "its log has a line per job that ran" grep -q "vidlake serve: etl: gold/kpi_daily: version" "$WORK/serve.log"
check_eq "--etl-interval below 1s is a usage error" "$(run_status "$V" serve --lake "$L3" --etl-interval 10ms)" 2

# incremental runs across a checkpoint of bronze: a checkpoint writes every
# add with dataChange=false, which must not pass for an OPTIMIZE's rewrite
L5=$WORK/lake5
"$V" generate --events 30000 --seed 1 > "$WORK/ev5.ndjson"
head -n 15000 "$WORK/ev5.ndjson" > "$WORK/ev5.0"
tail -n +15001 "$WORK/ev5.ndjson" > "$WORK/ev5.1"
for part in 0 1; do
  "$V" ingest --lake "$L5" --from "$WORK/ev5.$part" --commit-rows 3000 2>/dev/null
  "$V" etl run --lake "$L5" 2>/dev/null
done
check "bronze crossed a checkpoint between the runs" test -n "$(ls "$L5/bronze/events/_delta_log/" | grep checkpoint)"
check_eq "after incremental runs across it, silver/events holds every distinct event id" \
  "$("$V" table scan "$L5/silver/events" --columns event_id | sort -u | wc -l)" \
  "$("$V" table scan "$L5/bronze/events" --columns event_id | sort -u | wc -l)"

need_duckdb_peer "$T: DuckDB"
# the same pipeline in DuckDB SQL over the bronze Parquet files (tests/peers/etl_duckdb.mjs)
VIDLAKE="$V" node "$HERE/../peers/etl_duckdb.mjs" "$L" "$WORK/duckdb_etl" --threads 2 | sed 's/^/# /'
keys_of() { case $1 in silver_views) echo view_id;; qoe_daily) echo date,device_type,country,cdn,os;;
  content_daily) echo date,content_id;; ad_daily) echo date,ad_campaign_id,ad_position;; kpi_daily) echo date;;
  *) echo date,user_id;; esac; }
for t in silver_views qoe_daily content_daily ad_daily kpi_daily user_daily user_segments churn_features; do
  src=${t/_/\/}; [ $t = silver_views ] || src="gold/$t"
  "$V" table scan "$L/$src" > "$WORK/ours.$t"
  node "$HERE/rows_cmp.mjs" "$WORK/duckdb_etl/$t.ndjson" "$WORK/ours.$t" "$(keys_of $t)" 1e-12 \
    startup_ms_p50=0.01,startup_ms_p90=0.01 > "$WORK/cmp.$t" 2>&1; rc=$?
  sed 's/^/# /' "$WORK/cmp.$t"
  check_eq "DuckDB SQL computes the same $src (quantiles within 1%)" "$rc" 0
done
VIDLAKE="$V" node "$HERE/../peers/etl_duckdb.mjs" "$L4" "$WORK/duckdb_etl4" --threads 2 | sed 's/^/# /'
for t in user_segments churn_features kpi_daily; do
  "$V" table scan "$L4/gold/$t" > "$WORK/ours4.$t"
  node "$HERE/rows_cmp.mjs" "$WORK/duckdb_etl4/$t.ndjson" "$WORK/ours4.$t" "$(keys_of $t)" 1e-12 > "$WORK/cmp4.$t" 2>&1; rc=$?
  sed 's/^/# /' "$WORK/cmp4.$t"
  check_eq "DuckDB SQL computes the same gold/$t over 10 days (the churn model's scores too)" "$rc" 0
done
files=$("$V" table files "$L/bronze/events" | jq -r '.path' | sed "s|^|$L/bronze/events/|" | jq -R . | jq -s -c .)
node "$PEER" sql "SELECT CAST(event_date AS VARCHAR) AS d, count(DISTINCT event_id) AS n FROM read_parquet($files, hive_partitioning = true) GROUP BY 1 ORDER BY 1" \
  | jq -c '[.d, .n]' > "$WORK/duck"
"$V" table scan "$L/silver/events" --columns event_date | jq -r .event_date | sort | uniq -c | awk '{ printf "[\"%s\",%s]\n", $2, $1 }' > "$WORK/ours"
check_eq "DuckDB's distinct event ids per date over bronze equal silver/events' rows" "$(cat "$WORK/ours")" "$(cat "$WORK/duck")"
