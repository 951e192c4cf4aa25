// What `keel cluster up` started, kept in DIR/cluster.json so `status` and `down` (other processes) find it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace keel::cluster {

struct ClusterProcess {
  std::string name;  // postgres, pgbouncer, redis, api-1, worker-1, nginx
  std::string kind;  // postgres, pgbouncer, redis, api, worker, nginx
  pid_t pid = 0;
  int port = 0;  // 0 for workers
};

struct ClusterState {
  std::map<std::string, int> ports;       // by server name; kept across restarts of the same directory
  std::vector<ClusterProcess> processes;  // in start order
};

// The saved state; an empty one when the directory has none.
Result<ClusterState> LoadState(const std::filesystem::path& dir);
Result<void> SaveState(const std::filesystem::path& dir, const ClusterState& state);

}  // namespace keel::cluster
