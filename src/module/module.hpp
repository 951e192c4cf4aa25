// The module seam: what every system on Keel is (a name, its configuration section, its routes, job kinds and
// background services) and the narrow context through which it reaches the platform.
//
// A module is built with no arguments, so the composition root (app/modules.cpp) can ask every module for its
// configuration keys before any configuration is loaded. Register then runs once, on main's thread, in the
// order of the module list; Start and Stop run only in a process that serves HTTP.
#pragma once

#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "http/pipeline.hpp"
#include "storage/sql/migrations.hpp"

namespace keel {

class BlockingPool;
class CacheCatalog;
class Clock;
class Metrics;
class Readiness;
namespace sql {
class Database;
}
namespace kv {
class KvStore;
}
namespace pubsub {
class PubSub;
}
namespace blobs {
class BlobStore;
}
namespace http {
class Router;
class RateLimiter;
}  // namespace http
namespace jobs {
class JobKinds;
class JobQueue;
}  // namespace jobs
namespace ml {
class ModelPlatform;
}

// The platform as a module sees it while it registers. What it hands out stays valid as long as the module
// can be called: from Register until the process stops serving (Stop) or the App is destroyed. The components
// are thread-safe; the context itself is used only during Register.
class ModuleContext {
 public:
  virtual ~ModuleContext() = default;

  virtual const Config& config() const = 0;
  // Monotonic and wall time; a ManualClock in tests.
  virtual const Clock& clock() const = 0;
  virtual Metrics& metrics() = 0;
  // Blocking work (password hashing, file IO) off the IO threads.
  virtual BlockingPool& pool() = 0;
  virtual sql::Database& database() = 0;
  virtual kv::KvStore& kv() = 0;
  // Messages to every instance (Redis in the scaled mode): for what is shown live, never for what must last.
  virtual pubsub::PubSub& pubsub() = 0;
  // Files by content (uploads, generated results); blocking IO, so used from pool().
  virtual blobs::BlobStore& blobs() = 0;
  virtual http::Router& router() = 0;
  // Null when ratelimit.enabled is false.
  virtual http::RateLimiter* rate_limiter() = 0;
  // Checks /ready runs; add them during Register or Start (before the server listens).
  virtual Readiness& readiness() = 0;
  virtual jobs::JobQueue& jobs() = 0;
  // The job kinds and periodic jobs of this process.
  virtual jobs::JobKinds& job_kinds() = 0;
  // Model serving: registry, hot swap, batching, caching, prediction log.
  virtual ml::ModelPlatform& models() = 0;
  // The caches /cache-stats reports; add a module's own during Register.
  virtual CacheCatalog& caches() = 0;
  // Installs the check that routes marked `authenticated` go through (the identity module's).
  virtual void SetAuthenticator(http::Authenticator authenticator) = 0;
};

class Module {
 public:
  virtual ~Module() = default;

  // A short lower-case name, used in logs and docs ("tasks", "identity").
  virtual std::string_view Name() const = 0;

  // This module's configuration section(s), in documentation order; keys are "section.key".
  virtual ConfigSchema ConfigKeys() const { return {}; }

  // This module's part of the OpenAPI document, {"paths": {...}, "components": {"schemas": {...}}}: the
  // openapi.json beside its code, compiled in. Empty: the module adds no documented routes.
  virtual std::string_view OpenApi() const { return {}; }

  // This module's migrations for `backend` ("sqlite" or "postgres"): migrations/{sqlite,postgres}/ beside its
  // code, compiled in. `keel migrate` applies every module's in version order (storage/sql/migrations.hpp).
  virtual std::vector<sql::Migration> Migrations(std::string_view backend) const {
    (void)backend;
    return {};
  }

  // Reads the module's configuration, builds its parts, and adds its routes, job kinds and readiness checks.
  // Runs in every process (`keel serve`, `keel worker`, operator commands), so it starts no threads.
  virtual Result<void> Register(ModuleContext& context) = 0;

  // Background work of a process that serves HTTP: started in module order before the server listens,
  // stopped in reverse order after the requests drained and before storage closes.
  virtual void Start() {}
  virtual void Stop() {}
};

}  // namespace keel
