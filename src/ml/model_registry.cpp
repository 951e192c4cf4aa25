// ModelRegistry: version discovery, validation against the sample, and the swap.
#include "ml/model_registry.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ml/onnx/onnx_model.hpp"
#include "ml/xgboost_model.hpp"

namespace keel::ml {

bool IsModelName(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
}

std::string VersionFormat(const std::filesystem::path& directory) {
  std::error_code ec;
  if (std::filesystem::exists(directory / "model.onnx", ec)) return "onnx";
  if (std::filesystem::exists(directory / "model.json", ec)) return "xgboost";
  return "none";
}

namespace {

// An ONNX graph when the version has one, else XGBoost's model.
Result<std::unique_ptr<Predictor>> LoadPredictor(const std::filesystem::path& directory,
                                                 const ModelMeta& meta) {
  if (VersionFormat(directory) == "onnx") {
    auto model = onnx::OnnxModel::Load(directory / "model.onnx", meta.features.size(),
                                       onnx::OutputChoice{meta.output_name, meta.output_column});
    if (!model) return std::move(model).error();
    return std::unique_ptr<Predictor>(std::move(model).value());
  }
  auto model = XgboostModel::Load(directory / "model.json", meta.features.size());
  if (!model) return std::move(model).error();
  return std::unique_ptr<Predictor>(std::move(model).value());
}

}  // namespace

Result<std::shared_ptr<const LoadedModel>> LoadVersion(const std::filesystem::path& directory) {
  std::ifstream in(directory / "meta.json");
  if (!in) return Error{ErrorCode::kInvalidArgument, fmt::format("{}: no meta.json", directory.string())};
  std::stringstream text;
  text << in.rdbuf();
  auto meta = ModelMeta::Parse(text.str());
  if (!meta)
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: {}", directory.string(), meta.error().message)};
  auto model = LoadPredictor(directory, *meta);
  if (!model) return std::move(model).error();
  // The sample doubles as the warm-up: the first predictions pay XGBoost's lazy configuration, not a request.
  for (std::size_t i = 0; i < meta->sample.rows.size(); ++i) {
    auto predicted = (*model)->Predict(meta->sample.rows[i], 1);
    if (!predicted) return std::move(predicted).error();
    double expected = meta->sample.expected[i];
    double allowed = meta->sample.tolerance * std::max(1.0, std::abs(expected));
    if (std::abs((*predicted)[0] - expected) > allowed)
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{}: validation row {} predicts {} where meta.json expects {}",
                               directory.string(), i, (*predicted)[0], expected)};
  }
  auto loaded = std::make_shared<LoadedModel>();
  loaded->meta = std::move(meta).value();
  loaded->model = std::move(model).value();
  loaded->directory = directory;
  return std::shared_ptr<const LoadedModel>(std::move(loaded));
}

std::vector<std::string> ModelRegistry::Versions(const std::string& name) const {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_ / name, ec)) {
    std::string version = entry.path().filename().string();
    if (entry.is_directory() && !version.empty() && version[0] != '.') versions.push_back(version);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

std::string ModelRegistry::Format(const std::string& name, const std::string& version) const {
  return VersionFormat(root_ / name / version);
}

Result<std::string> ModelRegistry::Reload(const std::string& name, const std::string& pinned,
                                          std::vector<std::string>* refused) {
  auto versions = Versions(name);
  if (versions.empty())
    return Error{ErrorCode::kNotFound, fmt::format("model {} has no versions in {}", name, root_.string())};
  auto current = Get(name);
  std::vector<std::string> candidates;
  if (!pinned.empty()) {
    if (std::find(versions.begin(), versions.end(), pinned) == versions.end())
      return Error{ErrorCode::kNotFound, fmt::format("model {} has no version {}", name, pinned)};
    if (current && current->meta.version == pinned) return pinned;
    candidates.push_back(pinned);
  } else {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      if (current && *it <= current->meta.version) break;
      candidates.push_back(*it);
    }
    if (candidates.empty()) return current->meta.version;
  }
  std::vector<std::string> failures;
  for (const auto& version : candidates) {
    auto loaded = LoadVersion(root_ / name / version);
    if (!loaded) {
      failures.push_back(loaded.error().message);
      if (refused != nullptr) refused->push_back(loaded.error().message);
      continue;
    }
    std::lock_guard lock(mutex_);
    served_[name] = std::move(loaded).value();
    return version;
  }
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("no new version of {} passed its checks: {}", name, fmt::join(failures, "; "))};
}

std::shared_ptr<const LoadedModel> ModelRegistry::Get(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto found = served_.find(name);
  return found == served_.end() ? nullptr : found->second;
}

void ModelRegistry::Unload(const std::string& name) {
  std::shared_ptr<const LoadedModel> released;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  auto found = served_.find(name);
  if (found == served_.end()) return;
  released = std::move(found->second);
  served_.erase(found);
}

std::vector<std::string> ModelRegistry::Models() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    std::string name = entry.path().filename().string();
    if (IsModelName(name) && entry.is_directory(ec)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace keel::ml
