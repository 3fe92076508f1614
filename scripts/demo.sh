#!/usr/bin/env bash
# make demo: the embedded pipeline, live: simulated viewers in real time ->
# collector -> ./lake (bronze Delta tables) -> real-time engine -> the
# dashboard at http://127.0.0.1:8080/. Ctrl-C commits and exits.
# Arguments go to vidlake demo (e.g. make demo ARGS="--rate 10000").
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/vidlake demo --lake lake "$@"
