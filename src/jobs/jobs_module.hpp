// The jobs module: its configuration (jobs.*), /api/v1/jobs (status and an event stream for the job's owner),
// the admin views and actions (/api/v1/admin/jobs, /api/v1/admin/queues), and the maintenance job that prunes
// finished jobs. The queue and the workers themselves are platform parts the App owns.
#pragma once

#include "module/module.hpp"

namespace keel::jobs {

// The jobs module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class JobsModule final : public Module {
 public:
  std::string_view Name() const override { return "jobs"; }
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  ConfigSchema ConfigKeys() const override;
  Result<void> Register(ModuleContext& context) override;
};

}  // namespace keel::jobs
