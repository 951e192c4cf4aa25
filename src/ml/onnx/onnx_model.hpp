// A model in ONNX's format, served by Keel's own evaluator: the graph read and checked (ml/onnx/graph.hpp),
// compiled (program.hpp), and fed a batch of rows as one [rows, features] tensor. The prediction for a row is
// one column of one output: by default the graph's first output, column 0 (a regressor's value, a
// classifier's label); meta.json's "output" may name another output and column (a class's probability).
//
// Thread safety: Predict may be called from any number of threads at once.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ml/onnx/program.hpp"
#include "ml/predictor.hpp"

namespace keel::ml::onnx {

struct OutputChoice {
  std::string name;        // empty: the graph's first output
  std::size_t column = 0;  // of a [rows, k] output
};

class OnnxModel final : public Predictor {
 public:
  // kInvalidArgument when the file does not read or check, uses an operator Keel does not implement, has
  // other than one input of FLOAT or DOUBLE [rows, num_features], or has no such output and column.
  static Result<std::unique_ptr<OnnxModel>> Load(const std::filesystem::path& file, std::size_t num_features,
                                                 const OutputChoice& output);

  // REQUIRES: values.size() == rows * num_features() (row-major). One prediction per row.
  Result<std::vector<double>> Predict(std::span<const float> values, std::size_t rows) const override;
  std::size_t num_features() const override { return num_features_; }

  const Program& program() const { return program_; }

 private:
  OnnxModel(Program program, std::size_t num_features, std::size_t output, std::size_t column)
      : program_(std::move(program)), num_features_(num_features), output_(output), column_(column) {}

  const Program program_;
  const std::size_t num_features_;
  const std::size_t output_;  // index among the graph's outputs
  const std::size_t column_;
};

}  // namespace keel::ml::onnx
