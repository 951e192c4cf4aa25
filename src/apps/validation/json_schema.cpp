// Compiling a JSON Schema into a tree of nodes, each holding only the checks its keywords ask for, and
// walking a simdjson value against it.
#include "apps/validation/json_schema.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "apps/validation/schema_formats.hpp"
#include "core/utf8.hpp"
#include "http/json_body.hpp"

namespace keel::validation {

using SchemaJson = nlohmann::json;
namespace dom = simdjson::dom;

namespace {

enum TypeBit : std::uint8_t {
  kNull = 1,
  kBoolean = 2,
  kObject = 4,
  kArray = 8,
  kNumber = 16,  // every number, integers included
  kString = 32,
  kInteger = 64,  // a number with no fractional part (1.0 included, as draft 7 says)
};

constexpr std::pair<std::string_view, std::uint8_t> kTypeNames[] = {
    {"null", kNull},     {"boolean", kBoolean}, {"object", kObject},   {"array", kArray},
    {"number", kNumber}, {"string", kString},   {"integer", kInteger},
};

// Keywords that only annotate: accepted, validate nothing.
constexpr std::string_view kAnnotations[] = {"$schema",     "$id",     "$comment", "title",
                                             "description", "default", "examples"};

std::uint8_t TypeBits(dom::element value) {
  switch (value.type()) {
    case dom::element_type::NULL_VALUE:
      return kNull;
    case dom::element_type::BOOL:
      return kBoolean;
    case dom::element_type::OBJECT:
      return kObject;
    case dom::element_type::ARRAY:
      return kArray;
    case dom::element_type::STRING:
      return kString;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return kNumber | kInteger;
    case dom::element_type::DOUBLE: {
      double d = value.get_double().value_unsafe();
      return std::isfinite(d) && std::floor(d) == d ? kNumber | kInteger : kNumber;
    }
  }
  return 0;
}

double NumberOf(dom::element value) {
  switch (value.type()) {
    case dom::element_type::INT64:
      return static_cast<double>(value.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return static_cast<double>(value.get_uint64().value_unsafe());
    default:
      return value.get_double().value_unsafe();
  }
}

// JSON equality as JSON Schema means it: numbers by value (1 equals 1.0), objects by members in any order.
bool Equal(dom::element a, const SchemaJson& b) {
  switch (a.type()) {
    case dom::element_type::NULL_VALUE:
      return b.is_null();
    case dom::element_type::BOOL:
      return b.is_boolean() && a.get_bool().value_unsafe() == b.get<bool>();
    case dom::element_type::STRING:
      return b.is_string() && a.get_string().value_unsafe() == b.get_ref<const std::string&>();
    case dom::element_type::INT64:
      if (b.is_number_integer()) return a.get_int64().value_unsafe() == b.get<std::int64_t>();
      return b.is_number() && NumberOf(a) == b.get<double>();
    case dom::element_type::UINT64:
      if (b.is_number_unsigned()) return a.get_uint64().value_unsafe() == b.get<std::uint64_t>();
      return b.is_number() && NumberOf(a) == b.get<double>();
    case dom::element_type::DOUBLE:
      return b.is_number() && NumberOf(a) == b.get<double>();
    case dom::element_type::ARRAY: {
      if (!b.is_array()) return false;
      dom::array items = a.get_array().value_unsafe();
      if (items.size() != b.size()) return false;
      std::size_t i = 0;
      for (dom::element item : items)
        if (!Equal(item, b[i++])) return false;
      return true;
    }
    case dom::element_type::OBJECT: {
      if (!b.is_object()) return false;
      dom::object members = a.get_object().value_unsafe();
      if (members.size() != b.size()) return false;
      for (auto [key, item] : members) {
        auto other = b.find(std::string(key));
        if (other == b.end() || !Equal(item, *other)) return false;
      }
      return true;
    }
  }
  return false;
}

// value / divisor is a whole number, allowing for binary fractions (0.0075 is a multiple of 0.0001).
bool MultipleOf(dom::element value, double divisor) {
  if (value.type() == dom::element_type::INT64 && std::floor(divisor) == divisor && divisor < 9.0e18)
    return value.get_int64().value_unsafe() % static_cast<std::int64_t>(divisor) == 0;
  double quotient = NumberOf(value) / divisor;
  if (!std::isfinite(quotient)) return false;
  return std::fabs(quotient - std::nearbyint(quotient)) <= 1e-9 * std::max(1.0, std::fabs(quotient));
}

std::string Number(double n) { return fmt::format("{}", n); }

}  // namespace

struct CompiledSchema::Node {
  bool always_false = false;  // the schema `false`
  std::uint8_t types = 0;     // 0: any
  std::string type_names;     // for messages: "string or null"
  std::vector<SchemaJson> enum_values;
  std::unordered_set<std::string> string_enum;  // when every enum value is a string: the fast path
  bool has_enum = false;
  std::optional<SchemaJson> const_value;
  std::vector<std::string> required;
  std::unordered_map<std::string, std::unique_ptr<Node>> properties;
  std::unique_ptr<Node> additional;  // additionalProperties; null: any
  std::unique_ptr<Node> items;       // one schema for every item
  std::vector<std::unique_ptr<Node>> items_by_position;
  std::optional<std::uint64_t> min_items, max_items, min_length, max_length;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::unique_ptr<re2::RE2> pattern;
  Format format = Format::kNone;
  std::string format_name;

