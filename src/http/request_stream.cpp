// The connection's reading loop (Server::Connection::Run) over a byte string instead of a socket.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/request_stream.hpp"

#include <algorithm>
#include <cstring>

#include <boost/beast/core/flat_buffer.hpp>

#include "http/request_reader.hpp"

namespace keel::http {

StreamEnd ReadRequestStream(std::string_view bytes, std::size_t piece, std::size_t max_head_bytes,
                            std::size_t body_limit, const std::function<void(Request&)>& on_request) {
  RequestReader reader(max_head_bytes);
  FlatBuffer buffer;
  std::size_t fed = 0;
  // One socket read: false at the end of input.
  auto read_more = [&] {
    if (fed == bytes.size()) return false;
    std::size_t n = piece == 0 ? bytes.size() - fed : std::min(piece, bytes.size() - fed);
    std::memcpy(buffer.prepare(n).data(), bytes.data() + fed, n);
    buffer.commit(n);
    fed += n;
    return true;
  };
  StreamEnd end;
  for (;;) {
    reader.Begin();
    if (buffer.size() == 0 && !read_more()) return end;  // the peer left between requests
    ReadStep step = reader.ReadHead(buffer);
    while (step == ReadStep::kNeedMore) step = reader.ReadHead(buffer, !read_more());
    if (step == ReadStep::kRefused) end.refused = reader.refusal().status;
    if (step != ReadStep::kDone) return end;
    Request request = reader.TakeHead();
    if (reader.BodyFollows()) {
      if (auto length = reader.ContentLength(); length && *length > body_limit) {
        end.refused = 413;
        return end;
      }
      step = reader.ReadBody(buffer, body_limit);
      while (step == ReadStep::kNeedMore) step = reader.ReadBody(buffer, body_limit, !read_more());
      if (step == ReadStep::kRefused) end.refused = reader.refusal().status;
      if (step == ReadStep::kClosed) end.cut_short = true;
      if (step != ReadStep::kDone) return end;
    }
    request.body = reader.TakeBody();
    on_request(request);
    if (!reader.KeepAlive()) return end;
  }
}

}  // namespace keel::http
