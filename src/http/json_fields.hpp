// Reading a JSON request body field by field, collecting one FieldError per bad field. Every route that takes
// a JSON body reads it through this (or, on the prediction hot path, through rules it shares with
// http/json_body.hpp): a malformed body is 400, anything else wrong is 422 with one entry per field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"

namespace keel::http {

class JsonFields {
 public:
  // Parses body (ParseJsonBody). A body that is JSON but not an object is a field error on "body".
  explicit JsonFields(std::string_view body);

  // A string of min..max characters (UTF-8 code points), trimmed of surrounding white space when trim is set.
  // Missing: an error when required, nullopt otherwise. An explicit null is an error (not a string).
  std::optional<std::string> String(std::string_view name, std::size_t min, std::size_t max, bool required,
                                    bool trim = false);

  // A boolean; missing: an error when required, nullopt otherwise.
  std::optional<bool> Bool(std::string_view name, bool required);

  // The raw member, for types these readers do not cover; nullptr when absent or already reported.
  const nlohmann::json* Member(std::string_view name) const;

  // Records an error for every member not in `allowed` (and not already reported).
  void RejectUnknown(std::initializer_list<std::string_view> allowed);

  // An error on the top-level member `name` ("body": the whole document).
  void AddError(std::string name, std::string message);
  bool ok() const { return problem_.ok(); }
  // Not JSON at all: nothing else is checked.
  bool malformed() const { return problem_.malformed.has_value(); }
  const std::vector<FieldError>& errors() const { return problem_.errors; }
  const InputProblem& problem() const { return problem_; }
  // 400 for a malformed body, else the 422 listing every error.
  Response Problem() const { return problem_.ToResponse(); }

 private:
  // True when `name` already has an error (from the body's parse): readers then stay silent, so each field
  // gets one entry.
  bool Reported(std::string_view name) const;

  nlohmann::json json_;
  InputProblem problem_;
};

}  // namespace keel::http
