// CacheGenerations: fresh tokens, the pending keys, and the retry thread with its event loop.
#include "storage/kv/cache_generations.hpp"

#include <pthread.h>

#include <optional>
#include <random>
#include <utility>  // before Boost
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>

#include "core/log.hpp"

namespace keel::kv {
namespace {

// Unique, not secret: 128 random bits, so a replaced generation never comes back.
std::string FreshGeneration() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", random(), random());
}

}  // namespace

CacheGenerations::CacheGenerations(KvStore& kv, std::string cache, Ttl generation_ttl, Metrics& metrics,
                                   std::chrono::milliseconds retry_interval)
    : kv_(kv),
      cache_(std::move(cache)),
      generation_ttl_(generation_ttl),
      retry_interval_(retry_interval),
      pending_gauge_(prometheus::BuildGauge()
                         .Name("keel_cache_generations_pending")
                         .Help("Cache generations a write could not replace (KV store unreachable); entries "
                               "under them are bypassed until a retry replaces them.")
                         .Register(metrics.registry())
                         .Add({{"cache", cache_}})) {}

CacheGenerations::~CacheGenerations() { Stop(); }

void CacheGenerations::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CacheGenerations::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Task<std::optional<std::string>> CacheGenerations::Current(const std::string& key) {
  if (Pending(key)) co_return std::nullopt;
  auto generation = co_await kv_.Get(key);
  if (!generation) co_return std::nullopt;
  if (generation->has_value()) co_return **generation;
  std::string fresh = FreshGeneration();
  auto stored = co_await kv_.Set(key, fresh, generation_ttl_);
  if (!stored) co_return std::nullopt;
  co_return fresh;
}

Task<void> CacheGenerations::Replace(const std::string& key) {
  auto replaced = co_await kv_.Set(key, FreshGeneration(), generation_ttl_);
  if (!replaced) MarkPending(key);
}

bool CacheGenerations::Pending(const std::string& key) const {
  if (pending_count_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mutex_);
  return pending_.find(key) != pending_.end();
}

void CacheGenerations::MarkPending(const std::string& key) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = pending_.try_emplace(key, 0);
    ++it->second;
    first = inserted;
    Publish();
  }
  if (first)
    log::Warn("cache generation not replaced after a write; retrying, its entries are bypassed meanwhile",
              log::Fields().Add("cache", cache_).Add("key", key));
}

void CacheGenerations::Publish() {
  pending_count_.store(pending_.size(), std::memory_order_release);
  pending_gauge_.Set(static_cast<double>(pending_.size()));
}

std::size_t CacheGenerations::RetryNow() {
  std::lock_guard retrying(retry_mutex_);
  std::vector<std::pair<std::string, std::uint64_t>> owed;
  {
    std::lock_guard lock(mutex_);
    owed.assign(pending_.begin(), pending_.end());
  }
  for (const auto& [key, failures] : owed) {
    if (!ReplaceNow(key)) break;  // still away: the other keys would only wait for their timeouts too
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it != pending_.end() && it->second == failures) pending_.erase(it);
  }
  std::lock_guard lock(mutex_);
  Publish();
  return pending_.size();
}

bool CacheGenerations::ReplaceNow(const std::string& key) {
  // The KV API is asynchronous; this thread runs the one call on its own event loop, which outlives the call
  // (a backend's thread may still be leaving its post() when run() returns).
  io_.restart();
  std::optional<Result<void>> out;
  boost::asio::co_spawn(
      io_, [&]() -> Task<void> { out.emplace(co_await kv_.Set(key, FreshGeneration(), generation_ttl_)); },
      [](std::exception_ptr) {});
  io_.run();
  return out && out->ok();
}

void CacheGenerations::Run() {
  pthread_setname_np(pthread_self(), "keel-cachegen");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, retry_interval_, [this] { return stopping_; });
    if (pending_.empty()) continue;
    lock.unlock();
    RetryNow();
    lock.lock();
  }
  lock.unlock();
  if (std::size_t left = RetryNow(); left > 0)
    log::Warn("cache generations left unreplaced at shutdown; their old entries stay until they expire",
              log::Fields().Add("cache", cache_).Add("keys", std::uint64_t{left}));
}

}  // namespace keel::kv
