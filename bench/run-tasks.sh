#!/usr/bin/env bash
# Benchmarks the Task API (login, list, create) and records the result in docs/benchmarks.md.
# Usage: bench/run-tasks.sh [--connections C] [--duration S] [--tasks N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/tasks_api.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
