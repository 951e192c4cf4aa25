// The request reader: Beast's parser driven from a buffer, and the RFC 9112 checks Beast leaves to servers.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/request_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/buffer.hpp>
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
      // userinfo ("user@host") is deprecated and must be treated as an error (RFC 9110 §4.2.4).
      if (rest.substr(0, path).find('@') != std::string_view::npos) return std::nullopt;
      std::string origin;
      if (path == std::string_view::npos || rest[path] == '?') origin.push_back('/');
      if (path != std::string_view::npos) origin.append(rest.substr(path));
      return origin;
    }
  }
  return std::nullopt;
}

// The version at the end of a request line ("GET / HTTP/1.1"): {major, minor}, or nullopt when the line
// does not end in a well-formed "HTTP/d.d".
std::optional<std::pair<int, int>> VersionOf(std::string_view line) {
  if (line.size() < 9) return std::nullopt;
  std::string_view version = line.substr(line.size() - 9);
  if (version.substr(0, 6) != " HTTP/" || !IsDigit(version[6]) || version[7] != '.' || !IsDigit(version[8]))
    return std::nullopt;
  return std::pair{version[6] - '0', version[8] - '0'};
}

// The head with every line ended by CRLF and the request line's words one space apart: what nginx reads
// in a head with bare LF line ends or runs of spaces, in the form Beast parses.
std::string TidyHead(std::string_view head) {
  std::string tidy;
  tidy.reserve(head.size() + 16);
  bool request_line = true;
  while (!head.empty()) {
    auto newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    head = newline == std::string_view::npos ? std::string_view() : head.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (request_line) {
      std::size_t words = 0;
      while (!line.empty()) {
        line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
        auto space = line.find(' ');
        if (line.empty()) break;
        if (words++ > 0) tidy += ' ';
        tidy += line.substr(0, space);
        line = space == std::string_view::npos ? std::string_view() : line.substr(space);
      }
      request_line = false;
    } else {
      tidy += line;
    }
    tidy += "\r\n";
  }
  return tidy;
}

}  // namespace

RequestReader::RequestReader(std::size_t max_head_bytes)
    : parser_(std::make_unique<Parser>()), max_head_bytes_(max_head_bytes) {}

RequestReader::~RequestReader() = default;

void RequestReader::Begin() {
  parser_->beast.emplace();
  parser_->beast->header_limit((std::numeric_limits<std::uint32_t>::max)());  // FrameHead applies ours
  parser_->beast->body_limit((std::numeric_limits<std::uint64_t>::max)());    // the route's limit comes later
  parser_->target.clear();
  body_started_ = false;
  scanned_ = 0;
  request_line_end_ = 0;
  head_end_ = 0;
  needs_tidying_ = false;
  refusal_ = {};
}

ReadStep RequestReader::Refuse(int status, std::string detail) {
  refusal_ = Refusal{status, std::move(detail)};
  return ReadStep::kRefused;
}

ReadStep RequestReader::ReadHead(FlatBuffer& buffer, bool end_of_input) {
  ReadStep framed = FrameHead(buffer);
  if (framed == ReadStep::kRefused) return framed;
  if (framed == ReadStep::kNeedMore) {
    if (!end_of_input) return ReadStep::kNeedMore;
    if (buffer.size() == 0) return ReadStep::kClosed;  // the peer left between requests
    return Refuse(400, "the connection closed inside a request head");
  }
  // The head is whole: Beast parses it in one go, as sent or, when it needs it, a tidied copy.
  char* data = static_cast<char*>(buffer.data().data());
  std::string tidied;
  std::string_view head(data, head_end_);
  if (needs_tidying_) {
    tidied = TidyHead(head);
    head = tidied;
  }
  std::string_view line = head.substr(0, head.find("\r\n"));
  auto version = VersionOf(line);
  // HTTP/1.2 and later minor versions are read as HTTP/1.1, the highest this server speaks (RFC 9110 §2.5),
  // as nginx reads them. Beast takes only 1.0 and 1.1, so the digit is rewritten in place.
  if (version && version->first == 1 && version->second > 1)
    const_cast<char*>(head.data())[line.size() - 1] = '1';
  boost::system::error_code ec;
  parser_->beast->put(boost::asio::const_buffer(head.data(), head.size()), ec);
  buffer.consume(head_end_);
  if (!ec && parser_->beast->is_header_done()) return CheckHead();
  if (ec == bhttp::error::bad_version && version)
    return Refuse(505, "only HTTP/1.0 and HTTP/1.1 are served here");
  return Refuse(400, fmt::format("malformed request: {}", ec ? ec.message() : "incomplete head"));
}

