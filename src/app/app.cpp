// App: component construction, module registration, the serve loop and graceful shutdown.
#include "app/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "app/modules.hpp"
#include "auth/identity_module.hpp"
#include "core/descriptor_limit.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "http/openapi_document.hpp"
#include "http/ops_routes.hpp"
#include "http/pipeline.hpp"
#include "http/server.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_metrics.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_runtime.hpp"
#include "jobs/job_store.hpp"
#include "jobs/jobs_config.hpp"
#include "jobs/queue_spec.hpp"
#include "ml/model_platform.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/kv/redis/redis_url.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel {
namespace {

std::string InstanceId(const Config& config) {
  const std::string& configured = config.String("server.instance_id");
  if (!configured.empty()) return configured;
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

// Unique per process, readable in the admin views: instance, pid and a random suffix (pids repeat across
// containers).
std::string WorkerId(const Config& config) {
  std::random_device random;
  return fmt::format("{}/{}/{:04x}", InstanceId(config), getpid(), random() & 0xffff);
}

// The Redis servers behind the KV store and whether each answers, for /ready.
Task<Readiness::NodeStates> KvNodeStates(kv::KvStore& kv) {
  std::vector<kv::KvNode> nodes = co_await kv.Nodes();
  Readiness::NodeStates states;
  for (const auto& node : nodes) {
    std::string state = node.role;
    state += node.reachable ? ": reachable" : ": unreachable";
    states.emplace_back(node.name, std::move(state));
  }
  co_return states;
}

void WaitForShutdownSignal(int& signal_number) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigwait(&signals, &signal_number);
}

int IoThreads(const Config& config) {
  auto configured = config.Int("server.io_threads");
  if (configured > 0) return static_cast<int>(configured);
  return std::max(1U, std::thread::hardware_concurrency());
}

}  // namespace

// What modules see of the App while they register.
class App::Context final : public ModuleContext {
 public:
  explicit Context(App& app) : app_(app) {}
  const Config& config() const override { return app_.config_; }
  const Clock& clock() const override { return app_.clock_; }
  Metrics& metrics() override { return *app_.metrics_; }
  BlockingPool& pool() override { return *app_.pool_; }
  sql::Database& database() override { return *app_.database_; }
  kv::KvStore& kv() override { return *app_.kv_; }
  pubsub::PubSub& pubsub() override { return *app_.pubsub_; }
  blobs::BlobStore& blobs() override { return *app_.blobs_; }
  http::Router& router() override { return *app_.router_; }
  http::RateLimiter* rate_limiter() override { return app_.rate_limiter_.get(); }
  Readiness& readiness() override { return app_.readiness_; }
  jobs::JobQueue& jobs() override { return *app_.job_queue_; }
  jobs::JobKinds& job_kinds() override { return *app_.job_kinds_; }
  ml::ModelPlatform& models() override { return *app_.models_; }
  CacheCatalog& caches() override { return app_.caches_; }
  void SetAuthenticator(http::Authenticator authenticator) override {
    app_.authenticator_ = std::move(authenticator);
  }

 private:
  App& app_;
};

void BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

App::App(Config config) : config_(std::move(config)) {}

App::~App() {
  if (pool_) pool_->Stop();
  modules_.clear();  // before the storage and pools they point into
  models_.reset();
}

auth::IdentityService& App::identity() {
  for (auto& module : modules_)
    if (auto* identity = dynamic_cast<auth::IdentityModule*>(module.get())) return identity->service();
  throw std::logic_error("the module list has no identity module");
}

Module* App::FindModule(std::string_view name) {
  for (auto& module : modules_)
    if (module->Name() == name) return module.get();
  return nullptr;
}

