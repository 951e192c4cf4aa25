#!/usr/bin/env bash
# Benchmarks `keel serve`'s start-up to /health and /ready with the defaults into docs/benchmarks.md.
# Usage: bench/run-startup.sh [--starts N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/startup.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
