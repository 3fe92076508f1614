# The S3 store against a real S3 server (a throwaway Ceph RGW, s3_lib.sh):
#   - tests/tools/s3_store_check: the store's contract through S3 (round
#     trips, ranges, put_if_absent races, keys that need escaping, listings
#     across pages, batch deletes, multipart uploads, S3's errors);
#   - no multipart upload is left incomplete afterwards;
#   - the endpoint from --s3-endpoint, ahead of AWS_ENDPOINT_URL; a lake
#     on S3 through the CLI (table create / append / scan / vacuum).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T=s3-store
need_rgw "$T"
CHECKER="$(dirname "$VIDLAKE")/tools/s3_store_check"
if ! start_rgw "$WORK/ceph"; then
  fail "$T: the gateway starts"
  exit 0
fi
rgw_env
check "$T: bucket created" rgw_mb store-check

# the contract, case by case (its own ok/FAIL lines)
VIDLAKE_TEST_S3_URL=s3://store-check/contract "$CHECKER" 2>&1 | sed 's/^\(ok\|FAIL\|skip\) /\1 s3-store: /'

# no multipart upload left behind (completed or aborted)
st=$(RGW_OUT=$WORK/uploads.xml rgw_curl GET "/store-check?uploads=")
check_eq "$T: ListMultipartUploads answers" "$st" 200
check_eq "$T: no multipart upload is left incomplete" "$(grep -c '<Upload>' "$WORK/uploads.xml")" 0
check_eq "$T: and nothing is left under the checks' prefixes" \
  "$(RGW_OUT=$WORK/left.xml rgw_curl GET "/store-check?list-type=2" >/dev/null; grep -o '<Key>[^<]*' "$WORK/left.xml" | head -3)" ""

# --s3-endpoint: a lake through the CLI, with the standard variable pointing nowhere
export AWS_ENDPOINT_URL=http://127.0.0.1:1
L=s3://store-check/cli/t
printf '{"id":1,"s":"a"}\n{"id":2,"s":"b"}\n' >"$WORK/rows.ndjson"
check "$T: table create with --s3-endpoint" \
  "$VIDLAKE" --s3-endpoint "$RGW_URL" table create "$L" --schema 'id long not null, s string'
check "$T: table append with --s3-endpoint=URL" \
  "$VIDLAKE" --s3-endpoint="$RGW_URL" table append "$L" --from "$WORK/rows.ndjson"
check_eq "$T: table scan reads it back" "$("$VIDLAKE" --s3-endpoint "$RGW_URL" table scan "$L" | sort | tr '\n' ' ')" \
  '{"id":1,"s":"a"} {"id":2,"s":"b"} '
st=$(run_status "$VIDLAKE" table scan "$L")
check "$T: without the flag, the variable's endpoint is used (and fails)" test "$st" != 0
check "$T: ... the error names the request, the reason and the endpoint" \
  grep -q 'GET bucket store-check (list): .*onnect.*(endpoint http://127.0.0.1:1)' "$WORK/err"
st=$(run_status "$VIDLAKE" --s3-endpoint localhost:9000 table scan "$L")
check "$T: a malformed --s3-endpoint is refused by name" grep -q 'localhost:9000.*--s3-endpoint' "$WORK/err"
st=$(run_status "$VIDLAKE" --s3-endpoint)
check_eq "$T: --s3-endpoint without a URL is a usage error" "$st" 2

# vacuum: the uploads that writers which died mid multipart upload left
# (their parts are billed, and no listing shows them) are aborted under the
# table, past the retention; others stay
RGW_OUT=$WORK/init.xml rgw_curl POST "/store-check/cli/t/part-00000-dead.parquet?uploads=" >/dev/null
RGW_OUT=$WORK/init.xml rgw_curl POST "/store-check/elsewhere/x?uploads=" >/dev/null
RGW_OUT=$WORK/uploads.xml rgw_curl GET "/store-check?uploads=" >/dev/null
check_eq "$T: two multipart uploads left open" "$(grep -o '<Upload>' "$WORK/uploads.xml" | wc -l)" 2
sleep 1.1
st=$(run_status "$VIDLAKE" --s3-endpoint "$RGW_URL" table vacuum "$L" --retain-hours 0)
check_eq "$T: vacuum --retain-hours 0 exits 0" "$st" 0
RGW_OUT=$WORK/uploads.xml rgw_curl GET "/store-check?uploads=" >/dev/null
check_eq "$T: ... and aborts the one under the table, not the other" \
  "$(grep -o '<Key>[^<]*' "$WORK/uploads.xml" | tr '\n' ' ')" "<Key>elsewhere/x "
check_eq "$T: ... the table still reads the same" "$("$VIDLAKE" --s3-endpoint "$RGW_URL" table scan "$L" | sort | tr '\n' ' ')" \
  '{"id":1,"s":"a"} {"id":2,"s":"b"} '

# TLS: verified by default (a self-signed gateway is refused), trusted
# through AWS_CA_BUNDLE; payloads go unsigned over https
if rgw_enable_tls; then
  ok "$T: the gateway also listens with TLS ($RGW_TLS_URL)"
  LT=s3://store-check/tls/t
  st=$(AWS_ENDPOINT_URL=$RGW_TLS_URL run_status "$VIDLAKE" table create "$LT" --schema 'id long')
  check "$T: https with a certificate nobody vouches for is refused" test "$st" != 0
  check "$T: ... saying why" grep -qi 'certificate' "$WORK/err"
  export AWS_ENDPOINT_URL=$RGW_TLS_URL AWS_CA_BUNDLE=$RGW_CA
  check_eq "$T: with AWS_CA_BUNDLE it is trusted: create" "$(run_status "$VIDLAKE" table create "$LT" --schema 'id long, s string')" 0
  check_eq "$T: ... append" "$(run_status "$VIDLAKE" table append "$LT" --from "$WORK/rows.ndjson")" 0
  check_eq "$T: ... scan" "$("$VIDLAKE" table scan "$LT" | sort | tr '\n' ' ')" '{"id":1,"s":"a"} {"id":2,"s":"b"} '
  VIDLAKE_TEST_S3_URL=s3://store-check/tls-contract "$CHECKER" "put, get" 2>&1 | sed 's/^\(ok\|FAIL\|skip\) /\1 s3-store (https): /'
  unset AWS_CA_BUNDLE
else
  fail "$T: the gateway also listens with TLS"
fi
