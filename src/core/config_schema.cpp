// The platform's configuration sections: the server, storage, caches, pools, rate limits and debugging.
#include "core/config.hpp"

#include "core/config_keys.hpp"

namespace keel {

ConfigSchema PlatformConfigKeys() {
  using namespace schema;
  return {
      String("server.host", "127.0.0.1", "Address the HTTP server listens on."),
      Int("server.port", 8080, 0, 65535,
          "TCP port of the HTTP server; 0 picks a free port (logged at start)."),
      Int("server.io_threads", 0, 0, 256,
          "IO threads, each with its own io_context and SO_REUSEPORT acceptor; 0 means one per CPU core."),
      String("server.instance_id", "",
             "Name of this instance, sent as the X-Keel-Instance header; empty means the host name."),
      Int("server.header_timeout_ms", 10000, 100, kDayMs,
          "A request's headers must arrive completely within this time of its first byte, else 408 and "
          "close."),
      Int("server.idle_timeout_ms", 60000, 100, kDayMs,
          "Idle keep-alive connections are closed after this time."),
      Int("server.body_timeout_ms", 60000, 100, kDayMs,
          "A request body must arrive completely within this time."),
      Int("server.write_timeout_ms", 60000, 100, kDayMs,
          "A response must be written completely within this time."),
      Int("server.max_header_bytes", 16384, 1024, 1 << 20,
          "Largest request head (line + headers); over it: 431."),
      Int("server.max_body_bytes", 1 << 20, 0, 1LL << 40,
          "Default request body limit for routes that set none; over it: 413 without reading the rest."),
      Int("server.drain_delay_ms", 0, 0, kDayMs,
          "On SIGTERM/SIGINT, how long /ready answers 503 while still accepting, so a load balancer can take "
          "the "
          "instance out before its listener closes."),
      Int("server.drain_timeout_ms", 10000, 0, kDayMs,
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
      Int("database.validate_idle_ms", 30000, 0, kDayMs,
          "PostgreSQL: a connection idle for longer answers SELECT 1 before it is used again."),
      Int("database.max_lifetime_s", 1800, 1, 7 * 86400,
          "PostgreSQL: connections older than this are closed and replaced."),
      Url("kv.url", "memory://",
          "Key-value store for caches, counters and sessions. memory:// is in-process; "
          "redis://[:PASSWORD@]HOST:PORT[/DB] is shared by every instance; "
          "redis-cluster://[:PASSWORD@]HOST:PORT,HOST:PORT,... is a Redis Cluster (any of its nodes); "
          "redis-sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,.../MASTER[/DB] is the master the Sentinels "
          "name.",
          {"memory", "redis", "redis-cluster", "redis-sentinel"}),
      Int("kv.connections", 2, 1, 64, "Redis: pipelined connections per process."),
      String("kv.key_prefix", "",
             "Redis: put before every key, so several deployments can share one server."),
      Int("kv.timeout_ms", 250, 1, 60000,
          "Redis: longest wait for an answer; then the operation fails and its caller degrades (cache miss, "
          "rate-limit fallback)."),
      Int("kv.max_bytes", 64LL << 20, 1024, 1LL << 40,
          "Byte budget of the in-process KV store (LRU eviction)."),
      Int("kv.shards", 16, 1, 1024, "Lock shards of the in-process KV store."),
      String("blobs.path", "./var/blobs",
             "Folder of the blob store (uploads, generated files), by content hash. In the scaled mode every "
             "instance and worker must see the same folder (a shared volume)."),
      Int("pool.threads", 4, 1, 256,
          "Threads of the general blocking-work pool (password hashing, model batches; SQLite has its own)."),
      Int("pool.queue_limit", 1024, 1, 1 << 20, "Queued blocking tasks beyond which requests get 503."),
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
      Bool("debug.routes", false,
           "Serve /api/v1/debug/* (sleep, echo, fail, block) used by the end-to-end tests. Never in "
           "production."),

  };
}

}  // namespace keel
