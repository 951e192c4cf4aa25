// The model as binary glTF 2.0 (GLB): one mesh with positions, normals and texture coordinates, a PBR
// material whose base colour is the image, embedded as JPEG, so the file stands alone.
#pragma once

#include <string>

#include "apps/image2model/relief_mesh.hpp"

namespace keel::image2model {

// texture_jpeg: the image the UVs point into.
std::string WriteGlb(const Mesh& mesh, const std::string& texture_jpeg, const std::string& name);

}  // namespace keel::image2model
