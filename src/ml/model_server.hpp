// Serves models from the registry. Two kinds:
//   - eager models (ml.models) load at start, stay loaded, predict through their dynamic batchers, carry
//     their own metric labels, and /ready waits for them;
//   - with ml.serve_registry, any other model in the registry loads on first use (Acquire), predicts on the
//     caller's thread, and at most ml.max_loaded_models of them stay loaded (least recently used unloaded).
// New versions arrive through the change feed (ml/registry_changes.hpp), polled every ml.reload_poll_ms at
// a cost that does not grow with the number of models; eager models' directories are also listed at each
// poll, so a version copied in by hand is found too. A reload or first load of one model holds only that
// model's lock: the others keep loading and predicting.
//
// Thread safety: all methods are safe from any thread once Start returned; Stop is idempotent.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "ml/batcher.hpp"
#include "ml/model_registry.hpp"
#include "ml/registry_changes.hpp"
#include "ml/served_model_spec.hpp"

namespace keel::ml {

struct ModelServerOptions {
  std::vector<ServedModelSpec> eager;  // ml.models with their batching
  bool serve_registry = true;          // load any other registry model on first use
  std::size_t max_loaded = 1000;       // loaded models besides the eager ones; LRU beyond
};

class ModelServer {
 public:
  ModelServer(std::filesystem::path root, ModelServerOptions options, Metrics& metrics);
  ~ModelServer();

  // Starts the eager models' batchers, loads them (a model without a valid version is logged and not ready)
  // and, when `poll` is positive, starts watching the registry that often.
  void Start(std::chrono::milliseconds poll);
  // Stops the watcher, then each batcher after it predicted what was queued.
  void Stop();

  struct ReloadOutcome {
    std::string version;               // served after the reload
    bool swapped = false;              // a different version than before
    std::vector<std::string> refused;  // why each refused candidate was refused
  };
  // Loads the newest valid version of `name` (or its pinned one) on the caller's thread; a model not loaded
  // yet becomes loaded (the trainer's way to add one). kNotFound for a name this server may not serve or
  // that has no version; kInvalidArgument when every candidate was refused (the served version stays).
  Result<ReloadOutcome> Reload(const std::string& name);

  // The version served for `name` when it is loaded, or null; marks it used.
  std::shared_ptr<const LoadedModel> Get(const std::string& name);
  // As Get, loading the model first when it is not (blocking: call it off the IO threads). Concurrent first
  // uses of one model wait for one load. kNotFound for a model this server may not serve or that has none.
  Result<std::shared_ptr<const LoadedModel>> Acquire(const std::string& name);

  // One prediction per row (row-major `values`) with `model`: through its batcher for an eager model, on
  // the caller's thread otherwise.
  // REQUIRES: values.size() == rows * its width.
  Task<Result<std::vector<double>>> Predict(std::shared_ptr<const LoadedModel> model,
                                            std::vector<float> values, std::size_t rows);

  // The registry's models in name order, page by page: versions on disk, the one served (when loaded) and
  // how each is served. `total` receives the number of models.
  nlohmann::json Catalog(std::size_t offset, std::size_t limit, std::size_t& total) const;
  // True for a model of ml.models.
  bool IsEager(const std::string& name) const { return eager_.contains(name); }
  std::size_t EagerCount() const { return eager_.size(); }
  // Ok when every eager model is served; else kUnavailable naming those that are not.
  Result<void> Ready() const;
  // Models loaded now (eager ones included).
  std::size_t Loaded() const;

 private:
  struct Served {
    ServedModelSpec spec;
    bool eager = false;
    std::mutex load_mutex;                    // one load or reload of this model at a time
    std::unique_ptr<DynamicBatcher> batcher;  // eager models with max_batch > 1, set by Start
    prometheus::Histogram* batch_size = nullptr;
    prometheus::Counter* reload_failures = nullptr;
    prometheus::Gauge* info = nullptr;       // GUARDED_BY(load_mutex)
    std::vector<std::string> seen_versions;  // GUARDED_BY(load_mutex): the directories at the last load
  };

  // The entry of `name`, created for a registry model when `create` (null when it may not be served).
  std::shared_ptr<Served> Find(const std::string& name, bool create);
  Result<ReloadOutcome> ReloadLocked(Served& served);
  // Marks a loaded dynamic model used and unloads the least recently used beyond max_loaded.
  void Touch(const std::string& name);
  void Forget(const std::string& name);
  void Watch(std::chrono::milliseconds poll);

  ModelRegistry registry_;
  const ModelServerOptions options_;
  Metrics& metrics_;
  prometheus::Family<prometheus::Gauge>& info_family_;
  prometheus::Family<prometheus::Histogram>& batch_sizes_;
  prometheus::Family<prometheus::Counter>& reload_failures_;
  prometheus::Histogram* dynamic_batch_size_;
  prometheus::Counter* dynamic_reload_failures_;
  prometheus::Counter& loads_;
  prometheus::Counter& evictions_;
  prometheus::Gauge& loaded_;

  // Fixed after construction: read without a lock.
  std::map<std::string, std::shared_ptr<Served>> eager_;
  // On-demand models seen so far.
  mutable std::shared_mutex models_mutex_;
  std::map<std::string, std::shared_ptr<Served>> models_;  // GUARDED_BY(models_mutex_)

  std::mutex lru_mutex_;
  std::list<std::string> lru_;  // GUARDED_BY(lru_mutex_): loaded dynamic models, most recent first
  std::map<std::string, std::list<std::string>::iterator> lru_index_;  // GUARDED_BY(lru_mutex_)

  ChangeFeed feed_;  // the watcher's only
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool stopping_ = false;  // GUARDED_BY(watch_mutex_)
  std::thread watcher_;
};

}  // namespace keel::ml
