// ModelMeta: JSON in and out, and the per-instance input check.
#include "ml/model_meta.hpp"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace keel::ml {
namespace {

Error InvalidMeta(std::string message) {
  return Error{ErrorCode::kInvalidArgument, "meta.json: " + std::move(message)};
}

}  // namespace

nlohmann::json ModelMeta::ToJson() const {
  nlohmann::json features_json = nlohmann::json::array();
  for (const auto& f : features) features_json.push_back({{"name", f.name}, {"min", f.min}, {"max", f.max}});
  nlohmann::json json = {
      {"name", name},
      {"version", version},
      {"target", target},
      {"features", features_json},
      {"metrics", metrics},
      {"training", training},
      {"trained_at", trained_at},
      {"validation_sample",
       {{"rows", sample.rows}, {"expected", sample.expected}, {"tolerance", sample.tolerance}}}};
  if (!output_name.empty() || output_column > 0)
    json["output"] = {{"name", output_name}, {"column", output_column}};
  return json;
}

Result<ModelMeta> ModelMeta::Parse(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return InvalidMeta("not a JSON object");
  ModelMeta meta;
  try {
    meta.name = json.at("name").get<std::string>();
    meta.version = json.at("version").get<std::string>();
    meta.target = json.at("target").get<std::string>();
    meta.trained_at = json.at("trained_at").get<std::string>();
    meta.metrics = json.value("metrics", nlohmann::json::object());
    meta.training = json.value("training", nlohmann::json::object());
    std::set<std::string> names;
    for (const auto& f : json.at("features")) {
      FeatureSpec spec{f.at("name").get<std::string>(), f.at("min").get<double>(), f.at("max").get<double>()};
      if (spec.name.empty() || !names.insert(spec.name).second)
        return InvalidMeta(fmt::format("feature name '{}' is empty or repeated", spec.name));
      if (!(spec.min <= spec.max)) return InvalidMeta(fmt::format("feature {} has min > max", spec.name));
      meta.features.push_back(std::move(spec));
    }
    const auto& sample = json.at("validation_sample");
    meta.sample.rows = sample.at("rows").get<std::vector<std::vector<float>>>();
    meta.sample.expected = sample.at("expected").get<std::vector<double>>();
    meta.sample.tolerance = sample.value("tolerance", 1e-3);
    if (json.contains("output")) {
      const auto& output = json.at("output");
      meta.output_name = output.value("name", std::string());
      meta.output_column = output.value("column", std::size_t{0});
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidMeta(e.what());
  }
  if (meta.features.empty()) return InvalidMeta("no features");
  if (meta.sample.rows.empty() || meta.sample.rows.size() != meta.sample.expected.size())
    return InvalidMeta("the validation sample needs as many expected values as rows, and at least one");
  for (const auto& row : meta.sample.rows)
    if (row.size() != meta.features.size())
      return InvalidMeta("a validation row does not have one value per feature");
  return meta;
}

std::string CanonicalRow(const std::vector<float>& row) {
  std::string text;
  text.reserve(row.size() * 10);
  char buffer[32];
  for (float value : row) {
    if (value == 0.0f) value = 0.0f;  // -0 and 0 are one input
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    text.append(buffer, end);
    text.push_back(',');
  }
  return text;
}

}  // namespace keel::ml
