// JSON string escaping for hand-built JSON.
#include "core/json_text.hpp"

namespace keel {

namespace {

bool NeedsEscape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

void AppendEscaped(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      auto u = static_cast<unsigned char>(c);
      const char escaped[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

// Runs of bytes that need no escape are appended whole: log lines and JSON bodies are mostly such runs, and a
// byte-at-a-time append cost 3% of /health with the access log on.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!NeedsEscape(s[i])) continue;
    out.append(s.data() + run, i - run);
    AppendEscaped(out, s[i]);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

}  // namespace keel
