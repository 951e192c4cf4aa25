// The process's caches by name, each able to report its counts, for GET /cache-stats: hits, misses, entries,
// bytes and evictions (the seed's cache statistics route).
//
// Thread safety: Add before serving (while modules register); Read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace keel {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
  std::uint64_t evictions = 0;
};

class CacheCatalog {
 public:
  // `read` is called on every Read, from any thread.
  void Add(std::string name, std::function<CacheStats()> read) {
    caches_.emplace_back(std::move(name), std::move(read));
  }

  std::vector<std::pair<std::string, CacheStats>> Read() const {
    std::vector<std::pair<std::string, CacheStats>> out;
    for (const auto& [name, read] : caches_) out.emplace_back(name, read());
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::function<CacheStats()>>> caches_;
};

}  // namespace keel
