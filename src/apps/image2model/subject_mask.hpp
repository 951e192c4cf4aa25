// Which pixels are the subject and which the background, so the model has the subject's outline: the alpha
// channel when the image has one that says so, else a threshold on each pixel's distance from the colour of
// the image's border (Otsu's method picks it). A photo with no clear background is taken whole (a plaque).
#pragma once

#include <cstdint>
#include <vector>

#include "apps/image2model/image.hpp"

namespace keel::image2model {

// One byte per pixel, row by row: 1 for the subject, 0 for the background.
std::vector<std::uint8_t> SubjectMask(const RgbaImage& image);

}  // namespace keel::image2model
