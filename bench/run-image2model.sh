#!/usr/bin/env bash
# Benchmarks Image2Model: local generation by image size, streamed uploads with memory watched, generation
# throughput, status reads; records the result in docs/benchmarks.md.
# Usage: bench/run-image2model.sh [--connections C] [--duration S] [--files N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/image2model.py --keel "$PWD/build/release/keel" --out docs/benchmarks.md "$@"
