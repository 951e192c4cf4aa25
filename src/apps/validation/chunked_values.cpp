// ChunkedValues: the chunking and the placeholders.
#include "apps/validation/chunked_values.hpp"

#include <string>

namespace keel::validation {

namespace {

constexpr std::size_t kLargestChunk = 128;

}  // namespace

std::vector<sql::Statement> ChunkedValues(std::string_view head, std::string_view tail, std::size_t columns,
                                          std::size_t rows,
                                          const std::function<void(sql::Params&, std::size_t)>& append) {
  std::string row = "(?";
  for (std::size_t i = 1; i < columns; ++i) row += ",?";
  row += ')';
  std::vector<sql::Statement> statements;
  std::size_t next = 0;
  while (next < rows) {
    std::size_t chunk = kLargestChunk;
    while (chunk > rows - next) chunk /= 2;
    sql::Statement statement;
    statement.sql.reserve(head.size() + tail.size() + chunk * (row.size() + 1) + 2);
    statement.sql.append(head).append(" ").append(row);
    for (std::size_t i = 1; i < chunk; ++i) statement.sql.append(",").append(row);
    if (!tail.empty()) statement.sql.append(" ").append(tail);
    statement.params.reserve(chunk * columns);
    for (std::size_t i = 0; i < chunk; ++i) append(statement.params, next + i);
    statements.push_back(std::move(statement));
    next += chunk;
  }
  return statements;
}

}  // namespace keel::validation
