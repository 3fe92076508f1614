# The Delta layer through a real S3 server: vidlake table on s3://bucket/...
# against a throwaway Ceph RADOS Gateway (s3_lib.sh), compared with the
# same commands on local paths (whose results 0200/0201 and the Delta unit
# tests verify).
#   - Reads: the shared Delta test data (DAT cases, delta-rs and golden
#     tables) uploaded as is. For every table, describe (text and --json),
#     history --json, files, scan and scan --format csv at the latest
#     version, describe --json and scan at every version (--version N) and
#     describe at every commit's time (--timestamp) give byte for byte the
#     output and exit status of the local run (the local path replaced by
#     the s3:// URL), and so does vacuum --dry-run --retain-hours 0 (the
#     listing of the table's objects, hidden and orphan files included): checkpoints (classic, multi-part, a stale or empty
#     _last_checkpoint, commits deleted before a checkpoint), partition
#     values escaped twice (x=A%2FA, "bar+%21"), null partitions, schema
#     changes, time travel. The tables we refuse (deletion vectors, v2
#     checkpoints, column mapping, an unknown feature, reader version 99,
#     a gap in the log) are refused with the same message. Pruning (--where,
#     files and scan --stats) as on disk. A generated log of 1101 commits
#     with a checkpoint at 1000 (listed in two pages of 1000 keys) reads as
#     on disk.
#   - Read errors: a table that is not there (and a bucket that is not),
#     a prefix without _delta_log, a version past the latest, a truncated
#     commit, a garbage checkpoint, a missing and a garbage data file, a
#     wrong secret: the same exit status as on disk, a message naming the
#     s3:// table and the version or file at fault; no sanitizer report.
#   - Writes: create (partitioned by two columns), appends with escaped,
#     null and non-ASCII partition values, an idempotent --txn append and
#     its replay, an --overwrite of some partitions, --merge-schema, an
#     automatic and an explicit checkpoint, optimize, scan/describe/files
#     at every version, history, vacuum (--dry-run and real), scan of a
#     vacuumed version refused, create again refused ("already exists"), a
#     bad row refused: every step's output and status as on disk (UUIDs and
#     times aside). The bucket then holds exactly a Delta table's objects:
#     the log objects on disk, the data files on disk, which are the live
#     files, nothing temporary. A table at a bucket's root (no prefix).
#     Partition values with punctuation, spaces and non-ASCII (raw or
#     Hive-escaped in the keys) scan back as written; values holding ".."
#     can be appended.
#   - Concurrency (put-if-absent, If-None-Match: *): 4 processes each make
#     20 one-row appends to one s3:// table at once: every append exits 0,
#     commits 0..80 contiguous, every commit object whole (JSON lines, a
#     commitInfo, one add), a checkpoint every 10 versions and
#     _last_checkpoint at 80, every id exactly once in the scan, N rows at
#     version N, history of 81 commits. Two `table create`
#     racing for one new table (5 rounds): exactly one wins, the other is
#     refused, the table has the winner's schema.
# The read cases are skipped (saying so) without the test data; the whole
# test is skipped without Ceph or jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T="s3 delta"
V=$VIDLAKE
need_rgw "$T"
if ! command -v jq > /dev/null 2>&1; then echo "skip $T: jq is not installed"; exit 0; fi
export LC_ALL=C
D="${VIDLAKE_TESTDATA:-}/delta"
HAVE_DATA=1
[ -d "$D/dat" ] && [ -d "$D/delta-rs" ] && [ -d "$D/golden" ] || HAVE_DATA=0
t_start=$(date +%s)

RGW_MGR=0
if ! start_rgw "$WORK/ceph"; then
  fail "$T: start_rgw brings up the gateway"
  exit 0
fi
echo "# the gateway came up in $RGW_START_SECONDS s at $RGW_URL"
rgw_env

# ------------------------------------------------------------ helpers

