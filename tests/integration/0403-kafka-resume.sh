# Kafka -> bronze in the states crashes and races leave behind.
#   - A crash between the two tables' commits (bronze commits dead letters
#     first): dead_letters holds partitions 0 and 1 further than events
#     does (built by copying the dead_letters table of a lake that got
#     further). A member resumes each partition at the events position,
#     re-adds only the events, skips the dead letters the table holds, and
#     holds its commits until those partitions have caught up, pausing the
#     other partitions meanwhile (--max-pending); the result equals a
#     single clean ingest.
#   - Two members of different groups with the same --app, reading the
#     same partitions at once: every commit of the loser fails on the txn
#     versions it expected, it re-reads them and seeks; the tables still
#     hold every record once.
#   - The file source in the same crash state (dead_letters ahead).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
export LC_ALL=C
V=$VIDLAKE
T="kafka resume"
A="$WORK/a"
kafka_cluster 4 ev

gen() { "$V" generate --events "$1" --seed "$2" --invalid-fraction 0.03 --duplicate-fraction 0.02; }
ING=(ingest --from "kafka://$BROKERS/ev" --app r --commit-interval 200ms --batch-rows 3000 "${KX[@]}" --until-end)

# phase 1: everything committed
gen 12000 31 > "$WORK/p1.ndjson"
check_eq "produce phase 1" "$(run_status "$V" generate --events 12000 --seed 31 --invalid-fraction 0.03 \
  --duplicate-fraction 0.02 --to "kafka://$BROKERS/ev")" 0
check_eq "phase 1 ingest exits 0" "$(run_status timeout 60 "$V" "${ING[@]}" --lake "$A" --group r1)" 0
cp -r "$A" "$WORK/b"
# phase 2, to partitions 0 and 1 only: lake b gets it all
gen 8000 32 > "$WORK/p2.ndjson"
head -4000 "$WORK/p2.ndjson" | "$KT" produce --brokers "$BROKERS" --topic ev --partition 0
tail -n +4001 "$WORK/p2.ndjson" | "$KT" produce --brokers "$BROKERS" --topic ev --partition 1
check_eq "phase 2 ingest into a copy exits 0" "$(run_status timeout 60 "$V" "${ING[@]}" --lake "$WORK/b" --group r2)" 0
# the crash state in lake a: dead letters of phase 2 committed, its events not
rm -rf "$A/bronze/dead_letters"
cp -r "$WORK/b/bronze/dead_letters" "$A/bronze/"
check "dead_letters is ahead of events for partition 0" \
  test "$(txns "$A" dead_letters | grep r-ev-0=)" != "$(txns "$A" events | grep r-ev-0=)"
# phase 3, to every partition
gen 12000 33 > "$WORK/p3.ndjson"
check_eq "produce phase 3" "$(run_status "$V" generate --events 12000 --seed 33 --invalid-fraction 0.03 \
  --duplicate-fraction 0.02 --to "kafka://$BROKERS/ev")" 0
check_eq "the member resuming from the crash state exits 0" \
  "$(run_status timeout 60 "$V" "${ING[@]}" --lake "$A" --group r3 --max-pending 64KiB --target-file-size 32KiB)" 0
cp "$WORK/err" "$WORK/resume.err"
check "it skipped what dead_letters held" grep -q "some records were already committed" "$WORK/resume.err"
check "it paused partitions 2 and 3 while 0 and 1 caught up" grep -q "pausing 2 partition(s)" "$WORK/resume.err"

cat "$WORK/p1.ndjson" "$WORK/p2.ndjson" "$WORK/p3.ndjson" > "$WORK/all.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/all.ndjson" > /dev/null 2>&1
ids "$WORK/ref" > "$WORK/ids.want"
check "bronze/events then holds each valid event once per send" cmp -s <(ids "$A") "$WORK/ids.want"
check_eq "bronze/dead_letters every invalid record, with its reason" "$(reasons "$A")" "$(reasons "$WORK/ref")"
check_eq "and its raw bytes" "$(raws "$A")" "$(raws "$WORK/ref")"
positions "$A" > "$WORK/pos"
check_eq "each invalid record once (by partition and offset)" "$(sort -u "$WORK/pos" | wc -l)" "$(wc -l < "$WORK/pos")"
check_eq "txns: each partition's last offset, in both tables" "$(txns "$A" events) $(txns "$A" dead_letters)" \
  "$(want_txns r ev) $(want_txns r ev)"

# two groups, one appId, one lake, at once
C="$WORK/c"
bg /dev/null "$WORK/x.err" "$V" "${ING[@]}" --lake "$C" --group x
X=$BG
bg /dev/null "$WORK/y.err" "$V" "${ING[@]}" --lake "$C" --group y
Y=$BG
for m in x y; do
  if [ $m = x ]; then wait "$X"; else wait "$Y"; fi
  rc=$?
  check_eq "racing member $m exits 0" "$rc" 0
  [ $rc -ne 0 ] && grep -E "vidlake ingest:|ERROR|WARN" "$WORK/$m.err" | tail -5
done
check "a commit was lost to the other member, and redone" grep -q "commit lost" "$WORK/x.err" "$WORK/y.err"
check "bronze/events holds each valid event once per send" cmp -s <(ids "$C") "$WORK/ids.want"
check_eq "bronze/dead_letters every invalid record" "$(reasons "$C")" "$(reasons "$WORK/ref")"
positions "$C" > "$WORK/pos"
check_eq "each invalid record once" "$(sort -u "$WORK/pos" | wc -l)" "$(wc -l < "$WORK/pos")"
check_eq "txns: each partition's last offset" "$(txns "$C" events) $(txns "$C" dead_letters)" \
  "$(want_txns r ev) $(want_txns r ev)"
check "no sanitizer reports" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK'/*.err '$WORK/err'"

# The same crash state for a file source (one appId, byte offsets): the
# first commit after the resume must not take dead_letters back.
F="$WORK/all.ndjson"
head -20000 "$F" > "$WORK/f1"; head -10000 "$F" > "$WORK/f2"
"$V" ingest --lake "$WORK/fb" --from "$WORK/f1" --source-id s > /dev/null 2>&1
"$V" ingest --lake "$WORK/fa" --from "$WORK/f2" --source-id s > /dev/null 2>&1
rm -rf "$WORK/fa/bronze/dead_letters"
cp -r "$WORK/fb/bronze/dead_letters" "$WORK/fa/bronze/"
check_eq "a file ingest resuming from the crash state exits 0" \
  "$(run_status "$V" ingest --lake "$WORK/fa" --from "$F" --source-id s --commit-rows 3000)" 0
check "bronze/events then equals a clean ingest" cmp -s <(ids "$WORK/fa") "$WORK/ids.want"
check_eq "bronze/dead_letters holds each rejected line once" \
  "$("$V" table scan "$WORK/fa/bronze/dead_letters" --columns line | jq -r .line | sort -n | md5sum)" \
  "$("$V" table scan "$WORK/ref/bronze/dead_letters" --columns line | jq -r .line | sort -n | md5sum)"
