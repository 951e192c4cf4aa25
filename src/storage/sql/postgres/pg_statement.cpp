// Placeholder numbering and the text encoding of parameters and result cells.
#include "storage/sql/postgres/pg_statement.hpp"

#include <charconv>
#include <cmath>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "core/log.hpp"

namespace keel::sql::pg {

NumberedStatement NumberPlaceholders(std::string_view sql) {
  NumberedStatement out;
  out.text.reserve(sql.size() + 16);
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    auto found = sql.find(end, i);
    std::size_t stop = found == std::string_view::npos ? sql.size() : found + end.size();
    out.text.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'') {
      out.text += c;
      ++i;
      copy_until("'");  // '' inside a string reads as the end and a new start: same result
    } else if (c == '"') {
      out.text += c;
      ++i;
      copy_until("\"");
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_until("\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      out.text += "/*";
      i += 2;
      copy_until("*/");
    } else if (c == '?') {
      out.text += fmt::format("${}", ++out.placeholders);
      ++i;
    } else {
      out.text += c;
      ++i;
    }
  }
  return out;
}

EncodedParams EncodeParams(const Params& params) {
  EncodedParams out;
  out.types.reserve(params.size());
  out.storage.reserve(params.size());
  for (const auto& param : params) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            out.types.push_back(0);
            out.storage.emplace_back();
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            out.types.push_back(kInt8Oid);
            out.storage.push_back(fmt::format("{}", v));
          } else if constexpr (std::is_same_v<T, double>) {
            out.types.push_back(kFloat8Oid);
            if (std::isnan(v))
              out.storage.emplace_back("NaN");
            else if (std::isinf(v))
              out.storage.emplace_back(v > 0 ? "Infinity" : "-Infinity");
            else
              out.storage.push_back(fmt::format("{}", v));  // shortest round-trip form
          } else {
            out.types.push_back(0);
            out.storage.push_back(v);
          }
        },
        param);
  }
  // Pointers are taken only now: storage no longer reallocates.
  out.values.reserve(params.size());
  out.lengths.reserve(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    bool is_null = std::holds_alternative<std::nullptr_t>(params[i]);
    out.values.push_back(is_null ? nullptr : out.storage[i].c_str());
    out.lengths.push_back(static_cast<int>(out.storage[i].size()));
  }
  return out;
}

std::string_view Trimmed(const char* message) {
  std::string_view text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

void LogNotice(void*, const char* message) {
  log::Debug("postgres notice", log::Fields().Add("message", Trimmed(message)));
}

std::string WithoutPassword(std::string_view message, std::string_view url) {
  std::string out(message);
  auto scheme = url.find("://");
  auto at = url.find('@', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (scheme == std::string_view::npos || at == std::string_view::npos) return out;
  std::string_view userinfo = url.substr(scheme + 3, at - scheme - 3);
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos || colon + 1 == userinfo.size()) return out;
  std::string_view password = userinfo.substr(colon + 1);
  for (auto found = out.find(password); found != std::string::npos; found = out.find(password, found + 3))
    out.replace(found, password.size(), "***");
  return out;
}

namespace {

Value ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  return std::string(text);
}

Value ParseReal(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  return std::string(text);
}

}  // namespace

Value DecodeCell(unsigned int oid, std::string_view text) {
  switch (oid) {
    case kBoolOid:
      return static_cast<std::int64_t>(text == "t" ? 1 : 0);
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      return ParseInteger(text);
    case kFloat4Oid:
    case kFloat8Oid:
      return ParseReal(text);
    case kNumericOid:
      if (text.find_first_of(".eEN") == std::string_view::npos) return ParseInteger(text);
      return ParseReal(text);
    default:
      return std::string(text);
  }
}

}  // namespace keel::sql::pg
