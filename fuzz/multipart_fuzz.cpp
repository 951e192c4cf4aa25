// multipart/form-data bodies (uploads): the input's first byte is how many bytes each Feed delivers (0: all
// at once), then a Content-Type line, then the body. The reader must say the same thing however the body is
// cut into pieces, so each input is read twice, whole and in pieces, and any difference is a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/multipart.hpp"

namespace {

// Everything the reader said, as one string: heads, content, ends, and how it finished.
std::string Transcript(const std::string& boundary, std::string_view body, std::size_t piece) {
  keel::http::MultipartReader reader(boundary, {.max_head_bytes = 512, .max_parts = 16});
  std::string out;
  using Kind = keel::http::MultipartReader::Kind;
  bool stop = false;
  for (std::size_t at = 0; at < body.size() && !stop; at += piece) {
    reader.Feed(body.substr(at, piece));
    for (auto event = reader.Next(); event.kind != Kind::kNeedMore; event = reader.Next()) {
      if (event.kind == Kind::kPartBegin) {
        const auto& head = reader.head();
        out += "\nbegin " + head.name + "|" + head.filename.value_or("-") + "|" + head.content_type + "\n";
      } else if (event.kind == Kind::kData) {
        out.append(event.data);
      } else if (event.kind == Kind::kPartEnd) {
        out += "\nend\n";
      } else {
        stop = true;
        break;
      }
    }
  }
  auto finished = reader.Finish();
  out += finished ? "\ndone" : "\nerror " + finished.error().message;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto line_end = rest.find('\n');
  if (line_end == std::string_view::npos) return 0;
  auto boundary = keel::http::MultipartBoundary(rest.substr(0, line_end));
  if (!boundary) return 0;
  std::string_view body = rest.substr(line_end + 1);
  std::string whole = Transcript(*boundary, body, body.size() + 1);
  if (piece != 0 && Transcript(*boundary, body, piece) != whole) __builtin_trap();
  return 0;
}
