// The body of a prediction request (POST /api/v1/property/predict, POST /api/v1/models/{name}/predict),
// checked against the served model's meta.json: {"features": {...}} for one prediction or
// {"instances": [{...}, ...]} for 1..kMaxInstances.
// Every problem is reported, one entry per offending field ("features.area", "instances/3/area"): missing,
// unknown, not a number, not finite (NaN and Infinity, also as bare literals as Python's json writes them),
// out of the model's range. Parsed with simdjson: this is the hot path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/json_body.hpp"
#include "ml/model_meta.hpp"

namespace keel::ml {

inline constexpr std::size_t kMaxInstances = 1000;

struct PredictionInput {
  std::vector<float> values;  // row-major, in the model's feature order
  std::size_t rows = 0;
  bool many = false;  // sent as "instances"
  std::vector<float> Row(std::size_t i, std::size_t width) const {
    return {values.begin() + static_cast<std::ptrdiff_t>(i * width),
            values.begin() + static_cast<std::ptrdiff_t>((i + 1) * width)};
  }
};

// The input, or its problem: not JSON (400) or invalid fields, each with its JSON pointer (422). The same
// rules as every other JSON body (http/json_body.hpp), read with simdjson: this is the hot path.
using ParsedPrediction = std::variant<PredictionInput, http::InputProblem>;

ParsedPrediction ParsePredictionInput(std::string_view body, const ml::ModelMeta& meta);

}  // namespace keel::ml
