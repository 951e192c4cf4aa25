// The composition root: the App owns every component of a Keel process and the modules (app/modules.hpp),
// starts them in order and stops them in reverse. Concrete backends are chosen here, once, from config URLs;
// modules see the platform only through their ModuleContext.
//
// Thread safety: Create, Migrate and Serve are called from main's thread; the accessors hand out components
// that are themselves thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/cache_catalog.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/client_ip.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "jobs/jobs_config.hpp"
#include "module/module.hpp"
#include "storage/blobs/blob_store.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/pubsub/pubsub.hpp"
#include "storage/sql/database.hpp"

namespace keel::auth {
class IdentityService;
}
namespace keel::jobs {
class JobKinds;
class JobMetrics;
class JobQueue;
class JobRuntime;
class JobStore;
}  // namespace keel::jobs
namespace keel::ml {
class ModelPlatform;
}

namespace keel {

class App {
 public:
  // Opens storage, builds the platform components and registers every module. Does not listen yet.
  // REQUIRES: `config` was loaded against FullConfigSchema().
  static Result<std::unique_ptr<App>> Create(Config config);
  ~App();

  // Applies pending SQL migrations (blocking).
  Result<sql::MigrationReport> Migrate();

  // Listens and serves until SIGTERM or SIGINT, then drains. In embedded mode (jobs.workers) it also runs the
  // job workers and the scheduler. Returns the process exit code.
  // REQUIRES: BlockShutdownSignals() was called before any thread was started.
  int Serve();

  // Runs job workers only (`keel worker`) until SIGTERM or SIGINT. `queues` empty: jobs.queues; otherwise
  // these queues, each with up to `concurrency` workers (0: as jobs.queues says, else 4).
  // REQUIRES: as Serve.
  int Work(const std::vector<std::string>& queues, int concurrency);

  const Config& config() const { return config_; }
  http::Router& router() { return *router_; }
  // The served OpenAPI document: the platform's base merged with every module's part.
  const std::string& openapi() const { return *openapi_; }
  // The identity module's service, for operator commands (`keel users create`).
  auth::IdentityService& identity();
  // The registered module named `name` (Module::Name), for operator commands; null when there is none.
  Module* FindModule(std::string_view name);

 private:
  class Context;
  explicit App(Config config);
  // Starts the job workers of `queues` (all of jobs.queues when empty).
  Result<void> StartWorkers(const std::vector<std::string>& queues, int concurrency, bool scheduler);
  // Stops them within jobs.drain_timeout_ms; false when a handler would not stop.
  bool StopWorkers();
  // Starts each module's background work in order; stops those started in reverse.
  void StartModules();
  void StopModules();

  Config config_;
  jobs::JobsOptions jobs_options_;
  SystemClock clock_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<BlockingPool> pool_;
  std::unique_ptr<sql::Database> database_;
  std::unique_ptr<kv::KvStore> kv_;
  std::unique_ptr<pubsub::PubSub> pubsub_;
  std::unique_ptr<blobs::BlobStore> blobs_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::RateLimiter> rate_limiter_;
  std::unique_ptr<jobs::JobKinds> job_kinds_;
  std::unique_ptr<jobs::JobMetrics> job_metrics_;
  std::unique_ptr<jobs::JobStore> job_store_;
  std::unique_ptr<jobs::JobQueue> job_queue_;
  std::unique_ptr<jobs::JobRuntime> job_runtime_;
  std::unique_ptr<ml::ModelPlatform> models_;
  // Scaled out: wakes this process's workers when another process enqueues (PostgreSQL NOTIFY).
  std::unique_ptr<sql::NotificationListener> job_listener_;
  Readiness readiness_;
  CacheCatalog caches_;
  http::TrustedProxies trusted_proxies_;
  http::Authenticator authenticator_;
  std::shared_ptr<const std::string> openapi_;
  std::unique_ptr<Context> context_;
  std::vector<std::unique_ptr<Module>> modules_;  // destroyed before the components they use
  std::size_t modules_started_ = 0;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so that Serve can wait
// for them with sigwait. Call first thing in `serve`, before anything starts a thread.
void BlockShutdownSignals();

}  // namespace keel
