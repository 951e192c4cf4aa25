#!/usr/bin/env bash
# Benchmarks Keel's /health against nginx `return 200` on this machine, in one run, and records the result in
# docs/benchmarks.md. Usage: bench/run.sh [--threads N] [--connections C] [--duration S] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/health_vs_nginx.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
