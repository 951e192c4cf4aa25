// Graph: the one file that speaks libonnx and protobuf; everything else sees Keel's own types.
#include "ml/onnx/graph.hpp"

#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

namespace keel::ml::onnx {

const Attribute* Node::Find(std::string_view attribute) const {
  auto it = attributes.find(std::string(attribute));
  return it == attributes.end() ? nullptr : &it->second;
}

std::int64_t Node::Int(std::string_view attribute, std::int64_t fallback) const {
  const Attribute* found = Find(attribute);
  return found && found->kind == Attribute::Kind::kInt ? found->i : fallback;
}

double Node::Float(std::string_view attribute, double fallback) const {
  const Attribute* found = Find(attribute);
  return found && found->kind == Attribute::Kind::kFloat ? found->f : fallback;
}

std::string Node::String(std::string_view attribute, std::string fallback) const {
  const Attribute* found = Find(attribute);
  return found && found->kind == Attribute::Kind::kString ? found->s : fallback;
}

std::vector<std::int64_t> Node::Ints(std::string_view attribute) const {
  const Attribute* found = Find(attribute);
  if (!found) return {};
  if (found->kind == Attribute::Kind::kInt) return {found->i};
  return found->ints;
}

std::vector<double> Node::Floats(std::string_view attribute) const {
  if (const Attribute* found = Find(std::string(attribute) + "_as_tensor");
      found && found->kind == Attribute::Kind::kTensor)
    return found->t.values;
  const Attribute* found = Find(attribute);
  if (!found) return {};
  if (found->kind == Attribute::Kind::kFloat) return {found->f};
  return found->floats;
}

std::vector<std::string> Node::Strings(std::string_view attribute) const {
  const Attribute* found = Find(attribute);
  if (!found) return {};
  if (found->kind == Attribute::Kind::kString) return {found->s};
  return found->strings;
}

std::string Node::Describe() const {
  return fmt::format("{} ({})", op_type, domain.empty() ? "ai.onnx" : domain);
}

std::int64_t Graph::Opset(std::string_view domain) const {
  auto it = opsets.find(std::string(domain == "ai.onnx" ? "" : domain));
  return it == opsets.end() ? 0 : it->second;
}

namespace {

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

// Little-endian element bytes as the type's values.
template <class Stored>
void AppendRaw(const std::string& raw, std::vector<double>& values) {
  std::size_t count = raw.size() / sizeof(Stored);
  values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Stored element;
    std::memcpy(&element, raw.data() + i * sizeof(Stored), sizeof(Stored));
    values.push_back(static_cast<double>(element));
  }
}

Result<void> ReadRawData(const ::onnx::TensorProto& proto, ElementType type, std::vector<double>& values) {
  const std::string& raw = proto.raw_data();
  switch (type) {
    case ElementType::kFloat:
      AppendRaw<float>(raw, values);
      break;
    case ElementType::kDouble:
      AppendRaw<double>(raw, values);
      break;
    case ElementType::kInt64:
      AppendRaw<std::int64_t>(raw, values);
      break;
    case ElementType::kUint64:
      AppendRaw<std::uint64_t>(raw, values);
      break;
    case ElementType::kInt32:
      AppendRaw<std::int32_t>(raw, values);
      break;
    case ElementType::kUint32:
      AppendRaw<std::uint32_t>(raw, values);
      break;
    case ElementType::kInt16:
      AppendRaw<std::int16_t>(raw, values);
      break;
    case ElementType::kUint16:
      AppendRaw<std::uint16_t>(raw, values);
      break;
    case ElementType::kInt8:
      AppendRaw<std::int8_t>(raw, values);
      break;
    case ElementType::kUint8:
    case ElementType::kBool:
      AppendRaw<std::uint8_t>(raw, values);
      break;
    default:
      return Invalid(fmt::format("raw data of type {}", ElementTypeName(type)));
  }
  return Ok();
}

Result<Tensor> ConvertTensor(const ::onnx::TensorProto& proto) {
  Tensor tensor;
  tensor.type = static_cast<ElementType>(proto.data_type());
  std::string name = proto.name().empty() ? std::string("a tensor") : "tensor " + proto.name();
  for (auto dim : proto.dims()) {
    if (dim < 0 || static_cast<std::uint64_t>(dim) > kMaxElements)
      return Invalid(fmt::format("{} has a dimension of {}", name, dim));
    tensor.shape.push_back(dim);
  }
  if (tensor.Elements() > kMaxElements)
    return Invalid(fmt::format("{} has more than {} elements", name, kMaxElements));
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL)
    return Invalid(fmt::format("{} keeps its data in an external file, which Keel does not read", name));
  if (tensor.type == ElementType::kString) {
    for (const auto& text : proto.string_data()) tensor.strings.push_back(text);
  } else if (!IsSupportedNumeric(tensor.type)) {
    return Invalid(fmt::format("{} is of type {}, which Keel does not compute with", name,
                               ElementTypeName(tensor.type)));
  } else if (proto.has_raw_data()) {
    if (auto read = ReadRawData(proto, tensor.type, tensor.values); !read) return std::move(read).error();
  } else {
    for (float v : proto.float_data()) tensor.values.push_back(v);
    for (double v : proto.double_data()) tensor.values.push_back(v);
    for (auto v : proto.int64_data()) tensor.values.push_back(static_cast<double>(v));
    for (auto v : proto.int32_data()) tensor.values.push_back(v);
    for (auto v : proto.uint64_data()) tensor.values.push_back(static_cast<double>(v));
  }
  std::size_t stored = tensor.type == ElementType::kString ? tensor.strings.size() : tensor.values.size();
  if (stored != tensor.Elements())
    return Invalid(fmt::format("{} holds {} values for its shape {}", name, stored, tensor.Describe()));
  return tensor;
}

