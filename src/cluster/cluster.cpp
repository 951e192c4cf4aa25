// Up, Status and Down: the order servers start and stop in, the keel processes' settings, the summary.
#include "cluster/cluster.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cluster/cluster_state.hpp"
#include "cluster/probe.hpp"
#include "cluster/process.hpp"
#include "cluster/redis_servers.hpp"
#include "cluster/servers.hpp"
#include "core/random.hpp"

namespace keel::cluster {

namespace fs = std::filesystem;

namespace {

constexpr auto kKeelStartTimeout = std::chrono::seconds(30);
constexpr auto kProbeTimeout = std::chrono::milliseconds(1000);

// How each kind stops: the graceful signal, the hard one, and how long the graceful one gets. Keel drains
// requests (server.drain_timeout_ms) and jobs (jobs.drain_timeout_ms) before it exits.
struct StopRule {
  int graceful;
  int hard;
  std::chrono::milliseconds wait;
  const char* command;  // /proc/PID/comm of a process of this kind; "" for keel itself
};
const std::map<std::string, StopRule>& StopRules() {
  static const std::map<std::string, StopRule> rules = {
      {"nginx", {SIGQUIT, SIGTERM, std::chrono::seconds(15), "nginx"}},
      {"api", {SIGTERM, SIGKILL, std::chrono::seconds(45), ""}},  // "": this binary's own name
      {"worker", {SIGTERM, SIGKILL, std::chrono::seconds(45), ""}},
      {"pgbouncer", {SIGINT, SIGTERM, std::chrono::seconds(10), "pgbouncer"}},
      {"redis", {SIGTERM, SIGKILL, std::chrono::seconds(10), "redis-server"}},
      {"sentinel", {SIGTERM, SIGKILL, std::chrono::seconds(10), "redis-server"}},
      // Never SIGKILL the postmaster (it would leave its children); SIGQUIT is PostgreSQL's immediate stop.
      {"postgres", {SIGINT, SIGQUIT, std::chrono::seconds(30), "postgres"}},
  };
  return rules;
}

// Stopping order: the front first, the database last (pgBouncer holds connections to it).
int StopRank(const std::string& kind) {
  static const std::map<std::string, int> rank = {{"nginx", 0},     {"api", 1},      {"worker", 1},
                                                  {"pgbouncer", 2}, {"sentinel", 2}, {"redis", 3},
                                                  {"postgres", 4}};
  auto it = rank.find(kind);
  return it == rank.end() ? 5 : it->second;
}

// Writes a file that only its owner may read, from its creation on.
Result<void> WritePrivate(const fs::path& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string())};
  ::fchmod(fd, 0600);  // an older file keeps its mode through O_CREAT
  bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!written) return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string())};
  return Ok();
}

std::string ReadSecret(const fs::path& path, std::size_t bytes) {
  {
    std::ifstream in(path);
    std::string value;
    if (in >> value && !value.empty()) return value;
  }
  std::string value = RandomToken(bytes);  // hex: safe in URLs and config files
  (void)WritePrivate(path, value + "\n");
  return value;
}

// Whether another server of the cluster already has this port: ports are chosen before the servers start,
// so the kernel may hand the same free port out twice.
bool HeldByAnother(const ClusterState& state, const std::string& name, int port) {
  for (const auto& [other, held] : state.ports)
    if (other != name && held == port) return true;
  return false;
}

Result<int> ChoosePort(ClusterState& state, const std::string& name, int wanted) {
  if (wanted > 0) {
    if (!PortFree(wanted) || HeldByAnother(state, name, wanted))
      return Error{ErrorCode::kUnavailable, fmt::format("port {} for {} is in use", wanted, name)};
    return state.ports[name] = wanted;
  }
  auto kept = state.ports.find(name);
  if (kept != state.ports.end() && PortFree(kept->second) && !HeldByAnother(state, name, kept->second))
    return kept->second;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto port = FreePort();
    if (!port) return port;
    if (!HeldByAnother(state, name, *port)) return state.ports[name] = *port;
  }
  return Error{ErrorCode::kUnavailable, fmt::format("no free port for {} on 127.0.0.1", name)};
}

