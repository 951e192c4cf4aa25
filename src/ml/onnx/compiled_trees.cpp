// CompiledTrees: reading a tree ensemble's parallel node lists and laying each tree out depth first.
#include "ml/onnx/compiled_trees.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

namespace {

std::optional<CompiledTrees::Mode> ParseMode(std::string_view mode) {
  using Mode = CompiledTrees::Mode;
  if (mode == "BRANCH_LEQ") return Mode::kLeq;
  if (mode == "BRANCH_LT") return Mode::kLt;
  if (mode == "BRANCH_GTE") return Mode::kGte;
  if (mode == "BRANCH_GT") return Mode::kGt;
  if (mode == "BRANCH_EQ") return Mode::kEq;
  if (mode == "BRANCH_NEQ") return Mode::kNeq;
  if (mode == "LEAF") return Mode::kLeaf;
  return std::nullopt;
}

using NodeKey = std::pair<std::int64_t, std::int64_t>;  // (tree id, node id)

}  // namespace

Result<CompiledTrees> CompiledTrees::Compile(const Node& node, std::string_view prefix) {
  auto tree_ids = node.Ints("nodes_treeids");
  auto node_ids = node.Ints("nodes_nodeids");
  auto features = node.Ints("nodes_featureids");
  auto modes = node.Strings("nodes_modes");
  auto values = node.Floats("nodes_values");
  auto true_ids = node.Ints("nodes_truenodeids");
  auto false_ids = node.Ints("nodes_falsenodeids");
  auto missing = node.Ints("nodes_missing_value_tracks_true");
  std::size_t n = tree_ids.size();
  if (n == 0) return NodeError(node, "no nodes");
  for (std::size_t size :
       {node_ids.size(), features.size(), modes.size(), values.size(), true_ids.size(), false_ids.size()})
    if (size != n) return NodeError(node, "the nodes_* attributes differ in length");

  std::map<NodeKey, std::size_t> index;
  std::vector<std::size_t> first_of_tree;
  std::set<std::int64_t> trees_seen;
  for (std::size_t i = 0; i < n; ++i) {
    if (!index.emplace(NodeKey{tree_ids[i], node_ids[i]}, i).second)
      return NodeError(node, fmt::format("node {} of tree {} is listed twice", node_ids[i], tree_ids[i]));
    if (i == 0 || tree_ids[i] != tree_ids[i - 1]) {
      // As in ONNX Runtime: a tree's root is its first listed node, so its nodes must be listed together.
      if (!trees_seen.insert(tree_ids[i]).second)
        return NodeError(node, fmt::format("the nodes of tree {} are not listed together", tree_ids[i]));
      first_of_tree.push_back(i);
    }
  }

  auto weight_trees = node.Ints(fmt::format("{}_treeids", prefix));
  auto weight_nodes = node.Ints(fmt::format("{}_nodeids", prefix));
  auto weight_ids = node.Ints(fmt::format("{}_ids", prefix));
  auto weight_values = node.Floats(fmt::format("{}_weights", prefix));
  std::size_t m = weight_trees.size();
  if (weight_nodes.size() != m || weight_ids.size() != m || weight_values.size() != m)
    return NodeError(node, fmt::format("the {}_* attributes differ in length", prefix));

  CompiledTrees compiled;
  std::map<std::size_t, std::vector<Weight>> leaf_weights;
  std::set<std::int32_t> ids;
  for (std::size_t w = 0; w < m; ++w) {
    auto found = index.find(NodeKey{weight_trees[w], weight_nodes[w]});
    if (found == index.end())
      return NodeError(node, fmt::format("a weight names node {} of tree {}, which does not exist",
                                         weight_nodes[w], weight_trees[w]));
    if (weight_ids[w] < 0 || weight_ids[w] > INT32_MAX)
      return NodeError(node, "a negative target or class id");
    // Old onnxmltools put weights on branch nodes too; ONNX Runtime ignores them, and so does Keel.
    if (modes[found->second] != "LEAF") continue;
    auto id = static_cast<std::int32_t>(weight_ids[w]);
    leaf_weights[found->second].push_back(Weight{id, weight_values[w]});
    ids.insert(id);
    if (weight_values[w] < 0) compiled.weights_all_positive_ = false;
  }
  compiled.ids_.assign(ids.begin(), ids.end());

  std::vector<Mode> parsed(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto mode = ParseMode(modes[i]);
    if (!mode) return NodeError(node, fmt::format("node mode {} is not an ONNX one", modes[i]));
    parsed[i] = *mode;
  }

  // Depth first from each root, the false child pushed last so it is placed right after its parent. A node
  // two branches share (LightGBM's chains of EQ splits) is placed once per path; the bound stops a cycle or a
  // blow-up.
  const std::size_t limit = 8 * n + 1024;
  bool first_branch = true;
  for (std::size_t root : first_of_tree) {
    compiled.roots_.push_back(static_cast<std::uint32_t>(compiled.nodes_.size()));
    struct Pending {
      std::size_t node;
      std::int64_t parent;  // the flat branch whose true child this is, or -1
      int depth;
    };
    std::vector<Pending> stack{{root, -1, 0}};
    int depth = 0;
    while (!stack.empty()) {
      Pending next = stack.back();
      stack.pop_back();
      if (compiled.nodes_.size() >= limit)
        return NodeError(node,
                         fmt::format("tree {} has a cycle or shares subtrees too widely", tree_ids[root]));
      std::size_t i = next.node;
      auto at = static_cast<std::uint32_t>(compiled.nodes_.size());
      if (next.parent >= 0) compiled.nodes_[static_cast<std::size_t>(next.parent)].true_child = at;
      FlatNode flat{static_cast<float>(values[i]),        0, at, at, 0, 0, parsed[i],
                    i < missing.size() && missing[i] == 1};
      if (parsed[i] == Mode::kLeaf) {
        const auto& weights = leaf_weights[i];
        if (weights.size() > UINT16_MAX) return NodeError(node, "a leaf with more than 65535 weights");
        flat.first_weight = static_cast<std::uint32_t>(compiled.weights_.size());
        flat.weight_count = static_cast<std::uint16_t>(weights.size());
        flat.missing_tracks_true = false;
        compiled.weights_.insert(compiled.weights_.end(), weights.begin(), weights.end());
        compiled.nodes_.push_back(flat);
        compiled.thresholds_.push_back(values[i]);
        depth = std::max(depth, next.depth);
        continue;
      }
      if (features[i] < 0 || features[i] > INT32_MAX)
        return NodeError(node, fmt::format("node {} splits on feature {}", node_ids[i], features[i]));
      compiled.max_feature_ = std::max(compiled.max_feature_, features[i]);
      if (first_branch)
        compiled.uniform_mode_ = parsed[i];
      else if (compiled.uniform_mode_ != parsed[i])
        compiled.uniform_mode_ = Mode::kLeaf;
      first_branch = false;
      auto true_child = index.find(NodeKey{tree_ids[i], true_ids[i]});
      auto false_child = index.find(NodeKey{tree_ids[i], false_ids[i]});
      if (true_child == index.end() || false_child == index.end() || true_child->second == i ||
          false_child->second == i)
        return NodeError(node, fmt::format("node {} of tree {} has a child that is not in its tree",
                                           node_ids[i], tree_ids[i]));
      flat.feature = static_cast<std::uint32_t>(features[i]);
      flat.false_child = at + 1;  // placed next: popped right after this node
      compiled.nodes_.push_back(flat);
      compiled.thresholds_.push_back(values[i]);
      stack.push_back(Pending{true_child->second, at, next.depth + 1});
      stack.push_back(Pending{false_child->second, -1, next.depth + 1});
    }
    compiled.depths_.push_back(depth);
  }
  return compiled;
}

}  // namespace keel::ml::onnx
