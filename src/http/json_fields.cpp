// JsonFields: parsing once, then typed and bounded field reads that record what was wrong.
#include "http/json_fields.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace keel::http {

JsonFields::JsonFields(std::string_view body) {
  JsonBody parsed = ParseJsonBody(body);
  problem_.malformed = std::move(parsed.malformed);
  problem_.errors = std::move(parsed.errors);
  json_ = std::move(parsed.value);
  if (!problem_.malformed && !json_.is_object()) {
    AddError("body", "must be a JSON object");
    json_ = nlohmann::json::object();
  }
  if (problem_.malformed) json_ = nlohmann::json::object();
}

void JsonFields::AddError(std::string name, std::string message) {
  std::string pointer = name == "body" ? std::string() : JsonPointerAppend("", name);
  problem_.errors.push_back({std::move(name), std::move(message), std::move(pointer)});
}

bool JsonFields::Reported(std::string_view name) const {
  std::string pointer = JsonPointerAppend("", name);
  return std::any_of(problem_.errors.begin(), problem_.errors.end(),
                     [&](const FieldError& error) { return error.pointer == pointer; });
}

std::optional<std::string> JsonFields::String(std::string_view name, std::size_t min, std::size_t max,
                                              bool required, bool trim) {
  if (Reported(name)) return std::nullopt;
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
  if (Reported(name)) return std::nullopt;
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
  if (Reported(name)) return nullptr;
  auto it = json_.find(name);
  return it == json_.end() ? nullptr : &*it;
}

void JsonFields::RejectUnknown(std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : json_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() && !Reported(key))
      AddError(key, "is not a known field");
  }
}

}  // namespace keel::http
