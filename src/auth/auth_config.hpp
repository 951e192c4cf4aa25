// The auth section of the identity module: signing keys, token lifetimes, hashing and one-time codes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/config.hpp"

namespace keel::auth {

// The auth.* keys, in documentation order.
ConfigSchema ConfigKeys();

// The auth section, read once at start.
struct AuthOptions {
  std::string jwt_secret;  // empty: a generated key kept in key_file (embedded mode)
  std::string jwt_kid;
  std::string jwt_previous_secret;  // empty: no key being rotated out
  std::string jwt_previous_kid;
  std::string key_file;
  std::string issuer;
  std::string audience;
  std::int64_t access_ttl_s = 900;
  std::int64_t refresh_ttl_s = 30LL * 86400;
  std::int64_t argon2_ops = 2;
  std::int64_t argon2_memory_kib = 65536;
  bool require_email_verification = true;
  std::chrono::seconds otp_ttl{600};
  int otp_max_attempts = 5;
  std::chrono::seconds otp_resend_interval{60};
  std::int64_t login_failures_before_backoff = 5;

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static AuthOptions Read(const Config& config);
};

}  // namespace keel::auth
