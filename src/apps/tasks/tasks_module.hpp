// The Task API (seed 001), the first app on Keel's platform: /api/v1/tasks and the due-date reminder e-mails.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::tasks {

// The tasks module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class TaskRoutes;

class TasksModule final : public Module {
 public:
  TasksModule();
  ~TasksModule() override;
  std::string_view Name() const override { return "tasks"; }
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  Result<void> Register(ModuleContext& context) override;
  // Starts the task lists' cache generations.
  void Start() override;
  void Stop() override;

 private:
  std::unique_ptr<TaskRoutes> routes_;
};

}  // namespace keel::tasks
