# vidlake demo: a simulated day through decoding into a Parquet file.
. "$(dirname "$0")/lib.sh"

check_eq "demo exits 0" "$(run_status "$VIDLAKE" demo --events 20000 --seed 3 --out "$WORK/d.parquet")" 0
check "demo summarises the day" grep -q "^audience " "$WORK/out"
stored=$(sed -n 's/^stored *\([0-9]*\) events.*/\1/p' "$WORK/out")
check "demo stores the valid events" test "${stored:-0}" -gt 19000
check_eq "the Parquet file holds every stored event" "$("$VIDLAKE" parquet cat "$WORK/d.parquet" | wc -l)" "$stored"
check_eq "stored events have no duplicate ids" \
  "$("$VIDLAKE" parquet cat "$WORK/d.parquet" --columns event_id --format csv | tail -n +2 | sort | uniq -d | wc -l)" 0
check_eq "demo refuses an unwritable output" "$(run_status "$VIDLAKE" demo --events 10 --out "$WORK/no/such/dir.parquet")" 2
