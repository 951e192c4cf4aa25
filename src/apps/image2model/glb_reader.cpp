// tinygltf's loader (its implementation is compiled in glb_writer.cpp); images are decoded by image.hpp.
#define TINYGLTF_NO_STB_IMAGE
#define TINYGLTF_NO_STB_IMAGE_WRITE
#define TINYGLTF_NO_EXTERNAL_IMAGE
#include "apps/image2model/glb_reader.hpp"

#include <tiny_gltf.h>

#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace keel::image2model {

namespace {

struct Decoding {
  std::uint64_t max_pixels;
};

bool DecodeTexture(tinygltf::Image* image, const int, std::string* err, std::string*, int, int,
                   const unsigned char* bytes, int size, void* user) {
  auto decoded =
      DecodeImage(std::string_view(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size)),
                  static_cast<Decoding*>(user)->max_pixels);
  if (!decoded) {
    if (err != nullptr) *err += decoded.error().message;
    return false;
  }
  image->width = decoded->width;
  image->height = decoded->height;
  image->component = 4;
  image->bits = 8;
  image->pixel_type = TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE;
  image->image = std::move(decoded->pixels);
  return true;
}

// The float components of an accessor (VEC2/VEC3 of FLOAT), tightly packed; empty when it is another kind.
std::vector<float> Floats(const tinygltf::Model& model, int index, int components) {
  if (index < 0 || index >= static_cast<int>(model.accessors.size())) return {};
  const auto& accessor = model.accessors[index];
  if (accessor.componentType != TINYGLTF_COMPONENT_TYPE_FLOAT || accessor.bufferView < 0) return {};
  const auto& view = model.bufferViews[accessor.bufferView];
  const auto& buffer = model.buffers[view.buffer].data;
  std::size_t stride = view.byteStride != 0 ? view.byteStride : sizeof(float) * components;
  std::size_t start = view.byteOffset + accessor.byteOffset;
  if (accessor.count == 0 ||
      start + stride * (accessor.count - 1) + sizeof(float) * components > buffer.size())
    return {};
  std::vector<float> out(accessor.count * components);
  for (std::size_t i = 0; i < accessor.count; ++i)
    std::memcpy(&out[i * components], &buffer[start + i * stride], sizeof(float) * components);
  return out;
}

std::vector<std::uint32_t> Indices(const tinygltf::Model& model, int index, std::size_t vertices) {
  std::vector<std::uint32_t> out;
  if (index < 0) {
    for (std::size_t i = 0; i < vertices; ++i) out.push_back(static_cast<std::uint32_t>(i));
    return out;
  }
  const auto& accessor = model.accessors[index];
  if (accessor.bufferView < 0) return {};
  const auto& view = model.bufferViews[accessor.bufferView];
  const auto& buffer = model.buffers[view.buffer].data;
  std::size_t width = accessor.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT     ? 4
                      : accessor.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT ? 2
                      : accessor.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE  ? 1
                                                                                         : 0;
  std::size_t start = view.byteOffset + accessor.byteOffset;
  if (width == 0 || start + width * accessor.count > buffer.size()) return {};
  for (std::size_t i = 0; i < accessor.count; ++i) {
    std::uint32_t value = 0;
    std::memcpy(&value, &buffer[start + i * width], width);  // little-endian
    if (value >= vertices) return {};
    out.push_back(value);
  }
  return out;
}

}  // namespace

Result<ReadModel> ReadGlb(std::string_view glb, std::uint64_t max_pixels) {
  if (glb.size() < 12 || glb.substr(0, 4) != "glTF")
    return Error{ErrorCode::kValidation, "the model is not a glTF binary"};
  tinygltf::Model model;
  tinygltf::TinyGLTF loader;
  Decoding decoding{max_pixels};
  loader.SetImageLoader(DecodeTexture, &decoding);
  std::string error, warning;
  if (!loader.LoadBinaryFromMemory(&model, &error, &warning,
                                   reinterpret_cast<const unsigned char*>(glb.data()),
                                   static_cast<unsigned int>(glb.size())))
    return Error{ErrorCode::kValidation, "the model cannot be read: " + error};
  ReadModel read;
  for (const auto& mesh : model.meshes) {
    for (const auto& primitive : mesh.primitives) {
      if (primitive.mode != TINYGLTF_MODE_TRIANGLES && primitive.mode != -1) continue;
      auto position = primitive.attributes.find("POSITION");
      if (position == primitive.attributes.end()) continue;
      std::vector<float> positions = Floats(model, position->second, 3);
      std::size_t count = positions.size() / 3;
      if (count == 0) continue;
      auto normal = primitive.attributes.find("NORMAL");
      auto uv = primitive.attributes.find("TEXCOORD_0");
      std::vector<float> normals =
          normal != primitive.attributes.end() ? Floats(model, normal->second, 3) : std::vector<float>();
      std::vector<float> uvs =
          uv != primitive.attributes.end() ? Floats(model, uv->second, 2) : std::vector<float>();
      if (normals.size() != count * 3) normals.assign(count * 3, 0.0f);
      if (uvs.size() != count * 2) uvs.assign(count * 2, 0.0f);
      std::vector<std::uint32_t> indices = Indices(model, primitive.indices, count);
      if (indices.empty() || indices.size() % 3 != 0) continue;
      auto base = static_cast<std::uint32_t>(read.mesh.VertexCount());
      read.mesh.positions.insert(read.mesh.positions.end(), positions.begin(), positions.end());
      read.mesh.normals.insert(read.mesh.normals.end(), normals.begin(), normals.end());
      read.mesh.uvs.insert(read.mesh.uvs.end(), uvs.begin(), uvs.end());
      for (std::uint32_t index : indices) read.mesh.indices.push_back(base + index);
    }
  }
  if (read.mesh.TriangleCount() == 0) return Error{ErrorCode::kValidation, "the model has no triangles"};
  if (!model.images.empty() && !model.images[0].image.empty()) {
    const auto& image = model.images[0];
    read.texture.width = image.width;
    read.texture.height = image.height;
    read.texture.pixels = image.image;
  }
  return read;
}

}  // namespace keel::image2model
