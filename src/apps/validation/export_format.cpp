// The CSV and NDJSON lines.
#include "apps/validation/export_format.hpp"

#include <fmt/format.h>

#include "core/json_text.hpp"
#include "core/rfc3339.hpp"

namespace keel::validation {

namespace {

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "ndjson") return ExportFormat::kNdjson;
  return std::nullopt;
}

std::string_view ExportFormatName(ExportFormat format) {
  return format == ExportFormat::kCsv ? "csv" : "ndjson";
}

std::string_view ExportContentType(ExportFormat format) {
  return format == ExportFormat::kCsv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

std::string ExportHeader(ExportFormat format) {
  if (format == ExportFormat::kNdjson) return {};
  return "id,received_at,timestamp,event,user_id,valid,violations,properties,rules_version\r\n";
}

void AppendExportLine(ExportFormat format, const ExportedEvent& event, std::string& out) {
  const std::string received = FormatRfc3339(event.created_ms);
  const std::string happened = FormatRfc3339(event.event_ms);
  if (format == ExportFormat::kCsv) {
    out += fmt::format("{},{},{},", event.id, received, happened);
    AppendCsvField(out, event.event);
    out += ',';
    if (event.user_id) AppendCsvField(out, *event.user_id);
    out += event.valid ? ",true," : ",false,";
    AppendCsvField(out, event.violations);
    out += ',';
    AppendCsvField(out, event.properties);
    out += ',';
    if (event.rules_version) out += std::to_string(*event.rules_version);
    out += "\r\n";
    return;
  }
  out += fmt::format("{{\"id\":{},\"event\":", event.id);
  AppendJsonString(out, event.event);
  out += fmt::format(",\"timestamp\":\"{}\",\"received_at\":\"{}\",\"user_id\":", happened, received);
  if (event.user_id)
    AppendJsonString(out, *event.user_id);
  else
    out += "null";
  out += fmt::format(",\"properties\":{},\"valid\":{},\"violations\":{},\"rules_version\":", event.properties,
                     event.valid, event.violations);
  out += event.rules_version ? std::to_string(*event.rules_version) : std::string("null");
  out += "}\n";
}

}  // namespace keel::validation
