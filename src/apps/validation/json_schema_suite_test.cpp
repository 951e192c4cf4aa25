// The compiled validator against the JSON Schema Test Suite (Debian's json-schema-test-suite, draft 7): every
// case of the files of the supported keywords. A group whose schema uses a keyword outside the supported set
// is refused at compile time, as rules are; those groups are listed (kRefusedGroups) with the keyword, so a
// group that starts or stops compiling fails the test.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/validation/json_schema.hpp"

namespace keel::validation {
namespace {

const std::filesystem::path kSuite = "/usr/share/json-schema-test-suite/tests/draft7";

constexpr const char* kFiles[] = {
    "type.json",
    "enum.json",
    "const.json",
    "required.json",
    "properties.json",
    "additionalProperties.json",
    "items.json",
    "minItems.json",
    "maxItems.json",
    "minimum.json",
    "maximum.json",
    "exclusiveMinimum.json",
    "exclusiveMaximum.json",
    "multipleOf.json",
    "minLength.json",
    "maxLength.json",
    "pattern.json",
    "boolean_schema.json",
    "optional/format/date-time.json",
    "optional/format/email.json",
    "optional/format/ipv4.json",
};

// "file: group" -> why its schema is refused (the keyword outside the supported set).
const std::map<std::string, std::string> kRefusedGroups = {
    {"properties.json: properties, patternProperties, additionalProperties interaction", "patternProperties"},
    {"additionalProperties.json: additionalProperties being false does not allow other properties",
     "patternProperties"},
    {"additionalProperties.json: non-ASCII pattern with additionalProperties", "patternProperties"},
};

TEST(JsonSchemaSuite, EveryCaseOfTheSupportedKeywordsPasses) {
  if (!std::filesystem::exists(kSuite)) GTEST_SKIP() << "json-schema-test-suite is not installed";
  simdjson::dom::parser parser;
  std::set<std::string> refused;
  int cases = 0;
  for (const char* file : kFiles) {
    std::ifstream in(kSuite / file);
    ASSERT_TRUE(in) << file;
    auto groups = nlohmann::json::parse(in);
    for (const auto& group : groups) {
      std::string name = std::string(file).substr(std::string(file).rfind('/') + 1) + ": " +
                         group["description"].get<std::string>();
      auto compiled = CompiledSchema::Compile(group["schema"]);
      if (auto* error = std::get_if<SchemaError>(&compiled)) {
        refused.insert(name);
        EXPECT_TRUE(kRefusedGroups.contains(name))
            << name << " is refused: " << error->pointer << ": " << error->message;
        continue;
      }
      const auto& schema = std::get<CompiledSchema>(compiled);
      for (const auto& test : group["tests"]) {
        std::string data = test["data"].dump();
        auto element = parser.parse(data);
        ASSERT_EQ(element.error(), simdjson::SUCCESS) << data;
        EXPECT_EQ(schema.Valid(element.value()), test["valid"].get<bool>())
            << name << " / " << test["description"].get<std::string>() << ": " << data;
        ++cases;
      }
    }
  }
  for (const auto& [name, keyword] : kRefusedGroups)
    EXPECT_TRUE(refused.contains(name)) << name << " compiles now: take it off kRefusedGroups";
  EXPECT_GE(cases, 200);
}

}  // namespace
}  // namespace keel::validation
