// Reading and checking pagination parameters.
#include "http/pagination.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace keel::http {
namespace {

std::optional<std::int64_t> Integer(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Pagination ParsePagination(const Request& request, std::vector<FieldError>& errors) {
  Pagination pagination;
  if (auto page = request.QueryParam("page")) {
    auto n = Integer(*page);
    if (!n || *n < 1 || *n > 1'000'000)
      errors.push_back({"page", "must be an integer from 1 to 1000000"});
    else
      pagination.page = *n;
  }
  if (auto per_page = request.QueryParam("per_page")) {
    auto n = Integer(*per_page);
    if (!n || *n < 1 || *n > kMaxPerPage)
      errors.push_back({"per_page", "must be an integer from 1 to 100"});
    else
      pagination.per_page = *n;
  }
  return pagination;
}

}  // namespace keel::http
