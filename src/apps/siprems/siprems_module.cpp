// The siprems module's parts and their wiring: the stores, the model registry, training jobs, the routes.
#include "apps/siprems/siprems_module.hpp"

#include "apps/siprems/catalog_routes.hpp"
#include "apps/siprems/chat_history.hpp"
#include "apps/siprems/chat_remote.hpp"
#include "apps/siprems/chat_routes.hpp"
#include "apps/siprems/chat_service.hpp"
#include "apps/siprems/chat_tools.hpp"
#include "apps/siprems/forecast_routes.hpp"
#include "apps/siprems/forecaster.hpp"
#include "apps/siprems/model_store.hpp"
#include "apps/siprems/product_store.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/served_models.hpp"
#include "apps/siprems/trainer.hpp"
#include "apps/siprems/training_jobs.hpp"
#include "core/cache_catalog.hpp"
#include "core/readiness.hpp"
#include "http/rate_limiter.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/kv/redis/redis_url.hpp"
#include "storage/kv/tiered_kv.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::siprems {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

SipremsModule::SipremsModule() = default;
SipremsModule::~SipremsModule() = default;

ConfigSchema SipremsModule::ConfigKeys() const { return siprems::ConfigKeys(); }

std::string_view SipremsModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> SipremsModule::Migrations(std::string_view backend) const {
  return siprems::Migrations(backend);
}

Result<void> SipremsModule::Register(ModuleContext& context) {
  options_ = SipremsOptions::Read(context.config());
  if (http::RateLimiter* limiter = context.rate_limiter())
    limiter->AddPolicy(
        std::string(kPredictRatePolicy),
        http::RatePolicy{options_.predict_per_minute, std::chrono::seconds(60), options_.predict_burst});
  pubsub_ = &context.pubsub();
  jobs_ = &context.jobs();
  products_ = std::make_unique<ProductStore>(context.database(), context.clock());
  sales_ = std::make_unique<SalesStore>(context.database(), context.clock());
  models_ = std::make_unique<ModelStore>(context.database());
  served_ = std::make_unique<ServedModels>(*models_, context.clock(), options_.model_refresh);
  pubsub::PubSub* pubsub = pubsub_;
  ServedModels* served = served_.get();
  trainer_ = std::make_unique<Trainer>(*sales_, *models_, context.clock(), options_,
                                       [pubsub, served](const std::string& sku) {
                                         served->Forget(sku);  // this process at once, even without pub/sub
                                         pubsub->Publish(std::string(kModelsChannel), sku);
                                       });
  if (auto added = AddTrainingJobs(context.job_kinds(), *products_, *trainer_, options_.train_schedule);
      !added)
    return added;

  // Forecasts in-process, and behind it Redis when scaled out, so one instance's forecast is every one's hit.
  kv::MemoryKvOptions cache_options;
  cache_options.max_bytes = options_.forecast_cache_bytes;
  auto near = std::make_unique<kv::MemoryKv>(cache_options, context.clock());
  kv::MemoryKv& near_level = *near;
  std::unique_ptr<kv::KvStore> cache = std::move(near);
  if (kv::IsRedisUrl(context.config().String("kv.url")))
    cache = std::make_unique<kv::TieredKv>(std::move(cache), context.kv(), options_.forecast_cache_ttl);

  catalog_ = std::make_unique<CatalogRoutes>(*products_, *sales_, *served_, context.jobs(), options_);
  forecaster_ = std::make_unique<Forecaster>(*products_, *sales_, *served_, std::move(cache), near_level,
                                             context.metrics(), options_);
  Forecaster* forecaster = forecaster_.get();
  context.caches().Add("forecasts", [forecaster] { return forecaster->Stats(); });
  forecasts_ = std::make_unique<ForecastRoutes>(*products_, *models_, *served_, *forecaster_, context.jobs(),
                                                options_);
  catalog_->AddTo(context.router());
  forecasts_->AddTo(context.router());

  chat_tools_ = std::make_unique<ChatTools>(context.database(), *forecaster_, options_);
  chat_history_ = std::make_unique<ChatHistory>(context.kv(), options_.chat);
  std::unique_ptr<RemoteChat> remote;
  if (!options_.chat.base_url.empty())
    remote = std::make_unique<RemoteChat>(options_.chat, *chat_tools_, context.pool(), context.metrics());
  chat_ = std::make_unique<ChatService>(*chat_tools_, *chat_history_, std::move(remote), context.clock(),
                                        options_.chat);
  chat_routes_ = std::make_unique<ChatRoutes>(*chat_);
  chat_routes_->AddTo(context.router());
  ChatService* chat = chat_.get();
  context.readiness().AddDegradable("chat_service",
                                    [chat]() -> Task<Result<void>> { co_return chat->Health(); });
  return Ok();
}

void SipremsModule::Start() { served_->Subscribe(*pubsub_); }

void SipremsModule::Stop() { served_->Unsubscribe(); }

}  // namespace keel::siprems
