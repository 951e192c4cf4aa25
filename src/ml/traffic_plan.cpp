// TrafficPlan: reading a plan from its JSON body, writing it back, and picking a version for a request.
#include "ml/traffic_plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace keel::ml {
namespace {

constexpr std::string_view kHeaderPrefix = "header:";

// A registry version is a directory name: no separators, no dot files.
bool IsVersionName(std::string_view version) {
  if (version.empty() || version.size() > 64 || version[0] == '.') return false;
  return std::all_of(version.begin(), version.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// RFC 9110's token: what a header field name may be.
bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// FNV-1a over the parts (each followed by a 0 byte, so "ab"+"c" and "a"+"bc" differ), then MurmurHash3's
// finaliser: FNV alone leaves short, similar subjects such as user ids poorly mixed.
std::uint64_t Hash(std::string_view model, std::string_view version, std::string_view subject) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (std::string_view part : {model, version, subject}) {
    for (unsigned char c : part) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    hash *= 1099511628211ULL;  // the 0 byte
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

void ReadShares(const nlohmann::json* versions, TrafficPlan& plan, std::vector<http::FieldError>& errors) {
  if (versions == nullptr) {
    errors.emplace_back("versions",
                        "is required: an object of version -> weight, such as {\"v1\": 90, \"v2\": 10}");
    return;
  }
  if (!versions->is_object() || versions->empty()) {
    errors.emplace_back("versions", "must be a non-empty object of version -> weight");
    return;
  }
  for (const auto& [version, weight] : versions->items()) {
    std::string pointer = "/versions/" + version;
    if (!IsVersionName(version)) {
      errors.emplace_back("versions", fmt::format("\"{}\" is not a version name", version), pointer);
      continue;
    }
    if (!weight.is_number_integer() || weight.get<std::int64_t>() < 0 ||
        weight.get<std::int64_t>() > TrafficPlan::kMaxWeight) {
      errors.emplace_back(
          "versions",
          fmt::format("the weight of {} must be an integer from 0 to {}", version, TrafficPlan::kMaxWeight),
          pointer);
      continue;
    }
    plan.shares.push_back({version, weight.get<int>()});
  }
  if (errors.empty() && plan.TotalWeight() == 0)
    errors.emplace_back("versions", "at least one version needs a weight above 0");
}

void ReadSticky(const nlohmann::json* sticky, TrafficPlan& plan, std::vector<http::FieldError>& errors) {
  if (sticky == nullptr) return;
  const char* expected = "must be \"none\" or \"header:<name>\", such as \"header:X-User-Id\"";
  if (!sticky->is_string()) {
    errors.emplace_back("sticky", expected);
    return;
  }
  const auto& text = sticky->get_ref<const std::string&>();
  if (text == "none") return;
  std::string_view view(text);
  if (!view.starts_with(kHeaderPrefix) || !IsHeaderName(view.substr(kHeaderPrefix.size()))) {
    errors.emplace_back("sticky", expected);
    return;
  }
  plan.sticky_header = std::string(view.substr(kHeaderPrefix.size()));
}

void ReadShadow(const nlohmann::json* shadow, TrafficPlan& plan, std::vector<http::FieldError>& errors) {
  if (shadow == nullptr) return;
  if (!shadow->is_array()) {
    errors.emplace_back("shadow", "must be an array of versions");
    return;
  }
  for (std::size_t i = 0; i < shadow->size(); ++i) {
    const auto& version = (*shadow)[i];
    std::string pointer = fmt::format("/shadow/{}", i);
    if (!version.is_string() || !IsVersionName(version.get_ref<const std::string&>())) {
      errors.emplace_back("shadow", "each entry must be a version name", pointer);
      continue;
    }
    const auto& name = version.get_ref<const std::string&>();
    bool served = std::any_of(plan.shares.begin(), plan.shares.end(),
                              [&name](const TrafficPlan::Share& share) { return share.version == name; });
    if (served) {
      errors.emplace_back("shadow",
                          fmt::format("{} is in versions: a version is served or shadowed, not both", name),
                          pointer);
    } else if (std::find(plan.shadow.begin(), plan.shadow.end(), name) != plan.shadow.end()) {
      errors.emplace_back("shadow", fmt::format("{} is named twice", name), pointer);
    } else {
      plan.shadow.push_back(name);
    }
  }
}

}  // namespace

std::variant<TrafficPlan, std::vector<http::FieldError>> TrafficPlan::Parse(const nlohmann::json& body) {
  std::vector<http::FieldError> errors;
  if (!body.is_object()) {
    errors.emplace_back("body", "must be a JSON object");
    return errors;
  }
  for (const auto& [key, value] : body.items())
    if (key != "versions" && key != "sticky" && key != "shadow")
      errors.emplace_back(key, "is not a member of a traffic plan (versions, sticky, shadow)");
  auto member = [&body](const char* name) -> const nlohmann::json* {
    auto found = body.find(name);
    return found == body.end() ? nullptr : &*found;
  };
  TrafficPlan plan;
  ReadShares(member("versions"), plan, errors);
  ReadSticky(member("sticky"), plan, errors);
  ReadShadow(member("shadow"), plan, errors);
  if (errors.empty() && plan.shares.size() + plan.shadow.size() > kMaxVersions)
    errors.emplace_back("versions",
                        fmt::format("a plan names at most {} versions, shadows included", kMaxVersions));
  if (!errors.empty()) return errors;
  return plan;
}

nlohmann::json TrafficPlan::ToJson() const {
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& share : shares) versions[share.version] = share.weight;
  return {
      {"versions", std::move(versions)},
      {"sticky", sticky_header.empty() ? std::string("none") : std::string(kHeaderPrefix) + sticky_header},
      {"shadow", shadow}};
}

int TrafficPlan::TotalWeight() const {
  int total = 0;
  for (const auto& share : shares) total += share.weight;
  return total;
}

std::size_t TrafficPlan::Pick(std::string_view model, std::optional<std::string_view> subject,
                              std::uint64_t draw) const {
  if (!subject) {
    std::uint64_t bucket = draw % static_cast<std::uint64_t>(TotalWeight());
    for (std::size_t i = 0; i < shares.size(); ++i) {
      auto weight = static_cast<std::uint64_t>(shares[i].weight);
      if (bucket < weight) return i;
      bucket -= weight;
    }
    return shares.size() - 1;  // unreachable: the buckets cover the total
  }
  // Weighted rendezvous hashing: each version scores weight / -ln(u), u uniform in (0, 1) from a hash of the
  // model, the version and the subject; the highest wins, which happens with probability weight / total. A
  // version's score does not depend on the others, so raising one weight (or adding a version) only moves
  // subjects to that version, whatever happens to the total or to the versions' order.
  std::size_t chosen = 0;
  double best = -1;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].weight == 0) continue;
    double u = (static_cast<double>(Hash(model, shares[i].version, *subject) >> 11) + 0.5) * 0x1p-53;
    double score = shares[i].weight / -std::log(u);
    if (score > best) {
      best = score;
      chosen = i;
    }
  }
  return chosen;
}

}  // namespace keel::ml
