// Brings a model trained elsewhere into the registry as a new version: an ONNX file with either its meta.json
// (features, ranges, validation sample) or a sample CSV Keel derives them from (feature ranges widened as for
// trained models, metrics against the CSV's target, the validation sample predicted by the model itself). The
// version is loaded and checked exactly as a served one before it is published, so a model that would be
// refused never appears in the registry.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "ml/model_trainer.hpp"

namespace keel::ml {

struct ImportRequest {
  std::string model_name;
  std::filesystem::path onnx;
  std::filesystem::path meta;       // meta.json to take, or empty with `sample`
  std::filesystem::path sample;     // a CSV of features and target, or empty with `meta`
  std::string target;               // the sample's target column; empty: its last
  std::string output;               // with `sample`: the graph output that is the prediction (default first)
  std::size_t output_column = 0;    // with `sample`: its column
  std::filesystem::path model_dir;  // ml.model_dir
};

// kInvalidArgument saying what is wrong with the files (the model refused, a meta.json that does not parse, a
// sample whose columns do not fit the graph); kUnavailable when the registry cannot be written.
Result<TrainedVersion> ImportOnnxVersion(const ImportRequest& request);

}  // namespace keel::ml
