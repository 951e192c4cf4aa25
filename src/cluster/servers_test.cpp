// AwaitReady: a server that exits at start because another program took its port is told apart (kConflict, so
// `keel cluster up` starts again on other ports) from one that exits for any other reason.
#include "cluster/servers.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cluster/process.hpp"

namespace keel::cluster {
namespace {

namespace fs = std::filesystem;

// Runs `script` as a server that never becomes ready, and returns what AwaitReady says of it.
Result<void> AwaitScript(const std::string& script, const fs::path& log) {
  LaunchSpec spec{{"/bin/sh", "-c", script}, {}, fs::temp_directory_path().string(), log.string(), ""};
  auto pid = Launch(spec);
  EXPECT_TRUE(pid.ok());
  if (!pid) return pid.error();
  return AwaitReady(
      "server", *pid, [] { return false; }, std::chrono::seconds(10), log);
}

TEST(AwaitReady, AServerWhosePortWasTakenIsAConflictAndAnyOtherExitIsNot) {
  fs::path log = fs::temp_directory_path() / ("keel-await-ready-" + std::to_string(::getpid()) + ".log");
  fs::remove(log);
  // Redis's words; PostgreSQL, pgBouncer and nginx end with the same strerror text.
  auto taken = AwaitScript(
      "echo '# Could not create server TCP listening socket 127.0.0.1:6379: bind: Address "
      "already in use'; exit 1",
      log);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict) << taken.error().message;
  EXPECT_NE(taken.error().message.find(log.string()), std::string::npos) << "the error names the log";

  // The same log, a later start that fails otherwise: only its own lines (after its start marker) decide.
  auto other = AwaitScript("echo 'FATAL: data directory has wrong ownership'; exit 1", log);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kUnavailable) << other.error().message;
  fs::remove(log);
}

}  // namespace
}  // namespace keel::cluster
