// The local generator on images made here: shapes with holes, corner-touching squares, a photo-like subject
// on a noisy background, in each upload format. Every model must be watertight and within its budget.
#include "apps/image2model/local_generator.hpp"

#include <webp/encode.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "apps/image2model/image.hpp"
#include "apps/image2model/subject_mask.hpp"

namespace keel::image2model {
namespace {

RgbaImage Blank(int width, int height, std::array<std::uint8_t, 4> colour) {
  RgbaImage image{width, height, {}};
  image.pixels.resize(std::size_t(width) * height * 4);
  for (std::size_t i = 0; i < image.pixels.size(); i += 4)
    std::copy(colour.begin(), colour.end(), &image.pixels[i]);
  return image;
}

// A ring (a shape with a hole) on a transparent background, and two squares touching at a corner.
RgbaImage RingAndSquares(int size) {
  RgbaImage image = Blank(size, size, {0, 0, 0, 0});
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      double dx = x - size * 0.35, dy = y - size * 0.5, r = std::sqrt(dx * dx + dy * dy);
      bool ring = r < size * 0.3 && r > size * 0.12;
      bool squares = (x >= size * 0.7 && x < size * 0.8 && y >= size * 0.2 && y < size * 0.3) ||
                     (x >= size * 0.8 && x < size * 0.9 && y >= size * 0.3 && y < size * 0.4);
      if (ring || squares) {
        std::uint8_t* p = image.At(x, y);
        p[0] = static_cast<std::uint8_t>(x * 255 / size);
        p[1] = 120;
        p[2] = static_cast<std::uint8_t>(y * 255 / size);
        p[3] = 255;
      }
    }
  }
  return image;
}

// A darker blob on a light, noisy background: what a product photo looks like.
RgbaImage PhotoLike(int width, int height) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> noise(-12, 12);
  RgbaImage image = Blank(width, height, {235, 235, 230, 255});
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double u = (x - width / 2.0) / (width * 0.3), v = (y - height / 2.0) / (height * 0.4);
      std::uint8_t* p = image.At(x, y);
      if (u * u + v * v < 1) {
        p[0] = static_cast<std::uint8_t>(90 + 60 * u * u);
        p[1] = 60;
        p[2] = 40;
      }
      for (int k = 0; k < 3; ++k) p[k] = static_cast<std::uint8_t>(std::clamp(p[k] + noise(random), 0, 255));
    }
  }
  return image;
}

std::string EncodeWebp(const RgbaImage& image) {
  std::uint8_t* out = nullptr;
  std::size_t size =
      WebPEncodeRGBA(image.pixels.data(), image.width, image.height, image.width * 4, 90, &out);
  std::string bytes(reinterpret_cast<char*>(out), size);
  WebPFree(out);
  return bytes;
}

// A JPEG with an EXIF block saying `orientation`, put right after the start-of-image marker.
std::string WithOrientation(const std::string& jpeg, int orientation) {
  std::string tiff = std::string("MM\0\x2A\0\0\0\x08", 8) + std::string("\0\x01", 2) +  // one entry
                     std::string("\x01\x12\0\x03\0\0\0\x01", 8) + std::string(1, '\0') +
                     std::string(1, static_cast<char>(orientation)) + std::string(2, '\0') +
                     std::string(4, '\0');
  std::string payload = std::string("Exif\0\0", 6) + tiff;
  std::size_t length = payload.size() + 2;
  std::string segment =
      std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xff);
  return jpeg.substr(0, 2) + segment + payload + jpeg.substr(2);
}

// Edges of a binary STL not shared by exactly two triangles, corners matched by position: 0 when watertight.
std::size_t StlOpenEdges(const std::string& stl) {
  std::uint32_t triangles = 0;
  std::memcpy(&triangles, stl.data() + 80, 4);
  std::map<std::array<float, 3>, std::uint32_t> points;
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> edges;
  for (std::uint32_t t = 0; t < triangles; ++t) {
    std::uint32_t id[3];
    for (int k = 0; k < 3; ++k) {
      std::array<float, 3> p;
      std::memcpy(p.data(), stl.data() + 84 + t * 50 + 12 + k * 12, 12);
      id[k] = points.try_emplace(p, static_cast<std::uint32_t>(points.size())).first->second;
    }
    for (int k = 0; k < 3; ++k) ++edges[{std::min(id[k], id[(k + 1) % 3]), std::max(id[k], id[(k + 1) % 3])}];
  }
  std::size_t open = 0;
  for (const auto& [edge, uses] : edges) open += uses != 2;
  return open;
}

void ExpectSoundModel(const GeneratedModel& model, Quality quality) {
  EXPECT_EQ(StlOpenEdges(model.stl), 0u);
  EXPECT_EQ(model.glb.substr(0, 4), "glTF");
  EXPECT_EQ(model.stl.size(), 84 + 50 * model.triangles);
  EXPECT_EQ(model.obj_zip.substr(0, 2), "PK");
  EXPECT_EQ(model.thumbnail_png.substr(1, 3), "PNG");
  std::size_t budget = quality == Quality::kDraft ? 4000 : quality == Quality::kStandard ? 16000 : 60000;
  EXPECT_GT(model.triangles, 100u);
  EXPECT_LE(model.triangles, budget * 13 / 10);  // the walls come on top of the surfaces' budget
}

