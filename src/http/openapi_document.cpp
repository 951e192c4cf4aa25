// Merging the OpenAPI parts into one document, keeping each part's order.
#include "http/openapi_document.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keel::http {
namespace {

using Json = nlohmann::ordered_json;

Error PartError(std::string_view owner, std::string_view problem) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("OpenAPI part of {}: {}", owner, problem)};
}

}  // namespace

Result<std::string> MergeOpenApi(std::string_view base, const std::vector<OpenApiPart>& parts) {
  Json document = Json::parse(base, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) return PartError("the platform", "not a JSON object");
  Json& paths = document["paths"];
  Json& schemas = document["components"]["schemas"];
  for (const auto& part : parts) {
    Json fragment = Json::parse(part.json, nullptr, /*allow_exceptions=*/false);
    if (!fragment.is_object()) return PartError(part.owner, "not a JSON object");
    for (const auto& [key, value] : fragment.items())
      if (key != "paths" && key != "components")
        return PartError(part.owner, fmt::format("unexpected member {}", key));
    // Named, not iterated as temporaries: g++ 12 warns (wrongly) about those at -O3.
    const Json no_members = Json::object();
    const Json& part_paths = fragment.contains("paths") ? fragment["paths"] : no_members;
    const Json& components = fragment.contains("components") ? fragment["components"] : no_members;
    const Json& part_schemas = components.contains("schemas") ? components["schemas"] : no_members;
    if (!part_paths.is_object() || !components.is_object() || !part_schemas.is_object())
      return PartError(part.owner, "paths, components and components.schemas must be objects");
    for (const auto& [path, operations] : part_paths.items()) {
      if (!operations.is_object()) return PartError(part.owner, fmt::format("{} is not an object", path));
      for (const auto& [method, operation] : operations.items()) {
        if (paths.contains(path) && paths[path].contains(method))
          return PartError(part.owner, fmt::format("{} {} is declared twice", method, path));
        paths[path][method] = operation;
      }
    }
    for (const auto& [kind, value] : components.items())
      if (kind != "schemas")
        return PartError(part.owner, fmt::format("components.{} belongs to the platform", kind));
    for (const auto& [name, schema] : part_schemas.items()) {
      if (schemas.contains(name))
        return PartError(part.owner, fmt::format("schema {} is declared twice", name));
      schemas[name] = schema;
    }
  }
  return document.dump();
}

}  // namespace keel::http
