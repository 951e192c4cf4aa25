// `keel cluster up/status/down`: the scaled-out topology on one machine, for trying it and for tests —
// PostgreSQL, pgBouncer, Redis, N `keel serve` instances, M `keel worker` processes and nginx in front, on
// loopback ports, everything under one directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

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
  // "single": one Redis; "cluster": a Redis Cluster of three masters with a replica each; "sentinel": a
  // master, two replicas and three Sentinels.
  std::string redis = "single";
};

// `keel cluster front`: nginx alone, rendered from the same template as `up`, in front of keel instances
// started some other way (by hand, by a test harness) on loopback ports. `down` stops it as it stops `up`'s.
struct FrontOptions {
  std::filesystem::path dir = "var/cluster";
  std::vector<int> api_ports;  // keel serve instances on 127.0.0.1
  int port = 8080;             // nginx's port; 0 picks a free one
  int rate = 100;
  int burst = 200;
  bool access_log = true;
};

// Each returns the process exit code and prints what it did. Up stops what it started when a step fails.
int Up(const ClusterOptions& options);
int Front(const FrontOptions& options);
int Status(const std::filesystem::path& dir);
int Down(const std::filesystem::path& dir);

}  // namespace keel::cluster
