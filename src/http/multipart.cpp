#include "http/multipart.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "http/message.hpp"

namespace keel::http {

namespace {

constexpr std::size_t kMaxBoundary = 70;
constexpr std::size_t kMaxPadding = 256;  // spaces RFC 2046 allows after a boundary before its line end

bool BoundaryChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Media-type parameters: `; name=value` or `; name="quoted \" value"`, in order. Calls take(name, value) for
// each; false when the syntax is broken.
template <class Take>
bool ForEachParameter(std::string_view rest, Take take) {
  while (true) {
    rest = TrimSpace(rest);
    if (rest.empty()) return true;
    if (rest.front() != ';') return false;
    rest = TrimSpace(rest.substr(1));
    if (rest.empty()) return true;  // a trailing ';' is common and harmless
    auto equals = rest.find('=');
    if (equals == std::string_view::npos) return false;
    std::string_view name = TrimSpace(rest.substr(0, equals));
    rest = TrimSpace(rest.substr(equals + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '\\' && i + 1 < rest.size()) {
          value += rest[++i];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return false;
      rest.remove_prefix(i + 1);
    } else {
      auto end = rest.find(';');
      value = std::string(TrimSpace(rest.substr(0, end)));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    if (name.empty()) return false;
    take(name, std::move(value));
  }
}

// RFC 8187's ext-value, charset'language'percent-encoded: the decoded text when the charset is UTF-8.
std::optional<std::string> ExtendedValue(std::string_view text) {
  auto first = text.find('\'');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = text.find('\'', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (!EqualsIgnoreCase(text.substr(0, first), "utf-8")) return std::nullopt;
  return PercentDecode(text.substr(second + 1));
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  if (!EqualsIgnoreCase(TrimSpace(content_type.substr(0, semicolon)), "multipart/form-data"))
    return std::nullopt;
  if (semicolon == std::string_view::npos) return std::nullopt;
  std::optional<std::string> boundary;
  bool parsed =
      ForEachParameter(content_type.substr(semicolon), [&](std::string_view name, std::string value) {
        if (EqualsIgnoreCase(name, "boundary")) boundary = std::move(value);
      });
  if (!parsed || !boundary || boundary->empty() || boundary->size() > kMaxBoundary) return std::nullopt;
  if (!std::all_of(boundary->begin(), boundary->end(), BoundaryChar) || boundary->back() == ' ')
    return std::nullopt;
  return boundary;
}

MultipartReader::MultipartReader(std::string boundary, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), limits_(limits) {}

void MultipartReader::Feed(std::string_view bytes) {
  if (position_ > 0) {
    buffer_.erase(0, position_);
    position_ = 0;
  }
  buffer_.append(bytes);
}

MultipartReader::Event MultipartReader::Fail(std::string message) {
  state_ = State::kFailed;
  error_ = Error{ErrorCode::kInvalidArgument, "malformed multipart body: " + std::move(message)};
  return {Kind::kFailed, {}};
}

MultipartReader::Event MultipartReader::Next() {
  std::string_view data(buffer_);
  data.remove_prefix(position_);
  switch (state_) {
    case State::kPreamble: {
      // The first boundary may open the body without a line end before it; elsewhere the line end is part
      // of the delimiter. Text before the first boundary (the preamble) is ignored.
      if (at_start_) {
        std::string_view opening = std::string_view(delimiter_).substr(2);
        if (data.size() < opening.size() && opening.starts_with(data)) return {Kind::kNeedMore, {}};
        at_start_ = false;
        if (data.starts_with(opening)) {
          position_ += opening.size();
          state_ = State::kAfterDelimiter;
          return Next();
        }
      }
      auto found = data.find(delimiter_);
      if (found == std::string_view::npos) {
        if (data.size() >= delimiter_.size()) position_ = buffer_.size() - (delimiter_.size() - 1);
        return {Kind::kNeedMore, {}};
      }
      position_ += found + delimiter_.size();
      state_ = State::kAfterDelimiter;
      return Next();
    }
    case State::kAfterDelimiter: {
      if (data.size() < 2) return {Kind::kNeedMore, {}};
      if (data.starts_with("--")) {
        position_ = buffer_.size();
        state_ = State::kDone;
        return {Kind::kDone, {}};
      }
      std::size_t padding = 0;
      while (padding < data.size() && (data[padding] == ' ' || data[padding] == '\t')) ++padding;
      if (padding > kMaxPadding) return Fail("too much padding after a boundary");
      if (data.size() < padding + 2) return {Kind::kNeedMore, {}};
      if (data.substr(padding, 2) != "\r\n") return Fail("a boundary is not followed by a line end");
      position_ += padding + 2;
      state_ = State::kHeads;
      return Next();
    }
    case State::kHeads: {
      std::size_t end = data.starts_with("\r\n") ? 0 : data.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        // The blank line could still start in the last three bytes, within the limit.
        if (data.size() > limits_.max_head_bytes + 3)
          return Fail(fmt::format("a part's headers are over {} bytes", limits_.max_head_bytes));
        return {Kind::kNeedMore, {}};
      }
      if (end > limits_.max_head_bytes)
        return Fail(fmt::format("a part's headers are over {} bytes", limits_.max_head_bytes));
      if (++parts_ > limits_.max_parts) return Fail(fmt::format("more than {} parts", limits_.max_parts));
      std::string_view block = data.substr(0, end);
      position_ += end == 0 ? 2 : end + 4;
      return ParseHeads(block);
    }
    case State::kContent: {
      auto found = data.find(delimiter_);
      if (found == 0) {
        position_ += delimiter_.size();
        state_ = State::kAfterDelimiter;
        return {Kind::kPartEnd, {}};
      }
      // Everything before a delimiter, or before a tail that could still turn into one, is content.
      std::size_t safe = found != std::string_view::npos
                             ? found
                             : (data.size() >= delimiter_.size() ? data.size() - (delimiter_.size() - 1) : 0);
      if (safe == 0) return {Kind::kNeedMore, {}};
      position_ += safe;
      return {Kind::kData, data.substr(0, safe)};
    }
    case State::kDone:
      position_ = buffer_.size();
      return {Kind::kDone, {}};
    case State::kFailed:
      return {Kind::kFailed, {}};
  }
  return {Kind::kFailed, {}};
}

MultipartReader::Event MultipartReader::ParseHeads(std::string_view block) {
  head_ = PartHead{};
  bool disposition = false;
  std::optional<std::string> extended_filename;
  while (!block.empty()) {
    auto line_end = block.find("\r\n");
    std::string_view line = block.substr(0, line_end);
    block = line_end == std::string_view::npos ? std::string_view() : block.substr(line_end + 2);
    if (line.empty() || line.front() == ' ' || line.front() == '\t')
      return Fail("a part header is empty or folded");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Fail("a part header has no name");
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimSpace(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      if (disposition) return Fail("a part has two Content-Disposition headers");
      disposition = true;
      auto semicolon = value.find(';');
      if (!EqualsIgnoreCase(TrimSpace(value.substr(0, semicolon)), "form-data"))
        return Fail("a part's Content-Disposition is not form-data");
      bool parsed = semicolon != std::string_view::npos &&
                    ForEachParameter(value.substr(semicolon), [&](std::string_view key, std::string text) {
                      if (EqualsIgnoreCase(key, "name")) head_.name = std::move(text);
                      if (EqualsIgnoreCase(key, "filename")) head_.filename = std::move(text);
                      if (EqualsIgnoreCase(key, "filename*")) extended_filename = ExtendedValue(text);
                    });
      if (!parsed) return Fail("a part's Content-Disposition parameters are malformed");
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      head_.content_type = std::string(value);
    }
  }
  if (!disposition) return Fail("a part has no Content-Disposition");
  if (head_.name.empty()) return Fail("a part has no name");
  if (extended_filename) head_.filename = std::move(extended_filename);
  state_ = State::kContent;
  return {Kind::kPartBegin, {}};
}

Result<void> MultipartReader::Finish() const {
  if (state_ == State::kDone) return Ok();
  if (state_ == State::kFailed) return error_;
  return Error{ErrorCode::kInvalidArgument, "malformed multipart body: it ends before the closing boundary"};
}

}  // namespace keel::http
