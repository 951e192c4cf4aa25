// A connection's whole byte stream, pipelined requests included, read as the server reads it
// (http::ReadRequestStream drives the server's RequestReader). The first byte picks how many bytes each
// socket read delivers, so the same requests are also tried cut at every boundary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_stream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t piece = data[0] % 64;  // 0: everything in one read
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  keel::http::ReadRequestStream(bytes, piece, 4096, 1 << 16, [](keel::http::Request& request) {
    // What the rest of the server relies on: a routable path, and query parameters that decode.
    if (request.path.empty() || (request.path.front() != '/' && request.path != "*")) std::abort();
    (void)request.QueryParam("page");
    (void)keel::http::PercentDecode(request.path);
  });
  return 0;
}
