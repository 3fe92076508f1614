# vidlake ingest --from FILE: events into bronze/events, rejects into
# bronze/dead_letters, exactly once across re-runs and kill -9.
#   - bronze/events holds the valid events (duplicates included: bronze is
#     "as received"), counted by type as validate counts them, partitioned
#     by event_date; every event_id of a valid line is there as often as
#     the file has it;
#   - bronze/dead_letters holds the rejected lines, counted by reason as
#     validate counts them, with their line numbers and raw bytes;
#   - ingesting the same file again adds nothing;
#   - a loader killed with SIGKILL at random moments and started again
#     ends with exactly the same tables;
#   - DuckDB reads the bronze files and counts the same rows.
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
T="ingest file"

"$V" generate --events 30000 --seed 11 --invalid-fraction 0.02 --duplicate-fraction 0.02 --late-fraction 0.05 \
  --days 2 > "$WORK/ev.ndjson"
"$V" validate "$WORK/ev.ndjson" --json > "$WORK/val.json" 2>/dev/null
valid=$(jq .valid "$WORK/val.json"); invalid=$(jq .invalid "$WORK/val.json")

check_eq "ingest exits 0" "$(run_status "$V" ingest --lake "$WORK/lake" --from "$WORK/ev.ndjson" --commit-rows 7000)" 0
check "ingest reports its counts" grep -q "^ingest: $valid events into bronze/events, $invalid into bronze/dead_letters" "$WORK/err"
E="$WORK/lake/bronze/events"; D="$WORK/lake/bronze/dead_letters"

by_type() { "$V" table scan "$1" --columns event_type | jq -r .event_type | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'; }
want_types=$(jq -r '.by_type | to_entries | map(select(.value > 0)) | sort_by(.key) | map("\(.key)=\(.value)") | join(" ")' "$WORK/val.json")
check_eq "bronze/events counts by type equal validate's" "$(by_type "$E" | sed 's/ $//')" "$want_types"
by_reason() { "$V" table scan "$D" --columns reason | jq -r .reason | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'; }
want_reasons=$(jq -r '.by_reason | to_entries | sort_by(.key) | map("\(.key)=\(.value)") | join(" ")' "$WORK/val.json")
check_eq "bronze/dead_letters counts by reason equal validate's" "$(by_reason | sed 's/ $//')" "$want_reasons"

# event ids: every valid line's id, as often as it appears (duplicates kept)
"$V" validate "$WORK/ev.ndjson" --show 1000000 > "$WORK/rejects" 2>&1 || true
sed -n 's/^.*ev\.ndjson:\([0-9]*\): .*/\1/p' "$WORK/rejects" | sort -n > "$WORK/bad_lines"
check_eq "validate lists every rejected line" "$(wc -l < "$WORK/bad_lines")" "$invalid"
awk 'NR == FNR { bad[$1] = 1; next } !(FNR in bad)' "$WORK/bad_lines" "$WORK/ev.ndjson" | jq -r .event_id | sort > "$WORK/ids.want"
"$V" table scan "$E" --columns event_id | jq -r .event_id | sort > "$WORK/ids.got"
check "bronze/events holds each valid event_id as often as the file" cmp -s "$WORK/ids.got" "$WORK/ids.want"
check_eq "dead letters carry the rejected line numbers" \
  "$("$V" table scan "$D" --columns line | jq -r .line | sort -n | tr '\n' ' ')" "$(tr '\n' ' ' < "$WORK/bad_lines")"
first_bad=$(head -1 "$WORK/bad_lines")
raw=$("$V" table scan "$D" --where "line = $first_bad" --columns raw | jq -r .raw | base64 -d | md5sum)
check_eq "dead letters keep the raw bytes" "$raw" "$(sed -n "${first_bad}p" "$WORK/ev.ndjson" | tr -d '\n' | md5sum)"
check "events are partitioned by event_date" sh -c "ls '$E' | grep -q '^event_date=2024-05-0[12]$'"
check_eq "the source's byte offset is recorded in both tables" \
  "$("$V" table describe "$E" --json | jq -r '.txns | to_entries[0].value')/$("$V" table describe "$D" --json | jq -r '.txns | to_entries[0].value')" \
  "$(stat -c %s "$WORK/ev.ndjson")/$(stat -c %s "$WORK/ev.ndjson")"

"$V" table scan "$E" | sort | md5sum > "$WORK/events.md5"
"$V" table scan "$D" | sort | md5sum > "$WORK/dead.md5"
vE=$("$V" table describe "$E" --json | jq .version)
check_eq "a second ingest of the same file exits 0" "$(run_status "$V" ingest --lake "$WORK/lake" --from "$WORK/ev.ndjson")" 0
check "it says it resumes at the end" grep -q "resuming at byte $(stat -c %s "$WORK/ev.ndjson")" "$WORK/err"
check_eq "and commits nothing" "$("$V" table describe "$E" --json | jq .version)" "$vE"

# kill -9 at random moments, then finish: the same tables, exactly once
for i in 1 2 3 4 5 6; do
  "$V" ingest --lake "$WORK/lake2" --from "$WORK/ev.ndjson" --commit-rows 3000 --batch-rows 1000 > /dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 9 + 1 ))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
check_eq "after six kills the seventh ingest finishes" \
  "$(run_status "$V" ingest --lake "$WORK/lake2" --from "$WORK/ev.ndjson" --commit-rows 3000)" 0
check_eq "bronze/events after kills equals a clean ingest" \
  "$("$V" table scan "$WORK/lake2/bronze/events" --columns event_id | jq -r .event_id | sort | md5sum)" "$(md5sum < "$WORK/ids.want")"
check_eq "bronze/dead_letters after kills has every reject once" \
  "$("$V" table scan "$WORK/lake2/bronze/dead_letters" --columns line | jq -r .line | sort -n | md5sum)" \
  "$(md5sum < "$WORK/bad_lines")"

check_eq "a missing file exits 2" "$(run_status "$V" ingest --lake "$WORK/lake" --from "$WORK/nope.ndjson")" 2
check "it names the file" grep -q "nope.ndjson" "$WORK/err"
check_eq "--lake is required" "$(run_status "$V" ingest --from "$WORK/ev.ndjson")" 2

need_duckdb_peer "$T: DuckDB"
files=$("$V" table files "$E" | jq -r '.path' | sed "s|^|$E/|" | jq -R . | jq -s -c .)
n=$(node "$PEER" sql "SELECT count(*) AS n FROM read_parquet($files)" | jq .n)
check_eq "DuckDB reads the bronze event files: $valid rows" "$n" "$valid"
