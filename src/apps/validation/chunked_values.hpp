// Multi-row INSERT ... VALUES statements for a batch of rows, in chunks of powers of two up to 128 rows: a
// batch of any size is a few statements, and only eight statement texts per table ever exist, so each is
// prepared once and cached by the connection.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "storage/sql/value.hpp"

namespace keel::validation {

// `head` is "INSERT INTO t (a, b) VALUES", `tail` what follows the rows (an ON CONFLICT clause, or empty);
// `append(params, i)` appends row i's `columns` values.
std::vector<sql::Statement> ChunkedValues(std::string_view head, std::string_view tail, std::size_t columns,
                                          std::size_t rows,
                                          const std::function<void(sql::Params&, std::size_t)>& append);

}  // namespace keel::validation
