// Merging the OpenAPI parts into one document, keeping each part's order.
#include "http/openapi_document.hpp"

#include <cctype>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keel::http {
namespace {

using Json = nlohmann::ordered_json;

Json ProblemResponse(std::string_view description) {
  return Json{
      {"description", description},
      {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

// The platform's own answers, as components.responses.
Json PlatformResponses() {
  Json responses = Json::object();
  responses["Unauthorized"] = ProblemResponse("Missing, invalid or expired bearer credentials");
  responses["Unauthorized"]["headers"]["WWW-Authenticate"] = {{"description", "Bearer"},
                                                              {"schema", {{"type", "string"}}}};
  responses["Forbidden"] =
      ProblemResponse("The route is for administrators, or the API key lacks the scope the route needs");
  responses["MalformedBody"] = ProblemResponse(
      "The request body is malformed: its framing (chunked coding), or its content (multipart parts, form "
      "fields)");
  responses["RequestTimeout"] = ProblemResponse("The request body did not arrive in time");
  Json rate_headers = Json::object();
  for (const char* name : {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"})
    rate_headers[name] = {{"schema", {{"type", "integer"}, {"minimum", 0}}}};
  responses["TooManyRequests"] =
      ProblemResponse("A rate limit (per client address, user or API key) is spent");
  responses["TooManyRequests"]["headers"] = rate_headers;
  responses["ContentTooLarge"] = ProblemResponse("The request body is over the route's limit");
  responses["UnsupportedMediaType"] =
      ProblemResponse("The body is not JSON (Content-Type: application/json)");
  responses["InternalError"] =
      ProblemResponse("An unexpected failure; the request id identifies it in the log");
  return responses;
}

Json Ref(std::string_view response) {
  return Json{{"$ref", fmt::format("#/components/responses/{}", response)}};
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Every "#/components/schemas/X" that `node` refers to, directly.
void CollectSchemaRefs(const Json& node, std::set<std::string>& names) {
  static constexpr std::string_view kPrefix = "#/components/schemas/";
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string() && value.get<std::string>().rfind(kPrefix, 0) == 0)
        names.insert(value.get<std::string>().substr(kPrefix.size()));
      else
        CollectSchemaRefs(value, names);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) CollectSchemaRefs(item, names);
  }
}

// Drops the schemas nothing refers to any more (those of operations left out), following schemas that
// refer to schemas.
void PruneUnusedSchemas(Json& document) {
  Json& schemas = document["components"]["schemas"];
  std::set<std::string> used;
  CollectSchemaRefs(document["paths"], used);
  for (const auto& [kind, entries] : document["components"].items())
    if (kind != "schemas") CollectSchemaRefs(entries, used);
  std::vector<std::string> pending(used.begin(), used.end());
  while (!pending.empty()) {
    std::string name = std::move(pending.back());
    pending.pop_back();
    if (!schemas.contains(name)) continue;
    std::set<std::string> more;
    CollectSchemaRefs(schemas[name], more);
    for (const auto& next : more)
      if (used.insert(next).second) pending.push_back(next);
  }
  for (auto schema = schemas.begin(); schema != schemas.end();) {
    if (used.contains(schema.key()))
      ++schema;
    else
      schema = schemas.erase(schema);
  }
}

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

std::string DeclarePlatformAnswers(std::string_view text, const Router& router) {
  Json document = Json::parse(text);
  Json& shared = document["components"]["responses"];
  const Json platform = PlatformResponses();  // named: items() of a temporary outlives the temporary
  for (const auto& [name, response] : platform.items())
    if (!shared.contains(name)) shared[name] = response;
  // The document describes what this process serves: a module that routes an operation only when
  // configured so (PropertyAI without a model) leaves it out.
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route* route : router.Routes()) routed.emplace(route->pattern, Lower(route->method));
  Json& all_paths = document["paths"];
  for (auto path = all_paths.begin(); path != all_paths.end();) {
    for (auto operation = path->begin(); operation != path->end();) {
      if (routed.contains({path.key(), operation.key()}) || operation.key() == "parameters")
        ++operation;
      else
        operation = path->erase(operation);
    }
    if (path->empty() || (path->size() == 1 && path->contains("parameters")))
      path = all_paths.erase(path);
    else
      ++path;
  }
  PruneUnusedSchemas(document);
  for (const Route* route : router.Routes()) {
    auto& paths = document["paths"];
    const std::string method = Lower(route->method);
    if (!paths.contains(route->pattern) || !paths[route->pattern].contains(method)) continue;
    Json& operation = paths[route->pattern][method];
    const RouteOptions& options = route->options;
    const bool authenticated = options.authenticated || options.admin_only;
    if (!operation.contains("security"))
      operation["security"] = authenticated ? Json::array({{{"bearer", Json::array()}}}) : Json::array();
    Json& responses = operation["responses"];
    auto declare = [&responses](const char* status, const char* response) {
      if (!responses.contains(status)) responses[status] = Ref(response);
    };
    if (authenticated) declare("401", "Unauthorized");
    if (options.admin_only || !options.scope.empty()) declare("403", "Forbidden");
    if (options.streamed_body) {  // the server reads these bodies as the handler asks, and refuses bad ones
                                  // itself
      declare("400", "MalformedBody");
      declare("408", "RequestTimeout");
    }
    if (!options.rate_policy.empty() || authenticated) declare("429", "TooManyRequests");
    if (route->method == "POST" || route->method == "PUT" || route->method == "PATCH")
      declare("413", "ContentTooLarge");
    if (options.json_body) declare("415", "UnsupportedMediaType");
    declare("500", "InternalError");
  }
  return document.dump();
}

}  // namespace keel::http