  // Appends violations to `out`; with out == nullptr, stops at the first. Returns whether the value is valid.
  bool Check(dom::element value, std::string& path, std::vector<Violation>* out) const;
};

namespace {

class Compiler {
 public:
  std::unique_ptr<CompiledSchema::Node> Compile(const SchemaJson& schema, std::string pointer) {
    auto node = std::make_unique<CompiledSchema::Node>();
    if (schema.is_boolean()) {
      node->always_false = !schema.get<bool>();
      return node;
    }
    if (!schema.is_object()) return Fail(pointer, "a schema must be an object or a boolean");
    for (const auto& [keyword, value] : schema.items()) {
      std::string at = pointer + "/" + keyword;
      if (!Keyword(*node, keyword, value, at) || error) return nullptr;
    }
    return node;
  }

  std::optional<SchemaError> error;

 private:
  std::unique_ptr<CompiledSchema::Node> Fail(const std::string& pointer, std::string message) {
    if (!error) error = SchemaError{pointer.empty() ? "/" : pointer, std::move(message)};
    return nullptr;
  }

  std::optional<std::uint64_t> Count(const SchemaJson& value, const std::string& at) {
    if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0))
      return value.get<std::uint64_t>();
    if (value.is_number_float() && value.get<double>() >= 0 &&
        std::floor(value.get<double>()) == value.get<double>())
      return static_cast<std::uint64_t>(value.get<double>());
    Fail(at, "must be a non-negative integer");
    return std::nullopt;
  }

  std::optional<double> Limit(const SchemaJson& value, const std::string& at) {
    if (value.is_number()) return value.get<double>();
    Fail(at, "must be a number");
    return std::nullopt;
  }

