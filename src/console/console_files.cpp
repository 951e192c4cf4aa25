// Reading the console's files from a folder.
#include "console/console_files.hpp"

#include <fstream>
#include <sstream>

#include "core/sha256.hpp"
#include "http/compression.hpp"

namespace keel::console {

namespace {

std::string ContentType(const std::filesystem::path& file) {
  const std::string extension = file.extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Result<std::string> ReadWhole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) return Error{ErrorCode::kInvalidArgument, "cannot read " + file.string()};
  return std::move(content).str();
}

}  // namespace

Result<ConsoleFiles> ConsoleFiles::Read(const std::filesystem::path& folder) {
  ConsoleFiles files;
  std::vector<std::pair<std::string, std::filesystem::path>> found;
  if (!std::filesystem::is_regular_file(folder / "index.html"))
    return Error{
        ErrorCode::kInvalidArgument,
        "console.dir: " + folder.string() + " has no index.html (build it with console/build.mjs --out)"};
  found.emplace_back("/", folder / "index.html");
  // A page without its assets would load and then fail on every script: refuse the folder instead.
  std::error_code error;
  std::filesystem::directory_iterator assets(folder / "assets", error);
  if (error)
    return Error{ErrorCode::kInvalidArgument,
                 "console.dir: cannot read " + (folder / "assets").string() + ": " + error.message()};
  for (const auto& entry : assets)
    if (entry.is_regular_file())
      found.emplace_back("/assets/" + entry.path().filename().string(), entry.path());
  for (auto& [path, file] : found) {
    auto body = ReadWhole(file);
    if (!body) return std::move(body).error();
    File read{path, ContentType(file), "\"" + Sha256Hex(*body).substr(0, 20) + "\"", std::move(*body), {}};
    read.gzip = http::Gzip(read.body, 9);
    files.files_.push_back(std::move(read));
  }
  for (const File& file : files.files_)
    files.assets_.push_back(Asset{file.path, file.content_type, file.etag, file.body, file.gzip});
  return files;
}

}  // namespace keel::console
