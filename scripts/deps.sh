#!/usr/bin/env bash
# Installs what the build and the tests need and is missing: Debian packages
# through apt-get, npm packages with `npm ci` from the committed lockfile.
# Usage: scripts/deps.sh [--fuzz|--bench]
#   --fuzz adds clang and its fuzzer runtime; --bench the benchmark peers
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package (chromium: the dashboard's browser test, driven
# by playwright-core from npm, which never downloads a browser of its own;
# and promtool: checks /metrics and deploy/prometheus in the tests)
cmds=(cc:gcc make:make pkg-config:pkg-config jq:jq curl:curl chromium:chromium promtool:prometheus)
# the S3 tests' throwaway Ceph cluster and its RADOS Gateway (tests/integration/
# s3_lib.sh: one monitor, a memstore OSD, a manager, radosgw on 127.0.0.1)
cmds+=(ceph-mon:ceph-mon ceph-osd:ceph-osd ceph-mgr:ceph-mgr radosgw:radosgw openssl:openssl)
# pkg-config module -> Debian package (the libraries in the Makefile's PKGS)
mods=(zlib:zlib1g-dev libzstd:libzstd-dev liblz4:liblz4-dev libbrotlidec:libbrotli-dev libdeflate:libdeflate-dev
      libmicrohttpd:libmicrohttpd-dev rdkafka:librdkafka-dev libcrypto:libssl-dev
      libcurl:libcurl4-openssl-dev)
# files -> Debian package (things without a command or a .pc file)
files=(/usr/include/snappy-c.h:libsnappy-dev)
if [ "${1:-}" = "--bench" ]; then
  mods+=(json-c:libjson-c-dev)
fi
if [ "${1:-}" = "--fuzz" ]; then
  cmds+=(clang:clang)
  files+=("/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev")
fi

missing=()
for pair in "${cmds[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
for pair in "${mods[@]}"; do
  pkg-config --exists "${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
done
for pair in "${files[@]}"; do
  f=${pair%:*}
  ls $f >/dev/null 2>&1 || missing+=("${pair##*:}")
done

# apt_install PKG...: as root, or through sudo
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to apt-get install $*" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi

# npm packages (the dashboard's chart library, test peers): exactly the
# versions in package-lock.json, from the npm registry. The binary embeds
# uPlot, so without them the build cannot go on: a failed npm ci stops here.
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "deps: installing nodejs and npm" >&2
      apt_install nodejs npm
    fi
    echo "deps: npm ci" >&2
    if ! npm ci --no-audit --no-fund --loglevel=error >&2; then
      echo "deps: npm ci failed: the dashboard's assets (uPlot) and the test peers need it" >&2
      exit 1
    fi
  fi
fi
