// Reads requests out of a connection's byte stream, with no I/O of its own: the connection reads from the
// socket into a buffer and asks the reader what the bytes say. The fuzz target drives it the same way, so
// what the fuzzer exercises is what the server runs.
//
// Beast parses the syntax; the reader adds what RFC 9112 leaves to the server and Beast does not check:
// one valid Host, transfer codings whose last is `chunked` (and no other), no Content-Length beside
// Transfer-Encoding, request targets in their four forms, and 414 for a request line that cannot fit.
// Where the RFC leaves a choice, the reader answers as nginx does (tests/e2e/http_cases.py says where).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "http/read_buffer.hpp"

namespace boost::beast {
template <class Allocator>
class basic_flat_buffer;
}  // namespace boost::beast

namespace keel::http {

using FlatBuffer = boost::beast::basic_flat_buffer<ReadBufferAllocator<char>>;

// What the reader needs next, or what the connection must answer.
enum class ReadStep {
  kNeedMore,  // read more bytes into the buffer and ask again
  kDone,      // the head (or the whole request) is read
  kRefused,   // answer refusal() and close the connection
  kClosed,    // the peer closed between requests: close quietly
};

struct Refusal {
  int status = 400;
  std::string detail;
};

class RequestReader {
 public:
  explicit RequestReader(std::size_t max_head_bytes);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Starts the next request on the connection.
  void Begin();

  // Parses the head from the front of `buffer`, consuming the bytes it used. `end_of_input`: the peer sent
  // everything it will send. kDone: TakeHead() gives the request.
  ReadStep ReadHead(FlatBuffer& buffer, bool end_of_input = false);

  // The request's method, target, path, query and headers. The target of an absolute-form request
  // ("http://host/path") is reduced to its path and query, as origin servers must.
  Request TakeHead();

  // Whether a body follows the head (Content-Length over zero, or chunked), and its declared length when
  // it has one.
  bool BodyFollows() const;
  std::optional<std::uint64_t> ContentLength() const;

  // Reads the body, stopping with 413 at `limit` bytes. kDone: TakeBody() gives it.
  ReadStep ReadBody(FlatBuffer& buffer, std::size_t limit, bool end_of_input = false);
  std::string TakeBody();

  // Reads the body a piece at a time (streamed-body routes): like ReadBody, but moves the body bytes decoded
  // so far into `piece` (replacing its contents), so the reader never holds more than one buffer's worth.
  ReadStep ReadBodyPiece(FlatBuffer& buffer, std::size_t limit, std::string& piece,
                         bool end_of_input = false);

  bool KeepAlive() const;
  bool Http10() const;
  const Refusal& refusal() const { return refusal_; }

 private:
  ReadStep Refuse(int status, std::string detail);
  ReadStep FrameHead(FlatBuffer& buffer);
  ReadStep CheckHead();

  struct Parser;
  std::unique_ptr<Parser> parser_;
  const std::size_t max_head_bytes_;
  bool body_started_ = false;
  // FrameHead's progress through the buffered head: bytes looked at, where the request line and the head
  // end (0: not found yet).
  std::size_t scanned_ = 0;
  std::size_t request_line_end_ = 0;
  std::size_t head_end_ = 0;
  bool needs_tidying_ = false;  // bare LF line ends or runs of spaces in the request line
  Refusal refusal_;
};

}  // namespace keel::http
