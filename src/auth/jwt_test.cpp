// Unit tests of access tokens: round trip, rotation, and every rejection case.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/base64url.hpp"

namespace keel::auth {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const SigningKey kCurrent{"k2", std::string(32, 'c')};
const SigningKey kPrevious{"k1", std::string(32, 'p')};

JwtCodec Codec() { return JwtCodec(kCurrent, kPrevious, "keel", "keel-api"); }
AccessClaims Claims() { return {"user-1", "user", kNow, kNow + 900, "session-1"}; }

std::string Part(const nlohmann::json& json) { return Base64UrlEncode(json.dump()); }

// A token with arbitrary header and payload, signed with key (or with garbage when key is empty).
std::string Forge(const nlohmann::json& header, const nlohmann::json& payload, const std::string& key) {
  std::string input = Part(header) + "." + Part(payload);
  return input + "." + Base64UrlEncode(key.empty() ? std::string("sig") : HmacSha256(key, input));
}

nlohmann::json GoodPayload() {
  return {{"sub", "user-1"},   {"role", "user"}, {"iat", kNow},
          {"exp", kNow + 900}, {"iss", "keel"},  {"aud", "keel-api"}};
}

TEST(Base64Url, RoundTripsAndIsStrict) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                std::string("\0\xff\xfe", 3)})
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)), s);
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(Base64UrlDecode("Zm9v=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm+v").has_value());
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());  // non-zero leftover bits
}

TEST(Jwt, RoundTrips) {
  auto codec = Codec();
  auto verified = codec.Verify(codec.Sign(Claims()), kNow + 10);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->subject, "user-1");
  EXPECT_EQ(verified->role, "user");
  EXPECT_EQ(verified->expires_at, kNow + 900);
  EXPECT_EQ(verified->session, "session-1");
  // Tokens signed before sessions were named carry no sid, and still verify.
  AccessClaims unnamed = Claims();
  unnamed.session.clear();
  auto old = codec.Verify(codec.Sign(unnamed), kNow);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->session.empty());
}

TEST(Jwt, AcceptsThePreviousKeyDuringRotation) {
  JwtCodec old_codec(kPrevious, std::nullopt, "keel", "keel-api");
  EXPECT_TRUE(Codec().Verify(old_codec.Sign(Claims()), kNow).ok());
}

TEST(Jwt, RejectsUnknownKid) {
  JwtCodec other({"k9", std::string(32, 'x')}, std::nullopt, "keel", "keel-api");
  EXPECT_FALSE(Codec().Verify(other.Sign(Claims()), kNow).ok());
}

TEST(Jwt, RejectsBadSignature) {
  std::string token = Codec().Sign(Claims());
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Codec().Verify(token, kNow).ok());
  JwtCodec same_kid_other_secret({"k2", std::string(32, 'z')}, std::nullopt, "keel", "keel-api");
  EXPECT_FALSE(Codec().Verify(same_kid_other_secret.Sign(Claims()), kNow).ok());
}

TEST(Jwt, RejectsOtherAlgorithmsIncludingNone) {
  for (const char* alg : {"none", "None", "HS512", "RS256"}) {
    auto token = Forge({{"alg", alg}, {"typ", "JWT"}, {"kid", "k2"}}, GoodPayload(), kCurrent.secret);
    EXPECT_FALSE(Codec().Verify(token, kNow).ok()) << alg;
  }
  std::string unsigned_token = Part({{"alg", "none"}, {"kid", "k2"}}) + "." + Part(GoodPayload()) + ".";
  EXPECT_FALSE(Codec().Verify(unsigned_token, kNow).ok());
  EXPECT_FALSE(Codec().Verify(Forge({{"kid", "k2"}}, GoodPayload(), kCurrent.secret), kNow).ok());
}

TEST(Jwt, RejectsExpiredBeyondSkew) {
  auto token = Codec().Sign(Claims());
  EXPECT_TRUE(Codec().Verify(token, kNow + 900 + 30).ok());
  EXPECT_FALSE(Codec().Verify(token, kNow + 900 + 31).ok());
}

TEST(Jwt, RejectsTokensFromTheFuture) {
  EXPECT_FALSE(Codec().Verify(Codec().Sign(Claims()), kNow - 31).ok());
}

TEST(Jwt, RejectsWrongIssuerOrAudience) {
  JwtCodec other_issuer(kCurrent, std::nullopt, "someone-else", "keel-api");
  EXPECT_FALSE(Codec().Verify(other_issuer.Sign(Claims()), kNow).ok());
  JwtCodec other_audience(kCurrent, std::nullopt, "keel", "other-api");
  EXPECT_FALSE(Codec().Verify(other_audience.Sign(Claims()), kNow).ok());
}

TEST(Jwt, RejectsMissingOrMistypedClaims) {
  auto header = nlohmann::json{{"alg", "HS256"}, {"kid", "k2"}};
  for (const char* claim : {"sub", "role", "exp", "iat", "iss", "aud"}) {
    auto payload = GoodPayload();
    payload.erase(claim);
    EXPECT_FALSE(Codec().Verify(Forge(header, payload, kCurrent.secret), kNow).ok()) << claim;
  }
  auto payload = GoodPayload();
  payload["exp"] = "tomorrow";
  EXPECT_FALSE(Codec().Verify(Forge(header, payload, kCurrent.secret), kNow).ok());
}

TEST(Jwt, RejectsMalformedTokens) {
  auto codec = Codec();
  for (std::string token :
       std::vector<std::string>{"", "a", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "bm90IGpzb24.e30.e30"})
    EXPECT_FALSE(codec.Verify(token, kNow).ok()) << token;
  auto result = codec.Verify("a.b", kNow);
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace keel::auth
