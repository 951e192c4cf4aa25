#!/usr/bin/env bash
# Benchmarks PropertyAI predictions (uncached batched / not batched, cached, vs /health) into docs/benchmarks.md.
# Usage: bench/run-predict.sh [--connections C] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/predict.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
