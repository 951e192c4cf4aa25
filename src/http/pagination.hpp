// The one way lists paginate: ?page= (from 1) and ?per_page= (1..100, default 20).
#pragma once

#include <cstdint>
#include <vector>

#include "http/message.hpp"
#include "http/problem.hpp"

namespace keel::http {

struct Pagination {
  std::int64_t page = 1;
  std::int64_t per_page = 20;
  std::int64_t Offset() const { return (page - 1) * per_page; }
};

inline constexpr std::int64_t kMaxPerPage = 100;

// Reads page and per_page, recording a FieldError for each invalid one.
Pagination ParsePagination(const Request& request, std::vector<FieldError>& errors);

}  // namespace keel::http
