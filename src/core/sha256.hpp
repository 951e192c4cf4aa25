// SHA-256 as lower-case hex: stored token hashes (auth) and training-data fingerprints (ml).
#pragma once

#include <string>
#include <string_view>

namespace keel {

// SHA-256 of data as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace keel
