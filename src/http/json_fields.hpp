// Reading JSON request bodies field by field, collecting one FieldError per bad field for a 422 answer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"
#include "http/problem.hpp"

namespace keel::http {

class JsonFields {
 public:
  // Parses body; a body that is not a JSON object is recorded as an error on field "body".
  explicit JsonFields(std::string_view body);

  // A string of min..max characters (UTF-8 code points), trimmed of surrounding white space when trim is set.
  // Missing: an error when required, nullopt otherwise. An explicit null is an error (not a string).
  std::optional<std::string> String(std::string_view name, std::size_t min, std::size_t max, bool required,
                                    bool trim = false);

  // A boolean; missing: an error when required, nullopt otherwise.
  std::optional<bool> Bool(std::string_view name, bool required);

  // The raw member, for types these readers do not cover; nullptr when absent.
  const nlohmann::json* Member(std::string_view name) const;

  // Records an error for every member not in `allowed`.
  void RejectUnknown(std::initializer_list<std::string_view> allowed);

  void AddError(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  bool ok() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  // The 422 problem listing every error.
  Response Problem() const;

 private:
  nlohmann::json json_;
  std::vector<FieldError> errors_;
};

}  // namespace keel::http