  bool Keyword(CompiledSchema::Node& node, const std::string& keyword, const SchemaJson& value,
               const std::string& at) {
    if (keyword == "type") return Type(node, value, at);
    if (keyword == "enum") {
      if (!value.is_array()) return Fail(at, "must be an array"), false;
      node.has_enum = true;
      node.enum_values.assign(value.begin(), value.end());
      bool strings =
          std::all_of(value.begin(), value.end(), [](const SchemaJson& v) { return v.is_string(); });
      if (strings)
        for (const auto& v : value) node.string_enum.insert(v.get<std::string>());
      return true;
    }
    if (keyword == "const") return node.const_value = value, true;
    if (keyword == "required") {
      if (!value.is_array()) return Fail(at, "must be an array of property names"), false;
      for (const auto& name : value) {
        if (!name.is_string()) return Fail(at, "must be an array of property names"), false;
        node.required.push_back(name.get<std::string>());
      }
      return true;
    }
    if (keyword == "properties") {
      if (!value.is_object()) return Fail(at, "must be an object of schemas"), false;
      for (const auto& [name, schema] : value.items()) {
        std::string member_at = at;
        http::AppendJsonPointerToken(member_at, name);
        auto compiled = Compile(schema, member_at);
        if (!compiled) return false;
        node.properties.emplace(name, std::move(compiled));
      }
      return true;
    }
    if (keyword == "additionalProperties") return (node.additional = Compile(value, at)) != nullptr;
    if (keyword == "items") {
      if (!value.is_array()) return (node.items = Compile(value, at)) != nullptr;
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto compiled = Compile(value[i], fmt::format("{}/{}", at, i));
        if (!compiled) return false;
        node.items_by_position.push_back(std::move(compiled));
      }
      return true;
    }
    if (keyword == "minItems") return (node.min_items = Count(value, at)).has_value();
    if (keyword == "maxItems") return (node.max_items = Count(value, at)).has_value();
    if (keyword == "minLength") return (node.min_length = Count(value, at)).has_value();
    if (keyword == "maxLength") return (node.max_length = Count(value, at)).has_value();
    if (keyword == "minimum") return (node.minimum = Limit(value, at)).has_value();
    if (keyword == "maximum") return (node.maximum = Limit(value, at)).has_value();
    if (keyword == "exclusiveMinimum") return (node.exclusive_minimum = Limit(value, at)).has_value();
    if (keyword == "exclusiveMaximum") return (node.exclusive_maximum = Limit(value, at)).has_value();
    if (keyword == "multipleOf") {
      node.multiple_of = Limit(value, at);
      if (node.multiple_of && *node.multiple_of <= 0) return Fail(at, "must be greater than 0"), false;
      return node.multiple_of.has_value();
    }
    if (keyword == "pattern") {
      if (!value.is_string()) return Fail(at, "must be a string"), false;
      re2::RE2::Options options;
      options.set_log_errors(false);
      node.pattern = std::make_unique<re2::RE2>(value.get<std::string>(), options);
      if (!node.pattern->ok())
        return Fail(at, fmt::format("is not a pattern this server can run in linear time (RE2): {}",
                                    node.pattern->error())),
               false;
      return true;
    }
    if (keyword == "format") {
      if (!value.is_string()) return Fail(at, "must be a string"), false;
      node.format_name = value.get<std::string>();
      node.format = FormatNamed(node.format_name);
      if (node.format == Format::kNone)
        return Fail(at, fmt::format("the format {} is not supported (date-time, email, uuid, ipv4 are)",
                                    node.format_name)),
               false;
      return true;
    }
    if (keyword == "$schema") {
      if (value.is_string() && value.get<std::string>().find("draft-07") != std::string::npos) return true;
      return Fail(at, "only draft 7 schemas are supported (http://json-schema.org/draft-07/schema#)"), false;
    }
    if (std::find(std::begin(kAnnotations), std::end(kAnnotations), keyword) != std::end(kAnnotations))
      return true;
    return Fail(at, fmt::format("the keyword {} is not supported", keyword)), false;
  }

  bool Type(CompiledSchema::Node& node, const SchemaJson& value, const std::string& at) {
    std::vector<SchemaJson> names =
        value.is_array() ? std::vector<SchemaJson>(value.begin(), value.end()) : std::vector{value};
    for (const auto& name : names) {
      auto known = std::find_if(std::begin(kTypeNames), std::end(kTypeNames), [&](const auto& t) {
        return name.is_string() && name.get<std::string>() == t.first;
      });
      if (known == std::end(kTypeNames))
        return Fail(at, "must name JSON types (null, boolean, object, array, number, string, integer)"),
               false;
      node.types |= known->second;
      if (!node.type_names.empty()) node.type_names += " or ";
      node.type_names += known->first;
    }
    if (names.empty()) return Fail(at, "must name at least one type"), false;
    return true;
  }
};

}  // namespace

CompileResult CompiledSchema::Compile(const nlohmann::json& schema) {
  Compiler compiler;
  auto root = compiler.Compile(schema, "");
  if (!root) return compiler.error.value_or(SchemaError{"/", "invalid schema"});
  return CompiledSchema(std::shared_ptr<const Node>(std::move(root)));
}

void CompiledSchema::Validate(simdjson::dom::element value, std::string& path,
                              std::vector<Violation>& violations) const {
  root_->Check(value, path, &violations);
}

bool CompiledSchema::Valid(simdjson::dom::element value) const {
  std::string path;
  return root_->Check(value, path, nullptr);
}

