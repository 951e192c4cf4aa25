// TrafficRouter: building a plan's versions, installing plans by revision, the watcher, and the choice of a
// version per request.
#include "ml/traffic_router.hpp"

#include <pthread.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/blocking_pool.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"
#include "core/run_to_completion.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::ml {
namespace {

// How long a plan that failed to apply here waits before this instance tries it again.
constexpr auto kRetryFailedPlan = std::chrono::seconds(10);
// At most one line per this period about an unreadable table (the watcher reads it several times a second).
constexpr auto kReadErrorLogEvery = std::chrono::seconds(10);

bool SameFeatures(const ModelMeta& a, const ModelMeta& b) {
  return std::equal(a.features.begin(), a.features.end(), b.features.begin(), b.features.end(),
                    [](const FeatureSpec& x, const FeatureSpec& y) { return x.name == y.name; });
}

}  // namespace

const AppliedPlan::Arm& AppliedPlan::Choose(const http::Request& request) const {
  std::optional<std::string_view> subject;
  if (!plan.sticky_header.empty()) subject = request.headers.Get(plan.sticky_header);
  thread_local std::mt19937_64 random(std::random_device{}());
  return served[plan.Pick(model, subject, subject ? 0 : random())];
}

TrafficRouter::TrafficRouter(sql::Database& db, pubsub::PubSub& pubsub, const Clock& clock,
                             BlockingPool& pool, std::filesystem::path root, std::chrono::milliseconds poll,
                             Metrics& metrics)
    : store_(db),
      pubsub_(pubsub),
      clock_(clock),
      pool_(pool),
      root_(std::move(root)),
      poll_(poll),
      metrics_(metrics),
      apply_failures_(prometheus::BuildCounter()
                          .Name("keel_model_traffic_apply_failures_total")
                          .Help("Traffic plans this instance could not apply (a version missing or refused "
                                "here); the previous plan stays until a later revision applies.")
                          .Register(metrics.registry())
                          .Add({})) {}

TrafficRouter::~TrafficRouter() { Stop(); }

void TrafficRouter::Start() {
  Refresh();
  std::weak_ptr<Wake> weak = wake_;
  auto wake = [weak](const std::string&, const std::string&) {
    if (auto state = weak.lock()) {
      std::lock_guard lock(state->mutex);
      state->pending = true;
      state->signal.notify_one();
    }
  };
  announcements_ = pubsub_.Subscribe(std::string(kTrafficChannel), wake);
  // Announcements may have been missed while the subscription was down: read the table at once.
  resubscribed_ = pubsub_.Subscribe(std::string(pubsub::kResubscribedChannel), wake);
  watcher_ = std::thread([this] { Watch(); });
}

void TrafficRouter::Stop() {
  announcements_.reset();
  resubscribed_.reset();
  {
    std::lock_guard lock(wake_->mutex);
    wake_->stopping = true;
  }
  wake_->signal.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const AppliedPlan> TrafficRouter::Find(const std::string& model) const {
  if (planned_.load(std::memory_order_acquire) == 0) return nullptr;
  std::shared_lock lock(mutex_);
  auto found = plans_.find(model);
  return found == plans_.end() ? nullptr : found->second;
}

Result<std::shared_ptr<AppliedPlan>> TrafficRouter::Build(const StoredTraffic& stored) {
  const std::string& model = stored.model;
  auto applied = std::make_shared<AppliedPlan>();
  applied->model = model;
  applied->plan = *stored.plan;
  applied->revision = stored.revision;
  applied->updated_at_ms = stored.updated_at_ms;
  auto current = Find(model);
  std::vector<std::string> problems;
  auto load = [&](const std::string& version) -> std::shared_ptr<const LoadedModel> {
    if (current) {
      for (const auto& arm : current->served)
        if (arm.model->meta.version == version) return arm.model;
      for (const auto& shadow : *current->shadows)
        if (shadow.model->meta.version == version) return shadow.model;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(root_ / model / version, ec)) {
      problems.push_back(fmt::format("{} is not a version of {}", version, model));
      return nullptr;
    }
    auto loaded = LoadVersion(root_ / model / version);
    if (!loaded) {
      problems.push_back(fmt::format("{} is refused: {}", version, loaded.error().message));
      return nullptr;
    }
    // Answers name the version by its meta.json: a directory copied by hand must not answer as another.
    if ((*loaded)->meta.version != version) {
      problems.push_back(
          fmt::format("{} is refused: its meta.json names version {}", version, (*loaded)->meta.version));
      return nullptr;
    }
    return std::move(loaded).value();
  };
  for (const auto& share : applied->plan.shares)
    applied->served.push_back({load(share.version), metrics_.Series(model, share.version, "served")});
  auto shadows = std::make_shared<std::vector<ShadowVersion>>();
  for (const auto& version : applied->plan.shadow)
    shadows->push_back({load(version), metrics_.Series(model, version, "shadow")});
  applied->shadows = std::move(shadows);
  if (!problems.empty())
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}", fmt::join(problems, "; "))};
  // One request body must fit every version: the shadows get the served one's rows as they are.
  const LoadedModel& first = *applied->served.front().model;
  auto check = [&](const LoadedModel& other) {
    if (!SameFeatures(first.meta, other.meta))
      problems.push_back(
          fmt::format("{} takes other features than {}: every version of a plan must take the "
                      "same features in the same order",
                      other.meta.version, first.meta.version));
  };
  for (const auto& arm : applied->served) check(*arm.model);
  for (const auto& shadow : *applied->shadows) check(*shadow.model);
  if (!problems.empty())
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}", fmt::join(problems, "; "))};
  std::size_t heaviest = 0;
  for (std::size_t i = 1; i < applied->plan.shares.size(); ++i)
    if (applied->plan.shares[i].weight > applied->plan.shares[heaviest].weight) heaviest = i;
  applied->input = &applied->served[heaviest].model->meta;
  return applied;
}

