// The configuration schema: every key Keel reads, with its default, its check and its documentation.
#include "core/config.hpp"

#include <fmt/format.h>

namespace keel {
namespace {

using Check = std::function<std::optional<std::string>(const ConfigValue&)>;

Check IntRange(std::int64_t min, std::int64_t max) {
  return [min, max](const ConfigValue& v) -> std::optional<std::string> {
    auto n = std::get<std::int64_t>(v);
    if (n < min || n > max) return fmt::format("must be between {} and {}", min, max);
    return std::nullopt;
  };
}

Check OneOf(std::vector<std::string> choices) {
  return [choices](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    for (const auto& c : choices)
      if (s == c) return std::nullopt;
    return fmt::format("must be one of: {}", fmt::join(choices, ", "));
  };
}

Check UrlWithScheme(std::vector<std::string> schemes) {
  return [schemes](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    for (const auto& scheme : schemes)
      if (s.rfind(scheme + "://", 0) == 0 && s.size() > scheme.size() + 3) return std::nullopt;
    return fmt::format("must be a URL starting with {}://", fmt::join(schemes, "://, "));
  };
}

ConfigKey Int(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc) {
  return {std::move(name),   ConfigType::kInt, def, std::move(doc), ConfigKey::Sensitivity::kPlain,
          IntRange(min, max)};
}

ConfigKey Bool(std::string name, bool def, std::string doc) {
  return {std::move(name), ConfigType::kBool, def, std::move(doc), ConfigKey::Sensitivity::kPlain, nullptr};
}

ConfigKey String(std::string name, std::string def, std::string doc, Check check = nullptr) {
  return {
      std::move(name), ConfigType::kString, std::move(def), std::move(doc), ConfigKey::Sensitivity::kPlain,
      std::move(check)};
}

ConfigKey List(std::string name, std::vector<std::string> def, std::string doc) {
  return {std::move(name), ConfigType::kStringList,        std::move(def),
          std::move(doc),  ConfigKey::Sensitivity::kPlain, nullptr};
}

Check MinBytesOrEmpty(std::size_t min) {
  return [min](const ConfigValue& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    if (!s.empty() && s.size() < min) return fmt::format("must be empty or at least {} bytes", min);
    return std::nullopt;
  };
}

ConfigKey Secret(std::string name, std::string doc, Check check) {
  return {
      std::move(name), ConfigType::kString, std::string(), std::move(doc), ConfigKey::Sensitivity::kSecret,
      std::move(check)};
}

ConfigKey Url(std::string name, std::string def, std::string doc, std::vector<std::string> schemes) {
  return {std::move(name), ConfigType::kString,          std::move(def),
          std::move(doc),  ConfigKey::Sensitivity::kUrl, UrlWithScheme(std::move(schemes))};
}

// A URL that may be left empty (the feature it names is then off or falls back, as its doc says).
ConfigKey OptionalUrl(std::string name, std::string doc, std::vector<std::string> schemes) {
  Check url = UrlWithScheme(std::move(schemes));
  Check check = [url](const ConfigValue& v) -> std::optional<std::string> {
    if (std::get<std::string>(v).empty()) return std::nullopt;
    return url(v);
  };
  return {std::move(name), ConfigType::kString,          std::string(),
          std::move(doc),  ConfigKey::Sensitivity::kUrl, std::move(check)};
}

std::vector<ConfigKey> BuildSchema() {
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  return {
      String("server.host", "127.0.0.1", "Address the HTTP server listens on."),
      Int("server.port", 8080, 0, 65535,
          "TCP port of the HTTP server; 0 picks a free port (logged at start)."),
      Int("server.io_threads", 0, 0, 256,
          "IO threads, each with its own io_context and SO_REUSEPORT acceptor; 0 means one per CPU core."),
      String("server.instance_id", "",
             "Name of this instance, sent as the X-Keel-Instance header; empty means the host name."),
      Int("server.header_timeout_ms", 10000, 100, kDay,
          "A request's headers must arrive completely within this time of its first byte, else 408 and "
          "close."),
      Int("server.idle_timeout_ms", 60000, 100, kDay,
          "Idle keep-alive connections are closed after this time."),
      Int("server.body_timeout_ms", 60000, 100, kDay,
          "A request body must arrive completely within this time."),
      Int("server.write_timeout_ms", 60000, 100, kDay,
          "A response must be written completely within this time."),
      Int("server.max_header_bytes", 16384, 1024, 1 << 20,
          "Largest request head (line + headers); over it: 431."),
      Int("server.max_body_bytes", 1 << 20, 0, 1LL << 40,
          "Default request body limit for routes that set none; over it: 413 without reading the rest."),
      Int("server.drain_delay_ms", 0, 0, kDay,
          "On SIGTERM/SIGINT, how long /ready answers 503 while still accepting, so a load balancer can take "
          "the "
          "instance out before its listener closes."),
      Int("server.drain_timeout_ms", 10000, 0, kDay,
          "On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits."),
      List("server.trusted_proxies", {},
           "Peers whose X-Forwarded-For / X-Real-IP name the client: IP addresses or CIDR networks "
           "(\"10.0.0.0/8\", \"fd00::/8\"); forwarding headers from any other peer are ignored."),
      List("cors.allowed_origins", {},
           "Origins allowed to call the API from a browser (exact match, or \"*\"); empty disables CORS."),
      Int("cors.max_age_s", 600, 0, 86400, "How long browsers may cache a preflight answer."),
      Bool("compression.enabled", true,
           "Gzip responses when the client accepts it and the body is large enough."),
      Int("compression.min_bytes", 1024, 0, 1LL << 30, "Smallest response body that is compressed."),
      Int("compression.level", 6, 1, 9, "zlib compression level."),
      String("log.level", "info", "Lowest level logged: trace, debug, info, warn, error.",
             OneOf({"trace", "debug", "info", "warn", "error"})),
      Bool("log.access", true, "Log one JSON line per HTTP request."),
      Url("database.url", "sqlite://./var/keel.db",
          "SQL store. sqlite://PATH (embedded mode) or postgres://USER:PASSWORD@HOST:PORT/DB (scaled out, "
          "usually pgBouncer in transaction mode); the password of a URL is redacted in output.",
          {"sqlite", "postgres", "postgresql"}),
      OptionalUrl("database.direct_url",
                  "PostgreSQL: a URL straight to the server, bypassing pgBouncer, for what needs a session "
                  "(migrations' locks, the job workers' LISTEN). Empty: migrations use database.url, and "
                  "workers learn of other processes' jobs only by polling.",
                  {"postgres", "postgresql"}),
      Int("database.pool_size", 4, 1, 256,
          "SQLite: connections, each used by one blocking-pool thread at a time. PostgreSQL: the most "
          "connections the pool opens."),
      Int("database.pool_min_size", 2, 0, 256, "PostgreSQL: connections kept open even when idle."),
      Int("database.busy_timeout_ms", 5000, 0, 600000,
          "SQLite busy_timeout: how long a writer waits for the lock."),
      Int("database.acquire_timeout_ms", 2000, 1, 600000,
          "Longest wait for a free SQL connection before the request gets 503."),
      Int("database.connect_timeout_ms", 5000, 1, 600000, "PostgreSQL: longest time to open a connection."),
      Int("database.statement_timeout_ms", 30000, 1, 3600000,
          "PostgreSQL: longest wait for a statement's answer; the connection is then dropped and the request "
          "fails."),
      Int("database.validate_idle_ms", 30000, 0, kDay,
          "PostgreSQL: a connection idle for longer answers SELECT 1 before it is used again."),
      Int("database.max_lifetime_s", 1800, 1, 7 * 86400,
          "PostgreSQL: connections older than this are closed and replaced."),
      Url("kv.url", "memory://",
          "Key-value store for caches, counters and sessions. memory:// is in-process; "
          "redis://[:PASSWORD@]HOST:PORT[/DB] is shared by every instance.",
          {"memory", "redis"}),
      Int("kv.connections", 2, 1, 64, "Redis: pipelined connections per process."),
      String("kv.key_prefix", "",
             "Redis: put before every key, so several deployments can share one server."),
      Int("kv.timeout_ms", 250, 1, 60000,
          "Redis: longest wait for an answer; then the operation fails and its caller degrades (cache miss, "
          "rate-limit fallback)."),
      Int("kv.max_bytes", 64LL << 20, 1024, 1LL << 40,
          "Byte budget of the in-process KV store (LRU eviction)."),
      Int("kv.shards", 16, 1, 1024, "Lock shards of the in-process KV store."),
      Int("pool.threads", 4, 1, 256,
          "Threads of the general blocking-work pool (password hashing, model batches; SQLite has its own)."),
      Int("pool.queue_limit", 1024, 1, 1 << 20, "Queued blocking tasks beyond which requests get 503."),
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
      Bool("ratelimit.enabled", true,
           "Rate limiting (GCRA in the KV store). Switch off only for load tests from a single address."),
      String("ratelimit.store_failure", "open",
             "When the KV store (Redis) cannot be reached: open lets requests through, local counts them in "
             "this process against 1/ratelimit.local_share of each limit, closed refuses them (429).",
             OneOf({"open", "local", "closed"})),
      Int("ratelimit.local_share", 1, 1, 1024,
          "Instances sharing the limits: the local fallback allows each 1/N of a limit, so N instances "
          "together never exceed it."),
      Int("ratelimit.auth_per_minute", 100, 1, 1000000,
          "Auth routes (register, login, refresh): requests per IP."),
      Int("ratelimit.auth_burst", 20, 1, 1000000, "Auth routes: requests per IP allowed back to back."),
      Int("ratelimit.login_per_hour", 100, 1, 1000000, "Login attempts per account (e-mail) per hour."),
      Int("ratelimit.login_burst", 10, 1, 1000000, "Login attempts per account allowed back to back."),
      Int("ratelimit.api_per_minute", 1000, 1, 100000000, "Other API routes: requests per client IP."),
      Int("ratelimit.api_burst", 100, 1, 100000000,
          "Other API routes: requests per IP allowed back to back."),
      Int("ratelimit.user_per_minute", 200, 1, 100000000, "Authenticated routes: requests per user."),
      Int("ratelimit.user_burst", 50, 1, 100000000,
          "Authenticated routes: requests per user allowed back to back."),
      Bool("jobs.workers", true,
           "keel serve also runs job workers and the scheduler in-process (embedded mode). Turn off when "
           "separate `keel worker` processes do the work."),
      List("jobs.queues",
           {"default:1-4", "priority:1-2", "batch_processing:0-4", "model_generation:0-8", "maintenance:0-2"},
           "Queues this process works, as name:min-max worker threads (or name:max). Threads grow with the "
           "queue's depth up to max and shrink to min when idle."),
      Int("jobs.poll_interval_ms", 200, 10, 60000,
          "How often idle workers look for jobs enqueued by other processes, and for scheduled jobs come "
          "due. "
          "This process's own enqueues wake them at once; on PostgreSQL with database.direct_url, so do "
          "other processes' (LISTEN/NOTIFY)."),
      Int("jobs.lease_ms", 30000, 1000, 3600000,
          "A running job's lease: renewed by heartbeats; when it lapses (worker died) the job runs again."),
      Int("jobs.heartbeat_ms", 1000, 100, 600000,
          "Lease renewal period; also how soon a running job notices cancellation or its timeout."),
      Int("jobs.rescue_interval_ms", 1000, 100, 600000, "How often expired leases are looked for."),
      Int("jobs.idle_worker_timeout_ms", 10000, 100, 3600000,
          "An idle worker thread above min exits after this."),
      Bool("jobs.scheduler", true, "Compete for the scheduler lease and fire periodic (cron) jobs."),
      Int("jobs.ops_port", 0, 0, 65535,
          "keel worker only: serve /health, /ready and /metrics on this port of server.host, for probes and "
          "Prometheus (the job and queue-depth metrics); 0: no HTTP at all."),
      Int("jobs.drain_timeout_ms", 30000, 0, 3600000,
          "At shutdown, running jobs get this long to finish; then their leases are released for others."),
      Int("jobs.retention_hours", 168, 1, 87600, "Finished jobs older than this are pruned (maintenance)."),
      String(
          "mail.smtp_url", "",
          "SMTP server (smtp://host:port, STARTTLS when offered; smtps://host:port). Empty: mail is kept in "
          "the outbox (GET /api/v1/admin/outbox) instead of being sent.",
          [](const ConfigValue& v) -> std::optional<std::string> {
            const auto& s = std::get<std::string>(v);
            if (s.empty() || s.rfind("smtp://", 0) == 0 || s.rfind("smtps://", 0) == 0) return std::nullopt;
            return "must be empty or start with smtp:// or smtps://";
          }),
      String("mail.smtp_username", "", "SMTP user name (usually from KEEL_MAIL_SMTP_USERNAME)."),
      Secret("mail.smtp_password", "SMTP password (usually from KEEL_MAIL_SMTP_PASSWORD).", nullptr),
      Bool("mail.require_tls", false, "Refuse to send unless the SMTP connection is encrypted."),
      Int("mail.timeout_ms", 10000, 100, 600000, "SMTP connect and send timeout."),
      String("mail.from", "keel@localhost", "From address (envelope and header) of mail Keel sends."),
      String(
          "ml.model_dir", "./models",
          "The model registry: <model_dir>/<name>/<version>/{model.json, meta.json}, written by keel train."),
      List("ml.models", {"property"},
           "Models `keel serve` serves: \"name\" serves the newest valid version, \"name@version\" pins one. "
           "/ready is 503 until every one is loaded."),
      Int("ml.reload_poll_ms", 2000, 0, 3600000,
          "How often the registry directory is checked for new versions (0: only at start and on POST "
          "/api/v1/admin/models/{name}/reload)."),
      Int("ml.max_batch", 64, 1, 4096,
          "Dynamic batching: most rows one predict call takes from concurrent requests; 1 turns batching off "
          "(each request predicts on its own IO thread)."),
      Int("ml.max_delay_us", 500, 0, 1000000,
          "Dynamic batching: longest a request waits for its batch to fill."),
      List("ml.batching", {}, "Per-model batching overrides, \"name:max_batch:max_delay_us\"."),
      Bool("ml.cache_enabled", true,
           "Cache predictions by model, version and canonical features (X-Cache: HIT|MISS)."),
      Int("ml.cache_ttl_s", 3600, 1, 30LL * 86400, "How long a cached prediction is served."),
      Int("ml.cache_max_bytes", 64LL << 20, 1024, 1LL << 40,
          "Byte budget of the prediction cache (keys, values and per-entry overhead); least recently used "
          "entries go first."),
      Bool("ml.log_enabled", true, "Record every served prediction in the prediction_logs table."),
      Int("ml.log_queue_limit", 100000, 1, 10000000,
          "Predictions waiting to be logged; beyond it they are dropped and counted "
          "(keel_prediction_log_dropped_total)."),
      Int("ml.log_batch_rows", 1000, 1, 4000, "Most rows in one prediction-log transaction."),
      Int("ml.log_flush_ms", 100, 1, 60000, "Longest a prediction waits before its batch is written."),
      Int("ml.log_retention_hours", 720, 1, 24LL * 3650,
          "Prediction-log rows older than this are pruned hourly."),
      Bool("debug.routes", false,
           "Serve /api/v1/debug/* (sleep, echo, fail, block) used by the end-to-end tests. Never in "
           "production."),
  };
}

}  // namespace

const std::vector<ConfigKey>& ConfigSchema() {
  static const std::vector<ConfigKey> schema = BuildSchema();
  return schema;
}

}  // namespace keel
