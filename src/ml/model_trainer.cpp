// TrainModelVersion: CSV -> split -> XGBoost -> holdout metrics -> meta.json -> atomic rename.
#include "ml/model_trainer.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/rfc3339.hpp"
#include "ml/dataset.hpp"
#include "ml/regression_metrics.hpp"
#include "ml/staged_version.hpp"

namespace keel::ml {
namespace {

constexpr std::size_t kValidationRows = 8;

}  // namespace

FeatureSpec WidenedRange(std::string name, float observed_min, float observed_max) {
  double span = std::max(1.0, static_cast<double>(observed_max) - observed_min);
  double low = observed_min - 0.1 * span;
  if (observed_min >= 0) low = std::max(0.0, low);
  return FeatureSpec{std::move(name), low, observed_max + 0.1 * span};
}

std::vector<FeatureSpec> ObservedRanges(const Dataset& data) {
  std::vector<FeatureSpec> ranges;
  const std::size_t width = data.features.size();
  for (std::size_t f = 0; f < width; ++f) {
    float low = data.x[f], high = data.x[f];
    for (std::size_t row = 0; row < data.rows(); ++row) {
      low = std::min(low, data.x[row * width + f]);
      high = std::max(high, data.x[row * width + f]);
    }
    ranges.push_back(WidenedRange(data.features[f], low, high));
  }
  return ranges;
}

Result<TrainedVersion> TrainModelVersion(
    const TrainRequest& request,
    const std::function<void(int round, int rounds, std::string_view eval)>& progress) {
  auto data = ReadCsv(request.data, request.target);
  if (!data) return std::move(data).error();
  auto [train, holdout] = SplitHoldout(*data, request.holdout, request.options.seed);

  auto staged = StagedVersion::Create(request.model_dir, request.model_name);
  if (!staged) return std::move(staged).error();
  const auto& staging = staged->staging();
  const std::string& version = staged->version();

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
  meta.features = ObservedRanges(*data);
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
  auto directory = staged->Publish();
  if (!directory) return std::move(directory).error();
  return TrainedVersion{std::move(meta), std::move(directory).value()};
}

}  // namespace keel::ml
