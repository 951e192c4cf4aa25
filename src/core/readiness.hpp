// Readiness: the dependency checks behind /ready, and the draining switch that turns it 503 on shutdown.
//
// Thread safety: Add before serving; Evaluate and SetDraining from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {

class Readiness {
 public:
  using Check = std::function<Task<Result<void>>()>;
  // The servers behind a dependency (name -> "role: reachable" or "role: unreachable").
  using NodeStates = std::vector<std::pair<std::string, std::string>>;
  using Describe = std::function<Task<NodeStates>()>;

  struct Report {
    bool ready = true;
    bool degraded = false;  // a dependency the service can answer without is failing
    bool draining = false;
    std::vector<std::pair<std::string, std::string>>
        checks;                                             // name -> "ok", "failed: ..." or "degraded: ..."
    std::vector<std::pair<std::string, NodeStates>> nodes;  // dependency -> its servers, where described
  };

  // A dependency the service cannot answer without: its failure makes /ready 503.
  void Add(std::string name, Check check) { checks_.push_back({std::move(name), std::move(check), false}); }
  // One it can (a shared cache): its failure is reported as a degradation and /ready stays 200, so load
  // balancers keep sending traffic.
  void AddDegradable(std::string name, Check check) {
    checks_.push_back({std::move(name), std::move(check), true});
  }
  // Lists the servers behind a dependency in the report (a Redis Cluster's nodes): shown, not judged.
  void AddNodes(std::string name, Describe describe) {
    described_.push_back({std::move(name), std::move(describe)});
  }
  void SetDraining() { draining_.store(true); }
  bool Draining() const { return draining_.load(); }

  // Runs every check (all of them, so the report names each failing one).
  Task<Report> Evaluate() const;

 private:
  struct Entry {
    std::string name;
    Check check;
    bool degradable;
  };
  std::vector<Entry> checks_;
  std::vector<std::pair<std::string, Describe>> described_;
  std::atomic<bool> draining_{false};
};

}  // namespace keel
