// Random identifiers and opaque tokens, and the one-way hash under which tokens are stored.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel::auth {

// `bytes` random bytes (libsodium's CSPRNG), base64url-encoded.
std::string RandomToken(std::size_t bytes = 32);

// A new opaque object id: 16 random bytes as 32 lower-case hex digits.
std::string NewId();

// SHA-256 of data as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace keel::auth
