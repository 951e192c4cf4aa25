// Serves the configured models: loads them from the registry at start and whenever their version directories
// change (polled) or an operator asks, and predicts through each model's dynamic batcher. Reload outcomes are
// logged and counted; the served version is exported as an info gauge; readiness means every model is served.
//
// Thread safety: all methods are safe from any thread once Start returned; Stop is idempotent.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
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
#include "ml/served_model_spec.hpp"

namespace keel::ml {

class ModelServer {
 public:
  ModelServer(std::filesystem::path root, std::vector<ServedModelSpec> specs, Metrics& metrics);
  ~ModelServer();

  // Starts the batchers, loads every model (a model without a valid version is logged and not ready) and,
  // when `poll` is positive, starts watching the registry directory that often.
  void Start(std::chrono::milliseconds poll);
  // Stops the watcher, then each batcher after it predicted what was queued.
  void Stop();

  struct ReloadOutcome {
    std::string version;               // served after the reload
    bool swapped = false;              // a different version than before
    std::vector<std::string> refused;  // why each refused candidate was refused
  };
  // Loads the newest valid version of `name` (or its pinned one) off the caller's thread. kNotFound for a
  // model this server does not serve or that has no version; kInvalidArgument when every candidate was
  // refused (the served version stays).
  Result<ReloadOutcome> Reload(const std::string& name);

  // The version served for `name`, or null (not loaded yet, or not served).
  std::shared_ptr<const LoadedModel> Get(const std::string& name) const { return registry_.Get(name); }

  // One prediction per row (row-major `values`) with `model`, through its batcher.
  // REQUIRES: `model` is a version of a model this server serves; values.size() == rows * its width.
  Task<Result<std::vector<double>>> Predict(std::shared_ptr<const LoadedModel> model,
                                            std::vector<float> values, std::size_t rows);

  // Every served model with its versions on disk and the one served.
  nlohmann::json Catalog() const;
  // Ok when every model is served; else kUnavailable naming those that are not.
  Result<void> Ready() const;

 private:
  struct Served {
    ServedModelSpec spec;
    // Set by Start; null when max_batch is 1 (predicted on the caller's thread).
    std::unique_ptr<DynamicBatcher> batcher;
    prometheus::Histogram* batch_size = nullptr;
    prometheus::Counter* reload_failures = nullptr;
    prometheus::Gauge* info = nullptr;       // GUARDED_BY(reload_mutex_)
    std::vector<std::string> seen_versions;  // GUARDED_BY(reload_mutex_): the directories at the last reload
  };

  void Watch(std::chrono::milliseconds poll);
  Result<ReloadOutcome> ReloadLocked(Served& served);

  ModelRegistry registry_;
  Metrics& metrics_;
  prometheus::Family<prometheus::Gauge>& info_family_;
  std::map<std::string, Served> models_;  // fixed after construction
  std::mutex reload_mutex_;               // one reload at a time
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool stopping_ = false;  // GUARDED_BY(watch_mutex_)
  std::thread watcher_;
};

}  // namespace keel::ml
