// Job kinds and a route for the end-to-end tests and the queue benchmark (debug.routes only): a no-op, a job
// that fails its first N attempts, a cancellable sleep that leaves markers in a file, and, when
// KEEL_TEST_TICK_FILE is set, a periodic job firing every second that appends its tick to that file.
#pragma once

namespace keel {
class App;
}

namespace keel::jobs {

void AddDebugJobs(App& app);

}  // namespace keel::jobs
