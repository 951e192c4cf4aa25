#include "apps/siprems/csv_reader.hpp"

#include <fmt/format.h>

namespace keel::siprems {

bool CsvReader::Fail(std::string message) {
  error_ = fmt::format("line {}: {}", record_line_, message);
  return false;
}

void CsvReader::EndField() {
  fields_.push_back(std::move(field_));
  field_.clear();
  field_quoted_ = false;
}

void CsvReader::EndRecord() {
  EndField();
  // A blank line is one empty unquoted field.
  if (!(fields_.size() == 1 && fields_[0].empty() && !record_started_)) on_record_(fields_, record_line_);
  fields_.clear();
  record_bytes_ = 0;
  record_started_ = false;
}

bool CsvReader::Feed(std::string_view bytes) {
  if (error_) return false;
  for (char c : bytes) {
    if (++record_bytes_ > max_record_bytes_)
      return Fail(fmt::format("a record is longer than {} bytes", max_record_bytes_));
    if (in_quotes_) {
      if (quote_seen_) {
        quote_seen_ = false;
        if (c == '"') {
          field_ += '"';
          continue;
        }
        in_quotes_ = false;  // that quote closed the field; c follows it
      } else {
        if (c == '"') {
          quote_seen_ = true;
        } else {
          if (c == '\n') ++line_;
          field_ += c;
        }
        continue;
      }
    }
    if (after_cr_ && c != '\n') return Fail("a carriage return not followed by a line feed");
    after_cr_ = false;
    switch (c) {
      case ',':
        record_started_ = true;
        EndField();
        break;
      case '\r':
        after_cr_ = true;
        break;
      case '\n':
        EndRecord();
        ++line_;
        record_line_ = line_;
        break;
      case '"':
        if (!field_.empty() || field_quoted_) return Fail("a quote inside an unquoted field");
        in_quotes_ = field_quoted_ = record_started_ = true;
        break;
      default:
        if (field_quoted_) return Fail("text after a quoted field's closing quote");
        record_started_ = true;
        field_ += c;
    }
  }
  return true;
}

bool CsvReader::Finish() {
  if (error_) return false;
  if (in_quotes_ && !quote_seen_) return Fail("a quoted field is not closed");
  in_quotes_ = quote_seen_ = false;
  if (after_cr_) return Fail("a carriage return not followed by a line feed");
  if (record_started_ || !field_.empty()) EndRecord();
  return true;
}

}  // namespace keel::siprems
