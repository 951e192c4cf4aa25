// The XGBoost backend (C API of libxgboost 1.7): a loaded regressor that many threads predict with at once,
// and training of a new one.
//
// Thread safety: Predict may be called from any number of threads at once (in-place prediction on a shared
// gbtree booster is thread-safe since XGBoost 1.4; each thread uses its own proxy DMatrix, and results are
// copied out of XGBoost's per-thread buffer at once). Destroying the model must not overlap a Predict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ml/predictor.hpp"

namespace keel::ml {

class XgboostModel final : public Predictor {
 public:
  // Loads a model saved as JSON, for `num_features` inputs per row; single-threaded prediction (the server
  // brings its own threads). kInvalidArgument when the file is not a model of that width.
  static Result<std::unique_ptr<XgboostModel>> Load(const std::filesystem::path& model_json,
                                                    std::size_t num_features);
  ~XgboostModel() override;
  XgboostModel(const XgboostModel&) = delete;
  XgboostModel& operator=(const XgboostModel&) = delete;

  // REQUIRES: values.size() == rows * num_features() (row-major). One prediction per row.
  Result<std::vector<double>> Predict(std::span<const float> values, std::size_t rows) const override;
  std::size_t num_features() const override { return num_features_; }

 private:
  XgboostModel(void* booster, std::size_t num_features) : booster_(booster), num_features_(num_features) {}
  void* booster_;  // BoosterHandle
  const std::size_t num_features_;
};

struct TrainOptions {
  // 100 rounds at eta 0.15 match 400 at 0.05 on the Ames holdout (MAE $15,887 vs $15,877) with a quarter of
  // the trees to walk for every predicted row.
  int rounds = 100;
  int max_depth = 5;
  double eta = 0.15;
  double subsample = 0.8;
  double colsample = 0.8;
  std::uint64_t seed = 42;
  int threads = 1;  // XGBoost's OpenMP threads; 1 is fastest on a busy 2-core machine and deterministic
};

// Trains a squared-error regressor on row-major `x` (rows x num_features) and labels `y`, calling
// `progress(round, rounds, eval_text)` after every round, and saves it as JSON to `out`.
Result<void> TrainRegressor(
    std::span<const float> x, std::span<const float> y, std::size_t num_features, const TrainOptions& options,
    const std::filesystem::path& out,
    const std::function<void(int round, int rounds, std::string_view eval)>& progress);

// The same, returning the model as XGBoost's JSON instead of saving it (for models kept elsewhere than the
// registry: SIPREMS's per-product forecasters read the trees out of it).
Result<std::string> TrainRegressorJson(std::span<const float> x, std::span<const float> y,
                                       std::size_t num_features, const TrainOptions& options);

}  // namespace keel::ml
