// The Task API (seed 001): /api/v1/tasks, the first app on Keel's platform.
#pragma once

namespace keel {
class App;
}

namespace keel::tasks {

void RegisterTasks(App& app);

}  // namespace keel::tasks
