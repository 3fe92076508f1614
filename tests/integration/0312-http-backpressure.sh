# Back-pressure: with a slow store (every put 300 ms late), clients posting
# faster than the pipeline can commit get 503 with Retry-After instead of
# an ever-growing queue; the queue stays within --max-backlog (plus one
# request), and everything acknowledged still lands exactly once.
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
L="$WORK/lake"
SERVE_PID=
trap 'kill -9 $SERVE_PID 2>/dev/null; rm -rf "$WORK"' EXIT

"$V" generate --events 40000 --seed 41 > "$WORK/ev.ndjson"
mkdir "$WORK/b"
split -l 200 -d -a 4 "$WORK/ev.ndjson" "$WORK/b/"
biggest=$(ls -S "$WORK"/b/* | head -1 | xargs stat -c %s)

VIDLAKE_STORE_PUT_DELAY=300ms "$V" serve --lake "$L" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --commit-interval 100ms --max-backlog 512KiB --batch-rows 2000 2>"$WORK/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 400); do [ -s "$WORK/port" ] && break; sleep 0.025; done
URL="http://127.0.0.1:$(cat "$WORK/port")"

# the queue, sampled while 4 clients post 50 batches each, as fast as they can
( while :; do curl -s "$URL/metrics" | awk '/^vidlake_pipeline_queue_bytes /{print $2}'
           curl -s -o /dev/null -w '%{http_code}\n' "$URL/readyz" >> "$WORK/ready"; sleep 0.05; done ) \
  > "$WORK/queue" 2>/dev/null &
SAMPLER=$!
for c in 0 1 2 3; do
  ( ls "$WORK"/b/* | awk -v c=$c 'NR % 4 == c' | while read -r f; do
      code=$(curl -s -D "$WORK/h.$c" -o /dev/null -w '%{http_code}' -X POST --data-binary @"$f" "$URL/v1/events")
      [ "$code" = 503 ] && cp "$WORK/h.$c" "$WORK/h503"
      echo "$code $f"
    done > "$WORK/codes.$c" ) &
done
wait_clients() { for j in $(jobs -p); do [ "$j" = "$SAMPLER" ] || [ "$j" = "$SERVE_PID" ] || wait "$j"; done; }
wait_clients
kill $SAMPLER 2>/dev/null; wait $SAMPLER 2>/dev/null
cat "$WORK"/codes.* > "$WORK/codes"
n503=$(grep -c '^503 ' "$WORK/codes"); n200=$(grep -c '^200 ' "$WORK/codes")
check "the collector shed load with 503 ($n503 of $(wc -l < "$WORK/codes") requests)" test "$n503" -gt 0
check_eq "every answer was 200 or 503" "$((n200 + n503))" "$(wc -l < "$WORK/codes")"
check "a 503 carries Retry-After" grep -qi '^Retry-After: [0-9]' "$WORK/h503"
echo "# /readyz answered 503 in $(grep -c '^503$' "$WORK/ready") of $(wc -l < "$WORK/ready") samples during the load"
check_eq "and 200 once it caught up" "$(sleep 2; curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" 200
max=$(sort -n "$WORK/queue" | tail -1)
check "the queue stayed within --max-backlog plus one request (max ${max:-?} bytes)" \
  test "${max:-0}" -le $((512 * 1024 + biggest))
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "SIGTERM: commits the backlog and exits 0" "$rc" 0

grep '^200 ' "$WORK/codes" | cut -d' ' -f2 | xargs cat | jq -r .event_id | sort > "$WORK/ids.acked"
"$V" table scan "$L/bronze/events" --columns event_id | jq -r .event_id | sort > "$WORK/ids.got"
check_eq "every acknowledged event is in bronze exactly once" "$(comm -3 "$WORK/ids.acked" "$WORK/ids.got" | wc -l)" 0
