// The request reader: Beast's parser driven from a buffer, and the RFC 9112 checks Beast leaves to servers.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/request_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace keel::http {

namespace bhttp = boost::beast::http;

struct RequestReader::Parser {
  std::optional<bhttp::request_parser<bhttp::string_body>> beast;
  std::string target;  // the origin-form target the request is routed by
};

namespace {

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims.
bool ValidRegName(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) continue;
    if (std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos) continue;
    if (c == '%' && i + 2 < name.size() && IsHexDigit(name[i + 1]) && IsHexDigit(name[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2). Empty is refused, as nginx does.
bool ValidHost(std::string_view host) {
  if (host.empty()) return false;
  std::string_view name = host;
  std::string_view port;
  if (name.front() == '[') {  // IP-literal: hex digits, colons and dots (and an IPvFuture's 'v')
    auto close = name.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : name.substr(1, close - 1))
      if (!IsHexDigit(c) && c != ':' && c != '.' && c != 'v' && c != 'V') return false;
    std::string_view rest = name.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = name.rfind(':');
    if (colon != std::string_view::npos) {
      port = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (name.empty() || !ValidRegName(name)) return false;
  }
  return std::all_of(port.begin(), port.end(), IsDigit);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The transfer codings of a Transfer-Encoding value, in order; empty list elements are skipped (RFC 9110
// §5.6.1) and parameters dropped.
std::vector<std::string_view> TransferCodings(std::string_view value) {
  std::vector<std::string_view> codings;
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    element = TrimOws(element.substr(0, element.find(';')));
    if (!element.empty()) codings.push_back(element);
  }
  return codings;
}

// "http://host:port/path?q" -> "/path?q"; nullopt when `target` is not absolute-form.
std::optional<std::string> OriginFormOf(std::string_view target) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      rest = target.substr(scheme.size());
      auto path = rest.find_first_of("/?");
      std::string origin;
      if (path == std::string_view::npos || rest[path] == '?') origin.push_back('/');
      if (path != std::string_view::npos) origin.append(rest.substr(path));
      return origin;
    }
  }
  return std::nullopt;
}

// Whether the buffered request line ends in a well-formed "HTTP/d.d" (Beast takes only 1.0 and 1.1 and
// calls every other version malformed; a well-formed other version is 505, as nginx answers).
bool NamesAVersion(const FlatBuffer& buffer) {
  std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
  std::string_view line = data.substr(0, data.find("\r\n"));
  if (line.size() == data.size() || line.size() < 9) return false;
  std::string_view version = line.substr(line.size() - 9);
  return version.substr(0, 6) == " HTTP/" && IsDigit(version[6]) && version[7] == '.' && IsDigit(version[8]);
}

}  // namespace

RequestReader::RequestReader(std::size_t max_head_bytes)
    : parser_(std::make_unique<Parser>()), max_head_bytes_(max_head_bytes) {}

RequestReader::~RequestReader() = default;

void RequestReader::Begin() {
  parser_->beast.emplace();
  parser_->beast->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(max_head_bytes_, (std::numeric_limits<std::uint32_t>::max)())));
  parser_->beast->body_limit((std::numeric_limits<std::uint64_t>::max)());  // the route's limit comes later
  parser_->target.clear();
  body_started_ = false;
  head_consumed_ = 0;
  refusal_ = {};
}

ReadStep RequestReader::Refuse(int status, std::string detail) {
  refusal_ = Refusal{status, std::move(detail)};
  return ReadStep::kRefused;
}

ReadStep RequestReader::ReadHead(FlatBuffer& buffer, bool end_of_input) {
  auto& parser = *parser_->beast;
  boost::system::error_code ec;
  if (buffer.size() > 0) {
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    head_consumed_ += used;  // Beast takes the request line as soon as it is whole
    if (!ec && parser.is_header_done()) return CheckHead();
  }
  if (ec == bhttp::error::header_limit) return RefuseOversizedHead(buffer);
  if (!ec || ec == bhttp::error::need_more) {
    if (!end_of_input) return ReadStep::kNeedMore;
    if (!parser.got_some() && buffer.size() == 0) return ReadStep::kClosed;
    parser.put_eof(ec);
  }
  if (ec == bhttp::error::bad_version && NamesAVersion(buffer))
    return Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served here");
  return Refuse(400, fmt::format("malformed request: {}", ec.message()));
}

// The request line alone does not fit: 414, as nginx answers. A head too large otherwise is 431, the code
// RFC 6585 made for it (nginx answers 400 "Request Header Or Cookie Too Large").
ReadStep RequestReader::RefuseOversizedHead(const FlatBuffer& buffer) {
  const char* data = static_cast<const char*>(buffer.data().data());
  if (head_consumed_ == 0 && std::memchr(data, '\n', std::min(buffer.size(), max_head_bytes_)) == nullptr)
    return Refuse(414, fmt::format("the request line is over {} bytes", max_head_bytes_));
  return Refuse(431, fmt::format("the request head is over {} bytes", max_head_bytes_));
}