# s3get PATH OUT: a signed GET of PATH (/bucket/key?query) into OUT; prints the status
s3get() {
  curl -s -o "$2" -w '%{http_code}' --aws-sigv4 "aws:amz:$RGW_REGION:s3" \
    --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$RGW_URL$1"
}
# uri TEXT: TEXT percent-encoded (RFC 3986 unreserved kept)
uri() { jq -rn --arg s "$1" '$s | @uri'; }
# s3ls BUCKET PREFIX OUT: the keys under PREFIX (one a line, prefix cut off,
# XML entities decoded), following continuation tokens; non-zero on error
s3ls() {
  local b=$1 p=$2 out=$3 tok="" st q
  : > "$out"
  while :; do
    q="list-type=2&prefix=$(uri "$p")"
    [ -n "$tok" ] && q="continuation-token=$(uri "$tok")&$q"
    st=$(s3get "/$b?$q" "$WORK/ls.xml")
    [ "$st" = 200 ] || { echo "s3ls $b/$p: HTTP $st" >&2; return 1; }
    grep -o '<Key>[^<]*</Key>' "$WORK/ls.xml" | sed -e 's:</*Key>::g' -e 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g' \
      -e "s/&apos;/'/g; s/&amp;/\\&/g" | cut -c$((${#p} + 1))- >> "$out"
    grep -q '<IsTruncated>true</IsTruncated>' "$WORK/ls.xml" || return 0
    tok=$(sed -n 's:.*<NextContinuationToken>\([^<]*\)</NextContinuationToken>.*:\1:p' "$WORK/ls.xml")
  done
}
# put_tree DIR BUCKET/PREFIX: like rgw_put_dir (every file under DIR to
# BUCKET/PREFIX/<its path>), in one curl making 8 PUTs at a time;
# non-zero, naming the first failures, unless every PUT said 200
put_tree() {
  local d=$1 dst=$2 n
  {
    printf 'aws-sigv4 = "aws:amz:%s:s3"\nuser = "%s:%s"\nheader = "x-amz-content-sha256: UNSIGNED-PAYLOAD"\n' \
      "$RGW_REGION" "$RGW_ACCESS_KEY" "$RGW_SECRET_KEY"
    (cd "$d" && find . -type f | sed 's|^\./||' | sort) |
      jq -Rr --arg u "$RGW_URL/$dst/" --arg d "$d/" \
        '"url = \"\($u)\(@uri | gsub("%2F"; "/"))\"\nupload-file = \"\($d)\(.)\"\noutput = \"/dev/null\""'
  } > "$WORK/put.cfg"
  n=$(grep -c '^url' "$WORK/put.cfg")
  curl -sS --no-progress-meter --path-as-is --parallel --parallel-max 8 -w '%{http_code} %{url_effective}\n' -K "$WORK/put.cfg" > "$WORK/put.st.$$" 2> "$WORK/put.err.$$"
  if [ "$(grep -c '^200 ' "$WORK/put.st.$$")" != "$n" ]; then
    echo "put_tree $d: $(grep -vc '^200 ' "$WORK/put.st.$$") of $n failed: $(grep -v '^200 ' "$WORK/put.st.$$" | head -3)" >&2
    return 1
  fi
}
# same NAME GOT_FILE WANT_FILE: ok when the files are equal, else the first differences
same() {
  if cmp -s "$2" "$3"; then ok "$1"; else
    fail "$1 ($(wc -l < "$2") lines got, $(wc -l < "$3") wanted)"
    diff "$3" "$2" | head -8 | cut -c1-300 | sed 's/^/  /'
  fi
}
# lit TEXT: TEXT as a sed regular expression matching it literally
lit() { printf '%s' "$1" | sed 's/[][\.*^$|/]/\\&/g'; }
# insane FILE...: the files holding a sanitizer report or a crash
insane() { grep -lE 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Aborted|core dumped' "$@" 2>/dev/null; }

# A plan is a list of commands "ID<TAB>TABLE<TAB>ARGS" (ARGS quoted for the
# shell, @ standing for the table); run_plan runs it with the tables under a
# root: vidlake table ARGS, with @ = ROOT/TABLE.
# plan FILE ID TABLE ARGS...
plan() { local f=$1 id=$2 rel=$3; shift 3; printf '%s\t%s\t%s\n' "$id" "$rel" "$(printf '%q ' "$@")" >> "$f"; }
# run_plan FILE ROOT OUTDIR: OUTDIR/ID.out, .err and .rc
run_plan() {
  local f=$1 root=$2 o=$3 id rel args a argv
  mkdir -p "$o"
  while IFS=$'\t' read -r id rel args; do
    eval "set -- $args"
    argv=()
    for a in "$@"; do [ "$a" = @ ] && a="$root/$rel"; argv+=("$a"); done
    "$V" table "${argv[@]}" > "$o/$id.out" 2> "$o/$id.err" < /dev/null
    echo $? > "$o/$id.rc"
  done < "$f"
}
# run_plan2 FILE ROOT OUTDIR: run_plan in two processes at once, half the
# commands each (the S3 commands wait on the network more than they compute)
run_plan2() {
  awk 'NR % 2 == 0' "$1" > "$1.0"
  awk 'NR % 2 == 1' "$1" > "$1.1"
  run_plan "$1.0" "$2" "$3" &
  local p=$!
  run_plan "$1.1" "$2" "$3"
  wait $p
}
# localize DIR FROM TO: in every file of DIR, FROM replaced by TO
localize() { local e; e=$(lit "$2"); find "$1" -type f -exec sed -i "s|$e|$3|g" {} +; }
# unclock DIR: the seconds of --stats cut from DIR/*.err
unclock() { find "$1" -name '*.err' -exec sed -i 's/, [0-9.]* s$/, S s/' {} +; }

# ============================================================ reads
B=lake-read
check "$T: create the buckets" rgw_mb $B
rgw_mb lake-write && rgw_mb lake-conc && rgw_mb lake-root || fail "$T: create the write buckets"
TABLES=()
if [ $HAVE_DATA = 1 ]; then
  # a copy: the fixtures stay read-only whatever the commands do
  cp -r "$D" "$WORK/td"
  D="$WORK/td"
  for c in "$D"/dat/*/delta; do c=${c#"$D"/}; TABLES+=("$c"); done
  for c in "$D"/delta-rs/* "$D"/golden/*; do [ -d "$c/_delta_log" ] && TABLES+=("${c#"$D"/}"); done
  # generated tables: broken copies (the same damage on disk and in the
  # bucket) and a long log
  GEN="$WORK/gen"
  mkdir -p "$GEN"
  BA=dat/basic_append/delta
  for c in truncated-commit missing-file garbage-file; do cp -r "$D/$BA" "$GEN/$c"; done
  cp -r "$D/dat/with_checkpoint/delta" "$GEN/garbage-checkpoint"
  head -c 200 "$D/$BA/_delta_log/00000000000000000001.json" > "$GEN/truncated-commit/_delta_log/00000000000000000001.json"
  DF1=$(sed -n 's/.*"add":{"path":"\([^"]*\)".*/\1/p' "$D/$BA/_delta_log/00000000000000000001.json")
  rm "$GEN/missing-file/$DF1"
  printf 'not a parquet file\n' > "$GEN/garbage-file/$DF1"
  CPF=$(cd "$GEN/garbage-checkpoint/_delta_log" && ls ./*.checkpoint.parquet | head -1)
  CPF=${CPF#./}
  printf 'PAR1 garbage PAR1' > "$GEN/garbage-checkpoint/_delta_log/$CPF"
  # a long log: basic_append's version 0, then 1100 commits of a commitInfo
  # alone (a second apart, recent), a checkpoint at 1000: listing the whole
  # log on S3 takes two pages (1000 keys each)
  LONG="$GEN/long"
  mkdir -p "$LONG/_delta_log"
  cp "$D/$BA/_delta_log/00000000000000000000.json" "$LONG/_delta_log/"
  DF0=$(sed -n 's/.*"add":{"path":"\([^"]*\)".*/\1/p' "$D/$BA/_delta_log/00000000000000000000.json")
  cp "$D/$BA/$DF0" "$LONG/"
  T0S=$(( $(date +%s) - 3600 ))
  gen_commits() {
    awk -v a="$1" -v b="$2" -v t0="$((T0S * 1000))" -v d="$LONG/_delta_log" 'BEGIN {
      for (v = a; v <= b; v++) {
        f = sprintf("%s/%020d.json", d, v)
        printf "{\"commitInfo\":{\"timestamp\":%d,\"operation\":\"SET TBLPROPERTIES\",\"operationParameters\":{},\"engineInfo\":\"test\"}}\n", t0 + v * 1000 > f
        close(f)
      }
    }'
  }
  gen_commits 1 1000
  "$V" table checkpoint "$LONG" > "$WORK/long.out" 2>&1 || fail "$T: checkpoint of the long log on disk: $(head -c 300 "$WORK/long.out")"
  gen_commits 1001 1100

  # upload in the background while the local runs go
  t0=$(date +%s.%N)
  up_pids=()
  (put_tree "$D" "$B/td" && put_tree "$GEN" "$B/gen" &&
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }' > "$WORK/up.time") > "$WORK/up.1" 2>&1 & up_pids+=($!)

  # the plan: every table at the latest version and at every version
  P="$WORK/plan.read"
  : > "$P"
  k=0
  for rel in "${TABLES[@]}"; do
    k=$((k + 1))
    echo "$k $rel" >> "$WORK/tables"
    plan "$P" "$k.describe" "$rel" describe @
    plan "$P" "$k.describe-json" "$rel" describe @ --json
    plan "$P" "$k.history-json" "$rel" history @ --json
    plan "$P" "$k.files" "$rel" files @
    plan "$P" "$k.scan" "$rel" scan @
    plan "$P" "$k.scan-csv" "$rel" scan @ --format csv --limit 3
    plan "$P" "$k.vacuum-dry" "$rel" vacuum @ --dry-run --retain-hours 0
    # the versions: those the local history lists (none for a refused table)
    "$V" table history "$D/$rel" --json > "$WORK/hist.$k" 2>/dev/null
    sed -n 's/^{"version":\([0-9]*\),"timestamp":"\([^"]*\)".*/\1 \2/p' "$WORK/hist.$k" > "$WORK/versions.$k"
    # a commit without commitInfo has its object's time (the upload's on S3)
    mtime=0
    grep -q '"commitInfo":null' "$WORK/hist.$k" && mtime=1 && echo "$k" >> "$WORK/mtime"
    while read -r n ts; do
      plan "$P" "$k.v$n.describe" "$rel" describe @ --version "$n" --json
      plan "$P" "$k.v$n.scan" "$rel" scan @ --version "$n"
      [ $mtime = 1 ] || plan "$P" "$k.t$n.describe" "$rel" describe @ --timestamp "$ts" --json
    done < "$WORK/versions.$k"
    [ -s "$WORK/versions.$k" ] && plan "$P" "$k.t-before" "$rel" describe @ --timestamp 1970-01-01T00:00:00Z
  done
  tnum() { awk -v r="$1" '$2 == r { print $1 }' "$WORK/tables"; }
  # pruning
  k=$(tnum delta-rs/delta-0.8.0-special-partition)
  plan "$P" "$k.where1" delta-rs/delta-0.8.0-special-partition files @ --where "x = 'A/A'"
  plan "$P" "$k.where2" delta-rs/delta-0.8.0-special-partition scan @ --where "x = 'B B'" --stats
  k=$(tnum dat/multi_partitioned/delta)
  plan "$P" "$k.where1" dat/multi_partitioned/delta scan @ --version 1 --where "letter IS NULL OR letter = '/%20%f'" --stats
  k=$(tnum golden/data-reader-escaped-chars)
  plan "$P" "$k.where1" golden/data-reader-escaped-chars scan @ --where "_2 = 'bar+%22'" --stats
  k=$(tnum golden/basic-with-inserts-deletes-checkpoint)
  plan "$P" "$k.where1" golden/basic-with-inserts-deletes-checkpoint scan @ --where "id >= 60" --columns id --stats
  # errors
  plan "$P" "e.nope" nope scan @
  plan "$P" "e.nope-history" nope history @
  plan "$P" "e.no-log" dat/basic_append scan @
  plan "$P" "e.past" $BA scan @ --version 7
  P2="$WORK/plan.bad"
  : > "$P2"
  for c in truncated-commit missing-file garbage-file garbage-checkpoint; do
    plan "$P2" "$c.scan" "$c" scan @
    plan "$P2" "$c.describe" "$c" describe @
  done
  plan "$P2" "missing-file.v0" missing-file scan @ --version 0
  plan "$P2" "long.describe" long describe @ --json
  plan "$P2" "long.describe-1050" long describe @ --json --version 1050
  plan "$P2" "long.history" long history @ --json --limit 3
  plan "$P2" "long.scan-5" long scan @ --version 5
  plan "$P2" "long.t1050" long describe @ --json --timestamp \
    "$(date -u -d "@$((T0S + 1050))" +%Y-%m-%dT%H:%M:%SZ)"

  run_plan2 "$P" "$D" "$WORK/loc"
  run_plan "$P2" "$GEN" "$WORK/loc"
  unclock "$WORK/loc"
  localize "$WORK/loc" "$GEN" "s3://$B/gen"
  localize "$WORK/loc" "$D" "s3://$B/td"
  echo "# $(wc -l < "$P") + $(wc -l < "$P2") read commands on disk in $(( $(date +%s) - t_start )) s since the start"

  upfail=0
  for p in "${up_pids[@]}"; do wait "$p" || upfail=1; done
  if [ $upfail = 0 ]; then
    ok "$T: upload the test data ($(find "$D" "$GEN" -type f | wc -l) files, $(cat "$WORK/up.time") s)"
  else
    fail "$T: upload the test data: $(cat "$WORK"/up.* | head -3)"
  fi

  t0=$(date +%s)
  run_plan2 "$P" "s3://$B/td" "$WORK/s3"
  run_plan "$P2" "s3://$B/gen" "$WORK/s3"
  unclock "$WORK/s3"
  echo "# the same on s3:// in $(( $(date +%s) - t0 )) s"
  check_eq "$T: no sanitizer report or crash in the reads" "$(insane "$WORK"/s3/*.err | head -3 | tr '\n' ' ')" ""

  touch "$WORK/mtime"
  while read -r k; do
    sed -i -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/TIME/g' "$WORK"/{loc,s3}/"$k".history*.out
  done < "$WORK/mtime"
  # the files that differ (one diff for them all)
  diff -rq "$WORK/loc" "$WORK/s3" | sed -n -e 's|^Files .*/loc/\([^ ]*\) and .* differ$|\1|p' \
    -e 's|^Only in [^:]*: ||p' > "$WORK/differ"
  # cmp_ids LABEL IDS...: ok when stdout, stderr and status of each ID are the same
  cmp_ids() {
    local label=$1 bad; shift
    bad=$(printf '%s\n' "$@" | awk 'NR == FNR { want[$0]; next }
      { id = $0; sub(/\.(out|err|rc)$/, "", id); if (id in want) printf " %s", $0 }' - "$WORK/differ")
    if [ -z "$bad" ]; then ok "$label"; else
      fail "$label: differs:$(echo "$bad" | cut -c1-400)"
      set -- $bad
      diff "$WORK/loc/$1" "$WORK/s3/$1" 2>&1 | head -6 | cut -c1-300 | sed 's/^/  /'
    fi
  }
  while read -r k rel; do
    ids=()
    for f in "$WORK/loc/$k".*.rc; do f=${f##*/}; ids+=("${f%.rc}"); done
    nv=$(wc -l < "$WORK/versions.$k")
    what="describe, history, files, scan, CSV, vacuum --dry-run; describe and scan at $nv versions"
    grep -qx "$k" "$WORK/mtime" || what+=" and their timestamps"
    if [ "$(cat "$WORK/loc/$k.scan.rc")" != 0 ]; then
      what="refused as on disk: $(sed 's/^vidlake table: [^ ]*: //' "$WORK/loc/$k.scan.err" | head -c 150)"
      check_eq "$T: $rel is refused on s3:// too (exit 2)" "$(cat "$WORK/s3/$k.scan.rc")" 2
    fi
    cmp_ids "$T: $rel on s3:// reads as on disk ($what)" "${ids[@]}"
  done < "$WORK/tables"

  # errors: same status; the message names the s3:// table and what is wrong
  # err_check LABEL ID WORDS...: the S3 run failed like the local one and its
  # stderr holds every WORD
  err_check() {
    local label=$1 id=$2 w miss=""; shift 2
    for w in "$@"; do grep -qF -- "$w" "$WORK/s3/$id.err" || miss+=" '$w'"; done
    if [ "$(cat "$WORK/s3/$id.rc")" = "$(cat "$WORK/loc/$id.rc")" ] && [ "$(cat "$WORK/s3/$id.rc")" != 0 ] && [ -z "$miss" ]; then
      ok "$label (exit $(cat "$WORK/s3/$id.rc"))"
    else
      fail "$label: exit $(cat "$WORK/s3/$id.rc") (on disk $(cat "$WORK/loc/$id.rc")), missing$miss in: $(head -c 400 "$WORK/s3/$id.err")"
      echo "  on disk: $(head -c 300 "$WORK/loc/$id.err")"
    fi
  }
  err_check "$T: a missing table: the error names its URL" e.nope "s3://$B/td/nope"
  cmp_ids "$T: a missing table: the same error as on disk" e.nope e.nope-history
  err_check "$T: a prefix without _delta_log: the error names it" e.no-log "s3://$B/td/dat/basic_append"
  cmp_ids "$T: a prefix without _delta_log: the same error as on disk" e.no-log
  err_check "$T: a version past the latest: the error names it and the latest" e.past "s3://$B/td/$BA" 7 1
  cmp_ids "$T: a version past the latest: the same error as on disk" e.past
  for c in truncated-commit garbage-checkpoint; do
    cmp_ids "$T: $c: the same error as on disk" "$c.scan" "$c.describe"
  done
  err_check "$T: truncated-commit: the error names the table and version 1" truncated-commit.scan "s3://$B/gen/truncated-commit" "version 1"
  err_check "$T: garbage-checkpoint: the error names the table and the checkpoint" garbage-checkpoint.scan "s3://$B/gen/garbage-checkpoint" "$CPF"
  err_check "$T: a missing data file: the error names the table and the file" missing-file.scan "s3://$B/gen/missing-file" "$DF1"
  err_check "$T: a garbage data file: the error names the table and the file" garbage-file.scan "s3://$B/gen/garbage-file" "$DF1"
  cmp_ids "$T: missing and garbage data files: describe and the version without the file as on disk" \
    missing-file.describe garbage-file.describe missing-file.v0
  cmp_ids "$T: a log of 1101 commits (listed in two pages): describe, --version 1050, history, scan --version 5 and --timestamp as on disk" \
    long.describe long.describe-1050 long.history long.scan-5 long.t1050
  check "$T: ... describe --version 1050 gives version 1050 from the checkpoint at 1000" \
    grep -q '^{"table":"s3://lake-read/gen/long","version":1050,.*"checkpointVersion":1000,' "$WORK/s3/long.describe-1050.out"
  check "$T: ... the latest is 1100" grep -q '"version":1100,' "$WORK/s3/long.describe.out"
  # a bucket that does not exist; a wrong secret
  rc=$(run_status "$V" table scan "s3://no-such-bucket/t")
  check_eq "$T: a bucket that does not exist: exit 2" "$rc" 2
  check "$T: ... the error names the URL" grep -qF "s3://no-such-bucket/t" "$WORK/err"
  check "$T: ... and says the bucket does not exist (not 'no Delta table')" grep -q "404 NoSuchBucket" "$WORK/err"
  rc=$(AWS_SECRET_ACCESS_KEY=wrong run_status "$V" table scan "s3://$B/td/$BA")
  check_eq "$T: a wrong secret: exit 2" "$rc" 2
  check "$T: ... the error says SignatureDoesNotMatch" grep -q SignatureDoesNotMatch "$WORK/err"
  [ -n "$(insane "$WORK/err")" ] && fail "$T: a sanitizer report with a wrong secret"
else
  echo "skip $T: read cases: no Delta test data at \$VIDLAKE_TESTDATA/delta ($D)"
fi

# ============================================================ writes
# the same sequence on disk and on s3://; each step's stdout, stderr and
# status in DIR/NN.{out,err,rc}
SCHEMA='id long, name string, region string, day date, amount decimal(10,2), tags array<string>'
# rows START COUNT [EXTRA]: NDJSON rows with ids START.., partition values
# cycling through escaped, null and non-ASCII ones
rows() {
  awk -v s="$1" -v n="$2" -v x="${3:-}" 'BEGIN {
    split("\"a/b c\"|\"x%y\"|null|\"ü\"|\"eu\"", R, "|"); split("\"2024-05-01\"|\"2024-05-02\"|null", D, "|")
    for (k = 0; k < n; k++) {
      id = s + k
      printf "{\"id\":%d,\"name\":%s,\"region\":%s,\"day\":%s,\"amount\":%s,\"tags\":%s%s}\n", id,
        k % 4 == 0 ? "null" : "\"n" id " é\"", R[id % 5 + 1], D[id % 3 + 1],
        k % 3 == 0 ? "null" : "\"" id "." (id % 100 < 10 ? "0" : "") id % 100 "\"",
        k % 2 ? "[\"t" id "\",null]" : "[]", x == "" ? "" : ",\"extra\":" (k % 2 ? id * 10 : "null")
    }
  }'
}
mkdir -p "$WORK/in"
rows 1 10 > "$WORK/in/b1"
rows 11 10 > "$WORK/in/b2"
rows 21 5 > "$WORK/in/b3"
rows 31 6 | grep '"region":"eu"' > "$WORK/in/b4"
rows 41 6 x > "$WORK/in/b5"
rows 51 6 x > "$WORK/in/b6"
rows 61 7 x > "$WORK/in/b7"
echo '{"id":"not a number","region":"eu"}' > "$WORK/in/bad"
# write_seq TABLE DIR: DIR/STEP.{out,err,rc}; the output's times, UUIDs
# and table ids neutralized, its lines sorted (the order of files, so of
# rows, follows their random names)
write_seq() {
  local t=$1 o=$2 v
  mkdir -p "$o"
  step() { local s=$1; shift; "$V" table "$@" > "$o/$s.out" 2> "$o/$s.err" < /dev/null; echo $? > "$o/$s.rc"; }
  step create create "$t" --schema "$SCHEMA" --partition-by region,day --property delta.checkpointInterval=4
  step b1 append "$t" --from "$WORK/in/b1"
  step b2 append "$t" --from "$WORK/in/b2"
  step txn append "$t" --from "$WORK/in/b3" --txn app1:1
  step replay append "$t" --from "$WORK/in/b3" --txn app1:1
  step overwrite append "$t" --from "$WORK/in/b4" --overwrite
  step merge append "$t" --from "$WORK/in/b5" --schema "$SCHEMA, extra int" --merge-schema
  step b6 append "$t" --from "$WORK/in/b6"
  step checkpoint checkpoint "$t"
  step b7 append "$t" --from "$WORK/in/b7"
  step optimize optimize "$t"
  for v in $(seq 0 8); do
    step v$v.scan scan "$t" --version $v
    step v$v.describe describe "$t" --version $v --json
    step v$v.files files "$t" --version $v
  done
  step history history "$t" --json
  step dry vacuum "$t" --retain-hours 0 --dry-run
  step vacuum vacuum "$t" --retain-hours 0
  step scan scan "$t"
  step describe describe "$t" --json
  step files files "$t"
  step old scan "$t" --version 2
  step again create "$t" --schema 'id long'
  step bad append "$t" --from "$WORK/in/bad"
  sed -i 's/\(,"timestamp":"\)[^"]*"/\1T"/; s/"timestamp":[0-9]*/"timestamp":T/g; s/"txnId":"[^"]*"/"txnId":"X"/; s/\("id":"\)[0-9a-f-]*"/\1X"/; s/"modificationTime":[0-9]*/"modificationTime":M/; s/"createdTime":[0-9]*/"createdTime":C/' "$o"/*
  sed -i -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' "$o"/*
  for f in "$o"/*.out; do sort -o "$f" "$f"; done
}
WL="$WORK/wl/t"
WS="s3://lake-write/w/t"
t0=$(date +%s)
write_seq "$WL" "$WORK/wr.loc" &
wl_pid=$!
write_seq "$WS" "$WORK/wr.s3"
wait $wl_pid
echo "# the write sequence on disk and on s3:// in $(( $(date +%s) - t0 )) s"
localize "$WORK/wr.loc" "$WL" "$WS"
check_eq "$T: write: no sanitizer report or crash" "$(insane "$WORK"/wr.s3/*.err | head -3 | tr '\n' ' ')" ""
# wr_same LABEL STEP...: the steps' output, stderr and status as on disk
wr_same() {
  local label=$1 s bad="" first=""; shift
  for s in "$@"; do
    for x in out err rc; do
      if ! cmp -s "$WORK/wr.loc/$s.$x" "$WORK/wr.s3/$s.$x"; then
        bad+=" $s.$x"
        [ -n "$first" ] || first=$(diff "$WORK/wr.loc/$s.$x" "$WORK/wr.s3/$s.$x" | head -6 | cut -c1-300)
      fi
    done
  done
  if [ -z "$bad" ]; then ok "$label"; else fail "$label: differs:$bad"; echo "$first" | sed 's/^/  /'; fi
}
rcs() { local s r=""; for s in "$@"; do r+=" $(cat "$WORK/wr.s3/$s.rc")"; done; echo "${r# }"; }
check_eq "$T: write: create, 6 appends, checkpoint, append, optimize, vacuum: exit 0" \
  "$(rcs create b1 b2 txn replay overwrite merge b6 checkpoint b7 optimize dry vacuum)" "0 0 0 0 0 0 0 0 0 0 0 0 0"
wr_same "$T: write: create (partitioned by region, day) as on disk" create
wr_same "$T: write: appends of rows with escaped, null, non-ASCII partition values as on disk" b1 b2
wr_same "$T: write: an --txn append and its replay (nothing to do) as on disk" txn replay
check "$T: write: ... the replay says so" grep -q "already committed version 1 of 'app1'" "$WORK/wr.s3/replay.err"
wr_same "$T: write: an --overwrite of the eu partitions as on disk (automatic checkpoint at 4)" overwrite
wr_same "$T: write: --merge-schema adds a column, then appends with it, as on disk" merge b6
wr_same "$T: write: checkpoint, append after it, as on disk" checkpoint b7
wr_same "$T: write: optimize as on disk" optimize
check "$T: write: ... optimize compacted files" grep -q '^optimize: version 8:' "$WORK/wr.s3/optimize.out"
wr_same "$T: write: scan, describe and files at every version 0..8 as on disk" \
  $(for v in $(seq 0 8); do echo v$v.scan v$v.describe v$v.files; done)
check_eq "$T: write: ... every version scans (exit 0)" "$(rcs $(for v in $(seq 0 8); do echo v$v.scan; done))" "0 0 0 0 0 0 0 0 0"
wr_same "$T: write: history --json (versions, operations, parameters, metrics, adds, removes) as on disk" history
check_eq "$T: write: history lists versions 8..0" "$(sed -n 's/^{"version":\([0-9]*\),.*/\1/p' "$WORK/wr.s3/history.out" | sort -n | tr '\n' ' ')" \
  "0 1 2 3 4 5 6 7 8 "
wr_same "$T: write: vacuum --dry-run --retain-hours 0 and vacuum as on disk" dry vacuum
check "$T: write: ... vacuum deleted files" grep -qE '^vacuum: deleted [1-9][0-9]* files' "$WORK/wr.s3/vacuum.out"
wr_same "$T: write: after vacuum, scan, describe --json and files as on disk" scan describe files
check "$T: write: ... the scan is version 8's" cmp -s "$WORK/wr.s3/scan.out" "$WORK/wr.s3/v8.scan.out"
check_eq "$T: write: scan --version 2 after vacuum fails as on disk (exit 2)" "$(rcs old) $(cat "$WORK/wr.loc/old.rc")" "2 2"
check "$T: write: ... naming the table and a missing data file" grep -qE "$WS.*part-00000-UUID|part-00000-UUID.*$WS" "$WORK/wr.s3/old.err"
check_eq "$T: write: create again is refused (exit 2)" "$(rcs again)" 2
check "$T: write: ... 'already exists', naming the table" grep -qF "create $WS: a table already exists there" "$WORK/wr.s3/again.err"
wr_same "$T: write: create again refused as on disk" again
check_eq "$T: write: a bad row is refused (exit 2)" "$(rcs bad)" 2
wr_same "$T: write: a bad row refused as on disk (line and field named)" bad
sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$WORK/wr.s3/scan.out" | sort -n > "$WORK/wr.ids"
check_eq "$T: write: the latest version has 43 rows, no id twice" "$(wc -l < "$WORK/wr.ids") $(uniq -d "$WORK/wr.ids" | wc -l)" "43 0"

# the objects: a Delta table's and nothing else
UUIDRE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
if s3ls lake-write w/t/ "$WORK/keys"; then
  check_eq "$T: write: every object is a commit, a checkpoint, _last_checkpoint or a data file (nothing temporary)" \
    "$(grep -vE "^_delta_log/([0-9]{20}\.(json|checkpoint\.parquet)|_last_checkpoint)\$|^([^/]+=[^/]*/)*part-[0-9]{5}-$UUIDRE\.c000\.zstd\.parquet\$" "$WORK/keys" | head -5 | tr '\n' ' ')" ""
  grep '^_delta_log/' "$WORK/keys" > "$WORK/keys.log"
  (cd "$WL" && find _delta_log -type f | sort) > "$WORK/keys.log.want"
  same "$T: write: the log objects are those on disk ($(wc -l < "$WORK/keys.log.want"): commits 0..8, checkpoints 4, 6, 8)" \
    "$WORK/keys.log" "$WORK/keys.log.want"
  grep -v '^_delta_log/' "$WORK/keys" | sort > "$WORK/keys.data"
  sed -E "s/$UUIDRE/UUID/" "$WORK/keys.data" | sort > "$WORK/keys.data.n"
  (cd "$WL" && find . -type f -not -path './_delta_log/*' | sed 's|^\./||' | sed -E "s/$UUIDRE/UUID/" | sort) > "$WORK/keys.data.want"
  same "$T: write: the data objects are those on disk (their UUIDs aside; $(wc -l < "$WORK/keys.data.want"))" \
    "$WORK/keys.data.n" "$WORK/keys.data.want"
  "$V" table files "$WS" 2> "$WORK/err" | sed -n 's/^{"path":"\([^"]*\)".*/\1/p' |
    while IFS= read -r p; do s=${p//%/\\x}; printf '%b\n' "$s"; done | sort > "$WORK/keys.live"
  same "$T: write: after vacuum the data objects are exactly the live files" "$WORK/keys.data" "$WORK/keys.live"
else
  fail "$T: write: list the bucket"
fi

# a table at the root of a bucket (no prefix)
rc1=$(run_status "$V" table create "s3://lake-root" --schema "$SCHEMA" --partition-by region,day)
rc2=$(run_status "$V" table append "s3://lake-root" --from "$WORK/in/b1")
"$V" table scan "s3://lake-root" 2> "$WORK/err" | sort > "$WORK/root.scan"
check_eq "$T: write: a table at a bucket's root: create, append exit 0" "$rc1 $rc2" "0 0"
same "$T: write: ... and it scans as version 1 on disk" "$WORK/root.scan" "$WORK/wr.loc/v1.scan.out"

# partition values with punctuation: the keys hold it raw or Hive-escaped
# ("%2A"), so the requests must encode (and sign) each byte as S3 does
PT="s3://lake-write/punct"
i=0
for v in 'p!q' "it's" 'a(b)c' 'x*y' 'a+b' 'c&d' 'e,f;g' 'h$i@j' 'k~l' 'm[n]o' 'p{q}r' 'hat^' 'back`tick' \
  'pipe|bar' 'lt<gt>' 'q"uote' 'hash#' 'qm?' 'col:on' 'sp ace' 'pct%41' 'é€😀' 'a=b' '&amp;' '.'; do
  i=$((i + 1)); jq -cn --arg v "$v" --argjson i $i '{id: $i, r: $v}'
done > "$WORK/in/punct"
rc1=$(run_status "$V" table create "$PT" --schema 'id long, r string' --partition-by r)
rc2=$(run_status "$V" table append "$PT" --from "$WORK/in/punct")
"$V" table scan "$PT" 2> "$WORK/err" | jq -c . | sort > "$WORK/punct.got"
jq -c . "$WORK/in/punct" | sort > "$WORK/punct.want"
check_eq "$T: write: partition values with punctuation, spaces, non-ASCII: create, append exit 0" "$rc1 $rc2" "0 0"
same "$T: write: ... and every value scans back as written" "$WORK/punct.got" "$WORK/punct.want"
# a partition value holding ".." (a version range, an ellipsis): Spark and
# Delta leave '.' unescaped in directory names, so the key is r=v1..2/...
printf '%s\n' '{"id":100,"r":"v1..2"}' '{"id":101,"r":"..."}' > "$WORK/in/dots"
rc=$(run_status "$V" table append "$PT" --from "$WORK/in/dots")
check_eq "$T: write: partition values holding '..' (v1..2, ...) can be appended (exit 0)" "$rc" 0
[ "$rc" = 0 ] || echo "  $(head -c 300 "$WORK/err")"

# ============================================================ concurrency
# 4 writers, 15 appends each, one row per append (worker w, commit i: id
# w*1000+i), all at once on one s3:// table
CT="s3://lake-conc/t"
WORKERS=4
COMMITS=20
N=$((WORKERS * COMMITS))
check_eq "$T: concurrency: create the table" \
  "$(run_status "$V" table create "$CT" --schema 'id long, w int, i int, note string' --partition-by w)" 0
worker() {
  local w=$1 i id
  : > "$WORK/cfail.$w"
  for ((i = 0; i < COMMITS; i++)); do
    id=$((w * 1000 + i))
    if ! printf '{"id":%d,"w":%d,"i":%d,"note":"worker %d commit %d"}\n' $id $w $i $w $i |
         "$V" table append "$CT" > /dev/null 2> "$WORK/cerr.$w.$i"; then
      echo "commit $i (id $id): $(head -c 300 "$WORK/cerr.$w.$i" | tr '\n' ' ')" >> "$WORK/cfail.$w"
    fi
  done
}
t0=$(date +%s.%N)
pids=()
for ((w = 0; w < WORKERS; w++)); do worker $w & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
echo "# $N appends by $WORKERS writers in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
nfail=$(cat "$WORK"/cfail.* | wc -l)
check_eq "$T: concurrency: every one of the $N appends exited 0" "$nfail" 0
[ "$nfail" -gt 0 ] && cat "$WORK"/cfail.* | head -5 | sed 's/^/  /'
check_eq "$T: concurrency: no sanitizer report or crash" "$(insane "$WORK"/cerr.* | head -3 | tr '\n' ' ')" ""
gaveup=$(grep -l 'gave up after losing' "$WORK"/cerr.* 2>/dev/null | wc -l)
[ "$gaveup" -gt 0 ] && echo "# $gaveup appends gave up after losing too many races"
if s3ls lake-conc t/_delta_log/ "$WORK/clog"; then
  sed -n 's/^\([0-9]\{20\}\)\.json$/\1/p' "$WORK/clog" | awk '{ print $0 + 0 }' | sort -n > "$WORK/cversions"
  top=$(tail -1 "$WORK/cversions")
  if [ "$(seq 0 "${top:-0}" | md5sum)" = "$(md5sum < "$WORK/cversions")" ]; then
    ok "$T: concurrency: the commits are contiguous (0..$top)"
  else
    fail "$T: concurrency: the commits are not contiguous: $(wc -l < "$WORK/cversions") up to $top"
    diff <(seq 0 "${top:-0}") "$WORK/cversions" | head -5 | sed 's/^/  /'
  fi
  check_eq "$T: concurrency: the log holds commits 0..$N (create and one per append)" "$top" $N
  check_eq "$T: concurrency: nothing else in the log but checkpoints and _last_checkpoint" \
    "$(grep -vE '^[0-9]{20}\.(json|checkpoint\.parquet)$|^_last_checkpoint$' "$WORK/clog" | head -5 | tr '\n' ' ')" ""
  check_eq "$T: concurrency: a checkpoint at every 10th version" \
    "$(sed -n 's/^\([0-9]\{20\}\)\.checkpoint\.parquet$/\1/p' "$WORK/clog" | awk '{ print $0 + 0 }' | sort -n | tr '\n' ' ')" \
    "$(seq 10 10 "${top:-0}" | tr '\n' ' ')"
  # every commit whole: JSON lines, a commitInfo, and one add per append
  bad=""
  : > "$WORK/retried"
  for v in $(cat "$WORK/cversions"); do
    f=$(printf '%020d.json' "$v")
    st=$(s3get "/lake-conc/t/_delta_log/$f" "$WORK/commit")
    if [ "$st" != 200 ]; then bad+=" $v:HTTP$st"; continue; fi
    if ! jq -e -s 'all(type == "object")' "$WORK/commit" > /dev/null 2>&1; then bad+=" $v:json"; continue; fi
    [ "$(jq -c 'keys[0]' "$WORK/commit" | grep -c '"commitInfo"')" = 1 ] || bad+=" $v:commitInfo"
    [ "$v" = 0 ] || [ "$(jq -c 'keys[0]' "$WORK/commit" | grep -c '"add"')" = 1 ] || bad+=" $v:adds"
    # a commit made after losing races read an older version than its own - 1
    jq -r --argjson v "$v" 'select(.commitInfo.readVersion != null and .commitInfo.readVersion < $v - 1) | "x"' \
      "$WORK/commit" >> "$WORK/retried"
  done
  echo "# $(wc -l < "$WORK/retried") of the $N appends committed after losing at least one race"
  check_eq "$T: concurrency: every commit object is whole (JSON lines, a commitInfo, one add per append)" "$bad" ""
else
  fail "$T: concurrency: list the log"
fi
"$V" table scan "$CT" > "$WORK/cscan" 2> "$WORK/err" || fail "$T: concurrency: scan: $(head -c 300 "$WORK/err")"
sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$WORK/cscan" | sort -n > "$WORK/cids"
for ((w = 0; w < WORKERS; w++)); do seq $((w * 1000)) $((w * 1000 + COMMITS - 1)); done | sort -n > "$WORK/cids.want"
if cmp -s "$WORK/cids" "$WORK/cids.want"; then ok "$T: concurrency: the scan has every appended id exactly once ($N rows)"; else
  fail "$T: concurrency: the scan's ids differ ($(wc -l < "$WORK/cids") rows, $(uniq -d "$WORK/cids" | wc -l) twice):"
  diff "$WORK/cids.want" "$WORK/cids" | head -6 | sed 's/^/  /'
fi
st=$(s3get /lake-conc/t/_delta_log/_last_checkpoint "$WORK/lastcp")
check_eq "$T: concurrency: _last_checkpoint names the last multiple of 10" \
  "$st $(sed -n 's/^{"version":\([0-9]*\),.*/\1/p' "$WORK/lastcp")" "200 $((N / 10 * 10))"
bad=""
for n in 1 9 10 11 $((N / 2)) $((N - 1)) $N; do
  got=$("$V" table scan "$CT" --version $n 2>&1 | grep -c '^{"id"')
  [ "$got" = "$n" ] || bad+=" version $n: $got rows;"
done
check_eq "$T: concurrency: scan --version N returns N rows (1 9 10 11 $((N / 2)) $((N - 1)) $N)" "$bad" ""
"$V" table history "$CT" --json > "$WORK/chist" 2> "$WORK/err"
check_eq "$T: concurrency: history: $((N + 1)) commits, each append one add" \
  "$(wc -l < "$WORK/chist") $(grep -v '^{"version":0,' "$WORK/chist" | grep -c '"adds":1,"removes":0,')" "$((N + 1)) $N"

# two creates racing for one new table, 5 times: exactly one wins
bad=""
lost_put=0
for r in 1 2 3 4 5; do
  RT="s3://lake-conc/race$r"
  "$V" table create "$RT" --schema 'a long' > "$WORK/race.a.out" 2> "$WORK/race.a.err" &
  pa=$!
  "$V" table create "$RT" --schema 'b string' > "$WORK/race.b.out" 2> "$WORK/race.b.err" &
  pb=$!
  wait $pa; ra=$?
  wait $pb; rb=$?
  case "$ra $rb" in
    "0 2") win=a lose=b ;;
    "2 0") win=b lose=a ;;
    *) bad+=" round $r: exit $ra and $rb;"; continue ;;
  esac
  grep -qE "already exists|created concurrently" "$WORK/race.$lose.err" ||
    bad+=" round $r: the loser says: $(head -c 200 "$WORK/race.$lose.err");"
  grep -q "created concurrently" "$WORK/race.$lose.err" && lost_put=$((lost_put + 1))
  col=$("$V" table describe "$RT" --json 2>&1 | sed -n 's/.*"fields":\[{"name":"\([a-z]*\)".*/\1/p')
  [ "$col" = "$win" ] || bad+=" round $r: the table has column '$col', the winner wrote '$win';"
  [ -n "$(insane "$WORK"/race.*.err)" ] && bad+=" round $r: sanitizer report;"
done
echo "# in $lost_put of 5 rounds the loser lost the put-if-absent of version 0 (else it found the table there)"
check_eq "$T: concurrency: two creates racing for a new table: one wins, the other is refused, the table is the winner's (5 rounds)" "$bad" ""

echo "# $T: $(( $(date +%s) - t_start )) s in all"
