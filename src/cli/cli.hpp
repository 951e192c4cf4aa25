// The `keel` command line: serve, migrate, config show, version.
#pragma once

namespace keel::cli {

// Parses argv and runs the chosen command; returns the process exit code (2 for bad flags or config).
int Main(int argc, char** argv);

}  // namespace keel::cli
