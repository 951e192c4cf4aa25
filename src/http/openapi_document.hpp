// The served OpenAPI 3.1 document, built from parts: the platform's base (src/http/openapi.json: info,
// servers, shared components, the ops routes) and each module's paths and schemas (an openapi.json beside
// the module's code, compiled in).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace keel::http {

// The platform's base document.
std::string_view OpenApiBase();

struct OpenApiPart {
  std::string_view owner;  // the module's name, for error messages
  std::string_view json;   // {"paths": {...}, "components": {"schemas": {...}}}
};

// Adds every part's operations and schemas to `base`, in order. kInvalidArgument naming the owner when a
// part is not JSON of that shape, or declares an operation (path and method) or a schema already declared.
Result<std::string> MergeOpenApi(std::string_view base, const std::vector<OpenApiPart>& parts);

}  // namespace keel::http
