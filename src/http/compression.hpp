// Response compression: gzip when the client accepts it and the body is worth it.
#pragma once

#include <string>
#include <string_view>

namespace keel::http {

// True when an Accept-Encoding value accepts gzip (explicitly or by "*") with a non-zero q.
bool AcceptsGzip(std::string_view accept_encoding);

// Gzip-wraps data with zlib at the given level (1..9).
std::string Gzip(std::string_view data, int level);

// Inverse of Gzip; for tests and clients. Empty on corrupt input.
std::string Gunzip(std::string_view data);

// Whether a Content-Type is worth compressing (text, JSON, XML, JavaScript, SVG).
bool Compressible(std::string_view content_type);

}  // namespace keel::http
