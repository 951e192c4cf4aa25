#include "apps/siprems/sales_import.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "apps/siprems/period.hpp"

namespace keel::siprems {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A plain decimal number ("12", "3.5", "1e3"); nullopt for anything else, hex and "nan" included.
std::optional<double> Number(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

SalesImport::SalesImport(std::int64_t max_rows)
    : reader_([this](std::vector<std::string>& fields, std::int64_t line) { OnRecord(fields, line); }),
      max_rows_(max_rows) {}

void SalesImport::Finish() {
  reader_.Finish();
  if (reader_.error() && !fatal_) fatal_ = "the CSV is broken at " + *reader_.error();
  if (!fatal_ && !have_header_)
    fatal_ = "the file is empty: a header line sku,date,quantity[,unit_price] is needed";
  if (!fatal_ && sales_.empty() && errors_.empty()) fatal_ = "the file holds a header but no sales";
}

void SalesImport::AddError(std::int64_t line, std::string reason) {
  ++error_count_;
  if (errors_.size() < kMaxReported) errors_.push_back({line, std::move(reason)});
}

void SalesImport::OnHeader(std::vector<std::string>& fields) {
  have_header_ = true;
  columns_ = fields.size();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string name = Lower(Trim(fields[i]));
    if (i == 0 && name.rfind("\xef\xbb\xbf", 0) == 0) name.erase(0, 3);  // a spreadsheet's byte-order mark
    if (!seen.insert(name).second) {
      fatal_ = fmt::format("the header names the column {} twice", name);
      return;
    }
    int column = static_cast<int>(i);
    if (name == "sku")
      sku_ = column;
    else if (name == "date")
      date_ = column;
    else if (name == "quantity")
      quantity_ = column;
    else if (name == "unit_price")
      unit_price_ = column;
    else
      fatal_ = fmt::format("the header's column {} ({}) is not one of sku, date, quantity, unit_price", i + 1,
                           name);
  }
  if (!fatal_ && (sku_ < 0 || date_ < 0 || quantity_ < 0))
    fatal_ = "the header must name the columns sku, date and quantity (unit_price is optional)";
}

void SalesImport::OnRecord(std::vector<std::string>& fields, std::int64_t line) {
  if (fatal_) return;
  if (!have_header_) {
    OnHeader(fields);
    return;
  }
  if (++rows_read_ > max_rows_) {
    fatal_ = fmt::format("the file holds more than {} sales (siprems.max_import_rows)", max_rows_);
    return;
  }
  if (fields.size() != columns_) {
    AddError(line, fmt::format("{} fields where the header names {}", fields.size(), columns_));
    sales_.clear();
    lines_.clear();
    return;
  }
  Sale sale;
  std::vector<std::string> reasons;
  sale.sku = std::string(Trim(fields[static_cast<std::size_t>(sku_)]));
  if (!ValidSku(sale.sku)) reasons.push_back(fmt::format("sku {:?} is not a valid SKU", sale.sku));
  std::string_view date = Trim(fields[static_cast<std::size_t>(date_)]);
  if (auto day = ParseDay(date))
    sale.day = *day;
  else
    reasons.push_back(fmt::format("date {:?} is not a date YYYY-MM-DD between 1900 and 2999", date));
  auto quantity = Number(fields[static_cast<std::size_t>(quantity_)]);
  if (!quantity)
    reasons.push_back("quantity is not a number");
  else if (auto wrong = CheckQuantity(*quantity))
    reasons.push_back("quantity " + *wrong);
  else
    sale.quantity = *quantity;
  if (unit_price_ >= 0 && !Trim(fields[static_cast<std::size_t>(unit_price_)]).empty()) {
    auto price = Number(fields[static_cast<std::size_t>(unit_price_)]);
    if (!price)
      reasons.push_back("unit_price is not a number");
    else if (auto wrong = CheckUnitPrice(*price))
      reasons.push_back("unit_price " + *wrong);
    else
      sale.unit_price = *price;
  }
  if (!reasons.empty()) {
    std::string joined;
    for (const auto& reason : reasons) joined += (joined.empty() ? "" : "; ") + reason;
    AddError(line, std::move(joined));
    sales_.clear();
    lines_.clear();
    return;
  }
  if (error_count_ > 0) return;  // once a line is bad nothing will be written: rows are no longer kept
  sales_.push_back(std::move(sale));
  lines_.push_back(line);
}

void SalesImport::RejectSkus(const std::vector<std::string>& skus) {
  std::set<std::string_view> unknown(skus.begin(), skus.end());
  for (std::size_t i = 0; i < sales_.size(); ++i)
    if (unknown.count(sales_[i].sku))
      AddError(lines_[i], fmt::format("no product with SKU {}", sales_[i].sku));
}

}  // namespace keel::siprems
