// Keel's configuration: one declarative schema, loaded from keel.toml, then KEEL_<SECTION>_<KEY>, then flags.
//
// Thread safety: a loaded Config is immutable and safe to read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace keel {

using ConfigValue = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

enum class ConfigType { kBool, kInt, kDouble, kString, kStringList };

// One key of the schema. The schema drives parsing, defaults, validation, `keel config show` and the docs
// check.
struct ConfigKey {
  std::string name;  // "section.key"
  ConfigType type;
  ConfigValue default_value;
  std::string description;
  // Secrets are printed as "<redacted>"; URLs have their password redacted.
  enum class Sensitivity { kPlain, kSecret, kUrl } sensitivity = Sensitivity::kPlain;
  // Returns a problem description when the value is invalid, nothing when it is fine.
  std::function<std::optional<std::string>(const ConfigValue&)> check;
};

// A process's keys in documentation order: the platform's (PlatformConfigKeys) and each module's section.
using ConfigSchema = std::vector<ConfigKey>;

// The platform's own sections: server, cors, compression, log, database, kv, pool, ratelimit, debug.
ConfigSchema PlatformConfigKeys();

// Where configuration comes from; later sources override earlier ones.
struct ConfigSources {
  std::optional<std::string> file;                               // a TOML file; must exist when given
  std::vector<std::pair<std::string, std::string>> environment;  // NAME=VALUE pairs (normally environ)
  std::vector<std::pair<std::string, std::string>> overrides;    // "section.key" -> value, from flags
};

class Config {
 public:
  // Loads and validates against `schema`. The error message names the key, the source and the problem.
  // REQUIRES: no key is declared twice in `schema`.
  static Result<Config> Load(const ConfigSources& sources, ConfigSchema schema);
  // The defaults alone; for tests and tools.
  static Config Defaults(ConfigSchema schema);

  bool Bool(std::string_view key) const;
  std::int64_t Int(std::string_view key) const;
  double Double(std::string_view key) const;
  const std::string& String(std::string_view key) const;
  const std::vector<std::string>& List(std::string_view key) const;

  // Sets one key from its text form, validated as if it came from a flag.
  Result<void> Set(std::string_view key, std::string_view text);

  // The effective configuration as TOML, secrets redacted, each key annotated with where its value came from.
  std::string Show() const;

  // The reference table of docs/config.md: one row per schema key with its default and description.
  std::string DocsTable() const;

  // True when the process runs everything itself (SQLite, in-process KV and workers).
  bool Embedded() const;

 private:
  struct Entry {
    ConfigValue value;
    std::string source = "default";
  };
  const ConfigValue& Get(std::string_view key, ConfigType type) const;
  Result<void> Apply(const ConfigKey& key, ConfigValue value, std::string source);

  std::shared_ptr<const ConfigSchema> schema_;  // shared by copies
  std::map<std::string, Entry, std::less<>> entries_;
};

// Reads the process environment into NAME=VALUE pairs.
std::vector<std::pair<std::string, std::string>> ProcessEnvironment();

}  // namespace keel
