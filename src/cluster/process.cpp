// Launch, RunToCompletion, Running and Stop on fork/exec and /proc.
#include "cluster/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace keel::cluster {

namespace {

constexpr auto kPollStep = std::chrono::milliseconds(50);

// argv as execv wants it, wrapped in setpriv when the program must run as another user.
std::vector<std::string> FinalArgv(const LaunchSpec& spec) {
  if (spec.run_as.empty() || ::geteuid() != 0) return spec.argv;
  // The user's own primary group (nobody's is nogroup), by number.
  const passwd* user = ::getpwnam(spec.run_as.c_str());
  std::string group = user == nullptr ? spec.run_as : std::to_string(user->pw_gid);
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=" + spec.run_as, "--regid=" + group,
                                   "--init-groups", "--"};
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

std::vector<std::string> FinalEnv(const LaunchSpec& spec) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) merged[k] = v;
  // The servers run as another user: a HOME it cannot read makes some of them complain.
  if (!spec.run_as.empty() && ::geteuid() == 0) merged["HOME"] = spec.cwd;
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(const LaunchSpec& spec, char* const* argv, char* const* envp, int log_fd) {
  ::setsid();
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) ::_exit(126);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // keel blocks shutdown signals in its threads
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &default_action, nullptr);  // keel ignores SIGPIPE; the servers expect the default
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

Result<pid_t> Spawn(const LaunchSpec& spec) {
  auto argv_strings = FinalArgv(spec);
  auto env_strings = FinalEnv(spec);
  std::vector<char*> argv, envp;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot open {}: {}", spec.log_path, std::strerror(errno))};
  // Where this start's lines begin in a log that keeps every start's (AwaitReady reads from here).
  std::string marker = fmt::format("{}{}\n", kStartMarker, spec.argv.front());
  (void)!::write(log_fd, marker.data(), marker.size());
  pid_t pid = ::fork();
  if (pid == 0) ExecChild(spec, argv.data(), envp.data(), log_fd);
  ::close(log_fd);
  if (pid < 0) return Error{ErrorCode::kUnavailable, fmt::format("fork failed: {}", std::strerror(errno))};
  return pid;
}

// Reaps pid when it is our child and has exited; true when it is gone.
bool Reaped(pid_t pid, int* status) {
  int s = 0;
  pid_t r = ::waitpid(pid, &s, WNOHANG);
  if (r == pid) {
    if (status != nullptr) *status = s;
    return true;
  }
  return false;
}

}  // namespace

Result<pid_t> Launch(const LaunchSpec& spec) { return Spawn(spec); }

Result<void> RunToCompletion(const LaunchSpec& spec, std::chrono::seconds timeout) {
  auto pid = Spawn(spec);
  if (!pid) return std::move(pid).error();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (!Reaped(*pid, &status)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, &status, 0);
      return Error{ErrorCode::kTimeout, fmt::format("{} took longer than {} s (log: {})", spec.argv.front(),
                                                    timeout.count(), spec.log_path)};
    }
    std::this_thread::sleep_for(kPollStep);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
  return Error{ErrorCode::kInternal,
               fmt::format("{} failed (exit {}; log: {})", spec.argv.front(),
                           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), spec.log_path)};
}

bool Running(pid_t pid) {
  if (pid <= 0) return false;
  if (Reaped(pid, nullptr)) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  // "PID (comm) STATE ...": comm may hold spaces and parentheses; the state follows the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  char state = line[close + 2];
  return state != 'Z' && state != 'X';
}

std::string CommandName(pid_t pid) {
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(comm, name);
  return name;
}

bool Stop(pid_t pid, int graceful, int hard, std::chrono::milliseconds timeout) {
  for (int signal : {graceful, hard}) {
    if (!Running(pid)) return true;
    ::kill(pid, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Running(pid)) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(kPollStep);
    }
  }
  return !Running(pid);
}

Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{ErrorCode::kUnavailable, "cannot open a socket"};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  if (port < 0) return Error{ErrorCode::kUnavailable, "no free port on 127.0.0.1"};
  return port;
}

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return free;
}

}  // namespace keel::cluster