std::string SelfBinary() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "keel" : path.string();
}

// What /proc/PID/comm says for a process running this binary: its file name, cut to 15 characters.
std::string SelfCommandName() { return fs::path(SelfBinary()).filename().string().substr(0, 15); }

// Adds a started process to the cluster's state, saved at once so `down` can stop it whatever happens next.
Result<void> RecordStarted(const fs::path& dir, ClusterState& state, const std::string& name,
                           const std::string& kind, int port, Result<pid_t> pid) {
  if (!pid) return std::move(pid).error();
  state.processes.push_back(ClusterProcess{name, kind, *pid, port});
  std::cout << fmt::format("started {:<10} pid {:<8} {}\n", name, *pid,
                           port > 0 ? fmt::format("127.0.0.1:{}", port) : std::string());
  return SaveState(dir, state);
}

// A command's failure: its message on stderr, exit code 1.
int Failed(const std::string& message) {
  std::cerr << "keel cluster: " << message << "\n";
  return 1;
}

class Launcher {
 public:
  Launcher(const ClusterOptions& options, ClusterLayout layout, ClusterState& state, std::string jwt_secret)
      : options_(options), layout_(std::move(layout)), state_(state), jwt_secret_(std::move(jwt_secret)) {}

  Result<void> Run() {
    if (auto started = Record("postgres", "postgres", layout_.postgres_port, StartPostgres(layout_));
        !started)
      return started;
    if (auto started = Record("pgbouncer", "pgbouncer", layout_.pgbouncer_port, StartPgbouncer(layout_));
        !started)
      return started;
    if (auto started = StartRedisTopology(); !started) return started;
    if (auto migrated = Migrate(); !migrated) return migrated;
    NginxOptions nginx{{}, options_.rate, options_.burst, options_.access_log};
    for (int i = 1; i <= options_.instances; ++i) {
      auto port = ChoosePort(state_, fmt::format("api-{}", i), 0);
      if (!port) return port.error();
      if (auto started = StartKeel(fmt::format("api-{}", i), "api", *port); !started) return started;
      nginx.api_ports.push_back(*port);
    }
    for (int i = 1; i <= options_.workers; ++i) {
      // The worker's ops port: /health, /ready, and /metrics for its job and queue-depth metrics.
      auto port = ChoosePort(state_, fmt::format("worker-{}", i), 0);
      if (!port) return port.error();
      if (auto started = StartKeel(fmt::format("worker-{}", i), "worker", *port); !started) return started;
    }
    if (options_.instances > 0)
      if (auto started = Record("nginx", "nginx", layout_.nginx_port, StartNginx(layout_, nginx)); !started)
        return started;
    return Ok();
  }

  // What every keel process of the cluster gets on top of the user's config file.
  std::map<std::string, std::string> KeelEnv() const {
    return {{"KEEL_DATABASE_URL", layout_.PooledUrl()},
            {"KEEL_DATABASE_DIRECT_URL", layout_.DirectUrl()},
            {"KEEL_KV_URL", layout_.KvUrl()},
            {"KEEL_AUTH_JWT_SECRET", jwt_secret_},
            // One blob folder for every instance and worker (the shared volume of a real deployment).
            {"KEEL_BLOBS_PATH", (layout_.dir / "blobs").string()},
            // Redis down: each instance counts its share of every limit, so together they stay within it.
            {"KEEL_RATELIMIT_STORE_FAILURE", "local"},
            {"KEEL_RATELIMIT_LOCAL_SHARE", std::to_string(std::max(1, options_.instances))}};
  }

 private:
  Result<void> Record(const std::string& name, const std::string& kind, int port, Result<pid_t> pid) {
    return RecordStarted(layout_.dir, state_, name, kind, port, std::move(pid));
  }

  Result<void> StartRedisTopology() {
    RecordServer record = [this](const std::string& name, const std::string& kind, int port,
                                 Result<pid_t> pid) { return Record(name, kind, port, std::move(pid)); };
    if (layout_.redis_mode == "cluster") return StartRedisCluster(layout_, layout_.redis_ports, record);
    if (layout_.redis_mode == "sentinel")
      return StartRedisSentinel(layout_, layout_.redis_ports, layout_.sentinel_ports, record);
    return Record("redis", "redis", layout_.redis_port, StartRedis(layout_));
  }

