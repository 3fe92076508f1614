# The S3 test harness alone (s3_lib.sh): a throwaway Ceph RADOS Gateway on
# 127.0.0.1, spoken to with curl's SigV4 signing, path-style.
#   - start_rgw brings it up under $WORK/ceph and the S3 user's keys work;
#   - bucket create, PUT, GET (byte-identical), GET with Range, HEAD,
#     ListObjectsV2, DELETE;
#   - PUT with If-None-Match: * is a put-if-absent: 412 PreconditionFailed
#     on an existing key (which keeps its bytes), and of concurrent ones on
#     a new key exactly one wins; PUT with If-Match (the ETag unquoted, as
#     Ceph 16 wants it) is a compare-and-swap;
#   - the payload hash: UNSIGNED-PAYLOAD is accepted, a wrong hash refused;
#   - a wrong secret gives 403 SignatureDoesNotMatch, an unknown key 403
#     InvalidAccessKeyId;
#   - rgw_restart_gateway keeps the data and the URL, after a SIGTERM and
#     after a SIGKILL; stop_rgw leaves no process; nothing is written to
#     Ceph's system directories.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3_lib.sh"
T=s3-rgw
need_rgw "$T"
export LC_ALL=C
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
touch "$WORK/marker"

if ! start_rgw "$WORK/ceph"; then
  fail "$T: start_rgw brings up the gateway"
  exit 0
fi
ok "$T: start_rgw brings up the gateway (in $RGW_START_SECONDS s, at $RGW_URL)"
check "$T: everything lives under the given directory" \
  test -s "$WORK/ceph/ceph.conf" -a -s "$WORK/ceph/log/mon.a.log" -a -s "$WORK/ceph/log/client.rgw.log"

# s3 METHOD PATH [CURL ARGS...]: a SigV4-signed request (payload hash
# $SHA, the empty body's by default; secret $SECRET, key $KEY); prints the
# status; the body is in $WORK/body, the headers in $WORK/hdr.
s3() {
  local m=$1 p=$2; shift 2
  local how=(-X "$m")
  [ "$m" = HEAD ] && how=(-I)
  curl -s "${how[@]}" --aws-sigv4 "aws:amz:$RGW_REGION:s3" \
    --user "${KEY:-$RGW_ACCESS_KEY}:${SECRET:-$RGW_SECRET_KEY}" \
    -H "x-amz-content-sha256: ${SHA:-$EMPTY_SHA}" \
    -D "$WORK/hdr" -o "$WORK/body" -w '%{http_code}' "$@" "$RGW_URL$p"
}
# put PATH FILE [CURL ARGS...]: PUT FILE's bytes, with their SHA-256.
put() {
  local p=$1 f=$2; shift 2
  SHA=$(sha256sum <"$f" | cut -d' ' -f1) s3 PUT "$p" --data-binary @"$f" \
    -H "Content-Type: application/octet-stream" "$@"
}
# header NAME: the value of a response header (from $WORK/hdr).
header() { tr -d '\r' <"$WORK/hdr" | awk -v n="$(echo "$1" | tr A-Z a-z)" -F': ' 'tolower($1) == n { print $2 }'; }
# code: the <Code> of an S3 error body.
code() { sed -n 's:.*<Code>\([^<]*\)</Code>.*:\1:p' "$WORK/body"; }

B=/lake-it
head -c 1048576 /dev/urandom >"$WORK/obj"
printf 'a\0b\r\nc\xff' >>"$WORK/obj"
size=$(stat -c %s "$WORK/obj")
md5=$(md5sum <"$WORK/obj" | cut -d' ' -f1)

