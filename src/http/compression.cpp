// zlib gzip streams and Accept-Encoding parsing.
#include "http/compression.hpp"

#include <zlib.h>

#include <cstdlib>

#include "http/message.hpp"

namespace keel::http {

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    auto item = TrimSpace(accept_encoding.substr(0, comma));
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    auto semicolon = item.find(';');
    auto coding = TrimSpace(item.substr(0, semicolon));
    if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    auto params = TrimSpace(item.substr(semicolon + 1));
    if (params.size() > 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
      std::string q(params.substr(2));
      return std::strtod(q.c_str(), nullptr) > 0;
    }
    return true;
  }
  return false;
}

std::string Gzip(std::string_view data, int level) {
  z_stream stream{};
  // 15 window bits + 16 selects the gzip wrapper.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&stream, data.size()) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string{};
}

std::string Gunzip(std::string_view data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return {};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string{};
}

bool Compressible(std::string_view content_type) {
  auto starts = [&](std::string_view prefix) { return content_type.substr(0, prefix.size()) == prefix; };
  return starts("text/") || starts("application/json") || starts("application/problem+json") ||
         starts("application/javascript") || starts("application/xml") || starts("image/svg+xml") ||
         content_type.find("+json") != std::string_view::npos;
}

}  // namespace keel::http
