#include "apps/image2model/thumbnail.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace keel::image2model {

namespace {

constexpr float kYaw = -0.5f;    // radians about the vertical axis
constexpr float kPitch = 0.35f;  // radians about the horizontal axis
constexpr float kAmbient = 0.35f;

struct Point {
  float x, y, z;
};

// The view: turned by yaw, then tilted by pitch.
Point View(const float* p) {
  float cy = std::cos(kYaw), sy = std::sin(kYaw), cp = std::cos(kPitch), sp = std::sin(kPitch);
  float x = cy * p[0] + sy * p[2], z = -sy * p[0] + cy * p[2];
  float y = cp * p[1] - sp * z;
  return {x, y, sp * p[1] + cp * z};
}

}  // namespace

RgbaImage RenderThumbnail(const Mesh& mesh, const RgbaImage& texture, int size) {
  RgbaImage out;
  out.width = out.height = size;
  out.pixels.assign(std::size_t(size) * size * 4, 0);
  if (mesh.VertexCount() == 0 || texture.width == 0) return out;

  std::vector<Point> screen(mesh.VertexCount()), normal(mesh.VertexCount());
  float min_x = std::numeric_limits<float>::max(), max_x = -min_x, min_y = min_x, max_y = -min_x;
  for (std::size_t v = 0; v < mesh.VertexCount(); ++v) {
    screen[v] = View(&mesh.positions[v * 3]);
    normal[v] = View(&mesh.normals[v * 3]);
    min_x = std::min(min_x, screen[v].x);
    max_x = std::max(max_x, screen[v].x);
    min_y = std::min(min_y, screen[v].y);
    max_y = std::max(max_y, screen[v].y);
  }
  float scale = 0.9f * size / std::max({max_x - min_x, max_y - min_y, 1e-6f});
  float mid_x = (min_x + max_x) / 2, mid_y = (min_y + max_y) / 2;
  for (Point& p : screen) {
    p.x = (p.x - mid_x) * scale + size / 2.0f;
    p.y = size / 2.0f - (p.y - mid_y) * scale;
  }

  const Point light = [] {
    Point l{-0.4f, 0.6f, 0.7f};
    float length = std::sqrt(l.x * l.x + l.y * l.y + l.z * l.z);
    return Point{l.x / length, l.y / length, l.z / length};
  }();
  std::vector<float> depth(std::size_t(size) * size, -std::numeric_limits<float>::max());
  for (std::size_t t = 0; t < mesh.indices.size(); t += 3) {
    std::uint32_t ia = mesh.indices[t], ib = mesh.indices[t + 1], ic = mesh.indices[t + 2];
    const Point &a = screen[ia], &b = screen[ib], &c = screen[ic];
    // The face's own normal, for meshes that carry none (a remote model may not).
    Point u{b.x - a.x, -(b.y - a.y), b.z - a.z}, w{c.x - a.x, -(c.y - a.y), c.z - a.z};
    Point face{u.y * w.z - u.z * w.y, u.z * w.x - u.x * w.z, u.x * w.y - u.y * w.x};
    // Screen y points down, so a triangle facing the viewer winds clockwise here: negative area.
    float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    if (area >= 0) continue;
    int x0 = std::max(0, static_cast<int>(std::floor(std::min({a.x, b.x, c.x}))));
    int x1 = std::min(size - 1, static_cast<int>(std::ceil(std::max({a.x, b.x, c.x}))));
    int y0 = std::max(0, static_cast<int>(std::floor(std::min({a.y, b.y, c.y}))));
    int y1 = std::min(size - 1, static_cast<int>(std::ceil(std::max({a.y, b.y, c.y}))));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        float px = x + 0.5f, py = y + 0.5f;
        float wa = ((b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)) / area;
        float wb = ((c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)) / area;
        float wc = 1 - wa - wb;
        if (wa < 0 || wb < 0 || wc < 0) continue;
        float z = wa * a.z + wb * b.z + wc * c.z;
        float& nearest = depth[std::size_t(y) * size + x];
        if (z <= nearest) continue;
        nearest = z;
        float u = wa * mesh.uvs[ia * 2] + wb * mesh.uvs[ib * 2] + wc * mesh.uvs[ic * 2];
        float v = wa * mesh.uvs[ia * 2 + 1] + wb * mesh.uvs[ib * 2 + 1] + wc * mesh.uvs[ic * 2 + 1];
        Point n{wa * normal[ia].x + wb * normal[ib].x + wc * normal[ic].x,
                wa * normal[ia].y + wb * normal[ib].y + wc * normal[ic].y,
                wa * normal[ia].z + wb * normal[ib].z + wc * normal[ic].z};
        float length = std::sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
        if (length < 1e-6f) {
          n = face;
          length = std::sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
        }
        float lambert =
            length > 0 ? std::max(0.0f, (n.x * light.x + n.y * light.y + n.z * light.z) / length) : 0;
        float shade = kAmbient + (1 - kAmbient) * lambert;
        int tx = std::clamp(static_cast<int>(u * texture.width), 0, texture.width - 1);
        int ty = std::clamp(static_cast<int>(v * texture.height), 0, texture.height - 1);
        const std::uint8_t* texel = texture.At(tx, ty);
        std::uint8_t* pixel = out.At(x, y);
        for (int k = 0; k < 3; ++k) pixel[k] = static_cast<std::uint8_t>(std::min(255.0f, texel[k] * shade));
        pixel[3] = 255;
      }
    }
  }
  return out;
}

}  // namespace keel::image2model
