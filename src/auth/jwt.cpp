// HS256 JWT signing and verification over OpenSSL's HMAC.
#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "core/base64url.hpp"

namespace keel::auth {
namespace {

Error Rejected(std::string why) {
  return Error{ErrorCode::kUnauthenticated, "invalid access token: " + std::move(why)};
}

std::optional<nlohmann::json> DecodeJsonPart(std::string_view part) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

JwtCodec::JwtCodec(SigningKey current, std::optional<SigningKey> previous, std::string issuer,
                   std::string audience)
    : current_(std::move(current)),
      previous_(std::move(previous)),
      issuer_(std::move(issuer)),
      audience_(std::move(audience)) {}

const SigningKey* JwtCodec::KeyFor(std::string_view kid) const {
  if (kid == current_.kid) return &current_;
  if (previous_ && kid == previous_->kid) return &*previous_;
  return nullptr;
}

std::string JwtCodec::Sign(const AccessClaims& claims) const {
  nlohmann::ordered_json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", current_.kid}};
  nlohmann::ordered_json payload = {{"sub", claims.subject},   {"role", claims.role},
                                    {"iat", claims.issued_at}, {"exp", claims.expires_at},
                                    {"iss", issuer_},          {"aud", audience_}};
  if (!claims.session.empty()) payload["sid"] = claims.session;
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(current_.secret, signing_input));
}

Result<AccessClaims> JwtCodec::Verify(std::string_view token, std::int64_t now_seconds) const {
  auto first_dot = token.find('.');
  auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos)
    return Rejected("not three dot-separated parts");
  auto header = DecodeJsonPart(token.substr(0, first_dot));
  if (!header) return Rejected("malformed header");
  // The algorithm is pinned: "none", RS256 with an HMAC key and friends never reach the signature check.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || *alg != "HS256") return Rejected("alg must be HS256");
  auto kid = header->find("kid");
  if (kid == header->end() || !kid->is_string()) return Rejected("missing kid");
  const SigningKey* key = KeyFor(kid->get<std::string>());
  if (key == nullptr) return Rejected("unknown kid");

  auto signature = Base64UrlDecode(token.substr(second_dot + 1));
  if (!signature) return Rejected("malformed signature");
  std::string expected = HmacSha256(key->secret, token.substr(0, second_dot));
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
    return Rejected("bad signature");

  auto payload = DecodeJsonPart(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!payload) return Rejected("malformed payload");
  const auto& p = *payload;
  auto is_string = [&](const char* name) { return p.contains(name) && p[name].is_string(); };
  auto is_integer = [&](const char* name) { return p.contains(name) && p[name].is_number_integer(); };
  if (!is_string("sub") || !is_string("role") || !is_integer("exp") || !is_integer("iat") ||
      !is_string("iss") || !is_string("aud"))
    return Rejected("missing claims");
  if (p["iss"] != issuer_) return Rejected("wrong issuer");
  if (p["aud"] != audience_) return Rejected("wrong audience");
  AccessClaims claims{p["sub"].get<std::string>(), p["role"].get<std::string>(), p["iat"].get<std::int64_t>(),
                      p["exp"].get<std::int64_t>(), ""};
  if (p.contains("sid")) {
    if (!p["sid"].is_string()) return Rejected("malformed sid");
    claims.session = p["sid"].get<std::string>();
  }
  if (now_seconds > claims.expires_at + kClockSkewSeconds) return Rejected("expired");
  if (claims.issued_at > now_seconds + kClockSkewSeconds) return Rejected("issued in the future");
  if (claims.subject.empty()) return Rejected("empty subject");
  return claims;
}

}  // namespace keel::auth
