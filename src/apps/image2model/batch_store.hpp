// Batches and their files in the database: created with their generation job in one transaction, progress
// and results written by the workers, cancelled by their owners, and expired by the maintenance job. A
// batch's status follows from its files' and is recomputed in the transaction that changes one of them.
//
// Blobs (inputs and results) are counted in blob_refs in the same transactions that add or drop the rows
// that name them.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/blobs/blob_store.hpp"

namespace keel::sql {
class Database;
class Session;
}  // namespace keel::sql
namespace keel::jobs {
class JobQueue;
}

namespace keel::image2model {

// Job kinds (registered in generation_jobs.cpp) and the unique key of a file's generation job.
inline constexpr std::string_view kBatchJob = "image2model.batch";
inline constexpr std::string_view kGenerateJob = "image2model.generate";
std::string GenerationJobKey(std::string_view file_id);

struct ResultBlobs {
  blobs::BlobInfo glb, stl, obj, thumbnail;  // sizes are known when stored, not when read back
  std::size_t triangles = 0;
};

struct FileRecord {
  std::string id;
  std::string batch_id;
  std::int64_t position = 0;
  std::string filename;
  std::string media_type;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::string input_sha256;  // empty once released (expired)
  std::int64_t input_size = 0;
  std::string status = "queued";  // queued, processing, completed, failed, cancelled
  std::string stage = "queued";
  std::int64_t progress = 0;
  std::optional<std::string> error;
  std::int64_t attempts = 0;
  std::optional<ResultBlobs> results;
  std::optional<std::int64_t> expires_ms;
  std::int64_t updated_ms = 0;
  std::string remote_request_id;  // the remote generator's request, once submitted

  bool Finished() const { return status == "completed" || status == "failed" || status == "cancelled"; }
};

struct BatchRecord {
  std::string id;
  std::string owner_id;
  std::string status = "queued";  // queued, processing, completed, partial, failed, cancelled
  std::string format = "glb";
  std::string generator = "local";
  std::string quality = "standard";
  bool priority = false;
  std::optional<std::string> webhook_url;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> finished_ms;
  std::int64_t file_count = 0;
  std::vector<FileRecord> files;  // read by Find, not by List

  bool Finished() const;
};

struct BatchPage {
  std::vector<BatchRecord> batches;  // without their files
  std::int64_t total = 0;
};

class BatchStore {
 public:
  BatchStore(sql::Database& database, jobs::JobQueue& jobs, const Clock& clock, std::chrono::hours result_ttl)
      : database_(database), jobs_(jobs), clock_(clock), result_ttl_(result_ttl) {}

  // Bytes the user uploaded on the UTC day of `now_ms`.
  Task<Result<std::uint64_t>> UploadedToday(std::string owner_id);

  // Stores the batch and its files, counts their input blobs and the day's upload, and enqueues the batch
  // job, all in one transaction. kRateLimited (nothing stored) when the upload takes the user's day over
  // `daily_limit` bytes.
  Task<Result<void>> Create(const BatchRecord& batch, std::uint64_t daily_limit);

  // The batch with its files in order; nullopt when there is none. A finished batch no longer changes (but
  // for its results' expiry, which readers judge by expires_ms), so it is kept in memory for 30 s: status
  // polling of finished batches costs no query.
  Task<Result<std::optional<BatchRecord>>> Find(std::string batch_id);
  // The file and its batch's owner, for result downloads.
  Task<Result<std::optional<std::pair<FileRecord, std::string>>>> FindFile(std::string file_id);
  // Files queued for generation ahead of the batch's first queued file (priority batches first, then by
  // age); nullopt when none of its files is queued.
  Task<Result<std::optional<std::int64_t>>> QueuePosition(const BatchRecord& batch);
  // The owner's batches, newest first.
  Task<Result<BatchPage>> List(std::string owner_id, std::int64_t limit, std::int64_t offset);

  // Cancels every file not finished and its generation job. The batch as it is afterwards.
  Task<Result<BatchRecord>> Cancel(std::string batch_id);

  // A running file's stage and progress. False when the file no longer runs (cancelled, finished).
  Task<Result<bool>> SetProgress(std::string file_id, std::string stage, std::int64_t progress,
                                 bool new_attempt);
  // Remembers the remote generator's request for the file, so another attempt polls it instead of paying
  // for a second generation.
  Task<Result<void>> SetRemoteRequest(std::string file_id, std::string request_id);
  // Stores a file's results (their blobs counted) and recomputes the batch. False when the file was
  // cancelled or finished meanwhile: then nothing is stored, and the caller's blobs stay uncounted.
  Task<Result<bool>> Complete(std::string file_id, ResultBlobs results);
  // Marks a file failed with the reason.
  Task<Result<void>> Fail(std::string file_id, std::string error);

  // Releases inputs and results whose time is up (the files stay, for the batch's record); how many files.
  Task<Result<std::int64_t>> Expire();

 private:
  Task<Result<void>> RecomputeBatch(sql::Session& session, const std::string& batch_id, std::int64_t now_ms);

  sql::Database& database_;
  jobs::JobQueue& jobs_;
  const Clock& clock_;
  std::chrono::hours result_ttl_;
  std::mutex finished_mutex_;
  std::unordered_map<std::string, std::pair<BatchRecord, std::int64_t>> finished_;  // batch, kept until (ms)
};

// The UTC day ("YYYY-MM-DD") of a Unix time in ms.
std::string UtcDay(std::int64_t unix_ms);

}  // namespace keel::image2model
