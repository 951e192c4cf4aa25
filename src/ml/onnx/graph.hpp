// An ONNX model read into Keel's own form: its opsets, inputs, outputs, constant tensors and nodes with their
// attributes. Reading parses the protobuf with libonnx, runs the ONNX checker and shape inference, and copies
// out what the evaluator needs, so no other file includes ONNX's or protobuf's headers.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "ml/onnx/tensor.hpp"

namespace keel::ml::onnx {

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kOther };
  Kind kind = Kind::kOther;
  double f = 0;
  std::int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<double> floats;
  std::vector<std::int64_t> ints;
  std::vector<std::string> strings;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;               // "" is ai.onnx
  std::vector<std::string> inputs;  // "" marks an optional input left out
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  const Attribute* Find(std::string_view attribute) const;
  // The attribute's value, or `fallback` when the node does not set it.
  std::int64_t Int(std::string_view attribute, std::int64_t fallback) const;
  double Float(std::string_view attribute, double fallback) const;
  std::string String(std::string_view attribute, std::string fallback) const;
  std::vector<std::int64_t> Ints(std::string_view attribute) const;
  // A list of numbers given as floats, or as a tensor under `attribute`_as_tensor (ai.onnx.ml opset 3).
  std::vector<double> Floats(std::string_view attribute) const;
  std::vector<std::string> Strings(std::string_view attribute) const;
  // "TreeEnsembleRegressor (ai.onnx.ml)", for error messages.
  std::string Describe() const;
};

struct ValueInfo {
  std::string name;
  ElementType type = ElementType::kUndefined;  // kUndefined: not a tensor (a map or a sequence)
  std::vector<std::int64_t> dims;              // -1 where the dimension is symbolic or unknown
  bool has_shape = false;
};

struct Graph {
  std::map<std::string, std::int64_t> opsets;  // by domain ("" and "ai.onnx" are the same)
  std::vector<ValueInfo> inputs;               // those fed at run time, not the initializers
  std::vector<ValueInfo> outputs;
  std::map<std::string, Tensor> initializers;
  std::vector<Node> nodes;  // in the model's order, which ONNX requires to be topological

  // The opset the model imports for `domain`, or 0.
  std::int64_t Opset(std::string_view domain) const;
};

// Reads, checks and shape-infers a model. kInvalidArgument saying what is wrong: not a model, the checker's
// complaint, a graph with subgraphs, functions or external data.
Result<Graph> ReadGraph(const std::filesystem::path& path);
Result<Graph> ParseGraph(std::string_view bytes, std::string_view origin);
// A serialized TensorProto (the ONNX backend test data's input_N.pb and output_N.pb).
Result<Tensor> ReadTensorFile(const std::filesystem::path& path);

}  // namespace keel::ml::onnx
