// The debug module (debug.routes only): the diagnostic routes of http/debug_routes.hpp, and job kinds and a
// route for the end-to-end tests and the queue benchmark: a no-op, a job that fails its first N attempts, a
// cancellable sleep that leaves markers in a file, and, when KEEL_TEST_TICK_FILE is set, a periodic job
// firing every second that appends its tick to that file.
#pragma once

#include "module/module.hpp"

namespace keel::jobs {

class DebugModule final : public Module {
 public:
  std::string_view Name() const override { return "debug"; }
  Result<void> Register(ModuleContext& context) override;
};

}  // namespace keel::jobs
