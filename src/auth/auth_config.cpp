// The auth.* keys with their defaults, bounds and documentation.
#include "auth/auth_config.hpp"

#include "core/config_keys.hpp"

namespace keel::auth {

ConfigSchema ConfigKeys() {
  using namespace schema;
  return {
      Secret("auth.jwt_secret",
             "HS256 key that signs access tokens (32+ bytes; set it through KEEL_AUTH_JWT_SECRET). Empty in "
             "embedded mode: a random key is kept in auth.key_file. Required when several instances run.",
             MinBytesOrEmpty(32)),
      String("auth.jwt_kid", "k1", "Key id (kid) written into tokens signed with auth.jwt_secret."),
      Secret("auth.jwt_previous_secret",
             "The key being rotated out: tokens it signed stay valid until they expire. Empty: none.",
             MinBytesOrEmpty(32)),
      String("auth.jwt_previous_kid", "", "Key id of auth.jwt_previous_secret."),
      String("auth.key_file", "./var/jwt.key",
             "Embedded mode without auth.jwt_secret: where the generated signing key is kept (mode 0600)."),
      String("auth.issuer", "keel", "iss claim of access tokens, checked on every request."),
      String("auth.audience", "keel-api", "aud claim of access tokens, checked on every request."),
      Int("auth.access_ttl_s", 900, 60, 86400, "Lifetime of an access token."),
      Int("auth.refresh_ttl_s", 30LL * 86400, 3600, 365LL * 86400, "Lifetime of a refresh token."),
      Int("auth.argon2_ops", 2, 1, 10, "argon2id passes (libsodium opslimit); 2 is libsodium's INTERACTIVE."),
      Int("auth.argon2_memory_kib", 65536, 8192, 1 << 20,
          "argon2id memory per hash in KiB; 65536 (64 MiB) is libsodium's INTERACTIVE."),
      Bool(
          "auth.require_email_verification", true,
          "New accounts must verify their e-mail with a one-time code (POST /api/v1/auth/verify) before they "
          "can log in. The code is mailed by a job; registration never waits for mail."),
      Int("auth.otp_ttl_s", 600, 60, 86400, "Lifetime of a one-time code (verification, password reset)."),
      Int("auth.otp_max_attempts", 5, 1, 100, "Wrong codes after which a one-time code stops working."),
      Int("auth.otp_resend_interval_s", 60, 0, 3600, "Minimum time between two codes mailed to one account."),
      Int("auth.login_failures_before_backoff", 5, 1, 1000,
          "Failed logins of one account after which it must wait before the next try (1 s, doubling, at most "
          "15 min)."),
  };
}

AuthOptions AuthOptions::Read(const Config& c) {
  AuthOptions options;
  options.jwt_secret = c.String("auth.jwt_secret");
  options.jwt_kid = c.String("auth.jwt_kid");
  options.jwt_previous_secret = c.String("auth.jwt_previous_secret");
  options.jwt_previous_kid = c.String("auth.jwt_previous_kid");
  options.key_file = c.String("auth.key_file");
  options.issuer = c.String("auth.issuer");
  options.audience = c.String("auth.audience");
  options.access_ttl_s = c.Int("auth.access_ttl_s");
  options.refresh_ttl_s = c.Int("auth.refresh_ttl_s");
  options.argon2_ops = c.Int("auth.argon2_ops");
  options.argon2_memory_kib = c.Int("auth.argon2_memory_kib");
  options.require_email_verification = c.Bool("auth.require_email_verification");
  options.otp_ttl = std::chrono::seconds(c.Int("auth.otp_ttl_s"));
  options.otp_max_attempts = static_cast<int>(c.Int("auth.otp_max_attempts"));
  options.otp_resend_interval = std::chrono::seconds(c.Int("auth.otp_resend_interval_s"));
  options.login_failures_before_backoff = c.Int("auth.login_failures_before_backoff");
  return options;
}

}  // namespace keel::auth
