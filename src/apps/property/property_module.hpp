// PropertyAI (seed 000) on Keel: house price predictions from the served `property` model through the ML
// platform (cached, batched, logged), the model's features and ranges, and stats over the prediction log.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::property {

class PropertyService;

class PropertyModule final : public Module {
 public:
  PropertyModule();
  ~PropertyModule() override;
  std::string_view Name() const override { return "property"; }
  std::string_view OpenApi() const override;
  // Adds /api/v1/property/* when ml.models serves the `property` model.
  Result<void> Register(ModuleContext& context) override;

 private:
  std::unique_ptr<PropertyService> service_;
};

}  // namespace keel::property
