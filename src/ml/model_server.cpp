// ModelServer: eager and on-demand models, per-model loading, the bounded set of loaded models, the change
// feed watcher, and prediction.
#include "ml/model_server.hpp"

#include <pthread.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.hpp"

namespace keel::ml {
namespace {

// The label every on-demand model's series share: thousands of models must not make thousands of series.
constexpr const char* kDynamicLabel = "_dynamic";

prometheus::Histogram::BucketBoundaries BatchBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

}  // namespace

ModelServer::ModelServer(std::filesystem::path root, ModelServerOptions options, Metrics& metrics)
    : registry_(root),
      options_(std::move(options)),
      metrics_(metrics),
      info_family_(prometheus::BuildGauge()
                       .Name("keel_model_info")
                       .Help("The model version being served (1), by model and version (eager models).")
                       .Register(metrics.registry())),
      batch_sizes_(prometheus::BuildHistogram()
                       .Name("keel_model_batch_size")
                       .Help("Rows per predict call, by model (on-demand models together as _dynamic).")
                       .Register(metrics.registry())),
      reload_failures_(prometheus::BuildCounter()
                           .Name("keel_model_reload_failures_total")
                           .Help("Model versions refused at load (broken file, wrong width, or a validation "
                                 "sample they do not reproduce), by model (on-demand models as _dynamic).")
                           .Register(metrics.registry())),
      dynamic_batch_size_(&batch_sizes_.Add({{"model", kDynamicLabel}}, BatchBuckets())),
      dynamic_reload_failures_(&reload_failures_.Add({{"model", kDynamicLabel}})),
      loads_(prometheus::BuildCounter()
                 .Name("keel_model_loads_total")
                 .Help("On-demand models loaded on first use.")
                 .Register(metrics.registry())
                 .Add({})),
      evictions_(prometheus::BuildCounter()
                     .Name("keel_model_evictions_total")
                     .Help("On-demand models unloaded to stay within ml.max_loaded_models.")
                     .Register(metrics.registry())
                     .Add({})),
      loaded_(prometheus::BuildGauge()
                  .Name("keel_models_loaded")
                  .Help("Models loaded now, eager and on-demand.")
                  .Register(metrics.registry())
                  .Add({})),
      feed_(root) {
  for (const auto& spec : options_.eager) {
    auto served = std::make_shared<Served>();
    served->spec = spec;
    served->eager = true;
    served->batch_size = &batch_sizes_.Add({{"model", spec.name}}, BatchBuckets());
    served->reload_failures = &reload_failures_.Add({{"model", spec.name}});
    eager_.emplace(spec.name, std::move(served));
  }
}

ModelServer::~ModelServer() { Stop(); }

void ModelServer::Start(std::chrono::milliseconds poll) {
  for (auto& [name, served] : eager_) {
    if (served->spec.batching.max_batch > 1)
      served->batcher = std::make_unique<DynamicBatcher>(served->spec.batching,
                                                         [histogram = served->batch_size](std::size_t rows) {
                                                           histogram->Observe(static_cast<double>(rows));
                                                         });
    (void)Reload(name);
  }
  if (poll.count() > 0) watcher_ = std::thread([this, poll] { Watch(poll); });
}

void ModelServer::Stop() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  for (auto& [name, served] : eager_)
    if (served->batcher) served->batcher->Stop();
}

std::shared_ptr<ModelServer::Served> ModelServer::Find(const std::string& name, bool create) {
  if (auto eager = eager_.find(name); eager != eager_.end()) return eager->second;
  {
    std::shared_lock lock(models_mutex_);
    auto found = models_.find(name);
    if (found != models_.end()) return found->second;
  }
  if (!create || !options_.serve_registry || !IsModelName(name)) return nullptr;
  std::unique_lock lock(models_mutex_);
  auto& served = models_[name];
  if (!served) {
    served = std::make_shared<Served>();
    served->spec.name = name;
    served->batch_size = dynamic_batch_size_;
    served->reload_failures = dynamic_reload_failures_;
  }
  return served;
}

