// The model in the formats besides GLB: binary STL (for printing: millimetres, the longer side 100 mm) and
// Wavefront OBJ with its MTL and texture, zipped together since an OBJ alone loses its texture.
#pragma once

#include <string>

#include "apps/image2model/relief_mesh.hpp"

namespace keel::image2model {

std::string WriteStl(const Mesh& mesh);
// A .zip of model.obj, model.mtl and texture.jpg.
std::string WriteObjZip(const Mesh& mesh, const std::string& texture_jpeg);

}  // namespace keel::image2model
