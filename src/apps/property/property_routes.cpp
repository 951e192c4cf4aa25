// Handlers of /api/v1/property/*, /api/v1/models and the model reload route, and the module's wiring.
#include "apps/property/property_routes.hpp"

#include <cmath>

#include <fmt/format.h>
#include <prometheus/histogram.h>

#include "apps/property/prediction_input.hpp"
#include "apps/property/prediction_stats.hpp"
#include "core/app.hpp"
#include "core/clock.hpp"
#include "http/problem.hpp"
#include "jobs/cron.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "ml/model_server.hpp"
#include "ml/prediction_cache.hpp"
#include "ml/prediction_log.hpp"
#include "ml/single_flight.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/kv/tiered_kv.hpp"

namespace keel::property {
namespace {

using http::Request;
using http::Response;

constexpr const char* kModel = "property";

// Prices to the cent: the model's float output has no more precision than that.
double Cents(double price) { return std::round(price * 100.0) / 100.0; }

class PropertyService {
 public:
  PropertyService(App& app, ml::ModelServer& models, std::unique_ptr<ml::PredictionCache> cache,
                  ml::PredictionLog* log)
      : app_(app),
        models_(models),
        cache_(std::move(cache)),
        log_(log),
        duration_(prometheus::BuildHistogram()
                      .Name("keel_prediction_duration_seconds")
                      .Help("Time to answer a prediction request (cache, batching and model), by model.")
                      .Register(app.metrics().registry())
                      .Add({{"model", kModel}},
                           prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                   0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})) {
  }

  Task<Response> Predict(Request& request) {
    auto model = models_.Get(kModel);
    if (!model)
      co_return http::ProblemFrom(Error{ErrorCode::kUnavailable, "the property model is not loaded yet"});
    auto parsed = ParsePredictionInput(request.body, model->meta);
    if (auto* malformed = std::get_if<Malformed>(&parsed)) co_return http::Problem(400, malformed->detail);
    if (auto* invalid = std::get_if<InvalidFields>(&parsed))
      co_return http::InvalidFieldsProblem(invalid->errors);
    PredictionInput& input = std::get<PredictionInput>(parsed);

    std::vector<double> predictions(input.rows);
    std::vector<bool> hits(input.rows, false);
    auto predicted = co_await Compute(model, input, predictions, hits);
    if (!predicted) co_return http::ProblemFrom(predicted.error());

    auto latency = std::chrono::steady_clock::now() - request.received_at;
    duration_.Observe(std::chrono::duration<double>(latency).count());
    bool all_hit = std::all_of(hits.begin(), hits.end(), [](bool hit) { return hit; });
    if (log_ != nullptr) Log(model, input, predictions, hits, latency);

    std::string body;
    if (input.many) {
      body = R"({"predictions":[)";
      for (std::size_t i = 0; i < predictions.size(); ++i)
        fmt::format_to(std::back_inserter(body), "{}{}", i ? "," : "", Cents(predictions[i]));
      fmt::format_to(std::back_inserter(body), R"(],"model":"{}","version":"{}","cached":{}}})", kModel,
                     model->meta.version, all_hit);
    } else {
      body = fmt::format(R"({{"prediction":{},"model":"{}","version":"{}","cached":{}}})",
                         Cents(predictions[0]), kModel, model->meta.version, all_hit);
    }
    Response response = Response::Json(200, std::move(body));
    response.headers.Add("X-Cache", all_hit ? "HIT" : "MISS");
    response.headers.Add("X-Model-Version", model->meta.version);
    co_return response;
  }

  Task<Response> Model(Request&) {
    auto model = models_.Get(kModel);
    if (!model)
      co_return http::ProblemFrom(Error{ErrorCode::kUnavailable, "the property model is not loaded yet"});
    nlohmann::json meta = model->meta.ToJson();
    meta.erase("validation_sample");
    co_return Response::Json(200, meta.dump());
  }

  Task<Response> Models(Request&) {
    auto catalog = models_.Catalog();
    auto total = static_cast<std::int64_t>(catalog.size());
    nlohmann::json body = {{"items", std::move(catalog)}, {"page", 1}, {"per_page", total}, {"total", total}};
    co_return Response::Json(200, body.dump());
  }

  Task<Response> Stats(Request& request) {
    auto window_text = request.QueryParam("window").value_or("1h");
    auto window = ParseWindow(window_text);
    if (!window)
      co_return http::Problem(
          422, "invalid query parameter",
          {{"window", "must be a number of minutes, hours or days (15m, 1h, 7d), at most 30d"}});
    std::string model = kModel;  // named: a converted temporary in a co_await is unsafe with g++ 12
    auto stats = co_await PredictionStats(app_.database(), model, *window, UnixMillis());
    if (!stats) co_return http::ProblemFrom(stats.error());
    (*stats)["window"] = window_text;
    co_return Response::Json(200, stats->dump());
  }

