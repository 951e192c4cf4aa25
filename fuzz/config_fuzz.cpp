// The config file: TOML parsed and every value checked against the platform's keys (types, ranges,
// lists), as `keel serve --config` does before anything starts.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/keel-config-fuzz-" + std::to_string(getpid()) + ".toml";
  static const keel::ConfigSchema schema = keel::PlatformConfigKeys();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  keel::ConfigSources sources;
  sources.file = path;
  auto config = keel::Config::Load(sources, schema);
  if (config) (void)config->Int("server.port");
  return 0;
}
