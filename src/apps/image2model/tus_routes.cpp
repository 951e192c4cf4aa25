#include "apps/image2model/tus_routes.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "apps/image2model/upload_form.hpp"
#include "http/problem.hpp"

namespace keel::image2model {

namespace {

using http::Request;
using http::Response;

constexpr std::string_view kVersion = "1.0.0";
constexpr std::size_t kFlushBytes = 1 << 20;

std::optional<std::int64_t> NonNegative(std::optional<std::string_view> text) {
  if (!text || text->empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) return std::nullopt;
  return value;
}

std::string HttpDate(std::int64_t unix_ms) {
  std::time_t seconds = unix_ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// Upload-Metadata: comma-separated "key base64value" pairs; the filename's value, if any.
std::optional<std::string> MetadataFilename(std::string_view metadata) {
  while (!metadata.empty()) {
    auto comma = metadata.find(',');
    std::string_view pair = metadata.substr(0, comma);
    metadata = comma == std::string_view::npos ? std::string_view() : metadata.substr(comma + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto space = pair.find(' ');
    std::string_view key = pair.substr(0, space);
    if ((key == "filename" || key == "name") && space != std::string_view::npos)
      return DecodeBase64(pair.substr(space + 1));
  }
  return std::nullopt;
}

Response Tus(Response response) {
  response.headers.Add("Tus-Resumable", std::string(kVersion));
  return response;
}

Response TusProblem(int status, std::string_view detail) { return Tus(http::Problem(status, detail)); }

std::optional<Response> CheckVersion(const Request& request) {
  auto version = request.headers.Get("Tus-Resumable");
  if (version && *version == kVersion) return std::nullopt;
  Response response = TusProblem(412, "this server speaks tus 1.0.0: send Tus-Resumable: 1.0.0");
  response.headers.Add("Tus-Version", std::string(kVersion));
  return response;
}

}  // namespace

void TusRoutes::AddTo(http::Router& router) {
  http::RouteOptions owner{.authenticated = true, .scope = "image2model"};
  router.Add("OPTIONS", "/api/v1/uploads", [this](Request&) -> Task<Response> {
    Response response = Tus(Response::Empty(204));
    response.headers.Add("Tus-Version", std::string(kVersion));
    response.headers.Add("Tus-Extension", "creation,termination,expiration");
    response.headers.Add("Tus-Max-Size", std::to_string(max_file_bytes_));
    co_return response;
  });
  router.Add(
      "POST", "/api/v1/uploads", [this](Request& q) { return Create(q); }, owner);
  router.Add(
      "HEAD", "/api/v1/uploads/{upload_id}", [this](Request& q) { return Offset(q); }, owner);
  http::RouteOptions append = owner;
  append.streamed_body = true;
  append.body_limit = static_cast<std::size_t>(max_file_bytes_);
  router.Add(
      "PATCH", "/api/v1/uploads/{upload_id}", [this](Request& q) { return Append(q); }, append);
  router.Add(
      "DELETE", "/api/v1/uploads/{upload_id}", [this](Request& q) { return Terminate(q); }, owner);
}

Task<Response> TusRoutes::Create(Request& request) {
  if (auto refused = CheckVersion(request)) co_return std::move(*refused);
  if (request.headers.Has("Upload-Defer-Length"))
    co_return TusProblem(400, "Upload-Defer-Length is not supported: send Upload-Length");
  auto length = NonNegative(request.headers.Get("Upload-Length"));
  if (!length || *length == 0) co_return TusProblem(400, "Upload-Length must be a positive number of bytes");
  if (static_cast<std::uint64_t>(*length) > max_file_bytes_)
    co_return TusProblem(413,
                         fmt::format("Upload-Length is over the limit of {} MiB", max_file_bytes_ >> 20));
  if (!request.body.empty())
    co_return TusProblem(400, "send the bytes with PATCH (creation-with-upload is not supported)");
  auto filename = MetadataFilename(request.headers.Get("Upload-Metadata").value_or(""));
  auto upload = co_await store_.Create(request.principal->subject, *length,
                                       PlainFilename(filename.value_or(""), "upload"));
  if (!upload) co_return Tus(http::ProblemFrom(upload.error()));
  Response response = Tus(Response::Empty(201));
  response.headers.Add("Location", "/api/v1/uploads/" + upload->id);
  response.headers.Add("Upload-Expires", HttpDate(upload->expires_ms));
  co_return response;
}

Task<std::variant<TusUpload, Response>> TusRoutes::Readable(Request& request) {
  if (auto refused = CheckVersion(request)) co_return std::move(*refused);
  std::string id(request.params.Get("upload_id").value_or(""));
  auto found = co_await store_.Find(id);
  if (!found) co_return Tus(http::ProblemFrom(found.error()));
  if (!*found || (*found)->owner_id != request.principal->subject)
    co_return TusProblem(404, fmt::format("no upload {}", id));
  if ((*found)->expires_ms < store_.clock().WallMillis()) co_return TusProblem(410, "the upload expired");
  co_return std::move(**found);
}

Task<Response> TusRoutes::Offset(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  const TusUpload& upload = std::get<TusUpload>(found);
  Response response = Tus(Response::Empty(200));
  response.headers.Add("Upload-Offset", std::to_string(upload.offset));
  response.headers.Add("Upload-Length", std::to_string(upload.length));
  response.headers.Add("Upload-Expires", HttpDate(upload.expires_ms));
  response.headers.Add("Cache-Control", "no-store");
  co_return response;
}

Task<Response> TusRoutes::Append(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  const TusUpload upload = std::get<TusUpload>(std::move(found));
  if (request.headers.Get("Content-Type").value_or("") != "application/offset+octet-stream")
    co_return TusProblem(415, "PATCH takes Content-Type: application/offset+octet-stream");
  auto offset = NonNegative(request.headers.Get("Upload-Offset"));
  if (!offset) co_return TusProblem(400, "Upload-Offset must be a number of bytes");
  if (upload.Complete()) co_return TusProblem(409, "the upload is complete");
  if (*offset != upload.offset)
    co_return TusProblem(
        409, fmt::format("Upload-Offset {} is not the upload's offset {}", *offset, upload.offset));
  auto token = co_await store_.Claim(upload.id, *offset);
  if (!token) co_return Tus(http::ProblemFrom(token.error()));
  if (!*token) co_return TusProblem(409, "another PATCH is writing to this upload, or its offset moved");

  // Bytes are gathered to about 1 MiB, written and synced, then the offset is recorded: what the server
  // acknowledges (here, or to a later HEAD) is on disk.
  std::int64_t at = *offset;
  std::string pending;
  std::optional<Error> failure;
  auto flush = [&]() -> Task<Result<void>> {
    if (pending.empty()) co_return Ok();
    auto written =
        co_await RunBlocking(store_.pool(), [&] { return store_.WriteAt(upload.id, at, pending); });
    if (!written) co_return std::move(written).error();
    at += static_cast<std::int64_t>(pending.size());
    pending.clear();
    auto advanced = co_await store_.Advance(upload.id, **token, at, false);
    if (!advanced) co_return std::move(advanced).error();
    if (!*advanced) co_return Error{ErrorCode::kConflict, "the upload's lock was lost"};
    co_return Ok();
  };
  while (request.body_stream != nullptr) {
    auto piece = co_await request.body_stream->Next();
    if (!piece) {
      failure = std::move(piece).error();  // the client left or the body broke: keep what arrived
      break;
    }
    if (piece->empty()) break;
    if (at + static_cast<std::int64_t>(pending.size() + piece->size()) > upload.length) {
      failure = Error{ErrorCode::kTooLarge, "the bytes go past Upload-Length"};
      break;
    }
    pending += *piece;
    if (pending.size() >= kFlushBytes) {
      auto flushed = co_await flush();
      if (!flushed) {
        failure = std::move(flushed).error();
        break;
      }
    }
  }
  if (!failure || failure->code != ErrorCode::kTooLarge) {
    if (auto flushed = co_await flush(); !flushed && !failure) failure = std::move(flushed).error();
  }
  (void)co_await store_.Advance(upload.id, **token, at, true);
  if (failure) co_return TusProblem(http::HttpStatus(failure->code), failure->message);

  Response response = Tus(Response::Empty(204));
  if (at == upload.length) {
    auto finished = co_await store_.Finish(upload.id);
    if (!finished) co_return Tus(http::ProblemFrom(finished.error()));
  }
  response.headers.Add("Upload-Offset", std::to_string(at));
  response.headers.Add("Upload-Expires", HttpDate(upload.expires_ms));
  co_return response;
}

Task<Response> TusRoutes::Terminate(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  auto terminated = co_await store_.Terminate(std::get<TusUpload>(found).id);
  if (!terminated) co_return Tus(http::ProblemFrom(terminated.error()));
  co_return Tus(Response::Empty(204));
}

}  // namespace keel::image2model
