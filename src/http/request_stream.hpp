// Reads every request out of a byte string the way a connection reads them off a socket: the same reader,
// the same steps (head, the route's body limit, body, keep-alive), the bytes delivered a few at a time.
// For tests and the fuzzer, which need the server's reading without a socket.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "http/message.hpp"

namespace keel::http {

struct StreamEnd {
  int refused = 0;         // the status the server would answer before closing; 0 when none
  bool cut_short = false;  // the bytes ended inside a request
};

// Calls `on_request` with each request read (body included), until the bytes end, a request is refused or
// one does not keep the connection alive. `piece`: bytes per read (0: all at once).
StreamEnd ReadRequestStream(std::string_view bytes, std::size_t piece, std::size_t max_head_bytes,
                            std::size_t body_limit, const std::function<void(Request&)>& on_request);

}  // namespace keel::http
