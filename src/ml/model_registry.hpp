// The model registry: for each model name, the version being served, loaded from
// <root>/<name>/<version>/{model.json, meta.json}. A version is served only after its model loads, matches
// its meta.json and reproduces its validation sample; a version that fails is never served, and the previous
// one keeps serving. Readers get a shared_ptr, so a swap never pulls a model from under a running prediction.
//
// Thread safety: all methods are safe from any thread; Reload calls for one name should come from one thread
// at a time (the later one wins).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ml/model_meta.hpp"
#include "ml/predictor.hpp"

namespace keel::ml {

// Model names are directory names in the registry and labels in metrics: 1-64 of a-z, 0-9, '_' and '-'.
bool IsModelName(std::string_view name);

struct LoadedModel {
  ModelMeta meta;
  std::unique_ptr<Predictor> model;
  std::filesystem::path directory;
};

// What a version directory holds: "onnx" (model.onnx, which wins when both are there), "xgboost"
// (model.json), or "none" (no model file yet).
std::string VersionFormat(const std::filesystem::path& directory);

// Loads one version directory and checks it: meta.json parses, the model (model.onnx when present, else
// XGBoost's model.json) has meta's width, and it predicts the validation sample within its tolerance.
// kInvalidArgument saying what failed.
Result<std::shared_ptr<const LoadedModel>> LoadVersion(const std::filesystem::path& directory);

class ModelRegistry {
 public:
  explicit ModelRegistry(std::filesystem::path root) : root_(std::move(root)) {}

  // Serves `pinned` when given, else the newest version that passes LoadVersion (newer than the one served;
  // broken ones are skipped, and why is appended to `refused` when given). Returns the version now served. An
  // error leaves the served version as it was: kNotFound when the model has no version directory,
  // kInvalidArgument when none passes.
  Result<std::string> Reload(const std::string& name, const std::string& pinned = "",
                             std::vector<std::string>* refused = nullptr);

  // The served version, or null.
  std::shared_ptr<const LoadedModel> Get(const std::string& name) const;
  // Stops serving `name` (its version stays alive for predictions that still hold it).
  void Unload(const std::string& name);
  // The model directories in the registry, in name order.
  std::vector<std::string> Models() const;
  // Version directories present for `name`, oldest first.
  std::vector<std::string> Versions(const std::string& name) const;
  // VersionFormat of one of `name`'s versions.
  std::string Format(const std::string& name, const std::string& version) const;

 private:
  const std::filesystem::path root_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const LoadedModel>> served_;  // GUARDED_BY(mutex_)
};

}  // namespace keel::ml
