# vidlake validate on hand-written input: counts, reasons, line numbers,
# exit codes, and the awkward cases (CRLF, blank lines, no final newline,
# an event over 64 KiB, stdin).
. "$(dirname "$0")/lib.sh"

base='"event_id":"e1","event_type":"play","event_time":"2024-05-01T12:00:00Z","user_id":"u","device_id":"d","session_id":"s","view_id":"v","content_id":"c"'
{
  printf '{%s}\n' "$base"
  printf '{%s,"startup_ms":1200}\r\n' "${base/e1/e2}"
  printf '\n'
  printf '{"event_id":"e3"}\n'
  printf '{%s,"device_type":"fridge"}\n' "${base/e1/e4}"
  printf '{%s\n' "${base/e1/e5}"
  printf '{%s,"pad":"' "${base/e1/e6}"; head -c 70000 /dev/zero | tr '\0' a; printf '"}\n'
  printf '{%s,"event_type":"pause"}\n' "${base/e1/e7}"
  printf '{%s}' "${base/e1/e8}" | sed 's/"play"/"session_start"/'
} > "$WORK/in.ndjson"

check_eq "validate exits 1 when lines are rejected" "$(run_status "$VIDLAKE" validate "$WORK/in.ndjson" --json)" 1
json=$(cat "$WORK/out")
check_eq "valid count" "$(echo "$json" | jq .valid)" 3
check_eq "invalid count" "$(echo "$json" | jq .invalid)" 5
check_eq "blank lines are counted, not rejected" "$(echo "$json" | jq .blank)" 1
check_eq "valid by type" "$(echo "$json" | jq -c '[.by_type.play, .by_type.session_start, (.by_type | length)]')" "[2,1,20]"
check_eq "rejects by reason" "$(echo "$json" | jq -c .by_reason)" \
  '{"malformed_json":1,"too_large":1,"duplicate_field:event_type":1,"missing_field:event_type":1,"value_not_allowed:device_type":1}'
check "rejects name their line numbers" grep -q "in.ndjson:4: missing_field:event_type" "$WORK/err"
check "the too-large line is reported at its line" grep -q "in.ndjson:7: too_large" "$WORK/err"

check_eq "human output exits 1 too" "$(run_status "$VIDLAKE" validate "$WORK/in.ndjson")" 1
check "human output shows the counts" grep -q "^invalid 5" "$WORK/out"
check "human output shows the reason table" grep -q "value_not_allowed:device_type" "$WORK/out"

head -2 "$WORK/in.ndjson" > "$WORK/good.ndjson"
check_eq "all-valid input exits 0" "$(run_status "$VIDLAKE" validate - --json < "$WORK/good.ndjson")" 0
check_eq "stdin is read with -" "$(jq .valid "$WORK/out")" 2
check_eq "empty input is valid" "$(run_status "$VIDLAKE" validate --json < /dev/null)" 0
check_eq "empty input counts nothing" "$(jq -c '[.valid,.invalid]' "$WORK/out")" "[0,0]"
check_eq "a missing file exits 2" "$(run_status "$VIDLAKE" validate "$WORK/nope.ndjson")" 2
check "a missing file is named" grep -q "cannot open '$WORK/nope.ndjson'" "$WORK/err"
check_eq "two inputs are refused" "$(run_status "$VIDLAKE" validate a b)" 2
check_eq "a directory is an I/O error" "$(run_status "$VIDLAKE" validate "$WORK")" 2