Result<Attribute> ConvertAttribute(const ::onnx::AttributeProto& proto) {
  Attribute attribute;
  using Proto = ::onnx::AttributeProto;
  switch (proto.type()) {
    case Proto::FLOAT:
      attribute.kind = Attribute::Kind::kFloat;
      attribute.f = proto.f();
      break;
    case Proto::INT:
      attribute.kind = Attribute::Kind::kInt;
      attribute.i = proto.i();
      break;
    case Proto::STRING:
      attribute.kind = Attribute::Kind::kString;
      attribute.s = proto.s();
      break;
    case Proto::TENSOR: {
      attribute.kind = Attribute::Kind::kTensor;
      auto tensor = ConvertTensor(proto.t());
      if (!tensor) return std::move(tensor).error();
      attribute.t = std::move(tensor).value();
      break;
    }
    case Proto::FLOATS:
      attribute.kind = Attribute::Kind::kFloats;
      for (float v : proto.floats()) attribute.floats.push_back(v);
      break;
    case Proto::INTS:
      attribute.kind = Attribute::Kind::kInts;
      for (auto v : proto.ints()) attribute.ints.push_back(v);
      break;
    case Proto::STRINGS:
      attribute.kind = Attribute::Kind::kStrings;
      for (const auto& v : proto.strings()) attribute.strings.push_back(v);
      break;
    default:
      attribute.kind = Attribute::Kind::kOther;  // graphs and sparse tensors: no operator Keel runs
  }
  return attribute;
}

ValueInfo ConvertValueInfo(const ::onnx::ValueInfoProto& proto) {
  ValueInfo info;
  info.name = proto.name();
  if (!proto.type().has_tensor_type()) return info;
  const auto& tensor_type = proto.type().tensor_type();
  info.type = static_cast<ElementType>(tensor_type.elem_type());
  info.has_shape = tensor_type.has_shape();
  for (const auto& dim : tensor_type.shape().dim())
    info.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return info;
}

Result<Graph> Convert(const ::onnx::ModelProto& model) {
  Graph graph;
  for (const auto& opset : model.opset_import())
    graph.opsets[opset.domain() == "ai.onnx" ? std::string() : opset.domain()] = opset.version();
  if (model.functions_size() > 0) return Invalid("the model defines functions, which Keel does not run");
  const auto& proto = model.graph();
  for (const auto& initializer : proto.initializer()) {
    auto tensor = ConvertTensor(initializer);
    if (!tensor) return std::move(tensor).error();
    graph.initializers[initializer.name()] = std::move(tensor).value();
  }
  if (proto.sparse_initializer_size() > 0) return Invalid("the model has sparse initializers");
  for (const auto& input : proto.input())
    if (!graph.initializers.contains(input.name())) graph.inputs.push_back(ConvertValueInfo(input));
  for (const auto& output : proto.output()) graph.outputs.push_back(ConvertValueInfo(output));
  for (const auto& node_proto : proto.node()) {
    Node node;
    node.name = node_proto.name();
    node.op_type = node_proto.op_type();
    node.domain = node_proto.domain() == "ai.onnx" ? std::string() : node_proto.domain();
    node.inputs.assign(node_proto.input().begin(), node_proto.input().end());
    node.outputs.assign(node_proto.output().begin(), node_proto.output().end());
    for (const auto& attribute_proto : node_proto.attribute()) {
      auto attribute = ConvertAttribute(attribute_proto);
      if (!attribute)
        return Invalid(fmt::format("{} attribute {}: {}", node.Describe(), attribute_proto.name(),
                                   attribute.error().message));
      node.attributes[attribute_proto.name()] = std::move(attribute).value();
    }
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

bool HasNonTensorOutput(const ::onnx::GraphProto& graph) {
  for (const auto& output : graph.output())
    if (!output.type().has_tensor_type()) return true;
  return false;
}

}  // namespace

Result<Graph> ParseGraph(std::string_view bytes, std::string_view origin) {
  ::onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return Invalid(fmt::format("{} is not an ONNX model (it does not parse as a ModelProto)", origin));
  if (!model.has_graph()) return Invalid(fmt::format("{} has no graph", origin));
  // The checker and shape inference report by exception; nothing else in Keel throws.
  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception& failure) {
    return Invalid(fmt::format("{} fails the ONNX checker: {}", origin, failure.what()));
  }
  try {
    ::onnx::shape_inference::InferShapes(model);
  } catch (const std::exception& failure) {
    // ONNX 1.12's shape inference cannot merge a sequence of maps (what ZipMap makes, at the end of every
    // converted classifier) and says so; Keel then goes by the declared types. Any other failure refuses.
    if (!HasNonTensorOutput(model.graph()) ||
        std::string_view(failure.what()).find("type case unsupported") == std::string_view::npos)
      return Invalid(fmt::format("{} fails ONNX shape inference: {}", origin, failure.what()));
  }
  auto graph = Convert(model);
  if (!graph) return Invalid(fmt::format("{}: {}", origin, graph.error().message));
  return graph;
}

Result<Graph> ReadGraph(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid(fmt::format("cannot read {}", path.string()));
  std::stringstream bytes;
  bytes << in.rdbuf();
  return ParseGraph(bytes.str(), path.string());
}

Result<Tensor> ReadTensorFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid(fmt::format("cannot read {}", path.string()));
  std::stringstream bytes;
  bytes << in.rdbuf();
  ::onnx::TensorProto proto;
  std::string text = bytes.str();
  if (!proto.ParseFromString(text)) return Invalid(fmt::format("{} is not a TensorProto", path.string()));
  return ConvertTensor(proto);
}

}  // namespace keel::ml::onnx
