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

  struct Report {
    bool ready = true;
    bool draining = false;
    std::vector<std::pair<std::string, std::string>> checks;  // name -> "ok" or the failure
  };

  void Add(std::string name, Check check) { checks_.emplace_back(std::move(name), std::move(check)); }
  void SetDraining() { draining_.store(true); }
  bool Draining() const { return draining_.load(); }

  // Runs every check (all of them, so the report names each failing one).
  Task<Report> Evaluate() const;

 private:
  std::vector<std::pair<std::string, Check>> checks_;
  std::atomic<bool> draining_{false};
};

}  // namespace keel
