// The App owns every component of a Keel process, starts them in order and stops them in reverse.
// Concrete backends are chosen here, once, from config URLs; everything else sees interfaces.
//
// Thread safety: Create, Migrate and Serve are called from main's thread; the accessors hand out components
// that are themselves thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/client_ip.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "storage/kv/kv_store.hpp"
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

namespace keel {

class App {
 public:
  // Opens storage and builds the route table. Does not listen yet.
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
  const Clock& clock() const { return clock_; }
  Metrics& metrics() { return *metrics_; }
  BlockingPool& pool() { return *pool_; }
  sql::Database& database() { return *database_; }
  kv::KvStore& kv() { return *kv_; }
  http::Router& router() { return *router_; }
  auth::IdentityService& identity() { return *identity_; }
  jobs::JobQueue& jobs() { return *job_queue_; }
  // Modules add their job kinds and periodic jobs here while the App is built.
  jobs::JobKinds& job_kinds() { return *job_kinds_; }
  // This process's workers, while they run (for the admin queue view); null otherwise.
  jobs::JobRuntime* job_runtime() { return job_runtime_.get(); }
  // Null when ratelimit.enabled is false.
  http::RateLimiter* rate_limiter() { return rate_limiter_.get(); }
  Readiness& readiness() { return readiness_; }

  // Modules keep their state alive for the App's lifetime through this.
  void Keep(std::shared_ptr<void> module_state) { modules_.push_back(std::move(module_state)); }

  // A module's background work that runs only while this process serves HTTP (not in `keel worker` or the
  // operator commands): started in order before the server listens, stopped in reverse order after the
  // requests drained (or the drain timed out) and before storage closes.
  struct Service {
    std::string name;
    std::function<void()> start;
    std::function<void()> stop;
  };
  void AddService(Service service) { services_.push_back(std::move(service)); }
  // The identity module installs the check that routes with `authenticated` go through.
  void SetAuthenticator(http::Authenticator authenticator) { authenticator_ = std::move(authenticator); }

 private:
  explicit App(Config config);
  // Starts the job workers of `queues` (all of jobs.queues when empty).
  Result<void> StartWorkers(const std::vector<std::string>& queues, int concurrency, bool scheduler);
  // Stops them within jobs.drain_timeout_ms; false when a handler would not stop.
  bool StopWorkers();
  void StopServices();

  Config config_;
  SteadyClock clock_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<BlockingPool> pool_;
  std::unique_ptr<sql::Database> database_;
  std::unique_ptr<kv::KvStore> kv_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::RateLimiter> rate_limiter_;
  std::unique_ptr<jobs::JobKinds> job_kinds_;
  std::unique_ptr<jobs::JobMetrics> job_metrics_;
  std::unique_ptr<jobs::JobStore> job_store_;
  std::unique_ptr<jobs::JobQueue> job_queue_;
  std::unique_ptr<jobs::JobRuntime> job_runtime_;
  // Scaled out: wakes this process's workers when another process enqueues (PostgreSQL NOTIFY).
  std::unique_ptr<sql::NotificationListener> job_listener_;
  Readiness readiness_;
  http::TrustedProxies trusted_proxies_;
  http::Authenticator authenticator_;
  auth::IdentityService* identity_ = nullptr;   // owned through modules_
  std::vector<std::shared_ptr<void>> modules_;  // destroyed before the components they use
  std::vector<Service> services_;
  std::size_t services_started_ = 0;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so that Serve can wait
// for them with sigwait. Call first thing in `serve`, before anything starts a thread.
void BlockShutdownSignals();

}  // namespace keel