  Task<Response> Reload(Request& request) {
    std::string name(*request.params.Get("name"));
    auto outcome = co_await RunBlocking(app_.pool(), [this, &name] { return models_.Reload(name); });
    if (!outcome) {
      if (outcome.error().code == ErrorCode::kInvalidArgument)
        co_return http::Problem(409, outcome.error().message + " (the served version stays)");
      co_return http::ProblemFrom(outcome.error());
    }
    nlohmann::json body = {{"model", name},
                           {"version", outcome->version},
                           {"swapped", outcome->swapped},
                           {"refused", outcome->refused}};
    co_return Response::Json(200, body.dump());
  }

 private:
  // Fills predictions (and hits) for every row: cache hits first, then one batched predict for the rows this
  // request leads, then the rows whose identical twin another request was already computing.
  Task<Result<void>> Compute(const std::shared_ptr<const ml::LoadedModel>& model,
                             const PredictionInput& input, std::vector<double>& predictions,
                             std::vector<bool>& hits) {
    const std::size_t width = model->meta.features.size();
    std::vector<std::string> keys;
    std::vector<ml::SingleFlight::Ticket> tickets;
    std::vector<std::size_t> lead, follow;
    if (cache_) {
      keys.resize(input.rows);
      tickets.resize(input.rows);
      for (std::size_t i = 0; i < input.rows; ++i) {
        keys[i] = ml::PredictionCache::Key(model->meta, input.Row(i, width));
        if (auto cached = co_await cache_->Get(model->meta.name, keys[i])) {
          predictions[i] = *cached;
          hits[i] = true;
          continue;
        }
        tickets[i] = flights_.Join(keys[i]);
        (tickets[i].leader ? lead : follow).push_back(i);
      }
    } else {
      for (std::size_t i = 0; i < input.rows; ++i) lead.push_back(i);
    }

    Result<void> outcome = Ok();
    if (!lead.empty()) {
      std::vector<float> values;
      if (lead.size() == input.rows) {
        values = input.values;
      } else {
        values.reserve(lead.size() * width);
        for (std::size_t i : lead)
          values.insert(values.end(), input.values.begin() + static_cast<std::ptrdiff_t>(i * width),
                        input.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
      }
      auto predicted = co_await models_.Predict(model, std::move(values), lead.size());
      for (std::size_t j = 0; j < lead.size(); ++j) {
        std::size_t i = lead[j];
        if (predicted) predictions[i] = (*predicted)[j];
        if (!cache_) continue;
        // Land before anything else can fail: followers wait on it.
        flights_.Land(keys[i], tickets[i],
                      predicted ? ml::SingleFlight::Outcome(predictions[i]) : predicted.error());
        if (predicted) co_await cache_->Put(keys[i], predictions[i]);
      }
      if (!predicted) outcome = predicted.error();
    }
    for (std::size_t i : follow) {
      auto landed = co_await ml::SingleFlight::Wait(tickets[i].flight);
      if (!landed) {
        outcome = landed.error();
        continue;
      }
      predictions[i] = *landed;
    }
    co_return outcome;
  }

  void Log(const std::shared_ptr<const ml::LoadedModel>& model, const PredictionInput& input,
           const std::vector<double>& predictions, const std::vector<bool>& hits,
           std::chrono::steady_clock::duration latency) {
    std::shared_ptr<const ml::ModelMeta> meta(model, &model->meta);
    std::int64_t now = UnixMillis();
    auto latency_us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
    std::vector<ml::PredictionRecord> records(input.rows);
    const std::size_t width = model->meta.features.size();
    for (std::size_t i = 0; i < input.rows; ++i) {
      records[i].at_ms = now;
      records[i].model = meta;
      records[i].features = input.Row(i, width);
      records[i].prediction = Cents(predictions[i]);
      records[i].latency_us = latency_us;
      records[i].cached = hits[i];
    }
    log_->Record(std::move(records));
  }

  App& app_;
  ml::ModelServer& models_;
  std::unique_ptr<ml::PredictionCache> cache_;  // null when ml.cache_enabled is false
  ml::PredictionLog* log_;                      // null when ml.log_enabled is false
  ml::SingleFlight flights_;
  prometheus::Histogram& duration_;
};

// The module's parts, kept alive by the App.
struct PropertyModule {
  std::unique_ptr<ml::ModelServer> models;
  std::unique_ptr<ml::PredictionLog> log;
  std::unique_ptr<PropertyService> service;
};

void AddLogRetention(App& app) {
  auto retention_ms = app.config().Int("ml.log_retention_hours") * 3600 * 1000;
  auto prune = jobs::JobKind::Make(
      "maintenance.prune_prediction_logs", "maintenance",
      [&db = app.database(), retention_ms](jobs::JobContext& context) -> Result<nlohmann::json> {
        std::int64_t before = UnixMillis() - retention_ms;
        std::int64_t pruned = 0;
        // In slices, so the write lock is never held for long.
        for (;;) {
          auto deleted =
              context.Await(db.Execute("DELETE FROM prediction_logs WHERE id IN "
                                       "(SELECT id FROM prediction_logs WHERE created_at < ? LIMIT 10000)",
                                       sql::Args(before)));
          if (!deleted) return std::move(deleted).error();
          pruned += *deleted;
          if (*deleted < 10000 || context.Cancelled()) break;
        }
        return nlohmann::json{{"pruned", pruned}};
      });
  prune.max_attempts = 3;
  app.job_kinds().Add(std::move(prune));
  app.job_kinds().AddPeriodic(jobs::PeriodicJob{"maintenance.prune_prediction_logs",
                                                jobs::CronSchedule::Parse("23 * * * *").value()});
}

}  // namespace

Result<void> RegisterProperty(App& app) {
  const Config& c = app.config();
  ml::BatcherOptions defaults{static_cast<std::size_t>(c.Int("ml.max_batch")),
                              std::chrono::microseconds(c.Int("ml.max_delay_us"))};
  auto specs = ml::ParseServedModels(c.List("ml.models"), c.List("ml.batching"), defaults);
  if (!specs) return std::move(specs).error();
  bool serves_property =
      std::any_of(specs->begin(), specs->end(), [](const auto& s) { return s.name == kModel; });
  bool serves_any = !specs->empty();

  auto module = std::make_shared<PropertyModule>();
  module->models =
      std::make_unique<ml::ModelServer>(c.String("ml.model_dir"), std::move(specs).value(), app.metrics());
  std::unique_ptr<ml::PredictionCache> cache;
  if (c.Bool("ml.cache_enabled")) {
    kv::MemoryKvOptions options;
    options.max_bytes = static_cast<std::size_t>(c.Int("ml.cache_max_bytes"));
    const auto ttl = std::chrono::seconds(c.Int("ml.cache_ttl_s"));
    std::unique_ptr<kv::KvStore> store = std::make_unique<kv::MemoryKv>(options, app.clock());
    // Scaled out: Redis behind the in-process level, so one instance's prediction is every instance's hit.
    if (c.String("kv.url").starts_with("redis://"))
      store = std::make_unique<kv::TieredKv>(std::move(store), app.kv(), ttl);
    cache = std::make_unique<ml::PredictionCache>(std::move(store), ttl, app.metrics());
  }
  if (c.Bool("ml.log_enabled")) {
    ml::PredictionLogOptions options;
    options.queue_limit = static_cast<std::size_t>(c.Int("ml.log_queue_limit"));
    options.batch_rows = static_cast<std::size_t>(c.Int("ml.log_batch_rows"));
    options.flush_interval = std::chrono::milliseconds(c.Int("ml.log_flush_ms"));
    module->log = std::make_unique<ml::PredictionLog>(app.database(), options, app.metrics());
  }
  module->service =
      std::make_unique<PropertyService>(app, *module->models, std::move(cache), module->log.get());

  if (module->log) {
    auto* log = module->log.get();
    app.AddService({"prediction log", [log] { log->Start(); }, [log] { log->Stop(); }});
  }
  auto* models = module->models.get();
  auto poll = std::chrono::milliseconds(c.Int("ml.reload_poll_ms"));
  // Only a process that serves HTTP loads models, so only its /ready waits for them (a `keel worker`'s ops
  // port does not); services start before the server listens, as Readiness::Add requires.
  auto& readiness = app.readiness();
  app.AddService({"model server",
                  [models, poll, serves_any, &readiness] {
                    if (serves_any)
                      readiness.Add("models",
                                    [models]() -> Task<Result<void>> { co_return models->Ready(); });
                    models->Start(poll);
                  },
                  [models] { models->Stop(); }});

  auto& router = app.router();
  auto* service = module->service.get();
  if (serves_property) {
    router.Add(
        "POST", "/api/v1/property/predict", [service](Request& r) { return service->Predict(r); },
        http::RouteOptions{.body_limit = 1 << 20, .json_body = true});
    router.Add("GET", "/api/v1/property/model", [service](Request& r) { return service->Model(r); });
    router.Add(
        "GET", "/api/v1/property/stats", [service](Request& r) { return service->Stats(r); },
        http::RouteOptions{.authenticated = true});
  }
  router.Add("GET", "/api/v1/models", [service](Request& r) { return service->Models(r); });
  router.Add(
      "POST", "/api/v1/admin/models/{name}/reload", [service](Request& r) { return service->Reload(r); },
      http::RouteOptions{.admin_only = true});
  AddLogRetention(app);
  app.Keep(std::move(module));
  return Ok();
}

}  // namespace keel::property
