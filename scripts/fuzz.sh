#!/usr/bin/env bash
# Runs libFuzzer campaigns: scripts/fuzz.sh SECONDS [TARGET]
# Each target starts from a copy of fuzz/corpus/<target>/ (plus its
# dictionary, fuzz/<target>.dict, when there is one); new inputs collect in
# build/fuzz/corpus/<target>/ and crashes in build/fuzz/findings/<target>/.
# To keep what was learnt: merge the new corpus into fuzz/corpus/<target>
# with `-merge=1` and commit it; a crash becomes a corpus file once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
only=${2:-}
for bin in build/fuzz/fuzz/*; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin")
  case "$t" in *_replay) continue ;; esac
  [ -n "$only" ] && [ "$t" != "$only" ] && continue
  work=build/fuzz/corpus/$t findings=build/fuzz/findings/$t
  mkdir -p "$work" "$findings"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  dict=()
  [ -f fuzz/"$t".dict ] && dict=(-dict=fuzz/"$t".dict)
  echo "fuzz: $t for ${secs}s" >&2
  "$bin" "$work" "${dict[@]}" -max_total_time="$secs" -max_len=8192 -timeout=10 \
    -artifact_prefix="$findings"/ -print_final_stats=1
done
