# The command line contract: help, unknown commands and options, exit codes.
. "$(dirname "$0")/lib.sh"

check_eq "vidlake --help exits 0" "$(run_status "$VIDLAKE" --help)" 0
check "vidlake --help lists the commands" grep -q 'generate' "$WORK/out"
check_eq "vidlake with no command exits 2" "$(run_status "$VIDLAKE")" 2
check_eq "an unknown command exits 2" "$(run_status "$VIDLAKE" frobnicate)" 2
check "an unknown command is named on stderr" grep -q "unknown command 'frobnicate'" "$WORK/err"
check_eq "vidlake --version prints the version" "$("$VIDLAKE" --version | cut -d' ' -f1)" vidlake
for cmd in generate validate parquet demo; do
  check_eq "vidlake $cmd --help exits 0" "$(run_status "$VIDLAKE" $cmd --help)" 0
  check "vidlake $cmd --help prints usage" grep -q "usage: vidlake $cmd" "$WORK/out"
  check_eq "vidlake $cmd rejects an unknown option with 2" "$(run_status "$VIDLAKE" $cmd --bogus)" 2
  check "vidlake $cmd names the unknown option" grep -q -- "--bogus" "$WORK/err"
done
check_eq "an option missing its value exits 2" "$(run_status "$VIDLAKE" validate --show)" 2
check "the missing value is explained" grep -q -- "--show needs a value" "$WORK/err"
