// Parsing kv.url's Redis forms.
#include "storage/kv/redis/redis_url.hpp"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

namespace keel::kv {

namespace {

constexpr std::string_view kSingle = "redis://";
constexpr std::string_view kCluster = "redis-cluster://";
constexpr std::string_view kSentinel = "redis-sentinel://";

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, "kv.url: " + message}; }

// Splits "[:password@]rest" into the password and the rest.
std::string TakePassword(std::string& rest) {
  auto at = rest.rfind('@');
  if (at == std::string::npos) return "";
  std::string credentials = rest.substr(0, at);
  rest = rest.substr(at + 1);
  auto colon = credentials.find(':');
  return colon == std::string::npos ? credentials : credentials.substr(colon + 1);
}

Result<int> Number(std::string_view text, std::string_view what, int low, int high) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return Invalid(fmt::format("bad {} '{}'", what, text));
  return value;
}

// "host[:port]" into the endpoint's host and port.
Result<void> ReadHostPort(std::string_view text, RedisEndpoint& endpoint, bool port_required) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    if (port_required) return Invalid(fmt::format("'{}' needs a port", text));
  } else {
    auto port = Number(text.substr(colon + 1), "port", 1, 65535);
    if (!port) return std::move(port).error();
    endpoint.port = *port;
    text = text.substr(0, colon);
  }
  if (text.empty()) {
    if (port_required) return Invalid("a node has no host");
  } else {
    endpoint.host = std::string(text);
  }
  return Ok();
}

// "host:port,host:port,..." with the password (and database) every node shares.
Result<std::vector<RedisEndpoint>> ReadNodes(std::string_view list, const RedisEndpoint& shared) {
  std::vector<RedisEndpoint> nodes;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view one = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    RedisEndpoint node = shared;
    if (auto read = ReadHostPort(one, node, true); !read) return std::move(read).error();
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) return Invalid("no nodes listed");
  return nodes;
}

}  // namespace

bool IsRedisUrl(const std::string& url) {
  return url.starts_with(kSingle) || url.starts_with(kCluster) || url.starts_with(kSentinel);
}

Result<RedisEndpoint> ParseRedisUrl(const std::string& url) {
  if (!url.starts_with(kSingle)) return Invalid("expected redis://");
  std::string rest = url.substr(kSingle.size());
  RedisEndpoint endpoint;
  endpoint.password = TakePassword(rest);
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto number = Number(db, "database number", 0, 1 << 20);
      if (!number) return std::move(number).error();
      endpoint.database = *number;
    }
  }
  if (auto read = ReadHostPort(rest, endpoint, false); !read) return std::move(read).error();
  return endpoint;
}

Result<RedisTarget> ParseRedisTarget(const std::string& url) {
  RedisTarget target;
  if (url.starts_with(kSingle)) {
    auto endpoint = ParseRedisUrl(url);
    if (!endpoint) return std::move(endpoint).error();
    target.nodes.push_back(std::move(endpoint).value());
    return target;
  }
  RedisEndpoint shared;
  if (url.starts_with(kCluster)) {
    target.mode = RedisMode::kCluster;
    std::string rest = url.substr(kCluster.size());
    shared.password = TakePassword(rest);
    if (rest.ends_with('/')) rest.pop_back();
    if (rest.find('/') != std::string::npos)
      return Invalid("a Redis Cluster has only database 0: drop the path from redis-cluster://");
    auto nodes = ReadNodes(rest, shared);
    if (!nodes) return std::move(nodes).error();
    target.nodes = std::move(nodes).value();
    return target;
  }
  if (url.starts_with(kSentinel)) {
    target.mode = RedisMode::kSentinel;
    std::string rest = url.substr(kSentinel.size());
    shared.password = TakePassword(rest);
    auto slash = rest.find('/');
    if (slash == std::string::npos || slash + 1 == rest.size())
      return Invalid("redis-sentinel:// needs the master's name: redis-sentinel://HOST:PORT,.../NAME");
    std::string path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (path.ends_with('/')) path.pop_back();  // redis-sentinel://.../NAME/ as redis://HOST/
    if (auto db = path.find('/'); db != std::string::npos) {
      auto number = Number(path.substr(db + 1), "database number", 0, 1 << 20);
      if (!number) return std::move(number).error();
      shared.database = *number;
      path = path.substr(0, db);
    }
    target.master_name = path;
    auto nodes = ReadNodes(rest, shared);
    if (!nodes) return std::move(nodes).error();
    target.nodes = std::move(nodes).value();
    return target;
  }
  return Invalid("expected redis://, redis-cluster:// or redis-sentinel://");
}

}  // namespace keel::kv
