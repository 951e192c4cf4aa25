// The mail section: SMTP delivery or the outbox.
#pragma once

#include <chrono>
#include <string>

#include "core/config.hpp"

namespace keel::mail {

// The mail.* keys, in documentation order.
ConfigSchema ConfigKeys();

// The mail section, read once at start.
struct MailOptions {
  std::string smtp_url;  // empty: mail stays in the outbox
  std::string smtp_username;
  std::string smtp_password;
  bool require_tls = false;
  std::chrono::milliseconds timeout{10000};
  std::string from;

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static MailOptions Read(const Config& config);
};

}  // namespace keel::mail
