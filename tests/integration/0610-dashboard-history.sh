# The dashboard's History view, end to end in a real browser (Debian's
# chromium, driven by playwright-core; tests/browser/dashboard.mjs does the
# checking):
#   - on a lake whose gold tables `vidlake etl run` built from three
#     simulated days, the History tab shows the daily KPIs as charts with a
#     point per day, the latest day's KPI table with the API's values, the
#     latest day's top content, QoE by device type and ads by position, read
#     from /api/v1/gold; the Live tab still works;
#   - on a lake without gold tables, it says to run `vidlake etl run`, and
#     asks the API for no table it does not have;
#   - no console error, failed request or request to another origin.
# A full-page screenshot is kept (its path is printed).
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NAME=0610-dashboard-history
SERVE_PID=

if ! command -v node >/dev/null 2>&1; then
  echo "skip $NAME: node is not installed (scripts/deps.sh installs it with the npm packages)"; exit 0
fi
if [ ! -d "$ROOT/node_modules/playwright-core" ]; then
  echo "skip $NAME: playwright-core is not installed (run scripts/deps.sh, or npm ci)"; exit 0
fi
CHROMIUM=${VIDLAKE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "skip $NAME: chromium is not installed (scripts/deps.sh installs Debian's chromium)"; exit 0
fi
export VIDLAKE_CHROMIUM=$CHROMIUM
trap '[ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

"$V" generate --events 60000 --days 3 --seed 7 > "$WORK/events.ndjson" 2>/dev/null
check_eq "ingest three simulated days" "$(run_status "$V" ingest --lake "$WORK/lake" --from "$WORK/events.ndjson")" 0
check_eq "vidlake etl run builds the gold tables" "$(run_status "$V" etl run --lake "$WORK/lake")" 0

# --etl-interval 0: nothing changes the tables while the page reads them
start_serve "$WORK/lake" --etl-interval 0
if [ ! -s "$WORK/port" ]; then
  fail "serve writes its port file"; cat "$WORK/serve.log"; exit 1
fi
SHOT_DIR=${VIDLAKE_ARTIFACTS:-$ROOT/build/test-artifacts}
mkdir -p "$SHOT_DIR"
SHOT="$SHOT_DIR/history.png"
rm -f "$SHOT"
node "$ROOT/tests/browser/dashboard.mjs" history "$URL" "$SHOT"
echo "# screenshot: $SHOT"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "serve exits 0 on SIGTERM after the History view" "$rc" 0

start_serve "$WORK/empty-lake" --etl-interval 0
node "$ROOT/tests/browser/dashboard.mjs" history-empty "$URL"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "serve exits 0 on SIGTERM (no gold tables)" "$rc" 0
