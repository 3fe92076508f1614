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
