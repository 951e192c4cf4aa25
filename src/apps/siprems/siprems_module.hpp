// SIPREMS (seed 004): a catalogue of products and their sales, per-product demand forecasts from models
// trained in the background (seasonal naive, Holt-Winters; chosen per product by backtest, served only when
// no worse than the version serving), and the forecast and backtest routes.
#pragma once

#include <memory>

#include "apps/siprems/siprems_config.hpp"
#include "module/module.hpp"

namespace keel::siprems {

// The module's migrations for `backend`, from the migrations/ folder beside this file (generated).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

class CatalogRoutes;
class ChatHistory;
class ChatRoutes;
class ChatService;
class ChatTools;
class ForecastRoutes;
class Forecaster;
class ModelStore;
class ProductStore;
class SalesStore;
class ServedModels;
class Trainer;

class SipremsModule final : public Module {
 public:
  SipremsModule();
  ~SipremsModule() override;
  std::string_view Name() const override { return "siprems"; }
  ConfigSchema ConfigKeys() const override;
  std::string_view OpenApi() const override;
  std::vector<sql::Migration> Migrations(std::string_view backend) const override;
  Result<void> Register(ModuleContext& context) override;
  void Start() override;
  void Stop() override;

  // For operator commands (`keel siprems seed|train`), once registered.
  ProductStore& products() { return *products_; }
  SalesStore& sales() { return *sales_; }
  Trainer& trainer() { return *trainer_; }
  jobs::JobQueue& jobs() { return *jobs_; }
  const SipremsOptions& options() const { return options_; }

 private:
  SipremsOptions options_;
  pubsub::PubSub* pubsub_ = nullptr;
  jobs::JobQueue* jobs_ = nullptr;
  std::unique_ptr<ProductStore> products_;
  std::unique_ptr<SalesStore> sales_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<ServedModels> served_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<Forecaster> forecaster_;
  std::unique_ptr<CatalogRoutes> catalog_;
  std::unique_ptr<ForecastRoutes> forecasts_;
  std::unique_ptr<ChatTools> chat_tools_;
  std::unique_ptr<ChatHistory> chat_history_;
  std::unique_ptr<ChatService> chat_;
  std::unique_ptr<ChatRoutes> chat_routes_;
};

}  // namespace keel::siprems
