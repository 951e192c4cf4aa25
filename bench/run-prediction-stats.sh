#!/usr/bin/env bash
# Prediction stats over a large log (bench/prediction_stats_bench.cpp): 10 million predictions over 30 days,
# then the stats and compare reads for windows of 1 minute to 30 days, on SQLite; with --postgres, also on
# PostgreSQL through pgBouncer (a `keel cluster` of servers only, stopped at the end).
# Usage: bench/run-prediction-stats.sh [--postgres] [--predictions N]
set -euo pipefail
cd "$(dirname "$0")/.."
postgres=false
predictions=10000000
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) postgres=true ;;
    --predictions) predictions="$2"; shift ;;
    *) echo "usage: $0 [--postgres] [--predictions N]" >&2; exit 2 ;;
  esac
  shift
done
cmake --build --preset release --target prediction_stats_bench keel >/dev/null
echo "## SQLite"
build/release/prediction_stats_bench "$predictions"
if $postgres; then
  cluster="$(mktemp -d)"
  trap 'build/release/keel cluster down --dir "$cluster" >/dev/null 2>&1 || true; rm -rf "$cluster"' EXIT
  build/release/keel cluster up --dir "$cluster" --instances 0 --workers 0 --port 0 >/dev/null
  echo
  echo "## PostgreSQL through pgBouncer"
  (set -a && . "$cluster/cluster.env" && build/release/prediction_stats_bench "$predictions")
fi