void ModelServer::Watch(std::chrono::milliseconds poll) {
  pthread_setname_np(pthread_self(), "keel-models");
  std::unique_lock lock(watch_mutex_);
  while (!watch_wake_.wait_for(lock, poll, [this] { return stopping_; })) {
    lock.unlock();
    // Announced versions of the models loaded here; a model not loaded finds its newest version when first
    // used. After the log was replaced, every loaded model is checked once.
    auto changes = feed_.Poll();
    std::vector<std::string> check = changes.models;
    auto add = [&check](const std::string& name) {
      if (std::find(check.begin(), check.end(), name) == check.end()) check.push_back(name);
    };
    if (changes.restarted) {
      std::shared_lock models_lock(models_mutex_);
      for (const auto& [name, served] : models_) add(name);
    }
    // Eager models are few; their directories are listed too, for versions copied in by hand.
    for (const auto& [name, served] : eager_) {
      bool changed = false;
      {
        std::lock_guard load_lock(served->load_mutex);
        changed = registry_.Versions(name) != served->seen_versions;
      }
      // Only a change in the directory list triggers a load: a broken version is refused (and counted) once,
      // not at every poll.
      if (changed || changes.restarted) add(name);
    }
    for (const auto& name : check) {
      auto served = Find(name, /*create=*/false);
      if (served && (served->eager || registry_.Get(name))) (void)Reload(name);
    }
    lock.lock();
  }
}

Result<ModelServer::ReloadOutcome> ModelServer::Reload(const std::string& name) {
  auto served = Find(name, /*create=*/true);
  if (!served)
    return Error{ErrorCode::kNotFound, fmt::format("this server does not serve a model named {}", name)};
  std::optional<Result<ReloadOutcome>> outcome;
  bool was_loaded = false;
  {
    std::lock_guard lock(served->load_mutex);
    was_loaded = registry_.Get(name) != nullptr;
    outcome = ReloadLocked(*served);
  }
  // Outside the model's lock: an eviction Touch starts takes another model's.
  if (*outcome && !served->eager) {
    if (!was_loaded) loads_.Increment();
    Touch(name);
  }
  return std::move(*outcome);
}

Result<std::shared_ptr<const LoadedModel>> ModelServer::Acquire(const std::string& name) {
  if (auto loaded = Get(name)) return loaded;
  auto served = Find(name, /*create=*/true);
  if (!served)
    return Error{ErrorCode::kNotFound, fmt::format("this server does not serve a model named {}", name)};
  {
    std::lock_guard lock(served->load_mutex);
    // Whoever held the lock before may have loaded it.
    if (!registry_.Get(name)) {
      auto outcome = ReloadLocked(*served);
      if (!outcome) return std::move(outcome).error();
      if (!served->eager) loads_.Increment();
    }
  }
  // Outside the model's lock: an eviction Touch starts takes another model's.
  if (!served->eager) Touch(name);
  auto loaded = registry_.Get(name);
  if (!loaded) return Error{ErrorCode::kUnavailable, fmt::format("model {} was unloaded as it loaded", name)};
  return loaded;
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
    if (version.error().code == ErrorCode::kNotFound && served.eager)
      log::Warn("model has no version to serve",
                log::Fields().Add("model", name).Add("error", version.error().message));
    return std::move(version).error();
  }
  outcome.version = *version;
  outcome.swapped = before == nullptr || before->meta.version != outcome.version;
  if (outcome.swapped) {
    if (served.eager) {
      if (served.info != nullptr) info_family_.Remove(served.info);
      served.info = &info_family_.Add({{"model", name}, {"version", outcome.version}});
      served.info->Set(1);
    }
    // On-demand models come and go by the thousand: only their swaps are worth a line.
    if (served.eager || before != nullptr)
      log::Info("model version served", log::Fields()
                                            .Add("model", name)
                                            .Add("version", outcome.version)
                                            .Add("previous", before ? before->meta.version : "none"));
  }
  if (before == nullptr) loaded_.Increment();
  return outcome;
}

std::shared_ptr<const LoadedModel> ModelServer::Get(const std::string& name) {
  auto loaded = registry_.Get(name);
  // Eager models are never evicted: their hot path skips the recency list.
  if (loaded && !eager_.contains(name) && options_.serve_registry) {
    std::lock_guard lock(lru_mutex_);
    auto found = lru_index_.find(name);
    if (found != lru_index_.end()) lru_.splice(lru_.begin(), lru_, found->second);
  }
  return loaded;
}

