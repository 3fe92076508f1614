# Kafka -> bronze with a consumer group, exactly once across a kill -9.
#   - `generate --to kafka://` produces every line of the same generated
#     file (kafka_tool dump reads them back), keyed by session_id: all of a
#     session's records are in one partition;
#   - two `ingest --from kafka://` members of one group share the 4
#     partitions while the records arrive; one is killed with SIGKILL in
#     the middle and started again; SIGTERM makes both commit and exit 0;
#     a last member with --until-end finishes and exits 0;
#   - bronze/events then holds exactly the valid events (event_id multiset,
#     duplicates included, against a file ingest of the same lines),
#     bronze/dead_letters every invalid record once, with its reason, raw
#     bytes, source kafka://ev/<partition> and offset;
#   - each partition's last offset is the txn version in both tables
#     (appId g-ev-<partition>), and the group's Kafka offsets follow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
export LC_ALL=C
V=$VIDLAKE
T="kafka ingest"
N=${VIDLAKE_KAFKA_EVENTS:-40000}
L="$WORK/lake"

kafka_cluster 4 ev
GEN=(--events "$N" --seed 21 --invalid-fraction 0.02 --duplicate-fraction 0.02 --late-fraction 0.02 --days 2)
"$V" generate "${GEN[@]}" > "$WORK/ev.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/ev.ndjson" > /dev/null 2>&1
invalid=$("$V" validate "$WORK/ev.ndjson" --json 2>/dev/null | jq .invalid)

# two members join the group together (one assignment round: 2 partitions each)
ING=(ingest --lake "$L" --from "kafka://$BROKERS/ev" --group g --commit-interval 200ms --target-file-size 256KiB
  --batch-rows 2000 "${KX[@]}")
bg /dev/null "$WORK/a1.err" "$V" "${ING[@]}"; A=$BG
bg /dev/null "$WORK/b.err" "$V" "${ING[@]}"; B=$BG
wait_for "$WORK/a1.err" "assigned partition" 30 && wait_for "$WORK/b.err" "assigned partition" 30
check "both members get partitions" \
  sh -c "! grep -q 'assigned partition(s) (none)' '$WORK/a1.err' '$WORK/b.err'"

# produce while they consume; kill one of them in the middle: once it
# committed one of its partitions, 0 to 0.3 s later
bg /dev/null "$WORK/gen.err" "$V" generate "${GEN[@]}" --to "kafka://$BROKERS/ev"; G=$BG
pa=$(sed -n 's/.*assigned partition(s) \([0-9]*\) .*/\1/p' "$WORK/a1.err" | head -1)
for ((w = 0; w < 200; w++)); do
  "$V" table describe "$L/bronze/events" --json 2>/dev/null | jq -e ".txns[\"g-ev-$pa\"]" > /dev/null && break
  sleep 0.1
done
sleep "0.$((RANDOM % 4))"
kill -9 "$A"
wait "$A" 2>/dev/null
wait "$G"
check_eq "generate --to kafka:// exits 0" "$?" 0
hwm=$("$KT" offsets --brokers "$BROKERS" --topic ev --group none | awk -v p="$pa" '$1 == p { print $4 }')
echo "# killed a member once it had committed partition $pa up to offset" \
  "$("$V" table describe "$L/bronze/events" --json | jq ".txns[\"g-ev-$pa\"]") of $((hwm - 1))"

"$KT" dump --brokers "$BROKERS" --topic ev --meta > "$WORK/dump.tsv" 2> "$WORK/dump.err"
check_eq "kafka_tool dump reads every produced record" "$(wc -l < "$WORK/dump.tsv")" "$N"
cut -f4- "$WORK/dump.tsv" > "$WORK/dump.ndjson"
check "the topic holds exactly the generated lines" \
  cmp -s <(sort "$WORK/dump.ndjson") <(sort "$WORK/ev.ndjson")
