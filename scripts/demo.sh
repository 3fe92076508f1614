#!/usr/bin/env bash
# make demo: the embedded pipeline on a simulated day; the valid events are
# stored as Parquet in build/demo/events.parquet.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/demo
build/vidlake demo --out build/demo/events.parquet "$@"
echo "Look at the stored events: build/vidlake parquet cat build/demo/events.parquet --limit 3"
