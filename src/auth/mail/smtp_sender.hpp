// Delivers MailMessages to an SMTP relay with libcurl, one blocking connection per message.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/mail/mail_message.hpp"
#include "core/result.hpp"

namespace keel::mail {

struct SmtpSettings {
  // "smtp://host:port" (plain, upgraded with STARTTLS when offered or required) or "smtps://host:port" (TLS
  // from the first byte). An optional path sets the EHLO name ("smtp://relay:587/keel.example"); curl
  // otherwise sends the local host name. Other schemes are rejected by Send.
  std::string url;
  // SMTP AUTH credentials; no authentication when username is empty.
  std::string username;
  std::string password;
  // true: fail unless the connection is encrypted (STARTTLS on smtp://). false: use STARTTLS when the server
  // offers it, otherwise talk (and authenticate) in plain text.
  bool require_tls = false;
  // Limit on the whole delivery, connecting included.
  std::chrono::milliseconds timeout{10000};
};

// Thread safety: Send may be called from several threads at once; each call uses its own curl handle and
// connection. The first SmtpSender constructed initialises libcurl for the whole process (once, guarded by
// std::call_once); because curl_global_init is not safe while other threads are using libcurl, construct the
// sender at start-up.
class SmtpSender {
 public:
  explicit SmtpSender(SmtpSettings settings);

  // Blocks for at most settings.timeout: renders the message (RenderRfc5322, dated now) and delivers it to
  // message.to. Server certificates are always verified against the system trust store.
  // Errors: kInvalidArgument when from or to fails ValidateAddress or the URL scheme is not smtp/smtps;
  // kUnavailable when delivery fails, with the relay's host, curl's reason and the SMTP reply code — never
  // the password; kInternal when libcurl itself cannot be set up.
  Result<void> Send(const MailMessage& message, std::string_view message_id) const;

 private:
  SmtpSettings settings_;
};

}  // namespace keel::mail
