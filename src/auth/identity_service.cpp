// IdentityService: the SQL behind accounts and refresh-token families, and the login back-off in the KV
// store.
#include "auth/identity_service.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "core/rfc3339.hpp"
#include "core/sha256.hpp"
#include "storage/kv/cache_generations.hpp"

namespace keel::auth {
namespace {

constexpr auto kUserStateTtl = std::chrono::seconds(60);
// Not auth:users-generation: that held a counter (INCRBY) in earlier releases, which would fail on a token.
constexpr std::string_view kUsersGenerationKey = "auth:users:generation";
constexpr std::int64_t kMaxBackoffSeconds = 15 * 60;
constexpr const char* kUserColumns = "id, email, name, role, active, created_at, updated_at, email_verified";

Error BadLogin() { return Error{ErrorCode::kUnauthenticated, "invalid e-mail or password"}; }
Error BadRefresh() { return Error{ErrorCode::kUnauthenticated, "invalid or expired refresh token"}; }

}  // namespace

nlohmann::ordered_json UserJson(const User& user) {
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"role", user.role},
          {"active", user.active},
          {"email_verified", user.email_verified},
          {"created_at", user.created_at},
          {"updated_at", user.updated_at}};
}

namespace {

User UserFrom(const sql::Rows& rows, std::size_t row) {
  // Columns: kUserColumns
  return User{std::string(rows.Text(row, 0).value_or("")), std::string(rows.Text(row, 1).value_or("")),
              std::string(rows.Text(row, 2).value_or("")), std::string(rows.Text(row, 3).value_or("")),
              rows.Int(row, 4).value_or(0) == 1,           std::string(rows.Text(row, 5).value_or("")),
              std::string(rows.Text(row, 6).value_or("")), rows.Int(row, 7).value_or(1) == 1};
}

std::string BackoffKey(const std::string& email) { return "auth:login-backoff:" + email; }
std::string FailuresKey(const std::string& email) { return "auth:login-failures:" + email; }
std::string UserStateKey(const std::string& id) { return "auth:user-state:" + id; }
std::string SessionEndedKey(const std::string& family_id) { return "auth:session-ended:" + family_id; }
std::string ApiKeyCacheKey(const std::string& key_hash) { return "auth:api-key:" + key_hash; }
constexpr std::string_view kApiKeyPrefix = "keel_";
constexpr const char* kInsertRefreshToken =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, "
    "?)";

}  // namespace

