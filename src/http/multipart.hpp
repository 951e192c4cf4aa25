// multipart/form-data (RFC 7578) read incrementally, as the body arrives: bytes go in with Feed, and the
// parts' heads and data come out of Next as soon as they can be told apart from a boundary. Nothing is held
// beyond one part head and the tail that might be the start of a boundary, so a 20 MB file part passes
// through in pieces of whatever size the connection delivers.
//
//   MultipartReader reader(boundary);
//   reader.Feed(piece);
//   for (auto event = reader.Next(); event.kind != kNeedMore; event = reader.Next()) ...
//   at the end of the body: reader.Finish() says whether the closing boundary was seen.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::http {

// The boundary parameter of a multipart/form-data Content-Type; nullopt when the type is not
// multipart/form-data or the boundary is missing or invalid (1-70 characters of RFC 2046's set).
std::optional<std::string> MultipartBoundary(std::string_view content_type);

// A part's Content-Disposition name and filename and its Content-Type ("" when not sent).
struct PartHead {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;
};

struct MultipartLimits {
  std::size_t max_head_bytes = 8192;  // one part's header block
  std::size_t max_parts = 1000;
};

class MultipartReader {
 public:
  enum class Kind {
    kNeedMore,   // feed more of the body (or Finish at its end)
    kPartBegin,  // head() is the new part's head
    kData,       // data() is the next piece of the current part's content
    kPartEnd,    // the current part is complete
    kDone,       // the closing boundary was read; anything after it (the epilogue) is ignored
    kFailed,     // the body is not valid multipart/form-data: error() says why
  };
  struct Event {
    Kind kind;
    std::string_view data;  // kData: valid until the next Feed
  };

  explicit MultipartReader(std::string boundary, MultipartLimits limits = {});

  // Adds the next bytes of the body. Views from earlier Next calls are invalid afterwards.
  void Feed(std::string_view bytes);
  Event Next();
  // Call at the end of the body: an error unless the closing boundary was read.
  Result<void> Finish() const;

  const PartHead& head() const { return head_; }
  const Error& error() const { return error_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeads, kContent, kDone, kFailed };
  Event Fail(std::string message);
  Event ParseHeads(std::string_view block);

  const std::string delimiter_;  // "\r\n--" + boundary
  const MultipartLimits limits_;
  std::string buffer_;
  std::size_t position_ = 0;  // bytes of buffer_ already handled
  State state_ = State::kPreamble;
  bool at_start_ = true;  // nothing of the body handled yet: the first boundary may lack its line end
  std::size_t parts_ = 0;
  PartHead head_;
  Error error_;
};

}  // namespace keel::http
