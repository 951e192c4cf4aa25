#!/usr/bin/env bash
# Benchmarks the job queue (no-op jobs: throughput and enqueue-to-start latency) into docs/benchmarks.md.
# Usage: bench/run-jobs.sh [--connections C] [--duration S] [--rate R] [--queue name:min-max]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/jobs.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
