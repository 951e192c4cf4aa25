// The module list: every system this binary runs, in registration order, and the configuration schema they
// make together with the platform.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "module/module.hpp"
#include "storage/sql/migrations.hpp"

namespace keel {

// A fresh instance of every module, in the order they register and start (and stop in reverse).
std::vector<std::unique_ptr<Module>> Modules();

// The platform's keys, then each module's section, in module order: what keel.toml, KEEL_* and flags may set.
ConfigSchema FullConfigSchema();

// The platform's migrations, the blob references', then each module's, in module order: the schema
// `keel migrate` brings a `backend` ("sqlite" or "postgres") database to.
std::vector<sql::Migration> AllMigrations(std::string_view backend);

}  // namespace keel
