#include "apps/image2model/result_routes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "http/problem.hpp"

namespace keel::image2model {

namespace {

using http::Request;
using http::Response;

constexpr std::size_t kPiece = 256 * 1024;

// An open blob file, closed when the last piece of the response is gone.
struct OpenFile {
  explicit OpenFile(int descriptor) : fd(descriptor) {}
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd;
};

std::optional<std::uint64_t> Number(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "name.ext" -> `name` without its extension, for the download's file name.
std::string Stem(std::string_view filename) {
  auto dot = filename.rfind('.');
  std::string stem(dot == std::string_view::npos || dot == 0 ? filename : filename.substr(0, dot));
  return stem.empty() ? "model" : stem;
}

// RFC 6266: a plain ASCII fallback and the UTF-8 name percent-encoded.
std::string Disposition(const std::string& name) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || std::string_view("-._~").find(static_cast<char>(c)) != std::string_view::npos)
      encoded += static_cast<char>(c);
    else
      encoded += fmt::format("%{:02X}", c);
  }
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded);
}

// If-None-Match: "*" or a list of entity tags, compared weakly (a W/ prefix is ignored, as RFC 9110 says).
bool NoneMatch(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

std::optional<ByteRange> ParseRange(std::string_view header, std::uint64_t size) {
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos)
    return std::nullopt;  // several ranges: the whole body instead
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto first = Number(spec.substr(0, dash)), last = Number(spec.substr(dash + 1));
  if (!first && !last) return std::nullopt;
  if (!first) {  // the last N bytes
    if (*last == 0 || size == 0) return ByteRange{1, 0};
    return ByteRange{size - std::min(*last, size), size - 1};
  }
  if (last && *last < *first) return std::nullopt;  // invalid: ignored, as RFC 9110 allows
  if (*first >= size) return ByteRange{1, 0};
  return ByteRange{*first, std::min(last.value_or(size - 1), size - 1)};
}

void ResultRoutes::AddTo(http::Router& router) {
  http::RouteOptions owner{.authenticated = true, .scope = "image2model"};
  for (auto [name, kind] : {std::pair{"model.glb", Kind::kGlb},
                            {"model.stl", Kind::kStl},
                            {"model.obj", Kind::kObj},
                            {"thumbnail.png", Kind::kThumbnail}}) {
    router.Add(
        "GET", fmt::format("/api/v1/results/{{file_id}}/{}", name),
        [this, kind = kind](Request& q) { return Download(q, kind); }, owner);
  }
}

Task<Response> ResultRoutes::Download(Request& request, Kind kind) {
  std::string id(request.params.Get("file_id").value_or(""));
  auto found = co_await store_.FindFile(id);
  if (!found) co_return http::ProblemFrom(found.error());
  if (!*found || (*found)->second != request.principal->subject)
    co_return http::Problem(404, fmt::format("no file {}", id));
  const FileRecord& file = (*found)->first;
  if (file.status == "completed" &&
      (!file.results || (file.expires_ms && *file.expires_ms < clock_.WallMillis())))
    co_return http::Problem(410, "these results expired; upload the image again to generate them anew");
  if (!file.results)
    co_return http::Problem(404, fmt::format("the file has no results (it is {})", file.status));

  const ResultBlobs& results = *file.results;
  std::string sha256, content_type, download;
  switch (kind) {
    case Kind::kGlb:
      sha256 = results.glb.sha256, content_type = "model/gltf-binary",
      download = Stem(file.filename) + ".glb";
      break;
    case Kind::kStl:
      sha256 = results.stl.sha256, content_type = "model/stl", download = Stem(file.filename) + ".stl";
      break;
    case Kind::kObj:
      sha256 = results.obj.sha256, content_type = "application/zip",
      download = Stem(file.filename) + ".obj.zip";
      break;
    case Kind::kThumbnail:
      sha256 = results.thumbnail.sha256, content_type = "image/png", download = Stem(file.filename) + ".png";
      break;
  }
  const std::string etag = "\"" + sha256 + "\"";
  auto opened = co_await RunBlocking(pool_, [&]() -> Result<std::pair<int, std::uint64_t>> {
    auto size = blobs_.SizeOf(sha256);
    int fd = size ? ::open(blobs_.PathOf(sha256).c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) return Error{ErrorCode::kInternal, fmt::format("result blob {} is missing", sha256)};
    return std::pair{fd, *size};
  });
  if (!opened) co_return http::ProblemFrom(opened.error());
  auto file_handle = std::make_shared<OpenFile>(opened->first);
  const std::uint64_t size = opened->second;

  Response response;
  response.headers.Add("Content-Type", content_type);
  response.headers.Add("ETag", etag);
  response.headers.Add("Accept-Ranges", "bytes");
  response.headers.Add("Cache-Control", "private, max-age=3600");
  response.headers.Add("Content-Disposition", Disposition(download));
  if (auto match = request.headers.Get("If-None-Match"); match && NoneMatch(*match, etag)) {
    response.status = 304;
    co_return response;
  }
  std::uint64_t first = 0, length = size;
  auto range_header = request.headers.Get("Range");
  auto if_range = request.headers.Get("If-Range");
  if (range_header && (!if_range || *if_range == etag)) {
    if (auto range = ParseRange(*range_header, size)) {
      if (range->first > range->last) {
        Response refused = http::Problem(416, fmt::format("the range is outside the file's {} bytes", size));
        refused.headers.Add("Content-Range", fmt::format("bytes */{}", size));
        co_return refused;
      }
      first = range->first;
      length = range->last - range->first + 1;
      response.status = 206;
      response.headers.Add("Content-Range", fmt::format("bytes {}-{}/{}", range->first, range->last, size));
    }
  }
  response.stream_length = length;
  auto offset = std::make_shared<std::uint64_t>(first);
  auto left = std::make_shared<std::uint64_t>(length);
  BlockingPool* pool = &pool_;
  response.stream = [file_handle, offset, left, pool]() -> Task<std::optional<std::string>> {
    if (*left == 0) co_return std::nullopt;
    auto piece = co_await RunBlocking(*pool, [&]() -> Result<std::string> {
      std::string bytes(static_cast<std::size_t>(std::min<std::uint64_t>(*left, kPiece)), '\0');
      ssize_t n = ::pread(file_handle->fd, bytes.data(), bytes.size(), static_cast<off_t>(*offset));
      if (n <= 0) return Error{ErrorCode::kInternal, "the result file ended early"};
      bytes.resize(static_cast<std::size_t>(n));
      return bytes;
    });
    if (!piece) co_return std::nullopt;  // the server closes the connection: the length cannot be met
    *offset += piece->size();
    *left -= piece->size();
    co_return std::move(piece).value();
  };
  co_return response;
}

}  // namespace keel::image2model
