#!/usr/bin/env bash
# The Image2Model seed's load test with Debian's locust (installed here when missing); records the result in
# docs/benchmarks.md. Usage: bench/run-locust-image2model.sh [--users N] [--duration S]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v locust >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends python3-locust >/dev/null
fi
exec /usr/bin/python3 bench/locust_image2model.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
