#!/usr/bin/env bash
# Benchmarks idle keep-alive connections: Keel's memory per held connection and /health's latency meanwhile,
# into docs/benchmarks.md. Usage: bench/run-idle-connections.sh [--connections N] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/idle_connections.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
