// Reading the console's files from a folder, by its manifest.
#include "console/console_files.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "console/console_routes.hpp"

namespace keel::console {

namespace {

Result<std::string> ReadWhole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) return Error{ErrorCode::kInvalidArgument, "console.dir: cannot read " + file.string()};
  return std::move(content).str();
}

Error Refused(const std::filesystem::path& folder, const std::string& why) {
  return Error{ErrorCode::kInvalidArgument, "console.dir: " + folder.string() + ": " + why +
                                                " (build it with node console/build.mjs --out)"};
}

}  // namespace

Result<ConsoleFiles> ConsoleFiles::Read(const std::filesystem::path& folder) {
  auto text = ReadWhole(folder / "manifest.json");
  if (!text) return Refused(folder, "no manifest.json");
  auto manifest = nlohmann::json::parse(*text, nullptr, false);
  if (!manifest.is_array()) return Refused(folder, "manifest.json is not a list of files");
  ConsoleFiles files;
  for (const auto& entry : manifest) {
    File file;
    try {
      file.path = entry.at("path").get<std::string>();
      file.content_type = entry.at("type").get<std::string>();
      file.etag = entry.at("etag").get<std::string>();
      auto body = ReadWhole(folder / entry.at("body").get<std::string>());
      if (!body) return std::move(body).error();
      auto gzip = ReadWhole(folder / entry.at("gzip").get<std::string>());
      if (!gzip) return std::move(gzip).error();
      file.body = std::move(*body);
      file.gzip = std::move(*gzip);
    } catch (const nlohmann::json::exception& e) {
      return Refused(folder, std::string("manifest.json: ") + e.what());
    }
    files.files_.push_back(std::move(file));
  }
  for (const File& file : files.files_)
    files.assets_.push_back(Asset{file.path, file.content_type, file.etag, file.body, file.gzip});
  if (FindAsset(files.assets_, "/") == nullptr) return Refused(folder, "manifest.json lists no page (\"/\")");
  return files;
}

}  // namespace keel::console
