# vidlake serve: the HTTP collector, end to end.
#   - generated events (with invalid and duplicate ones) POSTed by
#     `generate --to http://` land in bronze: bronze/events holds exactly the
#     valid events (by event_id multiset, against a file ingest of the same
#     lines), bronze/dead_letters the invalid ones with their reasons;
#   - the protocol: NDJSON and JSON arrays, gzip, the reply's counts and
#     reasons, 400/404/405/413/415 with JSON errors, /healthz, /metrics;
#   - SIGTERM commits what was accepted and exits 0; the WAL is replayed
#     at start-up; the commit carries the WAL's txn.
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
L="$WORK/lake"
SERVE_PID=
trap '[ -n "$SERVE_PID" ] && kill -9 $SERVE_PID 2>/dev/null; rm -rf "$WORK"' EXIT

# stop_serve: SIGTERM; STOP_RC is the exit status
stop_serve() {
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; STOP_RC=$?; SERVE_PID=
}
post() { curl -s -o "$WORK/resp" -w '%{http_code}' "$@"; }

"$V" generate --events 20000 --seed 21 --invalid-fraction 0.02 --duplicate-fraction 0.03 > "$WORK/ev.ndjson"
"$V" ingest --lake "$WORK/ref" --from "$WORK/ev.ndjson" > /dev/null 2>&1

start_serve "$L"
check "serve writes its port file" test -s "$WORK/port"
check_eq "GET /healthz" "$(post "$URL/healthz")" 200
check_eq "GET /readyz" "$(post "$URL/readyz")" 200
check_eq "generate --to http:// exits 0" "$(run_status "$V" generate --events 20000 --seed 21 --invalid-fraction 0.02 \
  --duplicate-fraction 0.03 --to "$URL")" 0
stop_serve
check_eq "SIGTERM: serve exits 0" "$STOP_RC" 0
check "it says it stopped" grep -q "serve: stopped" "$WORK/serve.log"

ids() { "$V" table scan "$1" --columns event_id | jq -r .event_id | sort; }
ids "$WORK/ref/bronze/events" > "$WORK/ids.want"
ids "$L/bronze/events" > "$WORK/ids.got"
check_eq "bronze/events has every valid event (count)" "$(wc -l < "$WORK/ids.got")" "$(wc -l < "$WORK/ids.want")"
check "bronze/events holds each valid event_id as often as it was sent" cmp -s "$WORK/ids.got" "$WORK/ids.want"
reasons() { "$V" table scan "$1" --columns reason | jq -r .reason | sort | uniq -c | tr -s ' '; }
check_eq "bronze/dead_letters keeps every invalid line, with its reason" \
  "$(reasons "$L/bronze/dead_letters")" "$(reasons "$WORK/ref/bronze/dead_letters")"
raws() { "$V" table scan "$1" --columns raw | jq -r .raw | sort | md5sum; }
check_eq "dead letters keep the raw bytes" "$(raws "$L/bronze/dead_letters")" "$(raws "$WORK/ref/bronze/dead_letters")"
check "dead letters name the client and request" \
  sh -c "'$V' table scan '$L/bronze/dead_letters' --columns source --limit 1 | grep -q 'http:127.0.0.1#'"
app=$("$V" table describe "$L/bronze/events" --json | jq -r '.txns | keys[0]')
check "commits carry the WAL's txn" sh -c "echo '$app' | grep -Eq '^wal-[0-9a-f]{16}$'"

# the protocol, case by case
start_serve "$L" --max-body 2MiB --max-event 1MiB
head -3 "$WORK/ev.ndjson" | grep -v invalid > /dev/null
ok3=$(awk 'NR <= 200' "$WORK/ev.ndjson" | jq -c 'select(.event_id != null)' 2>/dev/null | head -3)
printf '%s\n' "$ok3" > "$WORK/three.ndjson"
check_eq "POST NDJSON: 200" "$(post -X POST --data-binary @"$WORK/three.ndjson" "$URL/v1/events")" 200
check_eq "the reply counts them" "$(jq -c '[.accepted, .rejected]' "$WORK/resp")" "[3,0]"
printf '%s\n' "$ok3" | jq -s -c . > "$WORK/arr.json"
check_eq "POST a JSON array: 200" "$(post -X POST --data-binary @"$WORK/arr.json" "$URL/v1/events")" 200
check_eq "the array's events are counted" "$(jq -c '[.accepted, .rejected]' "$WORK/resp")" "[3,0]"
gzip -c "$WORK/three.ndjson" > "$WORK/three.gz"
check_eq "POST gzip: 200" "$(post -X POST -H 'Content-Encoding: gzip' --data-binary @"$WORK/three.gz" "$URL/v1/events")" 200
check_eq "the gzip body's events are counted" "$(jq -c '[.accepted, .rejected]' "$WORK/resp")" "[3,0]"
printf '{"event_id":"x"}\nnot json\n' > "$WORK/bad.ndjson"
check_eq "invalid events are acknowledged (for dead letters): 200" \
  "$(post -X POST --data-binary @"$WORK/bad.ndjson" "$URL/v1/events")" 200
check_eq "the reply gives the rejected count and each line's reason" \
  "$(jq -c '[.accepted, .rejected, (.errors | map(.line)), (.errors[1].reason)]' "$WORK/resp")" '[0,2,[1,2],"malformed_json"]'
