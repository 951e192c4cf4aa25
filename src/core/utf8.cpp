// Counting UTF-8 code points, refusing malformed sequences.
#include "core/utf8.hpp"

namespace keel {

std::optional<std::size_t> Utf8Length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t width = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (width == 0 || i + width > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < width; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return std::nullopt;
    i += width;
    ++count;
  }
  return count;
}

}  // namespace keel
