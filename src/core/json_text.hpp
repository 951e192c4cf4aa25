// Appending JSON string literals to a buffer; the one escaping routine for hand-built JSON (logs, hot paths).
#pragma once

#include <string>
#include <string_view>

namespace keel {

// Appends s as a quoted JSON string, escaping quotes, backslashes and control characters.
// Bytes >= 0x80 are copied as they are (UTF-8 passes through).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace keel
