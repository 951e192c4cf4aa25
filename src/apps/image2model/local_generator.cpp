#include "apps/image2model/local_generator.hpp"

#include "apps/image2model/glb_writer.hpp"
#include "apps/image2model/image.hpp"
#include "apps/image2model/model_files.hpp"
#include "apps/image2model/subject_mask.hpp"
#include "apps/image2model/thumbnail.hpp"

namespace keel::image2model {

namespace {

constexpr int kMaskSize = 512;  // the cell grid is at most 256 across: the mask needs no more
constexpr int kTextureQuality = 88;

}  // namespace

Result<GeneratedModel> GenerateLocally(std::string_view image_bytes, const LocalGeneratorOptions& options,
                                       const ProgressReport& progress) {
  progress("preprocessing", 5);
  auto decoded = DecodeImage(image_bytes, options.max_pixels);
  if (!decoded) return std::move(decoded).error();
  GeneratedModel model;
  model.width = decoded->width;
  model.height = decoded->height;
  RgbaImage texture = FitWithin(*decoded, options.texture_size);
  decoded = Error{ErrorCode::kInternal, "released"};  // the full-size pixels are no longer needed
  RgbaImage small = FitWithin(texture, kMaskSize);
  std::vector<std::uint8_t> mask = SubjectMask(small);

  progress("generating", 30);
  Mesh mesh = BuildRelief(small, mask, options.quality);
  model.triangles = mesh.TriangleCount();

  progress("packaging", 70);
  std::string texture_jpeg = EncodeJpeg(texture, kTextureQuality);
  model.glb = WriteGlb(mesh, texture_jpeg, "model");
  model.stl = WriteStl(mesh);
  model.obj_zip = WriteObjZip(mesh, texture_jpeg);
  model.thumbnail_png = EncodePng(RenderThumbnail(mesh, texture, options.thumbnail_size));
  progress("packaging", 95);
  return model;
}

}  // namespace keel::image2model