void ModelServer::Touch(const std::string& name) {
  std::vector<std::string> evicted;
  {
    std::lock_guard lock(lru_mutex_);
    auto found = lru_index_.find(name);
    if (found != lru_index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);
    } else {
      lru_.push_front(name);
      lru_index_[name] = lru_.begin();
    }
    while (lru_.size() > options_.max_loaded) {
      evicted.push_back(lru_.back());
      lru_index_.erase(lru_.back());
      lru_.pop_back();
    }
  }
  for (const auto& victim : evicted) Forget(victim);
}

void ModelServer::Forget(const std::string& name) {
  auto served = Find(name, /*create=*/false);
  if (!served) return;
  std::lock_guard lock(served->load_mutex);
  {
    // Used again since it was picked: keep it (that use evicted another).
    std::lock_guard lru_lock(lru_mutex_);
    if (lru_index_.contains(name)) return;
  }
  if (!registry_.Get(name)) return;
  registry_.Unload(name);
  served->seen_versions.clear();
  loaded_.Decrement();
  evictions_.Increment();
}

Task<Result<std::vector<double>>> ModelServer::Predict(std::shared_ptr<const LoadedModel> model,
                                                       std::vector<float> values, std::size_t rows) {
  // Only eager models batch; their entries never change, so the hot path takes no lock.
  auto eager = eager_.find(model->meta.name);
  Served* served = eager != eager_.end() ? eager->second.get() : nullptr;
  // The aliasing pointer keeps the whole version (booster and meta) alive while its batch is predicted.
  std::shared_ptr<const Predictor> predictor(model, model->model.get());
  if (served == nullptr || !served->batcher) {
    (served != nullptr ? served->batch_size : dynamic_batch_size_)->Observe(static_cast<double>(rows));
    co_return predictor->Predict(values, rows);
  }
  DynamicBatcher& batcher = *served->batcher;
  const std::function<void(DynamicBatcher::Done)> submit = [&](DynamicBatcher::Done done) {
    batcher.Submit(std::move(predictor), std::move(values), rows, std::move(done));
  };
  co_return co_await AwaitCallback<Result<std::vector<double>>>(submit);
}

nlohmann::json ModelServer::Catalog(std::size_t offset, std::size_t limit, std::size_t& total) const {
  std::vector<std::string> names = registry_.Models();
  // Eager models are listed even before their first version exists.
  for (const auto& spec : options_.eager)
    if (!std::binary_search(names.begin(), names.end(), spec.name))
      names.insert(std::lower_bound(names.begin(), names.end(), spec.name), spec.name);
  total = names.size();
  nlohmann::json models = nlohmann::json::array();
  for (std::size_t i = offset; i < names.size() && i < offset + limit; ++i) {
    const std::string& name = names[i];
    auto eager = eager_.find(name);
    const ServedModelSpec* spec = eager != eager_.end() ? &eager->second->spec : nullptr;
    auto current = registry_.Get(name);
    auto versions = registry_.Versions(name);
    nlohmann::json formats = nlohmann::json::object();
    for (const auto& version : versions) formats[version] = registry_.Format(name, version);
    nlohmann::json entry = {
        {"name", name},
        {"versions", std::move(versions)},
        {"formats", std::move(formats)},
        {"served_version", current ? nlohmann::json(current->meta.version) : nlohmann::json()},
        {"loaded", current != nullptr},
        {"eager", spec != nullptr},
        {"pinned",
         spec == nullptr || spec->pinned.empty() ? nlohmann::json() : nlohmann::json(spec->pinned)}};
    if (spec != nullptr) {
      entry["max_batch"] = spec->batching.max_batch;
      entry["max_delay_us"] = spec->batching.max_delay.count();
    } else {
      entry["max_batch"] = 1;  // on-demand models predict on the request's thread
      entry["max_delay_us"] = 0;
    }
    models.push_back(std::move(entry));
  }
  return models;
}

Result<void> ModelServer::Ready() const {
  std::vector<std::string> missing;
  for (const auto& spec : options_.eager)
    if (!registry_.Get(spec.name)) missing.push_back(spec.name);
  if (missing.empty()) return Ok();
  return Error{ErrorCode::kUnavailable, fmt::format("no version loaded for {}", fmt::join(missing, ", "))};
}

std::size_t ModelServer::Loaded() const { return static_cast<std::size_t>(loaded_.Value()); }

}  // namespace keel::ml
