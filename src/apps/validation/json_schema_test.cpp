// What a rule author and an event sender see: where a violation is, which rule, and why a schema is refused.
#include "apps/validation/json_schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace keel::validation {
namespace {

CompiledSchema Compiled(const char* schema) {
  auto compiled = CompiledSchema::Compile(nlohmann::json::parse(schema));
  if (auto* error = std::get_if<SchemaError>(&compiled))
    ADD_FAILURE() << error->pointer << ": " << error->message;
  return std::get<CompiledSchema>(std::move(compiled));
}

SchemaError Refused(const char* schema) {
  auto compiled = CompiledSchema::Compile(nlohmann::json::parse(schema));
  EXPECT_TRUE(std::holds_alternative<SchemaError>(compiled)) << schema;
  return std::holds_alternative<SchemaError>(compiled) ? std::get<SchemaError>(compiled) : SchemaError{};
}

// "path rule" for each violation of `event`'s properties, validated at /properties as ingestion does.
std::vector<std::string> Violations(const CompiledSchema& schema, const char* properties) {
  simdjson::dom::parser parser;
  std::string path = "/properties";
  std::vector<Violation> found;
  schema.Validate(parser.parse(std::string(properties)).value(), path, found);
  EXPECT_EQ(path, "/properties");  // the scratch path comes back as it was
  std::vector<std::string> lines;
  for (const auto& v : found) lines.push_back(v.path + " " + v.rule);
  return lines;
}

TEST(JsonSchema, ViolationsNameThePathAndTheRule) {
  auto schema = Compiled(R"({
    "type": "object",
    "required": ["plan", "seats"],
    "additionalProperties": false,
    "properties": {
      "plan": {"enum": ["free", "pro"]},
      "seats": {"type": "integer", "minimum": 1},
      "email": {"type": "string", "format": "email"},
      "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "pattern": "^[a-z]+$"}},
      "a/b": {"const": 1}
    }
  })");
  EXPECT_TRUE(Violations(schema, R"({"plan": "pro", "seats": 3, "tags": ["x"]})").empty());
  EXPECT_EQ(Violations(schema, R"({"plan": "gold", "email": "nope", "tags": ["ok", "Bad", "c"], "x": 1,
                                   "a/b": 2})"),
            (std::vector<std::string>{"/properties/seats required", "/properties/plan enum",
                                      "/properties/email format", "/properties/tags maxItems",
                                      "/properties/tags/1 pattern", "/properties/x additionalProperties",
                                      "/properties/a~1b const"}));
  EXPECT_EQ(Violations(schema, R"({"plan": "free", "seats": 0.5})"),
            (std::vector<std::string>{"/properties/seats type"}));
  EXPECT_EQ(Violations(schema, R"([1])"), (std::vector<std::string>{"/properties type"}));
}

TEST(JsonSchema, MessagesSayWhatIsWrong) {
  auto schema = Compiled(R"({"properties": {"n": {"exclusiveMaximum": 10, "multipleOf": 0.5},
                                            "s": {"minLength": 2, "maxLength": 3}}})");
  simdjson::dom::parser parser;
  std::string path;
  std::vector<Violation> found;
  schema.Validate(parser.parse(std::string(R"({"n": 10.25, "s": "ñ"})")).value(), path, found);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].message, "must be less than 10");
  EXPECT_EQ(found[1].message, "must be a multiple of 0.5");
  EXPECT_EQ(found[2].message, "must be at least 2 characters long");  // ñ is one character, two bytes
}

TEST(JsonSchema, KeywordsOutsideTheSupportedSetAreRefusedWhereTheyAre) {
  auto error = Refused(R"({"properties": {"plan": {"oneOf": [{"type": "string"}]}}})");
  EXPECT_EQ(error.pointer, "/properties/plan/oneOf");
  EXPECT_EQ(error.message, "the keyword oneOf is not supported");
  EXPECT_EQ(Refused(R"({"format": "hostname"})").message,
            "the format hostname is not supported (date-time, email, uuid, ipv4 are)");
  EXPECT_EQ(Refused(R"({"$ref": "#/definitions/a"})").pointer, "/$ref");
  EXPECT_EQ(Refused(R"({"type": "text"})").pointer, "/type");
  EXPECT_EQ(Refused(R"({"minLength": -1})").message, "must be a non-negative integer");
  EXPECT_EQ(Refused(R"({"multipleOf": 0})").message, "must be greater than 0");
  EXPECT_EQ(Refused(R"({"$schema": "https://json-schema.org/draft/2020-12/schema"})").pointer, "/$schema");
  EXPECT_EQ(Refused("[]").message, "a schema must be an object or a boolean");
  // Annotations validate nothing and are kept out of the way.
  Compiled(R"({"$schema": "http://json-schema.org/draft-07/schema#", "title": "t", "description": "d",
               "default": 1, "examples": [1], "$comment": "c", "$id": "x"})");
}

TEST(JsonSchema, PatternsMustRunInLinearTime) {
  auto error = Refused(R"({"pattern": "^(a)\\1$"})");  // a backreference: RE2 has none
  EXPECT_EQ(error.pointer, "/pattern");
  EXPECT_NE(error.message.find("RE2"), std::string::npos) << error.message;
  Refused(R"j({"pattern": "(?=a)"})j");  // lookahead
  // The classic catastrophic pattern runs in linear time: 50,000 characters are checked at once.
  auto schema = Compiled(R"({"pattern": "^(a+)+$"})");
  simdjson::dom::parser parser;
  std::string text = "\"" + std::string(50000, 'a') + "!\"";
  EXPECT_FALSE(schema.Valid(parser.parse(text).value()));
}

TEST(JsonSchema, FormatsAreStrict) {
  auto uuid = Compiled(R"({"format": "uuid"})");
  auto ipv4 = Compiled(R"({"format": "ipv4"})");
  auto date_time = Compiled(R"({"format": "date-time"})");
  simdjson::dom::parser parser;
  auto valid = [&](const CompiledSchema& schema, const char* json) {
    return schema.Valid(parser.parse(std::string(json)).value());
  };
  EXPECT_TRUE(valid(uuid, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(valid(uuid, R"("123e4567e89b12d3a456426614174000")"));
  EXPECT_TRUE(valid(uuid, "42"));  // formats apply to strings only
  EXPECT_FALSE(valid(ipv4, R"("010.0.0.1")"));
  EXPECT_TRUE(valid(date_time, R"("2024-02-29T23:59:60.5+01:00")"));
  EXPECT_FALSE(valid(date_time, R"("2023-02-29T00:00:00Z")"));
}

TEST(JsonSchema, BooleanSchemas) {
  auto schema = Compiled(R"({"properties": {"never": false, "anything": true}})");
  EXPECT_EQ(Violations(schema, R"({"never": 1, "anything": [1]})"),
            (std::vector<std::string>{"/properties/never false"}));
}

}  // namespace
}  // namespace keel::validation
