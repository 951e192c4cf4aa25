// The ML platform's module: its configuration (ml.*), the model catalog (/api/v1/models), the admin reload
// route, the hourly pruning of the prediction log, and the platform's start and stop in a serving process.
#pragma once

#include "module/module.hpp"

namespace keel::ml {

// The models module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class ModelPlatform;

class ModelsModule final : public Module {
 public:
  std::string_view Name() const override { return "models"; }
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  ConfigSchema ConfigKeys() const override;
  Result<void> Register(ModuleContext& context) override;
  // Loads the served models and starts the registry watcher and the prediction log.
  void Start() override;
  void Stop() override;

 private:
  ModelPlatform* platform_ = nullptr;
  Readiness* readiness_ = nullptr;
};

}  // namespace keel::ml
