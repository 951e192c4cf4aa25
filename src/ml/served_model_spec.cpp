// ParseServedModels: the ml.models and ml.batching entries.
#include "ml/served_model_spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "ml/model_registry.hpp"

namespace keel::ml {
namespace {

bool ValidVersion(std::string_view version) {
  return !version.empty() && version.size() <= 64 && version[0] != '.' &&
         std::all_of(version.begin(), version.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

std::optional<long> Number(std::string_view text, long min, long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return std::nullopt;
  return value;
}

}  // namespace

Result<std::vector<ServedModelSpec>> ParseServedModels(const std::vector<std::string>& models,
                                                       const std::vector<std::string>& batching,
                                                       BatcherOptions defaults) {
  std::vector<ServedModelSpec> specs;
  for (const auto& entry : models) {
    auto at = entry.find('@');
    ServedModelSpec spec{entry.substr(0, at), at == std::string::npos ? "" : entry.substr(at + 1), defaults};
    if (!IsModelName(spec.name) || (at != std::string::npos && !ValidVersion(spec.pinned)))
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("ml.models: '{}' is not a model name (a-z, 0-9, _ and -) with an optional "
                               "@version",
                               entry)};
    if (std::any_of(specs.begin(), specs.end(), [&](const auto& s) { return s.name == spec.name; }))
      return Error{ErrorCode::kInvalidArgument, fmt::format("ml.models: {} is listed twice", spec.name)};
    specs.push_back(std::move(spec));
  }
  for (const auto& entry : batching) {
    auto first = entry.find(':');
    auto second = first == std::string::npos ? first : entry.find(':', first + 1);
    auto bad = [&entry](std::string why) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("ml.batching: '{}' {} (expected name:max_batch:max_delay_us)", entry, why)};
    };
    if (second == std::string::npos) return bad("has not three parts");
    std::string name = entry.substr(0, first);
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.name == name; });
    if (spec == specs.end()) return bad("names a model that ml.models does not serve");
    auto max_batch = Number(std::string_view(entry).substr(first + 1, second - first - 1), 1, 4096);
    auto max_delay = Number(std::string_view(entry).substr(second + 1), 0, 1'000'000);
    if (!max_batch) return bad("has a max_batch outside 1..4096");
    if (!max_delay) return bad("has a max_delay_us outside 0..1000000");
    spec->batching.max_batch = static_cast<std::size_t>(*max_batch);
    spec->batching.max_delay = std::chrono::microseconds(*max_delay);
  }
  return specs;
}

}  // namespace keel::ml
