// The lines of an export file: CSV (RFC 4180, a header line first) or NDJSON (one JSON object per line, the
// same object GET /api/v1/apps/{id}/logs lists).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::validation {

enum class ExportFormat { kCsv, kNdjson };

std::optional<ExportFormat> ParseExportFormat(std::string_view name);
std::string_view ExportFormatName(ExportFormat format);
std::string_view ExportContentType(ExportFormat format);

// One stored event, as the export reads it from log_entries.
struct ExportedEvent {
  std::int64_t id = 0;
  std::string event;
  std::int64_t created_ms = 0;
  std::int64_t event_ms = 0;
  std::optional<std::string> user_id;
  std::string properties;  // JSON
  bool valid = true;
  std::string violations;  // JSON array; "[]" when valid
  std::optional<std::int64_t> rules_version;
};

// What starts the file (the CSV header line; nothing for NDJSON).
std::string ExportHeader(ExportFormat format);
// Appends `event`'s line, newline included.
void AppendExportLine(ExportFormat format, const ExportedEvent& event, std::string& out);

}  // namespace keel::validation
