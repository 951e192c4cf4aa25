// StartPostgres, StartPgbouncer, StartRedis, StartNginx: files, processes and readiness.
#include "cluster/servers.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>

#include "cluster/probe.hpp"
#include "cluster/process.hpp"
#include "cluster/server_files.hpp"

namespace keel::cluster::templates {
std::string_view postgresql_conf();
std::string_view pgbouncer_ini();
std::string_view redis_conf();
std::string_view nginx_conf();
}  // namespace keel::cluster::templates

namespace keel::cluster {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";
constexpr std::size_t kMaxSocketPath = 107;  // sun_path, less its terminator

std::string SocketConninfo(const ClusterLayout& layout) {
  return fmt::format("host={}/pg/run port={} user=postgres dbname=postgres connect_timeout=5",
                     layout.dir.string(), layout.postgres_port);
}

// Role and database keel, created once; the role's password follows the cluster's secret.
Result<void> EnsureDatabase(const ClusterLayout& layout) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(SocketConninfo(layout).c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot reach PostgreSQL as its superuser: {}", PQerrorMessage(conn.get()))};
  auto exec = [&](const std::string& sql) -> Result<int> {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), sql.c_str()), PQclear);
    auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return Error{ErrorCode::kInternal,
                   fmt::format("{}: {}", sql.substr(0, sql.find(" PASSWORD")), PQerrorMessage(conn.get()))};
    return PQntuples(result.get());
  };
  std::unique_ptr<char, void (*)(void*)> password(
      PQescapeLiteral(conn.get(), layout.db_password.c_str(), layout.db_password.size()), PQfreemem);
  auto role = exec("SELECT 1 FROM pg_roles WHERE rolname = 'keel'");
  if (!role) return std::move(role).error();
  // CREATEDB: the test suites give each run a database of its own. A production cluster would not need it.
  auto changed = exec(fmt::format("{} ROLE keel LOGIN CREATEDB PASSWORD {}", *role == 0 ? "CREATE" : "ALTER",
                                  password.get()));
  if (!changed) return std::move(changed).error();
  auto database = exec("SELECT 1 FROM pg_database WHERE datname = 'keel'");
  if (!database) return std::move(database).error();
  if (*database == 0) {
    // Collation C: text sorts byte by byte, as in SQLite, so lists come back in the same order.
    auto created = exec(
        "CREATE DATABASE keel OWNER keel TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    if (!created) return std::move(created).error();
  }
  return Ok();
}

}  // namespace

std::string ClusterLayout::PooledUrl(const std::string& database) const {
  return fmt::format("postgres://keel:{}@127.0.0.1:{}/{}", db_password, pgbouncer_port, database);
}

std::string ClusterLayout::DirectUrl(const std::string& database) const {
  return fmt::format("postgres://keel:{}@127.0.0.1:{}/{}", db_password, postgres_port, database);
}

std::string ClusterLayout::KvUrl() const {
  std::vector<std::string> nodes;
  for (int port : redis_mode == "sentinel" ? sentinel_ports : redis_ports)
    nodes.push_back(fmt::format("127.0.0.1:{}", port));
  if (redis_mode == "cluster") return fmt::format("redis-cluster://{}", fmt::join(nodes, ","));
  if (redis_mode == "sentinel") return fmt::format("redis-sentinel://{}/keel", fmt::join(nodes, ","));
  return fmt::format("redis://127.0.0.1:{}", redis_port);
}

namespace {

// Whether a server said, since its last start marker, that its port was in use (every server here says it
// with the kernel's words). Only the log's last 64 KiB are read: a server that exits at start writes little.
bool PortTakenIn(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::size_t start = tail.rfind(kStartMarker);
  return tail.find("Address already in use", start == std::string::npos ? 0 : start) != std::string::npos;
}

}  // namespace

