#include "apps/image2model/subject_mask.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace keel::image2model {

namespace {

constexpr int kOpaque = 128;
constexpr double kMinShare =
    0.02;                         // a subject smaller than this, or a background smaller than this, is noise
constexpr int kMinDistance = 40;  // colour distance (sum over RGB) below which a pixel is background anyway

std::vector<std::uint8_t> Whole(const RgbaImage& image) {
  return std::vector<std::uint8_t>(std::size_t(image.width) * image.height, 1);
}

bool Plausible(std::size_t subject, std::size_t total) {
  return subject >= kMinShare * total && subject <= (1 - kMinShare) * total;
}

// The threshold that best splits a histogram in two (Otsu: the largest between-class variance).
int OtsuThreshold(const std::vector<std::size_t>& histogram) {
  double total = 0, weighted = 0;
  for (std::size_t i = 0; i < histogram.size(); ++i) {
    total += histogram[i];
    weighted += static_cast<double>(i) * histogram[i];
  }
  double below = 0, below_weighted = 0, best = -1;
  int threshold = 0;
  for (std::size_t t = 0; t < histogram.size(); ++t) {
    below += histogram[t];
    below_weighted += static_cast<double>(t) * histogram[t];
    double above = total - below;
    if (below == 0 || above == 0) continue;
    double mean_below = below_weighted / below, mean_above = (weighted - below_weighted) / above;
    double between = below * above * (mean_below - mean_above) * (mean_below - mean_above);
    if (between > best) {
      best = between;
      threshold = static_cast<int>(t);
    }
  }
  return threshold;
}

}  // namespace

std::vector<std::uint8_t> SubjectMask(const RgbaImage& image) {
  const std::size_t total = std::size_t(image.width) * image.height;
  std::vector<std::uint8_t> mask(total, 0);

  std::size_t opaque = 0;
  for (std::size_t i = 0; i < total; ++i) opaque += image.pixels[i * 4 + 3] >= kOpaque;
  if (opaque < total) {
    if (!Plausible(opaque, total)) return Whole(image);
    for (std::size_t i = 0; i < total; ++i) mask[i] = image.pixels[i * 4 + 3] >= kOpaque;
    return mask;
  }

  // The background's colour: the median of the border pixels, channel by channel.
  std::array<std::vector<int>, 3> border;
  auto sample = [&](int x, int y) {
    for (int c = 0; c < 3; ++c) border[c].push_back(image.At(x, y)[c]);
  };
  for (int x = 0; x < image.width; ++x) {
    sample(x, 0);
    sample(x, image.height - 1);
  }
  for (int y = 1; y + 1 < image.height; ++y) {
    sample(0, y);
    sample(image.width - 1, y);
  }
  std::array<int, 3> background{};
  for (int c = 0; c < 3; ++c) {
    auto middle = border[c].begin() + static_cast<std::ptrdiff_t>(border[c].size() / 2);
    std::nth_element(border[c].begin(), middle, border[c].end());
    background[c] = *middle;
  }

  std::vector<std::uint16_t> distance(total);
  std::vector<std::size_t> histogram(766, 0);
  for (std::size_t i = 0; i < total; ++i) {
    const std::uint8_t* p = &image.pixels[i * 4];
    int d = std::abs(p[0] - background[0]) + std::abs(p[1] - background[1]) + std::abs(p[2] - background[2]);
    distance[i] = static_cast<std::uint16_t>(d);
    ++histogram[d];
  }
  int threshold = std::max(kMinDistance, OtsuThreshold(histogram));
  std::size_t subject = 0;
  for (std::size_t i = 0; i < total; ++i) {
    mask[i] = distance[i] > threshold;
    subject += mask[i];
  }
  return Plausible(subject, total) ? mask : Whole(image);
}

}  // namespace keel::image2model
