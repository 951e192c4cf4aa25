// The image2model module's parts and their wiring: the store, the routes, the job kinds.
#include "apps/image2model/image2model_module.hpp"

#include <limits>

#include "apps/image2model/batch_routes.hpp"
#include "apps/image2model/batch_store.hpp"
#include "apps/image2model/generation_jobs.hpp"
#include "apps/image2model/image2model_config.hpp"
#include "apps/image2model/remote_generator.hpp"
#include "apps/image2model/result_routes.hpp"
#include "apps/image2model/tus_routes.hpp"
#include "apps/image2model/tus_store.hpp"
#include "apps/image2model/webhook_delivery.hpp"
#include "http/client_ip.hpp"
#include "http/outbound/http_client.hpp"
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
  if (auto allowed = http::TrustedProxies::Parse(options.webhook_allow); !allowed)
    return Error{ErrorCode::kInvalidArgument, "image2model.webhook_allow: " + allowed.error().message};
  store_ =
      std::make_unique<BatchStore>(context.database(), context.jobs(), context.clock(), options.result_ttl);
  if (options.remote_configured)
    remote_ = std::make_unique<RemoteGenerator>(RemoteOptions::Read(context.config()), context.metrics());
  // Webhooks go to many users' servers: one failing must not open a breaker for all, so the client's
  // breaker never trips; each delivery job retries on its own.
  http::HttpClientOptions webhooks;
  webhooks.provider = "webhooks";
  webhooks.attempts = 1;
  webhooks.total_timeout = std::chrono::seconds(30);
  webhooks.read_timeout = std::chrono::seconds(30);
  webhooks.breaker_failures = std::numeric_limits<int>::max();
  webhook_client_ = std::make_unique<http::HttpClient>(webhooks, context.metrics());
  secrets_ = std::make_unique<WebhookSecrets>(context.database(), context.clock());
  // Unfinished resumable uploads are kept a day.
  uploads_ = std::make_unique<TusStore>(context.database(), context.blobs(), context.pool(), context.clock(),
                                        std::chrono::hours(24), options.max_pixels);

  pubsub::PubSub* pubsub = &context.pubsub();
  GenerationContext generation{
      *store_,
      context.blobs(),
      context.database(),
      context.jobs(),
      context.pool(),
      context.clock(),
      options,
      remote_.get(),
      uploads_.get(),
      [pubsub](const std::string& batch_id) { pubsub->Publish(BatchChannel(batch_id), "changed"); }};
  AddGenerationJobs(context.job_kinds(), generation);
  AddWebhookJob(context.job_kinds(),
                WebhookContext{*store_, *secrets_, *webhook_client_, context.clock(), options});
  batches_ = std::make_unique<BatchRoutes>(*store_, *uploads_, context.blobs(), context.pool(),
                                           context.pubsub(), context.clock(), options);
  results_ = std::make_unique<ResultRoutes>(*store_, context.blobs(), context.pool(), context.clock());
  batches_->AddTo(context.router());
  results_->AddTo(context.router());
  AddWebhookSecretRoutes(context.router(), *secrets_);
  tus_ = std::make_unique<TusRoutes>(*uploads_, options.max_file_bytes);
  tus_->AddTo(context.router());
  return Ok();
}

}  // namespace keel::image2model
