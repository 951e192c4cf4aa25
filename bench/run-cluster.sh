#!/usr/bin/env bash
# Scaled-out benchmark: the Task API through nginx with 1-3 keel instances on PostgreSQL + Redis (keel cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/cluster.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