check_eq "$T: PUT /bucket creates it" "$(s3 PUT $B)" 200
check_eq "$T: PUT an object (1 MiB, binary)" "$(put $B/dir/obj.bin "$WORK/obj")" 200
check_eq "$T: its ETag is the MD5 of its bytes" "$(header ETag)" "\"$md5\""
check_eq "$T: GET it" "$(s3 GET $B/dir/obj.bin)" 200
check "$T: GET gives the same bytes" cmp -s "$WORK/body" "$WORK/obj"
check_eq "$T: GET with Range: 206" "$(s3 GET $B/dir/obj.bin -H 'Range: bytes=1000-1999')" 206
check "$T: the range's bytes" cmp -s "$WORK/body" <(tail -c +1001 "$WORK/obj" | head -c 1000)
check_eq "$T: Content-Range" "$(header Content-Range)" "bytes 1000-1999/$size"
check_eq "$T: suffix range (last 9 bytes)" "$(s3 GET $B/dir/obj.bin -H 'Range: bytes=-9')" 206
check "$T: the suffix's bytes" cmp -s "$WORK/body" <(tail -c 9 "$WORK/obj")
check_eq "$T: HEAD" "$(s3 HEAD $B/dir/obj.bin)" 200
check_eq "$T: HEAD's Content-Length" "$(header Content-Length)" "$size"
check_eq "$T: HEAD's ETag" "$(header ETag)" "\"$md5\""
check_eq "$T: HEAD of a missing key: 404" "$(s3 HEAD $B/nope)" 404
check_eq "$T: GET of a missing key: 404" "$(s3 GET $B/nope)" 404
check_eq "$T: ... NoSuchKey" "$(code)" NoSuchKey

printf 'small\n' >"$WORK/small"
put $B/dir/sub/x.json "$WORK/small" >/dev/null
put $B/other.json "$WORK/small" >/dev/null
check_eq "$T: ListObjectsV2" "$(s3 GET "$B?list-type=2")" 200
check_eq "$T: it lists every key, in order" "$(grep -o '<Key>[^<]*</Key>' "$WORK/body" | tr -d '\n')" \
  "<Key>dir/obj.bin</Key><Key>dir/sub/x.json</Key><Key>other.json</Key>"
# curl 7.88 signs the query string as it is: parameters sorted by name
check_eq "$T: ListObjectsV2 with prefix and max-keys" \
  "$(s3 GET "$B?list-type=2&max-keys=1&prefix=dir%2F")" 200
check_eq "$T: ... one key and a continuation token" \
  "$(grep -o '<Key>[^<]*</Key>\|<IsTruncated>[^<]*</IsTruncated>' "$WORK/body" | tr -d '\n')" \
  "<IsTruncated>true</IsTruncated><Key>dir/obj.bin</Key>"
tok=$(sed -n 's:.*<NextContinuationToken>\([^<]*\)</NextContinuationToken>.*:\1:p' "$WORK/body")
tok=$(jq -rn --arg t "$tok" '$t | @uri')
check_eq "$T: ... and the next page" \
  "$(s3 GET "$B?continuation-token=$tok&list-type=2&max-keys=1&prefix=dir%2F")" 200
check_eq "$T: ... has the second key" "$(grep -o '<Key>[^<]*</Key>' "$WORK/body" | tr -d '\n')" "<Key>dir/sub/x.json</Key>"

