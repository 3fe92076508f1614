# vidlake serve --rt-kafka: when ingest workers elsewhere write the lake, the
# real-time engine reads the topic with its own consumer group, counts
# exactly what live viewers produce, and writes nothing to the lake.
# (Where it starts is found by time, rd_kafka_offsets_for_times, which
# librdkafka's mock cluster does not implement: it answers -1, "nothing that
# recent", so here each partition starts at its end and the viewers produce
# once the consumer has joined.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
V=$VIDLAKE
L="$WORK/lake"

kafka_cluster 4 live
bg /dev/null "$WORK/serve.err" "$V" serve --lake "$L" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --rt-kafka "kafka://$BROKERS/live" --rt-group dash "${KX[@]}"
SPID=$BG
check "the engine's consumer joins its group" wait_for "$WORK/serve.err" "assigned 4 partition" 30
URL="http://127.0.0.1:$(cat "$WORK/port")"
check_eq "live viewers produce to Kafka" "$(run_status "$V" generate --rate 3000 --events 6000 --seed 12 \
  --invalid-fraction 0.01 --truth "$WORK/truth.json" --to "kafka://$BROKERS/live")" 0
valid=$(jq .valid "$WORK/truth.json")
n=0
for _ in $(seq 1 150); do
  n=$(curl -s "$URL/api/v1/pipeline" | jq .realtime.events)
  [ "$n" = "$valid" ] && break
  sleep 0.1
done
check_eq "it counted every valid record produced" "$n" "$valid"
curl -s "$URL/api/v1/realtime/summary?window=10m" > "$WORK/s.json"
for p in likes:like ad_impressions:ad_impression ad_completes:ad_complete; do
  check_eq "summary: ${p%%:*} == the truth's ${p#*:} events" "$(jq ".metrics.${p%%:*}" "$WORK/s.json")" \
    "$(jq ".by_type.${p#*:}" "$WORK/truth.json")"
done
check_eq "and wrote nothing to the lake" "$(curl -s "$URL/api/v1/tables" | jq '[.tables[].rows] | add')" 0
kill -TERM $SPID; wait $SPID; rc=$?
check_eq "SIGTERM: serve exits 0" "$rc" 0
check "it reports what the consumer read" \
  grep -q "real-time Kafka consumer: 6000 records, $valid events, $(jq .invalid "$WORK/truth.json") invalid" "$WORK/serve.err"
check "no sanitizer report" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$WORK/serve.err'"
check_eq "--rt-kafka without --rt-group: usage error" \
  "$(run_status "$V" serve --lake "$L" --rt-kafka "kafka://$BROKERS/live")" 2
check "  saying so" grep -q "go together" "$WORK/err"
