// Image probing, decoding, orientation, scaling and encoding on stb_image and libwebp.
#include "apps/image2model/image.hpp"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
#include <webp/decode.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace keel::image2model {

namespace {

bool StartsWith(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::uint32_t Read16(const unsigned char* p, bool big_endian) {
  return big_endian ? (p[0] << 8) | p[1] : (p[1] << 8) | p[0];
}
std::uint32_t Read32(const unsigned char* p, bool big_endian) {
  return big_endian ? (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]
                    : (std::uint32_t{p[3]} << 24) | (p[2] << 16) | (p[1] << 8) | p[0];
}

// The orientation tag of an EXIF block (the APP1 payload after "Exif\0\0"): a TIFF header and IFD0.
int OrientationInTiff(std::string_view tiff) {
  if (tiff.size() < 8) return 1;
  bool big_endian;
  if (StartsWith(tiff, "MM")) {
    big_endian = true;
  } else if (StartsWith(tiff, "II")) {
    big_endian = false;
  } else {
    return 1;
  }
  const unsigned char* base = Bytes(tiff);
  if (Read16(base + 2, big_endian) != 42) return 1;
  std::uint32_t ifd = Read32(base + 4, big_endian);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  std::uint32_t entries = Read16(base + ifd, big_endian);
  for (std::uint32_t i = 0; i < entries; ++i) {
    std::size_t at = ifd + 2 + std::size_t{i} * 12;
    if (at + 12 > tiff.size()) return 1;
    if (Read16(base + at, big_endian) != 0x0112) continue;
    std::uint32_t value = Read16(base + at + 8, big_endian);  // a SHORT, left-justified in the value field
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

void AppendTo(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

}  // namespace

std::string_view MimeTypeOf(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kWebp:
      return "image/webp";
  }
  return "application/octet-stream";
}

Result<std::optional<ImageHeader>> ProbeImage(std::string_view prefix, bool complete) {
  constexpr std::string_view kJpeg = "\xFF\xD8\xFF";
  constexpr std::string_view kPng = "\x89PNG\r\n\x1A\n";
  if (prefix.size() < 12 && !complete) {
    // Too short to tell, unless what has arrived already rules out every format.
    bool could_be = std::string_view(kJpeg).starts_with(prefix.substr(0, 3)) ||
                    std::string_view(kPng).starts_with(prefix.substr(0, 8)) ||
                    std::string_view("RIFF").starts_with(prefix.substr(0, 4));
    if (could_be) return std::optional<ImageHeader>();
  }
  ImageHeader header;
  if (StartsWith(prefix, kJpeg)) {
    header.format = ImageFormat::kJpeg;
  } else if (StartsWith(prefix, kPng)) {
    header.format = ImageFormat::kPng;
  } else if (prefix.size() >= 12 && StartsWith(prefix, "RIFF") && prefix.substr(8, 4) == "WEBP") {
    header.format = ImageFormat::kWebp;
  } else {
    return Error{ErrorCode::kUnsupportedMedia, "not a JPEG, PNG or WebP image"};
  }
  int components = 0;
  bool known = false;
  if (header.format == ImageFormat::kWebp) {
    known = WebPGetInfo(Bytes(prefix), prefix.size(), &header.width, &header.height) != 0;
  } else if (prefix.size() <= static_cast<std::size_t>(INT32_MAX)) {
    known = stbi_info_from_memory(Bytes(prefix), static_cast<int>(prefix.size()), &header.width,
                                  &header.height, &components) != 0;
  }
  if (known && header.width > 0 && header.height > 0) {
    // A JPEG's EXIF may say it is shown turned a quarter: its size is the upright one.
    if (header.format == ImageFormat::kJpeg && ExifOrientation(prefix) >= 5)
      std::swap(header.width, header.height);
    return std::optional<ImageHeader>(header);
  }
  if (!complete) return std::optional<ImageHeader>();  // the header may lie past what arrived so far
  return Error{ErrorCode::kValidation,
               fmt::format("the {} header is damaged: no image size in it", MimeTypeOf(header.format))};
}

int ExifOrientation(std::string_view jpeg) {
  if (!StartsWith(jpeg, "\xFF\xD8")) return 1;
  std::size_t at = 2;
  while (at + 4 <= jpeg.size()) {
    auto marker = static_cast<unsigned char>(jpeg[at + 1]);
    if (static_cast<unsigned char>(jpeg[at]) != 0xFF) return 1;
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      at += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data: the EXIF block comes before it
    std::size_t length = Read16(Bytes(jpeg) + at + 2, true);
    if (length < 2 || at + 2 + length > jpeg.size()) return 1;
    std::string_view payload = jpeg.substr(at + 4, length - 2);
    if (marker == 0xE1 && StartsWith(payload, std::string_view("Exif\0\0", 6)))
      return OrientationInTiff(payload.substr(6));
    at += 2 + length;
  }
  return 1;
}

RgbaImage Oriented(RgbaImage image, int orientation) {
  if (orientation <= 1 || orientation > 8) return image;
  const int w = image.width, h = image.height;
  const bool swap = orientation >= 5;
  RgbaImage out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(image.pixels.size());
  for (int dy = 0; dy < out.height; ++dy) {
    for (int dx = 0; dx < out.width; ++dx) {
      int sx = dx, sy = dy;
      switch (orientation) {
        case 2:
          sx = w - 1 - dx;
          break;
        case 3:
          sx = w - 1 - dx;
          sy = h - 1 - dy;
          break;
        case 4:
          sy = h - 1 - dy;
          break;
        case 5:
          sx = dy;
          sy = dx;
          break;
        case 6:
          sx = dy;
          sy = h - 1 - dx;
          break;
        case 7:
          sx = w - 1 - dy;
          sy = h - 1 - dx;
          break;
        case 8:
          sx = w - 1 - dy;
          sy = dx;
          break;
        default:
          break;
      }
      std::memcpy(out.At(dx, dy), image.At(sx, sy), 4);
    }
  }
  return out;
}

Result<RgbaImage> DecodeImage(std::string_view bytes, std::uint64_t max_pixels) {
  auto probed = ProbeImage(bytes, true);
  if (!probed) return std::move(probed).error();
  const ImageHeader& header = **probed;
  std::uint64_t pixels = std::uint64_t(header.width) * std::uint64_t(header.height);
  if (pixels > max_pixels)
    return Error{ErrorCode::kValidation, fmt::format("the image is {}x{}: over the limit of {} pixels",
                                                     header.width, header.height, max_pixels)};
  RgbaImage image;
  if (header.format == ImageFormat::kWebp) {
    std::uint8_t* data = WebPDecodeRGBA(Bytes(bytes), bytes.size(), &image.width, &image.height);
    if (data == nullptr) return Error{ErrorCode::kValidation, "the WebP image cannot be decoded"};
    image.pixels.assign(data, data + std::size_t(image.width) * image.height * 4);
    WebPFree(data);
  } else {
    int components = 0;
    stbi_uc* data = stbi_load_from_memory(Bytes(bytes), static_cast<int>(bytes.size()), &image.width,
                                          &image.height, &components, 4);
    if (data == nullptr)
      return Error{ErrorCode::kValidation, fmt::format("the {} image cannot be decoded: {}",
                                                       MimeTypeOf(header.format), stbi_failure_reason())};
    image.pixels.assign(data, data + std::size_t(image.width) * image.height * 4);
    stbi_image_free(data);
  }
  if (header.format == ImageFormat::kJpeg) image = Oriented(std::move(image), ExifOrientation(bytes));
  return image;
}

RgbaImage FitWithin(const RgbaImage& image, int max_side) {
  int longest = std::max(image.width, image.height);
  if (longest <= max_side) return image;
  double scale = static_cast<double>(max_side) / longest;
  RgbaImage out;
  out.width = std::max(1, static_cast<int>(image.width * scale + 0.5));
  out.height = std::max(1, static_cast<int>(image.height * scale + 0.5));
  out.pixels.resize(std::size_t(out.width) * out.height * 4);
  stbir_resize_uint8(image.pixels.data(), image.width, image.height, 0, out.pixels.data(), out.width,
                     out.height, 0, 4);
  return out;
}

std::string EncodePng(const RgbaImage& image) {
  std::string out;
  stbi_write_png_to_func(AppendTo, &out, image.width, image.height, 4, image.pixels.data(), image.width * 4);
  return out;
}

std::string EncodeJpeg(const RgbaImage& image, int quality) {
  std::string out;
  stbi_write_jpg_to_func(AppendTo, &out, image.width, image.height, 4, image.pixels.data(), quality);
  return out;
}

}  // namespace keel::image2model
