// The jobs module: /api/v1/jobs (status and an event stream for the job's owner), the admin views and actions
// (/api/v1/admin/jobs, /api/v1/admin/queues), and the maintenance job that prunes finished jobs.
#pragma once

namespace keel {
class App;
}

namespace keel::jobs {

void RegisterJobs(App& app);

}  // namespace keel::jobs
