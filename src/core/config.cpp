// Loading, validating and printing a configuration described by its schema.
#include "core/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>

extern char** environ;

namespace keel {
namespace {

// The line (from 1) of the first byte above 0x7F. toml++ 3.3 (Debian 12) reaches __builtin_unreachable,
// undefined behaviour, on characters from U+00A1 to U+0499 and U+2D0E to U+3107 wherever it asks whether
// one is white space, which it does in more places than outside strings (config_fuzz found three); a config
// file is ASCII, and a string can still hold any character as a \uXXXX escape.
std::optional<std::size_t> FirstNonAsciiLine(std::string_view text) {
  auto bad =
      std::find_if(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) > 0x7F; });
  if (bad == text.end()) return std::nullopt;
  return static_cast<std::size_t>(std::count(text.begin(), bad, '\n')) + 1;
}

// Environment variables that share the KEEL_ prefix but are not configuration keys.
constexpr std::string_view kNonConfigEnv[] = {"KEEL_TEST_", "KEEL_USER_PASSWORD", "KEEL_BINARY",
                                              "KEEL_SOURCE_DIR", "KEEL_CONFIG"};

const ConfigKey* FindKey(const ConfigSchema& schema, std::string_view name) {
  for (const auto& key : schema)
    if (key.name == name) return &key;
  return nullptr;
}

