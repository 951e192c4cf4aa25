// Entry point: everything happens in the CLI's subcommands.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return keel::cli::Main(argc, argv); }
