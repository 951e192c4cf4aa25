// PredictionCache: key layout, value encoding and the hit/miss counters.
#include "ml/prediction_cache.hpp"

#include <charconv>

namespace keel::ml {

PredictionCache::PredictionCache(std::unique_ptr<kv::KvStore> store, kv::Ttl ttl, Metrics& metrics)
    : store_(std::move(store)),
      ttl_(ttl),
      hits_(prometheus::BuildCounter()
                .Name("keel_model_cache_hits_total")
                .Help("Predictions answered from the prediction cache, by model.")
                .Register(metrics.registry())),
      misses_(prometheus::BuildCounter()
                  .Name("keel_model_cache_misses_total")
                  .Help("Predictions the cache did not have, by model.")
                  .Register(metrics.registry())) {}

std::string PredictionCache::Key(const ModelMeta& model, const std::vector<float>& row) {
  std::string key = "pred:";
  key.reserve(key.size() + model.name.size() + model.version.size() + row.size() * 10 + 2);
  key += model.name;
  key += ':';
  key += model.version;
  key += ':';
  key += CanonicalRow(row);
  return key;
}

PredictionCache::Counters& PredictionCache::For(const std::string& model) {
  std::lock_guard lock(mutex_);
  auto found = counters_.find(model);
  if (found == counters_.end())
    found =
        counters_.emplace(model, Counters{&hits_.Add({{"model", model}}), &misses_.Add({{"model", model}})})
            .first;
  return found->second;
}

Task<std::optional<double>> PredictionCache::Get(const std::string& model, const std::string& key) {
  auto stored = co_await store_->Get(key);
  double value = 0;
  bool hit = stored.ok() && stored->has_value();
  if (hit) {
    const std::string& text = **stored;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    hit = ec == std::errc() && end == text.data() + text.size();
  }
  Counters& counters = For(model);
  (hit ? counters.hits : counters.misses)->Increment();
  (hit ? hits_total_ : misses_total_).fetch_add(1, std::memory_order_relaxed);
  if (!hit) co_return std::nullopt;
  co_return value;
}

Task<void> PredictionCache::Put(const std::string& key, double prediction) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), prediction);
  (void)co_await store_->Set(key, std::string(buffer, end), ttl_);
}

}  // namespace keel::ml