std::string NormalizeEmail(std::string_view email) {
  auto first = email.find_first_not_of(" \t\r\n");
  auto last = email.find_last_not_of(" \t\r\n");
  std::string out =
      first == std::string_view::npos ? std::string() : std::string(email.substr(first, last - first + 1));
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool ValidEmail(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return false;
  auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return false;
  auto domain = email.substr(at + 1);
  auto dot = domain.find('.');
  if (dot == 0 || dot == std::string_view::npos || domain.back() == '.') return false;
  return std::none_of(email.begin(), email.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

IdentityService::IdentityService(sql::Database& db, kv::KvStore& kv,
                                 kv::CacheGenerations& user_list_generations, BlockingPool& hash_pool,
                                 const PasswordHasher& hasher, const JwtCodec& jwt, const Clock& clock,
                                 IdentityOptions options)
    : db_(db),
      kv_(kv),
      user_list_generations_(user_list_generations),
      hash_pool_(hash_pool),
      hasher_(hasher),
      jwt_(jwt),
      clock_(clock),
      options_(options) {}

Task<Result<User>> IdentityService::Register(std::string email, std::string password, std::string name,
                                             std::string role, std::optional<bool> active) {
  auto hash = co_await RunBlocking(hash_pool_, [&] { return hasher_.Hash(password); });
  if (!hash) co_return std::move(hash).error();
  std::string id = NewId();
  std::string now = FormatRfc3339(clock_.WallMillis());
  bool verify = options_.require_email_verification && !active && verification_starter_;
  auto inserted = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto row = co_await session.Execute(
        "INSERT INTO users (id, email, name, password_hash, role, active, email_verified, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sql::Args(id, email, name, *hash, role, active.value_or(true) ? 1 : 0, verify ? 0 : 1, now, now));
    if (!row) co_return std::move(row).error();
    if (verify) co_return co_await verification_starter_(session, id, email);
    co_return Ok();
  });
  if (!inserted) {
    if (inserted.error().code == ErrorCode::kConflict)
      co_return Error{ErrorCode::kConflict, "an account with this e-mail address already exists"};
    co_return std::move(inserted).error();
  }
  if (verify && verification_committed_) verification_committed_();
  co_await UsersChanged();
  co_return co_await FindUser(id);
}

Task<void> IdentityService::UsersChanged() {
  const std::string key(kUsersGenerationKey);
  co_await user_list_generations_.Replace(key);
}

Task<Result<std::string>> IdentityService::ListUsersJson(std::int64_t page, std::int64_t per_page) {
  const std::string generation_key(kUsersGenerationKey);
  std::optional<std::string> generation = co_await user_list_generations_.Current(generation_key);
  std::string cache_key;
  if (generation) {
    cache_key = fmt::format("auth:users-page:{}:{}:{}", *generation, page, per_page);
    auto cached = co_await kv_.Get(cache_key);
    if (cached && cached->has_value()) co_return **cached;
  }
  auto total = co_await db_.Query("SELECT COUNT(*) FROM users");
  if (!total) co_return std::move(total).error();
  auto rows = co_await db_.Query(
      fmt::format("SELECT {} FROM users ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", kUserColumns),
      sql::Args(per_page, (page - 1) * per_page));
  if (!rows) co_return std::move(rows).error();
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (std::size_t r = 0; r < rows->rows.size(); ++r) items.push_back(UserJson(UserFrom(*rows, r)));
  nlohmann::ordered_json body = {
      {"items", items}, {"page", page}, {"per_page", per_page}, {"total", total->Int(0, 0).value_or(0)}};
  std::string json = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (generation && !user_list_generations_.Pending(generation_key))
    (void)co_await kv_.Set(cache_key, json, kUserListCacheTtl);
  co_return json;
}

Task<Result<User>> IdentityService::UpdateUser(std::string id, std::optional<std::string> role,
                                               std::optional<bool> active) {
  std::string sets;
  sql::Params params;
  if (role) {
    sets += "role = ?, ";
    params.push_back(*role);
  }
  if (active) {
    sets += "active = ?, ";
    params.push_back(std::int64_t{*active ? 1 : 0});
  }
  params.push_back(FormatRfc3339(clock_.WallMillis()));
  params.push_back(id);
  auto changed = co_await db_.Execute(fmt::format("UPDATE users SET {}updated_at = ? WHERE id = ?", sets),
                                      std::move(params));
  if (!changed) co_return std::move(changed).error();
  if (*changed == 0) co_return Error{ErrorCode::kNotFound, "no such user"};
  co_await ForgetUser(id);
  co_await UsersChanged();
  co_return co_await FindUser(id);
}

Task<Result<User>> IdentityService::FindUser(std::string id) {
  auto rows =
      co_await db_.Query(fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), sql::Args(id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return Error{ErrorCode::kNotFound, "no such user"};
  co_return UserFrom(*rows, 0);
}

Task<Result<TokenPair>> IdentityService::Login(std::string email, std::string password) {
  auto backoff = co_await kv_.Get(BackoffKey(email));
  if (backoff && backoff->has_value()) {
    // Milliseconds: a back-off of one second must last a whole second, whatever the clock's second hand says.
    std::int64_t remaining_ms = std::stoll(**backoff) - clock_.WallMillis();
    if (remaining_ms > 0)
      co_return Error{ErrorCode::kRateLimited, std::to_string((remaining_ms + 999) / 1000)};
  }
  auto rows = co_await db_.Query(
      "SELECT id, password_hash, role, active, email_verified FROM users WHERE email = ?", sql::Args(email));
  if (!rows) co_return std::move(rows).error();
  bool known = !rows->empty();
  // Unknown e-mails are checked against a dummy hash so both failures take the same time.
  std::string stored = known ? std::string(rows->Text(0, 1).value_or("")) : hasher_.DummyHash();
  auto matches =
      co_await RunBlocking(hash_pool_, [&]() -> Result<bool> { return hasher_.Verify(stored, password); });
  if (!matches) co_return std::move(matches).error();
  if (!known || !*matches || rows->Int(0, 3).value_or(0) != 1) {
    co_await RecordLoginFailure(email);
    co_return BadLogin();
  }
  (void)co_await kv_.Delete(FailuresKey(email));
  (void)co_await kv_.Delete(BackoffKey(email));
  if (rows->Int(0, 4).value_or(1) != 1)
    co_return Error{
        ErrorCode::kPermissionDenied,
        "this e-mail address is not verified yet: POST /api/v1/auth/verify with the code we mailed "
        "(POST /api/v1/auth/otp/resend sends a new one)"};
  co_return co_await IssueTokens(std::string(*rows->Text(0, 0)), std::string(*rows->Text(0, 2)), NewId());
}

Task<void> IdentityService::RecordLoginFailure(const std::string& email) {
  auto failures = co_await kv_.Increment(FailuresKey(email), 1, std::chrono::seconds(kMaxBackoffSeconds));
  if (!failures || *failures < options_.failures_before_backoff) co_return;
  std::int64_t exponent = std::min<std::int64_t>(*failures - options_.failures_before_backoff, 20);
  std::int64_t wait = std::min<std::int64_t>(std::int64_t{1} << exponent, kMaxBackoffSeconds);
  (void)co_await kv_.Set(BackoffKey(email), std::to_string(clock_.WallMillis() + wait * 1000),
                         std::chrono::seconds(wait));
  log::Warn("login back-off", log::Fields().Add("failures", *failures).Add("wait_s", wait));
}

TokenPair IdentityService::NewPair(const std::string& user_id, const std::string& role,
                                   const std::string& family_id, std::int64_t now) const {
  TokenPair pair;
  pair.access_token = jwt_.Sign(AccessClaims{user_id, role, now, now + options_.access_ttl_s, family_id});
  pair.refresh_token = RandomToken();
  pair.expires_in = options_.access_ttl_s;
  return pair;
}

sql::Params IdentityService::RefreshTokenRow(const TokenPair& pair, const std::string& family_id,
                                             const std::string& user_id, std::int64_t now) const {
  return sql::Args(Sha256Hex(pair.refresh_token), family_id, user_id, now + options_.refresh_ttl_s, now);
}

Task<Result<TokenPair>> IdentityService::IssueTokens(const std::string& user_id, const std::string& role,
                                                     std::string family_id) {
  std::int64_t now = clock_.WallSeconds();
  TokenPair pair = NewPair(user_id, role, family_id, now);
  auto stored = co_await db_.Execute(kInsertRefreshToken, RefreshTokenRow(pair, family_id, user_id, now));
  if (!stored) co_return std::move(stored).error();
  co_return pair;
}

Task<Result<TokenPair>> IdentityService::Refresh(std::string refresh_token) {
  std::string token_hash = Sha256Hex(refresh_token);
  std::int64_t now = clock_.WallSeconds();
  enum class Outcome { kRotated, kUnknown, kReused, kEnded, kExpired } outcome = Outcome::kUnknown;
  std::string user_id, role, family_id;
  TokenPair pair;

  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto rows = co_await session.Query(
        "SELECT t.family_id, t.user_id, t.expires_at, t.used_at, t.revoked_at, u.role, u.active "
        "FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
        sql::Args(token_hash));
    if (!rows) co_return std::move(rows).error();
    if (rows->empty()) co_return Ok();
    family_id = std::string(*rows->Text(0, 0));
    user_id = std::string(*rows->Text(0, 1));
    role = std::string(*rows->Text(0, 5));
    bool spent = rows->Int(0, 3).has_value();
    bool revoked = rows->Int(0, 4).has_value();
    if (!spent && !revoked) {
      if (*rows->Int(0, 2) <= now || rows->Int(0, 6).value_or(0) != 1) {
        outcome = Outcome::kExpired;
        co_return Ok();
      }
      auto spend = co_await session.Execute(
          "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
          sql::Args(now, token_hash));
      if (!spend) co_return std::move(spend).error();
      // Zero rows: a concurrent refresh spent it first (PostgreSQL runs them side by side): a reuse.
      spent = *spend == 0;
    }
    if (spent && !revoked) {
      // A spent token came back: whoever holds the family's live token may be a thief. End the family.
      outcome = Outcome::kReused;
      auto revoke = co_await session.Execute(
          "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
          sql::Args(now, family_id));
      if (!revoke) co_return std::move(revoke).error();
      co_return Ok();
    }
    if (revoked) {
      outcome = Outcome::kEnded;
      co_return Ok();
    }
    pair = NewPair(user_id, role, family_id, now);
    auto next = co_await session.Execute(kInsertRefreshToken, RefreshTokenRow(pair, family_id, user_id, now));
    if (!next) co_return std::move(next).error();
    outcome = Outcome::kRotated;
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  if (outcome == Outcome::kReused)
    log::Warn("refresh token reused; family revoked",
              log::Fields().Add("user_id", user_id).Add("family", family_id));
  // Every later presentation of a dead family's token says it again, so a KV outage at the first one
  // does not keep its access tokens alive.
  if (outcome == Outcome::kReused || outcome == Outcome::kEnded) co_await EndSession(family_id);
  if (outcome != Outcome::kRotated) co_return BadRefresh();
  co_return pair;
}

Task<void> IdentityService::EndSession(const std::string& family_id) {
  auto ttl = std::chrono::seconds(options_.access_ttl_s + JwtCodec::kClockSkewSeconds);
  auto ended = co_await kv_.Set(SessionEndedKey(family_id), "1", ttl);
  if (!ended)
    log::Error(
        "cannot mark the session ended; its access tokens work until they expire or the token "
        "is presented again",
        log::Fields().Add("family", family_id).Add("error", ended.error().message));
}

// The access token's session was ended (signed out, or its refresh token reused). When the KV store cannot
// say, the database can: the family's rows are revoked.
Task<Result<bool>> IdentityService::SessionEnded(const std::string& family_id) {
  auto marked = co_await kv_.Get(SessionEndedKey(family_id));
  if (marked) co_return marked->has_value();
  auto rows = co_await db_.Query(
      "SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL LIMIT 1",
      sql::Args(family_id));
  if (!rows) co_return std::move(rows).error();
  co_return !rows->empty();
}

Task<Result<void>> IdentityService::Logout(std::string refresh_token) {
  auto family = co_await db_.Query("SELECT family_id FROM refresh_tokens WHERE token_hash = ?",
                                   sql::Args(Sha256Hex(refresh_token)));
  if (!family) co_return std::move(family).error();
  if (family->empty()) co_return Ok();
  std::string family_id(*family->Text(0, 0));
  auto revoked = co_await db_.Execute(
      "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id = ?",
      sql::Args(clock_.WallSeconds(), family_id));
  if (!revoked) co_return std::move(revoked).error();
  co_await EndSession(family_id);
  co_return Ok();
}

Task<Result<http::Principal>> IdentityService::Authenticate(const http::Request& request) {
  auto header = request.headers.Get("Authorization");
  if (!header || header->size() < 8 || !http::EqualsIgnoreCase(header->substr(0, 7), "Bearer "))
    co_return Error{ErrorCode::kUnauthenticated, "no bearer token"};
  std::string_view token = header->substr(7);
  if (token.rfind(kApiKeyPrefix, 0) == 0) co_return co_await AuthenticateApiKey(token);
  auto claims = jwt_.Verify(token, clock_.WallSeconds());
  if (!claims) co_return std::move(claims).error();
  if (!claims->session.empty()) {
    auto ended = co_await SessionEnded(claims->session);
    if (!ended) co_return std::move(ended).error();
    if (*ended) co_return Error{ErrorCode::kUnauthenticated, "the session was ended"};
  }
  co_return co_await PrincipalFor(claims->subject);
}

// The user's current role and state: a deactivated user's credentials stop working at the next request.
Task<Result<http::Principal>> IdentityService::PrincipalFor(const std::string& user_id) {
  std::string state;
  auto cached = co_await kv_.Get(UserStateKey(user_id));
  if (cached && cached->has_value()) {
    state = **cached;
  } else {
    auto rows = co_await db_.Query("SELECT role, active FROM users WHERE id = ?", sql::Args(user_id));
    if (!rows) co_return std::move(rows).error();
    state = rows->empty() ? "gone" : fmt::format("{}:{}", rows->Int(0, 1).value_or(0), *rows->Text(0, 0));
    (void)co_await kv_.Set(UserStateKey(user_id), state, kUserStateTtl);
  }
  if (state.rfind("1:", 0) != 0) co_return Error{ErrorCode::kUnauthenticated, "user is inactive or deleted"};
  co_return http::Principal{user_id, state.substr(2), "user:" + user_id};
}

Task<Result<http::Principal>> IdentityService::AuthenticateApiKey(std::string_view key) {
  std::string key_hash = Sha256Hex(key);
  std::string cache_key = ApiKeyCacheKey(key_hash);
  auto cached = co_await kv_.Get(cache_key);
  // Cached as "user id\nscopes JSON"; a value without the line break (cached before scopes were) is a miss.
  std::string user_id, scopes_json;
  if (cached && cached->has_value() && (*cached)->find('\n') != std::string::npos) {
    const std::string& value = **cached;
    user_id = value.substr(0, value.find('\n'));
    scopes_json = value.substr(value.find('\n') + 1);
  } else {
    // A cache miss is also when last_used_at is refreshed: at most once per cache lifetime per key.
    auto rows = co_await db_.Query(
        "SELECT id, user_id, scopes FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        sql::Args(key_hash));
    if (!rows) co_return std::move(rows).error();
    if (rows->empty()) co_return Error{ErrorCode::kUnauthenticated, "unknown or revoked API key"};
    user_id = std::string(*rows->Text(0, 1));
    scopes_json = std::string(rows->Text(0, 2).value_or("[]"));
    (void)co_await db_.Execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?",
                               sql::Args(FormatRfc3339(clock_.WallMillis()), std::string(*rows->Text(0, 0))));
    (void)co_await kv_.Set(cache_key, user_id + "\n" + scopes_json, kUserStateTtl);
  }
  auto principal = co_await PrincipalFor(user_id);
  if (principal) {
    principal->rate_key = "key:" + key_hash.substr(0, 16);
    std::vector<std::string> scopes;
    auto parsed = nlohmann::json::parse(scopes_json, nullptr, false);
    if (parsed.is_array())
      for (const auto& scope : parsed)
        if (scope.is_string()) scopes.push_back(scope.get<std::string>());
    principal->scopes = std::move(scopes);
  }
  co_return principal;
}

Task<Result<ApiKey>> IdentityService::CreateApiKey(std::string user_id, std::string name,
                                                   std::string scopes_json) {
  ApiKey key;
  key.id = NewId();
  key.name = std::move(name);
  key.scopes_json = std::move(scopes_json);
  key.secret = std::string(kApiKeyPrefix) + RandomToken(32);
  key.prefix = key.secret.substr(0, 12);
  auto inserted = co_await db_.Execute(
      "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      sql::Args(key.id, user_id, key.name, key.prefix, Sha256Hex(key.secret), key.scopes_json,
                FormatRfc3339(clock_.WallMillis())));
  if (!inserted) co_return std::move(inserted).error();
  auto rows = co_await db_.Query("SELECT created_at FROM api_keys WHERE id = ?", sql::Args(key.id));
  if (rows && !rows->empty()) key.created_at = std::string(*rows->Text(0, 0));
  co_return key;
}

Task<Result<std::vector<ApiKey>>> IdentityService::ListApiKeys(std::string user_id) {
  auto rows = co_await db_.Query(
      "SELECT id, name, prefix, scopes, created_at, last_used_at FROM api_keys "
      "WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
      sql::Args(user_id));
  if (!rows) co_return std::move(rows).error();
  std::vector<ApiKey> keys;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    ApiKey key;
    key.id = std::string(*rows->Text(r, 0));
    key.name = std::string(*rows->Text(r, 1));
    key.prefix = std::string(*rows->Text(r, 2));
    key.scopes_json = std::string(*rows->Text(r, 3));
    key.created_at = std::string(*rows->Text(r, 4));
    if (auto used = rows->Text(r, 5)) key.last_used_at = std::string(*used);
    keys.push_back(std::move(key));
  }
  co_return keys;
}

Task<Result<void>> IdentityService::RevokeApiKey(std::string user_id, std::string key_id) {
  auto rows =
      co_await db_.Query("SELECT key_hash FROM api_keys WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                         sql::Args(key_id, user_id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return Error{ErrorCode::kNotFound, "no such API key"};
  auto revoked = co_await db_.Execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?",
                                      sql::Args(FormatRfc3339(clock_.WallMillis()), key_id));
  if (!revoked) co_return std::move(revoked).error();
  (void)co_await kv_.Delete(ApiKeyCacheKey(std::string(*rows->Text(0, 0))));
  co_return Ok();
}

Task<void> IdentityService::ForgetUser(const std::string& id) { (void)co_await kv_.Delete(UserStateKey(id)); }

Task<void> IdentityService::UserChanged(const std::string& id) {
  co_await ForgetUser(id);
  co_await UsersChanged();
}

}  // namespace keel::auth
