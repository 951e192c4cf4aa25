// The identity module: its configuration (auth.*); the signing keys, hasher and IdentityService; the
// /api/v1/auth routes, the admin's user routes and the one-time-code routes; the hourly purge of expired
// codes and tokens; and the pipeline's authenticator.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::auth {

// The identity module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class IdentityService;
struct IdentityParts;

class IdentityModule final : public Module {
 public:
  IdentityModule();
  ~IdentityModule() override;
  std::string_view Name() const override { return "identity"; }
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  ConfigSchema ConfigKeys() const override;
  Result<void> Register(ModuleContext& context) override;
  // Starts the user listing's cache generations.
  void Start() override;
  void Stop() override;

  // For operator commands such as `keel users create`.
  // REQUIRES: Register succeeded.
  IdentityService& service();

 private:
  std::unique_ptr<IdentityParts> parts_;
};

}  // namespace keel::auth
