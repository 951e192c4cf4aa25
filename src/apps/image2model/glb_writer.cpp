// On tinygltf (Debian's libtinygltf-dev, header-only: this file holds its implementation). Images are never
// decoded or written by it: the texture arrives encoded and goes into the binary buffer as it is.
#define TINYGLTF_IMPLEMENTATION
#define TINYGLTF_NO_STB_IMAGE
#define TINYGLTF_NO_STB_IMAGE_WRITE
#define TINYGLTF_NO_EXTERNAL_IMAGE
#include "apps/image2model/glb_writer.hpp"

#include <tiny_gltf.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

namespace keel::image2model {

namespace {

// Appends bytes to the buffer on a 4-byte boundary (glTF's alignment for accessors); returns the view's
// index.
int AddView(tinygltf::Model& model, const void* data, std::size_t size, int target) {
  auto& buffer = model.buffers[0].data;
  while (buffer.size() % 4 != 0) buffer.push_back(0);
  tinygltf::BufferView view;
  view.buffer = 0;
  view.byteOffset = buffer.size();
  view.byteLength = size;
  if (target != 0) view.target = target;
  const auto* bytes = static_cast<const unsigned char*>(data);
  buffer.insert(buffer.end(), bytes, bytes + size);
  model.bufferViews.push_back(view);
  return static_cast<int>(model.bufferViews.size() - 1);
}

int AddFloatAccessor(tinygltf::Model& model, const std::vector<float>& values, int components, int type,
                     bool bounds) {
  tinygltf::Accessor accessor;
  accessor.bufferView =
      AddView(model, values.data(), values.size() * sizeof(float), TINYGLTF_TARGET_ARRAY_BUFFER);
  accessor.componentType = TINYGLTF_COMPONENT_TYPE_FLOAT;
  accessor.count = values.size() / components;
  accessor.type = type;
  if (bounds) {  // positions must carry their bounds
    accessor.minValues.assign(components, std::numeric_limits<double>::max());
    accessor.maxValues.assign(components, std::numeric_limits<double>::lowest());
    for (std::size_t i = 0; i < values.size(); ++i) {
      accessor.minValues[i % components] = std::min<double>(accessor.minValues[i % components], values[i]);
      accessor.maxValues[i % components] = std::max<double>(accessor.maxValues[i % components], values[i]);
    }
  }
  model.accessors.push_back(accessor);
  return static_cast<int>(model.accessors.size() - 1);
}

}  // namespace

std::string WriteGlb(const Mesh& mesh, const std::string& texture_jpeg, const std::string& name) {
  tinygltf::Model model;
  model.asset.version = "2.0";
  model.asset.generator = "Keel image2model local generator";
  model.buffers.emplace_back();

  tinygltf::Primitive primitive;
  primitive.mode = TINYGLTF_MODE_TRIANGLES;
  primitive.attributes["POSITION"] = AddFloatAccessor(model, mesh.positions, 3, TINYGLTF_TYPE_VEC3, true);
  primitive.attributes["NORMAL"] = AddFloatAccessor(model, mesh.normals, 3, TINYGLTF_TYPE_VEC3, false);
  primitive.attributes["TEXCOORD_0"] = AddFloatAccessor(model, mesh.uvs, 2, TINYGLTF_TYPE_VEC2, false);
  tinygltf::Accessor indices;
  indices.bufferView = AddView(model, mesh.indices.data(), mesh.indices.size() * sizeof(std::uint32_t),
                               TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER);
  indices.componentType = TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT;
  indices.count = mesh.indices.size();
  indices.type = TINYGLTF_TYPE_SCALAR;
  model.accessors.push_back(indices);
  primitive.indices = static_cast<int>(model.accessors.size() - 1);

  tinygltf::Image image;
  image.mimeType = "image/jpeg";
  image.bufferView = AddView(model, texture_jpeg.data(), texture_jpeg.size(), 0);
  model.images.push_back(image);
  tinygltf::Sampler sampler;
  sampler.magFilter = TINYGLTF_TEXTURE_FILTER_LINEAR;
  sampler.minFilter = TINYGLTF_TEXTURE_FILTER_LINEAR_MIPMAP_LINEAR;
  sampler.wrapS = TINYGLTF_TEXTURE_WRAP_CLAMP_TO_EDGE;
  sampler.wrapT = TINYGLTF_TEXTURE_WRAP_CLAMP_TO_EDGE;
  model.samplers.push_back(sampler);
  tinygltf::Texture texture;
  texture.source = 0;
  texture.sampler = 0;
  model.textures.push_back(texture);
  tinygltf::Material material;
  material.name = name;
  material.pbrMetallicRoughness.baseColorTexture.index = 0;
  material.pbrMetallicRoughness.metallicFactor = 0.0;
  material.pbrMetallicRoughness.roughnessFactor = 0.8;
  model.materials.push_back(material);
  primitive.material = 0;

  tinygltf::Mesh gltf_mesh;
  gltf_mesh.name = name;
  gltf_mesh.primitives.push_back(primitive);
  model.meshes.push_back(gltf_mesh);
  tinygltf::Node node;
  node.mesh = 0;
  node.name = name;
  model.nodes.push_back(node);
  tinygltf::Scene scene;
  scene.nodes.push_back(0);
  model.scenes.push_back(scene);
  model.defaultScene = 0;

  std::ostringstream out;
  tinygltf::TinyGLTF writer;
  writer.WriteGltfSceneToStream(&model, out, false, true);
  return out.str();
}

}  // namespace keel::image2model
