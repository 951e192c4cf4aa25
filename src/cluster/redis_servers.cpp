// StartRedisCluster and StartRedisSentinel: node files, processes, and waiting for the topology to form.
#include "cluster/redis_servers.hpp"

#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "cluster/probe.hpp"
#include "cluster/process.hpp"
#include "cluster/server_files.hpp"

namespace keel::cluster::templates {
std::string_view redis_conf();
std::string_view sentinel_conf();
}  // namespace keel::cluster::templates

namespace keel::cluster {

namespace fs = std::filesystem;

namespace {

constexpr auto kFormTimeout = std::chrono::seconds(60);
constexpr auto kProbe = std::chrono::milliseconds(500);

// Starts one redis-server with `conf` in `dir` (emptied first) and waits for its PING.
Result<pid_t> StartNode(const ClusterLayout& layout, const std::string& name, const fs::path& dir,
                        const std::string& conf_name, const std::string& conf, int port, bool sentinel) {
  const std::string user = ServerUser("nobody");
  std::error_code ec;
  fs::remove_all(dir, ec);  // a cluster's nodes.conf or a sentinel's rewritten state from the last `up`
  if (auto made = MakeDir(dir, kPrivateDir, user); !made) return made.error();
  // Sentinel rewrites its file in place: it must own it.
  if (auto written = WriteFile(dir / conf_name, conf, kPrivateFile, user); !written) return written.error();
  LaunchSpec spec{{"/usr/bin/redis-server", (dir / conf_name).string()},
                  {},
                  layout.dir.string(),
                  layout.LogPath(name).string(),
                  user};
  if (sentinel) spec.argv.push_back("--sentinel");
  auto pid = Launch(spec);
  if (!pid) return pid;
  auto ready = AwaitReady(
      name, *pid, [&] { return RedisAnswers(port, kProbe); }, kServerStartTimeout, layout.LogPath(name));
  return StartedOrStopped(*pid, std::move(ready), SIGTERM, SIGKILL);
}

std::string NodeConf(const fs::path& dir, int port, const std::string& role_lines) {
  return Render(templates::redis_conf(),
                {{"@REDIS_DIR@", dir.string()}, {"@REDIS_PORT@", std::to_string(port)}}) +
         role_lines;
}

// Waits until every port's answer to `command` contains `wanted`.
Result<void> AwaitAll(const std::string& what, const std::vector<int>& ports, const std::string& command,
                      const std::string& enough, const std::string& wanted) {
  auto deadline = std::chrono::steady_clock::now() + kFormTimeout;
  for (int port : ports) {
    while (RedisReplyTo(port, command, enough, kProbe).find(wanted) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline)
        return Error{ErrorCode::kTimeout, fmt::format("{}: 127.0.0.1:{} did not answer {} with {} in {} s",
                                                      what, port, command, wanted, kFormTimeout.count())};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Ok();
}

}  // namespace

Result<void> StartRedisCluster(const ClusterLayout& layout, const std::vector<int>& ports,
                               const RecordServer& record) {
  // No full coverage required: while one master's replica is being promoted, the other slots still answer.
  const std::string cluster_lines =
      "\n# A Redis Cluster node (keel cluster up --redis cluster)\n"
      "cluster-enabled yes\n"
      "cluster-config-file nodes.conf\n"
      "cluster-node-timeout 1000\n"
      "cluster-require-full-coverage no\n"
      "cluster-replica-validity-factor 0\n";
  std::vector<std::string> members;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string name = fmt::format("redis-{}", i + 1);
    const fs::path dir = layout.dir / name;
    std::string lines = cluster_lines + fmt::format("cluster-port {}\n", layout.redis_bus_ports.at(i));
    auto pid = StartNode(layout, name, dir, "redis.conf", NodeConf(dir, ports[i], lines), ports[i], false);
    if (auto recorded = record(name, "redis", ports[i], std::move(pid)); !recorded) return recorded;
    members.push_back(fmt::format("127.0.0.1:{}", ports[i]));
  }
  LaunchSpec create{{"/usr/bin/redis-cli", "--cluster", "create"},
                    {},
                    layout.dir.string(),
                    layout.LogPath("redis-cluster-create").string(),
                    ""};
  create.argv.insert(create.argv.end(), members.begin(), members.end());
  for (const char* flag : {"--cluster-replicas", "1", "--cluster-yes"}) create.argv.push_back(flag);
  if (auto created = RunToCompletion(create, std::chrono::seconds(60)); !created)
    return Error{ErrorCode::kUnavailable, fmt::format("redis-cli --cluster create failed; see {}",
                                                      layout.LogPath("redis-cluster-create").string())};
  return AwaitAll("Redis Cluster", ports, "CLUSTER INFO", "cluster_slots_assigned", "cluster_state:ok");
}

Result<void> StartRedisSentinel(const ClusterLayout& layout, const std::vector<int>& data_ports,
                                const std::vector<int>& sentinel_ports, const RecordServer& record) {
  for (std::size_t i = 0; i < data_ports.size(); ++i) {
    const std::string name = fmt::format("redis-{}", i + 1);
    const fs::path dir = layout.dir / name;
    std::string role =
        i == 0 ? "\n# The first master (keel cluster up --redis sentinel)\n"
               : fmt::format("\n# A replica (keel cluster up --redis sentinel)\nreplicaof 127.0.0.1 {}\n",
                             data_ports[0]);
    auto pid =
        StartNode(layout, name, dir, "redis.conf", NodeConf(dir, data_ports[i], role), data_ports[i], false);
    if (auto recorded = record(name, "redis", data_ports[i], std::move(pid)); !recorded) return recorded;
  }
  std::vector<int> replicas(data_ports.begin() + 1, data_ports.end());
  if (auto synced = AwaitAll("Redis replica", replicas, "INFO replication", "master_sync_in_progress",
                             "master_link_status:up");
      !synced)
    return synced;
  for (std::size_t i = 0; i < sentinel_ports.size(); ++i) {
    const std::string name = fmt::format("sentinel-{}", i + 1);
    const fs::path dir = layout.dir / name;
    std::string conf =
        Render(templates::sentinel_conf(), {{"@SENTINEL_DIR@", dir.string()},
                                            {"@SENTINEL_PORT@", std::to_string(sentinel_ports[i])},
                                            {"@MASTER_NAME@", kSentinelMasterName},
                                            {"@MASTER_PORT@", std::to_string(data_ports[0])}});
    auto pid = StartNode(layout, name, dir, "sentinel.conf", conf, sentinel_ports[i], true);
    if (auto recorded = record(name, "sentinel", sentinel_ports[i], std::move(pid)); !recorded)
      return recorded;
  }
  // Each sentinel has found the others (their hello messages) once it can authorize a failover.
  return AwaitAll("Redis Sentinel", sentinel_ports, fmt::format("SENTINEL CKQUORUM {}", kSentinelMasterName),
                  "\r\n", fmt::format("+OK {} usable", sentinel_ports.size()));
}

}  // namespace keel::cluster
