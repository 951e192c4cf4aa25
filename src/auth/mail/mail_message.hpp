// A plain-text e-mail and its rendering as an RFC 5322 message, ready to hand to an SMTP client.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::mail {

// One plain-text message to one recipient. from and to are bare addr-specs ("user@example.com"), which
// ValidateAddress accepts; subject and text are UTF-8.
struct MailMessage {
  std::string from;
  std::string to;
  std::string subject;
  std::string text;
};

// A deliberately simple addr-spec check whose point is header and SMTP-command injection safety: exactly one
// '@', non-empty local and domain parts, at most 254 bytes, and no whitespace, control characters (CR, LF,
// ...), angle brackets or commas. Returns ErrorCode::kInvalidArgument otherwise. The message never echoes the
// address. Thread safety: pure.
Result<void> ValidateAddress(std::string_view address);

// Renders a complete RFC 5322 message with CRLF line endings: Date (UTC, "+0000"), From, To, Subject,
// Message-ID (message_id wrapped in angle brackets), MIME-Version, Content-Type text/plain UTF-8 and
// Content-Transfer-Encoding 8bit, a blank line, then the body.
//
// Header injection cannot happen: control characters are removed from from, to and message_id (callers are
// expected to have validated the addresses) and replaced with spaces in subject. The subject is sent as RFC
// 2047 UTF-8 base64 encoded-words when it has non-ASCII bytes, contains "=?" or would overflow the 998-byte
// line limit; otherwise it is sent as is.
//
// Every line ending in the body (CRLF, lone LF, lone CR) becomes CRLF and a non-empty body always ends with
// CRLF. Lines starting with '.' are left alone: the SMTP client (curl) does the dot-stuffing. REQUIRES: body
// lines shorter than 998 bytes and free of NUL, as 8bit transfer encoding requires. Thread safety: pure.
std::string RenderRfc5322(const MailMessage& message, std::chrono::system_clock::time_point date,
                          std::string_view message_id);

}  // namespace keel::mail
