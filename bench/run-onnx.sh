#!/usr/bin/env bash
# Benchmarks Keel's ONNX evaluator against its XGBoost predictor on the same property model (bench/onnx_bench.cpp):
# trains the model on the Ames data, writes it as ONNX, builds and runs the benchmark.
# Usage: bench/run-onnx.sh [benchmark flags, e.g. --benchmark_repetitions=3]
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
KEEL_ML_MODEL_DIR="$work" build/release/keel train property --data data/ames_housing.csv >/dev/null 2>&1
version_dir="$(ls -d "$work"/property/*/ | head -1)"
/usr/bin/python3 tests/e2e/xgboost_onnx.py "$version_dir/model.json" 12 "$version_dir/model.onnx"
cmake --build --preset release --target onnx_bench >/dev/null
KEEL_BENCH_MODEL_DIR="$version_dir" build/release/onnx_bench --benchmark_min_time=2 "$@"
