// The key builders of core/config_keys.hpp.
#include "core/config_keys.hpp"

#include <fmt/format.h>

namespace keel::schema {

Check IntRange(std::int64_t min, std::int64_t max) {
  return [min, max](const ConfigValue& v) -> std::optional<std::string> {
    auto n = std::get<std::int64_t>(v);
    if (n < min || n > max) return fmt::format("must be between {} and {}", min, max);
    return std::nullopt;
  };
}

Check OneOf(std::vector<std::string> choices) {
  return [choices](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    for (const auto& c : choices)
      if (s == c) return std::nullopt;
    return fmt::format("must be one of: {}", fmt::join(choices, ", "));
  };
}

Check UrlWithScheme(std::vector<std::string> schemes) {
  return [schemes](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    for (const auto& scheme : schemes)
      if (s.rfind(scheme + "://", 0) == 0 && s.size() > scheme.size() + 3) return std::nullopt;
    return fmt::format("must be a URL starting with {}://", fmt::join(schemes, "://, "));
  };
}

ConfigKey Int(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc) {
  return {std::move(name),   ConfigType::kInt, def, std::move(doc), ConfigKey::Sensitivity::kPlain,
          IntRange(min, max)};
}

ConfigKey Bool(std::string name, bool def, std::string doc) {
  return {std::move(name), ConfigType::kBool, def, std::move(doc), ConfigKey::Sensitivity::kPlain, nullptr};
}

ConfigKey String(std::string name, std::string def, std::string doc, Check check) {
  return {
      std::move(name), ConfigType::kString, std::move(def), std::move(doc), ConfigKey::Sensitivity::kPlain,
      std::move(check)};
}

ConfigKey List(std::string name, std::vector<std::string> def, std::string doc) {
  return {std::move(name), ConfigType::kStringList,        std::move(def),
          std::move(doc),  ConfigKey::Sensitivity::kPlain, nullptr};
}

Check MinBytesOrEmpty(std::size_t min) {
  return [min](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    if (!s.empty() && s.size() < min) return fmt::format("must be empty or at least {} bytes", min);
    return std::nullopt;
  };
}

ConfigKey Secret(std::string name, std::string doc, Check check) {
  return {
      std::move(name), ConfigType::kString, std::string(), std::move(doc), ConfigKey::Sensitivity::kSecret,
      std::move(check)};
}

ConfigKey Url(std::string name, std::string def, std::string doc, std::vector<std::string> schemes) {
  return {std::move(name), ConfigType::kString,          std::move(def),
          std::move(doc),  ConfigKey::Sensitivity::kUrl, UrlWithScheme(std::move(schemes))};
}

ConfigKey OptionalUrl(std::string name, std::string doc, std::vector<std::string> schemes) {
  Check url = UrlWithScheme(std::move(schemes));
  Check check = [url](const ConfigValue& v) -> std::optional<std::string> {
    if (std::get<std::string>(v).empty()) return std::nullopt;
    return url(v);
  };
  return {std::move(name), ConfigType::kString,          std::string(),
          std::move(doc),  ConfigKey::Sensitivity::kUrl, std::move(check)};
}

}  // namespace keel::schema
