// The key-value store for caches, counters and sessions: one interface, in-process (memory://) by default.
//
// Thread safety: implementations are safe to use from every IO thread at once, and never block an IO thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class Config;
class Clock;
class Metrics;
}  // namespace keel

namespace keel::kv {

using Ttl = std::chrono::milliseconds;
inline constexpr Ttl kNoExpiry{0};

// One step of the generic cell rate algorithm (GCRA, as redis-cell): a request costs one emission interval;
// up to `burst` requests may arrive back to back before the steady rate applies.
struct GcraParams {
  std::chrono::nanoseconds emission_interval;  // period / limit
  std::int64_t burst = 1;                      // requests allowed at once, at least 1
};

struct GcraDecision {
  bool allowed = true;
  std::int64_t remaining = 0;               // requests still allowed right now
  std::chrono::nanoseconds retry_after{0};  // when denied: wait this long
  std::chrono::nanoseconds reset_after{0};  // until the full burst is available again
};

// A server behind the store and whether it answers, for /ready ("127.0.0.1:7000", "master", true).
struct KvNode {
  std::string name;
  std::string role;
  bool reachable = false;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  virtual Task<Result<std::optional<std::string>>> Get(std::string key) = 0;
  // ttl == kNoExpiry keeps the entry until evicted or deleted.
  virtual Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) = 0;
  // True when the key existed.
  virtual Task<Result<bool>> Delete(std::string key) = 0;
  // Adds delta to an integer counter, creating it at 0 with ttl when missing or expired; returns the new
  // value.
  virtual Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) = 0;
  // Atomically applies one GCRA step to the state under key (the theoretical arrival time).
  virtual Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) = 0;
  virtual Task<Result<void>> Ping() = 0;
  // The servers behind the store; none for an in-process one.
  virtual Task<std::vector<KvNode>> Nodes() { co_return std::vector<KvNode>(); }
};

// Opens the backend named by kv.url.
Result<std::unique_ptr<KvStore>> OpenKvStore(const Config& config, const Clock& clock, Metrics& metrics);

}  // namespace keel::kv