bool CompiledSchema::Node::Check(dom::element value, std::string& path, std::vector<Violation>* out) const {
  bool valid = true;
  // Records a violation; false when the caller should stop (only the first is wanted).
  auto broken = [&](std::string_view rule, std::string message) {
    valid = false;
    if (out != nullptr) out->push_back(Violation{path, std::string(rule), std::move(message)});
    return out != nullptr;
  };
  if (always_false) return broken("false", "no value is allowed here"), false;
  const std::uint8_t bits = TypeBits(value);
  if (types != 0 && (types & bits) == 0) return broken("type", "must be " + type_names), false;
  if (has_enum) {
    bool found =
        !string_enum.empty() || enum_values.empty()
            ? value.is_string() && string_enum.contains(std::string(value.get_string().value_unsafe()))
            : std::any_of(enum_values.begin(), enum_values.end(),
                          [&](const SchemaJson& allowed) { return Equal(value, allowed); });
    if (!found && !broken("enum", fmt::format("must be one of {}", SchemaJson(enum_values).dump())))
      return false;
  }
  if (const_value && !Equal(value, *const_value) && !broken("const", "must be " + const_value->dump()))
    return false;

  if (bits & kObject) {
    dom::object members = value.get_object().value_unsafe();
    for (const auto& name : required) {
      if (members.at_key(name).error() == simdjson::SUCCESS) continue;
      http::AppendJsonPointerToken(path, name);
      bool go_on = broken("required", "is required");
      path.resize(path.rfind('/'));
      if (!go_on) return false;
    }
    if (!properties.empty() || additional) {
      for (auto [key, member] : members) {
        const Node* schema = nullptr;
        if (auto named = properties.find(std::string(key)); named != properties.end())
          schema = named->second.get();
        else if (additional)
          schema = additional.get();
        if (schema == nullptr) continue;
        std::size_t mark = path.size();
        http::AppendJsonPointerToken(path, key);
        bool member_valid =
            schema == additional.get() && additional->always_false
                ? broken("additionalProperties", "is not allowed: no schema names this property")
                : schema->Check(member, path, out);
        path.resize(mark);
        if (!member_valid) {
          valid = false;
          if (out == nullptr) return false;
        }
      }
    }
  } else if (bits & kArray) {
    dom::array elements = value.get_array().value_unsafe();
    std::size_t size = elements.size();
    if (min_items && size < *min_items &&
        !broken("minItems", fmt::format("must have at least {} items", *min_items)))
      return false;
    if (max_items && size > *max_items &&
        !broken("maxItems", fmt::format("must have at most {} items", *max_items)))
      return false;
    if (items || !items_by_position.empty()) {
      std::size_t i = 0;
      for (dom::element element : elements) {
        const Node* schema = items                          ? items.get()
                             : i < items_by_position.size() ? items_by_position[i].get()
                                                            : nullptr;
        if (schema == nullptr) break;
        std::size_t mark = path.size();
        path += '/';
        path += std::to_string(i);
        bool element_valid = schema->Check(element, path, out);
        path.resize(mark);
        if (!element_valid) {
          valid = false;
          if (out == nullptr) return false;
        }
        ++i;
      }
    }
  } else if (bits & kNumber) {
    double n = NumberOf(value);
    if (minimum && n < *minimum && !broken("minimum", "must be at least " + Number(*minimum))) return false;
    if (maximum && n > *maximum && !broken("maximum", "must be at most " + Number(*maximum))) return false;
    if (exclusive_minimum && n <= *exclusive_minimum &&
        !broken("exclusiveMinimum", "must be greater than " + Number(*exclusive_minimum)))
      return false;
    if (exclusive_maximum && n >= *exclusive_maximum &&
        !broken("exclusiveMaximum", "must be less than " + Number(*exclusive_maximum)))
      return false;
    if (multiple_of && !MultipleOf(value, *multiple_of) &&
        !broken("multipleOf", "must be a multiple of " + Number(*multiple_of)))
      return false;
  } else if (bits & kString) {
    std::string_view text = value.get_string().value_unsafe();
    if (min_length || max_length) {
      std::size_t length = Utf8Length(text).value_or(text.size());
      if (min_length && length < *min_length &&
          !broken("minLength", fmt::format("must be at least {} characters long", *min_length)))
        return false;
      if (max_length && length > *max_length &&
          !broken("maxLength", fmt::format("must be at most {} characters long", *max_length)))
        return false;
    }
    if (pattern && !re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *pattern) &&
        !broken("pattern", "must match the pattern " + pattern->pattern()))
      return false;
    if (format != Format::kNone && !Conforms(format, text) &&
        !broken("format", "must be a valid " + format_name))
      return false;
  }
  return valid;
}

}  // namespace keel::validation