// Finds where the head ends, resuming where the last call stopped, and refuses what Beast would take but
// must not: a head over the limit (Beast counts only what follows the request line), obs-fold and lines
// led by whitespace (RFC 9112 §5.2 lets a server refuse them; nginx does, and they hide fields from other
// parsers). Empty lines before the request line are skipped (RFC 9112 §2.2). Where RFC 9112 lets a server
// be lenient and nginx is (bare LF line ends, §2.2; runs of spaces in the request line, §3), the head is
// marked for TidyHead, so Keel never reads a request nginx in front of it would read otherwise.
ReadStep RequestReader::FrameHead(FlatBuffer& buffer) {
  const char* data = static_cast<const char*>(buffer.data().data());
  std::size_t size = buffer.size();
  if (scanned_ == 0) {
    std::size_t blank = 0;
    while (blank < size &&
           (data[blank] == '\n' || (data[blank] == '\r' && blank + 1 < size && data[blank + 1] == '\n')))
      blank += data[blank] == '\n' ? 1 : 2;
    if (blank > 0) {
      buffer.consume(blank);
      data += blank;
      size -= blank;
    }
    if (size == 1 && data[0] == '\r') return ReadStep::kNeedMore;
  }
  const std::size_t window = std::min(size, max_head_bytes_ + 1);
  while (scanned_ < window) {
    const void* found = std::memchr(data + scanned_, '\n', window - scanned_);
    if (found == nullptr) {
      scanned_ = window;
      break;
    }
    std::size_t newline = static_cast<std::size_t>(static_cast<const char*>(found) - data);
    const bool crlf = newline > 0 && data[newline - 1] == '\r';
    if (!crlf) needs_tidying_ = true;
    if (request_line_end_ == 0) {
      request_line_end_ = newline;
      std::string_view line(data, crlf ? newline - 1 : newline);
      if (line.find("  ") != std::string_view::npos || (!line.empty() && line.back() == ' '))
        needs_tidying_ = true;
    }
    if (newline + 1 >= size) {
      scanned_ = newline;  // look at this line end again once the next byte is here
      return ReadStep::kNeedMore;
    }
    char next = data[newline + 1];
    if (next == ' ' || next == '\t')
      return Refuse(400, "a header line starts with white space (obs-fold is not accepted)");
    std::size_t end = 0;  // where the head ends when the next line is empty
    if (next == '\n') {
      end = newline + 2;
      needs_tidying_ = true;
    } else if (next == '\r') {
      if (newline + 2 >= size) {
        scanned_ = newline;
        return ReadStep::kNeedMore;
      }
      if (data[newline + 2] == '\n') end = newline + 3;
    }
    if (end != 0) {
      head_end_ = end;
      if (head_end_ > max_head_bytes_) break;
      return ReadStep::kDone;
    }
    scanned_ = newline + 1;
  }
  if (size <= max_head_bytes_) return ReadStep::kNeedMore;
  // The request line alone does not fit: 414, as nginx answers. A head too large otherwise is 431, the
  // code RFC 6585 made for it (nginx answers 400 "Request Header Or Cookie Too Large").
  if (request_line_end_ == 0 || request_line_end_ >= max_head_bytes_)
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
    // Once: Beast counts the limit down as chunks arrive. Chunked bodies stop at the limit too, and their
    // trailer section at the head's.
    parser.body_limit(limit);
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_head_bytes_, (std::numeric_limits<std::uint32_t>::max)())));
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
  if (ec == bhttp::error::header_limit)
    return Refuse(431, fmt::format("the trailer section is over {} bytes", max_head_bytes_));
  if (!ec || ec == bhttp::error::need_more) {
    if (!end_of_input) return ReadStep::kNeedMore;
    return ReadStep::kClosed;  // the client left mid-body: nothing to answer
  }
  if (ec == bhttp::error::body_limit)
    return Refuse(413, fmt::format("the request body is over this route's limit of {} bytes", limit));
  return Refuse(400, fmt::format("malformed request body: {}", ec.message()));
}

std::string RequestReader::TakeBody() { return std::move(parser_->beast->get().body()); }

ReadStep RequestReader::ReadBodyPiece(FlatBuffer& buffer, std::size_t limit, std::string& piece,
                                      bool end_of_input) {
  ReadStep step = ReadBody(buffer, limit, end_of_input);
  // Copied, not moved: Beast reserved the declared length in the body string, and that reservation (never
  // touched past the first piece, so never resident) stays with the parser instead of travelling on.
  std::string& body = parser_->beast->get().body();
  piece.assign(body);
  body.clear();
  return step;
}

// HTTP/1.1 stays open unless a Connection header says close; HTTP/1.0 closes unless it says keep-alive.
// "close" wins over "keep-alive" in any order (Beast lets "keep-alive, close" keep an HTTP/1.0 connection).
bool RequestReader::KeepAlive() const {
  const auto& message = parser_->beast->get();
  bool keep = message.version() >= 11;
  auto [first, last] = message.equal_range(bhttp::field::connection);
  for (auto field = first; field != last; ++field) {
    std::string_view value = field->value();
    while (!value.empty()) {
      auto comma = value.find(',');
      std::string_view option = TrimOws(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      if (EqualsIgnoreCase(option, "close")) return false;
      if (EqualsIgnoreCase(option, "keep-alive")) keep = true;
    }
  }
  return keep;
}

bool RequestReader::Http10() const { return parser_->beast->get().version() == 10; }

}  // namespace keel::http
