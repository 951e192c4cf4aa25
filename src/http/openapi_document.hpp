// The served OpenAPI 3.1 document, built from parts: the platform's base (src/http/openapi.json: info,
// servers, shared components, the ops routes) and each module's paths and schemas (an openapi.json beside
// the module's code, compiled in).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/router.hpp"

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

// The document as served: the operations this process routes (a module may route some only when
// configured to), each declaring what the pipeline answers for it whatever its handler does, from the
// route's options, so the parts cannot forget them: security (bearer, or none), 401 for authenticated
// routes, 403 for admin routes, 429 for rate-limited ones, 413 for methods that take a body, 415 for JSON
// bodies, 500 for all. What an operation declares itself is kept. Adds the shared responses it refers to.
std::string DeclarePlatformAnswers(std::string_view document, const Router& router);

}  // namespace keel::http
