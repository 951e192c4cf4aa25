// Builders for configuration keys: each section of the schema (the platform's, each module's) is a list
// made of these, so every key states its type, default, bounds and documentation in one place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace keel::schema {

using Check = std::function<std::optional<std::string>(const ConfigValue&)>;

// A day in milliseconds, the usual upper bound of a timeout.
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

Check IntRange(std::int64_t min, std::int64_t max);
Check OneOf(std::vector<std::string> choices);
Check UrlWithScheme(std::vector<std::string> schemes);
// Empty, or at least `min` bytes (keys and secrets that may be left unset).
Check MinBytesOrEmpty(std::size_t min);

ConfigKey Int(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc);
ConfigKey Bool(std::string name, bool def, std::string doc);
ConfigKey String(std::string name, std::string def, std::string doc, Check check = nullptr);
ConfigKey List(std::string name, std::vector<std::string> def, std::string doc);
// Printed as "<redacted>".
ConfigKey Secret(std::string name, std::string doc, Check check);
// A URL with one of `schemes`; its password is redacted in output.
ConfigKey Url(std::string name, std::string def, std::string doc, std::vector<std::string> schemes);
// A URL that may be left empty (the feature it names is then off or falls back, as its doc says).
ConfigKey OptionalUrl(std::string name, std::string doc, std::vector<std::string> schemes);

}  // namespace keel::schema
