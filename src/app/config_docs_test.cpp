// docs/config.md against the schema the binary loads: the platform's keys and every module's section.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "app/modules.hpp"

namespace keel {
namespace {

// Every key the code can read is in the schema (reads outside it throw, above); docs/config.md must hold the
// schema's current reference table, so a new key, default or description cannot go undocumented.
TEST(ConfigDocs, EveryKeyIsDocumentedWithItsDefault) {
  std::ifstream file(std::string(KEEL_SOURCE_DIR) + "/docs/config.md");
  ASSERT_TRUE(file.good()) << "docs/config.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  std::string docs = text.str();
  const ConfigSchema schema = FullConfigSchema();
  for (const auto& key : schema)
    EXPECT_NE(docs.find("| `" + key.name + "` |"), std::string::npos)
        << key.name << " is not in docs/config.md";
  EXPECT_NE(docs.find(Config::Defaults(schema).DocsTable()), std::string::npos)
      << "docs/config.md is out of date: paste the output of `keel config docs` into it";
}

TEST(ConfigSchema, EachModuleKeepsToItsOwnSections) {
  std::set<std::string> platform_sections;
  for (const auto& key : PlatformConfigKeys())
    platform_sections.insert(key.name.substr(0, key.name.find('.')));
  std::set<std::string> claimed;
  for (const auto& module : Modules()) {
    std::set<std::string> sections;
    for (const auto& key : module->ConfigKeys()) sections.insert(key.name.substr(0, key.name.find('.')));
    for (const auto& section : sections) {
      EXPECT_FALSE(platform_sections.contains(section))
          << module->Name() << " declares platform section " << section;
      EXPECT_TRUE(claimed.insert(section).second) << "two modules declare section " << section;
    }
  }
}

}  // namespace
}  // namespace keel
