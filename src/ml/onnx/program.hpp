// An ONNX graph compiled for running: every node's operator made once (so an operator Keel does not implement
// is refused before anything is served), every value given a slot, then run batch after batch.
//
// Thread safety: Run is const and safe from any number of threads at once.
#pragma once

#include <memory>
#include <vector>

#include "core/result.hpp"
#include "ml/onnx/graph.hpp"
#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

class Program {
 public:
  // kInvalidArgument naming the first node Keel cannot run (its operator and domain, or the attribute it
  // cannot honour) or a value read before any node makes it.
  static Result<Program> Compile(Graph graph);

  // The graph's outputs, in its order, for its inputs in its order.
  // REQUIRES: inputs.size() == this->inputs().size().
  Result<std::vector<Tensor>> Run(std::vector<Tensor> inputs) const;

  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  // The operators the graph uses, as "Name (domain)", each once.
  const std::vector<std::string>& operators() const { return operators_; }

 private:
  struct Step {
    std::unique_ptr<Op> op;
    std::vector<int> inputs;   // slots; -1 for an optional input left out
    std::vector<int> outputs;  // slots; -1 for an output nobody names
  };

  std::vector<ValueInfo> inputs_, outputs_;
  std::vector<std::string> operators_;
  std::vector<Tensor> constants_;  // slots 0 .. constants_.size() - 1
  std::vector<Step> steps_;
  std::vector<int> output_slots_;
  std::size_t slots_ = 0;
};

}  // namespace keel::ml::onnx
