// ModelPlatform: building the serving parts from ml.*, and the cache → single-flight → batch path.
#include "ml/model_platform.hpp"

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/readiness.hpp"
#include "ml/ml_config.hpp"
#include "ml/prediction_cache.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/kv/redis/redis_url.hpp"
#include "storage/kv/tiered_kv.hpp"

namespace keel::ml {

Result<std::unique_ptr<ModelPlatform>> ModelPlatform::Create(const Config& c, sql::Database& database,
                                                             kv::KvStore& shared, pubsub::PubSub& pubsub,
                                                             const Clock& clock, BlockingPool& pool,
                                                             Metrics& metrics) {
  const MlOptions ml = MlOptions::Read(c);
  auto specs = ParseServedModels(ml.models, ml.batching, BatcherOptions{ml.max_batch, ml.max_delay});
  if (!specs) return std::move(specs).error();
  std::unique_ptr<ModelPlatform> platform(new ModelPlatform());
  platform->pool_ = &pool;
  platform->clock_ = &clock;
  platform->poll_ = ml.reload_poll;
  platform->root_ = ml.model_dir;
  ModelServerOptions server;
  server.eager = std::move(specs).value();
  server.serve_registry = ml.serve_registry;
  server.max_loaded = ml.max_loaded_models;
  platform->server_ = std::make_unique<ModelServer>(platform->root_, std::move(server), metrics);
  if (ml.cache_enabled) {
    kv::MemoryKvOptions cache;
    cache.max_bytes = ml.cache_max_bytes;
    auto near = std::make_unique<kv::MemoryKv>(cache, clock);
    platform->cache_near_ = near.get();
    std::unique_ptr<kv::KvStore> store = std::move(near);
    // Scaled out: Redis behind the in-process level, so one instance's prediction is every instance's hit.
    if (kv::IsRedisUrl(c.String("kv.url")))
      store = std::make_unique<kv::TieredKv>(std::move(store), shared, ml.cache_ttl);
    platform->cache_ = std::make_unique<PredictionCache>(std::move(store), ml.cache_ttl, metrics);
  }
  if (ml.log_enabled) {
    PredictionLogOptions log;
    log.queue_limit = ml.log_queue_limit;
    log.batch_rows = ml.log_batch_rows;
    log.flush_interval = ml.log_flush;
    platform->log_ = std::make_unique<PredictionLog>(database, log, metrics);
  }
  platform->traffic_ = std::make_unique<TrafficRouter>(database, pubsub, clock, pool, platform->root_,
                                                       ml.traffic_poll, metrics);
  // Shadow rows may fill half the log's queue: the other half stays for the rows clients were given.
  platform->shadows_ = std::make_unique<ShadowRunner>(platform->log_.get(), ml.log_queue_limit / 2, clock,
                                                      ml.shadow_queue_rows, metrics);
  return platform;
}

ModelPlatform::~ModelPlatform() { Stop(); }

void ModelPlatform::Start(Readiness& readiness) {
  if (log_) log_->Start();
  // Only a process that serves HTTP loads models, so only its /ready waits for them (a `keel worker`'s ops
  // port does not).
  if (server_->EagerCount() > 0)
    readiness.Add("models", [server = server_.get()]() -> Task<Result<void>> { co_return server->Ready(); });
  server_->Start(poll_);
  traffic_->Start();
  shadows_->Start();
  started_ = true;
}

void ModelPlatform::Stop() {
  if (!started_) return;
  started_ = false;
  traffic_->Stop();
  server_->Stop();
  shadows_->Stop();        // before the log: the shadows' last rows are logged too
  if (log_) log_->Stop();  // after the batchers: what the last requests queued is written
}

Task<Result<ModelPlatform::Predictions>> ModelPlatform::Predict(std::shared_ptr<const LoadedModel> model,
                                                                std::vector<float> values, std::size_t rows) {
  const std::size_t width = model->meta.features.size();
  auto row = [&values, width](std::size_t i) {
    return std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(i * width),
                              values.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
  };
  Predictions out{std::vector<double>(rows), std::vector<bool>(rows, false)};
  std::vector<std::string> keys;
  std::vector<SingleFlight::Ticket> tickets;
  std::vector<std::size_t> lead, follow;
  if (cache_) {
    keys.resize(rows);
    tickets.resize(rows);
    for (std::size_t i = 0; i < rows; ++i) {
      keys[i] = PredictionCache::Key(model->meta, row(i));
      if (auto cached = co_await cache_->Get(model->meta.name, keys[i])) {
        out.values[i] = *cached;
        out.cached[i] = true;
        continue;
      }
      tickets[i] = flights_.Join(keys[i]);
      (tickets[i].leader ? lead : follow).push_back(i);
    }
  } else {
    for (std::size_t i = 0; i < rows; ++i) lead.push_back(i);
  }

  Result<void> outcome = Ok();
  if (!lead.empty()) {
    std::vector<float> batch;
    if (lead.size() == rows) {
      batch = std::move(values);
    } else {
      batch.reserve(lead.size() * width);
      for (std::size_t i : lead) {
        auto one = row(i);
        batch.insert(batch.end(), one.begin(), one.end());
      }
    }
    auto predicted = co_await server_->Predict(model, std::move(batch), lead.size());
    for (std::size_t j = 0; j < lead.size(); ++j) {
      std::size_t i = lead[j];
      if (predicted) out.values[i] = (*predicted)[j];
      if (!cache_) continue;
      // Land before anything else can fail: followers wait on it.
      flights_.Land(keys[i], tickets[i],
                    predicted ? SingleFlight::Outcome(out.values[i]) : predicted.error());
      if (predicted) co_await cache_->Put(keys[i], out.values[i]);
    }
    if (!predicted) outcome = predicted.error();
  }
  for (std::size_t i : follow) {
    auto landed = co_await SingleFlight::Wait(tickets[i].flight);
    if (!landed) {
      outcome = landed.error();
      continue;
    }
    out.values[i] = *landed;
  }
  if (!outcome) co_return std::move(outcome).error();
  co_return out;
}

ModelPlatform::Routing ModelPlatform::Route(std::shared_ptr<const LoadedModel> model,
                                            const http::Request& request) const {
  Routing routing;
  routing.plan = traffic_->Find(model->meta.name);
  if (!routing.plan) {
    routing.model = std::move(model);
    routing.input = &routing.model->meta;
    return routing;
  }
  routing.arm = &routing.plan->Choose(request);
  routing.model = routing.arm->model;
  routing.input = routing.plan->input;
  return routing;
}

void ModelPlatform::Shadow(const Routing& routing, std::vector<float> values, std::size_t rows) {
  if (routing.plan && !routing.plan->shadows->empty())
    shadows_->Submit(routing.plan->shadows, std::move(values), rows);
}

void ModelPlatform::Record(const Routing& routing, const std::vector<float>& values,
                           const std::vector<double>& predictions, const std::vector<bool>& cached,
                           std::chrono::steady_clock::duration latency) {
  if (routing.arm != nullptr) routing.arm->series.Observe(latency, predictions);
  if (!log_) return;
  const std::shared_ptr<const LoadedModel>& model = routing.model;
  std::shared_ptr<const ModelMeta> meta(model, &model->meta);
  const std::size_t width = model->meta.features.size();
  std::int64_t now = clock_->WallMillis();
  auto latency_us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  std::vector<PredictionRecord> records(predictions.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].at_ms = now;
    records[i].model = meta;
    records[i].features.assign(values.begin() + static_cast<std::ptrdiff_t>(i * width),
                               values.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
    records[i].prediction = predictions[i];
    records[i].latency_us = latency_us;
    records[i].cached = cached[i];
  }
  log_->Record(std::move(records));
}

Task<Result<std::shared_ptr<const LoadedModel>>> ModelPlatform::Load(std::string name) {
  if (auto loaded = server_->Get(name)) co_return loaded;
  co_return co_await RunBlocking(*pool_, [this, &name] { return server_->Acquire(name); });
}

Result<void> ModelPlatform::Announce(const std::string& name, const std::string& version) {
  if (auto announced = AnnounceVersion(root_, name, version); !announced) return announced;
  if (server_->Get(name)) {
    auto reloaded = server_->Reload(name);
    if (!reloaded) return std::move(reloaded).error();
  }
  return Ok();
}

CacheStats ModelPlatform::PredictionCacheStats() const {
  CacheStats stats;
  if (!cache_) return stats;
  stats.hits = cache_->hits();
  stats.misses = cache_->misses();
  stats.entries = cache_near_->Size();
  stats.bytes = cache_near_->Bytes();
  stats.evictions = cache_near_->Evictions();
  return stats;
}

Task<Result<ModelServer::ReloadOutcome>> ModelPlatform::Reload(std::string name) {
  co_return co_await RunBlocking(*pool_, [this, &name] { return server_->Reload(name); });
}

}  // namespace keel::ml
