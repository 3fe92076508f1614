# The live dashboard at "/", end to end in a real browser (Debian's chromium,
# driven by playwright-core; tests/browser/dashboard.mjs does the checking):
#   - GET / and /assets/... serve the files built into the binary, byte for
#     byte, with their content types (uPlot included: nothing from a CDN);
#   - on a server that has seen no event, the page says so and shows "–"
#     for every metric the API reports as null;
#   - fed by `vidlake generate --rate 2000`, every tile shows the API's
#     number, formatted, and follows it at least every 2 s; the charts,
#     top content, breakdowns, pipeline and tables panels are filled; no
#     console error, failed request or request to another origin.
# A full-page screenshot is kept (its path is printed).
. "$(dirname "$0")/lib.sh"
V=$VIDLAKE
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NAME=0600-dashboard
SERVE_PID=
GEN_PID=

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

stop_all() {
  [ -n "$GEN_PID" ] && kill -TERM "$GEN_PID" 2>/dev/null && wait "$GEN_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null
  GEN_PID= SERVE_PID=
}
trap 'stop_all; rm -rf "$WORK"' EXIT

"$V" serve --lake "$WORK/lake" --listen 127.0.0.1:0 --port-file "$WORK/port" --commit-interval 500ms \
  2>>"$WORK/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
if [ ! -s "$WORK/port" ]; then
  fail "serve writes its port file"; cat "$WORK/serve.log"; exit 1
fi
URL="http://127.0.0.1:$(cat "$WORK/port")"

# asset URL, file it must equal, content type
while read -r path file ctype; do
  code=$(curl -s -o "$WORK/asset" -D "$WORK/headers" -w '%{http_code}' "$URL$path")
  got=$(tr -d '\r' < "$WORK/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | head -1)
  if [ "$code" = 200 ] && cmp -s "$WORK/asset" "$ROOT/$file" && [ "$got" = "$ctype" ]; then
    ok "GET $path serves $file as $ctype"
  else
    fail "GET $path serves $file as $ctype"; echo "  got: HTTP $code, $got, $(wc -c < "$WORK/asset") bytes"
  fi
done <<EOF
/ web/index.html text/html; charset=utf-8
/index.html web/index.html text/html; charset=utf-8
/assets/app.mjs web/app.mjs text/javascript; charset=utf-8
/assets/style.css web/style.css text/css; charset=utf-8
/assets/uPlot.iife.min.js node_modules/uplot/dist/uPlot.iife.min.js text/javascript; charset=utf-8
/assets/uPlot.min.css node_modules/uplot/dist/uPlot.min.css text/css; charset=utf-8
/assets/uPlot.LICENSE.txt node_modules/uplot/LICENSE text/plain; charset=utf-8
EOF
check_eq "an unknown asset: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/assets/nope.js")" 404
check "the page loads nothing from another host" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$ROOT/web/index.html'"

node "$ROOT/tests/browser/dashboard.mjs" empty "$URL"

"$V" generate --rate 2000 --seed 6 --to "$URL" >"$WORK/gen.log" 2>&1 &
GEN_PID=$!
SHOT_DIR=${VIDLAKE_ARTIFACTS:-$ROOT/build/test-artifacts}
mkdir -p "$SHOT_DIR"
SHOT="$SHOT_DIR/dashboard.png"
rm -f "$SHOT"
node "$ROOT/tests/browser/dashboard.mjs" live "$URL" "$SHOT"
echo "# screenshot: $SHOT"

check "the generator ran until stopped" kill -0 "$GEN_PID"
kill -TERM "$GEN_PID"; wait "$GEN_PID" 2>/dev/null; GEN_PID=
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
check_eq "serve exits 0 on SIGTERM after the dashboard" "$rc" 0
