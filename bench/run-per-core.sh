#!/usr/bin/env bash
# Issue 20's goals in one run, printed as one table: /health per core vs nginx (access logs off and on), the
# access log's cost, predictions vs /health, task creation on PostgreSQL, idle connections, start-up.
# Usage: bench/run-per-core.sh [--duration S] [--rounds R] [--connections N]   (about 4 minutes by default)
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/per_core.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