  std::vector<std::string> KeelArgv(const char* command) const {
    std::vector<std::string> argv = {SelfBinary(), command};
    if (!options_.config_file.empty()) {
      argv.push_back("--config");
      argv.push_back(fs::absolute(options_.config_file).string());
    }
    return argv;
  }

  Result<void> Migrate() {
    LaunchSpec migrate{KeelArgv("migrate"), KeelEnv(), fs::current_path().string(),
                       layout_.LogPath("migrate").string(), ""};
    migrate.env["KEEL_DATABASE_URL"] = layout_.DirectUrl();
    return RunToCompletion(migrate, std::chrono::seconds(120));
  }

  Result<void> StartKeel(const std::string& name, const std::string& kind, int port) {
    auto env = KeelEnv();
    env["KEEL_SERVER_INSTANCE_ID"] = name;
    env["KEEL_SERVER_HOST"] = "127.0.0.1";
    if (kind == "worker") env["KEEL_JOBS_OPS_PORT"] = std::to_string(port);
    if (kind == "api") {
      env["KEEL_SERVER_PORT"] = std::to_string(port);
      env["KEEL_SERVER_TRUSTED_PROXIES"] = "127.0.0.1";  // nginx: its X-Forwarded-For names the client
      env["KEEL_JOBS_WORKERS"] = "false";                // the worker processes run the jobs
      env["KEEL_JOBS_SCHEDULER"] = "false";
    }
    const fs::path log = layout_.LogPath(name);
    LaunchSpec spec{KeelArgv(kind == "api" ? "serve" : "worker"), env, fs::current_path().string(),
                    log.string(), ""};
    auto pid = Launch(spec);
    if (!pid) return std::move(pid).error();
    // A worker opens its ops port once its workers run.
    auto ready = AwaitReady(
        name, *pid, [&] { return HttpStatus(port, "/health", kProbeTimeout) == 200; }, kKeelStartTimeout,
        log);
    auto recorded = Record(name, kind, port, pid);
    if (!ready) return ready;
    return recorded;
  }

  const ClusterOptions& options_;
  ClusterLayout layout_;
  ClusterState& state_;
  std::string jwt_secret_;
};

bool AnyRunning(const ClusterState& state) {
  for (const auto& p : state.processes)
    if (Running(p.pid)) return true;
  return false;
}

void StopAll(const fs::path& dir, ClusterState& state) {
  std::stable_sort(
      state.processes.begin(), state.processes.end(),
      [](const ClusterProcess& a, const ClusterProcess& b) { return StopRank(a.kind) < StopRank(b.kind); });
  for (const auto& p : state.processes) {
    auto rule = StopRules().find(p.kind);
    if (rule == StopRules().end() || !Running(p.pid)) continue;
    std::string expected = *rule->second.command != '\0' ? rule->second.command : SelfCommandName();
    if (CommandName(p.pid) != expected) {
      std::cout << fmt::format("skipped {:<10} pid {} is now another program\n", p.name, p.pid);
      continue;
    }
    bool stopped = Stop(p.pid, rule->second.graceful, rule->second.hard, rule->second.wait);
    std::cout << fmt::format("{} {:<10} pid {}\n", stopped ? "stopped" : "could not stop", p.name, p.pid);
  }
  state.processes.clear();
  (void)SaveState(dir, state);
}

std::string Health(const ClusterProcess& p, const ClusterLayout& layout) {
  if (!Running(p.pid)) return "-";
  if (p.kind == "postgres" || p.kind == "pgbouncer")
    return PostgresAnswers(
               fmt::format("host=127.0.0.1 port={} user=keel dbname=keel connect_timeout=2", p.port))
               ? "accepting"
               : "not answering";
  if (p.kind == "redis" || p.kind == "sentinel")
    return RedisAnswers(p.port, kProbeTimeout) ? "PONG" : "not answering";
  if (p.kind == "api" || p.kind == "worker")
    return fmt::format("/ready {}", HttpStatus(p.port, "/ready", kProbeTimeout));
  if (p.kind == "nginx") return fmt::format("/health {}", HttpStatus(p.port, "/health", kProbeTimeout));
  (void)layout;
  return "";
}

