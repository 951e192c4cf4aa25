// ParsePredictionInput: simdjson DOM walk of the request body, checked feature by feature.
#include "apps/property/prediction_input.hpp"

#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

namespace keel::property {
namespace {

bool IsNonFiniteWord(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

// Python's json module writes NaN, Infinity and -Infinity as bare words, which JSON does not allow. Quoting
// them (outside strings) lets the field check name the field instead of refusing the whole body.
std::string QuoteNonFiniteWords(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 16);
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < body.size())
        out += body[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view word : {"-Infinity", "Infinity", "NaN"}) {
      if (body.substr(i, word.size()) == word) {
        out += '"';
        out += word;
        out += '"';
        i += word.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// Appends one instance's row to `values`, or its errors (fields prefixed by `prefix`) to `errors`.
void ReadInstance(simdjson::dom::element instance, const ml::ModelMeta& meta, const std::string& prefix,
                  std::vector<float>& values, std::vector<http::FieldError>& errors) {
  simdjson::dom::object object;
  if (instance.get_object().get(object) != simdjson::SUCCESS) {
    errors.push_back({prefix.substr(0, prefix.size() - 1), "must be an object of features"});
    return;
  }
  const std::size_t width = meta.features.size();
  std::size_t before = errors.size();
  std::size_t base = values.size();
  values.resize(base + width, 0.0f);
  std::vector<bool> seen(width, false);
  for (auto field : object) {
    std::size_t index = 0;
    while (index < width && meta.features[index].name != field.key) ++index;
    // The field's path is only built for an error: this loop runs for every feature of every request.
    auto name = [&] { return prefix + std::string(field.key); };
    if (index == width) {
      errors.push_back({name(), "is not a feature of this model"});
      continue;
    }
    if (seen[index]) {
      errors.push_back({name(), "is given more than once"});
      continue;
    }
    seen[index] = true;
    double value = 0;
    std::string_view text;
    if (field.value.get_string().get(text) == simdjson::SUCCESS && IsNonFiniteWord(text)) {
      errors.push_back({name(), "must be a finite number"});
    } else if (field.value.is_bool() || field.value.get_double().get(value) != simdjson::SUCCESS) {
      errors.push_back({name(), "must be a number"});
    } else if (!std::isfinite(value)) {
      errors.push_back({name(), "must be a finite number"});
    } else if (const auto& spec = meta.features[index]; value < spec.min || value > spec.max) {
      errors.push_back({name(), fmt::format("must be between {} and {}", spec.min, spec.max)});
    } else {
      values[base + index] = static_cast<float>(value);
    }
  }
  for (std::size_t i = 0; i < width; ++i)
    if (!seen[i]) errors.push_back({prefix + meta.features[i].name, "is missing"});
  if (errors.size() != before) values.resize(base);
}

}  // namespace

ParsedPrediction ParsePredictionInput(std::string_view body, const ml::ModelMeta& meta) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element document;
  std::string quoted;
  if (parser.parse(body.data(), body.size()).get(document) != simdjson::SUCCESS) {
    quoted = QuoteNonFiniteWords(body);
    if (quoted == body || parser.parse(quoted).get(document) != simdjson::SUCCESS)
      return Malformed{"the body is not valid JSON"};
  }
  simdjson::dom::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS)
    return InvalidFields{{{"body", "must be a JSON object with \"features\" or \"instances\""}}};

  InvalidFields invalid;
  simdjson::dom::element features, instances;
  bool has_features = false, has_instances = false;
  for (auto field : object) {
    if (field.key == "features") {
      has_features = true;
      features = field.value;
    } else if (field.key == "instances") {
      has_instances = true;
      instances = field.value;
    } else {
      invalid.errors.push_back({std::string(field.key), "is not accepted here"});
    }
  }
  if (has_features == has_instances)
    invalid.errors.push_back({"body", "must have exactly one of \"features\" or \"instances\""});
  if (!invalid.errors.empty()) return invalid;

  PredictionInput input;
  if (has_features) {
    ReadInstance(features, meta, "features.", input.values, invalid.errors);
    input.rows = 1;
  } else {
    input.many = true;
    simdjson::dom::array array;
    if (instances.get_array().get(array) != simdjson::SUCCESS) {
      invalid.errors.push_back({"instances", "must be an array of feature objects"});
    } else if (array.size() == 0 || array.size() > kMaxInstances) {
      invalid.errors.push_back({"instances", fmt::format("must hold 1 to {} instances", kMaxInstances)});
    } else {
      input.values.reserve(array.size() * meta.features.size());
      std::size_t i = 0;
      for (auto instance : array)
        ReadInstance(instance, meta, fmt::format("instances/{}/", i++), input.values, invalid.errors);
      input.rows = i;
    }
  }
  if (!invalid.errors.empty()) return invalid;
  return input;
}

}  // namespace keel::property
