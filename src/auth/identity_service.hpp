// Accounts and sessions: registration, login with throttling, refresh-token rotation with reuse detection,
// logout, and the per-request check of access tokens.
//
// Thread safety: all methods are safe to call concurrently from any IO thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"
#include "auth/password_hasher.hpp"
#include "core/async.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "http/message.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/sql/database.hpp"

namespace keel::kv {
class CacheGenerations;
}

namespace keel::auth {

inline constexpr std::chrono::seconds kUserListCacheTtl{300};

struct User {
  std::string id;
  std::string email;
  std::string name;
  std::string role;
  bool active = true;
  std::string created_at;
  std::string updated_at;
  bool email_verified = true;
};

struct ApiKey {
  std::string id;
  std::string name;
  std::string prefix;
  std::string scopes_json;  // JSON array of strings
  std::string created_at;
  std::optional<std::string> last_used_at;
  std::string secret;  // the full key; only right after creation
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds until the access token expires
};

struct IdentityOptions {
  std::int64_t access_ttl_s = 900;
  std::int64_t refresh_ttl_s = 30LL * 86400;
  std::int64_t failures_before_backoff = 5;
  bool require_email_verification = false;  // self-registered accounts must verify their e-mail to log in
};

// Runs inside the registration transaction of an account that must verify its e-mail: issues the code and
// enqueues its mail, so the account and its mail exist together or not at all.
using VerificationStarter = std::function<Task<Result<void>>(
    sql::Session& session, const std::string& user_id, const std::string& email)>;

class IdentityService {
 public:
  // `user_list_generations` holds the admin listing's generation (kUserListCacheTtl * 2).
  IdentityService(sql::Database& db, kv::KvStore& kv, kv::CacheGenerations& user_list_generations,
                  BlockingPool& hash_pool, const PasswordHasher& hasher, const JwtCodec& jwt,
                  const Clock& clock, IdentityOptions options);

  // REQUIRES: email normalized (NormalizeEmail) and valid; password 10..256 characters; role "user" or
  // "admin". kConflict when the e-mail is taken.
  // With auth.require_email_verification, a self-registered account starts unverified and the verification
  // starter runs in the same transaction; an operator's account (`active` given) is verified at once.
  Task<Result<User>> Register(std::string email, std::string password, std::string name,
                              std::string role = "user", std::optional<bool> active = std::nullopt);

  // One page of every account, newest first, as the JSON of the admin listing. Cached for five minutes (seed
  // 001); any change to any user starts a new cache generation, so a change is visible at once.
  Task<Result<std::string>> ListUsersJson(std::int64_t page, std::int64_t per_page);

  // Changes role and/or active. A deactivated user's access tokens stop working at their next request.
  Task<Result<User>> UpdateUser(std::string id, std::optional<std::string> role, std::optional<bool> active);

  // kUnauthenticated for an unknown e-mail, a wrong password and an inactive account alike (same message,
  // same work); kRateLimited (message = seconds to wait) while the account is backing off after repeated
  // failures; kPermissionDenied for the right password of an account whose e-mail is not verified yet.
  Task<Result<TokenPair>> Login(std::string email, std::string password);

  // Spends a refresh token and returns a new pair. A spent token presented again revokes its whole family
  // and ends its session: the access tokens issued to it stop working at their next use, on every instance
  // (the mark is in the KV store).
  Task<Result<TokenPair>> Refresh(std::string refresh_token);

  // Revokes the family of the given refresh token and ends its session. Unknown tokens are not an error.
  Task<Result<void>> Logout(std::string refresh_token);

  Task<Result<User>> FindUser(std::string id);

  // API keys: "keel_" + 32 random bytes, shown once, stored hashed; accepted as "Authorization: Bearer
  // keel_...".
  Task<Result<ApiKey>> CreateApiKey(std::string user_id, std::string name, std::string scopes_json);
  Task<Result<std::vector<ApiKey>>> ListApiKeys(std::string user_id);
  // kNotFound unless the key is the user's and live.
  Task<Result<void>> RevokeApiKey(std::string user_id, std::string key_id);

  // The pipeline's authenticator: checks the bearer access token and that its user still exists and is active
  // (cached briefly in the KV store; changes to a user must call ForgetUser).
  Task<Result<http::Principal>> Authenticate(const http::Request& request);
  Task<void> ForgetUser(const std::string& id);
  // After any change to a user's row: drops its cached state and the cached admin listing.
  Task<void> UserChanged(const std::string& id);

  // Set while the App is built, before serving. `committed` runs after a registration that started a
  // verification committed (to wake the mail workers).
  void SetVerificationStarter(VerificationStarter starter, std::function<void()> committed) {
    verification_starter_ = std::move(starter);
    verification_committed_ = std::move(committed);
  }

 private:
  TokenPair NewPair(const std::string& user_id, const std::string& role, const std::string& family_id,
                    std::int64_t now) const;
  sql::Params RefreshTokenRow(const TokenPair& pair, const std::string& family_id, const std::string& user_id,
                              std::int64_t now) const;
  Task<Result<TokenPair>> IssueTokens(const std::string& user_id, const std::string& role,
                                      std::string family_id);
  Task<void> RecordLoginFailure(const std::string& email);
  Task<Result<http::Principal>> AuthenticateApiKey(std::string_view key);
  // Marks a session (refresh-token family) ended for as long as its access tokens live.
  Task<void> EndSession(const std::string& family_id);
  Task<Result<bool>> SessionEnded(const std::string& family_id);
  Task<Result<http::Principal>> PrincipalFor(const std::string& user_id);
  Task<void> UsersChanged();

  sql::Database& db_;
  kv::KvStore& kv_;
  kv::CacheGenerations& user_list_generations_;
  BlockingPool& hash_pool_;
  const PasswordHasher& hasher_;
  const JwtCodec& jwt_;
  const Clock& clock_;  // token lifetimes, expiries, login back-off, timestamps
  const IdentityOptions options_;
  VerificationStarter verification_starter_;
  std::function<void()> verification_committed_;
};

// The public JSON of an account (never the password hash).
nlohmann::ordered_json UserJson(const User& user);

// Trims and lower-cases an e-mail address.
std::string NormalizeEmail(std::string_view email);
// A plausible address: one '@', a non-empty local part, a dotted domain, at most 254 characters, no spaces.
bool ValidEmail(std::string_view email);

}  // namespace keel::auth
