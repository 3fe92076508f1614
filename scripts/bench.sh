#!/usr/bin/env bash
# make bench: performance figures, optimized build, on this machine.
# Whole-process timings are the median of 3 runs. Peers run in the same
# invocation so that ratios are comparable on a shared, noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
V=build/vidlake
export VIDLAKE_PROGRESS=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vidlake-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# median_secs CMD...: runs CMD 3 times (output discarded), prints the median wall time in seconds
median_secs() {
  local t=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null || [ $? -eq 1 ]  # validate exits 1 when it found rejects
    e=$(date +%s%N)
    t+=("$(( (e - s) / 1000 ))")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p | awk '{printf "%.3f", $1 / 1e6}'
}

echo "== event decoder vs general-purpose JSON parsers; simulator (in memory, 1 thread)"
"$B"/bench/bench_decode 1000000

echo
echo "== whole process: vidlake generate --events 5000000 --seed 1 > /dev/null"
s=$(median_secs "$V" generate --events 5000000 --seed 1)
awk -v s="$s" 'BEGIN { printf "generate  %.2f s  %.2f M events/s\n", s, 5 / s }'

echo
echo "== whole process: vidlake validate of 2,000,000 generated events (1% invalid)"
"$V" generate --events 2000000 --seed 2 --invalid-fraction 0.01 > "$tmp/events.ndjson"
bytes=$(stat -c %s "$tmp/events.ndjson")
s=$(median_secs "$V" validate "$tmp/events.ndjson" --show 0)
awk -v s="$s" -v b="$bytes" 'BEGIN { printf "validate  %.2f s  %.0f MB/s  %.2f M events/s\n", s, b / s / 1e6, 2 / s }'