head -c 2200000 /dev/zero | tr '\0' 'a' > "$WORK/big"
check_eq "a body over --max-body: 413" "$(post -X POST --data-binary @"$WORK/big" "$URL/v1/events")" 413
check "the 413 says why" grep -q "over the limit" "$WORK/resp"
{ printf '{"event_id":"'; head -c 66000 /dev/zero | tr '\0' 'b'; printf '"}\n'; } > "$WORK/bigevent"
gzip -c "$WORK/bigevent" > "$WORK/bigevent.gz"
check_eq "an event over 64 KiB is a dead letter: 200" \
  "$(post -X POST -H 'Content-Encoding: gzip' --data-binary @"$WORK/bigevent.gz" "$URL/v1/events")" 200
check_eq "rejected as too_large" "$(jq -c '[.rejected, .errors[0].reason]' "$WORK/resp")" '[1,"too_large"]'
{ printf '{"event_id":"'; head -c 1100000 /dev/zero | tr '\0' 'b'; printf '"}\n'; } | gzip -c > "$WORK/hugeevent.gz"
check_eq "an event over --max-event: 413" \
  "$(post -X POST -H 'Content-Encoding: gzip' --data-binary @"$WORK/hugeevent.gz" "$URL/v1/events")" 413
check "the 413 names the event" grep -q "event 1 is" "$WORK/resp"
check_eq "a bad gzip body: 400" "$(post -X POST -H 'Content-Encoding: gzip' --data-binary 'nope' "$URL/v1/events")" 400
check_eq "an unknown encoding: 415" "$(post -X POST -H 'Content-Encoding: br' --data-binary 'x' "$URL/v1/events")" 415
check_eq "a broken JSON array: 400" "$(post -X POST --data-binary '[{"a":1},' "$URL/v1/events")" 400
check "the 400 says where" grep -q "not closed" "$WORK/resp"
check_eq "GET /v1/events: 405" "$(post "$URL/v1/events")" 405
check_eq "an unknown path: 404" "$(post "$URL/nope")" 404
check_eq "an empty body: 200, nothing" "$(post -X POST --data-binary '' "$URL/v1/events")" 200
check_eq "GET /metrics: 200" "$(post "$URL/metrics")" 200
check "metrics count the accepted events" grep -q '^vidlake_events_accepted_total 9$' "$WORK/resp"
check "metrics count the 413s" grep -q '^vidlake_http_too_large_total 2$' "$WORK/resp"

# kill -9 right after acknowledgements: the WAL replays them at start-up
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=
before=$(wc -l < "$WORK/ids.got")
start_serve "$L" --commit-interval 1h
check_eq "after kill -9 and restart, the acknowledged events are in bronze" \
  "$("$V" table scan "$L/bronze/events" --columns event_id | wc -l)" "$((before + 9))"
check_eq "and the three rejected ones in dead letters" \
  "$("$V" table scan "$L/bronze/dead_letters" --columns reason | wc -l)" \
  "$(( $("$V" table scan "$WORK/ref/bronze/dead_letters" --columns reason | wc -l) + 3 ))"
stop_serve
check_eq "SIGTERM again: exit 0" "$STOP_RC" 0
check "a second collector on the same WAL is refused" sh -c "
  '$V' serve --lake '$L' --listen 127.0.0.1:0 2>/dev/null & p=\$!; sleep 0.5
  '$V' serve --lake '$L' --listen 127.0.0.1:0 2>&1 | grep -q 'in use by another process'; r=\$?
  kill -TERM \$p; wait \$p; exit \$r"
check_eq "a bad --listen is a usage error" "$(run_status "$V" serve --lake "$L" --listen nowhere)" 2
check_eq "--lake is required" "$(run_status "$V" serve)" 2

# small files from frequent commits are compacted in the background
L3="$WORK/lake3"
start_serve "$L3" --commit-interval 20ms --optimize-interval 1s
split -l 500 -d -a 3 <(head -6000 "$WORK/ev.ndjson") "$WORK/small."
for f in "$WORK"/small.*; do post -X POST --data-binary @"$f" "$URL/v1/events" > /dev/null; sleep 0.03; done
for _ in $(seq 1 40); do
  post "$URL/metrics" > /dev/null
  grep -q '^vidlake_bronze_optimizes_total [1-9]' "$WORK/resp" && break; sleep 0.25
done
check "a background optimize compacted bronze" grep -q '^vidlake_bronze_optimizes_total [1-9]' "$WORK/resp"
stop_serve
check "its commit is an OPTIMIZE in the history" \
  sh -c "'$V' table history '$L3/bronze/events' --json | jq -r '.commitInfo.operation' | grep -qx OPTIMIZE"
head -6000 "$WORK/ev.ndjson" > "$WORK/ev6k.ndjson"
"$V" ingest --lake "$WORK/ref3" --from "$WORK/ev6k.ndjson" >/dev/null 2>&1
check_eq "and the rows are unchanged" "$("$V" table scan "$L3/bronze/events" --columns event_id | jq -r .event_id | sort | md5sum)" \
  "$("$V" table scan "$WORK/ref3/bronze/events" --columns event_id | jq -r .event_id | sort | md5sum)"
