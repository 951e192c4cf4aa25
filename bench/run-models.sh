#!/usr/bin/env bash
# Benchmarks the dynamic model set with 10,000 registered models into docs/benchmarks.md.
# Usage: bench/run-models.sh [--models N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/models.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
