// Typed access to result cells.
#include "storage/sql/value.hpp"

namespace keel::sql {

std::optional<std::int64_t> Rows::Int(std::size_t row, std::size_t column) const {
  if (const auto* v = std::get_if<std::int64_t>(&rows.at(row).at(column))) return *v;
  return std::nullopt;
}

std::optional<double> Rows::Double(std::size_t row, std::size_t column) const {
  const auto& cell = rows.at(row).at(column);
  if (const auto* v = std::get_if<double>(&cell)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&cell)) return static_cast<double>(*v);
  return std::nullopt;
}

std::optional<std::string_view> Rows::Text(std::size_t row, std::size_t column) const {
  if (const auto* v = std::get_if<std::string>(&rows.at(row).at(column))) return std::string_view(*v);
  return std::nullopt;
}

}  // namespace keel::sql
