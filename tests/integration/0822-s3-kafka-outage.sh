# Kafka -> bronze on S3 through a store outage.
#   - `ingest --from kafka://` (a mock cluster, 4 partitions) into s3:// on
#     the throwaway gateway: once half the records are committed, radosgw
#     is stopped (SIGTERM), the other half is produced, and 5 s later the
#     gateway starts again. The member's commits fail meanwhile: it says
#     so, drops what was pending, pauses, and reads it again from the
#     positions in the tables once they can be read. After SIGTERM it
#     exits 0, and bronze holds every valid event exactly once (event_id
#     multiset against a file ingest of the same lines), every invalid
#     record once, and each partition's txn is its last offset.
#   - With --store-retry 0, a failed commit ends the run (exit 2, naming
#     the store), and a later run loads the records once.
#   - --until-end with radosgw killed after its first commit: it exits 0
#     only once every partition is committed up to its end, exactly once.
#   - A rebalance during an outage: of two members, one is killed while
#     the gateway is down; the survivor gets its partitions (whose positions
#     cannot be read yet), does not end, and once the gateway is back
#     commits the topic exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T=s3-kafka-outage
need_rgw "$T"
trap 'stop_rgw; kafka_cleanup' EXIT
export LC_ALL=C
V=$VIDLAKE
N=${VIDLAKE_KAFKA_EVENTS:-20000}

if ! RGW_MGR=0 start_rgw "$WORK/ceph"; then
  fail "$T: start_rgw brings up the gateway"
  exit 0
fi
rgw_env
check "$T: bucket created" rgw_mb lake
kafka_cluster 4 ev ev2 ev3 ev4

"$V" generate --events "$N" --seed 31 --invalid-fraction 0.02 --duplicate-fraction 0.02 --days 2 > "$WORK/ev.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/ev.ndjson" > /dev/null 2>&1
head -n $((N / 2)) "$WORK/ev.ndjson" > "$WORK/half1"
tail -n +$((N / 2 + 1)) "$WORK/ev.ndjson" > "$WORK/half2"

L=s3://lake/k
ING=(ingest --lake "$L" --from "kafka://$BROKERS/ev" --group g --commit-interval 200ms --target-file-size 64KiB
  --batch-rows 1000 "${KX[@]}")
bg /dev/null "$WORK/ing.err" "$V" "${ING[@]}"; I=$BG
check "$T: the member gets the partitions" wait_for "$WORK/ing.err" "assigned partition" 30
check "$T: the first half is produced" sh -c "'$KT' produce --brokers '$BROKERS' --topic ev < '$WORK/half1' 2> /dev/null"
# wait for it to be committed: every partition's txn at its last offset
committed() { [ "$(txns "$L" events 2>/dev/null)" = "$(want_txns g ev)" ]; }
for ((w = 0; w < 600; w++)); do committed && break; sleep 0.1; done
check "$T: the first half is committed" committed

rgw_stop_gateway TERM
check "$T: the second half is produced while the gateway is down" \
  sh -c "'$KT' produce --brokers '$BROKERS' --topic ev < '$WORK/half2' 2> /dev/null"
check "$T: the member says its commit failed and when it tries again" wait_for "$WORK/ing.err" "trying again in" 30
sleep 5
check "$T: ... and is still running" kill -0 "$I"
check "$T: the gateway starts again" rgw_start_gateway
check "$T: the member says the store takes commits again" wait_for "$WORK/ing.err" "takes commits again" 90
for ((w = 0; w < 600; w++)); do committed && break; sleep 0.1; done
check "$T: every partition is committed up to its last offset" committed
stop "$I"
check_eq "$T: SIGTERM: the member exits 0" "$STOP_RC" 0
retried=$(sed -n 's/.*, \([0-9]*\) store failures retried.*/\1/p' "$WORK/ing.err")
check "$T: its summary counts the retried failures (${retried:-none})" test "${retried:-0}" -gt 0
check "$T: no sanitizer report" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK/ing.err'"
grep -E "WARN|INFO" "$WORK/ing.err" | grep -E "store|trying|commits again" | head -4 | cut -c1-300 | sed "s/^/# /"

ids "$WORK/ref" > "$WORK/ids.ref"
ids "$L" > "$WORK/ids.s3"
check_eq "$T: bronze/events holds every valid event exactly once ($(wc -l < "$WORK/ids.ref"))" \
  "$(md5sum < "$WORK/ids.s3")" "$(md5sum < "$WORK/ids.ref")"
check_eq "$T: bronze/dead_letters holds every invalid record once, with its reason" "$(reasons "$L")" \
  "$(reasons "$WORK/ref")"
check_eq "$T: ... and its raw bytes" "$(raws "$L")" "$(raws "$WORK/ref")"
check_eq "$T: the dead letters' txns are the last offsets too" "$(txns "$L" dead_letters)" "$(want_txns g ev)"

