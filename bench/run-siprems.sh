#!/usr/bin/env bash
# SIPREMS: forecast accuracy on the real catalogue, training throughput, forecast reads and chat turns, into
# docs/benchmarks.md. Usage: bench/run-siprems.sh [--products N] [--connections C] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/siprems.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
