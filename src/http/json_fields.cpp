// JsonFields: parsing once, then typed and bounded field reads that record what was wrong.
#include "http/json_fields.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace keel::http {

JsonFields::JsonFields(std::string_view body) {
  json_ = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json_.is_discarded()) {
    AddError("body", "is not valid JSON");
    json_ = nlohmann::json::object();
  } else if (!json_.is_object()) {
    AddError("body", "must be a JSON object");
    json_ = nlohmann::json::object();
  }
}

std::optional<std::string> JsonFields::String(std::string_view name, std::size_t min, std::size_t max,
                                              bool required, bool trim) {
  auto it = json_.find(name);
  if (it == json_.end()) {
    if (required) AddError(std::string(name), "is required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    AddError(std::string(name), "must be a string");
    return std::nullopt;
  }
  std::string value = it->get<std::string>();
  if (trim) {
    auto first = value.find_first_not_of(" \t\r\n");
    auto last = value.find_last_not_of(" \t\r\n");
    value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
  }
  auto length = Utf8Length(value);
  if (!length) {
    AddError(std::string(name), "is not valid UTF-8");
    return std::nullopt;
  }
  if (*length < min || *length > max) {
    AddError(std::string(name), min == max ? fmt::format("must be {} characters", min)
                                           : fmt::format("must be {} to {} characters", min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> JsonFields::Bool(std::string_view name, bool required) {
  auto it = json_.find(name);
  if (it == json_.end()) {
    if (required) AddError(std::string(name), "is required");
    return std::nullopt;
  }
  if (!it->is_boolean()) {
    AddError(std::string(name), "must be true or false");
    return std::nullopt;
  }
  return it->get<bool>();
}

const nlohmann::json* JsonFields::Member(std::string_view name) const {
  auto it = json_.find(name);
  return it == json_.end() ? nullptr : &*it;
}

void JsonFields::RejectUnknown(std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : json_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      AddError(key, "is not a known field");
  }
}

Response JsonFields::Problem() const { return InvalidFieldsProblem(errors_); }

}  // namespace keel::http
