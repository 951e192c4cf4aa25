// AccountCodes: the SQL and the mail of verification and password reset.
#include "auth/account_codes.hpp"

#include <fmt/format.h>

#include "auth/mail/mail_jobs.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"

namespace keel::auth {
namespace {

std::string CodeMailText(const std::string& purpose, const std::string& code, std::chrono::milliseconds ttl) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(ttl).count();
  if (purpose == "verify")
    return fmt::format(
        "Your Keel verification code is {}\n\nIt expires in {} minutes. If you did not create an account, "
        "ignore this message.\n",
        code, minutes);
  return fmt::format(
      "Your Keel password reset code is {}\n\nIt expires in {} minutes. If you did not ask to reset your "
      "password, ignore this message: your password stays as it is.\n",
      code, minutes);
}

}  // namespace

AccountCodes::AccountCodes(sql::Database& db, IdentityService& identity, OtpService& otp,
                           jobs::JobQueue& jobs, BlockingPool& hash_pool, const PasswordHasher& hasher,
                           std::chrono::milliseconds code_ttl)
    : db_(db),
      identity_(identity),
      otp_(otp),
      jobs_(jobs),
      hash_pool_(hash_pool),
      hasher_(hasher),
      code_ttl_(code_ttl) {}

Task<Result<void>> AccountCodes::IssueAndEnqueue(sql::Session& session, const std::string& user_id,
                                                 const std::string& email, const std::string& purpose) {
  auto code = co_await otp_.Issue(session, user_id, purpose, jobs_.clock().WallMillis());
  if (!code) co_return std::move(code).error();
  std::string subject = purpose == "verify" ? "Your Keel verification code" : "Your Keel password reset code";
  auto enqueued =
      co_await jobs_.Enqueue(session, mail::MailJob(email, subject, CodeMailText(purpose, *code, code_ttl_)));
  if (!enqueued) co_return std::move(enqueued).error();
  co_return Ok();
}

Task<Result<void>> AccountCodes::StartVerification(sql::Session& session, const std::string& user_id,
                                                   const std::string& email) {
  co_return co_await IssueAndEnqueue(session, user_id, email, "verify");
}

void AccountCodes::WakeMailWorkers() { jobs_.Wake(jobs_.QueueOf(mail::MailJob("", "", ""))); }

Task<Result<std::optional<AccountCodes::Account>>> AccountCodes::FindAccount(const std::string& email) {
  auto rows = co_await db_.Query("SELECT id, email_verified FROM users WHERE email = ? AND active = 1",
                                 sql::Args(email));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<Account>();
  co_return std::optional<Account>(Account{std::string(*rows->Text(0, 0)), rows->Int(0, 1).value_or(1) == 1});
}

Task<Result<void>> AccountCodes::MailCode(const std::string& user_id, const std::string& email,
                                          const std::string& purpose) {
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    co_return co_await IssueAndEnqueue(session, user_id, email, purpose);
  });
  if (!done && done.error().code == ErrorCode::kRateLimited) co_return Ok();
  if (done) WakeMailWorkers();
  co_return done;
}

Task<Result<User>> AccountCodes::Verify(std::string email, std::string code) {
  auto account = co_await FindAccount(email);
  if (!account) co_return std::move(account).error();
  if (!*account) co_return InvalidCode();
  const std::string id = (*account)->id;
  auto consumed = co_await otp_.Consume(id, "verify", std::move(code), jobs_.clock().WallMillis());
  if (!consumed) co_return std::move(consumed).error();
  auto marked = co_await db_.Execute("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?",
                                     sql::Args(FormatRfc3339(jobs_.clock().WallMillis()), id));
  if (!marked) co_return std::move(marked).error();
  co_await identity_.UserChanged(id);
  co_return co_await identity_.FindUser(id);
}

Task<Result<void>> AccountCodes::ResendVerification(std::string email) {
  auto account = co_await FindAccount(email);
  if (!account) co_return std::move(account).error();
  if (!*account || (*account)->verified) co_return Ok();
  co_return co_await MailCode((*account)->id, email, "verify");
}

Task<Result<void>> AccountCodes::ForgotPassword(std::string email) {
  auto account = co_await FindAccount(email);
  if (!account) co_return std::move(account).error();
  if (!*account) co_return Ok();
  co_return co_await MailCode((*account)->id, email, "reset");
}

Task<Result<void>> AccountCodes::ResetPassword(std::string email, std::string code, std::string password) {
  // Hash first: a hashing failure must not spend the code.
  auto hash = co_await RunBlocking(hash_pool_, [&] { return hasher_.Hash(password); });
  if (!hash) co_return std::move(hash).error();
  auto account = co_await FindAccount(email);
  if (!account) co_return std::move(account).error();
  if (!*account) co_return InvalidCode();
  const std::string id = (*account)->id;
  auto consumed = co_await otp_.Consume(id, "reset", std::move(code), jobs_.clock().WallMillis());
  if (!consumed) co_return std::move(consumed).error();
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto updated = co_await session.Execute(
        "UPDATE users SET password_hash = ?, email_verified = 1, updated_at = ? WHERE id = ?",
        sql::Args(*hash, FormatRfc3339(jobs_.clock().WallMillis()), id));
    if (!updated) co_return std::move(updated).error();
    auto revoked = co_await session.Execute(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        sql::Args(jobs_.clock().WallSeconds(), id));
    if (!revoked) co_return std::move(revoked).error();
    co_return Ok();
  });
  if (!done) co_return done;
  co_await identity_.UserChanged(id);
  log::Info("password reset", log::Fields().Add("user", id));
  co_return Ok();
}

Task<Result<std::int64_t>> AccountCodes::PurgeExpired() {
  auto now_ms = jobs_.clock().WallMillis();
  auto codes = co_await otp_.PurgeExpired(now_ms);
  if (!codes) co_return std::move(codes).error();
  auto tokens =
      co_await db_.Execute("DELETE FROM refresh_tokens WHERE expires_at < ?", sql::Args(now_ms / 1000));
  if (!tokens) co_return std::move(tokens).error();
  co_return *codes + *tokens;
}

}  // namespace keel::auth
