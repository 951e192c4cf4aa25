// The one list of modules. Adding a system is one line here plus the system's own folder.
#include "app/modules.hpp"

#include "apps/image2model/image2model_module.hpp"
#include "apps/property/property_module.hpp"
#include "apps/siprems/siprems_module.hpp"
#include "apps/tasks/tasks_module.hpp"
#include "apps/validation/validation_module.hpp"
#include "auth/identity_module.hpp"
#include "auth/mail/mail_module.hpp"
#include "console/console_module.hpp"
#include "jobs/debug_module.hpp"
#include "jobs/jobs_module.hpp"
#include "ml/models_module.hpp"
#include "storage/blobs/blob_refs.hpp"

namespace keel {

std::vector<std::unique_ptr<Module>> Modules() {
  std::vector<std::unique_ptr<Module>> modules;
  // The platform's own modules first: the job queue's and the ML platform's routes, configuration and jobs.
  modules.push_back(std::make_unique<jobs::JobsModule>());
  modules.push_back(std::make_unique<ml::ModelsModule>());
  modules.push_back(std::make_unique<mail::MailModule>());
  modules.push_back(std::make_unique<auth::IdentityModule>());
  modules.push_back(std::make_unique<jobs::DebugModule>());
  // The systems.
  modules.push_back(std::make_unique<tasks::TasksModule>());
  modules.push_back(std::make_unique<property::PropertyModule>());
  modules.push_back(std::make_unique<validation::ValidationModule>());
  modules.push_back(std::make_unique<image2model::Image2ModelModule>());
  modules.push_back(std::make_unique<siprems::SipremsModule>());
  // The web console, which shows them.
  modules.push_back(std::make_unique<console::ConsoleModule>());
  return modules;
}

ConfigSchema FullConfigSchema() {
  ConfigSchema schema = PlatformConfigKeys();
  for (const auto& module : Modules()) {
    ConfigSchema section = module->ConfigKeys();
    schema.insert(schema.end(), std::make_move_iterator(section.begin()),
                  std::make_move_iterator(section.end()));
  }
  return schema;
}

std::vector<sql::Migration> AllMigrations(std::string_view backend) {
  std::vector<sql::Migration> all = sql::PlatformMigrations(backend);
  const auto& blob_refs = blobs::Migrations(backend);
  all.insert(all.end(), blob_refs.begin(), blob_refs.end());
  for (const auto& module : Modules()) {
    auto own = module->Migrations(backend);
    all.insert(all.end(), own.begin(), own.end());
  }
  return all;
}

}  // namespace keel
