# Sourced by the S3 tests (08xx-s3-*.sh) after lib.sh: a throwaway
# single-node Ceph cluster with its RADOS Gateway (the S3 API) on 127.0.0.1,
# from Debian's packages (radosgw ceph-mon ceph-osd ceph-mgr, Ceph 16
# "pacific" on Debian 12; scripts/deps.sh installs them).
#
#   need_rgw NAME        "skip NAME: why" and exit 0 when Ceph is not installed
#   start_rgw DIR        one monitor, one memstore OSD, one manager and radosgw
#                        (beast frontend) on free ports; sets RGW_URL,
#                        RGW_ACCESS_KEY, RGW_SECRET_KEY, RGW_PIDS (and
#                        RGW_START_SECONDS); non-zero, with the logs' tails
#                        on stderr, if it does not come up
#   rgw_restart_gateway [SIGNAL]  stops radosgw alone (SIGTERM, or SIGNAL,
#                        e.g. KILL) and starts it again: same data, same port
#                        (rgw_stop_gateway [SIGNAL] and rgw_start_gateway are
#                        the two halves, for a gateway down for a while)
#   stop_rgw             stops every daemon by PID and waits for it
#   rgw_logs [LINES]     the tail of each daemon's log, on stderr
#   rgw_env              exports AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
#   rgw_curl M PATH ...  a signed request (PATH = /bucket/key), prints the status (body: $RGW_OUT)
#   rgw_mb BUCKET        creates a bucket
#   rgw_put_dir DIR B/P  uploads a directory tree under B/P
#   rgw_enable_tls       adds a TLS listener (self-signed): RGW_TLS_URL, RGW_CA
#
# Everything lives under DIR (config, mon store, OSD data, logs, admin
# sockets, pid files): nothing in /etc/ceph, /var/lib/ceph or /var/log/ceph,
# so several clusters can run side by side and cleanup is rm -rf. The
# data is in the OSD's memory (memstore, RGW_MEMSTORE_BYTES, 1 GiB by
# default): it survives rgw_restart_gateway, not stop_rgw. RGW_MGR=0 leaves
# the manager out (radosgw does not need it; it costs ~2 s of CPU at start).
# cephx is off (auth none); the S3 user has a fixed key pair. Requests are
# path-style (http://127.0.0.1:PORT/bucket/key), signed with SigV4 for any
# region name, e.g. curl --aws-sigv4 "aws:amz:us-east-1:s3" \
#   --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY".
# What Ceph 16's gateway wants of a request (curl 7.88 does none of it by
# itself): an x-amz-content-sha256 header (the payload's SHA-256 or
# UNSIGNED-PAYLOAD; without it: 403 SignatureDoesNotMatch), query
# parameters sorted by name in the signed URL, a Content-Length on PUT
# (else 411), bucket names of 3 characters or more; If-Match on PUT takes
# the ETag without its quotes (quoted, it never matches: 412).
# The daemons are children of the test's shell: call start_rgw and
# rgw_restart_gateway directly, never in $(...). They get SIGTERM if that
# shell dies, and stop_rgw runs when the test exits.
RGW_PIDS=()
RGW_URL=""
RGW_ACCESS_KEY=VIDLAKETESTACCESSKEY
RGW_SECRET_KEY=vidlakeTestSecretKey0123456789abcdefghij
RGW_REGION=us-east-1
RGW_DIR=""
RGW_GW_PID=""
RGW_START_SECONDS=""

trap 'stop_rgw; rm -rf "$WORK"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# need_rgw NAME: prints "skip NAME: why" and exits 0 when a Ceph program
# that start_rgw needs is not installed.
need_rgw() {
  local c
  for c in ceph-mon ceph-osd ceph-mgr radosgw radosgw-admin ceph monmaptool curl; do
    if ! command -v "$c" >/dev/null 2>&1; then
      echo "skip $1: $c is not installed (scripts/deps.sh installs radosgw ceph-mon ceph-osd ceph-mgr)"
      exit 0
    fi
  done
  if ! curl --help all 2>/dev/null | grep -q -- --aws-sigv4; then
    echo "skip $1: this curl has no --aws-sigv4"
    exit 0
  fi
}

