# vidlake generate: determinism, coverage of every event type, agreement
# with the validator and with its own ground truth, faults, real-time mode.
. "$(dirname "$0")/lib.sh"

"$VIDLAKE" generate --events 1000000 --seed 7 > "$WORK/a.ndjson"
"$VIDLAKE" generate --events 1000000 --seed 7 > "$WORK/b.ndjson"
check "the same seed gives byte-identical output" cmp -s "$WORK/a.ndjson" "$WORK/b.ndjson"
check_eq "--events is the exact line count" "$(wc -l < "$WORK/a.ndjson")" 1000000
"$VIDLAKE" generate --events 1000 --seed 8 > "$WORK/c.ndjson"
check "another seed gives other events" bash -c "! cmp -s <(head -1000 '$WORK/a.ndjson') '$WORK/c.ndjson'"

check_eq "validate accepts every generated line" "$(run_status "$VIDLAKE" validate "$WORK/a.ndjson" --json)" 0
check_eq "all 1000000 are valid" "$(jq -c '[.valid, .invalid]' "$WORK/out")" "[1000000,0]"
check_eq "all 20 event types occur" "$(jq '[.by_type[] | select(. > 0)] | length' "$WORK/out")" 20
rm -f "$WORK/a.ndjson" "$WORK/b.ndjson"

"$VIDLAKE" generate --events 300000 --seed 11 --days 2 --invalid-fraction 0.01 \
  --duplicate-fraction 0.01 --late-fraction 0.02 --truth "$WORK/truth.json" > "$WORK/f.ndjson"
check_eq "faulty stream has the exact line count" "$(wc -l < "$WORK/f.ndjson")" 300000
run_status "$VIDLAKE" validate "$WORK/f.ndjson" --json --show 0 >/dev/null
v="$WORK/out" t="$WORK/truth.json"
check_eq "invalid count equals the truth's" "$(jq .invalid "$v")" "$(jq .invalid "$t")"
check "about 1% of lines are invalid" test "$(jq .invalid "$t")" -gt 2400 -a "$(jq .invalid "$t")" -lt 3600
check_eq "valid count equals the truth's" "$(jq .valid "$v")" "$(jq .valid "$t")"
check_eq "valid by type equals the truth's" "$(jq -S -c .by_type "$v")" "$(jq -S -c .by_type "$t")"
check_eq "rejects by reason equal the truth's" "$(jq -S -c .by_reason "$v")" "$(jq -S -c .by_reason "$t")"
check "several kinds of reject occur" test "$(jq '.by_reason | length' "$t")" -ge 8
check_eq "the truth starts with the two days asked for" "$(jq -c '.by_day | keys | .[0:2]' "$t")" '["2024-05-01","2024-05-02"]'
check "the two days hold nearly all events (the audience is sized to the period)" \
  test "$(jq '.by_day as $d | ([$d["2024-05-01","2024-05-02"].valid] | add) * 100 / ([$d[].valid] | add) | floor' "$t")" -ge 90
check "duplicates are counted" test "$(jq .duplicates "$t")" -gt 2000
check "views have ground truth" test "$(jq '.views | length' "$t")" -gt 1000
check_eq "started views have a startup time, others none" \
  "$(jq '[.views[] | select((.started and .startup_ms == null) or ((.started | not) and .startup_ms != null))] | length' "$t")" 0
check_eq "completed means furthest >= 90% of duration" \
  "$(jq '[.views[] | select(.completed != (.furthest_ms >= 0.9 * .duration_ms))] | length' "$t")" 0
late=$(grep -o '"event_time":"[0-9T:.Z-]*"' "$WORK/f.ndjson" | awk '$0 < prev { n++ } { prev = $0 } END { print n + 0 }')
check "some lines arrive out of event-time order (late, resent)" test "$late" -gt 100

check_eq "an HTTP target is refused for now with 2" "$(run_status "$VIDLAKE" generate --events 1 --to http://127.0.0.1:1)" 2
check_eq "a bad fraction is refused" "$(run_status "$VIDLAKE" generate --invalid-fraction 1.5)" 2
check "the bad option is named" grep -q -- "--invalid-fraction" "$WORK/err"
check_eq "a bad count is refused" "$(run_status "$VIDLAKE" generate --events ten)" 2

# real time: paced lines stamped with now, the truth written on SIGINT
start=$(date -u +%s)
timeout -s INT 3 "$VIDLAKE" generate --rate 200 --seed 5 --truth "$WORK/rt.json" > "$WORK/rt.ndjson"
n=$(wc -l < "$WORK/rt.ndjson")
check "real-time mode paces about 200 events/s" test "$n" -gt 300 -a "$n" -lt 900
first=$(head -1 "$WORK/rt.ndjson" | jq -r .event_time)
check "real-time events are stamped now" test "$(date -u -d "$first" +%s)" -ge $((start - 5))
check_eq "real-time truth is written on interrupt" "$(jq .lines "$WORK/rt.json")" "$n"
