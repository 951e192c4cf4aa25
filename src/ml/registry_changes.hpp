// The registry's change feed: <model_dir>/changes.log, one "name version" line per version published. Whoever
// writes a version (keel train, an in-process trainer) announces it there, so a serving process learns of
// new versions by reading what was appended since its last look: one stat and a short read per poll, the same
// for ten models as for ten thousand, where listing every model's directory grows with their number.
//
// Thread safety: AnnounceVersion is safe from any thread and process (one O_APPEND write per line, which
// POSIX keeps whole). A ChangeFeed is used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace keel::ml {

// The feed's file in a registry.
std::filesystem::path ChangeLogPath(const std::filesystem::path& root);

// Appends "name version\n" to the registry's change log, creating it when missing.
Result<void> AnnounceVersion(const std::filesystem::path& root, std::string_view name,
                             std::string_view version);

class ChangeFeed {
 public:
  // Starts at the log's current end: what was published before is found by loading, not by the feed.
  explicit ChangeFeed(std::filesystem::path root);

  struct Changes {
    std::vector<std::string> models;  // announced since the last poll, each once, in order of first mention
    bool restarted = false;           // the log was replaced or truncated: anything may have changed
  };
  Changes Poll();

 private:
  std::filesystem::path path_;
  std::uintmax_t offset_ = 0;
  std::uintmax_t inode_ = 0;
  std::string partial_;  // a line whose end was not written yet
};

}  // namespace keel::ml
