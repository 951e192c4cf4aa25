#!/usr/bin/env bash
# SIPREMS's mixed load through nginx in the scaled mode, into docs/benchmarks.md.
# Usage: bench/run-siprems-cluster.sh [--instances N] [--connections C] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/siprems_cluster.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
