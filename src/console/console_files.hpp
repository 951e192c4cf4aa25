// The console's files from a folder, as console/build.mjs --out writes it: manifest.json lists each file's
// URL path, type, ETag and its plain and gzip forms, read once at start-up, so a folder is served exactly
// like the compiled-in copy. For working on the console without rebuilding Keel (console.dir), and for
// serving a newer build of it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "console/console_assets.hpp"
#include "core/result.hpp"

namespace keel::console {

class ConsoleFiles {
 public:
  // Reads `folder`; an error when its manifest is missing or malformed, lists no page, or names a file that
  // cannot be read.
  static Result<ConsoleFiles> Read(const std::filesystem::path& folder);

  ConsoleFiles(const ConsoleFiles&) = delete;
  ConsoleFiles& operator=(const ConsoleFiles&) = delete;
  ConsoleFiles(ConsoleFiles&&) = default;
  ConsoleFiles& operator=(ConsoleFiles&&) = default;

  // Views of the files; valid as long as this object.
  std::span<const Asset> Assets() const { return assets_; }

 private:
  struct File {
    std::string path, content_type, etag, body, gzip;
  };
  ConsoleFiles() = default;

  std::vector<File> files_;
  std::vector<Asset> assets_;
};

}  // namespace keel::console
