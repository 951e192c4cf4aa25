// LoadState and SaveState: cluster.json, written atomically (rename).
#include "cluster/cluster_state.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keel::cluster {

namespace {

std::filesystem::path StatePath(const std::filesystem::path& dir) { return dir / "cluster.json"; }

}  // namespace

Result<ClusterState> LoadState(const std::filesystem::path& dir) {
  ClusterState state;
  std::ifstream in(StatePath(dir));
  if (!in) return state;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return Error{ErrorCode::kInvalidArgument, fmt::format("{} is not valid JSON", StatePath(dir).string())};
  try {
    const auto ports = json.value("ports", nlohmann::json::object());
    for (const auto& [name, port] : ports.items()) state.ports[name] = port.get<int>();
    const auto processes = json.value("processes", nlohmann::json::array());
    for (const auto& p : processes)
      state.processes.push_back(ClusterProcess{p.at("name").get<std::string>(),
                                               p.at("kind").get<std::string>(), p.at("pid").get<pid_t>(),
                                               p.value("port", 0)});
  } catch (const nlohmann::json::exception& e) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", StatePath(dir).string(), e.what())};
  }
  return state;
}

Result<void> SaveState(const std::filesystem::path& dir, const ClusterState& state) {
  nlohmann::ordered_json json;
  json["ports"] = nlohmann::ordered_json::object();
  for (const auto& [name, port] : state.ports) json["ports"][name] = port;
  json["processes"] = nlohmann::ordered_json::array();
  for (const auto& p : state.processes)
    json["processes"].push_back({{"name", p.name}, {"kind", p.kind}, {"pid", p.pid}, {"port", p.port}});
  auto temporary = StatePath(dir).string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json.dump(2) << "\n";
    if (!out) return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", temporary)};
  }
  std::error_code ec;
  std::filesystem::rename(temporary, StatePath(dir), ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot write {}: {}", StatePath(dir).string(), ec.message())};
  return Ok();
}

}  // namespace keel::cluster
