// A model version's meta.json: its features in order with their valid ranges, target, training metrics and
// provenance, and a validation sample with the predictions the model must reproduce before it is served.
//
// Thread safety: immutable after parsing; safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace keel::ml {

struct FeatureSpec {
  std::string name;
  double min = 0;  // valid range, inclusive: inputs outside it are refused
  double max = 0;
};

struct ValidationSample {
  std::vector<std::vector<float>> rows;  // in feature order
  std::vector<double> expected;          // the model's predictions when it was written
  double tolerance = 1e-3;               // relative
};

struct ModelMeta {
  std::string name;
  std::string version;
  std::string target;
  std::vector<FeatureSpec> features;
  nlohmann::json metrics = nlohmann::json::object();   // holdout MAE, RMSE, R², MAPE
  nlohmann::json training = nlohmann::json::object();  // rows, parameters, data file and its sha256
  std::string trained_at;
  ValidationSample sample;
  // Which output of an ONNX graph is the prediction ("output": {"name", "column"}): by default the first
  // output's column 0. XGBoost models have one output.
  std::string output_name;
  std::size_t output_column = 0;

  nlohmann::json ToJson() const;
  // kInvalidArgument naming the first problem (missing key, wrong type, empty features, min > max, a sample
  // row of the wrong width, sample sizes that disagree).
  static Result<ModelMeta> Parse(std::string_view text);
};

// The canonical text of a row for cache keys: values in feature order with shortest round-trip formatting,
// so the same features given in any order (or as 3 vs 3.0) give the same key.
std::string CanonicalRow(const std::vector<float>& row);

}  // namespace keel::ml