Result<void> AwaitReady(const std::string& name, pid_t pid, const std::function<bool()>& probe,
                        std::chrono::milliseconds timeout, const fs::path& log) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (probe()) return Ok();
    if (!Running(pid))
      return Error{PortTakenIn(log) ? ErrorCode::kConflict : ErrorCode::kUnavailable,
                   fmt::format("{} exited while starting; see {}", name, log.string())};
    if (std::chrono::steady_clock::now() > deadline)
      return Error{
          ErrorCode::kTimeout,
          fmt::format("{} did not become ready in {} s; see {}", name,
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), log.string())};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<pid_t> StartPostgres(const ClusterLayout& layout) {
  const fs::path pg = layout.dir / "pg";
  const std::string user = ServerUser("postgres");
  auto socket = fmt::format("{}/run/.s.PGSQL.{}", pg.string(), layout.postgres_port);
  if (socket.size() > kMaxSocketPath)
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("cluster directory too deep: PostgreSQL's socket path {} is over {} bytes",
                             socket, kMaxSocketPath)};
  if (auto made = MakeDir(pg, kPrivateDir, user); !made) return made.error();
  if (auto made = MakeDir(pg / "run", kPrivateDir, user); !made) return made.error();
  const fs::path data = pg / "data";
  if (!fs::exists(data / "PG_VERSION")) {
    LaunchSpec initdb{{fmt::format("{}/initdb", kPostgresBin), "-D", data.string(), "--username=postgres",
                       "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C",
                       "--no-instructions"},
                      {},
                      layout.dir.string(),
                      layout.LogPath("initdb").string(),
                      user};
    if (auto ran = RunToCompletion(initdb, std::chrono::seconds(120)); !ran) return ran.error();
  }
  auto conf = Render(templates::postgresql_conf(),
                     {{"@DIR@", layout.dir.string()}, {"@PG_PORT@", std::to_string(layout.postgres_port)}});
  if (auto written = WriteFile(data / "postgresql.conf", conf, kPrivateFile, user); !written)
    return written.error();
  LaunchSpec server{{fmt::format("{}/postgres", kPostgresBin), "-D", data.string()},
                    {},
                    layout.dir.string(),
                    layout.LogPath("postgres").string(),
                    user};
  auto pid = Launch(server);
  if (!pid) return pid;
  auto ready = AwaitReady(
      "PostgreSQL", *pid, [&] { return PostgresAnswers(SocketConninfo(layout)); }, kServerStartTimeout,
      layout.LogPath("postgres"));
  if (ready) ready = EnsureDatabase(layout);
  // SIGQUIT, not SIGKILL, as the hard stop: a killed postmaster leaves its children behind.
  return StartedOrStopped(*pid, std::move(ready), SIGINT, SIGQUIT);
}

std::string RenderPgbouncerIni(const ClusterLayout& layout) {
  return Render(templates::pgbouncer_ini(), {{"@DIR@", layout.dir.string()},
                                             {"@PG_PORT@", std::to_string(layout.postgres_port)},
                                             {"@PGBOUNCER_PORT@", std::to_string(layout.pgbouncer_port)}});
}

Result<pid_t> StartPgbouncer(const ClusterLayout& layout) {
  const fs::path dir = layout.dir / "pgbouncer";
  const std::string user = ServerUser("postgres");
  if (auto made = MakeDir(dir, kPrivateDir, user); !made) return made.error();
  if (auto written = WriteFile(dir / "pgbouncer.ini", RenderPgbouncerIni(layout), kPrivateFile, user);
      !written)
    return written.error();
  // pgBouncer checks clients' SCRAM proofs against this password and logs in to PostgreSQL with it.
  if (auto written = WriteFile(dir / "userlist.txt", fmt::format("\"keel\" \"{}\"\n", layout.db_password),
                               kPrivateFile, user);
      !written)
    return written.error();
  LaunchSpec server{{"/usr/sbin/pgbouncer", (dir / "pgbouncer.ini").string()},
                    {},
                    layout.dir.string(),
                    layout.LogPath("pgbouncer").string(),
                    user};
  auto pid = Launch(server);
  if (!pid) return pid;
  std::string conninfo =
      fmt::format("host=127.0.0.1 port={} user=keel dbname=keel connect_timeout=2", layout.pgbouncer_port);
  auto ready = AwaitReady(
      "pgBouncer", *pid, [&] { return PostgresAnswers(conninfo); }, kServerStartTimeout,
      layout.LogPath("pgbouncer"));
  return StartedOrStopped(*pid, std::move(ready), SIGINT, SIGTERM);
}

