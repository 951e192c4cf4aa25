#!/usr/bin/env bash
# The Live Validation Dashboard's ingestion and live latency in the scaled mode (keel cluster, 2 instances).
# Usage: bench/run-ingest-cluster.sh [--connections C] [--duration S] [--live-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/ingest_cluster.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
