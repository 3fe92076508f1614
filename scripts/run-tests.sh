#!/usr/bin/env bash
# Runs every test against one build directory (default build/asan):
#   unit tests      build/<mode>/test/*_test        (src/<mod>/<mod>_test.c)
#   fuzz corpora    build/<mode>/fuzz/*_replay       over fuzz/corpus/<target>/
#   integration     tests/integration/NNNN-*.sh      with $VIDLAKE = the binary
# Every test prints "ok NAME", "FAIL NAME" or "skip NAME: why"; this script
# adds them up and ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
B=${1:-build/asan}
export VIDLAKE="$PWD/$B/vidlake"
export VIDLAKE_TESTDATA="${VIDLAKE_TESTDATA:-$PWD/../shared/testdata}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export VIDLAKE_PROGRESS=0
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vidlake-test.XXXXXX")
export TMP_ROOT
trap 'rm -rf "$TMP_ROOT"' EXIT

passed=0 failed=0 skipped=0
failures=()

# run_one NAME TIMEOUT CMD...: runs a test program and tallies its lines.
run_one() {
  local name=$1 limit=$2; shift 2
  local out="$TMP_ROOT/out.$$"
  timeout "$limit" "$@" >"$out" 2>&1
  local rc=$?
  local p f s
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^skip ' "$out")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
    cat "$out"
    if [ "$f" -eq 0 ]; then
      failed=$((failed + 1))
      if [ $rc -eq 124 ]; then echo "FAIL $name: timed out after $limit s"
      else echo "FAIL $name: exited with status $rc"; fi
    fi
    failures+=("$name")
  else
    grep -E '^(ok|skip) ' "$out"
  fi
  rm -f "$out"
}

# VIDLAKE_TESTS=GLOB runs only the integration tests matching it
# (make test-s3: VIDLAKE_TESTS='08*'), without the unit tests and corpora
only=${VIDLAKE_TESTS:-}

[ -n "$only" ] || echo "== unit tests ($B)"
for t in "$B"/test/*_test; do
  [ -z "$only" ] || break
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" 900 "$t"
done

[ -n "$only" ] || echo "== fuzz corpora"
for r in "$B"/fuzz/*_replay; do
  [ -z "$only" ] || break
  [ -x "$r" ] || continue
  target=$(basename "$r" _replay)
  run_one "fuzz $target" 600 "$r" "fuzz/corpus/$target"
done

echo "== integration tests"
for t in tests/integration/[0-9]*.sh; do
  [ -f "$t" ] || continue
  # shellcheck disable=SC2254
  case $(basename "$t") in ${only:-*}) ;; *) continue ;; esac
  run_one "$(basename "$t" .sh)" 900 bash "$t"
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
