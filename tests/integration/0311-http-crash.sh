# The collector's promise across crashes: every event acknowledged with a
# 2xx before a kill -9 is in bronze exactly once after a restart, and
# nothing appears that was not sent. A client posts batches without
# retrying (a failed batch is simply not acknowledged) while the server is
# killed with SIGKILL at 20 random moments and restarted on the same port.
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
L="$WORK/lake"
SERVE_PID= POSTER_PID=
trap 'kill -9 $SERVE_PID $POSTER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
KILLS=${VIDLAKE_HTTP_CRASH_KILLS:-20}

start_serve() { # PORT
  rm -f "$WORK/port"
  "$V" serve --lake "$L" --listen "127.0.0.1:$1" --port-file "$WORK/port" --commit-interval 50ms \
    --batch-rows 500 2>>"$WORK/serve.log" &
  SERVE_PID=$!
  for _ in $(seq 1 400); do [ -s "$WORK/port" ] && break; sleep 0.025; done
}

# More batches than the client can post during the kills, however fast the
# machine: the client stops when the kills are done, not when it runs out.
"$V" generate --events 200000 --seed 31 > "$WORK/ev.ndjson"
mkdir "$WORK/b"
split -l 40 -d -a 4 "$WORK/ev.ndjson" "$WORK/b/"  # 5000 batches
start_serve 0
PORT=$(cat "$WORK/port")
URL="http://127.0.0.1:$PORT/v1/events"

# the client: each batch once, in order; records which were acknowledged
( for f in "$WORK"/b/*; do
    [ -e "$WORK/stop" ] && break
    echo "$f" >> "$WORK/posted"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$f" "$URL")
    [ "$code" = 200 ] && echo "$f" >> "$WORK/acked"
    [ "$code" = 000 ] && sleep 0.02
  done ) &
POSTER_PID=$!

kills=0
while [ $kills -lt "$KILLS" ] && kill -0 $POSTER_PID 2>/dev/null; do
  sleep "0.$(( RANDOM % 5 + 1 ))$(( RANDOM % 10 ))"
  kill -9 "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null
  kills=$((kills + 1))
  start_serve "$PORT"
done
touch "$WORK/stop"
wait $POSTER_PID; POSTER_PID=
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "the collector was killed $KILLS times (the client posted throughout)" "$kills" "$KILLS"
check_eq "the last SIGTERM exits 0" "$rc" 0
acked=$(wc -l < "$WORK/acked")
check "some batches were acknowledged ($acked)" test "$acked" -gt 20

xargs cat < "$WORK/acked" | jq -r .event_id | sort > "$WORK/ids.acked"
xargs cat < "$WORK/posted" | jq -r .event_id | sort > "$WORK/ids.sent"
"$V" table scan "$L/bronze/events" --columns event_id | jq -r .event_id | sort > "$WORK/ids.got"
check_eq "no event is in bronze twice" "$(uniq -d "$WORK/ids.got" | wc -l)" 0
check_eq "every acknowledged event is in bronze" "$(comm -23 "$WORK/ids.acked" "$WORK/ids.got" | wc -l)" 0
check_eq "bronze holds nothing that was not sent" "$(comm -13 "$WORK/ids.sent" "$WORK/ids.got" | wc -l)" 0
check_eq "no dead letters (every event sent was valid)" \
  "$("$V" table scan "$L/bronze/dead_letters" --columns reason 2>/dev/null | wc -l)" 0
echo "# $(wc -l < "$WORK/ids.got") events in bronze, $(wc -l < "$WORK/ids.acked") acknowledged, $kills kills"
