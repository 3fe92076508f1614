# Sourced by the integration tests. Each check prints "ok NAME" or
# "FAIL NAME" (with what differed); scripts/run-tests.sh adds them up.
# $VIDLAKE is the binary under test; $WORK a fresh scratch directory.
set -u
: "${VIDLAKE:?run through scripts/run-tests.sh or set VIDLAKE}"
WORK=$(mktemp -d "${TMP_ROOT:-/tmp}/it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() { echo "ok $*"; }
fail() { echo "FAIL $*"; }

# check NAME CMD...: ok if CMD succeeds
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; fi
}

# check_eq NAME GOT WANT
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; echo "  got:  $2"; echo "  want: $3"; fi
}

# run_status CMD...: runs CMD, output to $WORK/out and $WORK/err, prints status
run_status() {
  "$@" >"$WORK/out" 2>"$WORK/err"
  echo $?
}

# need_duckdb_peer NAME: sets PEER to the DuckDB peer script and prints the
# DuckDB version, or prints "skip NAME: why" and exits 0 when node, the npm
# package or DuckDB itself is not available.
need_duckdb_peer() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  PEER="$root/tests/peers/duckdb.mjs"
  if ! command -v node >/dev/null 2>&1; then
    echo "skip $1: node is not installed (scripts/deps.sh installs it with the npm packages)"
    exit 0
  fi
  if [ ! -d "$root/node_modules/@duckdb/node-api" ]; then
    echo "skip $1: @duckdb/node-api is not installed (run scripts/deps.sh, or npm ci)"
    exit 0
  fi
  local ver why
  if ! ver=$(node "$PEER" version 2>"$WORK/peer.err"); then
    why=$(grep -m1 -i 'error' "$WORK/peer.err" || head -1 "$WORK/peer.err")
    echo "skip $1: DuckDB does not load: ${why:0:300}"
    exit 0
  fi
  echo "# DuckDB $ver"
}

# start_serve LAKE [ARGS...]: starts vidlake serve on an ephemeral port with
# a 200 ms commit interval (ARGS may override it); sets SERVE_PID and URL.
start_serve() {
  local lake=$1; shift
  rm -f "$WORK/port"
  "$VIDLAKE" serve --lake "$lake" --listen 127.0.0.1:0 --port-file "$WORK/port" --commit-interval 200ms "$@" \
    2>>"$WORK/serve.log" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
  URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
}
