// OtpService: keyed BLAKE2b hashes, the code table, constant-time comparison.
#include "auth/otp_service.hpp"

#include <sodium.h>

#include <fmt/format.h>

namespace keel::auth {
Error InvalidCode() {
  return Error{ErrorCode::kValidation, "the code is wrong, expired or used up; request a new one"};
}

std::string NewOtpCode() { return fmt::format("{:06}", randombytes_uniform(1000000)); }

OtpService::OtpService(sql::Database& db, std::string key, OtpOptions options) : db_(db), options_(options) {
  static_assert(sizeof(key_) == crypto_generichash_KEYBYTES);
  crypto_generichash(key_, sizeof(key_), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>("keel-otp"), 8);
}

std::string OtpService::Hash(const std::string& user_id, const std::string& purpose,
                             const std::string& code) const {
  std::string input = user_id + "\n" + purpose + "\n" + code;
  unsigned char hash[32];
  crypto_generichash(hash, sizeof(hash), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                     key_, sizeof(key_));
  char hex[sizeof(hash) * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
  return hex;
}

Task<Result<std::string>> OtpService::Issue(sql::Session& session, std::string user_id, std::string purpose,
                                            std::int64_t now_ms) {
  auto previous = co_await session.Query("SELECT created_at FROM otp_codes WHERE user_id = ? AND purpose = ?",
                                         sql::Args(user_id, purpose));
  if (!previous) co_return std::move(previous).error();
  if (!previous->empty()) {
    std::int64_t wait_ms = previous->Int(0, 0).value_or(0) + options_.resend_interval.count() - now_ms;
    if (wait_ms > 0) co_return Error{ErrorCode::kRateLimited, std::to_string((wait_ms + 999) / 1000)};
  }
  std::string code = NewOtpCode();
  auto stored = co_await session.Execute(
      "INSERT INTO otp_codes (user_id, purpose, code_hash, attempts, expires_at, created_at) VALUES (?, ?, "
      "?, 0, ?, ?) "
      "ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, attempts = 0, "
      "expires_at = excluded.expires_at, created_at = excluded.created_at",
      sql::Args(user_id, purpose, Hash(user_id, purpose, code), now_ms + options_.ttl.count(), now_ms));
  if (!stored) co_return std::move(stored).error();
  co_return code;
}

Task<Result<void>> OtpService::Consume(std::string user_id, std::string purpose, std::string code,
                                       std::int64_t now_ms) {
  bool accepted = false;
  std::string presented = Hash(user_id, purpose, code);
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    // PostgreSQL runs concurrent attempts side by side: lock the row so attempts count one at a time and a
    // code is accepted once. (SQLite's write transactions are serial already.)
    auto rows = co_await session.Query(
        fmt::format(
            "SELECT code_hash, attempts, expires_at FROM otp_codes WHERE user_id = ? AND purpose = ?{}",
            db_.Backend() == "postgres" ? " FOR UPDATE" : ""),
        sql::Args(user_id, purpose));
    if (!rows) co_return std::move(rows).error();
    if (rows->empty()) co_return Ok();
    std::string stored(rows->Text(0, 0).value_or(""));
    bool live = rows->Int(0, 1).value_or(0) < options_.max_attempts && rows->Int(0, 2).value_or(0) > now_ms;
    bool matches = stored.size() == presented.size() &&
                   sodium_memcmp(stored.data(), presented.data(), stored.size()) == 0;
    if (live && matches) {
      accepted = true;
      auto spent = co_await session.Execute("DELETE FROM otp_codes WHERE user_id = ? AND purpose = ?",
                                            sql::Args(user_id, purpose));
      if (!spent) co_return std::move(spent).error();
      co_return Ok();
    }
    auto counted = co_await session.Execute(
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE user_id = ? AND purpose = ?",
        sql::Args(user_id, purpose));
    if (!counted) co_return std::move(counted).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  if (!accepted) co_return InvalidCode();
  co_return Ok();
}

Task<Result<std::int64_t>> OtpService::PurgeExpired(std::int64_t now_ms) {
  co_return co_await db_.Execute("DELETE FROM otp_codes WHERE expires_at < ?", sql::Args(now_ms));
}

}  // namespace keel::auth
