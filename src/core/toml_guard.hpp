// A check a TOML file passes before toml++ parses it. toml++ 3.3 (Debian 12) reaches __builtin_unreachable,
// undefined behaviour, when it meets a character from U+00A1 to U+0499 outside a string or a comment,
// where it asks whether the character is white space (found by fuzz/config_fuzz.cpp). A non-ASCII character
// there is never valid TOML, so refusing it first loses nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace keel {

// The line (from 1) of the first byte above 0x7F outside a string or a comment; nullopt when there is none.
// Strings in all four TOML forms are skipped ("...", '...', """...""", '''...''').
std::optional<std::size_t> NonAsciiOutsideStrings(std::string_view text);

}  // namespace keel
