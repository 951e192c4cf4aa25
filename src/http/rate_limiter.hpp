// Rate limits by named policy (auth routes per IP, API per IP, per user, login per account), with GCRA state
// in the KV store so one limit holds for every thread (and, with Redis, every instance).
//
// Thread safety: Check is safe from any thread; AddPolicy only before the first Check (while modules
// register).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "http/message.hpp"
#include "storage/kv/kv_store.hpp"

namespace keel::http {

struct RatePolicy {
  std::int64_t limit = 100;  // requests per period
  std::chrono::seconds period{60};
  std::int64_t burst = 100;  // requests allowed back to back
};

// What a check does when the KV store cannot answer (Redis down).
struct RateFallback {
  enum class Mode { kOpen, kLocal, kClosed };
  Mode mode = Mode::kOpen;
  // kLocal: instances sharing the limits; each counts against 1/share of them, so together they stay within.
  std::int64_t share = 1;
};

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_s = 0;        // seconds until the full burst is available
  std::int64_t retry_after_s = 0;  // when denied
};

class RateLimiter {
 public:
  // `local` keeps the fallback counts (kLocal); an in-process store.
  RateLimiter(kv::KvStore& kv, std::map<std::string, RatePolicy, std::less<>> policies, Metrics& metrics,
              RateFallback fallback = {}, std::unique_ptr<kv::KvStore> local = nullptr);

  // A policy of a module's own (replacing one of that name).
  void AddPolicy(std::string name, RatePolicy policy) { policies_[std::move(name)] = policy; }

  // Counts one request against `policy` for `subject` (an IP, a user id, an e-mail). A KV failure is counted
  // and handled by the fallback (open: let through; local: this process's share; closed: refused); nullopt
  // when the policy is unknown or the request is let through uncounted.
  Task<std::optional<RateDecision>> Check(std::string_view policy, std::string_view subject);

  // RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (and Retry-After when denied).
  static void AddHeaders(const RateDecision& decision, Response& response);

 private:
  RateDecision Decide(const RatePolicy& policy, std::string_view policy_name, const kv::GcraDecision& state);

  kv::KvStore& kv_;
  std::map<std::string, RatePolicy, std::less<>> policies_;
  const RateFallback fallback_;
  std::unique_ptr<kv::KvStore> local_;
  prometheus::Family<prometheus::Counter>& limited_;
  prometheus::Counter& kv_failures_;
};

}  // namespace keel::http
