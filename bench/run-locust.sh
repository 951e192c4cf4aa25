#!/usr/bin/env bash
# The seed's load test with Debian's locust (installed here when missing); records the result in docs/benchmarks.md.
# Usage: bench/run-locust.sh [--users N] [--rate R] [--duration S] [--argon2-memory-kib K] [--argon2-ops P]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v locust >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends python3-locust >/dev/null
fi
exec /usr/bin/python3 bench/locust_run.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
