// XgboostModel: the C API calls, their errors, and the per-thread proxy matrix.
#include "ml/xgboost_model.hpp"

#include <xgboost/c_api.h>

#include <cmath>
#include <numeric>
#include <string>

#include <fmt/format.h>

namespace keel::ml {
namespace {

// In-place prediction settings; XGBoost 1.7 requires cache_id and missing.
constexpr const char* kPredictConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"cache_id":0,)"
    R"("missing":NaN})";

// XGBoost's last error on this thread, without its stack trace.
Error LastError(std::string_view what, ErrorCode code = ErrorCode::kInternal) {
  std::string message = XGBGetLastError();
  if (auto trace = message.find("\nStack trace"); trace != std::string::npos) message.resize(trace);
  return Error{code, fmt::format("{}: {}", what, message)};
}

// numpy's __array_interface__ (v3) for a C-contiguous float32 matrix, read in place.
std::string ArrayInterface(const float* data, std::size_t rows, std::size_t columns) {
  return fmt::format(R"({{"data":[{},true],"shape":[{},{}],"typestr":"<f4","version":3}})",
                     reinterpret_cast<std::uintptr_t>(data), rows, columns);
}

// One proxy DMatrix per thread: XGBoost writes the request's data pointer into it, so it must never be
// shared. It carries no model state, so one serves every booster.
class ThreadProxy {
 public:
  ThreadProxy() { XGProxyDMatrixCreate(&handle_); }
  ~ThreadProxy() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

struct Matrix {
  DMatrixHandle handle = nullptr;
  ~Matrix() {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};

struct Booster {
  BoosterHandle handle = nullptr;
  ~Booster() {
    if (handle != nullptr) XGBoosterFree(handle);
  }
};

}  // namespace

Result<std::unique_ptr<XgboostModel>> XgboostModel::Load(const std::filesystem::path& model_json,
                                                         std::size_t num_features) {
  Booster booster;
  if (XGBoosterCreate(nullptr, 0, &booster.handle) != 0) return LastError("cannot create a booster");
  if (XGBoosterLoadModel(booster.handle, model_json.c_str()) != 0)
    return LastError(fmt::format("cannot load {}", model_json.string()), ErrorCode::kInvalidArgument);
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(booster.handle, &features) != 0)
    return LastError("cannot read the model's width");
  if (features != num_features)
    return Error{ErrorCode::kInvalidArgument, fmt::format("{} takes {} features, meta.json lists {}",
                                                          model_json.string(), features, num_features)};
  // Not stored in the model: without it every call fans out to all cores and fights the server's threads.
  if (XGBoosterSetParam(booster.handle, "nthread", "1") != 0) return LastError("cannot set nthread");
  std::unique_ptr<XgboostModel> model(new XgboostModel(booster.handle, num_features));
  booster.handle = nullptr;
  return model;
}

XgboostModel::~XgboostModel() { XGBoosterFree(booster_); }

Result<std::vector<double>> XgboostModel::Predict(std::span<const float> values, std::size_t rows) const {
  if (rows == 0 || values.size() != rows * num_features_)
    return Error{ErrorCode::kInvalidArgument, "prediction input does not match the model's width"};
  thread_local ThreadProxy proxy;
  std::string input = ArrayInterface(values.data(), rows, num_features_);
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* out = nullptr;
  if (XGBoosterPredictFromDense(booster_, input.c_str(), kPredictConfig, proxy.get(), &shape, &dimensions,
                                &out) != 0)
    return LastError("prediction failed");
  if (dimensions < 1 || shape[0] != rows)
    return Error{ErrorCode::kInternal, "prediction returned the wrong shape"};
  // `out` is XGBoost's buffer for this thread and booster, overwritten by the next call: copy now.
  return std::vector<double>(out, out + rows);
}

namespace {

// Trains into `booster` (see TrainRegressor).
Result<void> Train(std::span<const float> x, std::span<const float> y, std::size_t num_features,
                   const TrainOptions& options,
                   const std::function<void(int round, int rounds, std::string_view eval)>& progress,
                   Matrix& train, Booster& booster) {
  if (y.empty() || x.size() != y.size() * num_features)
    return Error{ErrorCode::kInvalidArgument, "training data does not have one label per row"};
  if (XGDMatrixCreateFromMat(x.data(), y.size(), num_features, NAN, &train.handle) != 0)
    return LastError("cannot build the training matrix");
  if (XGDMatrixSetFloatInfo(train.handle, "label", y.data(), y.size()) != 0)
    return LastError("cannot set labels");
  if (XGBoosterCreate(&train.handle, 1, &booster.handle) != 0) return LastError("cannot create a booster");
  // XGBoost 1.7 starts from 0.5 rather than the label mean; prices in the hundreds of thousands need the
  // mean.
  double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
  const std::pair<const char*, std::string> parameters[] = {
      {"objective", "reg:squarederror"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(options.max_depth)},
      {"eta", fmt::format("{}", options.eta)},
      {"subsample", fmt::format("{}", options.subsample)},
      {"colsample_bytree", fmt::format("{}", options.colsample)},
      {"seed", std::to_string(options.seed)},
      {"nthread", std::to_string(options.threads)},
      {"base_score", fmt::format("{}", mean)},
      {"eval_metric", "rmse"},
      {"validate_parameters", "1"},
  };
  for (const auto& [name, value] : parameters)
    if (XGBoosterSetParam(booster.handle, name, value.c_str()) != 0)
      return LastError(fmt::format("cannot set {}", name));
  const char* names[] = {"train"};
  for (int round = 0; round < options.rounds; ++round) {
    if (XGBoosterUpdateOneIter(booster.handle, round, train.handle) != 0) return LastError("training failed");
    if (progress) {
      const char* eval = "";
      if (XGBoosterEvalOneIter(booster.handle, round, &train.handle, names, 1, &eval) != 0)
        return LastError("evaluation failed");
      progress(round + 1, options.rounds, eval);
    }
  }
  return Ok();
}

}  // namespace

Result<void> TrainRegressor(
    std::span<const float> x, std::span<const float> y, std::size_t num_features, const TrainOptions& options,
    const std::filesystem::path& out,
    const std::function<void(int round, int rounds, std::string_view eval)>& progress) {
  Matrix train;
  Booster booster;
  if (auto trained = Train(x, y, num_features, options, progress, train, booster); !trained) return trained;
  if (XGBoosterSaveModel(booster.handle, out.c_str()) != 0)
    return LastError(fmt::format("cannot save {}", out.string()), ErrorCode::kUnavailable);
  return Ok();
}

Result<std::string> TrainRegressorJson(std::span<const float> x, std::span<const float> y,
                                       std::size_t num_features, const TrainOptions& options) {
  Matrix train;
  Booster booster;
  if (auto trained = Train(x, y, num_features, options, nullptr, train, booster); !trained)
    return std::move(trained).error();
  bst_ulong length = 0;
  const char* bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(booster.handle, R"({"format":"json"})", &length, &bytes) != 0)
    return LastError("cannot save the model");
  return std::string(bytes, length);
}

}  // namespace keel::ml
