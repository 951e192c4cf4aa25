// Reading a sales CSV for POST /api/v1/sales/import as it streams in: a header naming the columns sku, date,
// quantity and optionally unit_price (any order, any case), then one sale per line. Every bad line is
// reported with its number and why; the import is all or nothing, so one bad line means nothing is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/siprems/csv_reader.hpp"
#include "apps/siprems/sale.hpp"

namespace keel::siprems {

struct LineError {
  std::int64_t line = 0;
  std::string reason;
};

class SalesImport {
 public:
  // Lines reported in full; beyond them only counted.
  static constexpr std::size_t kMaxReported = 100;

  explicit SalesImport(std::int64_t max_rows);

  void Feed(std::string_view bytes) { reader_.Feed(bytes); }
  // The body ended; call once before reading the outcome.
  void Finish();

  // The sales read, when no line was bad.
  std::vector<Sale>& sales() { return sales_; }
  bool ok() const { return errors_.empty() && !fatal_; }
  // Bad lines (at most kMaxReported) and how many there were in all.
  const std::vector<LineError>& errors() const { return errors_; }
  std::int64_t error_count() const { return error_count_; }
  // A problem with the file as a whole (no header, too many rows, broken CSV); nothing else is then said.
  const std::optional<std::string>& fatal() const { return fatal_; }
  // Marks every line holding one of `skus` as bad ("no product with this SKU"); for after the catalogue was
  // asked which of sales()' SKUs it lacks.
  void RejectSkus(const std::vector<std::string>& skus);

 private:
  void OnRecord(std::vector<std::string>& fields, std::int64_t line);
  void OnHeader(std::vector<std::string>& fields);
  void AddError(std::int64_t line, std::string reason);

  CsvReader reader_;
  const std::int64_t max_rows_;
  bool have_header_ = false;
  int sku_ = -1, date_ = -1, quantity_ = -1, unit_price_ = -1;
  std::size_t columns_ = 0;
  std::vector<Sale> sales_;
  std::vector<std::int64_t> lines_;  // the line of each sale, for RejectSkus
  std::vector<LineError> errors_;
  std::int64_t error_count_ = 0;
  std::int64_t rows_read_ = 0;
  std::optional<std::string> fatal_;
};

}  // namespace keel::siprems
