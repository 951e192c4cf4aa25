// The routes of apps, their ingest keys and their rules versions (/api/v1/apps, …/ingest-keys, …/rules).
// Input is checked here, SQL is AppStore's; each change is announced to every instance's ingest caches
// (IngestTargets).
//
// Thread safety: handlers run on any IO thread.
#pragma once

#include "apps/validation/app_store.hpp"
#include "apps/validation/ingest_targets.hpp"
#include "http/router.hpp"

namespace keel::validation {

class AppRoutes {
 public:
  AppRoutes(AppStore& store, IngestTargets& targets) : store_(store), targets_(targets) {}

  // Adds the routes; they call into this object, which outlives the router's use of them.
  void AddTo(http::Router& router);

 private:
  Task<http::Response> Create(http::Request& request);
  Task<http::Response> List(http::Request& request);
  Task<http::Response> Get(http::Request& request);
  Task<http::Response> Patch(http::Request& request);
  Task<http::Response> Delete(http::Request& request);
  Task<http::Response> RotateKey(http::Request& request);
  Task<http::Response> PutRules(http::Request& request);
  Task<http::Response> GetRules(http::Request& request);
  Task<http::Response> ListRules(http::Request& request);
  Task<http::Response> GetRulesVersion(http::Request& request);

  AppStore& store_;
  IngestTargets& targets_;
};

}  // namespace keel::validation