std::string TypeName(ConfigType type) {
  switch (type) {
    case ConfigType::kBool:
      return "a boolean (true or false)";
    case ConfigType::kInt:
      return "an integer";
    case ConfigType::kDouble:
      return "a number";
    case ConfigType::kString:
      return "a string";
    case ConfigType::kStringList:
      return "a list of strings";
  }
  return "a value";
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Parses the text form used by environment variables and flags.
std::optional<ConfigValue> ParseText(ConfigType type, std::string_view text) {
  std::string s = Trim(text);
  switch (type) {
    case ConfigType::kBool:
      if (s == "true" || s == "1" || s == "yes" || s == "on") return ConfigValue{true};
      if (s == "false" || s == "0" || s == "no" || s == "off") return ConfigValue{false};
      return std::nullopt;
    case ConfigType::kInt: {
      if (s.empty()) return std::nullopt;
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(s.c_str(), &end, 10);
      if (errno != 0 || *end != '\0') return std::nullopt;
      return ConfigValue{static_cast<std::int64_t>(n)};
    }
    case ConfigType::kDouble: {
      if (s.empty()) return std::nullopt;
      errno = 0;
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (errno != 0 || *end != '\0' || !std::isfinite(d)) return std::nullopt;
      return ConfigValue{d};
    }
    case ConfigType::kString:
      return ConfigValue{std::string(text)};
    case ConfigType::kStringList: {
      std::vector<std::string> items;
      std::size_t start = 0;
      while (start <= s.size() && !s.empty()) {
        auto comma = s.find(',', start);
        auto item =
            Trim(std::string_view(s).substr(start, comma == std::string::npos ? s.npos : comma - start));
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return ConfigValue{std::move(items)};
    }
  }
  return std::nullopt;
}

std::optional<ConfigValue> FromToml(ConfigType type, const toml::node& node) {
  switch (type) {
    case ConfigType::kBool:
      if (auto v = node.value_exact<bool>()) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kInt:
      if (auto v = node.value_exact<std::int64_t>()) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kDouble:
      if (auto v = node.value<double>(); v && std::isfinite(*v)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kString:
      if (auto v = node.value_exact<std::string>()) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kStringList: {
      const auto* array = node.as_array();
      if (array == nullptr) return std::nullopt;
      std::vector<std::string> items;
      for (const auto& element : *array) {
        auto s = element.value_exact<std::string>();
        if (!s) return std::nullopt;
        items.push_back(*s);
      }
      return ConfigValue{std::move(items)};
    }
  }
  return std::nullopt;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string RedactUrl(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto at = url.find('@', scheme_end + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "<redacted>" + url.substr(at);
}

std::string Render(const ConfigKey& key, const ConfigValue& value) {
  if (key.sensitivity == ConfigKey::Sensitivity::kSecret) {
    const auto* s = std::get_if<std::string>(&value);
    return (s != nullptr && s->empty()) ? "\"\"" : "\"<redacted>\"";
  }
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
        if constexpr (std::is_same_v<T, double>) return fmt::format("{}", v);
        if constexpr (std::is_same_v<T, std::string>)
          return Quote(key.sensitivity == ConfigKey::Sensitivity::kUrl ? RedactUrl(v) : v);
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::vector<std::string> quoted;
          for (const auto& item : v) quoted.push_back(Quote(item));
          return fmt::format("[{}]", fmt::join(quoted, ", "));
        }
      },
      value);
}

// KEEL_SERVER_IO_THREADS -> server.io_threads (section names hold no underscore).
std::string EnvToKey(std::string_view name) {
  std::string rest(name.substr(5));
  std::transform(rest.begin(), rest.end(), rest.begin(), [](unsigned char c) { return std::tolower(c); });
  auto underscore = rest.find('_');
  if (underscore == std::string::npos) return rest;
  rest[underscore] = '.';
  return rest;
}

Error ConfigError(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

}  // namespace

Result<void> Config::Apply(const ConfigKey& key, ConfigValue value, std::string source) {
  if (key.check) {
    if (auto problem = key.check(value))
      return ConfigError(
          fmt::format("config key {} ({}): {}, got {}", key.name, source, *problem, Render(key, value)));
  }
  entries_[key.name] = Entry{std::move(value), std::move(source)};
  return Ok();
}

Config Config::Defaults(ConfigSchema schema) {
  Config config;
  config.schema_ = std::make_shared<const ConfigSchema>(std::move(schema));
  for (const auto& key : *config.schema_) config.entries_[key.name] = Entry{key.default_value, "default"};
  return config;
}

Result<Config> Config::Load(const ConfigSources& sources, ConfigSchema schema) {
  for (std::size_t i = 0; i < schema.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (schema[i].name == schema[j].name)
        throw std::logic_error(fmt::format("config key {} declared twice", schema[i].name));
  Config config = Defaults(std::move(schema));

  if (sources.file) {
    std::ifstream in(*sources.file, std::ios::binary);
    if (!in) return ConfigError(fmt::format("config file {}: cannot be read", *sources.file));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto line = FirstNonAsciiLine(text))
      return ConfigError(fmt::format(
          "config file {}: line {} has a non-ASCII character; write it in a string as a \\uXXXX escape",
          *sources.file, *line));
    toml::table table;
    try {
      table = toml::parse(text, *sources.file);
    } catch (const toml::parse_error& e) {
      return ConfigError(
          fmt::format("config file {}: {} (line {})", *sources.file, e.description(), e.source().begin.line));
    }
    for (const auto& [section, node] : table) {
      const auto* section_table = node.as_table();
      if (section_table == nullptr)
        return ConfigError(
            fmt::format("config file {}: {} is not a [section]", *sources.file, section.str()));
      for (const auto& [name, value_node] : *section_table) {
        std::string full = fmt::format("{}.{}", section.str(), name.str());
        const ConfigKey* key = FindKey(*config.schema_, full);
        if (key == nullptr)
          return ConfigError(fmt::format("config file {}: unknown key {}", *sources.file, full));
        auto value = FromToml(key->type, value_node);
        if (!value)
          return ConfigError(
              fmt::format("config key {} ({}): expected {}", full, *sources.file, TypeName(key->type)));
        if (auto applied = config.Apply(*key, std::move(*value), *sources.file); !applied)
          return applied.error();
      }
    }
  }

  for (const auto& [name, text] : sources.environment) {
    if (name.rfind("KEEL_", 0) != 0) continue;
    bool reserved =
        std::any_of(std::begin(kNonConfigEnv), std::end(kNonConfigEnv),
                    [&name = name](std::string_view prefix) { return name.rfind(prefix, 0) == 0; });
    if (reserved) continue;
    std::string full = EnvToKey(name);
    const ConfigKey* key = FindKey(*config.schema_, full);
    if (key == nullptr)
      return ConfigError(fmt::format("environment variable {}: no config key {}", name, full));
    auto value = ParseText(key->type, text);
    if (!value)
      return ConfigError(fmt::format("config key {} ({}): expected {}", full, name, TypeName(key->type)));
    if (auto applied = config.Apply(*key, std::move(*value), name); !applied) return applied.error();
  }

  for (const auto& [name, text] : sources.overrides) {
    if (auto applied = config.Set(name, text); !applied) return applied.error();
  }
  return config;
}

Result<void> Config::Set(std::string_view name, std::string_view text) {
  const ConfigKey* key = FindKey(*schema_, name);
  if (key == nullptr) return ConfigError(fmt::format("unknown config key {}", name));
  auto value = ParseText(key->type, text);
  if (!value) return ConfigError(fmt::format("config key {} (flag): expected {}", name, TypeName(key->type)));
  return Apply(*key, std::move(*value), "flag");
}

const ConfigValue& Config::Get(std::string_view name, ConfigType type) const {
  auto it = entries_.find(name);
  const ConfigKey* key = FindKey(*schema_, name);
  // Reading a key outside the schema is a programming error: the schema is what docs and checks cover.
  if (it == entries_.end() || key == nullptr || key->type != type)
    throw std::logic_error(
        fmt::format("config key {} read with the wrong type or missing from the schema", name));
  return it->second.value;
}

bool Config::Bool(std::string_view key) const { return std::get<bool>(Get(key, ConfigType::kBool)); }
std::int64_t Config::Int(std::string_view key) const {
  return std::get<std::int64_t>(Get(key, ConfigType::kInt));
}
double Config::Double(std::string_view key) const { return std::get<double>(Get(key, ConfigType::kDouble)); }
const std::string& Config::String(std::string_view key) const {
  return std::get<std::string>(Get(key, ConfigType::kString));
}
const std::vector<std::string>& Config::List(std::string_view key) const {
  return std::get<std::vector<std::string>>(Get(key, ConfigType::kStringList));
}

bool Config::Embedded() const { return String("database.url").rfind("sqlite://", 0) == 0; }

std::string Config::Show() const {
  std::string out;
  std::string section;
  for (const auto& key : *schema_) {
    auto dot = key.name.find('.');
    std::string key_section = key.name.substr(0, dot);
    if (key_section != section) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", key_section);
      section = key_section;
    }
    const auto& entry = entries_.at(key.name);
    out += fmt::format("{} = {}  # {}\n", key.name.substr(dot + 1), Render(key, entry.value), entry.source);
  }
  return out;
}

std::string Config::DocsTable() const {
  std::string out = "| key | default | environment | description |\n| --- | --- | --- | --- |\n";
  for (const auto& key : *schema_) {
    std::string env = "KEEL_" + key.name;
    std::transform(env.begin(), env.end(), env.begin(),
                   [](unsigned char c) { return c == '.' ? '_' : std::toupper(c); });
    out += fmt::format("| `{}` | `{}` | `{}` | {} |\n", key.name, Render(key, key.default_value), env,
                       key.description);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ProcessEnvironment() {
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace keel
