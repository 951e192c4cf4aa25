#include "apps/image2model/model_files.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "apps/image2model/zip_archive.hpp"

namespace keel::image2model {

namespace {

constexpr float kStlMillimetres = 100.0f;  // the model's unit length, in STL's customary millimetres

void PutFloat(std::string& out, float value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);  // STL is little-endian, as is every machine Keel builds for
  out.append(bytes, 4);
}

}  // namespace

std::string WriteStl(const Mesh& mesh) {
  std::string out(80, '\0');
  std::memcpy(out.data(), "Keel image2model local generator", 32);
  auto triangles = static_cast<std::uint32_t>(mesh.TriangleCount());
  char count[4];
  std::memcpy(count, &triangles, 4);
  out.append(count, 4);
  out.reserve(out.size() + std::size_t(triangles) * 50);
  for (std::size_t t = 0; t < mesh.indices.size(); t += 3) {
    const float* a = &mesh.positions[mesh.indices[t] * 3];
    const float* b = &mesh.positions[mesh.indices[t + 1] * 3];
    const float* c = &mesh.positions[mesh.indices[t + 2] * 3];
    float u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    float n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    float length = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (float component : n) PutFloat(out, length > 0 ? component / length : 0.0f);
    for (const float* p : {a, b, c})
      for (int k = 0; k < 3; ++k) PutFloat(out, p[k] * kStlMillimetres);
    out.append(2, '\0');  // attribute byte count
  }
  return out;
}

std::string WriteObjZip(const Mesh& mesh, const std::string& texture_jpeg) {
  std::string obj = "# Keel image2model local generator\nmtllib model.mtl\no model\n";
  obj.reserve(mesh.VertexCount() * 96 + mesh.TriangleCount() * 48);
  auto out = std::back_inserter(obj);
  for (std::size_t v = 0; v < mesh.VertexCount(); ++v)
    fmt::format_to(out, "v {:.6f} {:.6f} {:.6f}\n", mesh.positions[v * 3], mesh.positions[v * 3 + 1],
                   mesh.positions[v * 3 + 2]);
  for (std::size_t v = 0; v < mesh.VertexCount(); ++v)  // OBJ's texture origin is the bottom left
    fmt::format_to(out, "vt {:.6f} {:.6f}\n", mesh.uvs[v * 2], 1.0f - mesh.uvs[v * 2 + 1]);
  for (std::size_t v = 0; v < mesh.VertexCount(); ++v)
    fmt::format_to(out, "vn {:.5f} {:.5f} {:.5f}\n", mesh.normals[v * 3], mesh.normals[v * 3 + 1],
                   mesh.normals[v * 3 + 2]);
  obj += "usemtl image\n";
  for (std::size_t t = 0; t < mesh.indices.size(); t += 3) {
    std::uint32_t a = mesh.indices[t] + 1, b = mesh.indices[t + 1] + 1, c = mesh.indices[t + 2] + 1;
    fmt::format_to(out, "f {0}/{0}/{0} {1}/{1}/{1} {2}/{2}/{2}\n", a, b, c);
  }
  std::string mtl =
      "# Keel image2model local generator\nnewmtl image\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\n"
      "map_Kd texture.jpg\n";
  ZipArchive zip;
  zip.Add("model.obj", obj, true);
  zip.Add("model.mtl", mtl, true);
  zip.Add("texture.jpg", texture_jpeg, false);
  return zip.Finish();
}

}  // namespace keel::image2model
