// `keel cluster up/status/down`: the scaled-out topology on one machine, for trying it and for tests —
// PostgreSQL, pgBouncer, Redis, N `keel serve` instances, M `keel worker` processes and nginx in front, on
// loopback ports, everything under one directory.
#pragma once

#include <filesystem>
#include <string>

namespace keel::cluster {

struct ClusterOptions {
  std::filesystem::path dir = "var/cluster";
  int instances = 3;  // keel serve processes behind nginx (0: the servers only, no nginx)
  int workers = 2;    // keel worker processes
  int port = 8080;    // nginx's port; 0 picks a free one
  int rate = 100;     // nginx limit_req: requests per second per client address
  int burst = 200;
  bool access_log = true;   // nginx's access log (the benchmarks turn it off)
  std::string config_file;  // handed to every keel process; the cluster's own settings override it
};

// Each returns the process exit code and prints what it did. Up stops what it started when a step fails.
int Up(const ClusterOptions& options);
int Status(const std::filesystem::path& dir);
int Down(const std::filesystem::path& dir);

}  // namespace keel::cluster
