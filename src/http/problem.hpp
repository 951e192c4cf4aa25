// RFC 9457 problem+json responses, and the one table from ErrorCode to HTTP status.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace keel::http {

// One invalid input field; `field` is a JSON-pointer-like path ("features.area", "instances/3/area").
struct FieldError {
  std::string field;
  std::string message;
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
