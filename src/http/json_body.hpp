// The one reading of a JSON request body, with the same rules on every route:
//   - a body that is not JSON (a syntax error, or empty) is malformed: 400, nothing else is said about it;
//   - a well-formed body's problems are field errors: 422, one entry per field, each with its JSON pointer
//     (RFC 6901). The reader itself finds two kinds: a key given twice in one object (the first value is
//     kept, so "last one wins" can never pick a different account than the first), and a number beyond a
//     double's range such as 1e400 (valid JSON, read as null);
//   - the route's own checks (missing, unknown, wrong type, out of its range) add more entries
//     (http/json_fields.hpp), and BodyProblem turns the lot into the answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.hpp"
#include "http/problem.hpp"

namespace keel::http {

struct JsonBody {
  std::optional<std::string> malformed;  // set: not JSON; says where the syntax broke
  nlohmann::json value;                  // the document, when not malformed
  std::vector<FieldError> errors;        // duplicate keys and out-of-range numbers
};

JsonBody ParseJsonBody(std::string_view body);

// "/instances/3/area" from the path's parts, escaped per RFC 6901 ("~" as "~0", "/" as "~1").
std::string JsonPointer(const std::vector<std::string>& parts);
// `parent` extended by one member name or array index.
std::string JsonPointerAppend(std::string_view parent, std::string_view part);
// The same, in place: `pointer` grows by "/" and the escaped part (for paths built on a hot path).
void AppendJsonPointerToken(std::string& pointer, std::string_view part);
// The field error at `pointer`: its field is the pointer without the leading "/" ("body" for "").
FieldError FieldAtPointer(const std::string& pointer, std::string message);

// What is wrong with a request's input: either it was not JSON at all, or these fields are invalid.
struct InputProblem {
  std::optional<std::string> malformed;
  std::vector<FieldError> errors;

  bool ok() const { return !malformed && errors.empty(); }
  // 400 for a malformed body, else 422 listing every field error.
  Response ToResponse() const;
};

}  // namespace keel::http
