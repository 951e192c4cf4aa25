// Skips TOML strings and comments, looking for a byte above 0x7F anywhere else.
#include "core/toml_guard.hpp"

#include <algorithm>

namespace keel {
namespace {

// Where a string that opens at `open` ends (one past its closing delimiter), or text.size() when it never
// closes (toml++ reports that). Basic strings take backslash escapes; literal strings take none.
std::size_t StringEnd(std::string_view text, std::size_t open) {
  const char quote = text[open];
  const bool multiline = text.substr(open, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
  std::size_t i = open + (multiline ? 3 : 1);
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\' && quote == '"') {
      i += 2;
      continue;
    }
    if (!multiline && c == '\n') return i;  // an unterminated single-line string: toml++ says so
    if (c == quote &&
        (!multiline || text.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''"))) {
      // A multi-line string may end in up to two more quotes ("""a""""" is `a""`).
      std::size_t end = i + (multiline ? 3 : 1);
      while (multiline && end < text.size() && text[end] == quote && end < i + 5) ++end;
      return end;
    }
    ++i;
  }
  return text.size();
}

}  // namespace

std::optional<std::size_t> NonAsciiOutsideStrings(std::string_view text) {
  std::size_t line = 1;
  std::size_t i = 0;
  // The last character outside strings and comments that is not a space or tab. A quote opens a string
  // only where TOML lets one start (a value after "=", "[", "{" or ","; a key at a line's start or after a
  // "."); anywhere else (`port = 1"é`) the file is invalid, and toml++ goes on reading what follows.
  char last = '\n';
  while (i < text.size()) {
    char c = text[i];
    if (c == '#') {
      i = std::min(text.find('\n', i), text.size());
    } else if ((c == '"' || c == '\'') && std::string_view("=[{,.\n").find(last) != std::string_view::npos) {
      std::size_t end = StringEnd(text, i);
      line += static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(i),
                                                  text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
      i = end;
      last = c;
    } else {
      if (static_cast<unsigned char>(c) > 0x7F) return line;
      if (c == '\n') ++line;
      if (c != ' ' && c != '\t' && c != '\r') last = c;
      ++i;
    }
  }
  return std::nullopt;
}

}  // namespace keel
