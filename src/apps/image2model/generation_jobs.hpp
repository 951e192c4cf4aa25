// Image2Model's background work, as the seed's Celery queues have it:
//   image2model.batch        (batch_processing)  checks a new batch's files and fans out one generation job
//                                                per file, on model_generation (or priority);
//   image2model.generate     (model_generation)  runs the generator on one file: progress by stage, written
//                                                at most four times a second; results into the blob store;
//   image2model.maintenance  (maintenance, hourly) expires old results and sweeps unreferenced blobs.
// A file's failure leaves the others going; a worker that dies mid-file loses its lease and the file runs
// again (its results are stored once: the completion is conditional on the file still running).
#pragma once

#include <functional>
#include <string>

#include "apps/image2model/batch_store.hpp"
#include "apps/image2model/image2model_config.hpp"

namespace keel {
class BlockingPool;
}
namespace keel::jobs {
class JobKinds;
class JobQueue;
}  // namespace keel::jobs
namespace keel::sql {
class Database;
}

namespace keel::image2model {

class RemoteGenerator;
class TusStore;

struct GenerationContext {
  BatchStore& store;
  blobs::BlobStore& blobs;
  sql::Database& database;
  jobs::JobQueue& jobs;
  BlockingPool& pool;
  const Clock& clock;
  Image2ModelOptions options;
  RemoteGenerator* remote = nullptr;  // null when image2model.remote_base_url is empty
  TusStore* uploads = nullptr;        // resumable uploads, expired by the maintenance job
  // Tells the batch's followers (its event streams, on every instance) that it changed.
  std::function<void(const std::string& batch_id)> changed;
};

// REQUIRES: `context`'s parts outlive the job runtime.
void AddGenerationJobs(jobs::JobKinds& kinds, const GenerationContext& context);

}  // namespace keel::image2model
