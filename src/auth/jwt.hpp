// Access tokens: JWT with HS256 only, signed with the current key and verified against the current and the
// previous key (by kid), so keys can rotate without logging everyone out.
//
// Thread safety: a JwtCodec is immutable after construction; Sign and Verify are safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::auth {

struct AccessClaims {
  std::string subject;          // user id
  std::string role;             // "user" or "admin"
  std::int64_t issued_at = 0;   // seconds since the epoch
  std::int64_t expires_at = 0;  // seconds since the epoch
  // The session (refresh-token family) it was issued to, as "sid": ending the session ends the token.
  // Empty in tokens signed before sessions were named.
  std::string session;
};

struct SigningKey {
  std::string kid;
  std::string secret;  // raw bytes; at least 32
};

class JwtCodec {
 public:
  static constexpr std::int64_t kClockSkewSeconds = 30;

  JwtCodec(SigningKey current, std::optional<SigningKey> previous, std::string issuer, std::string audience);

  std::string Sign(const AccessClaims& claims) const;

  // Rejects, all as kUnauthenticated: malformed base64 or JSON, alg other than HS256 (including "none"),
  // unknown kid, bad signature, expired (beyond 30 s of skew), issued in the future, wrong iss or aud,
  // missing claims.
  Result<AccessClaims> Verify(std::string_view token, std::int64_t now_seconds) const;

 private:
  const SigningKey* KeyFor(std::string_view kid) const;

  SigningKey current_;
  std::optional<SigningKey> previous_;
  std::string issuer_;
  std::string audience_;
};

// HMAC-SHA256 of data with key, raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace keel::auth
