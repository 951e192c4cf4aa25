// Images as the generator works on them: 8-bit RGBA, rows top to bottom.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace keel::image2model {

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width * height * 4

  const std::uint8_t* At(int x, int y) const {
    return &pixels[(static_cast<std::size_t>(y) * width + x) * 4];
  }
  std::uint8_t* At(int x, int y) { return &pixels[(static_cast<std::size_t>(y) * width + x) * 4]; }
};

// The formats uploads may be in, told apart by their bytes.
enum class ImageFormat { kJpeg, kPng, kWebp };

std::string_view MimeTypeOf(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0;
  int height = 0;
};

// Identifies an image from its first bytes: the magic number, then a decode of its header for the size.
// nullopt: `prefix` is too short to tell and more of the file is coming (`complete` false). Errors:
// kUnsupportedMedia for anything not JPEG, PNG or WebP; kValidation for a broken header.
Result<std::optional<ImageHeader>> ProbeImage(std::string_view prefix, bool complete);

// Decodes a whole file to RGBA, refusing (kValidation, before decoding) images over max_pixels, and turns
// JPEGs upright by their EXIF orientation.
Result<RgbaImage> DecodeImage(std::string_view bytes, std::uint64_t max_pixels);

// The EXIF orientation (1-8) of a JPEG; 1 when it has none.
int ExifOrientation(std::string_view jpeg);
RgbaImage Oriented(RgbaImage image, int orientation);

// Scaled down (never up) so neither side exceeds max_side.
RgbaImage FitWithin(const RgbaImage& image, int max_side);

// PNG and JPEG encodings (thumbnails, textures).
std::string EncodePng(const RgbaImage& image);
std::string EncodeJpeg(const RgbaImage& image, int quality);

}  // namespace keel::image2model
