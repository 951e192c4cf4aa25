// Reads a binary glTF (a remote generator's result) back into a Mesh and its texture, so the formats the
// remote service does not produce (STL, OBJ, the thumbnail) are made from the model it did.
#pragma once

#include <string_view>

#include "apps/image2model/image.hpp"
#include "apps/image2model/relief_mesh.hpp"
#include "core/result.hpp"

namespace keel::image2model {

struct ReadModel {
  Mesh mesh;          // every triangle primitive of every mesh, in model space; UVs zero where it has none
  RgbaImage texture;  // the first image, decoded; empty when it has none
};

// kValidation when the bytes are not a glTF binary with triangles in it.
Result<ReadModel> ReadGlb(std::string_view glb, std::uint64_t max_pixels);

}  // namespace keel::image2model
