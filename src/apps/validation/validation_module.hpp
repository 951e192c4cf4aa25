// The Live Validation Dashboard (seed 002): apps with ingest keys, versioned validation rules (JSON Schema
// per event), event-log ingestion (POST /api/v1/logs), reading the logs, dashboards from per-minute
// rollups, and a live view (SSE) across instances. Routes under /api/v1/apps, /api/v1/logs and
// /api/v1/dashboard.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::validation {

// The module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class AppRoutes;
class AppStore;
class EventRoutes;
class Ingestion;

class ValidationModule final : public Module {
 public:
  ValidationModule();
  ~ValidationModule() override;
  std::string_view Name() const override { return "validation"; }
  ConfigSchema ConfigKeys() const override;
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  Result<void> Register(ModuleContext& context) override;
  // Starts and stops the rollup flusher and the live view's ticker.
  void Start() override;
  void Stop() override;

 private:
  std::unique_ptr<Ingestion> ingestion_;
  std::unique_ptr<AppStore> store_;  // shared by both route sets
  std::unique_ptr<AppRoutes> apps_;
  std::unique_ptr<EventRoutes> events_;
};

}  // namespace keel::validation
