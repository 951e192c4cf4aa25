#!/usr/bin/env bash
# Redis beyond one node: throughput on one Redis, a Redis Cluster and Sentinel, and a master killed under load,
# into docs/benchmarks.md. Usage: bench/run-redis-topologies.sh [--connections C] [--duration S]
# [--failover-duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/redis_topologies.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
