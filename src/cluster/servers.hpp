// The cluster's real servers (PostgreSQL 15, pgBouncer, Redis 7, nginx): their configuration files rendered
// from deploy/cluster/*.in, started as their own processes, awaited until they answer.
//
// PostgreSQL and pgBouncer refuse to run as root: when keel runs as root they run as user `postgres` (Redis
// as `nobody`), and their directories are given to those users.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace keel::cluster {

struct ClusterLayout {
  std::filesystem::path dir;  // absolute
  int postgres_port = 0;
  int pgbouncer_port = 0;
  int redis_port = 0;                 // single mode; the first node otherwise
  std::string redis_mode = "single";  // as ClusterOptions::redis
  std::vector<int> redis_ports;       // cluster and sentinel modes: every data node
  std::vector<int> redis_bus_ports;   // cluster mode: each node's cluster bus (not port + 10000, which may
                                      // not exist or be taken)
  std::vector<int> sentinel_ports;    // sentinel mode
  int nginx_port = 0;
  std::string db_password;  // of role keel

  std::filesystem::path LogPath(const std::string& name) const { return dir / "log" / (name + ".log"); }
  // postgres://keel:...@127.0.0.1:PORT/DB through pgBouncer (pooled) or straight to PostgreSQL.
  std::string PooledUrl(const std::string& database = "keel") const;
  std::string DirectUrl(const std::string& database = "keel") const;
  // kv.url for the Redis topology: redis://, redis-cluster:// or redis-sentinel://.
  std::string KvUrl() const;
};

struct NginxOptions {
  std::vector<int> api_ports;
  int rate = 100;  // requests per second per client address (limit_req)
  int burst = 200;
  bool access_log = true;
  // POST /api/v1/predict's own zone, seed 004's: 3 requests per second per address, burst 5.
  int predict_rate = 3;
  int predict_burst = 5;
};

// Creates DIR/pg/data with initdb on first use, (re)writes postgresql.conf, starts PostgreSQL, and creates
// the role and database `keel` when missing. Returns the postmaster's PID.
Result<pid_t> StartPostgres(const ClusterLayout& layout);
Result<pid_t> StartPgbouncer(const ClusterLayout& layout);
Result<pid_t> StartRedis(const ClusterLayout& layout);
// Renders nginx.conf, checks it with `nginx -t`, then starts nginx.
Result<pid_t> StartNginx(const ClusterLayout& layout, const NginxOptions& options);

// The rendered files, for checking them without starting anything (CI: nginx -t, pgBouncer's parser).
std::string RenderNginxConf(const ClusterLayout& layout, const NginxOptions& options);
std::string RenderPgbouncerIni(const ClusterLayout& layout);

// How long a server of ours may take from its start to answering its probe.
inline constexpr auto kServerStartTimeout = std::chrono::seconds(30);

// Waits until probe() is true, failing early when pid exits; the error names the log to read, and is
// kConflict when the log says the server's port was in use (another program took it after it was chosen).
Result<void> AwaitReady(const std::string& name, pid_t pid, const std::function<bool()>& probe,
                        std::chrono::milliseconds timeout, const std::filesystem::path& log);

}  // namespace keel::cluster
