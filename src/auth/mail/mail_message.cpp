// Renders plain-text mail as RFC 5322 messages and checks addresses for header-injection safety.
#include "auth/mail/mail_message.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

namespace keel::mail {
namespace {

// RFC 5322 §2.1.1: a header line must not exceed 998 bytes; "Subject: " takes 9 of them.
constexpr std::size_t kMaxPlainSubject = 998 - 9;
// 39 bytes encode to 52 base64 characters, so "Subject: =?UTF-8?B?...?=" stays within RFC 2047's 76.
constexpr std::size_t kEncodedWordBytes = 39;
// RFC 5321 §4.5.3.1.3 allows a 256-byte path, two of which are the angle brackets.
constexpr std::size_t kMaxAddress = 254;

constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool IsControl(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    uint32_t group = uint32_t(uint8_t(bytes[i])) << 16;
    if (n > 1) group |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (n > 2) group |= uint8_t(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += n > 1 ? kAlphabet[(group >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// "Tue, 25 Nov 2026 17:00:00 +0000", spelled in English whatever the locale.
std::string FormatDate(std::chrono::system_clock::time_point date) {
  std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::floor<std::chrono::seconds>(date).time_since_epoch())
                            .count();
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kWeekdays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Drops every control character, so a header value can never end its line early.
std::string StripControls(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (!IsControl(c)) out += c;
  return out;
}

std::string StripMessageId(std::string_view id) {
  std::string out;
  for (char c : id)
    if (!IsControl(c) && c != ' ' && c != '<' && c != '>') out += c;
  return out;
}

// Splits UTF-8 text into runs of at most kEncodedWordBytes without cutting a multi-byte character, since
// RFC 2047 §5 requires each encoded-word to hold whole characters.
std::string EncodeSubject(std::string_view subject) {
  std::string out;
  while (!subject.empty()) {
    std::size_t cut = std::min(subject.size(), kEncodedWordBytes);
    std::size_t whole = cut;
    while (whole > 0 && whole < subject.size() && (uint8_t(subject[whole]) & 0xc0) == 0x80) --whole;
    if (whole > 0) cut = whole;  // invalid UTF-8 with no boundary in reach: cut anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(subject.substr(0, cut)) + "?=";
    subject.remove_prefix(cut);
  }
  return out;
}

std::string SubjectValue(std::string_view raw) {
  std::string subject(raw);
  std::replace_if(subject.begin(), subject.end(), IsControl, ' ');
  bool non_ascii = std::any_of(subject.begin(), subject.end(), [](char c) { return uint8_t(c) >= 0x80; });
  // Plain text containing "=?" could be misread as an encoded-word by the receiving client.
  if (non_ascii || subject.find("=?") != std::string::npos || subject.size() > kMaxPlainSubject)
    return EncodeSubject(subject);
  return subject;
}

std::string NormaliseBody(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

}  // namespace

Result<void> ValidateAddress(std::string_view address) {
  if (address.empty()) return Invalid("email address is empty");
  if (address.size() > kMaxAddress)
    return Invalid(fmt::format("email address is longer than {} bytes", kMaxAddress));
  for (char c : address) {
    if (IsControl(c) || c == ' ') return Invalid("email address contains whitespace or control characters");
    if (c == '<' || c == '>' || c == ',') return Invalid("email address contains '<', '>' or ','");
  }
  std::size_t at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos)
    return Invalid("email address must contain exactly one '@'");
  if (at == 0) return Invalid("email address has an empty local part before '@'");
  if (at + 1 == address.size()) return Invalid("email address has an empty domain after '@'");
  return Ok();
}

std::string RenderRfc5322(const MailMessage& message, std::chrono::system_clock::time_point date,
                          std::string_view message_id) {
  std::string out;
  out += "Date: " + FormatDate(date) + "\r\n";
  out += "From: " + StripControls(message.from) + "\r\n";
  out += "To: " + StripControls(message.to) + "\r\n";
  out += "Subject: " + SubjectValue(message.subject) + "\r\n";
  out += "Message-ID: <" + StripMessageId(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += NormaliseBody(message.text);
  return out;
}

}  // namespace keel::mail
