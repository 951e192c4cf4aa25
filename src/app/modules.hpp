// The module list: every system this binary runs, in registration order, and the configuration schema they
// make together with the platform.
#pragma once

#include <memory>
#include <vector>

#include "core/config.hpp"
#include "module/module.hpp"

namespace keel {

// A fresh instance of every module, in the order they register and start (and stop in reverse).
std::vector<std::unique_ptr<Module>> Modules();

// The platform's keys, then each module's section, in module order: what keel.toml, KEEL_* and flags may set.
ConfigSchema FullConfigSchema();

}  // namespace keel
