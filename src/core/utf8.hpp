// UTF-8 text measured in code points, as length limits on user input are stated.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace keel {

// Number of UTF-8 code points in s; nullopt when s is not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view s);

}  // namespace keel
