# Kafka sources and sinks that cannot work fail fast, with clear errors:
#   - malformed kafka:// URLs, a missing --group, options of the other
#     kind of source, bad option values, -X properties librdkafka refuses
#     (named in the message), for ingest and for generate;
#   - a topic that does not exist;
#   - brokers that do not answer: exit 2 within the 10 s connect timeout,
#     naming the brokers and the connection error (no hang);
#   - SIGTERM while still joining the group: exit 0 at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
V=$VIDLAKE
T="kafka errors"
L="$WORK/lake"

kafka_cluster 2 ev
ING=(ingest --lake "$L" --group g "${KX[@]}")

# the unreachable brokers first, in the background: they take the connect
# timeout. timed NAME CMD...: runs CMD, NAME.rc its status, NAME.ms its time
timed() {
  local name=$1 s; shift
  s=$(date +%s%N)
  timeout 60 "$@" > /dev/null 2> "$WORK/$name.err"
  echo $? > "$WORK/$name.rc"
  echo $((($(date +%s%N) - s) / 1000000)) > "$WORK/$name.ms"
}
timed down_ingest "$V" ingest --lake "$L" --from kafka://127.0.0.1:1/ev --group g &
DI=$!
timed down_gen "$V" generate --events 10 --to kafka://127.0.0.1:1/ev &
DG=$!

for url in "kafka://" "kafka:///ev" "kafka://127.0.0.1:9092" "kafka://127.0.0.1:9092/" "kafka://127.0.0.1:x/ev" \
  "kafka://h:1/a/b" "kafka://h:1/bad topic" "kafka://h:1,/ev"; do
  check_eq "ingest --from '$url' exits 2" "$(run_status timeout 20 "$V" "${ING[@]}" --from "$url")" 2
  check "ingest names the URL '$url'" grep -qF -- "$url" "$WORK/err"
  check_eq "generate --to '$url' exits 2" "$(run_status timeout 20 "$V" generate --events 10 --to "$url")" 2
  check "generate names the URL '$url'" grep -qF -- "$url" "$WORK/err"
done

check_eq "--from kafka:// without --group exits 2" \
  "$(run_status timeout 20 "$V" ingest --lake "$L" --from "kafka://$BROKERS/ev")" 2
check "it asks for --group" grep -q -- "needs --group" "$WORK/err"
check_eq "--source-id with a Kafka source exits 2" \
  "$(run_status timeout 20 "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" --source-id x)" 2
check "it says what --source-id applies to" grep -q -- "--source-id applies to files" "$WORK/err"
echo '{}' > "$WORK/one.ndjson"
check_eq "--group with a file exits 2" "$(run_status "$V" ingest --lake "$L" --from "$WORK/one.ndjson" --group g)" 2
check "it says --group is for Kafka" grep -q -- "--group applies to kafka:// sources only" "$WORK/err"
check_eq "-X with a file exits 2" "$(run_status "$V" ingest --lake "$L" --from "$WORK/one.ndjson" -X a=b)" 2
check_eq "--commit-interval soon exits 2" \
  "$(run_status "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" --commit-interval soon)" 2
check "it names the option and the value" grep -q -- "--commit-interval: 'soon' is not a duration" "$WORK/err"
check_eq "--target-file-size 0 exits 2" \
  "$(run_status "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" --target-file-size 0)" 2
check_eq "-X without = exits 2" "$(run_status "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" -X novalue)" 2
check "it says KEY=VALUE" grep -q "expected KEY=VALUE" "$WORK/err"

check_eq "ingest -X no.such.property=1 exits 2" \
  "$(run_status timeout 20 "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" -X no.such.property=1)" 2
check "it names the property" grep -q "no.such.property" "$WORK/err"
check_eq "ingest -X session.timeout.ms=soon exits 2" \
  "$(run_status timeout 20 "$V" "${ING[@]}" --from "kafka://$BROKERS/ev" -X session.timeout.ms=soon)" 2
check "it names the property and the value" grep -q "session.timeout.ms=soon" "$WORK/err"
check_eq "generate -X no.such.property=1 exits 2" \
  "$(run_status timeout 20 "$V" generate --events 10 --to "kafka://$BROKERS/ev" -X no.such.property=1)" 2
check "generate names the property" grep -q "no.such.property" "$WORK/err"
check_eq "generate -X compression.codec=nope exits 2" \
  "$(run_status timeout 20 "$V" generate --events 10 --to "kafka://$BROKERS/ev" -X compression.codec=nope)" 2
check "it names the property" grep -q "compression.codec=nope" "$WORK/err"

check_eq "ingest from a topic that does not exist exits 2" \
  "$(run_status timeout 20 "$V" "${ING[@]}" --from "kafka://$BROKERS/nope")" 2
check "it says the topic does not exist" grep -q "topic 'nope' does not exist" "$WORK/err"

# SIGTERM while joining (the mock's first assignment takes 3 s)
bg /dev/null "$WORK/join.err" "$V" "${ING[@]}" --from "kafka://$BROKERS/ev"
J=$BG
wait_for "$WORK/join.err" "joining group" 20
s1=$(date +%s%N)
stop "$J"
check_eq "SIGTERM while joining the group: exit 0" "$STOP_RC" 0
check "at once (under 3 s)" test $(($(date +%s%N) - s1)) -lt 3000000000

wait "$DI" "$DG"
check_eq "ingest from brokers that do not answer exits 2" "$(cat "$WORK/down_ingest.rc")" 2
check "it names the brokers and the timeout" grep -q "no answer from the brokers 127.0.0.1:1 within 10 s" \
  "$WORK/down_ingest.err"
check "it says why" grep -q "Connection refused" "$WORK/down_ingest.err"
check "within 20 s" test "$(cat "$WORK/down_ingest.ms")" -lt 20000
check_eq "generate to brokers that do not answer exits 2" "$(cat "$WORK/down_gen.rc")" 2
check "it names the brokers" grep -q "no answer from the brokers 127.0.0.1:1 within 10 s" "$WORK/down_gen.err"
check "within 20 s" test "$(cat "$WORK/down_gen.ms")" -lt 20000
check "no sanitizer reports" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK'/*.err '$WORK/err'"
