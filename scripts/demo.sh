#!/usr/bin/env bash
# make demo: runs the embedded pipeline on simulated traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/vidlake demo "$@"
