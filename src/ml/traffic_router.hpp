// Traffic plans as this instance applies them: for each model with a plan, the loaded versions that answer
// (with their weights) and those that shadow. Plans live in the database (ml/traffic_store.hpp); a change
// made through any instance is announced on the pub/sub channel models.traffic, and every instance also reads
// the table every ml.traffic_poll_ms, so a change reaches all of them within that period even when the
// announcement is lost. Versions are loaded and checked (LoadVersion: the validation sample must reproduce)
// before a plan is applied; a plan that cannot be applied here leaves the previous one in place.
//
// Thread safety: all methods are safe from any thread once Start returned; Start and Stop from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <utility>  // before Boost

#include <prometheus/counter.h>
#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/lasting_io_context.hpp"
#include "core/result.hpp"
#include "http/message.hpp"
#include "ml/model_registry.hpp"
#include "ml/shadow_runner.hpp"
#include "ml/traffic_plan.hpp"
#include "ml/traffic_store.hpp"
#include "ml/version_metrics.hpp"

namespace keel {
class BlockingPool;
namespace pubsub {
class PubSub;
class Subscription;
}  // namespace pubsub
}  // namespace keel

namespace keel::ml {

// The pub/sub channel plan changes are announced on; the message is the model's name.
inline constexpr std::string_view kTrafficChannel = "models.traffic";

// One model's plan with its versions loaded.
struct AppliedPlan {
  struct Arm {
    std::shared_ptr<const LoadedModel> model;
    VersionSeries series;
  };
  std::string model;
  TrafficPlan plan;
  std::int64_t revision = 0;
  std::int64_t updated_at_ms = 0;
  std::vector<Arm> served;                                    // parallel to plan.shares
  std::shared_ptr<const std::vector<ShadowVersion>> shadows;  // parallel to plan.shadow; never null
  // The meta.json requests are checked against, whichever version answers them (so a request's validity does
  // not depend on its draw): the served version with the largest weight's, the first by name on a tie.
  const ModelMeta* input = nullptr;

  // The arm that answers `request`: by its sticky header's value when the plan has one and the request
  // carries it, else at random.
  const Arm& Choose(const http::Request& request) const;
};

class TrafficRouter {
 public:
  TrafficRouter(sql::Database& db, pubsub::PubSub& pubsub, const Clock& clock, BlockingPool& pool,
                std::filesystem::path root, std::chrono::milliseconds poll, Metrics& metrics);
  ~TrafficRouter();

  // Applies the stored plans (a version that does not load is logged, and its model keeps no plan here),
  // subscribes to announcements and starts the watcher.
  void Start();
  void Stop();

  // The plan `model` follows here, or null (the common case, one atomic load when no model has a plan).
  std::shared_ptr<const AppliedPlan> Find(const std::string& model) const;

  // Checks and loads every version `plan` names (kInvalidArgument naming each that is missing, refused, or
  // takes other features than the first), stores the plan as the model's next revision, applies it here and
  // announces it.
  // REQUIRES: `model` is a model this server serves (the caller loaded it).
  Task<Result<void>> Set(std::string model, TrafficPlan plan);
  // Stores "no plan" as the next revision, applies it here and announces it.
  Task<Result<void>> Clear(std::string model);
  // What this instance does for the model: its plan, or {served_version: 100} with "source": "default".
  nlohmann::json Describe(const std::string& model, const std::string& served_version) const;

 private:
  struct Wake {
    std::mutex mutex;
    std::condition_variable signal;
    bool pending = false;   // GUARDED_BY(mutex)
    bool stopping = false;  // GUARDED_BY(mutex)
  };

  // The stored plan with its versions loaded (those the applied plan holds are reused), or, in one message,
  // why versions are not usable.
  Result<std::shared_ptr<AppliedPlan>> Build(const StoredTraffic& stored);
  // Installs `applied` (null: no plan) for `model` at `revision` unless a newer revision is installed.
  void Install(const std::string& model, std::int64_t revision, std::shared_ptr<const AppliedPlan> applied);
  // Reads the table and applies what changed (watcher thread).
  void Refresh();
  void Watch();

  TrafficStore store_;
  pubsub::PubSub& pubsub_;
  const Clock& clock_;
  BlockingPool& pool_;
  const std::filesystem::path root_;
  const std::chrono::milliseconds poll_;
  VersionMetrics metrics_;
  prometheus::Counter& apply_failures_;

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<const AppliedPlan>> plans_;  // GUARDED_BY(mutex_)
  std::map<std::string, std::int64_t> revisions_;  // GUARDED_BY(mutex_): installed, cleared ones included
  std::atomic<std::size_t> planned_{0};            // plans_.size(), read without the lock

  // Refresh's only (Start's thread, then the watcher's): revisions that failed to apply here, and when each
  // is tried again.
  std::map<std::string, std::pair<std::int64_t, std::chrono::steady_clock::time_point>> failed_;
  std::chrono::steady_clock::time_point last_read_error_;  // when an unreadable table was last logged
  std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();
  std::unique_ptr<pubsub::Subscription> announcements_, resubscribed_;
  LastingIoContext loop_;  // the watcher's event loop for its reads
  std::thread watcher_;
};

}  // namespace keel::ml