# _rgw_port: a TCP port that nothing on this machine uses right now, below
# the kernel's ephemeral range (so no outgoing connection takes it meanwhile).
_rgw_port() {
  local p hex i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    printf -v hex ':%04X ' "$p"
    grep -qi "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# _rgw_listening PORT SECONDS: true once something listens on 127.0.0.1:PORT.
_rgw_listening() {
  local hex i
  printf -v hex ':%04X 00000000:0000 0A' "$1"
  for ((i = 0; i < $2 * 50; i++)); do
    grep -qi "$hex" /proc/net/tcp 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}

# _rgw_conf DIR MON_PORT RGW_PORT FSID: writes DIR/ceph.conf.
_rgw_conf() {
  local d=$1
  cat >"$d/ceph.conf" <<EOF
[global]
fsid = $4
mon host = [v2:127.0.0.1:$2]
mon initial members = a
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05
osd objectstore = memstore
memstore device bytes = ${RGW_MEMSTORE_BYTES:-1073741824}
osd mon shutdown timeout = 1
osd client watch timeout = 5
objecter tick interval = 1
run dir = $d/run
crash dir = $d/crash
pid file = $d/run/\$name.pid
log file = $d/log/\$name.log
mon cluster log file = $d/log/cluster.log
keyring = $d/keyring
mon data = $d/mon/\$id
osd data = $d/osd/\$id
mgr data = $d/mgr/\$id
rgw data = $d/rgw

[client.rgw]
# tcp_nodelay: without it every request on a reused connection waits ~40 ms
# (beast writes the answer in two segments; the second waits for the
# client's delayed ACK): an ETL run on S3 took 4.2 s instead of 0.4 s
rgw frontends = beast endpoint=127.0.0.1:$3 tcp_nodelay=1
rgw thread pool size = 64
EOF
}

# _rgw_mark T0 WHAT: notes in DIR/log/setup.out how long after T0 WHAT happened.
_rgw_mark() {
  awk -v a="$1" -v b="$(date +%s.%N)" -v w="$2" 'BEGIN { printf "start_rgw: +%.2f s: %s\n", b - a, w }' \
    >>"$RGW_DIR/log/setup.out"
}

# rgw_logs [LINES]: the last LINES (20) lines of each log, on stderr.
rgw_logs() {
  local f
  for f in "$RGW_DIR"/log/*; do
    [ -s "$f" ] || continue
    echo "--- ${f#"$RGW_DIR"/}" >&2
    tail -n "${1:-20}" "$f" | cut -c1-400 >&2
  done
}

# _rgw_bg NAME CMD...: starts a daemon in the foreground mode (-f) in the
# background, with SIGTERM when this shell dies; sets RGW_LAST_PID.
_rgw_bg() {
  local name=$1; shift
  if command -v setpriv >/dev/null 2>&1; then
    setpriv --pdeathsig TERM "$@" >>"$RGW_DIR/log/$name.out" 2>&1 &
  else
    "$@" >>"$RGW_DIR/log/$name.out" 2>&1 &
  fi
  RGW_LAST_PID=$!
  RGW_PIDS+=("$RGW_LAST_PID")
}

# _rgw_fail WHAT: says what did not work, with the logs, and stops it all.
_rgw_fail() {
  echo "start_rgw: $1" >&2
  rgw_logs 30
  stop_rgw
  return 1
}

# _rgw_gateway: starts radosgw and waits (up to 120 s) for it to answer
# HTTP. Returns 2 when it could not bind its port, 1 on other failures.
_rgw_gateway() {
  local i code
  _rgw_bg client.rgw radosgw -c "$RGW_DIR/ceph.conf" -n client.rgw -f
  RGW_GW_PID=$RGW_LAST_PID
  for ((i = 0; i < 1200; i++)); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$RGW_URL/" 2>/dev/null)
    [ "$code" = 200 ] && return 0
    if ! kill -0 "$RGW_GW_PID" 2>/dev/null; then
      wait "$RGW_GW_PID" 2>/dev/null
      grep -qiE 'failed to bind|address already in use' "$RGW_DIR/log/client.rgw.log" "$RGW_DIR/log/client.rgw.out" 2>/dev/null &&
        return 2
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# start_rgw DIR: see above. DIR is created (and must be new or empty).
start_rgw() {
  local d=$1 t0 mon_port rgw_port fsid osd_uuid osd_pid id i rc
  t0=$(date +%s.%N)
  mkdir -p "$d" && d=$(cd "$d" && pwd) || return 1
  RGW_DIR=$d
  RGW_PIDS=()
  mkdir -p "$d"/{mon/a,osd/0,mgr/x,run,log,crash,rgw}
  mon_port=$(_rgw_port) && rgw_port=$(_rgw_port) || { echo "start_rgw: no free port" >&2; return 1; }
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(_rgw_port); done
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  RGW_URL="http://127.0.0.1:$rgw_port"
  _rgw_conf "$d" "$mon_port" "$rgw_port" "$fsid"
  local c=(-c "$d/ceph.conf")

  # the monitor
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$d/monmap" >"$d/log/setup.out" 2>&1 &&
    ceph-mon "${c[@]}" --mkfs -i a --monmap "$d/monmap" >>"$d/log/setup.out" 2>&1 ||
    { _rgw_fail "the monitor's mkfs failed: $(tail -3 "$d/log/setup.out")"; return 1; }
  _rgw_bg mon.a ceph-mon "${c[@]}" -i a -f
  # (a client that finds no monitor tries again 3 s later: wait for it)
  _rgw_listening "$mon_port" 30 || { _rgw_fail "the monitor does not listen on port $mon_port"; return 1; }
  _rgw_mark "$t0" "the monitor listens"
  # the OSD (its id comes from the monitor, which also says it is up)
  if ! id=$(timeout 60 ceph "${c[@]}" --connect-timeout 30 osd new "$osd_uuid" 2>>"$d/log/setup.out") || [ "$id" != 0 ]; then
    _rgw_fail "ceph osd new failed (got '$id')"; return 1
  fi
  ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$d/log/setup.out" 2>&1 ||
    { _rgw_fail "the OSD's mkfs failed"; return 1; }
  _rgw_bg osd.0 ceph-osd "${c[@]}" -i 0 -f
  osd_pid=$RGW_LAST_PID
  # the manager (PG statistics, health; RGW_MGR=0 leaves it out): radosgw
  # does not need it
  [ "${RGW_MGR:-1}" = 0 ] || _rgw_bg mgr.x ceph-mgr "${c[@]}" -i x -f
  # radosgw once the OSD is up: what radosgw sends before that (its pools'
  # first objects) waits for the client's next 5 s tick
  for ((i = 0; ; i++)); do
    grep -q 'state: booting -> active' "$d/log/osd.0.log" 2>/dev/null && break
    kill -0 "$osd_pid" 2>/dev/null || { _rgw_fail "the OSD died"; return 1; }
    [ $i -lt 3000 ] || { _rgw_fail "the OSD did not come up in 60 s"; return 1; }
    sleep 0.02
  done
  _rgw_mark "$t0" "the OSD is up"
  # the gateway: another port if its port was taken meanwhile
  for ((i = 0; ; i++)); do
    _rgw_gateway; rc=$?
    [ $rc = 0 ] && break
    if [ $rc = 2 ] && [ $i -lt 3 ]; then
      rgw_port=$(_rgw_port)
      RGW_URL="http://127.0.0.1:$rgw_port"
      sed -i "s|^rgw frontends = .*|rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1|" "$d/ceph.conf"
      continue
    fi
    _rgw_fail "radosgw did not answer on $RGW_URL"; return 1
  done
  _rgw_mark "$t0" "radosgw answers"
  # the S3 user
  if ! radosgw-admin "${c[@]}" user create --uid=vidlake --display-name=vidlake \
    --access-key="$RGW_ACCESS_KEY" --secret="$RGW_SECRET_KEY" >"$d/log/user.out" 2>&1; then
    _rgw_fail "radosgw-admin user create failed: $(tail -3 "$d/log/user.out")"; return 1
  fi
  _rgw_mark "$t0" "the S3 user is there"
  RGW_START_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  return 0
}

# _rgw_stop PID [SIGNAL]: SIGNAL (TERM), SIGKILL after 15 s, and reaped
# (without the shell's "Killed" notice).
_rgw_stop() {
  local i
  {
    kill -"${2:-TERM}" "$1"
    for ((i = 0; i < 150; i++)); do kill -0 "$1" || break; sleep 0.1; done
    kill -KILL "$1"
    wait "$1"
  } 2>/dev/null
}

# rgw_stop_gateway [SIGNAL]: stops radosgw alone (SIGTERM, or SIGNAL: KILL
# for a crash); the cluster and its data stay, requests meet a closed port.
rgw_stop_gateway() {
  local p keep=()
  [ -n "$RGW_GW_PID" ] || return 0
  _rgw_stop "$RGW_GW_PID" "${1:-TERM}"
  for p in "${RGW_PIDS[@]}"; do [ "$p" = "$RGW_GW_PID" ] || keep+=("$p"); done
  RGW_PIDS=("${keep[@]}")
  RGW_GW_PID=""
}

# rgw_start_gateway: starts radosgw again on the same port and waits for it
# to answer; non-zero (with the logs) if it does not. After a SIGKILL the
# first change of metadata (a bucket or user created) can wait up to 5 s
# for the dead gateway's watches to expire (osd client watch timeout).
rgw_start_gateway() {
  if ! _rgw_gateway; then
    echo "rgw_start_gateway: radosgw did not answer again on $RGW_URL" >&2
    rgw_logs 30
    return 1
  fi
}

# rgw_restart_gateway [SIGNAL]: rgw_stop_gateway, then rgw_start_gateway.
rgw_restart_gateway() {
  rgw_stop_gateway "$@"
  rgw_start_gateway
}

# stop_rgw: stops the gateway, the manager, the OSD and then the monitor.
stop_rgw() {
  local i
  for ((i = ${#RGW_PIDS[@]} - 1; i >= 0; i--)); do _rgw_stop "${RGW_PIDS[i]}"; done
  RGW_PIDS=()
}

# rgw_env: exports what vidlake (and any AWS client) needs to reach the
# gateway: AWS_ENDPOINT_URL, the key pair and the region.
rgw_env() {
  export AWS_ENDPOINT_URL="$RGW_URL" AWS_ACCESS_KEY_ID="$RGW_ACCESS_KEY" \
    AWS_SECRET_ACCESS_KEY="$RGW_SECRET_KEY" AWS_REGION="$RGW_REGION"
  unset AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN AWS_PROFILE
}

# rgw_curl METHOD PATH [CURL ARGS...]: a SigV4-signed request to the
# gateway (PATH is /bucket/key; a query parameter without a value needs
# its '=', "?uploads="), unsigned payload; prints the HTTP status; the body
# goes to $RGW_OUT (default /dev/null).
rgw_curl() {
  local m=$1 p=$2; shift 2
  curl -s -o "${RGW_OUT:-/dev/null}" -w '%{http_code}' -X "$m" --aws-sigv4 "aws:amz:$RGW_REGION:s3" \
    --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$RGW_URL$p"
}

# rgw_mb BUCKET: creates a bucket; non-zero unless the gateway says 200.
rgw_mb() {
  local st
  st=$(rgw_curl PUT "/$1") && [ "$st" = 200 ] || { echo "rgw_mb $1: HTTP $st" >&2; return 1; }
}

# rgw_put_dir DIR BUCKET/PREFIX: uploads every file under DIR to
# BUCKET/PREFIX/<its path under DIR>; non-zero at the first failure.
rgw_put_dir() {
  local d=$1 dst=$2 f rel st
  while IFS= read -r -d '' f; do
    rel=${f#"$d"/}
    # each byte outside RFC 3986's unreserved set percent-encoded, '/' kept
    rel=$(jq -rn --arg s "$rel" '$s | @uri | gsub("%2F"; "/")')
    st=$(rgw_curl PUT "/$dst/$rel" --data-binary @"$f" -H "Content-Type: application/octet-stream") &&
      [ "$st" = 200 ] || { echo "rgw_put_dir: $rel: HTTP $st" >&2; return 1; }
  done < <(find "$d" -type f -print0)
}

# rgw_enable_tls: a self-signed certificate for 127.0.0.1 (openssl) and a
# second, TLS listener on the gateway (restarted); sets RGW_TLS_URL
# (https://127.0.0.1:PORT) and RGW_CA (the certificate, to trust it).
rgw_enable_tls() {
  local t=$RGW_DIR/tls port
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >"$t/openssl.out" 2>&1 ||
    { echo "rgw_enable_tls: openssl failed: $(tail -2 "$t/openssl.out")" >&2; return 1; }
  port=$(_rgw_port) || return 1
  sed -i "s|^rgw frontends = beast endpoint=\([^ ]*\) tcp_nodelay=1\$|rgw frontends = beast endpoint=\1 tcp_nodelay=1 ssl_endpoint=127.0.0.1:$port ssl_certificate=$t/cert.pem ssl_private_key=$t/key.pem|" \
    "$RGW_DIR/ceph.conf"
  grep -q "ssl_endpoint=127.0.0.1:$port" "$RGW_DIR/ceph.conf" || { echo "rgw_enable_tls: frontends line not found" >&2; return 1; }
  RGW_TLS_URL=https://127.0.0.1:$port
  RGW_CA=$t/cert.pem
  rgw_restart_gateway || return 1
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --cacert "$RGW_CA" "$RGW_TLS_URL/" && return 0
    sleep 0.1
  done
  echo "rgw_enable_tls: nothing answers on $RGW_TLS_URL" >&2
  rgw_logs 20
  return 1
}
