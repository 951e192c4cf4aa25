// For the identity and one-time-code unit tests: the identity module's parts wired as the module wires them,
// on a temporary SQLite file, the in-process KV store and a ManualClock, so expiry and back-off are tested by
// moving time rather than waiting for it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <boost/asio/io_context.hpp>

#include "auth/account_codes.hpp"
#include "auth/identity_module.hpp"
#include "auth/identity_service.hpp"
#include "auth/mail/mail_jobs.hpp"
#include "auth/otp_service.hpp"
#include "core/async.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_metrics.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_store.hpp"
#include "jobs/jobs_module.hpp"
#include "storage/kv/cache_generations.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::auth {

struct AuthHarness {
  // `name` makes the database file unique per test.
  AuthHarness(const std::string& name, IdentityOptions identity_options, OtpOptions otp_options = {})
      : path(std::filesystem::temp_directory_path() / ("keel-auth-" + name + ".db")),
        kv(kv::MemoryKvOptions{}, clock),
        generations(kv, "users", std::chrono::seconds(600), metrics),
        pool("hash", 1, 64, metrics),
        hasher(1, 8192 * 1024),
        jwt(SigningKey{"k1", std::string(32, 's')}, std::nullopt, "keel", "keel-api"),
        job_metrics(metrics) {
    RemoveFiles();
    db = std::move(sql::SqliteDatabase::Open({.path = path.string(), .pool_size = 2}, metrics)).value();
    // Identity's tables, and the jobs table the mail jobs land in.
    std::vector<sql::Migration> migrations = auth::Migrations("sqlite");
    const auto& job_tables = jobs::Migrations("sqlite");
    migrations.insert(migrations.end(), job_tables.begin(), job_tables.end());
    (void)db->Migrate(migrations).value();
    // The mail job's kind must exist for enqueues to resolve; these tests read the mail from the jobs table.
    kinds.Add(jobs::JobKind::Make(
        mail::kMailKind, "priority",
        [](jobs::JobContext&) -> Result<nlohmann::json> { return nlohmann::json(nullptr); }));
    store = std::make_unique<jobs::JobStore>(*db);
    queue = std::make_unique<jobs::JobQueue>(*store, kinds, job_metrics, clock);
    service =
        std::make_unique<IdentityService>(*db, kv, generations, pool, hasher, jwt, clock, identity_options);
    otp = std::make_unique<OtpService>(*db, std::string(32, 'o'), otp_options);
    codes = std::make_unique<AccountCodes>(*db, *service, *otp, *queue, pool, hasher, otp_options.ttl);
    service->SetVerificationStarter(
        [this](sql::Session& session, const std::string& user_id, const std::string& email) {
          return codes->StartVerification(session, user_id, email);
        },
        [] {});
  }
  // Runs one awaitable to its end on `io`, which outlives the pool and database threads that answer into it.
  template <class T>
  T Run(Task<T> task) {
    return RunToCompletion(io, std::move(task));
  }

  ~AuthHarness() {
    codes.reset();
    otp.reset();
    service.reset();
    queue.reset();
    store.reset();
    pool.Stop();
    db.reset();
    RemoveFiles();
  }

  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }

  // The six-digit code in the newest mail sent to `email`.
  std::string LastCodeMailedTo(const std::string& email) {
    auto rows =
        Run(db->Query("SELECT args FROM jobs WHERE kind = ? ORDER BY id DESC", sql::Args(mail::kMailKind)));
    for (std::size_t r = 0; r < rows->rows.size(); ++r) {
      auto args = nlohmann::json::parse(std::string(rows->Text(r, 0).value_or("{}")));
      if (args.value("to", "") != email) continue;
      if (auto code = SixDigits(args.value("text", ""))) return *code;
    }
    return {};
  }

  // The first run of exactly six digits in `text` (the code in a mail). Not std::regex: g++ 12 warns inside
  // it under the sanitizer builds' flags.
  static std::optional<std::string> SixDigits(const std::string& text) {
    auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
    for (std::size_t i = 0; i + 6 <= text.size(); ++i) {
      if ((i > 0 && digit(i - 1)) || digit(i + 6)) continue;
      bool all = true;
      for (std::size_t k = i; k < i + 6; ++k) all = all && digit(k);
      if (all) return text.substr(i, 6);
    }
    return std::nullopt;
  }

  // A request carrying `token` as its bearer credential.
  static http::Request Bearer(const std::string& token) {
    http::Request request;
    request.headers.Add("Authorization", "Bearer " + token);
    return request;
  }

  boost::asio::io_context io;  // declared first: destroyed after everything that posts into it
  std::filesystem::path path;
  ManualClock clock;
  Metrics metrics;
  std::unique_ptr<sql::Database> db;
  kv::MemoryKv kv;
  kv::CacheGenerations generations;
  BlockingPool pool;
  PasswordHasher hasher;
  JwtCodec jwt;
  jobs::JobKinds kinds;
  jobs::JobMetrics job_metrics;
  std::unique_ptr<jobs::JobStore> store;
  std::unique_ptr<jobs::JobQueue> queue;
  std::unique_ptr<IdentityService> service;
  std::unique_ptr<OtpService> otp;
  std::unique_ptr<AccountCodes> codes;
};

}  // namespace keel::auth
