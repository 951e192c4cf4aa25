// Query strings and paths: parameter lookup, percent-decoding, pagination (?page=&per_page=), and the
// router matching a path against templates with parameters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/pagination.hpp"
#include "http/router.hpp"

namespace {

const keel::http::Router& Routes() {
  static const keel::http::Router* router = [] {
    auto* r = new keel::http::Router();
    keel::http::Handler none;
    for (const char* pattern :
         {"/api/v1/tasks", "/api/v1/tasks/{id}", "/api/v1/apps/{app_id}/rules/versions/{version}",
          "/api/v1/models/{name}/predict", "/health"})
      r->Add("GET", pattern, none);
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  keel::http::Request request;
  auto split = text.find('\n');
  request.path = std::string(text.substr(0, split));
  request.query = split == std::string_view::npos ? std::string() : std::string(text.substr(split + 1));
  std::vector<keel::http::FieldError> errors;
  keel::http::Pagination page = keel::http::ParsePagination(request, errors);
  if (errors.empty() && (page.page < 1 || page.per_page < 1 || page.per_page > keel::http::kMaxPerPage))
    __builtin_trap();
  (void)page.Offset();
  (void)request.QueryParam("status");
  (void)keel::http::PercentDecode(request.query);
  (void)Routes().Match("GET", request.path);
  return 0;
}
