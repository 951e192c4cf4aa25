// The image2model module's parts and their wiring: the store, the routes, the job kinds.
#include "apps/image2model/image2model_module.hpp"

#include "apps/image2model/batch_routes.hpp"
#include "apps/image2model/batch_store.hpp"
#include "apps/image2model/generation_jobs.hpp"
#include "apps/image2model/image2model_config.hpp"
#include "apps/image2model/result_routes.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::image2model {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

Image2ModelModule::Image2ModelModule() = default;
Image2ModelModule::~Image2ModelModule() = default;

ConfigSchema Image2ModelModule::ConfigKeys() const { return image2model::ConfigKeys(); }

std::string_view Image2ModelModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> Image2ModelModule::Migrations(std::string_view backend) const {
  return image2model::Migrations(backend);
}

Result<void> Image2ModelModule::Register(ModuleContext& context) {
  auto options = Image2ModelOptions::Read(context.config());
  store_ =
      std::make_unique<BatchStore>(context.database(), context.jobs(), context.clock(), options.result_ttl);
  pubsub::PubSub* pubsub = &context.pubsub();
  AddGenerationJobs(
      context.job_kinds(),
      GenerationContext{*store_, context.blobs(), context.database(), context.jobs(), context.pool(),
                        context.clock(), options, [pubsub](const std::string& batch_id) {
                          pubsub->Publish(BatchChannel(batch_id), "changed");
                        }});
  batches_ = std::make_unique<BatchRoutes>(*store_, context.blobs(), context.pool(), context.pubsub(),
                                           context.clock(), options);
  results_ = std::make_unique<ResultRoutes>(*store_, context.blobs(), context.pool(), context.clock());
  batches_->AddTo(context.router());
  results_->AddTo(context.router());
  return Ok();
}

}  // namespace keel::image2model
