# vidlake serve --kafka: the server consumes a topic (as a consumer-group
# member) and collects over HTTP at the same time, into the same bronze
# tables; SIGTERM commits both and leaves the group; a bad Kafka setup is a
# clear usage error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
V=$VIDLAKE
L="$WORK/lake"

kafka_cluster 2 ev
"$V" generate --events 4000 --seed 51 --invalid-fraction 0.01 > "$WORK/k.ndjson"
"$V" generate --events 4000 --seed 51 --invalid-fraction 0.01 --to "kafka://$BROKERS/ev" 2>/dev/null
"$V" generate --events 3000 --seed 52 > "$WORK/h.ndjson"

bg /dev/null "$WORK/serve.err" "$V" serve --lake "$L" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --commit-interval 100ms --kafka "kafka://$BROKERS/ev" --group sk "${KX[@]}"
SPID=$BG
check "serve joins the group" wait_for "$WORK/serve.err" "assigned partition" 30
curl -s -o /dev/null --data-binary @"$WORK/h.ndjson" "http://127.0.0.1:$(cat "$WORK/port")/v1/events"
# all of the topic committed: 4000 valid + invalid lines, plus the 3000 posted
want=$(( $(wc -l < "$WORK/k.ndjson") + 3000 ))
for _ in $(seq 1 100); do
  got=$(( $("$V" table scan "$L/bronze/events" --columns event_id 2>/dev/null | wc -l) + \
          $("$V" table scan "$L/bronze/dead_letters" --columns reason 2>/dev/null | wc -l) ))
  [ "$got" -ge "$want" ] && break; sleep 0.2
done
kill -TERM $SPID; wait $SPID; rc=$?
check_eq "SIGTERM: serve exits 0" "$rc" 0
check "it reports what Kafka brought" grep -q "Kafka: [0-9]* events" "$WORK/serve.err"
cat "$WORK/k.ndjson" "$WORK/h.ndjson" > "$WORK/all.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/all.ndjson" > /dev/null 2>&1
ids() { "$V" table scan "$1/bronze/events" --columns event_id | jq -r .event_id | sort; }
check "bronze holds the topic's and the posted events, each once" cmp -s <(ids "$L") <(ids "$WORK/ref")
check_eq "the topic's invalid records are dead letters" \
  "$("$V" table scan "$L/bronze/dead_letters" --columns reason | wc -l)" \
  "$("$V" table scan "$WORK/ref/bronze/dead_letters" --columns reason | wc -l)"
check "both sources' positions ride in the commits" sh -c "
  '$V' table describe '$L/bronze/events' --json | jq -r '.txns | keys[]' | grep -q '^sk-ev-0$' &&
  '$V' table describe '$L/bronze/events' --json | jq -r '.txns | keys[]' | grep -q '^wal-'"
check_eq "--kafka without --group: usage error" \
  "$(run_status "$V" serve --lake "$L" --listen 127.0.0.1:0 --kafka "kafka://$BROKERS/ev")" 2
check "it says what is missing" grep -q "needs --group" "$WORK/err"
check_eq "a bad Kafka URL: usage error" "$(run_status "$V" serve --lake "$L" --kafka "kafka:///ev" --group g)" 2
