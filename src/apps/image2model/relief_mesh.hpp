// The local generator's model: a closed relief of the subject. Its front surface rises from the outline
// towards the middle (a pillow shape from the distance to the outline, with the image's light and dark as
// fine detail), its back is flat, and side walls join the two along every outline, holes included. Every
// edge is shared by exactly two triangles (watertight), so the model can be printed as it is.
//
// Built on a grid of cells over the image, then simplified to the quality's triangle budget with the
// outline held in place (meshoptimizer), so the front, back and walls still meet exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "apps/image2model/image.hpp"

namespace keel::image2model {

enum class Quality { kDraft, kStandard, kHigh };

std::optional<Quality> ParseQuality(std::string_view text);
std::string_view QualityName(Quality quality);

struct Mesh {
  std::vector<float> positions;        // x, y, z per vertex; the longer side of the model is 1 unit long
  std::vector<float> normals;          // unit length, per vertex
  std::vector<float> uvs;              // u, v per vertex into the image (v down, as glTF has it)
  std::vector<std::uint32_t> indices;  // triangles, counter-clockwise seen from outside

  std::size_t VertexCount() const { return positions.size() / 3; }
  std::size_t TriangleCount() const { return indices.size() / 3; }
};

// mask: SubjectMask(image). The image sets the outline's proportions and the surface detail.
Mesh BuildRelief(const RgbaImage& image, const std::vector<std::uint8_t>& mask, Quality quality);

// Edges shared by a number of triangles other than two, counting triangles by their corners' positions
// (so seams where vertices are split for texture or normals do not count): 0 for a watertight mesh.
std::size_t OpenOrOverusedEdges(const Mesh& mesh);

}  // namespace keel::image2model
