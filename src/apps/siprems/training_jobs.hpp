// Training as durable background work: the job kind siprems.train on the "training" queue, fired nightly by
// siprems.train_schedule and enqueued after each sales import for the products it touched.
#pragma once

#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"
#include "jobs/job.hpp"

namespace keel::jobs {
class JobKinds;
class JobQueue;
}  // namespace keel::jobs

namespace keel::siprems {

class ProductStore;
class Trainer;

inline constexpr std::string_view kTrainJob = "siprems.train";

// Adds the kind, and the schedule when `schedule` is not empty. kInvalidArgument for a schedule that does not
// parse. `products` and `trainer` must outlive the job runtime.
Result<void> AddTrainingJobs(jobs::JobKinds& kinds, ProductStore& products, Trainer& trainer,
                             const std::string& schedule);

// Enqueues the training of `skus` (every product when empty) for `owner`, who may then follow the job.
Task<Result<jobs::Enqueued>> EnqueueTraining(jobs::JobQueue& queue, std::vector<std::string> skus,
                                             std::string owner);

}  // namespace keel::siprems
