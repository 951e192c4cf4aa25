// Keel's ONNX evaluator against its XGBoost predictor on the same trees: the property model `keel train`
// makes on the Ames data (100 trees, depth 5, 12 features), and that model written as an ONNX
// TreeEnsembleRegressor (tests/e2e/xgboost_onnx.py). Rows per second on one core in batches of 64 (what the
// dynamic batcher hands a model under load) and the latency of one row. The target: ONNX within 1.2x
// of XGBoost. Run: bench/run-onnx.sh (trains, converts, builds and runs this with KEEL_BENCH_MODEL_DIR set).
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

#include <benchmark/benchmark.h>

#include "ml/onnx/onnx_model.hpp"
#include "ml/xgboost_model.hpp"

namespace {

constexpr std::size_t kFeatures = 12;

std::filesystem::path ModelDir() {
  const char* dir = std::getenv("KEEL_BENCH_MODEL_DIR");
  if (dir == nullptr) throw std::runtime_error("set KEEL_BENCH_MODEL_DIR (bench/run-onnx.sh does)");
  return dir;
}

// Rows drawn around real Ames houses: areas, years, counts and coordinates in their observed ranges.
std::vector<float> Rows(std::size_t rows) {
  std::mt19937 random(11);
  const float low[kFeatures] = {400, 1300, 1872, 1950, 1, 0, 0, 0, 0, 0, 41.98f, -93.69f};
  const float high[kFeatures] = {4000, 60000, 2010, 2010, 9, 6, 3, 2, 4, 3000, 42.06f, -93.58f};
  std::vector<float> values;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t f = 0; f < kFeatures; ++f)
      values.push_back(std::uniform_real_distribution<float>(low[f], high[f])(random));
  return values;
}

// Loaded once and never freed: a booster destroyed after XGBoost's own statics at exit crashes the process.
const keel::ml::Predictor& Xgboost() {
  static auto* model = new auto(keel::ml::XgboostModel::Load(ModelDir() / "model.json", kFeatures));
  if (!*model) throw std::runtime_error(model->error().message);
  return ***model;
}

const keel::ml::Predictor& Onnx() {
  static auto* model = new auto(keel::ml::onnx::OnnxModel::Load(ModelDir() / "model.onnx", kFeatures, {}));
  if (!*model) throw std::runtime_error(model->error().message);
  return ***model;
}

void Predict(benchmark::State& state, const keel::ml::Predictor& model) {
  auto batch = static_cast<std::size_t>(state.range(0));
  auto rows = Rows(batch * 64);
  std::size_t at = 0;
  for (auto _ : state) {
    auto predicted =
        model.Predict(std::span<const float>(rows.data() + at * batch * kFeatures, batch * kFeatures), batch);
    benchmark::DoNotOptimize(predicted);
    at = (at + 1) % 64;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void BM_Xgboost(benchmark::State& state) { Predict(state, Xgboost()); }
void BM_Onnx(benchmark::State& state) { Predict(state, Onnx()); }

BENCHMARK(BM_Xgboost)->Arg(1)->Arg(64);
BENCHMARK(BM_Onnx)->Arg(1)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
