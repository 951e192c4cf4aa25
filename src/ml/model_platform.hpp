// The model-serving platform: one component, configured by ml.*, that every app predicts through. It owns the
// model server (registry, validated hot swap, dynamic batching), the two-level prediction cache with
// single-flight, the prediction log, and the traffic plans (A/B tests and shadows between versions). Apps ask
// it for a model by name and get predictions; they keep only their routes and their input rules.
//
// Thread safety: every method is safe from any thread once Start returned, except Start and Stop (main's
// thread, once each).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/cache_catalog.hpp"
#include "core/result.hpp"
#include "ml/model_registry.hpp"
#include "ml/model_server.hpp"
#include "ml/prediction_log.hpp"
#include "ml/shadow_runner.hpp"
#include "ml/single_flight.hpp"
#include "ml/traffic_router.hpp"

namespace keel {
class BlockingPool;
class Clock;
class Config;
class Metrics;
class Readiness;
namespace kv {
class KvStore;
class MemoryKv;
}  // namespace kv
namespace pubsub {
class PubSub;
}
namespace sql {
class Database;
}
}  // namespace keel

namespace keel::ml {

class PredictionCache;

class ModelPlatform {
 public:
  // Reads ml.*; `shared` is the process's KV store, the cache's second level when it is Redis; `pubsub`
  // carries traffic-plan changes between instances. kInvalidArgument when ml.models or ml.batching do not
  // parse.
  static Result<std::unique_ptr<ModelPlatform>> Create(const Config& config, sql::Database& database,
                                                       kv::KvStore& shared, pubsub::PubSub& pubsub,
                                                       const Clock& clock, BlockingPool& pool,
                                                       Metrics& metrics);
  ~ModelPlatform();

  // Loads the served models (adding the "models" readiness check when any is served) and the traffic
  // plans, starts the registry and plan watchers, the shadow runner and the prediction log. Only a process
  // that serves HTTP calls it.
  void Start(Readiness& readiness);
  // Stops the watchers and the batchers, predicts the queued shadows, then flushes the prediction log.
  // Idempotent.
  void Stop();

  // True when ml.models names `name` (an eager model).
  bool Serves(const std::string& name) const { return server_->IsEager(name); }
  // The version served for `name` when it is loaded, or null.
  std::shared_ptr<const LoadedModel> Get(const std::string& name) const { return server_->Get(name); }
  // The version served for `name`, loading the model off the caller's thread when it is not loaded yet
  // (ml.serve_registry). kNotFound when the registry has no such model or version.
  Task<Result<std::shared_ptr<const LoadedModel>>> Load(std::string name);
  // Publishes a version a trainer of this process wrote into the registry: announces it on the change feed
  // (so every process hears of it) and reloads the model here when it is loaded.
  Result<void> Announce(const std::string& name, const std::string& version);

  // Which version answers one request: `model` itself, or, when its model has a traffic plan, the version
  // the plan picks for this request (`arm` names it, with the plan and its shadows).
  struct Routing {
    std::shared_ptr<const LoadedModel> model;
    std::shared_ptr<const AppliedPlan> plan;  // null: no plan
    const AppliedPlan::Arm* arm = nullptr;    // in *plan
    const ModelMeta* input = nullptr;  // what the request is checked against (`model`'s, or the plan's)
  };
  Routing Route(std::shared_ptr<const LoadedModel> model, const http::Request& request) const;

  struct Predictions {
    std::vector<double> values;  // one per row
    std::vector<bool> cached;    // whether each came from the cache
  };
  // One prediction per row of `values` (row-major, in the model's feature order): cache hits first, then one
  // batched predict for the rows this request leads, then the rows an identical concurrent request was
  // already computing.
  // REQUIRES: values.size() == rows * model->meta.features.size().
  Task<Result<Predictions>> Predict(std::shared_ptr<const LoadedModel> model, std::vector<float> values,
                                    std::size_t rows);

  // Records served predictions in the prediction log (nothing when ml.log_enabled is false) and, for a
  // planned model, in its version's metrics. `predictions` are the values the client was given.
  void Record(const Routing& routing, const std::vector<float>& values,
              const std::vector<double>& predictions, const std::vector<bool>& cached,
              std::chrono::steady_clock::duration latency);
  // Hands a request's rows to the plan's shadow versions, if it has any (after the client's answer is made).
  void Shadow(const Routing& routing, std::vector<float> values, std::size_t rows);

  // The traffic plans (the admin routes set and show them here).
  TrafficRouter& traffic() { return *traffic_; }

  // One page of the registry's models with their versions on disk and the one served.
  nlohmann::json Catalog(std::size_t offset, std::size_t limit, std::size_t& total) const {
    return server_->Catalog(offset, limit, total);
  }

  // The prediction cache's counts (all zero when ml.cache_enabled is false), for /cache-stats.
  CacheStats PredictionCacheStats() const;

  // Reloads `name` off the caller's thread (see ModelServer::Reload).
  Task<Result<ModelServer::ReloadOutcome>> Reload(std::string name);

 private:
  ModelPlatform() = default;

  BlockingPool* pool_ = nullptr;
  const Clock* clock_ = nullptr;  // prediction-log timestamps
  std::unique_ptr<ModelServer> server_;
  std::unique_ptr<PredictionCache> cache_;  // null when ml.cache_enabled is false
  kv::MemoryKv* cache_near_ = nullptr;      // the cache's in-process level, owned by cache_
  std::unique_ptr<PredictionLog> log_;      // null when ml.log_enabled is false
  std::unique_ptr<TrafficRouter> traffic_;
  std::unique_ptr<ShadowRunner> shadows_;
  SingleFlight flights_;
  std::filesystem::path root_;
  std::chrono::milliseconds poll_{0};
  bool started_ = false;
};

}  // namespace keel::ml
