// A model's traffic plan (A/B tests between versions): which versions answer and with what weights, whether a
// subject (a request header's value) always lands on the same version, and the shadow versions that get a
// copy of every request whose answers are logged and never returned. A value type: parsing, checking,
// JSON, and the choice of a version for one request.
//
// Thread safety: a const TrafficPlan is safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/problem.hpp"

namespace keel::ml {

struct TrafficPlan {
  struct Share {
    std::string version;
    int weight = 0;  // relative to the others' (90 and 10 are percentages when they add up to 100)
  };
  // Most versions one plan names (served and shadow together).
  static constexpr std::size_t kMaxVersions = 16;
  static constexpr int kMaxWeight = 1'000'000;

  std::vector<Share> shares;        // in version-name order, weights >= 0 adding up to more than 0
  std::string sticky_header;        // empty: each request is drawn at random
  std::vector<std::string> shadow;  // versions that answer a copy, none of them in `shares`

  // The body of POST /api/v1/admin/models/{name}/traffic: {"versions": {"v1": 90, "v2": 10},
  // "sticky": "header:X-User-Id" | "none", "shadow": ["v3"]}. One FieldError per problem; whether the
  // versions exist is the caller's to check.
  static std::variant<TrafficPlan, std::vector<http::FieldError>> Parse(const nlohmann::json& body);

  // The same shape Parse reads ("sticky" is "none" or "header:<name>").
  nlohmann::json ToJson() const;

  int TotalWeight() const;

  // The index in `shares` of the version that answers, each with probability weight / TotalWeight(). With a
  // subject (the sticky header's value) the choice is a function of the model, the versions with their
  // weights and the subject (weighted rendezvous hashing), so every instance sends one subject to one
  // version; raising a version's weight or adding a version moves subjects only to that version. Without a
  // subject, `draw` (uniform over 64 bits) decides. REQUIRES: TotalWeight() > 0.
  std::size_t Pick(std::string_view model, std::optional<std::string_view> subject, std::uint64_t draw) const;
};

}  // namespace keel::ml
