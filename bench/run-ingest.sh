#!/usr/bin/env bash
# Benchmarks the Live Validation Dashboard's ingestion and dashboard reads; records the result in docs/benchmarks.md.
# Usage: bench/run-ingest.sh [--connections C] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/ingest.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
