// Data exports of an app's logs (POST /api/v1/apps/{app_id}/exports): a row in validation_exports and a
// durable job (validation.export, on the batch_processing queue, owned by the user, so its progress is
// readable at /api/v1/jobs/{id}) that writes the file in chunks of about 256 KiB into
// validation_export_chunks. Chunks in the database rather than files: any instance can serve the download,
// whichever worker made it, and the download streams one chunk at a time, never the whole file.
//
// An export covers the events that arrived in [since, until), oldest first; `until` defaults to the request's
// time, so an export is a snapshot that later events do not change. Exports are kept for kExportDays.
//
// Thread safety: safe from any IO thread; the job runs on a worker thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/validation/export_format.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

inline constexpr std::int64_t kExportDays = 7;
inline constexpr const char* kExportKind = "validation.export";

struct ExportRecord {
  std::string id;
  std::string app_id;
  ExportFormat format = ExportFormat::kNdjson;
  std::optional<std::int64_t> since_ms;
  std::int64_t until_ms = 0;
  std::string state;  // running | ready | failed
  std::optional<std::int64_t> job_id;
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::string created_at;
  std::optional<std::string> finished_at;
};

class Exports {
 public:
  Exports(sql::Database& db, jobs::JobQueue& jobs, const Clock& clock)
      : db_(db), jobs_(jobs), clock_(clock) {}

  // The export and its job, in one transaction (kNotFound when the app is not the owner's).
  Task<Result<ExportRecord>> Start(std::string owner_id, std::string app_id, ExportFormat format,
                                   std::optional<std::int64_t> since_ms,
                                   std::optional<std::int64_t> until_ms);
  // kNotFound unless the export is the owner's.
  Task<Result<ExportRecord>> Find(std::string owner_id, std::string id);
  // The file's chunk `seq` (from 0); nullopt past the last.
  Task<Result<std::optional<std::string>>> Chunk(std::string id, std::int64_t seq);

 private:
  sql::Database& db_;
  jobs::JobQueue& jobs_;
  const Clock& clock_;
};

// {"id", "app_id", "format", "since", "until", "state", "events", "bytes", "job_id", "created_at",
// "finished_at", "download"}
nlohmann::ordered_json ExportJson(const ExportRecord& record);

// The validation.export job kind.
void AddExportJob(sql::Database& db, const Clock& clock, jobs::JobKinds& kinds);

}  // namespace keel::validation
