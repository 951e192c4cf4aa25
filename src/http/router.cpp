// A segment trie: static children first, then one parameter child, with backtracking between them.
#include "http/router.hpp"

#include <stdexcept>

namespace keel::http {

struct Router::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> statics;
  std::unique_ptr<Node> param;
  std::string param_name;
  std::vector<std::unique_ptr<Route>> routes;

  const Route* RouteFor(std::string_view method) const {
    for (const auto& r : routes)
      if (r->method == method) return r.get();
    return nullptr;
  }
};

namespace {

// Splits off the first segment of a path that starts with '/'.
std::pair<std::string_view, std::string_view> NextSegment(std::string_view path) {
  path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return {path, {}};
  return {path.substr(0, slash), path.substr(slash)};
}

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern[0] != '/')
    throw std::logic_error("route pattern must start with '/': " + pattern);
  Node* node = root_.get();
  std::string_view rest = pattern;
  while (!rest.empty() && rest != "/") {
    auto [segment, tail] = NextSegment(rest);
    rest = tail;
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      std::string name(segment.substr(1, segment.size() - 2));
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = name;
      } else if (node->param_name != name) {
        throw std::logic_error("route " + pattern + " renames parameter {" + node->param_name + "}");
      }
      node = node->param.get();
      continue;
    }
    if (segment.find_first_of("{}") != std::string_view::npos)
      throw std::logic_error("route parameters must be whole segments: " + pattern);
    Node* next = nullptr;
    for (auto& [text, child] : node->statics)
      if (text == segment) next = child.get();
    if (next == nullptr) {
      node->statics.emplace_back(std::string(segment), std::make_unique<Node>());
      next = node->statics.back().second.get();
    }
    node = next;
  }
  if (node->RouteFor(method) != nullptr) throw std::logic_error("duplicate route " + method + " " + pattern);
  node->routes.push_back(
      std::make_unique<Route>(Route{std::move(method), std::move(pattern), std::move(handler), options}));
  routes_.push_back(node->routes.back().get());
}

const Router::Node* Router::Find(const Node& node, std::string_view path,
                                 std::vector<std::pair<std::string_view, std::string>>& params) const {
  if (path.empty()) return &node;
  auto [segment, rest] = NextSegment(path);
  for (const auto& [text, child] : node.statics) {
    if (text == segment) {
      if (const Node* found = Find(*child, rest, params)) return found;
    }
  }
  if (node.param && !segment.empty()) {
    params.emplace_back(node.param_name, PercentDecode(segment));
    if (const Node* found = Find(*node.param, rest, params)) return found;
    params.pop_back();
  }
  return nullptr;
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch match;
  if (path.empty() || path[0] != '/') return match;
  const Node* node = path == "/" ? root_.get() : Find(*root_, path, match.params);
  if (node == nullptr || node->routes.empty()) {
    match.params.clear();
    return match;
  }
  const Route* route = node->RouteFor(method);
  if (route == nullptr && method == "HEAD") route = node->RouteFor("GET");
  if (route != nullptr) {
    match.kind = RouteMatch::Kind::kFound;
    match.route = route;
    match.pattern = route->pattern;
    return match;
  }
  match.kind = RouteMatch::Kind::kMethodNotAllowed;
  match.pattern = node->routes.front()->pattern;
  match.params.clear();
  for (const auto& r : node->routes) {
    if (r->method == "OPTIONS") continue;  // listed last, once
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += r->method;
    if (r->method == "GET" && node->RouteFor("HEAD") == nullptr) match.allow += ", HEAD";
  }
  match.allow += ", OPTIONS";
  return match;
}

std::vector<const Route*> Router::Routes() const { return routes_; }

}  // namespace keel::http