Result<std::unique_ptr<App>> App::Create(Config config) {
  std::unique_ptr<App> app(new App(std::move(config)));
  const Config& c = app->config_;
  log::SetLevel(log::ParseLevel(c.String("log.level")));
  app->metrics_ = std::make_unique<Metrics>();
  app->pool_ =
      std::make_unique<BlockingPool>("blocking", static_cast<std::size_t>(c.Int("pool.threads")),
                                     static_cast<std::size_t>(c.Int("pool.queue_limit")), *app->metrics_);
  auto database = sql::OpenDatabase(c, *app->metrics_);
  if (!database) return std::move(database).error();
  app->database_ = std::move(database).value();
  auto kv = kv::OpenKvStore(c, app->clock_, *app->metrics_);
  if (!kv) return std::move(kv).error();
  app->kv_ = std::move(kv).value();
  auto pubsub = pubsub::OpenPubSub(c, *app->metrics_);
  if (!pubsub) return std::move(pubsub).error();
  app->pubsub_ = std::move(pubsub).value();
  app->blobs_ = std::make_unique<blobs::BlobStore>(c.String("blobs.path"));
  if (auto opened = app->blobs_->Open(); !opened) return std::move(opened).error();

  if (c.Bool("ratelimit.enabled")) {
    auto policy = [&c](const char* group, const char* per, std::chrono::seconds period) {
      return http::RatePolicy{c.Int(fmt::format("ratelimit.{}_{}", group, per)), period,
                              c.Int(fmt::format("ratelimit.{}_burst", group))};
    };
    std::map<std::string, http::RatePolicy, std::less<>> policies = {
        {"auth", policy("auth", "per_minute", std::chrono::seconds(60))},
        {"login", policy("login", "per_hour", std::chrono::seconds(3600))},
        {"api", policy("api", "per_minute", std::chrono::seconds(60))},
        {"user", policy("user", "per_minute", std::chrono::seconds(60))},
    };
    const std::string& on_failure = c.String("ratelimit.store_failure");
    http::RateFallback fallback{on_failure == "local"    ? http::RateFallback::Mode::kLocal
                                : on_failure == "closed" ? http::RateFallback::Mode::kClosed
                                                         : http::RateFallback::Mode::kOpen,
                                c.Int("ratelimit.local_share")};
    auto local = std::make_unique<kv::MemoryKv>(kv::MemoryKvOptions{}, app->clock_, nullptr);
    app->rate_limiter_ = std::make_unique<http::RateLimiter>(*app->kv_, std::move(policies), *app->metrics_,
                                                             fallback, std::move(local));
  }

  app->readiness_.Add("database", [db = app->database_.get()] { return db->Ping(); });
  // The service answers without Redis (caches bypassed, rate limits on their fallback): a degradation.
  if (kv::IsRedisUrl(c.String("kv.url"))) {
    app->readiness_.AddDegradable("kv", [kv = app->kv_.get()] { return kv->Ping(); });
    app->readiness_.AddNodes("kv", [kv = app->kv_.get()] { return KvNodeStates(*kv); });
  }
  auto proxies = http::TrustedProxies::Parse(c.List("server.trusted_proxies"));
  if (!proxies) return std::move(proxies).error();
  app->trusted_proxies_ = std::move(proxies).value();
  app->router_ = std::make_unique<http::Router>();
  app->jobs_options_ = jobs::JobsOptions::Read(c);
  if (auto queues = jobs::ParseQueueSpecs(app->jobs_options_.queues); !queues)
    return Error{ErrorCode::kInvalidArgument, "jobs.queues: " + queues.error().message};
  app->job_kinds_ = std::make_unique<jobs::JobKinds>();
  app->job_metrics_ = std::make_unique<jobs::JobMetrics>(*app->metrics_);
  app->job_store_ = std::make_unique<jobs::JobStore>(*app->database_);
  // Every instance's job event streams hear of a change wherever it happened (a worker in another process).
  app->job_store_->SetChangeListener(
      [pubsub = app->pubsub_.get()](std::int64_t id) { pubsub->Publish(jobs::JobChannel(id), ""); });
  app->job_queue_ =
      std::make_unique<jobs::JobQueue>(*app->job_store_, *app->job_kinds_, *app->job_metrics_, app->clock_);
  auto models = ml::ModelPlatform::Create(c, *app->database_, *app->kv_, *app->pubsub_, app->clock_,
                                          *app->pool_, *app->metrics_);
  if (!models) return std::move(models).error();
  app->models_ = std::move(models).value();
  ml::ModelPlatform* platform = app->models_.get();
  app->caches_.Add("predictions", [platform] { return platform->PredictionCacheStats(); });

  app->context_ = std::make_unique<Context>(*app);
  app->modules_ = Modules();
  std::vector<http::OpenApiPart> openapi_parts;
  for (auto& module : app->modules_) {
    if (auto registered = module->Register(*app->context_); !registered) return registered.error();
    if (!module->OpenApi().empty()) openapi_parts.push_back({module->Name(), module->OpenApi()});
  }
  auto openapi = http::MergeOpenApi(http::OpenApiBase(), openapi_parts);
  if (!openapi) return std::move(openapi).error();
  // The ops routes serve the document, and the document declares what the pipeline answers on every
  // route, theirs included: fill it in once all are routed.
  auto document = std::make_shared<std::string>();
  http::AddOpsRoutes(*app->router_, *app->metrics_, app->readiness_, document, &app->caches_);
  *document = http::DeclarePlatformAnswers(*openapi, *app->router_);
  app->openapi_ = std::move(document);
  return app;
}

