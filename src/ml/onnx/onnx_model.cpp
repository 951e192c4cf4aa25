// OnnxModel: checking a graph's input and output against the model's features, and predicting with it.
#include "ml/onnx/onnx_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace keel::ml::onnx {

namespace {

Error Invalid(const std::filesystem::path& file, std::string message) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", file.string(), message)};
}

std::string Dims(const ValueInfo& info) {
  std::vector<std::string> dims;
  for (auto dim : info.dims) dims.push_back(dim < 0 ? "?" : std::to_string(dim));
  return fmt::format("{}[{}]", ElementTypeName(info.type), fmt::join(dims, ","));
}

}  // namespace

Result<std::unique_ptr<OnnxModel>> OnnxModel::Load(const std::filesystem::path& file,
                                                   std::size_t num_features, const OutputChoice& output) {
  auto graph = ReadGraph(file);
  if (!graph) return std::move(graph).error();
  auto program = Program::Compile(std::move(graph).value());
  if (!program) return Invalid(file, program.error().message);
  const auto& inputs = program->inputs();
  if (inputs.size() != 1)
    return Invalid(
        file, fmt::format("the graph has {} inputs; Keel feeds one [rows, features] tensor", inputs.size()));
  const ValueInfo& input = inputs[0];
  bool float_input = input.type == ElementType::kFloat || input.type == ElementType::kDouble;
  bool fits = input.has_shape && input.dims.size() == 2 &&
              (input.dims[1] < 0 || static_cast<std::size_t>(input.dims[1]) == num_features);
  if (!float_input || !fits)
    return Invalid(file, fmt::format("its input {} is {}, where meta.json's {} features need FLOAT or DOUBLE "
                                     "[rows, {}]",
                                     input.name, Dims(input), num_features, num_features));
  const auto& outputs = program->outputs();
  std::size_t chosen = outputs.size();
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (output.name.empty() || outputs[i].name == output.name) {
      chosen = i;
      break;
    }
  if (chosen == outputs.size())
    return Invalid(file, output.name.empty() ? "the graph has no output"
                                             : fmt::format("the graph has no output {}", output.name));
  const ValueInfo& out = outputs[chosen];
  // A ZipMap output is a sequence of maps in ONNX; Keel keeps it as the [rows, classes] tensor it came from.
  if (out.type == ElementType::kString)
    return Invalid(file, fmt::format("output {} holds strings, not numbers", out.name));
  if (out.has_shape &&
      (out.dims.empty() || out.dims.size() > 2 ||
       (out.dims.size() == 2 && out.dims[1] >= 0 && output.column >= static_cast<std::size_t>(out.dims[1])) ||
       (out.dims.size() == 1 && output.column > 0)))
    return Invalid(file, fmt::format("output {} is {}, which has no column {} per row", out.name, Dims(out),
                                     output.column));
  std::size_t features = num_features;
  return std::unique_ptr<OnnxModel>(
      new OnnxModel(std::move(program).value(), features, chosen, output.column));
}

Result<std::vector<double>> OnnxModel::Predict(std::span<const float> values, std::size_t rows) const {
  Tensor input;
  input.type = program_.inputs()[0].type;
  input.shape = {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(num_features_)};
  input.values.assign(values.begin(), values.end());
  std::vector<Tensor> fed;
  fed.push_back(std::move(input));
  auto outputs = program_.Run(std::move(fed));
  if (!outputs) return std::move(outputs).error();
  const Tensor& out = (*outputs)[output_];
  std::size_t width = out.shape.size() == 2 ? static_cast<std::size_t>(out.shape[1]) : 1;
  if (out.type == ElementType::kString || out.values.size() != rows * width || column_ >= width)
    return Error{ErrorCode::kInternal,
                 fmt::format("the model answered {} for {} rows, not a column {} per row", out.Describe(),
                             rows, column_)};
  std::vector<double> predictions(rows);
  for (std::size_t r = 0; r < rows; ++r) predictions[r] = out.values[r * width + column_];
  return predictions;
}

}  // namespace keel::ml::onnx
