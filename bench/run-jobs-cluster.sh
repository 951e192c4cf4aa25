#!/usr/bin/env bash
# Job start latency across processes on PostgreSQL (keel cluster): LISTEN/NOTIFY vs polling, into
# docs/benchmarks.md. Usage: bench/run-jobs-cluster.sh [--duration S] [--rate R]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/jobs_cluster.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
