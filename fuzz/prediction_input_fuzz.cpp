// Prediction bodies ({"features": {...}} or {"instances": [...]}), read with simdjson against a model's
// features and ranges: accepted rows are the model's width and within range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "ml/prediction_input.hpp"

namespace {

keel::ml::ModelMeta Meta() {
  keel::ml::ModelMeta meta;
  meta.name = "property";
  meta.features = {{"area", 10, 10000}, {"rooms", 0, 20}, {"year", 1800, 2030}};
  return meta;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const keel::ml::ModelMeta meta = Meta();
  auto parsed =
      keel::ml::ParsePredictionInput(std::string_view(reinterpret_cast<const char*>(data), size), meta);
  if (auto* input = std::get_if<keel::ml::PredictionInput>(&parsed)) {
    if (input->rows == 0 || input->values.size() != input->rows * meta.features.size()) __builtin_trap();
    for (std::size_t i = 0; i < input->values.size(); ++i) {
      const auto& feature = meta.features[i % meta.features.size()];
      if (!std::isfinite(input->values[i]) || input->values[i] < static_cast<float>(feature.min) - 1 ||
          input->values[i] > static_cast<float>(feature.max) + 1)
        __builtin_trap();
    }
  } else {
    (void)std::get<keel::http::InputProblem>(parsed).ToResponse();
  }
  return 0;
}
