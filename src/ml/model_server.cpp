// ModelServer: reloads (on start, on a change in the registry, on request), their metrics, and prediction.
#include "ml/model_server.hpp"

#include <pthread.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.hpp"

namespace keel::ml {

ModelServer::ModelServer(std::filesystem::path root, std::vector<ServedModelSpec> specs, Metrics& metrics)
    : registry_(std::move(root)),
      metrics_(metrics),
      info_family_(prometheus::BuildGauge()
                       .Name("keel_model_info")
                       .Help("The model version being served (1), by model and version.")
                       .Register(metrics.registry())) {
  auto& batch_sizes = prometheus::BuildHistogram()
                          .Name("keel_model_batch_size")
                          .Help("Rows per predict call, by model.")
                          .Register(metrics.registry());
  auto& reload_failures = prometheus::BuildCounter()
                              .Name("keel_model_reload_failures_total")
                              .Help(
                                  "Model versions refused at load (broken file, wrong width, or a validation "
                                  "sample they do not reproduce), by model.")
                              .Register(metrics.registry());
  for (auto& spec : specs) {
    Served served;
    served.batch_size = &batch_sizes.Add(
        {{"model", spec.name}},
        prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    served.reload_failures = &reload_failures.Add({{"model", spec.name}});
    std::string name = spec.name;
    served.spec = std::move(spec);
    models_.emplace(std::move(name), std::move(served));
  }
}

ModelServer::~ModelServer() { Stop(); }

void ModelServer::Start(std::chrono::milliseconds poll) {
  for (auto& [name, served] : models_)
    if (served.spec.batching.max_batch > 1)
      served.batcher = std::make_unique<DynamicBatcher>(served.spec.batching,
                                                        [histogram = served.batch_size](std::size_t rows) {
                                                          histogram->Observe(static_cast<double>(rows));
                                                        });
  for (auto& [name, served] : models_) (void)Reload(name);
  if (poll.count() > 0) watcher_ = std::thread([this, poll] { Watch(poll); });
}

void ModelServer::Stop() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  for (auto& [name, served] : models_)
    if (served.batcher) served.batcher->Stop();
}

void ModelServer::Watch(std::chrono::milliseconds poll) {
  pthread_setname_np(pthread_self(), "keel-models");
  std::unique_lock lock(watch_mutex_);
  while (!watch_wake_.wait_for(lock, poll, [this] { return stopping_; })) {
    lock.unlock();
    for (auto& [name, served] : models_) {
      bool changed = false;
      {
        std::lock_guard reload_lock(reload_mutex_);
        changed = registry_.Versions(name) != served.seen_versions;
      }
      // Only a change in the directory list triggers a load: a broken version is refused (and counted) once,
      // not at every poll.
      if (changed) (void)Reload(name);
    }
    lock.lock();
  }
}

Result<ModelServer::ReloadOutcome> ModelServer::Reload(const std::string& name) {
  auto found = models_.find(name);
  if (found == models_.end())
    return Error{ErrorCode::kNotFound, fmt::format("this server does not serve a model named {}", name)};
  std::lock_guard lock(reload_mutex_);
  return ReloadLocked(found->second);
}

Result<ModelServer::ReloadOutcome> ModelServer::ReloadLocked(Served& served) {
  const std::string& name = served.spec.name;
  served.seen_versions = registry_.Versions(name);
  auto before = registry_.Get(name);
  ReloadOutcome outcome;
  auto version = registry_.Reload(name, served.spec.pinned, &outcome.refused);
  if (!outcome.refused.empty()) {
    served.reload_failures->Increment(static_cast<double>(outcome.refused.size()));
    log::Error("model version refused",
               log::Fields()
                   .Add("model", name)
                   .Add("reasons", fmt::format("{}", fmt::join(outcome.refused, "; ")))
                   .Add("serving", before ? before->meta.version : "nothing"));
  }
  if (!version) {
    if (version.error().code == ErrorCode::kNotFound)
      log::Warn("model has no version to serve",
                log::Fields().Add("model", name).Add("error", version.error().message));
    return std::move(version).error();
  }
  outcome.version = *version;
  outcome.swapped = before == nullptr || before->meta.version != outcome.version;
  if (outcome.swapped) {
    if (served.info != nullptr) info_family_.Remove(served.info);
    served.info = &info_family_.Add({{"model", name}, {"version", outcome.version}});
    served.info->Set(1);
    log::Info("model version served", log::Fields()
                                          .Add("model", name)
                                          .Add("version", outcome.version)
                                          .Add("previous", before ? before->meta.version : "none"));
  }
  return outcome;
}

Task<Result<std::vector<double>>> ModelServer::Predict(std::shared_ptr<const LoadedModel> model,
                                                       std::vector<float> values, std::size_t rows) {
  Served& served = models_.at(model->meta.name);
  // The aliasing pointer keeps the whole version (booster and meta) alive while its batch is predicted.
  std::shared_ptr<const Predictor> predictor(model, model->model.get());
  if (!served.batcher) {
    served.batch_size->Observe(static_cast<double>(rows));
    co_return predictor->Predict(values, rows);
  }
  DynamicBatcher& batcher = *served.batcher;
  const std::function<void(DynamicBatcher::Done)> submit = [&](DynamicBatcher::Done done) {
    batcher.Submit(std::move(predictor), std::move(values), rows, std::move(done));
  };
  co_return co_await AwaitCallback<Result<std::vector<double>>>(submit);
}

nlohmann::json ModelServer::Catalog() const {
  nlohmann::json models = nlohmann::json::array();
  for (const auto& [name, served] : models_) {
    auto current = registry_.Get(name);
    models.push_back(
        {{"name", name},
         {"versions", registry_.Versions(name)},
         {"served_version", current ? nlohmann::json(current->meta.version) : nlohmann::json()},
         {"pinned", served.spec.pinned.empty() ? nlohmann::json() : nlohmann::json(served.spec.pinned)},
         {"max_batch", served.spec.batching.max_batch},
         {"max_delay_us", served.spec.batching.max_delay.count()}});
  }
  return models;
}

Result<void> ModelServer::Ready() const {
  std::vector<std::string> missing;
  for (const auto& [name, served] : models_)
    if (!registry_.Get(name)) missing.push_back(name);
  if (missing.empty()) return Ok();
  return Error{ErrorCode::kUnavailable, fmt::format("no version loaded for {}", fmt::join(missing, ", "))};
}

}  // namespace keel::ml
