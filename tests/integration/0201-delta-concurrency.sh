# vidlake table append: concurrent writers on one Delta table.
# 4 processes each make 200 commits of one row (worker w, commit i: id
# w*1000+i, partition w) at the same time, racing for every version with
# put-if-absent and retrying. Afterwards:
#   - every append exited 0;
#   - _delta_log holds the commits 0 (create) ... 800, contiguous, and a
#     checkpoint at every 10th version (the automatic interval), with
#     _last_checkpoint at 800;
#   - history lists 801 commits, each append with exactly one add;
#   - scan returns every id exactly once (800 rows, the expected ids), and
#     scan --version N returns N rows at a few versions (time travel through
#     checkpoints written while other writers were committing);
#   - describe counts 800 files and 800 records.
. "$(dirname "$0")/lib.sh"

T="delta concurrency"
V=$VIDLAKE
TB="$WORK/tbl"
WORKERS=4
COMMITS=200
export LC_ALL=C

# The ASan binary takes ~0.1 s per append (start-up and instrumentation);
# 800 of them on 2 cores would not fit the time budget. When $VIDLAKE is
# the ASan build and the release binary build/vidlake is there, the bulk of
# each worker's loop uses the release binary; the first 3 commits of every
# worker and every 25th commit after that still run $VIDLAKE itself, so the
# binary under test races against the others.
BULK=$V
case $V in
  */build/asan/vidlake)
    rel=${V%/asan/vidlake}/vidlake
    if [ -x "$rel" ]; then BULK=$rel; echo "# bulk commits with $rel; every 25th and the first 3 per worker with $V"; fi ;;
esac

check_eq "create exits 0" "$(run_status "$V" table create "$TB" --schema 'id long, w int, i int, note string' --partition-by w)" 0

# worker W: COMMITS appends; failures (status and message) go to $WORK/fail.W
worker() {
  local w=$1 i bin id
  : > "$WORK/fail.$w"
  for ((i = 0; i < COMMITS; i++)); do
    id=$((w * 1000 + i))
    if [ $i -lt 3 ] || [ $((i % 25)) -eq 0 ]; then bin=$V; else bin=$BULK; fi
    if ! printf '{"id":%d,"w":%d,"i":%d,"note":"worker %d commit %d"}\n' $id $w $i $w $i |
         "$bin" table append "$TB" > /dev/null 2> "$WORK/err.$w"; then
      echo "commit $i (id $id) with $bin: $(head -c 300 "$WORK/err.$w" | tr "\n" " ")" >> "$WORK/fail.$w"
    fi
  done
}

start=$(date +%s)
pids=()
for ((w = 0; w < WORKERS; w++)); do worker $w & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
echo "# $((WORKERS * COMMITS)) commits by $WORKERS writers in $(( $(date +%s) - start )) s"

N=$((WORKERS * COMMITS))
nfail=$(cat "$WORK"/fail.* | wc -l)
check_eq "every one of the $N appends exited 0" "$nfail" 0
[ "$nfail" -gt 0 ] && cat "$WORK"/fail.* | head -5 | sed 's/^/  /'
grep -lE 'AddressSanitizer|LeakSanitizer|runtime error' "$WORK"/err.* > /dev/null 2>&1 && fail "$T: a sanitizer report in an append's stderr"

# ids of the appends that failed (a failed append must have committed nothing)
sed -n 's/^commit [0-9]* (id \([0-9]*\)).*/\1/p' "$WORK"/fail.* | sort -n > "$WORK/ids.failed"

# the log: commits 0..N contiguous, checkpoints every 10
(cd "$TB/_delta_log" && ls) > "$WORK/log"
sed -n 's/^\([0-9]\{20\}\)\.json$/\1/p' "$WORK/log" | awk '{ print $0 + 0 }' | sort -n > "$WORK/versions"
top=$(tail -1 "$WORK/versions")
seq 0 "$top" > "$WORK/versions.want"
if cmp -s "$WORK/versions" "$WORK/versions.want"; then ok "$T: _delta_log commits are contiguous (0..$top)"; else
  fail "$T: _delta_log commits are not contiguous: $(wc -l < "$WORK/versions") files up to $top, first differences:"
  diff "$WORK/versions" "$WORK/versions.want" | head -5 | sed 's/^/  /'
fi
check_eq "_delta_log holds the commits 0..$N (create and one per append)" "$top" $N
check_eq "no temporary or stray files left in _delta_log" \
  "$(grep -vE '^[0-9]{20}\.(json|checkpoint\.parquet)$|^_last_checkpoint$' "$WORK/log" | head -5 | tr '\n' ' ')" ""
sed -n 's/^\([0-9]\{20\}\)\.checkpoint\.parquet$/\1/p' "$WORK/log" | awk '{ print $0 + 0 }' | sort -n > "$WORK/cps"
check_eq "a checkpoint at every 10th version" "$(tr '\n' ' ' < "$WORK/cps")" "$(seq 10 10 "$top" | tr '\n' ' ')"
check "_last_checkpoint is at the last multiple of 10" grep -q "^{\"version\":$((top / 10 * 10))," "$TB/_delta_log/_last_checkpoint"

# history
"$V" table history "$TB" --json > "$WORK/hist" 2> "$WORK/err"
check_eq "history lists $((N + 1)) commits" "$(wc -l < "$WORK/hist")" $((N + 1))
check_eq "history: versions $top..0, newest first" "$(sed -n 's/^{"version":\([0-9]*\),.*/\1/p' "$WORK/hist" | md5sum)" \
  "$(seq "$top" -1 0 | md5sum)"
check_eq "history: every append added one file and removed none" \
  "$(grep -v '^{"version":0,' "$WORK/hist" | grep -c '"adds":1,"removes":0,')" "$top"

# the rows
"$V" table scan "$TB" > "$WORK/scan" 2> "$WORK/err" || fail "$T: scan: $(head -c 300 "$WORK/err")"
sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$WORK/scan" | sort -n > "$WORK/ids"
for ((w = 0; w < WORKERS; w++)); do seq $((w * 1000)) $((w * 1000 + COMMITS - 1)); done | sort -n > "$WORK/ids.want"
check_eq "scan returns $N rows" "$(wc -l < "$WORK/scan")" $N
check_eq "no id twice" "$(uniq -d "$WORK/ids" | head -5 | tr '\n' ' ')" ""
check_eq "the rows are exactly those of the appends that exited 0 (none of a failed one)" \
  "$(grep -vxF -f "$WORK/ids.failed" "$WORK/ids.want" | md5sum)" "$(md5sum < "$WORK/ids")"
if cmp -s "$WORK/ids" "$WORK/ids.want"; then ok "$T: scan returns every id exactly once"; else
  fail "$T: scan ids differ from the expected ones:"; diff "$WORK/ids" "$WORK/ids.want" | head -6 | sed 's/^/  /'
fi
check "rows carry their own partition value" test "$(grep -c '"w":\([0-9]\),"i":[0-9]*,"note":"worker \1 ' "$WORK/scan")" -eq "$(wc -l < "$WORK/scan")"
check "describe: $N files, $N records" grep -q "\"numFiles\":$N,\"numRecords\":$N," <("$V" table describe "$TB" --json)
bad=""
for n in 1 9 10 11 399 400 401 $((top - 1)) $top; do
  got=$("$V" table scan "$TB" --version $n 2>&1 | grep -c '^{"id"')
  [ "$got" = "$n" ] || bad+=" version $n: $got rows;"
done
check_eq "scan --version N returns N rows (1 9 10 11 399 400 401 $((top - 1)) $top)" "$bad" ""
