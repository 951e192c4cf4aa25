// Random identifiers and opaque tokens (stored as keel::Sha256Hex, core/sha256.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel {

// `bytes` random bytes (libsodium's CSPRNG), base64url-encoded.
std::string RandomToken(std::size_t bytes = 32);

// A new opaque object id: 16 random bytes as 32 lower-case hex digits.
std::string NewId();

}  // namespace keel
