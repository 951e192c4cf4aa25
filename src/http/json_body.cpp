// ParseJsonBody: nlohmann's SAX parser feeding a DOM builder that notices duplicate keys and where each value
// sits, so every problem it finds can name its field by JSON pointer.
#include "http/json_body.hpp"

#include <deque>
#include <set>

#include <fmt/format.h>

namespace keel::http {
namespace {

using Json = nlohmann::json;

// nlohmann's exception id for a number literal beyond a double's range.
constexpr int kNumberOverflow = 406;
// A body may hold this many out-of-range numbers before the rest go unreported (each costs a re-parse).
constexpr int kMaxOverflows = 32;

class DomBuilder {
 public:
  struct Overflow {
    std::size_t position = 0;
    std::string token;
  };

  Json& root() { return root_; }
  // Duplicate keys of the last parse, then every out-of-range number of all parses.
  std::vector<FieldError> TakeErrors() {
    std::vector<FieldError> errors = std::move(errors_);
    errors.insert(errors.end(), overflows_.begin(), overflows_.end());
    return errors;
  }
  const std::optional<Overflow>& overflow() const { return overflow_; }
  const std::string& syntax_error() const { return syntax_error_; }

  bool null() { return Scalar(nullptr); }
  bool boolean(bool value) { return Scalar(value); }
  bool number_integer(Json::number_integer_t value) { return Scalar(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return Scalar(value); }
  bool number_float(Json::number_float_t value, const std::string&) { return Scalar(value); }
  bool string(std::string& value) { return Scalar(std::move(value)); }
  bool binary(Json::binary_t&) { return false; }  // not in JSON text

  bool start_object(std::size_t) {
    Json* slot = Begin();
    *slot = Json::object();
    frames_.push_back(Frame{slot, false, {}, {}, false, nullptr});
    return true;
  }
  bool key(std::string& name) {
    Frame& frame = frames_.back();
    frame.duplicate = !frame.keys.insert(name).second;
    if (frame.duplicate)
      errors_.push_back(FieldAtPointer(JsonPointerAppend(Pointer(), name), "is given more than once"));
    frame.key = std::move(name);
    return true;
  }
  bool end_object() { return EndContainer(); }
  bool start_array(std::size_t) {
    Json* slot = Begin();
    *slot = Json::array();
    frames_.push_back(Frame{slot, true, {}, {}, false, nullptr});
    return true;
  }
  bool end_array() { return EndContainer(); }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& error) {
    if (error.id == kNumberOverflow) {
      overflows_.push_back(FieldAtPointer(NextPointer(), "is a number beyond the range of a double"));
      overflow_ = Overflow{position, last_token};
    } else {
      std::string what = error.what();
      // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> from "parse error" on.
      auto start = what.find("] ");
      syntax_error_ = start == std::string::npos ? what : what.substr(start + 2);
    }
    return false;
  }

  // Called before the same builder parses a corrected body again; the out-of-range numbers found so far stay.
  void Reset() {
    root_ = Json();
    errors_.clear();
    frames_.clear();
    parts_.clear();
    overflow_.reset();
    syntax_error_.clear();
  }

 private:
  struct Frame {
    Json* node;
    bool array;
    std::set<std::string> keys;  // objects: names seen so far
    std::string key;             // objects: the member being read
    bool duplicate;              // that member was seen before: its value goes to `scratch`
    Json scratch;
  };

  std::string Pointer() const { return JsonPointer(parts_); }

  // The pointer of the value about to start.
  std::string NextPointer() const {
    if (frames_.empty()) return "";
    const Frame& frame = frames_.back();
    return JsonPointerAppend(Pointer(), frame.array ? std::to_string(frame.node->size()) : frame.key);
  }

  // Where the value starting now goes; enters its place in the pointer.
  Json* Begin() {
    if (frames_.empty()) return &root_;
    Frame& frame = frames_.back();
    if (frame.array) {
      parts_.push_back(std::to_string(frame.node->size()));
      frame.node->push_back(nullptr);
      return &frame.node->back();
    }
    parts_.push_back(frame.key);
    if (frame.duplicate) {
      frame.scratch = nullptr;
      return &frame.scratch;
    }
    return &(*frame.node)[frame.key];
  }
  // Leaves the value's place in the pointer (the root has none).
  void End() {
    if (!frames_.empty()) parts_.pop_back();
  }
  bool Scalar(Json value) {
    *Begin() = std::move(value);
    End();
    return true;
  }
  bool EndContainer() {
    frames_.pop_back();
    End();
    return true;
  }

  Json root_;
  std::deque<Frame> frames_;  // a deque: a child's slot may be its parent's scratch, which must not move
  std::vector<std::string> parts_;
  std::vector<FieldError> errors_;
  std::vector<FieldError> overflows_;
  std::optional<Overflow> overflow_;
  std::string syntax_error_;
};

bool Blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

void AppendJsonPointerToken(std::string& pointer, std::string_view part) {
  pointer += '/';
  for (char c : part) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
}

std::string JsonPointerAppend(std::string_view parent, std::string_view part) {
  std::string pointer(parent);
  AppendJsonPointerToken(pointer, part);
  return pointer;
}

FieldError FieldAtPointer(const std::string& pointer, std::string message) {
  return FieldError{pointer.empty() ? "body" : pointer.substr(1), std::move(message), pointer};
}

std::string JsonPointer(const std::vector<std::string>& parts) {
  std::string pointer;
  for (const auto& part : parts) pointer = JsonPointerAppend(pointer, part);
  return pointer;
}

JsonBody ParseJsonBody(std::string_view body) {
  JsonBody out;
  if (Blank(body)) {
    out.malformed = "the body is empty; send a JSON object";
    return out;
  }
  // An out-of-range number stops the parser; it is replaced by null and the body parsed again, so the rest is
  // still checked for syntax and every such number is reported. Only then is the body copied.
  std::string text;
  DomBuilder builder;
  for (int overflows = 0;; ++overflows) {
    builder.Reset();
    std::string_view input = overflows == 0 ? body : std::string_view(text);
    bool parsed = Json::sax_parse(input, &builder, Json::input_format_t::json, /*strict=*/true);
    if (parsed) break;
    if (overflows == 0) text = std::string(body);
    const auto& overflow = builder.overflow();
    if (!overflow || overflows == kMaxOverflows) {
      out.malformed = overflow ? "the body holds too many out-of-range numbers"
                               : "the body is not valid JSON: " + builder.syntax_error();
      return out;
    }
    auto at = text.rfind(overflow->token, overflow->position);
    if (at == std::string::npos) {
      out.malformed = "the body is not valid JSON: a number is out of range";
      return out;
    }
    text.replace(at, overflow->token.size(), "null");
  }
  out.value = std::move(builder.root());
  out.errors = builder.TakeErrors();
  return out;
}

Response InputProblem::ToResponse() const {
  if (malformed) return Problem(400, *malformed);
  return InvalidFieldsProblem(errors);
}

}  // namespace keel::http