// Creates the cluster directory (readable by the servers' users) and loads its state; refuses a directory
// whose processes are still running.
Result<ClusterState> OpenDir(const fs::path& dir) {
  std::error_code ec;
  for (const char* sub : {"", "log", "secrets"}) fs::create_directories(dir / sub, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable, fmt::format("cannot create {}: {}", dir.string(), ec.message())};
  // The servers run as other users (postgres, nobody): they must be able to reach their directories.
  fs::permissions(dir,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  fs::permissions(dir / "secrets", fs::perms::owner_all, ec);
  auto loaded = LoadState(dir);
  if (!loaded) return loaded;
  if (AnyRunning(*loaded))
    return Error{ErrorCode::kConflict,
                 fmt::format("{} is already up (keel cluster status --dir {}; down to stop it)", dir.string(),
                             dir.string())};
  loaded->processes.clear();
  return loaded;
}

// Every server's port (the servers' configurations name each other's, so all are chosen before any starts).
Result<void> ChoosePorts(const ClusterOptions& options, ClusterState& state, ClusterLayout& layout) {
  for (auto [name, port] :
       {std::pair{"postgres", &layout.postgres_port}, std::pair{"pgbouncer", &layout.pgbouncer_port},
        std::pair{"redis", &layout.redis_port}, std::pair{"nginx", &layout.nginx_port}}) {
    auto chosen = ChoosePort(state, name, std::string(name) == "nginx" ? options.port : 0);
    if (!chosen) return std::move(chosen).error();
    *port = *chosen;
  }
  layout.redis_mode = options.redis;
  if (options.redis == "single") return Ok();
  // Six nodes for a cluster (three masters, a replica each); three, and three Sentinels, otherwise.
  const int data_nodes = options.redis == "cluster" ? 6 : 3;
  for (int i = 1; i <= data_nodes; ++i) {
    auto chosen = ChoosePort(state, fmt::format("redis-{}", i), 0);
    if (!chosen) return std::move(chosen).error();
    layout.redis_ports.push_back(*chosen);
    if (options.redis != "cluster") continue;
    auto bus = ChoosePort(state, fmt::format("redis-{}-bus", i), 0);
    if (!bus) return std::move(bus).error();
    layout.redis_bus_ports.push_back(*bus);
  }
  for (int i = 1; options.redis == "sentinel" && i <= 3; ++i) {
    auto chosen = ChoosePort(state, fmt::format("sentinel-{}", i), 0);
    if (!chosen) return std::move(chosen).error();
    layout.sentinel_ports.push_back(*chosen);
  }
  layout.redis_port = layout.redis_ports.front();
  return Ok();
}

// Chooses the ports and starts every server; a failure is said on stderr and stops what was started.
Result<ClusterLayout> StartOnce(const ClusterOptions& options, const fs::path& dir, ClusterState& state) {
  ClusterLayout layout;
  layout.dir = dir;
  layout.db_password = ReadSecret(dir / "secrets" / "db_password", 16);
  std::string jwt_secret = ReadSecret(dir / "secrets" / "jwt_secret", 32);
  if (auto chosen = ChoosePorts(options, state, layout); !chosen) {
    Failed(chosen.error().message);
    return std::move(chosen).error();
  }
  Launcher launcher(options, layout, state, jwt_secret);
  // Settings for running other keel commands against the cluster: `set -a; . DIR/cluster.env; set +a`. It
  // holds the database password and the JWT secret: private from its first byte.
  std::string settings;
  for (const auto& [key, value] : launcher.KeelEnv()) settings += key + "=" + value + "\n";
  if (auto written = WritePrivate(dir / "cluster.env", settings); !written) {
    Failed(written.error().message);
    return std::move(written).error();
  }
  if (auto started = launcher.Run(); !started) {
    std::cerr << "keel cluster: " << started.error().message << "\nstopping what was started\n";
    StopAll(dir, state);
    state.processes.clear();
    return std::move(started).error();
  }
  return layout;
}

}  // namespace