Result<sql::MigrationReport> App::Migrate() {
  return database_->Migrate(AllMigrations(database_->Backend()));
}

int App::Serve() {
  const Config& c = config_;
  log::Start(log::ParseLevel(c.String("log.level")));
  // Every keep-alive connection holds a descriptor: take what the hard limit allows.
  if (auto limit = RaiseDescriptorLimit())
    log::Info("descriptor limit", log::Fields()
                                      .Add("before", static_cast<std::int64_t>(limit->before))
                                      .Add("now", static_cast<std::int64_t>(limit->after)));
  else
    log::Warn("descriptor limit not raised", log::Fields().Add("error", limit.error().message));

  http::PipelineOptions pipeline_options;
  pipeline_options.default_body_limit = static_cast<std::size_t>(c.Int("server.max_body_bytes"));
  pipeline_options.cors_allowed_origins = c.List("cors.allowed_origins");
  pipeline_options.cors_max_age_s = static_cast<int>(c.Int("cors.max_age_s"));
  pipeline_options.compression = c.Bool("compression.enabled");
  pipeline_options.compression_min_bytes = static_cast<std::size_t>(c.Int("compression.min_bytes"));
  pipeline_options.compression_level = static_cast<int>(c.Int("compression.level"));
  pipeline_options.access_log = c.Bool("log.access");
  pipeline_options.instance_id = InstanceId(c);
  pipeline_options.authenticate = authenticator_;
  pipeline_options.rate_limiter = rate_limiter_.get();
  pipeline_options.trusted_proxies = trusted_proxies_;
  http::Pipeline pipeline(*router_, pipeline_options, *metrics_);

  http::ServerOptions server_options;
  server_options.host = c.String("server.host");
  server_options.port = static_cast<std::uint16_t>(c.Int("server.port"));
  server_options.io_threads = IoThreads(c);
  server_options.header_timeout = std::chrono::milliseconds(c.Int("server.header_timeout_ms"));
  server_options.idle_timeout = std::chrono::milliseconds(c.Int("server.idle_timeout_ms"));
  server_options.body_timeout = std::chrono::milliseconds(c.Int("server.body_timeout_ms"));
  server_options.write_timeout = std::chrono::milliseconds(c.Int("server.write_timeout_ms"));
  server_options.max_header_bytes = static_cast<std::size_t>(c.Int("server.max_header_bytes"));
  StartModules();
  http::Server server(server_options, pipeline, *metrics_);
  if (auto started = server.Start(); !started) {
    log::Error("cannot start", log::Fields().Add("error", started.error().message));
    StopModules();
    log::Stop();
    return 1;
  }
  log::Info("listening", log::Fields()
                             .Add("host", server_options.host)
                             .Add("port", static_cast<int>(server.Port()))
                             .Add("io_threads", server_options.io_threads)
                             .Add("instance", pipeline_options.instance_id)
                             .Add("version", kVersion)
                             .Add("embedded", c.Embedded()));

  if (jobs_options_.workers) {
    if (auto started = StartWorkers({}, 0, jobs_options_.scheduler); !started) {
      log::Error("cannot start job workers", log::Fields().Add("error", started.error().message));
      server.Stop();
      StopModules();
      log::Stop();
      return 1;
    }
  }

  int signal_number = 0;
  WaitForShutdownSignal(signal_number);

  auto drain_timeout = std::chrono::milliseconds(c.Int("server.drain_timeout_ms"));
  log::Info("draining", log::Fields()
                            .Add("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
                            .Add("in_flight", pipeline.InFlight())
                            .Add("drain_timeout_ms", static_cast<std::int64_t>(drain_timeout.count())));
  readiness_.SetDraining();
  // Workers drain alongside the HTTP requests; jobs enqueued meanwhile are durable and wait for the next
  // worker.
  bool workers_stopped = true;
  std::thread stop_workers([this, &workers_stopped] { workers_stopped = StopWorkers(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(c.Int("server.drain_delay_ms")));
  server.BeginDrain();
  bool drained = server.WaitDrained(drain_timeout);
  stop_workers.join();
  if (!drained || !workers_stopped) {
    log::Warn("drain timeout passed; abandoning the requests or job handlers still running",
              log::Fields().Add("connections", static_cast<std::uint64_t>(server.Connections())));
    StopModules();  // flushes what the requests that did finish queued (the prediction log)
    log::Stop();
    // Their coroutines may hold database leases and pool work in flight; tearing that down piecemeal is
    // riskier than ending the process, and every acknowledged write is already committed.
    std::_Exit(0);
  }
  // Join everything that can post into the IO threads' io_contexts before those are destroyed with the
  // server.
  server.Stop();
  StopModules();
  pool_->Stop();
  // The database before the job runtime: a PostgreSQL thread that just answered the runtime's last write
  // (a lease released at shutdown) may still be letting go of the runtime's io_context, which the runtime
  // destroys. Closing the database joins that thread first.
  database_.reset();
  job_runtime_.reset();
  log::Info("stopped", log::Fields().Add("drained", drained));
  log::Stop();
  return 0;
}

Result<void> App::StartWorkers(const std::vector<std::string>& queues, int concurrency, bool scheduler) {
  const Config& c = config_;
  auto configured = jobs::ParseQueueSpecs(jobs_options_.queues);
  if (!configured) return std::move(configured).error();
  std::vector<jobs::QueueOptions> selected;
  if (queues.empty()) selected = *configured;
  for (const auto& name : queues) {
    auto found = std::find_if(configured->begin(), configured->end(),
                              [&](const jobs::QueueOptions& q) { return q.name == name; });
    auto spec = jobs::ParseQueueSpecs({name});
    if (!spec) return std::move(spec).error();
    selected.push_back(found != configured->end() ? *found : spec->front());
  }
  if (concurrency > 0)
    for (auto& queue : selected) {
      queue.max_workers = concurrency;
      queue.min_workers = std::min(queue.min_workers, concurrency);
    }
  jobs::RuntimeOptions options;
  options.worker_id = WorkerId(c);
  options.queues = std::move(selected);
  options.poll_interval = jobs_options_.poll_interval;
  options.lease = jobs_options_.lease;
  options.heartbeat = jobs_options_.heartbeat;
  options.rescue_interval = jobs_options_.rescue_interval;
  options.idle_worker_timeout = jobs_options_.idle_worker_timeout;
  options.scheduler = scheduler;
  job_runtime_ =
      std::make_unique<jobs::JobRuntime>(*job_store_, *job_kinds_, *job_metrics_, clock_, std::move(options));
  job_runtime_->Start();
  job_queue_->SetRuntime(job_runtime_.get());
  // Jobs other processes enqueue (an API instance, a retry by an admin) start now instead of at the next
  // poll; src/jobs/migrations/postgres/0008 sends the notifications.
  job_listener_ =
      sql::ListenForNotifications(c, "keel_jobs", [runtime = job_runtime_.get()](const std::string& queue) {
        if (queue.empty())
          runtime->WakeAll();  // (re)connected: may have missed some
        else
          runtime->Wake(queue);
      });
  return Ok();
}

void App::StartModules() {
  for (auto& module : modules_) {
    log::Info("starting", log::Fields().Add("module", module->Name()));
    module->Start();
    ++modules_started_;
  }
}

void App::StopModules() {
  while (modules_started_ > 0) {
    auto& module = modules_[--modules_started_];
    module->Stop();
    log::Info("stopped", log::Fields().Add("module", module->Name()));
  }
}

bool App::StopWorkers() {
  if (!job_runtime_) return true;
  // No more wake-ups; joining the listener's thread (which may sit in a connect) waits until the jobs
  // drained.
  if (job_listener_) job_listener_->RequestStop();
  job_queue_->SetRuntime(nullptr);
  bool stopped = job_runtime_->Stop(jobs_options_.drain_timeout);
  job_listener_.reset();  // before the runtime it calls into goes
  return stopped;
}

namespace {

// `keel worker`'s only HTTP (jobs.ops_port): /health, /ready and /metrics, for the platform's probes and
// Prometheus. Started once the workers run, so /health answering means the process works jobs.
class WorkerOpsServer {
 public:
  WorkerOpsServer(const Config& config, int port, Metrics& metrics, const Readiness& readiness) {
    http::AddOpsRoutes(router_, metrics, readiness, nullptr, nullptr);
    http::PipelineOptions pipeline_options;
    pipeline_options.access_log = false;  // scrapes and probes every few seconds would drown the job log
    pipeline_options.instance_id = InstanceId(config);
    pipeline_ = std::make_unique<http::Pipeline>(router_, pipeline_options, metrics);
    http::ServerOptions server_options;
    server_options.host = config.String("server.host");
    server_options.port = static_cast<std::uint16_t>(port);
    server_options.io_threads = 1;
    server_ = std::make_unique<http::Server>(server_options, *pipeline_, metrics);
  }

  Result<void> Start() {
    if (auto started = server_->Start(); !started) return started;
    log::Info("ops listening", log::Fields().Add("port", static_cast<int>(server_->Port())));
    return Ok();
  }

  void Stop() { server_->Stop(); }

 private:
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace

int App::Work(const std::vector<std::string>& queues, int concurrency) {
  log::Start(log::ParseLevel(config_.String("log.level")));
  if (auto started = StartWorkers(queues, concurrency, jobs_options_.scheduler); !started) {
    log::Error("cannot start job workers", log::Fields().Add("error", started.error().message));
    log::Stop();
    return 1;
  }
  std::unique_ptr<WorkerOpsServer> ops;
  if (jobs_options_.ops_port > 0) {
    ops = std::make_unique<WorkerOpsServer>(config_, jobs_options_.ops_port, *metrics_, readiness_);
    if (auto started = ops->Start(); !started) {
      log::Error("cannot start the ops port", log::Fields().Add("error", started.error().message));
      bool stopped = StopWorkers();
      log::Stop();
      if (!stopped) std::_Exit(1);  // as below: a handler that ignores cancellation cannot be joined
      return 1;
    }
  }
  int signal_number = 0;
  WaitForShutdownSignal(signal_number);
  log::Info("stopping workers", log::Fields().Add("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"));
  readiness_.SetDraining();  // /ready 503 while the jobs drain; /health and /metrics answer to the end
  if (!StopWorkers()) {
    log::Stop();
    std::_Exit(0);  // every lease is released; a handler that ignores cancellation cannot be joined
  }
  if (ops) ops->Stop();
  pool_->Stop();
  // The database before the job runtime: a PostgreSQL thread that just answered the runtime's last write
  // (a lease released at shutdown) may still be letting go of the runtime's io_context, which the runtime
  // destroys. Closing the database joins that thread first.
  database_.reset();
  job_runtime_.reset();
  log::Info("stopped", log::Fields());
  log::Stop();
  return 0;
}

}  // namespace keel
