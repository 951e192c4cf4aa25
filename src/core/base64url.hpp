// Base64url without padding (RFC 4648 §5), as JWTs and opaque tokens use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keel {

std::string Base64UrlEncode(std::string_view bytes);

// Strict: rejects padding, characters outside the alphabet, and impossible lengths.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace keel