ReadStep RequestReader::CheckHead() {
  const auto& message = parser_->beast->get();
  const unsigned version = message.version();
  if (version < 10 || version >= 20) return Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served here");

  // Host (RFC 9112 §3.2): exactly one on HTTP/1.1, at most one on HTTP/1.0, and a valid value.
  const std::size_t hosts = message.count(bhttp::field::host);
  if (hosts > 1) return Refuse(400, "the request has more than one Host header");
  if (hosts == 0 && version >= 11) return Refuse(400, "an HTTP/1.1 request needs a Host header");
  if (hosts == 1 && !ValidHost(message[bhttp::field::host]))
    return Refuse(400, "the Host header is not a valid host[:port]");

  // Content-Length: one field of digits only. Beast also takes a list of equal values ("5, 5") and
  // repeated equal fields; nginx refuses both, and so do we: a list is how smuggling attempts start.
  const std::size_t lengths = message.count(bhttp::field::content_length);
  if (lengths > 1) return Refuse(400, "the request has more than one Content-Length header");
  if (lengths == 1) {
    auto value = message[bhttp::field::content_length];
    if (value.empty() || !std::all_of(value.begin(), value.end(), IsDigit))
      return Refuse(400, "Content-Length must be a decimal number of bytes");
  }

  // Transfer-Encoding (RFC 9112 §6.1, §6.3): the final coding must be chunked, or the body's end cannot be
  // known (400, close); any other coding is one this server does not implement (501). As nginx does,
  // HTTP/1.0 requests and requests that also send Content-Length are refused.
  const std::size_t encodings = message.count(bhttp::field::transfer_encoding);
  if (encodings > 0) {
    if (encodings > 1) return Refuse(400, "the request has more than one Transfer-Encoding header");
    if (version < 11) return Refuse(400, "Transfer-Encoding is not allowed on an HTTP/1.0 request");
    if (lengths > 0) return Refuse(400, "a request cannot send both Content-Length and Transfer-Encoding");
    auto codings = TransferCodings(message[bhttp::field::transfer_encoding]);
    if (codings.empty() || !EqualsIgnoreCase(codings.back(), "chunked"))
      return Refuse(400, "the final transfer coding must be chunked");
    if (codings.size() > 1) {
      auto is_chunked = [](std::string_view coding) { return EqualsIgnoreCase(coding, "chunked"); };
      if (std::any_of(codings.begin(), codings.end() - 1, is_chunked))
        return Refuse(400, "chunked may be applied only once");
      return Refuse(501, fmt::format("the transfer coding {} is not implemented", codings.front()));
    }
  }

  // The request target's four forms (RFC 9112 §3.2).
  std::string_view target = message.target();
  const bool connect = message.method_string() == "CONNECT";
  if (connect) return Refuse(405, "CONNECT is not allowed: this server is not a proxy");
  if (target == "*" && message.method_string() != "OPTIONS")
    return Refuse(400, "only OPTIONS may have the target *");
  if (target == "*" || (!target.empty() && target.front() == '/')) {
    parser_->target = std::string(target);
  } else if (auto origin = OriginFormOf(target)) {
    parser_->target = std::move(*origin);
  } else {
    return Refuse(400, "the request target must be a path or an absolute http(s) URI");
  }
  return ReadStep::kDone;
}

Request RequestReader::TakeHead() {
  const auto& message = parser_->beast->get();
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::move(parser_->target);
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : message)
    request.headers.Add(std::string(field.name_string()), std::string(field.value()));
  return request;
}

bool RequestReader::BodyFollows() const { return !parser_->beast->is_done(); }

std::optional<std::uint64_t> RequestReader::ContentLength() const {
  auto length = parser_->beast->content_length();
  if (!length) return std::nullopt;
  return *length;
}

ReadStep RequestReader::ReadBody(FlatBuffer& buffer, std::size_t limit, bool end_of_input) {
  auto& parser = *parser_->beast;
  if (!body_started_) {
    // Once: Beast counts the limit down as chunks arrive. Chunked bodies stop at the limit too.
    parser.body_limit(limit);
    parser.eager(true);
    body_started_ = true;
  }
  boost::system::error_code ec;
  while (!parser.is_done() && buffer.size() > 0) {
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec || used == 0) break;
  }
  if (parser.is_done()) return ReadStep::kDone;
  if (ec == bhttp::error::header_limit) return RefuseOversizedHead(buffer);
  if (!ec || ec == bhttp::error::need_more) {
    if (!end_of_input) return ReadStep::kNeedMore;
    return ReadStep::kClosed;  // the client left mid-body: nothing to answer
  }
  if (ec == bhttp::error::body_limit)
    return Refuse(413, fmt::format("the request body is over this route's limit of {} bytes", limit));
  return Refuse(400, fmt::format("malformed request body: {}", ec.message()));
}

std::string RequestReader::TakeBody() { return std::move(parser_->beast->get().body()); }

bool RequestReader::KeepAlive() const { return parser_->beast->keep_alive(); }

bool RequestReader::Http10() const { return parser_->beast->get().version() == 10; }

}  // namespace keel::http
