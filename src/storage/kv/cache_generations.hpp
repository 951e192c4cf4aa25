// Cache generations: a random token stored under a key of the KV store, part of the key of every cached entry
// built from the data it covers (one owner's task pages, the admin user listing). A write replaces the token,
// so every entry built before it is unreachable at once; a token lost to eviction or expiry is replaced by a
// fresh random one, never by an earlier value, so an old entry can never become reachable again.
//
// A replacement the KV store does not take — Redis unreachable when the write committed — is owed: when Redis
// answers again with its data kept (after a partition, a stall, a timeout; not after a restart of a
// cache-only Redis, which drops everything) it still holds the old token and the entries built under it, and
// those predate the write. So this process keeps the key as pending, callers neither read nor write entries
// under it (Pending), and a thread retries the replacement every `retry_interval` until Redis takes it. Other
// processes may serve an old entry between Redis coming back and that retry (the interval plus this process's
// reconnect back-off, up to 2 s); if this process dies first, until the entries expire. A process that never
// starts the retry thread (`keel worker`, the operator commands) leaves its failed replacements to expiry
// too.
//
// Thread safety: Current, Replace and Pending from any thread (they never block); Start and Stop from one
// thread; RetryNow blocks, so never on an IO thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <prometheus/gauge.h>
#include <boost/asio/io_context.hpp>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "storage/kv/kv_store.hpp"

namespace keel::kv {

class CacheGenerations {
 public:
  // Short: other processes may serve old entries between Redis coming back and the retry.
  static constexpr std::chrono::milliseconds kDefaultRetryInterval{500};

  // `cache` labels the pending gauge; `generation_ttl` must outlive every entry built under a generation.
  CacheGenerations(KvStore& kv, std::string cache, Ttl generation_ttl, Metrics& metrics,
                   std::chrono::milliseconds retry_interval = kDefaultRetryInterval);
  ~CacheGenerations();

  void Start();
  // Joins the retry thread after it tried the pending keys once more.
  void Stop();

  // The generation stored under `key`, or a fresh one when none is. Empty when entries under `key` must not
  // be read or written: its replacement is owed (Pending), the KV store did not answer, or it did not take
  // the fresh one (a fresh token whose SET timed out may still land later, after a writer's replacement, and
  // entries built now under it could predate that write). Callers then skip the cache.
  Task<std::optional<std::string>> Current(const std::string& key);
  // After a write to the data `key` covers. When the KV store does not take the new generation, `key` is
  // pending until a retry does.
  Task<void> Replace(const std::string& key);
  // True while a replacement of `key` is owed: entries under its current generation may predate a write.
  bool Pending(const std::string& key) const;

  // Tries every pending key once (the retry thread does every retry interval); returns how many stay pending.
  std::size_t RetryNow();

 private:
  void Run();
  bool ReplaceNow(const std::string& key);
  void MarkPending(const std::string& key);
  void Publish();  // REQUIRES: mutex_ held

  KvStore& kv_;
  const std::string cache_;
  const Ttl generation_ttl_;
  const std::chrono::milliseconds retry_interval_;
  prometheus::Gauge& pending_gauge_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Key → failed replacements so far. A retry that succeeded removes the key only when no failure came in
  // meanwhile: that write may have committed after the retry's token was read by a builder, so it needs a
  // replacement of its own.
  std::map<std::string, std::uint64_t, std::less<>> pending_;  // GUARDED_BY(mutex_)
  std::atomic<std::size_t> pending_count_{0};  // lets Pending skip the lock when none are owed
  bool stopping_ = false;                      // GUARDED_BY(mutex_)
  std::mutex retry_mutex_;                     // one RetryNow at a time: it owns io_
  boost::asio::io_context io_;                 // the retry's event loop for the KV calls
  std::thread thread_;
};

}  // namespace keel::kv
