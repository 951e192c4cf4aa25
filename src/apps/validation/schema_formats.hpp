// The string formats a validation rule may ask for (JSON Schema's `format`): date-time (RFC 3339), email,
// uuid and ipv4, checked strictly (a rule asks for a format to be sure of it).
#pragma once

#include <string_view>

namespace keel::validation {

enum class Format { kNone, kDateTime, kEmail, kUuid, kIpv4 };

// kNone for a name this server does not check.
Format FormatNamed(std::string_view name);

bool Conforms(Format format, std::string_view text);

}  // namespace keel::validation
