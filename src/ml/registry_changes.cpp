// The change log: appending whole lines, and reading what was appended since the last poll.
#include "ml/registry_changes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace keel::ml {
namespace {

// The size and inode of the log, or nothing when it does not exist.
bool Stat(const std::filesystem::path& path, std::uintmax_t& size, std::uintmax_t& inode) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  size = static_cast<std::uintmax_t>(info.st_size);
  inode = static_cast<std::uintmax_t>(info.st_ino);
  return true;
}

}  // namespace

std::filesystem::path ChangeLogPath(const std::filesystem::path& root) { return root / "changes.log"; }

Result<void> AnnounceVersion(const std::filesystem::path& root, std::string_view name,
                             std::string_view version) {
  std::string line = fmt::format("{} {}\n", name, version);
  int fd = ::open(ChangeLogPath(root).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot open {}: {}", ChangeLogPath(root).string(), std::strerror(errno))};
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size()))
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot append to {}: {}", ChangeLogPath(root).string(), std::strerror(saved))};
  return Ok();
}

ChangeFeed::ChangeFeed(std::filesystem::path root) : path_(ChangeLogPath(root)) {
  if (!Stat(path_, offset_, inode_)) offset_ = inode_ = 0;
}

ChangeFeed::Changes ChangeFeed::Poll() {
  Changes changes;
  std::uintmax_t size = 0, inode = 0;
  if (!Stat(path_, size, inode)) return changes;
  if (inode != inode_ || size < offset_) {
    // Replaced or truncated (an operator cleaned it up): read it from its start, and say so.
    changes.restarted = inode_ != 0;
    inode_ = inode;
    offset_ = 0;
    partial_.clear();
  }
  if (size == offset_) return changes;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return changes;
  std::string text(size - offset_, '\0');
  ssize_t got = ::pread(fd, text.data(), text.size(), static_cast<off_t>(offset_));
  ::close(fd);
  if (got <= 0) return changes;
  text.resize(static_cast<std::size_t>(got));
  offset_ += static_cast<std::uintmax_t>(got);
  text = partial_ + text;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string_view line(text.data() + start, end - start);
    std::string name(line.substr(0, line.find(' ')));
    if (!name.empty() &&
        std::find(changes.models.begin(), changes.models.end(), name) == changes.models.end())
      changes.models.push_back(std::move(name));
  }
  partial_ = text.substr(start);
  return changes;
}

}  // namespace keel::ml
