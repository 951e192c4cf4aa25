// Building problem+json bodies and mapping error codes to statuses.
#include "http/problem.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keel::http {
namespace {

// The problem type names the class of problem, stable across releases, so clients can switch on it.
std::string ProblemType(int status) {
  switch (status) {
    case 400:
      return "urn:keel:problem:bad-request";
    case 401:
      return "urn:keel:problem:unauthenticated";
    case 403:
      return "urn:keel:problem:forbidden";
    case 404:
      return "urn:keel:problem:not-found";
    case 405:
      return "urn:keel:problem:method-not-allowed";
    case 408:
      return "urn:keel:problem:request-timeout";
    case 409:
      return "urn:keel:problem:conflict";
    case 412:
      return "urn:keel:problem:precondition-failed";
    case 413:
      return "urn:keel:problem:content-too-large";
    case 414:
      return "urn:keel:problem:uri-too-long";
    case 415:
      return "urn:keel:problem:unsupported-media-type";
    case 422:
      return "urn:keel:problem:validation";
    case 429:
      return "urn:keel:problem:rate-limited";
    case 431:
      return "urn:keel:problem:headers-too-large";
    case 500:
      return "urn:keel:problem:internal";
    case 501:
      return "urn:keel:problem:not-implemented";
    case 503:
      return "urn:keel:problem:unavailable";
    case 505:
      return "urn:keel:problem:version-not-supported";
    default:
      return "about:blank";
  }
}

}  // namespace

Response Problem(int status, std::string_view detail, const std::vector<FieldError>& errors) {
  nlohmann::ordered_json body;
  body["type"] = ProblemType(status);
  body["title"] = std::string(ReasonPhrase(status));
  body["status"] = status;
  body["detail"] = std::string(detail);
  if (!errors.empty()) {
    auto& list = body["errors"] = nlohmann::ordered_json::array();
    for (const auto& e : errors) {
      nlohmann::ordered_json entry = {{"field", e.field}};
      if (e.pointer) entry["pointer"] = *e.pointer;
      entry["message"] = e.message;
      list.push_back(std::move(entry));
    }
  }
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", "application/problem+json");
  // Invalid UTF-8 from a client must not turn an error report into an exception.
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (status == 503) r.headers.Add("Retry-After", "1");
  return r;
}

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kValidation:
      return 422;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPrecondition:
      return 412;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMedia:
      return 415;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kOverloaded:
      return 503;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response InvalidFieldsProblem(const std::vector<FieldError>& errors) {
  return Problem(HttpStatus(ErrorCode::kValidation), fmt::format("{} invalid field(s)", errors.size()),
                 errors);
}

Response ProblemFrom(const Error& error) {
  int status = HttpStatus(error.code);
  // Internal details stay in the log; the client learns only that it was our fault.
  if (status == 500) {
    Response response = Problem(500, "internal error; the request id identifies it in the server log");
    response.internal_error = error.message;
    return response;
  }
  return Problem(status, error.message);
}

}  // namespace keel::http
