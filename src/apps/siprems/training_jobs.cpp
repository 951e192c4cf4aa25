#include "apps/siprems/training_jobs.hpp"

#include <map>

#include <fmt/format.h>

#include "apps/siprems/product_store.hpp"
#include "apps/siprems/trainer.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"

namespace keel::siprems {
namespace {

// Outcomes kept in the job's result; the counts cover all.
constexpr std::size_t kOutcomesKept = 100;

// JobContext::Await wants a value.
Task<int> Finished(std::function<Task<void>()> body) {
  co_await body();
  co_return 0;
}

Result<nlohmann::json> TrainProducts(ProductStore& products, Trainer& trainer, jobs::JobContext& job) {
  RunAndWait run = [&job](std::function<Task<void>()> body) { job.Await(Finished(std::move(body))); };
  std::vector<std::string> skus;
  const nlohmann::json& args = job.args();
  if (args.contains("skus") && args["skus"].is_array() && !args["skus"].empty()) {
    for (const auto& sku : args["skus"])
      if (sku.is_string()) skus.push_back(sku.get<std::string>());
  } else {
    auto all = job.Await(products.AllSkus());
    if (!all) return std::move(all).error();
    skus = std::move(*all);
  }
  nlohmann::json outcomes = nlohmann::json::array();
  std::map<std::string, int> counts{{"served", 0}, {"refused", 0}, {"skipped", 0}};
  for (std::size_t i = 0; i < skus.size(); ++i) {
    if (job.Cancelled()) return Error{ErrorCode::kUnavailable, "training stopped: " + job.CancelReason()};
    auto outcome = trainer.Train(skus[i], run);
    if (!outcome) {
      // A product deleted since the job was enqueued is nothing to train.
      if (outcome.error().code == ErrorCode::kNotFound) continue;
      return std::move(outcome).error();
    }
    ++counts[outcome->status];
    if (outcomes.size() < kOutcomesKept) outcomes.push_back(OutcomeJson(*outcome));
    job.Progress(static_cast<int>((i + 1) * 100 / skus.size()),
                 fmt::format("{} of {} products", i + 1, skus.size()));
  }
  return nlohmann::json{{"products", skus.size()},
                        {"served", counts["served"]},
                        {"refused", counts["refused"]},
                        {"skipped", counts["skipped"]},
                        {"outcomes", std::move(outcomes)}};
}

}  // namespace

Result<void> AddTrainingJobs(jobs::JobKinds& kinds, ProductStore& products, Trainer& trainer,
                             const std::string& schedule) {
  auto kind = jobs::JobKind::Make(
      std::string(kTrainJob), "training",
      [&products, &trainer](jobs::JobContext& job) { return TrainProducts(products, trainer, job); });
  kind.max_attempts = 3;
  kind.timeout = std::chrono::hours(2);  // every product of a large catalogue, one after another
  kinds.Add(std::move(kind));
  if (schedule.empty()) return Ok();
  auto cron = jobs::CronSchedule::Parse(schedule);
  if (!cron) return Error{ErrorCode::kInvalidArgument, "siprems.train_schedule: " + cron.error().message};
  kinds.AddPeriodic(jobs::PeriodicJob{std::string(kTrainJob), std::move(*cron)});
  return Ok();
}

Task<Result<jobs::Enqueued>> EnqueueTraining(jobs::JobQueue& queue, std::vector<std::string> skus,
                                             std::string owner) {
  jobs::JobRequest request;
  request.owner_id = std::move(owner);
  request.kind = std::string(kTrainJob);
  request.args = nlohmann::json::object();
  if (!skus.empty()) request.args["skus"] = std::move(skus);
  co_return co_await queue.Enqueue(std::move(request));
}

}  // namespace keel::siprems