TEST(ImageProbe, TellsFormatsAndSizesByTheirBytes) {
  RgbaImage image = PhotoLike(64, 48);
  std::string png = EncodePng(image), jpeg = EncodeJpeg(image, 90), webp = EncodeWebp(image);
  for (const auto& [bytes, format] :
       {std::pair{png, ImageFormat::kPng}, {jpeg, ImageFormat::kJpeg}, {webp, ImageFormat::kWebp}}) {
    auto header = ProbeImage(bytes, true);
    ASSERT_TRUE(header.ok() && header->has_value());
    EXPECT_EQ((*header)->format, format);
    EXPECT_EQ((*header)->width, 64);
    EXPECT_EQ((*header)->height, 48);
    auto early = ProbeImage(std::string_view(bytes).substr(0, 6), false);  // too little to tell yet
    ASSERT_TRUE(early.ok());
    EXPECT_FALSE(early->has_value());
  }
  EXPECT_EQ(ProbeImage("GIF89a........", true).error().code, ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(ProbeImage("%PDF-1.7", false).error().code, ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(ProbeImage(png.substr(0, 12), true).error().code, ErrorCode::kValidation);
}

TEST(ImageDecode, TurnsJpegsUprightAndRefusesTooManyPixels) {
  RgbaImage image = Blank(40, 20, {255, 255, 255, 255});
  for (int y = 0; y < 10; ++y)  // the top-left quarter dark
    for (int x = 0; x < 20; ++x) image.At(x, y)[0] = image.At(x, y)[1] = image.At(x, y)[2] = 0;
  std::string jpeg = WithOrientation(EncodeJpeg(image, 95), 6);
  EXPECT_EQ(ExifOrientation(jpeg), 6);
  auto upright = DecodeImage(jpeg, 1'000'000);
  ASSERT_TRUE(upright.ok()) << upright.error().message;
  EXPECT_EQ(upright->width, 20);
  EXPECT_EQ(upright->height, 40);
  // Turned a quarter clockwise: the dark quarter is now at the top right.
  EXPECT_LT(upright->At(15, 5)[0], 60);
  EXPECT_GT(upright->At(5, 5)[0], 200);
  auto refused = DecodeImage(jpeg, 799);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("over the limit of 799 pixels"), std::string::npos);
}

TEST(SubjectMask, FindsTheSubjectOnAPlainBackground) {
  RgbaImage photo = PhotoLike(200, 160);
  auto mask = SubjectMask(photo);
  EXPECT_EQ(mask[80 * 200 + 100], 1);  // the middle
  EXPECT_EQ(mask[5 * 200 + 5], 0);     // a corner
}

TEST(LocalGenerator, ModelsAreWatertightInEveryFormatAndQuality) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  RgbaImage shapes = RingAndSquares(300);
  std::vector<Case> cases = {{"png with alpha", EncodePng(shapes)},
                             {"webp with alpha", EncodeWebp(shapes)},
                             {"jpeg photo", EncodeJpeg(PhotoLike(640, 480), 90)},
                             {"plain jpeg (a plaque)", EncodeJpeg(Blank(100, 300, {30, 90, 200, 255}), 90)}};
  for (const auto& c : cases) {
    for (Quality quality : {Quality::kDraft, Quality::kStandard, Quality::kHigh}) {
      SCOPED_TRACE(c.name + " " + std::string(QualityName(quality)));
      std::vector<std::string> stages;
      auto model = GenerateLocally(c.bytes, {.quality = quality},
                                   [&](std::string_view stage, int) { stages.emplace_back(stage); });
      ASSERT_TRUE(model.ok()) << model.error().message;
      ExpectSoundModel(*model, quality);
      EXPECT_EQ(stages.front(), "preprocessing");
      EXPECT_EQ(stages.back(), "packaging");
    }
  }
}

TEST(LocalGenerator, ReliefIsClosedWhereShapesTouchAtCorners) {
  RgbaImage checkerboard = Blank(64, 64, {0, 0, 0, 0});
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      if (((x / 8) + (y / 8)) % 2 == 0) std::fill(checkerboard.At(x, y), checkerboard.At(x, y) + 4, 200);
  auto mask = SubjectMask(checkerboard);
  for (Quality quality : {Quality::kDraft, Quality::kHigh}) {
    Mesh mesh = BuildRelief(checkerboard, mask, quality);
    EXPECT_GT(mesh.TriangleCount(), 0u);
    EXPECT_EQ(OpenOrOverusedEdges(mesh), 0u);
  }
  RgbaImage shapes = RingAndSquares(300);
  Mesh mesh = BuildRelief(shapes, SubjectMask(shapes), Quality::kStandard);
  EXPECT_EQ(OpenOrOverusedEdges(mesh), 0u);
}

}  // namespace
}  // namespace keel::image2model
