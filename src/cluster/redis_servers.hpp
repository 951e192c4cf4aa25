// The Redis topologies of `keel cluster up --redis`: one node (servers.hpp's StartRedis), a Redis Cluster of
// three masters with one replica each, or a master with two replicas watched by three Sentinels. All on
// loopback ports from Debian's redis-server, each node in DIR/redis-N (emptied at each `up`: a cache starts
// cold), every process reported as it starts so `down` stops it by PID whatever fails later.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "cluster/servers.hpp"
#include "core/result.hpp"

namespace keel::cluster {

inline constexpr const char* kSentinelMasterName = "keel";

// Called for each process started (name, kind "redis" or "sentinel", port, its PID or why it did not start).
using RecordServer = std::function<Result<void>(const std::string& name, const std::string& kind, int port,
                                                Result<pid_t> pid)>;

// Six nodes on `ports`, joined with `redis-cli --cluster create --cluster-replicas 1`, ready when every node
// says cluster_state:ok.
Result<void> StartRedisCluster(const ClusterLayout& layout, const std::vector<int>& ports,
                               const RecordServer& record);
// A master on data_ports[0], replicas on the others, Sentinels on sentinel_ports monitoring it as
// kSentinelMasterName with quorum 2; ready when the replicas are in sync and every Sentinel can reach a
// quorum.
Result<void> StartRedisSentinel(const ClusterLayout& layout, const std::vector<int>& data_ports,
                                const std::vector<int>& sentinel_ports, const RecordServer& record);

}  // namespace keel::cluster