# --store-retry 0: the first failed commit ends the run
L2=s3://lake/k2
ING2=(ingest --lake "$L2" --from "kafka://$BROKERS/ev2" --group g2 --commit-interval 200ms --store-retry 0 "${KX[@]}")
bg /dev/null "$WORK/ing2.err" "$V" "${ING2[@]}"; I2=$BG
check "$T: --store-retry 0: the member gets the partitions" wait_for "$WORK/ing2.err" "assigned partition" 30
rgw_stop_gateway TERM
head -n 1000 "$WORK/ev.ndjson" | "$KT" produce --brokers "$BROKERS" --topic ev2 2> /dev/null
for ((w = 0; w < 600; w++)); do kill -0 "$I2" 2>/dev/null || break; sleep 0.1; done
wait "$I2"
check_eq "$T: --store-retry 0: a failed commit ends the run with exit 2" "$?" 2
check "$T: ... naming the store" grep -q "committing to $L2" "$WORK/ing2.err"
check "$T: the gateway starts again" rgw_start_gateway
"$V" ingest --lake "$L2" --from "kafka://$BROKERS/ev2" --group g2 --until-end "${KX[@]}" > /dev/null 2> "$WORK/ing3.err"
check_eq "$T: a later run with --until-end exits 0" "$?" 0
head -n 1000 "$WORK/ev.ndjson" | "$V" ingest --lake "$WORK/ref2" --from - > /dev/null 2>&1
check_eq "$T: ... and loads the records once" "$(ids "$L2" | md5sum)" "$(ids "$WORK/ref2" | md5sum)"

# --until-end through an outage: it must not end before everything it read
# is committed (after a seek librdkafka reports the old position for a
# moment; that is not the end)
"$V" generate --events 6000 --seed 32 --days 1 > "$WORK/ev3.ndjson"
"$KT" produce --brokers "$BROKERS" --topic ev3 < "$WORK/ev3.ndjson" 2> /dev/null
L3=s3://lake/k3
bg /dev/null "$WORK/ing4.err" "$V" ingest --lake "$L3" --from "kafka://$BROKERS/ev3" --group g3 --until-end \
  --commit-interval 100ms --target-file-size 16KiB --batch-rows 500 "${KX[@]}"; I4=$BG
for ((w = 0; w < 600; w++)); do [ -n "$(txns "$L3" events 2>/dev/null)" ] && break; sleep 0.05; done
rgw_stop_gateway KILL
sleep 3
check "$T: --until-end: the gateway starts again" rgw_start_gateway
for ((w = 0; w < 900; w++)); do kill -0 "$I4" 2>/dev/null || break; sleep 0.1; done
wait "$I4"
check_eq "$T: --until-end: the member exits 0 after the outage" "$?" 0
check "$T: ... having retried" grep -q "trying again in" "$WORK/ing4.err"
check_eq "$T: ... and committed every partition up to its end" "$(txns "$L3" events)" "$(want_txns g3 ev3)"
"$V" ingest --lake "$WORK/ref3" --from "$WORK/ev3.ndjson" > /dev/null 2>&1
check_eq "$T: ... every event exactly once" "$(ids "$L3" | md5sum)" "$(ids "$WORK/ref3" | md5sum)"

# a rebalance during an outage: of two members, one is killed while the
# gateway is down; the other is given its partitions then (their positions
# cannot be read yet), does not end, and once the gateway is back it
# commits the topic exactly once
L4=s3://lake/k4
ING4=(ingest --lake "$L4" --from "kafka://$BROKERS/ev4" --group g4 --commit-interval 200ms "${KX[@]}")
bg /dev/null "$WORK/m1.err" "$V" "${ING4[@]}"; M1=$BG
bg /dev/null "$WORK/m2.err" "$V" "${ING4[@]}"; M2=$BG
both_assigned() { wait_for "$WORK/m1.err" 'assigned partition' 30 && wait_for "$WORK/m2.err" 'assigned partition' 30; }
check "$T: rebalance: both members are assigned partitions" both_assigned
head -n $((N / 2)) "$WORK/ev.ndjson" | "$KT" produce --brokers "$BROKERS" --topic ev4 2> /dev/null
committed4() { [ "$(txns "$L4" events 2>/dev/null)" = "$(want_txns g4 ev4)" ]; }
for ((w = 0; w < 600; w++)); do committed4 && break; sleep 0.1; done
check "$T: rebalance: the members commit what the topic holds" committed4
rgw_stop_gateway TERM
tail -n +$((N / 2 + 1)) "$WORK/ev.ndjson" | "$KT" produce --brokers "$BROKERS" --topic ev4 2> /dev/null
kill -9 "$M2"
wait "$M2" 2> /dev/null
n1=$(grep -c "assigned partition" "$WORK/m1.err")
for ((w = 0; w < 400; w++)); do [ "$(grep -c "assigned partition" "$WORK/m1.err")" -gt "$n1" ] && break; sleep 0.1; done
check "$T: rebalance: the survivor is given the dead member's partitions while the gateway is down" \
  test "$(grep -c "assigned partition" "$WORK/m1.err")" -gt "$n1"
sleep 1
check "$T: ... and is still running" kill -0 "$M1"
check "$T: the gateway starts again" rgw_start_gateway
for ((w = 0; w < 900; w++)); do committed4 && break; sleep 0.1; done
check "$T: rebalance: every partition is committed up to its last offset" committed4
stop "$M1"
check_eq "$T: rebalance: the survivor exits 0 on SIGTERM" "$STOP_RC" 0
check_eq "$T: rebalance: bronze/events holds every valid event exactly once" \
  "$(ids "$L4" | md5sum)" "$(md5sum < "$WORK/ids.ref")"
check "$T: no sanitizer report" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK'/ing*.err '$WORK'/m1.err"
