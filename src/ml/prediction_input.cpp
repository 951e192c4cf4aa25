// ParsePredictionInput: simdjson DOM walk of the request body, checked feature by feature.
#include "ml/prediction_input.hpp"

#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

namespace keel::ml {
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

// Appends one instance's row to `values`, or its errors to `errors`: fields named `prefix` + feature
// ("features.area", "instances/3/area"), pointers `pointer` + "/" + feature.
void ReadInstance(simdjson::dom::element instance, const ml::ModelMeta& meta, const std::string& prefix,
                  const std::string& pointer, std::vector<float>& values,
                  std::vector<http::FieldError>& errors) {
  simdjson::dom::object object;
  if (instance.get_object().get(object) != simdjson::SUCCESS) {
    errors.push_back({prefix.substr(0, prefix.size() - 1), "must be an object of features", pointer});
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
    auto error = [&](std::string message) {
      errors.push_back(
          {prefix + std::string(field.key), std::move(message), http::JsonPointerAppend(pointer, field.key)});
    };
    if (index == width) {
      error("is not a feature of this model");
      continue;
    }
    if (seen[index]) {
      error("is given more than once");
      continue;
    }
    seen[index] = true;
    double value = 0;
    std::string_view text;
    if (field.value.get_string().get(text) == simdjson::SUCCESS && IsNonFiniteWord(text)) {
      error("must be a finite number");
    } else if (field.value.is_bool() || field.value.get_double().get(value) != simdjson::SUCCESS) {
      error("must be a number");
    } else if (!std::isfinite(value)) {
      error("must be a finite number");
    } else if (const auto& spec = meta.features[index]; value < spec.min || value > spec.max) {
      error(fmt::format("must be between {} and {}", spec.min, spec.max));
    } else {
      values[base + index] = static_cast<float>(value);
    }
  }
  for (std::size_t i = 0; i < width; ++i)
    if (!seen[i])
      errors.push_back({prefix + meta.features[i].name, "is missing",
                        http::JsonPointerAppend(pointer, meta.features[i].name)});
  if (errors.size() != before) values.resize(base);
}

}  // namespace

ParsedPrediction ParsePredictionInput(std::string_view body, const ml::ModelMeta& meta) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element document;
  std::string quoted;
  if (parser.parse(body.data(), body.size()).get(document) != simdjson::SUCCESS) {
    quoted = QuoteNonFiniteWords(body);
    if (quoted == body || parser.parse(quoted).get(document) != simdjson::SUCCESS) {
      // The slow path names the problem as every route does: not JSON (400), or a number out of range (422).
      http::JsonBody diagnosis = http::ParseJsonBody(body);
      if (diagnosis.malformed || diagnosis.errors.empty())
        return http::InputProblem{diagnosis.malformed.value_or("the body is not valid JSON"), {}};
      return http::InputProblem{std::nullopt, std::move(diagnosis.errors)};
    }
  }
  simdjson::dom::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS)
    return http::InputProblem{std::nullopt,
                              {{"body", "must be a JSON object with \"features\" or \"instances\"", ""}}};

  http::InputProblem invalid;
  simdjson::dom::element features, instances;
  bool has_features = false, has_instances = false;
  for (auto field : object) {
    std::string pointer = http::JsonPointerAppend("", field.key);
    bool* has = field.key == "features" ? &has_features : field.key == "instances" ? &has_instances : nullptr;
    if (has == nullptr) {
      invalid.errors.push_back({std::string(field.key), "is not accepted here", pointer});
    } else if (*has) {
      invalid.errors.push_back({std::string(field.key), "is given more than once", pointer});
    } else {
      *has = true;
      (field.key == "features" ? features : instances) = field.value;
    }
  }
  if (has_features == has_instances)
    invalid.errors.push_back({"body", "must have exactly one of \"features\" or \"instances\"", ""});
  if (!invalid.errors.empty()) return invalid;

  PredictionInput input;
  if (has_features) {
    ReadInstance(features, meta, "features.", "/features", input.values, invalid.errors);
    input.rows = 1;
  } else {
    input.many = true;
    simdjson::dom::array array;
    if (instances.get_array().get(array) != simdjson::SUCCESS) {
      invalid.errors.push_back({"instances", "must be an array of feature objects", "/instances"});
    } else if (array.size() == 0 || array.size() > kMaxInstances) {
      invalid.errors.push_back(
          {"instances", fmt::format("must hold 1 to {} instances", kMaxInstances), "/instances"});
    } else {
      input.values.reserve(array.size() * meta.features.size());
      std::size_t i = 0;
      for (auto instance : array) {
        ReadInstance(instance, meta, fmt::format("instances/{}/", i), fmt::format("/instances/{}", i),
                     input.values, invalid.errors);
        ++i;
      }
      input.rows = i;
    }
  }
  if (!invalid.errors.empty()) return invalid;
  return input;
}

}  // namespace keel::ml
