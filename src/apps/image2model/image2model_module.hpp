// Image2Model (seed 003): batches of images uploaded (POST /api/v1/upload/batch), turned into 3D models by
// background jobs with progress per file (GET /api/v1/status/{job_id}, its event stream), results downloaded
// from the blob store (GET /api/v1/results/...). The local generator is built in; a batch may be cancelled.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::http {
class HttpClient;
}

namespace keel::image2model {

// The module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class BatchStore;
class BatchRoutes;
class RemoteGenerator;
class ResultRoutes;
class TusRoutes;
class TusStore;
class WebhookSecrets;

class Image2ModelModule final : public Module {
 public:
  Image2ModelModule();
  ~Image2ModelModule() override;
  std::string_view Name() const override { return "image2model"; }
  ConfigSchema ConfigKeys() const override;
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  Result<void> Register(ModuleContext& context) override;

 private:
  std::unique_ptr<BatchStore> store_;
  std::unique_ptr<RemoteGenerator> remote_;
  std::unique_ptr<http::HttpClient> webhook_client_;
  std::unique_ptr<WebhookSecrets> secrets_;
  std::unique_ptr<TusStore> uploads_;
  std::unique_ptr<TusRoutes> tus_;
  std::unique_ptr<BatchRoutes> batches_;
  std::unique_ptr<ResultRoutes> results_;
};

}  // namespace keel::image2model
