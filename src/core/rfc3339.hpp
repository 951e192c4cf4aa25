// RFC 3339 timestamps: parsing any offset, writing UTC with milliseconds ("2026-11-25T17:00:00.000Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel {

// Milliseconds since the Unix epoch; nullopt for anything that is not a valid RFC 3339 date-time.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);

// UTC, millisecond precision. Strings of this form sort in time order.
std::string FormatRfc3339(std::int64_t unix_ms);

}  // namespace keel
