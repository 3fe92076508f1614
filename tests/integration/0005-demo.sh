# vidlake demo: a simulated day through decoding into a Parquet file.
. "$(dirname "$0")/lib.sh"

check_eq "demo exits 0" "$(run_status "$VIDLAKE" demo --events 20000 --seed 3 --out "$WORK/d.parquet")" 0
check "demo summarises the day" grep -q "^audience " "$WORK/out"
stored=$(sed -n 's/^stored *\([0-9]*\) events.*/\1/p' "$WORK/out")
check "demo stores the valid events" test "${stored:-0}" -gt 19000
check_eq "the Parquet file holds every stored event" "$("$VIDLAKE" parquet cat "$WORK/d.parquet" | wc -l)" "$stored"
check_eq "stored events have no duplicate ids" \
  "$("$VIDLAKE" parquet cat "$WORK/d.parquet" --columns event_id --format csv | tail -n +2 | sort | uniq -d | wc -l)" 0
check_eq "demo refuses an unwritable output" "$(run_status "$VIDLAKE" demo --events 10 --out "$WORK/no/such/dir.parquet")" 2

# the live demo: vidlake serve fed by simulated viewers in real time
DEMO_PID=
trap '[ -n "$DEMO_PID" ] && kill -9 $DEMO_PID 2>/dev/null; pkill -9 -f "generate --rate 500 --seed 9" 2>/dev/null; rm -rf "$WORK"' EXIT
"$VIDLAKE" demo --lake "$WORK/lake" --listen 127.0.0.1:0 --port-file "$WORK/port" --rate 500 --seed 9 \
  2>"$WORK/demo.err" &
DEMO_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
check "the live demo prints the dashboard's URL" grep -q "dashboard:  $URL/" "$WORK/demo.err"
n=0
for _ in $(seq 1 150); do
  n=$(curl -s "$URL/api/v1/realtime/summary?window=1m" | jq '.metrics.events' 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 200 ] && break
  sleep 0.1
done
check "its simulated viewers reach the real-time engine ($n events)" test "${n:-0}" -gt 200
check_eq "the dashboard is served" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" 200
kill -INT $DEMO_PID; wait $DEMO_PID; rc=$?; DEMO_PID=
check_eq "Ctrl-C: the demo commits and exits 0" "$rc" 0
check "  it stopped its viewers" sh -c '! pgrep -f "[g]enerate --rate 500 --seed 9" >/dev/null'
check "  bronze holds what was accepted" test "$("$VIDLAKE" table scan "$WORK/lake/bronze/events" --columns event_id | wc -l)" -gt 200
check_eq "the live and day options do not mix" "$(run_status "$VIDLAKE" demo --day --rate 5)" 2

# the viewers dying is not a quiet success: the demo stops, saying so
"$VIDLAKE" demo --lake "$WORK/lake2" --listen 127.0.0.1:0 --port-file "$WORK/port2" --rate 200 --seed 5k \
  2>"$WORK/demo2.err" &
DEMO_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/port2" ] && break; sleep 0.05; done
viewers=
for _ in $(seq 1 100); do viewers=$(pgrep -P $DEMO_PID); [ -n "$viewers" ] && break; sleep 0.05; done
check "the demo runs its viewers as a child process (--seed 5k accepted)" test -n "$viewers"
kill -9 $viewers 2>/dev/null
wait $DEMO_PID; rc=$?; DEMO_PID=
check_eq "when they die, the demo exits 2" "$rc" 2
check "  saying why" grep -q "simulated viewers died (signal 9)" "$WORK/demo2.err"
