// Trains a new version of a model from a CSV and writes it into the registry directory as
// <model_dir>/<name>/<version>/{model.json, meta.json}: holdout metrics, feature ranges, provenance and a
// validation sample included. The version directory appears atomically (written aside, then renamed), so a
// registry watching the directory never sees half a version.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "ml/dataset.hpp"
#include "ml/model_meta.hpp"
#include "ml/xgboost_model.hpp"

namespace keel::ml {

struct TrainRequest {
  std::string model_name;
  std::filesystem::path data;
  std::filesystem::path model_dir;  // ml.model_dir
  std::string target;               // empty: the CSV's last column
  double holdout = 0.2;             // fraction of rows kept out of training for the metrics
  TrainOptions options;
};

struct TrainedVersion {
  ModelMeta meta;
  std::filesystem::path directory;
};

Result<TrainedVersion> TrainModelVersion(
    const TrainRequest& request,
    const std::function<void(int round, int rounds, std::string_view eval)>& progress);

// Feature ranges a request may use: the observed range widened by 10% of its span on each side (trees
// predict flat beyond their data, so a little extrapolation is harmless; far outside is a typo), and never
// below zero for a feature that was never negative.
FeatureSpec WidenedRange(std::string name, float observed_min, float observed_max);
// Each feature of `data` with its observed range, widened.
std::vector<FeatureSpec> ObservedRanges(const Dataset& data);

}  // namespace keel::ml
