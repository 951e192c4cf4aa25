// An incremental CSV reader (RFC 4180): bytes go in as they arrive, whole records come out with the line
// they started on. Quoted fields may hold commas, doubled quotes and line breaks; lines end in LF or CRLF.
// A record longer than the limit, or a quote left open at the end, is an error naming its line; after an
// error the reader takes nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::siprems {

class CsvReader {
 public:
  // Called with each record's fields and the line it started on (from 1). Blank lines are skipped.
  using OnRecord = std::function<void(std::vector<std::string>& fields, std::int64_t line)>;

  CsvReader(OnRecord on_record, std::size_t max_record_bytes = 64 * 1024)
      : on_record_(std::move(on_record)), max_record_bytes_(max_record_bytes) {}

  // Reads the next bytes; false once an error was found (see error()).
  bool Feed(std::string_view bytes);
  // The input ended: delivers a last record without a line break.
  bool Finish();

  const std::optional<std::string>& error() const { return error_; }

 private:
  void EndField();
  void EndRecord();
  bool Fail(std::string message);

  OnRecord on_record_;
  const std::size_t max_record_bytes_;
  std::vector<std::string> fields_;
  std::string field_;
  std::size_t record_bytes_ = 0;
  bool in_quotes_ = false;
  bool quote_seen_ = false;       // in quotes, the last byte was a quote: an escape or the closing one
  bool field_quoted_ = false;     // this field began with a quote
  bool after_cr_ = false;         // the last byte was a CR outside quotes
  bool record_started_ = false;   // bytes of the current record were read
  std::int64_t line_ = 1;         // the line being read
  std::int64_t record_line_ = 1;  // the line the current record began on
  std::optional<std::string> error_;
};

}  // namespace keel::siprems
