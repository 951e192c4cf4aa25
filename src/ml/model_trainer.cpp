// TrainModelVersion: CSV -> split -> XGBoost -> holdout metrics -> meta.json -> atomic rename.
#include "ml/model_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"
#include "core/sha256.hpp"
#include "ml/dataset.hpp"
#include "ml/registry_changes.hpp"
#include "ml/regression_metrics.hpp"

namespace keel::ml {
namespace {

constexpr std::size_t kValidationRows = 8;

std::string Sha256OfFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return Sha256Hex(content.str());
}

// "20261125T201500Z": sorts in time order, so the newest version is the greatest name.
std::string NewVersionName(const std::filesystem::path& model_root) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string base = fmt::format("{:%Y%m%dT%H%M%SZ}", now);
  std::string name = base;
  for (int n = 2; std::filesystem::exists(model_root / name); ++n) name = fmt::format("{}-{}", base, n);
  return name;
}

}  // namespace

FeatureSpec WidenedRange(std::string name, float observed_min, float observed_max) {
  double span = std::max(1.0, static_cast<double>(observed_max) - observed_min);
  double low = observed_min - 0.1 * span;
  if (observed_min >= 0) low = std::max(0.0, low);
  return FeatureSpec{std::move(name), low, observed_max + 0.1 * span};
}

Result<TrainedVersion> TrainModelVersion(
    const TrainRequest& request,
    const std::function<void(int round, int rounds, std::string_view eval)>& progress) {
  auto data = ReadCsv(request.data, request.target);
  if (!data) return std::move(data).error();
  auto [train, holdout] = SplitHoldout(*data, request.holdout, request.options.seed);

  auto model_root = request.model_dir / request.model_name;
  std::error_code ec;
  std::filesystem::create_directories(model_root, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot create {}: {}", model_root.string(), ec.message())};
  std::string version = NewVersionName(model_root);
  auto staging = model_root / (".staging-" + version);
  std::filesystem::remove_all(staging, ec);
  std::filesystem::create_directories(staging, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot create {}: {}", staging.string(), ec.message())};

  // A failed run leaves nothing behind; the rename below disarms this.
  struct RemoveOnFailure {
    std::filesystem::path path;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (!path.empty()) std::filesystem::remove_all(path, ignored);
    }
  } cleanup{staging};

  auto trained = TrainRegressor(train.x, train.y, train.features.size(), request.options,
                                staging / "model.json", progress);
  if (!trained) return std::move(trained).error();
  auto model = XgboostModel::Load(staging / "model.json", train.features.size());
  if (!model) return std::move(model).error();
  auto predicted = (*model)->Predict(holdout.x, holdout.rows());
  if (!predicted) return std::move(predicted).error();

  ModelMeta meta;
  meta.name = request.model_name;
  meta.version = version;
  meta.target = data->target;
  for (std::size_t f = 0; f < data->features.size(); ++f) {
    float low = data->x[f], high = data->x[f];
    for (std::size_t row = 0; row < data->rows(); ++row) {
      low = std::min(low, data->x[row * data->features.size() + f]);
      high = std::max(high, data->x[row * data->features.size() + f]);
    }
    meta.features.push_back(WidenedRange(data->features[f], low, high));
  }
  meta.metrics = Evaluate(holdout.y, *predicted).ToJson();
  meta.training = {{"rows", train.rows()},
                   {"holdout_rows", holdout.rows()},
                   {"holdout_fraction", request.holdout},
                   {"rounds", request.options.rounds},
                   {"max_depth", request.options.max_depth},
                   {"eta", request.options.eta},
                   {"subsample", request.options.subsample},
                   {"colsample_bytree", request.options.colsample},
                   {"seed", request.options.seed},
                   {"data_file", request.data.filename().string()},
                   {"data_sha256", Sha256OfFile(request.data)}};
  meta.trained_at = FormatRfc3339(UnixMillis());
  for (std::size_t row = 0; row < std::min(kValidationRows, holdout.rows()); ++row) {
    meta.sample.rows.push_back(holdout.Row(row));
    meta.sample.expected.push_back((*predicted)[row]);
  }
  meta.sample.tolerance = 1e-4;

  {
    std::ofstream out(staging / "meta.json");
    out << meta.ToJson().dump(2) << "\n";
    if (!out)
      return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", (staging / "meta.json").string())};
  }
  auto directory = model_root / version;
  std::filesystem::rename(staging, directory, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot publish {}: {}", directory.string(), ec.message())};
  cleanup.path.clear();
  // Serving processes learn of the version from the change feed; one that misses it still finds the version
  // when it next loads the model, so a failed announcement is logged, not fatal.
  if (auto announced = AnnounceVersion(request.model_dir, request.model_name, version); !announced)
    log::Warn("new model version not announced", log::Fields().Add("error", announced.error().message));
  return TrainedVersion{std::move(meta), directory};
}

}  // namespace keel::ml