int Up(const ClusterOptions& options) {
  const fs::path dir = fs::absolute(options.dir).lexically_normal();
  auto opened = OpenDir(dir);
  if (!opened) return Failed(opened.error().message);
  ClusterState state = std::move(opened).value();

  // A port is free when it is chosen and bound by its server later: another program (a connection's local
  // port, another cluster starting beside this one) may take it in between. The server then exits at start
  // (kConflict, AwaitReady): start again on ports chosen afresh.
  constexpr int kAttempts = 3;
  Result<ClusterLayout> layout = Error{ErrorCode::kInternal, "not started"};
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    layout = StartOnce(options, dir, state);
    if (layout || layout.error().code != ErrorCode::kConflict) break;
    if (attempt < kAttempts)
      std::cerr << "keel cluster: a port was taken meanwhile; starting again on others\n";
    state.ports.clear();
  }
  if (!layout) return 1;
  std::cout << "\n";
  Status(dir);
  if (options.instances > 0) std::cout << fmt::format("\nAPI: http://127.0.0.1:{}\n", layout->nginx_port);
  std::cout << fmt::format("Settings for keel commands against this cluster: {}\n",
                           (dir / "cluster.env").string());
  return 0;
}

int Front(const FrontOptions& options) {
  const fs::path dir = fs::absolute(options.dir).lexically_normal();
  auto opened = OpenDir(dir);
  if (!opened) return Failed(opened.error().message);
  ClusterState state = std::move(opened).value();
  ClusterLayout layout;
  layout.dir = dir;
  NginxOptions nginx{options.api_ports, options.rate, options.burst, options.access_log};
  Result<pid_t> pid = Error{ErrorCode::kInternal, "not started"};
  // As in Up: a port chosen here (not asked for) may be taken before nginx binds it; choose another.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto port = ChoosePort(state, "nginx", options.port);
    if (!port) return Failed(port.error().message);
    layout.nginx_port = *port;
    pid = StartNginx(layout, nginx);
    if (pid || pid.error().code != ErrorCode::kConflict || options.port > 0) break;
    state.ports.erase("nginx");
  }
  if (!pid) return Failed(pid.error().message);
  if (auto recorded = RecordStarted(dir, state, "nginx", "nginx", layout.nginx_port, *pid); !recorded) {
    StopAll(dir, state);
    return Failed(recorded.error().message + "; nginx stopped");
  }
  std::cout << fmt::format("\nAPI: http://127.0.0.1:{}\n", layout.nginx_port);
  return 0;
}

int Status(const fs::path& dir_option) {
  const fs::path dir = fs::absolute(dir_option).lexically_normal();
  auto state = LoadState(dir);
  if (!state) return Failed(state.error().message);
  if (state->processes.empty()) {
    std::cout << fmt::format("no cluster is up in {}\n", dir.string());
    return 1;
  }
  ClusterLayout layout;
  layout.dir = dir;
  bool healthy = true;
  std::cout << fmt::format("{:<10} {:<6} {:<8} {:<8} {}\n", "NAME", "PORT", "PID", "STATE", "HEALTH");
  for (const auto& p : state->processes) {
    bool running = Running(p.pid);
    std::string health = Health(p, layout);
    bool answering = health != "not answering" && (!health.starts_with("/") || health.ends_with(" 200"));
    healthy = healthy && running && answering;
    std::cout << fmt::format("{:<10} {:<6} {:<8} {:<8} {}\n", p.name,
                             p.port > 0 ? std::to_string(p.port) : "-", p.pid,
                             running ? "running" : "stopped", health);
  }
  return healthy ? 0 : 1;
}

int Down(const fs::path& dir_option) {
  const fs::path dir = fs::absolute(dir_option).lexically_normal();
  auto state = LoadState(dir);
  if (!state) return Failed(state.error().message);
  if (!AnyRunning(*state)) {
    std::cout << fmt::format("nothing is running in {}\n", dir.string());
    state->processes.clear();
    (void)SaveState(dir, *state);
    return 0;
  }
  StopAll(dir, *state);
  return 0;
}

}  // namespace keel::cluster
