// The built-in generator: an image in, a textured, watertight relief model out, in every format the API
// serves (GLB, STL, OBJ in a zip) with a thumbnail of it. No model weights and no network: it runs anywhere
// Keel runs, and is the default (the remote generator is the alternative).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "apps/image2model/relief_mesh.hpp"
#include "core/result.hpp"

namespace keel::image2model {

struct GeneratedModel {
  std::string glb;
  std::string stl;
  std::string obj_zip;
  std::string thumbnail_png;
  std::size_t triangles = 0;
  int width = 0;  // the image's, upright
  int height = 0;
};

struct LocalGeneratorOptions {
  Quality quality = Quality::kStandard;
  std::uint64_t max_pixels = 40'000'000;
  int texture_size = 1024;  // longer side of the embedded texture
  int thumbnail_size = 256;
};

// Where a generation is, for progress reports: the stage's name and its share of the whole (0-100).
using ProgressReport = std::function<void(std::string_view stage, int percent)>;

// Blocking and CPU-bound: run it on a worker's pool thread.
Result<GeneratedModel> GenerateLocally(std::string_view image, const LocalGeneratorOptions& options,
                                       const ProgressReport& progress);

}  // namespace keel::image2model
