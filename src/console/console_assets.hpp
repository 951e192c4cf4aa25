// The console's files (console/src, bundled by console/build.mjs into a source generated at build time):
// each with its URL path, content type, strong ETag, and its bytes plain and gzip-compressed.
#pragma once

#include <span>
#include <string_view>

namespace keel::console {

struct Asset {
  std::string_view path;  // "/" for the page, "/assets/<name>-<hash>.<ext>" for the rest
  std::string_view content_type;
  std::string_view etag;  // quoted, from the content's hash
  std::string_view body;
  std::string_view gzip;
};

std::span<const Asset> Assets();

}  // namespace keel::console