check_eq "every session's records are in one partition" \
  "$(cut -f1,3 "$WORK/dump.tsv" | awk -F'\t' '$2 != ""' | sort -u | cut -f2 | sort | uniq -d | wc -l)" 0
# the key of each record whose value is JSON with a session_id is that id
jq -R -r '(fromjson? | .session_id | strings) // "-"' "$WORK/dump.ndjson" > "$WORK/sessions" 2>/dev/null
check_eq "records are keyed by session_id" \
  "$(cut -f3 "$WORK/dump.tsv" | paste - "$WORK/sessions" | awk -F'\t' '$2 != "-" && $1 != $2' | wc -l)" 0
check "most records have a key" test "$(cut -f3 "$WORK/dump.tsv" | grep -c .)" -gt $((N * 9 / 10))

# the killed member comes back; once it has partitions again both stop
bg /dev/null "$WORK/a2.err" "$V" "${ING[@]}"; A2=$BG
check "the restarted member gets partitions after the rebalance" wait_for "$WORK/a2.err" "assigned partition" 40
sleep 0.5
stop "$A2"
check_eq "SIGTERM: the restarted member commits and exits 0" "$STOP_RC" 0
stop "$B"
check_eq "SIGTERM: the other member commits and exits 0" "$STOP_RC" 0
check "a stopped member reports its counts" grep -q "^ingest: [0-9]* events into bronze/events" "$WORK/b.err"

# a last member reads what is left and stops at the end
check_eq "ingest --until-end exits 0" \
  "$(run_status timeout 120 "$V" "${ING[@]}" --until-end)" 0
cp "$WORK/err" "$WORK/end.err"
check "it reports its counts" grep -q "^ingest: [0-9]* events into bronze/events" "$WORK/end.err"

ids "$WORK/ref" > "$WORK/ids.want"
ids "$L" > "$WORK/ids.got"
check_eq "bronze/events has every valid event (count)" "$(wc -l < "$WORK/ids.got")" "$(wc -l < "$WORK/ids.want")"
check "bronze/events holds each valid event_id exactly as often as it was sent" cmp -s "$WORK/ids.got" "$WORK/ids.want"
check_eq "bronze/dead_letters keeps every invalid record, with its reason" "$(reasons "$L")" "$(reasons "$WORK/ref")"
check_eq "dead letters keep the raw bytes" "$(raws "$L")" "$(raws "$WORK/ref")"
# which records are invalid: validate the dumped values; their line
# numbers give (partition, offset)
"$V" validate "$WORK/dump.ndjson" --show 1000000 > "$WORK/rejects" 2>&1
sed -n 's/^.*dump\.ndjson:\([0-9]*\): .*/\1/p' "$WORK/rejects" |
  awk 'NR == FNR { bad[$1] = 1; next } (FNR in bad) { print "kafka://ev/" $1 " " $2 }' - "$WORK/dump.tsv" |
  sort > "$WORK/pos.want"
check_eq "validate finds $invalid invalid records in the topic" "$(wc -l < "$WORK/pos.want")" "$invalid"
check "each dead letter names its partition and offset, once" cmp -s <(positions "$L") "$WORK/pos.want"
check_eq "bronze/events: txn g-ev-<partition> = the partition's last offset" "$(txns "$L" events)" "$(want_txns g ev)"
check_eq "bronze/dead_letters: the same txns" "$(txns "$L" dead_letters)" "$(want_txns g ev)"
check_eq "the group's committed Kafka offsets are the high watermarks" \
  "$("$KT" offsets --brokers "$BROKERS" --topic ev --group g | awk '$2 != $4' | wc -l)" 0

# once everything is in, another member commits nothing
vE=$("$V" table describe "$L/bronze/events" --json | jq .version)
check_eq "an --until-end member with nothing left exits 0" \
  "$(run_status timeout 60 "$V" "${ING[@]}" --until-end)" 0
check_eq "and commits nothing" "$("$V" table describe "$L/bronze/events" --json | jq .version)" "$vE"
check "no sanitizer reports" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK'/*.err '$WORK/err'"
