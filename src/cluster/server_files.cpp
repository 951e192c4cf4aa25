// Rendering, directories and files owned by the servers' users, and undoing a failed start.
#include "cluster/server_files.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "cluster/process.hpp"

namespace keel::cluster {

namespace fs = std::filesystem;

namespace {

Result<void> GiveTo(const fs::path& path, const std::string& user) {
  if (user.empty()) return Ok();
  const passwd* entry = ::getpwnam(user.c_str());
  if (entry == nullptr)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("user {} does not exist (is the server's Debian package installed?)", user)};
  if (::chown(path.c_str(), entry->pw_uid, entry->pw_gid) != 0)
    return Error{ErrorCode::kUnavailable, fmt::format("cannot give {} to {}", path.string(), user)};
  return Ok();
}

}  // namespace

bool Root() { return ::geteuid() == 0; }

std::string ServerUser(const char* user) { return Root() ? user : ""; }

std::string Render(std::string_view text, const std::map<std::string, std::string>& values) {
  std::string out(text);
  for (const auto& [token, value] : values) {
    for (auto at = out.find(token); at != std::string::npos; at = out.find(token, at + value.size()))
      out.replace(at, token.size(), value);
  }
  return out;
}

Result<void> MakeDir(const fs::path& path, fs::perms perms, const std::string& owner) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable, fmt::format("cannot create {}: {}", path.string(), ec.message())};
  fs::permissions(path, perms, ec);
  return GiveTo(path, owner);
}

Result<void> WriteFile(const fs::path& path, const std::string& content, fs::perms perms,
                       const std::string& owner) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << content;
    if (!out) return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string())};
  }
  std::error_code ec;
  fs::permissions(path, perms, ec);
  return GiveTo(path, owner);
}

Result<pid_t> StartedOrStopped(pid_t pid, Result<void> outcome, int graceful, int hard) {
  if (outcome) return pid;
  Stop(pid, graceful, hard, std::chrono::seconds(30));
  return std::move(outcome).error();
}

}  // namespace keel::cluster
