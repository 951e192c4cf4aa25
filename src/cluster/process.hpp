// Starting and stopping the cluster's server processes: detached, logging to a file, recorded by PID.
//
// Thread safety: free functions without shared state.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace keel::cluster {

// The line Launch and RunToCompletion append to the log before the program starts, followed by its path.
inline constexpr std::string_view kStartMarker = "--- keel cluster: starting ";

struct LaunchSpec {
  std::vector<std::string> argv;           // argv[0] is the program's absolute path
  std::map<std::string, std::string> env;  // added to (and overriding) this process's environment
  std::string cwd;
  std::string log_path;  // stdout and stderr, appended
  std::string run_as;    // a user to switch to (setpriv) when running as root; "" = as is
};

// Forks and execs spec in a new session (so a terminal's signals do not reach it); the PID is the program's
// own, not a wrapper's.
Result<pid_t> Launch(const LaunchSpec& spec);

// Runs a program to completion (initdb, psql): its output goes to log_path. Fails unless it exits 0.
Result<void> RunToCompletion(const LaunchSpec& spec, std::chrono::seconds timeout);

// True while pid runs (a zombie counts as stopped: the launcher's process may be gone and the parent that
// reaps it slow).
bool Running(pid_t pid);

// The process's command name (/proc/PID/comm), "" when gone: guards against signalling a reused PID.
std::string CommandName(pid_t pid);

// Sends `graceful`, waits up to `timeout`, then sends `hard` and waits again. True once stopped.
bool Stop(pid_t pid, int graceful, int hard, std::chrono::milliseconds timeout);

// A TCP port on 127.0.0.1 that was free a moment ago.
Result<int> FreePort();
bool PortFree(int port);

}  // namespace keel::cluster