Result<pid_t> StartRedis(const ClusterLayout& layout) {
  const fs::path dir = layout.dir / "redis";
  const std::string user = Root() ? "nobody" : "";
  if (auto made = MakeDir(dir, kPrivateDir, user); !made) return made.error();
  auto conf = Render(templates::redis_conf(),
                     {{"@REDIS_DIR@", dir.string()}, {"@REDIS_PORT@", std::to_string(layout.redis_port)}});
  if (auto written = WriteFile(dir / "redis.conf", conf, kPrivateFile, user); !written)
    return written.error();
  LaunchSpec server{{"/usr/bin/redis-server", (dir / "redis.conf").string()},
                    {},
                    layout.dir.string(),
                    layout.LogPath("redis").string(),
                    user};
  auto pid = Launch(server);
  if (!pid) return pid;
  auto ready = AwaitReady(
      "Redis", *pid, [&] { return RedisAnswers(layout.redis_port, std::chrono::milliseconds(500)); },
      kServerStartTimeout, layout.LogPath("redis"));
  return StartedOrStopped(*pid, std::move(ready), SIGTERM, SIGKILL);
}

std::string RenderNginxConf(const ClusterLayout& layout, const NginxOptions& options) {
  std::string servers;
  for (int port : options.api_ports)
    servers += fmt::format("        server 127.0.0.1:{} max_fails=3 fail_timeout=5s;\n", port);
  if (!servers.empty()) servers.pop_back();
  return Render(
      templates::nginx_conf(),
      {{"@USER_LINE@", Root() ? "user nobody nogroup;" : "# (not root: workers run as this user)"},
       {"@DIR@", layout.dir.string()},
       {"@NGINX_PORT@", std::to_string(layout.nginx_port)},
       {"@API_SERVERS@", servers},
       {"@RATE@", std::to_string(options.rate)},
       {"@BURST@", std::to_string(options.burst)},
       {"@PREDICT_RATE@", std::to_string(options.predict_rate)},
       {"@PREDICT_BURST@", std::to_string(options.predict_burst)},
       {"@ACCESS_LOG@",
        options.access_log ? (layout.dir / "log" / "nginx-access.log").string() + " keel" : "off"}});
}

Result<pid_t> StartNginx(const ClusterLayout& layout, const NginxOptions& options) {
  const fs::path dir = layout.dir / "nginx";
  if (auto made = MakeDir(dir / "tmp", kPublicDir, ""); !made) return made.error();
  const fs::path conf = dir / "nginx.conf";
  if (auto written = WriteFile(conf, RenderNginxConf(layout, options), kPrivateFile, ""); !written)
    return written.error();
  const std::string prefix = dir.string() + "/";
  LaunchSpec check{{"/usr/sbin/nginx", "-t", "-q", "-c", conf.string(), "-p", prefix},
                   {},
                   layout.dir.string(),
                   layout.LogPath("nginx").string(),
                   ""};
  if (auto checked = RunToCompletion(check, std::chrono::seconds(30)); !checked)
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("nginx -t refused {}; see {}", conf.string(), layout.LogPath("nginx").string())};
  LaunchSpec server{{"/usr/sbin/nginx", "-c", conf.string(), "-p", prefix, "-g", "daemon off;"},
                    {},
                    layout.dir.string(),
                    layout.LogPath("nginx").string(),
                    ""};
  auto pid = Launch(server);
  if (!pid) return pid;
  auto ready = AwaitReady(
      "nginx", *pid,
      [&] { return HttpStatus(layout.nginx_port, "/health", std::chrono::milliseconds(500)) != 0; },
      kServerStartTimeout, layout.LogPath("nginx"));
  return StartedOrStopped(*pid, std::move(ready), SIGQUIT, SIGTERM);
}

}  // namespace keel::cluster