# put-if-absent
printf 'other bytes\n' >"$WORK/other"
st=$(put $B/dir/obj.bin "$WORK/other" -H 'If-None-Match: *')
check_eq "$T: PUT If-None-Match: * on an existing key: 412" "$st" 412
check_eq "$T: ... PreconditionFailed" "$(code)" PreconditionFailed
[ "$st" = 412 ] || { echo "# the reply:"; cat "$WORK/hdr" "$WORK/body"; echo; }
s3 GET $B/dir/obj.bin >/dev/null
check "$T: ... and the object keeps its bytes" cmp -s "$WORK/body" "$WORK/obj"
check_eq "$T: PUT If-None-Match: * on a new key: 200" "$(put $B/new.json "$WORK/other" -H 'If-None-Match: *')" 200
N=8 writers=()
for i in $(seq 1 $N); do
  printf 'writer %d\n' "$i" >"$WORK/w$i"
  (SHA=$(sha256sum <"$WORK/w$i" | cut -d' ' -f1)
   curl -s -X PUT --aws-sigv4 "aws:amz:$RGW_REGION:s3" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" \
     -H "x-amz-content-sha256: $SHA" -H 'If-None-Match: *' --data-binary @"$WORK/w$i" \
     -o /dev/null -w '%{http_code}\n' "$RGW_URL$B/_delta_log/00000000000000000001.json" >"$WORK/st$i") &
  writers+=($!)
done
wait "${writers[@]}"
check_eq "$T: $N concurrent put-if-absent on one key: one 200, the others 412" \
  "$(cat "$WORK"/st* | sort | uniq -c | tr -s ' ' | tr '\n' ',')" " 1 200, $((N - 1)) 412,"
winner=$(grep -l '^200$' "$WORK"/st* | sed 's/.*st//')
s3 GET $B/_delta_log/00000000000000000001.json >/dev/null
check "$T: ... and the key holds the winner's bytes" cmp -s "$WORK/body" "$WORK/w${winner:-0}"

# conditional overwrite (Ceph 16 compares If-Match on PUT without quotes)
v2=$(md5sum <"$WORK/other" | cut -d' ' -f1)
check_eq "$T: PUT If-Match: the current ETag: 200" "$(put $B/new.json "$WORK/small" -H "If-Match: $v2")" 200
check_eq "$T: PUT If-Match: a stale ETag: 412" "$(put $B/new.json "$WORK/other" -H "If-Match: $v2")" 412
s3 GET $B/new.json >/dev/null
check "$T: ... and the object keeps the bytes of the first" cmp -s "$WORK/body" "$WORK/small"

# the payload hash
check_eq "$T: PUT with UNSIGNED-PAYLOAD" \
  "$(SHA=UNSIGNED-PAYLOAD s3 PUT $B/unsigned --data-binary @"$WORK/small")" 200
check_eq "$T: PUT with a wrong payload hash is refused" \
  "$(SHA=$EMPTY_SHA s3 PUT $B/badhash --data-binary @"$WORK/small")" 400
check_eq "$T: ... XAmzContentSHA256Mismatch" "$(code)" XAmzContentSHA256Mismatch
check_eq "$T: ... and not stored" "$(s3 HEAD $B/badhash)" 404

# credentials
check_eq "$T: a wrong secret: 403" "$(SECRET=wrong-secret s3 GET "$B?list-type=2")" 403
check_eq "$T: ... SignatureDoesNotMatch" "$(code)" SignatureDoesNotMatch
check_eq "$T: an unknown access key: 403" "$(KEY=NOSUCHKEY s3 GET "$B?list-type=2")" 403
check_eq "$T: ... InvalidAccessKeyId" "$(code)" InvalidAccessKeyId
check_eq "$T: no credentials: 403" "$(curl -s -o "$WORK/body" -w '%{http_code}' "$RGW_URL$B/dir/obj.bin")" 403
check_eq "$T: ... AccessDenied" "$(code)" AccessDenied

# DELETE
check_eq "$T: DELETE an object: 204" "$(s3 DELETE $B/other.json)" 204
check_eq "$T: ... then GET: 404" "$(s3 GET $B/other.json)" 404
check_eq "$T: DELETE a missing key: 204" "$(s3 DELETE $B/other.json)" 204

# the gateway alone restarts; the data stays
url=$RGW_URL
check "$T: rgw_restart_gateway" rgw_restart_gateway
check_eq "$T: ... on the same URL" "$RGW_URL" "$url"
check_eq "$T: ... the object is still there" "$(s3 GET $B/dir/obj.bin)" 200
check "$T: ... with its bytes" cmp -s "$WORK/body" "$WORK/obj"

# a crash of the gateway (SIGKILL): the data stays; the first metadata
# change then waits for the dead gateway's watches to expire (<= 5 s)
check "$T: rgw_restart_gateway KILL" rgw_restart_gateway KILL
check_eq "$T: after the crash the object is still there" "$(s3 GET $B/dir/obj.bin)" 200
check "$T: ... with its bytes, after the crash" cmp -s "$WORK/body" "$WORK/obj"
t0=$(date +%s%N)
check_eq "$T: ... and a bucket can be created" "$(s3 PUT /lake-it-2)" 200
echo "# a bucket created after the crash took $(( ($(date +%s%N) - t0) / 1000000 )) ms"

pids=("${RGW_PIDS[@]}")
stop_rgw
left=""
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left+=" $p"; done
check_eq "$T: stop_rgw stops every daemon" "$left" ""
check_eq "$T: nothing written to Ceph's system directories" \
  "$(find /etc/ceph /var/lib/ceph /var/log/ceph /var/run/ceph -newer "$WORK/marker" 2>/dev/null)" ""