void TrafficRouter::Install(const std::string& model, std::int64_t revision,
                            std::shared_ptr<const AppliedPlan> applied) {
  {
    std::unique_lock lock(mutex_);
    auto& installed = revisions_[model];
    if (revision <= installed) return;  // a newer one is here already (set here, or read meanwhile)
    installed = revision;
    if (applied)
      plans_[model] = applied;
    else
      plans_.erase(model);
    planned_.store(plans_.size(), std::memory_order_release);
  }
  log::Info("traffic plan applied", log::Fields()
                                        .Add("model", model)
                                        .Add("revision", revision)
                                        .Add("plan", applied ? applied->plan.ToJson().dump() : "none"));
}

Task<Result<void>> TrafficRouter::Set(std::string model, TrafficPlan plan) {
  StoredTraffic candidate;
  candidate.model = model;
  candidate.plan = std::move(plan);
  auto built = co_await RunBlocking(pool_, [this, &candidate] { return Build(candidate); });
  if (!built) co_return std::move(built).error();
  auto stored = co_await store_.Save(model, std::move(candidate.plan), clock_.WallMillis());
  if (!stored) co_return std::move(stored).error();
  (*built)->revision = stored->revision;
  (*built)->updated_at_ms = stored->updated_at_ms;
  Install(model, stored->revision, std::move(built).value());
  pubsub_.Publish(std::string(kTrafficChannel), model);
  co_return Ok();
}

Task<Result<void>> TrafficRouter::Clear(std::string model) {
  std::optional<TrafficPlan> none;
  auto stored = co_await store_.Save(model, std::move(none), clock_.WallMillis());
  if (!stored) co_return std::move(stored).error();
  Install(model, stored->revision, nullptr);
  pubsub_.Publish(std::string(kTrafficChannel), model);
  co_return Ok();
}

nlohmann::json TrafficRouter::Describe(const std::string& model, const std::string& served_version) const {
  nlohmann::json body = {{"model", model}};
  std::int64_t revision = 0;
  {
    std::shared_lock lock(mutex_);
    if (auto found = revisions_.find(model); found != revisions_.end()) revision = found->second;
  }
  if (auto applied = Find(model)) {
    body.update(applied->plan.ToJson());
    body["revision"] = applied->revision;
    body["updated_at"] = FormatRfc3339(applied->updated_at_ms);
    body["source"] = "plan";
  } else {
    body["versions"] = {{served_version, 100}};
    body["sticky"] = "none";
    body["shadow"] = nlohmann::json::array();
    body["revision"] = revision;
    body["updated_at"] = nullptr;
    body["source"] = "default";
  }
  return body;
}

void TrafficRouter::Refresh() {
  Result<std::vector<StoredTraffic>> all = Error{ErrorCode::kInternal, "not read"};
  try {
    all = RunToCompletion(loop_.get(), store_.All());
  } catch (const std::exception& e) {  // RunToCompletion rethrows: this thread must live on
    all = Error{ErrorCode::kInternal, e.what()};
  }
  if (!all) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_read_error_ >= kReadErrorLogEvery) {
      last_read_error_ = now;
      log::Warn("traffic plans unreadable; the plans applied stay",
                log::Fields().Add("error", all.error().message));
    }
    return;
  }
  auto now = std::chrono::steady_clock::now();
  for (const StoredTraffic& stored : *all) {
    {
      std::shared_lock lock(mutex_);
      auto installed = revisions_.find(stored.model);
      if (installed != revisions_.end() && stored.revision <= installed->second) continue;
    }
    auto failed = failed_.find(stored.model);
    if (failed != failed_.end() && failed->second.first == stored.revision && now < failed->second.second)
      continue;
    auto refuse = [&](const std::string& why) {
      apply_failures_.Increment();
      failed_[stored.model] = {stored.revision, now + kRetryFailedPlan};
      log::Error("traffic plan not applied here; the previous one stays",
                 log::Fields().Add("model", stored.model).Add("revision", stored.revision).Add("error", why));
    };
    if (!stored.problem.empty()) {
      refuse(stored.problem);
      continue;
    }
    if (!stored.plan) {
      Install(stored.model, stored.revision, nullptr);
      continue;
    }
    auto built = Build(stored);
    if (!built) {
      refuse(built.error().message);
      continue;
    }
    failed_.erase(stored.model);
    Install(stored.model, stored.revision, std::move(built).value());
  }
}

void TrafficRouter::Watch() {
  pthread_setname_np(pthread_self(), "keel-traffic");
  for (;;) {
    {
      std::unique_lock lock(wake_->mutex);
      wake_->signal.wait_for(lock, poll_, [this] { return wake_->stopping || wake_->pending; });
      if (wake_->stopping) return;
      wake_->pending = false;
    }
    Refresh();
  }
}

}  // namespace keel::ml
