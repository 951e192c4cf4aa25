// Hand-written checks: each format's grammar is small, and these run on the ingestion path.
#include "apps/validation/schema_formats.hpp"

#include <algorithm>
#include <cstddef>

namespace keel::validation {
namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Hex(char c) { return Digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The number in text[at, at + width), all digits; -1 when it is not.
int Digits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (!Digit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 §5.6 date-time: 1990-12-31T15:59:60.123-08:00; T and Z in either case; a leap second allowed.
bool DateTime(std::string_view t) {
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' ||
      t[16] != ':')
    return false;
  int year = Digits(t, 0, 4), month = Digits(t, 5, 2), day = Digits(t, 8, 2);
  int hour = Digits(t, 11, 2), minute = Digits(t, 14, 2), second = Digits(t, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > DaysIn(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  std::size_t at = 19;
  if (t[at] == '.') {
    std::size_t digits = 0;
    while (at + 1 + digits < t.size() && Digit(t[at + 1 + digits])) ++digits;
    if (digits == 0) return false;
    at += 1 + digits;
  }
  if (at == t.size()) return false;
  if ((t[at] == 'Z' || t[at] == 'z') && at + 1 == t.size()) return true;
  if ((t[at] != '+' && t[at] != '-') || at + 6 != t.size() || t[at + 3] != ':') return false;
  int offset_hour = Digits(t, at + 1, 2), offset_minute = Digits(t, at + 4, 2);
  return offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}

// local@domain: one @, neither side empty, no dot at either end of the local part nor two in a row, a
// domain of dot-separated labels of letters, digits and hyphens.
bool Email(std::string_view t) {
  auto at = t.find('@');
  if (at == std::string_view::npos || t.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view local = t.substr(0, at), domain = t.substr(at + 1);
  if (local.empty() || domain.empty() || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return false;
  for (char c : local)
    if (static_cast<unsigned char>(c) <= ' ' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' ||
        c == '<' || c == '>' || c == '[' || c == ']' || c == '\\' || c == '"')
      return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      if (label == 0 || domain[i - 1] == '-' || domain[i - label] == '-') return false;
      label = 0;
      continue;
    }
    char c = domain[i];
    if (!(Digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
    ++label;
  }
  return true;
}

// 8-4-4-4-12 hexadecimal digits.
bool Uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !Hex(t[i])) return false;
  }
  return true;
}

// Four decimal octets, 0-255, without leading zeros (which some readers take as octal).
bool Ipv4(std::string_view t) {
  int octets = 0;
  std::size_t start = 0;
  while (true) {
    auto dot = t.find('.', start);
    std::string_view octet =
        t.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (octet.empty() || octet.size() > 3 || !std::all_of(octet.begin(), octet.end(), Digit)) return false;
    if (octet.size() > 1 && octet[0] == '0') return false;
    if (Digits(octet, 0, octet.size()) > 255) return false;
    ++octets;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return octets == 4;
}

}  // namespace

Format FormatNamed(std::string_view name) {
  if (name == "date-time") return Format::kDateTime;
  if (name == "email") return Format::kEmail;
  if (name == "uuid") return Format::kUuid;
  if (name == "ipv4") return Format::kIpv4;
  return Format::kNone;
}

bool Conforms(Format format, std::string_view text) {
  switch (format) {
    case Format::kDateTime:
      return DateTime(text);
    case Format::kEmail:
      return Email(text);
    case Format::kUuid:
      return Uuid(text);
    case Format::kIpv4:
      return Ipv4(text);
    case Format::kNone:
      return true;
  }
  return true;
}

}  // namespace keel::validation
