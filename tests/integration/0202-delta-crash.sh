# vidlake table append killed with SIGKILL at random moments, 50 times.
# Each attempt a appends R rows (ids a*100000 .. a*100000+R-1, column
# attempt = a, 5 partitions) in the background, sleeps a random 0-200 ms and
# sends SIGKILL: the writer dies while parsing, while writing data files,
# around the put-if-absent of the commit, or while writing the checkpoint
# that every 10th version brings (or it has already finished). After each
# kill:
#   - `table describe` and `table scan` succeed (no torn log or checkpoint);
#   - the attempt's rows are all there or none is (never a partial commit),
#     each id at most once, and exactly its ids when committed;
#   - the table holds R rows per committed attempt, and its latest version
#     equals the number of committed attempts (each append is one commit);
#     an append that exited 0 is committed; one that was killed may have
#     committed just before dying (counted, reported).
# A full scan every 10 attempts and at the end checks every committed
# attempt's ids. At the end `vacuum --retain-hours 0` deletes the orphan
# data files the killed writers left (on disk afterwards: the live files)
# and the scan is unchanged.
# R is chosen so that an append left alone takes about 150 ms with this
# binary (at most 20000 rows, at least 2000), so some appends finish and the
# others die at every stage.
. "$(dirname "$0")/lib.sh"

T="delta crash"
V=$VIDLAKE
TB="$WORK/tbl"
KILLS=50
export LC_ALL=C

