# Sourced by the Kafka tests (04xx-kafka-*.sh) after lib.sh: a mock Kafka
# cluster (tests/tools/kafka_tool.c: librdkafka's mock brokers, the real
# protocol on 127.0.0.1, ephemeral ports) and processes started in the
# background, all stopped by PID when the test exits.
#
# The mock keeps about 5 MiB per partition (older records are dropped, as
# retention would): size topics so that what a test produces fits.
# It also holds on to a consumer-group member that died without leaving
# for session.timeout.ms, and waits 3 s before the first assignment of a
# group: tests pass KX (short session timeouts) to every consumer.
KT="$(dirname "$VIDLAKE")/tools/kafka_tool"
KX=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X max.poll.interval.ms=30000)
BG_PIDS=()

kafka_cleanup() {
  local p
  for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${BG_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap kafka_cleanup EXIT

# bg OUT ERR CMD...: runs CMD in the background; BG is its PID.
bg() {
  local out=$1 err=$2; shift 2
  "$@" >"$out" 2>"$err" &
  BG=$!
  BG_PIDS+=("$BG")
}

# kafka_cluster PARTITIONS TOPIC...: starts a one-broker mock cluster with
# the topics; BROKERS is its bootstrap address. Exits the test if it fails.
kafka_cluster() {
  local parts=$1; shift
  local args=() t
  for t in "$@"; do args+=(--topic "$t"); done
  rm -f "$WORK/brokers"
  bg /dev/null "$WORK/cluster.err" "$KT" cluster --brokers 1 --partitions "$parts" "${args[@]}" --port-file "$WORK/brokers"
  for _ in $(seq 1 200); do [ -s "$WORK/brokers" ] && break; sleep 0.05; done
  BROKERS=$(cat "$WORK/brokers" 2>/dev/null)
  CLUSTER_PID=$BG
  if [ -z "$BROKERS" ]; then
    fail "the mock Kafka cluster starts: $(head -c 300 "$WORK/cluster.err")"
    exit 0
  fi
}

# cluster_alive: true while the mock cluster runs; otherwise says why not.
cluster_alive() {
  kill -0 "$CLUSTER_PID" 2>/dev/null && return 0
  fail "the mock Kafka cluster died: $(tail -c 600 "$WORK/cluster.err")"
  return 1
}

# wait_for FILE REGEX SECONDS: true once FILE has a line matching REGEX.
wait_for() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# stop PID: SIGTERM; STOP_RC is its exit status (SIGKILL after 30 s: 137).
# Not in $(...): a subshell cannot wait for this shell's children.
stop() {
  kill -TERM "$1" 2>/dev/null
  local i
  for ((i = 0; i < 300; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  STOP_RC=$?
}

# sanitizer FILE...: true if a sanitizer reported something.
sanitizer() { grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$@" 2>/dev/null; }

# ids LAKE: the sorted event_ids of LAKE/bronze/events.
ids() { "$VIDLAKE" table scan "$1/bronze/events" --columns event_id | jq -r .event_id | sort; }
# reasons LAKE: dead letters counted by reason.
reasons() { "$VIDLAKE" table scan "$1/bronze/dead_letters" --columns reason | jq -r .reason | sort | uniq -c | tr -s ' '; }
# raws LAKE: md5 of the sorted raw bytes (base64) of the dead letters.
raws() { "$VIDLAKE" table scan "$1/bronze/dead_letters" --columns raw | jq -r .raw | sort | md5sum; }
# positions LAKE: "source line" of every dead letter, sorted.
positions() { "$VIDLAKE" table scan "$1/bronze/dead_letters" --columns source,line | jq -r '"\(.source) \(.line)"' | sort; }
# txns LAKE TABLE: the table's txn versions as "appId=version" lines.
txns() { "$VIDLAKE" table describe "$1/bronze/$2" --json | jq -r '.txns | to_entries[] | "\(.key)=\(.value)"' | sort; }
# want_txns APP TOPIC: what txns should be once everything is in: the last
# offset (high watermark - 1) of each partition that has records.
want_txns() {
  "$KT" offsets --brokers "$BROKERS" --topic "$2" --group "want-$RANDOM" |
    awk -v app="$1" -v t="$2" '$4 > 0 { print app "-" t "-" $1 "=" ($4 - 1) }' | sort
}
