// A picture of the generated model, not of the upload: the mesh drawn from in front, a little from the side
// and above, textured with the image and lit from the upper left, on a transparent background.
#pragma once

#include "apps/image2model/image.hpp"
#include "apps/image2model/relief_mesh.hpp"

namespace keel::image2model {

// A size x size RGBA picture (a small software rasterizer with a depth buffer).
RgbaImage RenderThumbnail(const Mesh& mesh, const RgbaImage& texture, int size);

}  // namespace keel::image2model