ms() { echo $(($(date +%s%N) / 1000000)); }
# gen A R: the rows of attempt A
gen() {
  awk -v a="$1" -v n="$2" 'BEGIN { for (r = 0; r < n; r++)
    printf "{\"id\":%d,\"attempt\":%d,\"part\":\"p%d\",\"seq\":%d,\"payload\":\"payload %d of attempt %d, some words to make it longer\",\"amount\":%d.25}\n",
      a * 100000 + r, a, r % 5, r, r * 7, a, r }'
}
SCHEMA='id long, attempt int, part string, seq int, payload string, amount double'
sanitizer() { grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$@" 2>/dev/null; }

# ------------------------------------------------------------ calibrate R
"$V" table create "$WORK/cal" --schema "$SCHEMA" --partition-by part 2> /dev/null
gen 0 20000 > "$WORK/cal.ndjson"
t0=$(ms); "$V" table append "$WORK/cal" --from "$WORK/cal.ndjson" 2> /dev/null; t1=$(ms)
R=$((20000 * 150 / (t1 - t0 + 1)))
[ $R -gt 20000 ] && R=20000
[ $R -lt 2000 ] && R=2000
echo "# an append of 20000 rows took $((t1 - t0)) ms: $R rows per append"
rm -rf "$WORK/cal" "$WORK/cal.ndjson"

check_eq "create exits 0" "$(run_status "$V" table create "$TB" --schema "$SCHEMA" --partition-by part)" 0

latest() { sed -n 's/^{"table":"[^"]*","version":\([0-9]*\).*/\1/p' "$1"; }
records() { sed -n 's/.*"numRecords":\([0-9]*\).*/\1/p' "$1"; }

# full_check LABEL: a full scan; every committed attempt's ids, nothing else
full_check() {
  "$V" table scan "$TB" --columns id > "$WORK/full" 2> "$WORK/full.err" ||
    { fail "$T: $1: full scan exits $?: $(head -c 300 "$WORK/full.err")"; return; }
  sed 's/^{"id":\([0-9]*\)}$/\1/' "$WORK/full" | sort -n > "$WORK/full.ids"
  for a in "${committed[@]}"; do seq $((a * 100000)) $((a * 100000 + R - 1)); done | sort -n > "$WORK/full.want"
  if cmp -s "$WORK/full.ids" "$WORK/full.want"; then
    ok "$T: $1: a full scan has exactly the ids of the ${#committed[@]} committed appends, each once"
  else
    fail "$T: $1: the full scan's ids differ from those of the committed appends (${#committed[@]}):"
    diff "$WORK/full.ids" "$WORK/full.want" | head -6 | sed 's/^/  /'
  fi
}

committed=() n_exit0=0 n_killed=0 n_killed_committed=0
bad_describe=0 bad_scan=0 bad_partial=0 bad_version=0 bad_records=0 bad_exit=0
start=$(ms)
for ((a = 1; a <= KILLS; a++)); do
  gen $a $R > "$WORK/in.ndjson"
  "$V" table append "$TB" --from "$WORK/in.ndjson" > /dev/null 2> "$WORK/append.err" &
  pid=$!
  sleep "0.$(printf %03d $((RANDOM % 201)))"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null # (no "Killed" notice from the shell)
  st=$?
  case $st in
    0) n_exit0=$((n_exit0 + 1)) ;;
    137) n_killed=$((n_killed + 1)) ;;
    *) bad_exit=$((bad_exit + 1))
       fail "$T: attempt $a: the append exited $st on its own: $(head -c 300 "$WORK/append.err")" ;;
  esac

  # the table after the kill
  if ! "$V" table describe "$TB" --json > "$WORK/desc" 2> "$WORK/desc.err"; then
    bad_describe=$((bad_describe + 1))
    fail "$T: attempt $a (exit $st): describe fails after the kill: $(head -c 300 "$WORK/desc.err")"
    continue
  fi
  # this attempt's rows (the stats prune every other attempt's files)
  if ! "$V" table scan "$TB" --where "attempt = $a" --columns id > "$WORK/rows" 2> "$WORK/scan.err"; then
    bad_scan=$((bad_scan + 1))
    fail "$T: attempt $a (exit $st): scan fails after the kill: $(head -c 300 "$WORK/scan.err")"
    continue
  fi
  sanitizer "$WORK/desc.err" "$WORK/scan.err" && fail "$T: attempt $a: a sanitizer report reading the table"
  n=$(wc -l < "$WORK/rows")
  if [ "$n" -eq "$R" ]; then
    sed 's/^{"id":\([0-9]*\)}$/\1/' "$WORK/rows" | sort -n > "$WORK/rows.ids"
    if ! seq $((a * 100000)) $((a * 100000 + R - 1)) | cmp -s - "$WORK/rows.ids"; then
      bad_partial=$((bad_partial + 1))
      fail "$T: attempt $a: $R rows but not its $R ids, each once"
    fi
    committed+=("$a")
    [ $st -ne 0 ] && n_killed_committed=$((n_killed_committed + 1))
  elif [ "$n" -ne 0 ]; then
    bad_partial=$((bad_partial + 1))
    fail "$T: attempt $a (exit $st): a partial commit: $n of $R rows"
    committed+=("$a")
  elif [ $st -eq 0 ]; then
    bad_partial=$((bad_partial + 1))
    fail "$T: attempt $a: the append exited 0 but its rows are not in the table"
  fi
  v=$(latest "$WORK/desc")
  if [ "$v" != "${#committed[@]}" ]; then
    bad_version=$((bad_version + 1))
    fail "$T: attempt $a (exit $st): latest version $v, but ${#committed[@]} appends committed"
  fi
  recs=$(records "$WORK/desc")
  if [ "$recs" != $((R * ${#committed[@]})) ]; then
    bad_records=$((bad_records + 1))
    fail "$T: attempt $a (exit $st): describe counts $recs rows, not $R per committed append ($((R * ${#committed[@]})))"
  fi
  [ $((a % 10)) -eq 0 ] && [ $a -lt $KILLS ] && full_check "after attempt $a"
done
echo "# $KILLS attempts in $(( ($(ms) - start) / 1000 )) s: $n_exit0 finished before the kill, $n_killed killed" \
     "($n_killed_committed of them after committing); ${#committed[@]} committed"
check_eq "no append failed on its own" "$bad_exit" 0
check_eq "describe succeeded after every kill" "$bad_describe" 0
check_eq "scan succeeded after every kill" "$bad_scan" 0
check_eq "never a partial commit: each attempt's rows all there (exactly its ids) or none" "$bad_partial" 0
check_eq "the latest version always equals the number of committed appends" "$bad_version" 0
check_eq "describe's row count is always $R per committed append" "$bad_records" 0
check "some appends committed and some were killed before committing" \
  test ${#committed[@]} -gt 0 -a ${#committed[@]} -lt $KILLS
full_check "at the end"
"$V" table history "$TB" --json > "$WORK/hist" 2> "$WORK/err"
check_eq "history lists create and one commit per committed append" "$(wc -l < "$WORK/hist")" $((${#committed[@]} + 1))
# a writer killed after its commit may not have written the checkpoint it
# owed (the next multiple of the interval brings one): whatever is there
# must be whole and named correctly
if [ -f "$TB/_delta_log/_last_checkpoint" ]; then
  lc=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$TB/_delta_log/_last_checkpoint")
  check "_last_checkpoint names a checkpoint that exists" test -f "$TB/_delta_log/$(printf '%020d' "$lc").checkpoint.parquet"
fi

# ------------------------------------------------------------ vacuum
"$V" table scan "$TB" | sort | md5sum > "$WORK/before"
urldecode() { local s=${1//\\/\\\\}; printf '%b' "${s//%/\\x}"; }
"$V" table files "$TB" | sed -n 's/^{"path":"\([^"]*\)".*/\1/p' | while IFS= read -r p; do urldecode "$p"; echo; done |
  sort > "$WORK/live"
listdata() { (cd "$TB" && find . -type f -not -path './_delta_log/*' -not -name '.*' | sed 's|^\./||' | sort); }
listdata > "$WORK/ondisk"
orphans=$(comm -23 "$WORK/ondisk" "$WORK/live" | wc -l)
tmpfiles=$(cd "$TB" && find . -type f -name '.*.tmp.*' | wc -l)
echo "# before vacuum: $(wc -l < "$WORK/ondisk") data files, $(wc -l < "$WORK/live") live, $orphans orphans;" \
     "$tmpfiles hidden temporary files of interrupted puts"
check_eq "vacuum --retain-hours 0 exits 0" "$(run_status "$V" table vacuum "$TB" --retain-hours 0)" 0
check "vacuum reports the orphans and temporaries it deleted" grep -q "^vacuum: deleted $((orphans + tmpfiles)) files" "$WORK/out"
check_eq "vacuum swept the temporary files of interrupted puts" "$(cd "$TB" && find . -type f -name '.*.tmp.*' | wc -l)" 0
listdata > "$WORK/ondisk2"
if cmp -s "$WORK/ondisk2" "$WORK/live"; then ok "$T: after vacuum the data files on disk are exactly the live ones ($orphans orphans deleted)"; else
  fail "$T: after vacuum the data files on disk are not the live ones:"; diff "$WORK/ondisk2" "$WORK/live" | head -6 | sed 's/^/  /'
fi
check_eq "the scan is unchanged by vacuum" "$("$V" table scan "$TB" | sort | md5sum)" "$(cat "$WORK/before")"
check_eq "describe still works after vacuum" "$(run_status "$V" table describe "$TB")" 0
