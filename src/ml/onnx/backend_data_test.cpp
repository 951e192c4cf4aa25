// Every ai.onnx operator Keel implements passes the matching node tests of the ONNX backend test data
// (Debian's libonnx-testdata): each test's model compiled, run on its inputs, and its outputs compared as the
// ONNX backend runner does (numpy's assert_allclose, rtol 1e-3, atol 1e-7). The tests skipped say why.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "ml/onnx/graph.hpp"
#include "ml/onnx/program.hpp"

namespace keel::ml::onnx {
namespace {

namespace fs = std::filesystem;

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

// The node tests of the operators Keel implements: test_<operator> and test_<operator>_<case>.
bool IsOurs(const std::string& name) {
  static const char* const kOperators[] = {"add",     "sub",    "mul",      "div",    "relu",
                                           "sigmoid", "tanh",   "softmax",  "cast",   "reshape",
                                           "flatten", "concat", "identity", "matmul", "gemm"};
  for (const char* op : kOperators) {
    std::string prefix = std::string("test_") + op;
    if (name == prefix || name.rfind(prefix + "_", 0) == 0) return true;
  }
  return false;
}

// Tests of those operators that need what Keel leaves out, and why.
const char* SkipReason(const std::string& name) {
  if (name.find("FLOAT16") != std::string::npos)
    return "FLOAT16 and BFLOAT16 are not types Keel computes with";
  if (name.find("STRING") != std::string::npos) return "casts to and from STRING are not supported";
  if (name == "test_identity_opt" || name == "test_identity_sequence")
    return "optional and sequence values are not supported";
  if (name.size() > 9 && name.compare(name.size() - 9, 9, "_expanded") == 0)
    return "the expanded form uses operators outside Keel's set (ReduceMax, Exp, ReduceSum)";
  return nullptr;
}

// What differs between the expected and the produced tensor, or "" when they match.
std::string Compare(const Tensor& expected, const Tensor& got) {
  if (expected.type != got.type)
    return fmt::format("type {} where {} was expected", ElementTypeName(got.type),
                       ElementTypeName(expected.type));
  if (expected.shape != got.shape)
    return fmt::format("shape {} where {} was expected", got.Describe(), expected.Describe());
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    double want = expected.values[i], have = got.values[i];
    if (std::isnan(want) && std::isnan(have)) continue;
    if (!(std::abs(have - want) <= 1e-7 + 1e-3 * std::abs(want)))
      return fmt::format("element {} is {} where {} was expected", i, have, want);
  }
  return "";
}

TEST(OnnxBackendData, EveryImplementedOperatorPassesItsNodeTests) {
  ASSERT_TRUE(fs::is_directory(kNodeTests)) << kNodeTests << " is missing: scripts/install-deps.sh installs "
                                            << "libonnx-testdata";
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kNodeTests)) {
    std::string name = entry.path().filename().string();
    if (IsOurs(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> passed, skipped;
  for (const auto& name : names) {
    if (const char* reason = SkipReason(name)) {
      skipped.push_back(fmt::format("{} ({})", name, reason));
      continue;
    }
    SCOPED_TRACE(name);
    auto graph = ReadGraph(kNodeTests / name / "model.onnx");
    ASSERT_TRUE(graph.ok()) << graph.error().message;
    auto program = Program::Compile(std::move(graph).value());
    ASSERT_TRUE(program.ok()) << program.error().message;
    int sets = 0;
    for (const auto& set : fs::directory_iterator(kNodeTests / name)) {
      if (!set.is_directory()) continue;
      ++sets;
      std::vector<Tensor> inputs;
      for (std::size_t i = 0; i < program->inputs().size(); ++i) {
        auto input = ReadTensorFile(set.path() / fmt::format("input_{}.pb", i));
        ASSERT_TRUE(input.ok()) << input.error().message;
        inputs.push_back(std::move(input).value());
      }
      auto outputs = program->Run(std::move(inputs));
      ASSERT_TRUE(outputs.ok()) << outputs.error().message;
      ASSERT_EQ(outputs->size(), program->outputs().size());
      for (std::size_t i = 0; i < outputs->size(); ++i) {
        auto expected = ReadTensorFile(set.path() / fmt::format("output_{}.pb", i));
        ASSERT_TRUE(expected.ok()) << expected.error().message;
        EXPECT_EQ(Compare(*expected, (*outputs)[i]), "") << "output " << i;
      }
    }
    EXPECT_GT(sets, 0);
    passed.push_back(name);
  }
  std::cout << fmt::format("ran {} node tests: {}\nskipped {}:\n  {}\n", passed.size(),
                           fmt::join(passed, " "), skipped.size(), fmt::join(skipped, "\n  "));
  // Add, Sub, Mul, Div, Relu, Sigmoid, Tanh, Softmax, Cast, Reshape, Flatten, Concat, Identity, MatMul, Gemm.
  EXPECT_EQ(passed.size(), 75u);
}

}  // namespace
}  // namespace keel::ml::onnx
