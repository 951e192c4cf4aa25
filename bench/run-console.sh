#!/usr/bin/env bash
# Benchmarks the web console's page sizes and first load in Chromium into docs/benchmarks.md (bench/console.py).
# Usage: bench/run-console.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/console.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
