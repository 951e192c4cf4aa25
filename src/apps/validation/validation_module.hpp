// The Live Validation Dashboard (seed 002): apps with ingest keys, versioned validation rules (JSON Schema
// per event), and, as it grows, event-log ingestion, live aggregates and exports. Routes under /api/v1/apps.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::validation {

// The module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class AppRoutes;

class ValidationModule final : public Module {
 public:
  ValidationModule();
  ~ValidationModule() override;
  std::string_view Name() const override { return "validation"; }
  ConfigSchema ConfigKeys() const override;
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  Result<void> Register(ModuleContext& context) override;

 private:
  std::unique_ptr<AppRoutes> routes_;
};

}  // namespace keel::validation
