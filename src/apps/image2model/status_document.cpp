#include "apps/image2model/status_document.hpp"

#include <fmt/format.h>

#include "core/rfc3339.hpp"

namespace keel::image2model {

namespace {

nlohmann::json FileDocument(const FileRecord& file, std::string_view format, std::int64_t now_ms) {
  bool expired = file.expires_ms && *file.expires_ms < now_ms && file.status == "completed";
  nlohmann::json results = nullptr;
  if (file.results && !expired) {
    results = {{"model", fmt::format("/api/v1/results/{}/model.{}", file.id, format)},
               {"thumbnail", fmt::format("/api/v1/results/{}/thumbnail.png", file.id)},
               {"triangles", file.results->triangles}};
  }
  nlohmann::json document = {{"file_id", file.id},
                             {"filename", file.filename},
                             {"status", file.status},
                             {"stage", file.stage},
                             {"progress", file.Finished() ? 100 : file.progress},
                             {"error", file.error ? nlohmann::json(*file.error) : nlohmann::json(nullptr)},
                             {"results", results},
                             {"width", file.width},
                             {"height", file.height},
                             {"media_type", file.media_type}};
  if (file.status == "completed" && file.expires_ms) {
    document["expires_at"] = FormatRfc3339(*file.expires_ms);
    document["expired"] = expired;
  }
  return document;
}

}  // namespace

std::string StatusUrl(std::string_view batch_id) { return fmt::format("/api/v1/status/{}", batch_id); }

std::int64_t BatchProgress(const BatchRecord& batch) {
  if (batch.files.empty()) return 0;
  std::int64_t sum = 0;
  for (const FileRecord& file : batch.files) sum += file.Finished() ? 100 : file.progress;
  return sum / static_cast<std::int64_t>(batch.files.size());
}

nlohmann::json StatusDocument(const BatchRecord& batch, std::optional<std::int64_t> queue_position,
                              std::int64_t now_ms) {
  nlohmann::json files = nlohmann::json::array();
  for (const FileRecord& file : batch.files) files.push_back(FileDocument(file, batch.format, now_ms));
  return {{"job_id", batch.id},
          {"status", batch.status},
          {"progress", BatchProgress(batch)},
          {"queue_position", queue_position ? nlohmann::json(*queue_position) : nlohmann::json(nullptr)},
          {"format", batch.format},
          {"generator", batch.generator},
          {"quality", batch.quality},
          {"priority", batch.priority},
          {"files", files},
          {"created_at", FormatRfc3339(batch.created_ms)},
          {"updated_at", FormatRfc3339(batch.updated_ms)},
          {"finished_at",
           batch.finished_ms ? nlohmann::json(FormatRfc3339(*batch.finished_ms)) : nlohmann::json(nullptr)}};
}

nlohmann::json BatchSummary(const BatchRecord& batch) {
  return {{"job_id", batch.id},
          {"status", batch.status},
          {"status_url", StatusUrl(batch.id)},
          {"format", batch.format},
          {"generator", batch.generator},
          {"priority", batch.priority},
          {"files", batch.file_count},
          {"created_at", FormatRfc3339(batch.created_ms)},
          {"updated_at", FormatRfc3339(batch.updated_ms)},
          {"finished_at",
           batch.finished_ms ? nlohmann::json(FormatRfc3339(*batch.finished_ms)) : nlohmann::json(nullptr)}};
}

}  // namespace keel::image2model
