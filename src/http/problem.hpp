// RFC 9457 problem+json responses, and the one table from ErrorCode to HTTP status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace keel::http {

// One invalid input field. `field` names it ("title", "features.area", "instances/3/area", a query
// parameter); a field of a JSON body also has its RFC 6901 `pointer` ("/features/area"; "" is the whole
// body).
struct FieldError {
  FieldError(std::string field_name, std::string text, std::optional<std::string> json_pointer = std::nullopt)
      : field(std::move(field_name)), message(std::move(text)), pointer(std::move(json_pointer)) {}

  std::string field;
  std::string message;
  std::optional<std::string> pointer;
};

// A problem+json response: type, title (the status reason), status, detail, and errors when given.
Response Problem(int status, std::string_view detail, const std::vector<FieldError>& errors = {});

// The 422 answer for invalid fields: "N invalid field(s)" with one entry per field.
Response InvalidFieldsProblem(const std::vector<FieldError>& errors);

// The HTTP status for an internal error code.
int HttpStatus(ErrorCode code);

// Maps an internal error to its problem response; 503s carry Retry-After.
Response ProblemFrom(const Error& error);

}  // namespace keel::http
