# Kafka -> bronze killed with SIGKILL at 20 random moments, exactly once.
# 1,000,000 generated events (1% invalid, 2% duplicates) are produced to a
# 16-partition topic; `ingest --from kafka://` is started, killed with
# SIGKILL at a random moment once it committed about N/50 more records
# (while decoding, writing data files, committing one table and not the
# other, committing Kafka offsets...) and started again, 20 times; a last
# run with
# --until-end finishes. Then bronze/events holds exactly the valid events
# (event_id multiset against a file ingest of the same lines), and
# bronze/dead_letters every invalid record once (reasons, raw bytes,
# partition and offset), and both tables' txns are the partitions' last
# offsets.
#
# Each run joins a fresh consumer group with the same --app: the mock
# broker keeps a dead member for session.timeout.ms, which cannot be
# shorter than its 3 s initial rebalance delay, so reusing the group would
# cost 4-8 s per restart. The exactly-once state is the appId's txns in the
# tables, not the group's offsets, so this is the same restart for it
# (0400-kafka-ingest.sh restarts members of one group). Each run is started
# while the one before still works, so that its 3 s wait overlaps; when
# they overlap for real, they race for the partitions too.
#
# The events are many and the runs short: with an ASan build this uses the
# release binary build/vidlake when it exists; without one it scales down
# to VIDLAKE_KAFKA_CRASH_EVENTS (default then 200000).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
export LC_ALL=C
T="kafka crash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
V=$VIDLAKE
N=${VIDLAKE_KAFKA_CRASH_EVENTS:-}
case "$VIDLAKE" in
  */asan/*)
    if [ -x "$ROOT/build/vidlake" ]; then
      V="$ROOT/build/vidlake"
      echo "# using the release build $V for the runs (1M events under ASan would take minutes)"
    elif [ -z "$N" ]; then
      N=200000
      echo "# no release build: scaled down to $N events (set VIDLAKE_KAFKA_CRASH_EVENTS)"
    fi
    ;;
esac
N=${N:-1000000}
KILLS=${VIDLAKE_KAFKA_CRASH_KILLS:-20}
L="$WORK/lake"
t0=$(date +%s)

kafka_cluster 16 crash
GEN=(--events "$N" --seed 41 --invalid-fraction 0.01 --duplicate-fraction 0.02 --days 2)
"$V" generate "${GEN[@]}" > "$WORK/ev.ndjson"
check_eq "generate --to kafka:// (zstd) exits 0" \
  "$(run_status "$V" generate "${GEN[@]}" --to "kafka://$BROKERS/crash" -X compression.codec=zstd)" 0
"$KT" offsets --brokers "$BROKERS" --topic crash --group none > "$WORK/marks"
check_eq "the topic holds all $N records from offset 0" "$(awk '{ n += $4 - $3; lo += $3 } END { print n, lo }' "$WORK/marks")" "$N 0"
# the reference, a file ingest of the same lines, meanwhile (the runs mostly
# wait for their group)
( "$V" ingest --lake "$WORK/ref" --from "$WORK/ev.ndjson" && ids "$WORK/ref" > "$WORK/ids.want" ) > /dev/null 2>&1 &
REF=$!
BG_PIDS+=("$REF")

ING=(ingest --lake "$L" --from "kafka://$BROKERS/crash" --app crash --commit-interval 250ms --target-file-size 2MiB
  --batch-rows 5000 "${KX[@]}")
crashed=0 done_before=0
total=$(awk '$4 > 0 { s += $4 - 1 } END { print s + 0 }' "$WORK/marks") # the txns' sum at the end
# progress: the sum of the events table's txn versions (offsets committed)
progress() { "$V" table describe "$L/bronze/events" --json 2>/dev/null | jq '[.txns[]] | add // 0' 2>/dev/null || echo 0; }
# start RUN: starts run RUN in the background (its own group), sets pids[RUN]
pids=()
start() {
  bg /dev/null "$WORK/run.$1.err" "$V" "${ING[@]}" --group "crash-$1"
  pids[$1]=$BG
}
start 1
for ((i = 1; i <= KILLS; i++)); do
  pid=${pids[$i]}
  if ! wait_for "$WORK/run.$i.err" "assigned partition|vidlake ingest:" 30; then
    fail "$T: run $i got no partitions within 30 s: $(tail -c 300 "$WORK/run.$i.err")"
  fi
  # the next run joins its group now: its 3 s wait overlaps this run's
  # work (and when this run lives long enough, they race for the same
  # partitions, which the txn checks must sort out)
  [ "$i" -lt "$KILLS" ] && start $((i + 1))
  # let it commit about N/50 records more, then kill it 0 to 0.25 s later
  # (commits come every 0.1 s or so): the kills spread over the whole
  # ingest and over every stage of the commit cycle
  goal=$((done_before + N / 50))
  [ "$goal" -gt "$total" ] && goal=$total
  for ((w = 0; w < 400; w++)); do
    [ "$(progress)" -ge "$goal" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  sleep "0.$(printf %02d $((RANDOM % 26)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $? -eq 137 ] && crashed=$((crashed + 1))
  cluster_alive || break
  if sanitizer "$WORK/run.$i.err" || grep -q "vidlake ingest:" "$WORK/run.$i.err"; then
    fail "$T: run $i failed: $(grep -m3 -E 'vidlake ingest:|ERROR|runtime error' "$WORK/run.$i.err")"
  fi
  done_before=$(progress)
  echo "# run $i killed; the partitions' committed offsets add up to $done_before" \
    "$(grep -c 'commit lost' "$WORK/run.$i.err" | sed 's/^0$//; s/.\+/(& commits lost to the next run)/')"
done
check_eq "$KILLS runs were killed with SIGKILL" "$crashed" "$KILLS"

check_eq "a last run with --until-end exits 0" \
  "$(run_status timeout 300 "$V" "${ING[@]}" --group crash-final --until-end)" 0
grep "^ingest:" "$WORK/err" | sed 's/^/# /'

wait "$REF"
check_eq "the reference file ingest exits 0" "$?" 0
invalid=$("$V" table scan "$WORK/ref/bronze/dead_letters" --columns line | wc -l)
ids "$L" > "$WORK/ids.got"
check_eq "bronze/events has every valid event (count)" "$(wc -l < "$WORK/ids.got")" "$(wc -l < "$WORK/ids.want")"
check "bronze/events holds each valid event_id exactly as often as it was sent: no loss, no duplicate" \
  cmp -s "$WORK/ids.got" "$WORK/ids.want"
check_eq "bronze/dead_letters keeps every invalid record, with its reason" "$(reasons "$L")" "$(reasons "$WORK/ref")"
check_eq "dead letters keep the raw bytes" "$(raws "$L")" "$(raws "$WORK/ref")"
positions "$L" > "$WORK/pos"
check_eq "each invalid record is in bronze/dead_letters once (by partition and offset)" \
  "$(sort -u "$WORK/pos" | wc -l) $(wc -l < "$WORK/pos")" "$invalid $invalid"
check_eq "bronze/events: txn crash-crash-<partition> = the partition's last offset" \
  "$(txns "$L" events)" "$(want_txns crash crash)"
check_eq "bronze/dead_letters: the same txns" "$(txns "$L" dead_letters)" "$(want_txns crash crash)"
echo "# $N events, $KILLS kills: $(($(date +%s) - t0)) s"
