// Program: compiling a graph into steps over value slots, and running them.
#include "ml/onnx/program.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace keel::ml::onnx {

Result<Program> Program::Compile(Graph graph) {
  Program program;
  std::map<std::string, int> slot_of;
  for (auto& [name, tensor] : graph.initializers) {
    slot_of[name] = static_cast<int>(program.constants_.size());
    program.constants_.push_back(std::move(tensor));
  }
  int next = static_cast<int>(program.constants_.size());
  for (const auto& input : graph.inputs) slot_of[input.name] = next++;
  for (const auto& node : graph.nodes) {
    std::int64_t opset = graph.Opset(node.domain);
    if (opset == 0)
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{} is in a domain the model does not import", node.Describe())};
    auto op = MakeOp(node, opset);
    if (!op) return std::move(op).error();
    Step step;
    step.op = std::move(op).value();
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        step.inputs.push_back(-1);
        continue;
      }
      auto found = slot_of.find(name);
      if (found == slot_of.end())
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("{} reads {}, which no earlier node makes", node.Describe(), name)};
      step.inputs.push_back(found->second);
    }
    for (const auto& name : node.outputs) {
      if (name.empty()) {
        step.outputs.push_back(-1);
        continue;
      }
      slot_of[name] = next;
      step.outputs.push_back(next++);
    }
    if (std::find(program.operators_.begin(), program.operators_.end(), node.Describe()) ==
        program.operators_.end())
      program.operators_.push_back(node.Describe());
    program.steps_.push_back(std::move(step));
  }
  for (const auto& output : graph.outputs) {
    auto found = slot_of.find(output.name);
    if (found == slot_of.end())
      return Error{ErrorCode::kInvalidArgument, fmt::format("no node makes the output {}", output.name)};
    program.output_slots_.push_back(found->second);
  }
  program.slots_ = static_cast<std::size_t>(next);
  program.inputs_ = std::move(graph.inputs);
  program.outputs_ = std::move(graph.outputs);
  return program;
}

Result<std::vector<Tensor>> Program::Run(std::vector<Tensor> inputs) const {
  std::vector<Tensor> produced(slots_);
  std::vector<const Tensor*> view(slots_, nullptr);
  for (std::size_t i = 0; i < constants_.size(); ++i) view[i] = &constants_[i];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::size_t slot = constants_.size() + i;
    produced[slot] = std::move(inputs[i]);
    view[slot] = &produced[slot];
  }
  std::vector<const Tensor*> step_inputs;
  std::vector<Tensor> step_outputs;
  for (const auto& step : steps_) {
    step_inputs.clear();
    for (int slot : step.inputs)
      step_inputs.push_back(slot < 0 ? nullptr : view[static_cast<std::size_t>(slot)]);
    step_outputs.assign(step.outputs.size(), Tensor{});
    if (auto ran = step.op->Run(step_inputs, step_outputs); !ran) return std::move(ran).error();
    for (std::size_t i = 0; i < step.outputs.size(); ++i) {
      if (step.outputs[i] < 0) continue;
      auto slot = static_cast<std::size_t>(step.outputs[i]);
      produced[slot] = std::move(step_outputs[i]);
      view[slot] = &produced[slot];
    }
  }
  std::vector<Tensor> outputs;
  outputs.reserve(output_slots_.size());
  for (int slot : output_slots_) outputs.push_back(*view[static_cast<std::size_t>(slot)]);
  return outputs;
}

}  // namespace keel::ml::onnx
