// RateLimiter: policy lookup, the GCRA call, and the RateLimit-* headers.
#include "http/rate_limiter.hpp"

#include <fmt/format.h>

namespace keel::http {
namespace {

std::int64_t CeilSeconds(std::chrono::nanoseconds ns) { return (ns.count() + 999'999'999) / 1'000'000'000; }

}  // namespace

RateLimiter::RateLimiter(kv::KvStore& kv, std::map<std::string, RatePolicy, std::less<>> policies,
                         Metrics& metrics, RateFallback fallback, std::unique_ptr<kv::KvStore> local)
    : kv_(kv),
      policies_(std::move(policies)),
      fallback_(fallback),
      local_(std::move(local)),
      limited_(prometheus::BuildCounter()
                   .Name("keel_ratelimit_rejections_total")
                   .Help("Requests refused with 429, by rate-limit policy.")
                   .Register(metrics.registry())),
      kv_failures_(
          prometheus::BuildCounter()
              .Name("keel_ratelimit_store_failures_total")
              .Help(
                  "Rate-limit checks that could not reach the KV store (handled by ratelimit.store_failure).")
              .Register(metrics.registry())
              .Add({})) {}

Task<std::optional<RateDecision>> RateLimiter::Check(std::string_view policy_name, std::string_view subject) {
  auto policy = policies_.find(policy_name);
  if (policy == policies_.end()) co_return std::nullopt;
  const RatePolicy& p = policy->second;
  kv::GcraParams params{std::chrono::duration_cast<std::chrono::nanoseconds>(p.period) / p.limit, p.burst};
  const std::string key = fmt::format("ratelimit:{}:{}", policy_name, subject);
  auto state = co_await kv_.Gcra(key, params);
  if (state) co_return Decide(p, policy_name, *state);
  kv_failures_.Increment();
  if (fallback_.mode == RateFallback::Mode::kClosed) {
    kv::GcraDecision refused{.allowed = false, .retry_after = std::chrono::seconds(1)};
    co_return Decide(p, policy_name, refused);
  }
  if (fallback_.mode == RateFallback::Mode::kOpen || local_ == nullptr) co_return std::nullopt;
  // This process's share of the limit: the same emission interval times the share, a share of the burst.
  RatePolicy share = p;
  share.limit = std::max<std::int64_t>(1, p.limit / fallback_.share);
  share.burst = std::max<std::int64_t>(1, p.burst / fallback_.share);
  kv::GcraParams local_params{params.emission_interval * fallback_.share, share.burst};
  auto local = co_await local_->Gcra(key, local_params);
  if (!local) co_return std::nullopt;
  co_return Decide(share, policy_name, *local);
}

RateDecision RateLimiter::Decide(const RatePolicy& policy, std::string_view policy_name,
                                 const kv::GcraDecision& state) {
  RateDecision decision;
  decision.allowed = state.allowed;
  decision.limit = policy.limit;
  decision.remaining = state.remaining;
  decision.reset_s = CeilSeconds(state.reset_after);
  decision.retry_after_s = std::max<std::int64_t>(1, CeilSeconds(state.retry_after));
  if (!decision.allowed) limited_.Add({{"policy", std::string(policy_name)}}).Increment();
  return decision;
}

void RateLimiter::AddHeaders(const RateDecision& decision, Response& response) {
  response.headers.Set("RateLimit-Limit", std::to_string(decision.limit));
  response.headers.Set("RateLimit-Remaining", std::to_string(decision.remaining));
  response.headers.Set("RateLimit-Reset", std::to_string(decision.reset_s));
  if (!decision.allowed) response.headers.Set("Retry-After", std::to_string(decision.retry_after_s));
}

}  // namespace keel::http
