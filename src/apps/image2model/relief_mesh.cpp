#include "apps/image2model/relief_mesh.hpp"

#include <meshoptimizer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>

namespace keel::image2model {

namespace {

constexpr float kBase = 0.03f;            // thickness at the outline
constexpr float kDepth = 0.12f;           // how far the middle rises above it
constexpr float kDetail = 0.02f;          // relief from the image's light and dark
constexpr float kSimplifyError = 0.004f;  // relative to the model's size

struct Budget {
  int grid_cells;  // cells along the longer side
  std::size_t triangles;
};

Budget BudgetFor(Quality quality) {
  switch (quality) {
    case Quality::kDraft:
      return {96, 4000};
    case Quality::kStandard:
      return {160, 16000};
    case Quality::kHigh:
      return {256, 60000};
  }
  return {160, 16000};
}

// The cells of the grid: which are inside the subject, and how high the surface stands over each.
class CellGrid {
 public:
  CellGrid(int width, int height) : width_(width), height_(height), inside_(std::size_t(width) * height, 0) {}
  int width() const { return width_; }
  int height() const { return height_; }
  bool Inside(int i, int j) const {
    return i >= 0 && j >= 0 && i < width_ && j < height_ && inside_[Index(i, j)];
  }
  void Set(int i, int j, bool inside) { inside_[Index(i, j)] = inside; }
  std::size_t Index(int i, int j) const { return std::size_t(j) * width_ + i; }
  std::size_t Count() const { return std::size_t(std::count(inside_.begin(), inside_.end(), 1)); }

 private:
  int width_, height_;
  std::vector<std::uint8_t> inside_;
};

// Cells inside the subject: those at least half covered by the mask.
CellGrid CellsFromMask(const RgbaImage& image, const std::vector<std::uint8_t>& mask, int grid_cells) {
  int longest = std::max(image.width, image.height);
  int cells = std::min(grid_cells, longest);
  int gw = std::max(1, static_cast<int>(std::lround(double(cells) * image.width / longest)));
  int gh = std::max(1, static_cast<int>(std::lround(double(cells) * image.height / longest)));
  std::vector<std::uint32_t> covered(std::size_t(gw) * gh, 0), total(std::size_t(gw) * gh, 0);
  for (int y = 0; y < image.height; ++y) {
    int j = std::min(gh - 1, static_cast<int>(std::int64_t(y) * gh / image.height));
    for (int x = 0; x < image.width; ++x) {
      int i = std::min(gw - 1, static_cast<int>(std::int64_t(x) * gw / image.width));
      std::size_t cell = std::size_t(j) * gw + i;
      ++total[cell];
      covered[cell] += mask[std::size_t(y) * image.width + x];
    }
  }
  CellGrid grid(gw, gh);
  for (int j = 0; j < gh; ++j)
    for (int i = 0; i < gw; ++i) grid.Set(i, j, 2 * covered[grid.Index(i, j)] >= total[grid.Index(i, j)]);
  return grid;
}

// Drops specks: components (4-connected) smaller than 2% of the largest. With nothing inside, takes it all.
void DropSpecks(CellGrid& grid) {
  std::vector<int> component(std::size_t(grid.width()) * grid.height(), -1);
  std::vector<std::size_t> sizes;
  std::vector<std::pair<int, int>> stack;
  for (int j = 0; j < grid.height(); ++j) {
    for (int i = 0; i < grid.width(); ++i) {
      if (!grid.Inside(i, j) || component[grid.Index(i, j)] >= 0) continue;
      int id = static_cast<int>(sizes.size());
      sizes.push_back(0);
      stack.push_back({i, j});
      component[grid.Index(i, j)] = id;
      while (!stack.empty()) {
        auto [x, y] = stack.back();
        stack.pop_back();
        ++sizes[id];
        for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
          if (grid.Inside(x + dx, y + dy) && component[grid.Index(x + dx, y + dy)] < 0) {
            component[grid.Index(x + dx, y + dy)] = id;
            stack.push_back({x + dx, y + dy});
          }
        }
      }
    }
  }
  if (sizes.empty()) {
    for (int j = 0; j < grid.height(); ++j)
      for (int i = 0; i < grid.width(); ++i) grid.Set(i, j, true);
    return;
  }
  std::size_t largest = *std::max_element(sizes.begin(), sizes.end());
  for (int j = 0; j < grid.height(); ++j)
    for (int i = 0; i < grid.width(); ++i)
      if (int id = component[grid.Index(i, j)]; id >= 0 && sizes[id] * 50 < largest) grid.Set(i, j, false);
}

// Two cells that touch only at a corner would make that corner's outline cross itself (four walls on one
// vertical edge). Filling one of the other two cells of the square removes that; repeated until none is left.
void JoinCornerTouches(CellGrid& grid) {
  for (bool changed = true; changed;) {
    changed = false;
    for (int j = -1; j < grid.height(); ++j) {
      for (int i = -1; i < grid.width(); ++i) {
        bool a = grid.Inside(i, j), b = grid.Inside(i + 1, j), c = grid.Inside(i, j + 1),
             d = grid.Inside(i + 1, j + 1);
        if (a && d && !b && !c) {
          grid.Set(i + 1, j, true);  // both diagonal cells exist, so both of these lie in the grid
          changed = true;
        } else if (b && c && !a && !d) {
          grid.Set(i, j, true);
          changed = true;
        }
      }
    }
  }
}

// Distance of each inside cell to the nearest outside cell or the grid's edge (chamfer 1 / sqrt 2).
std::vector<float> DistanceToOutline(const CellGrid& grid) {
  const float inf = std::numeric_limits<float>::max() / 4;
  const int gw = grid.width(), gh = grid.height();
  std::vector<float> d(std::size_t(gw) * gh);
  auto at = [&](int i, int j) { return (i < 0 || j < 0 || i >= gw || j >= gh) ? 0.0f : d[grid.Index(i, j)]; };
  for (int j = 0; j < gh; ++j)
    for (int i = 0; i < gw; ++i) d[grid.Index(i, j)] = grid.Inside(i, j) ? inf : 0.0f;
  constexpr float kDiagonal = 1.41421356f;
  for (int j = 0; j < gh; ++j) {
    for (int i = 0; i < gw; ++i) {
      float& v = d[grid.Index(i, j)];
      v = std::min({v, at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + kDiagonal,
                    at(i + 1, j - 1) + kDiagonal});
    }
  }
  for (int j = gh - 1; j >= 0; --j) {
    for (int i = gw - 1; i >= 0; --i) {
      float& v = d[grid.Index(i, j)];
      v = std::min({v, at(i + 1, j) + 1, at(i, j + 1) + 1, at(i + 1, j + 1) + kDiagonal,
                    at(i - 1, j + 1) + kDiagonal});
    }
  }
  return d;
}

// The image's mean luminance (0-1) over each cell.
std::vector<float> CellLuminance(const RgbaImage& image, const CellGrid& grid) {
  const int gw = grid.width(), gh = grid.height();
  std::vector<float> sum(std::size_t(gw) * gh, 0), count(std::size_t(gw) * gh, 0);
  for (int y = 0; y < image.height; ++y) {
    int j = std::min(gh - 1, static_cast<int>(std::int64_t(y) * gh / image.height));
    for (int x = 0; x < image.width; ++x) {
      int i = std::min(gw - 1, static_cast<int>(std::int64_t(x) * gw / image.width));
      const std::uint8_t* p = image.At(x, y);
      sum[grid.Index(i, j)] += (0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2]) / 255.0f;
      count[grid.Index(i, j)] += 1;
    }
  }
  for (std::size_t k = 0; k < sum.size(); ++k) sum[k] = count[k] > 0 ? sum[k] / count[k] : 0.5f;
  return sum;
}

struct Vec3 {
  float x, y, z;
};
Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 Cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
Vec3 Normalized(Vec3 v) {
  float length = std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
  return length > 0 ? Vec3{v.x / length, v.y / length, v.z / length} : Vec3{0, 0, 1};
}

// Simplifies a surface (positions xyz, triangles) towards `target` triangles, its open edges held in place.
std::vector<std::uint32_t> Simplified(const std::vector<float>& positions,
                                      const std::vector<std::uint32_t>& indices, std::size_t target) {
  std::vector<std::uint32_t> out(indices.size());
  std::size_t count = meshopt_simplify(
      out.data(), indices.data(), indices.size(), positions.data(), positions.size() / 3, sizeof(float) * 3,
      std::min(target * 3, indices.size()), kSimplifyError, meshopt_SimplifyLockBorder, nullptr);
  out.resize(count);
  return out;
}

// Adds the vertices `indices` uses from `positions` to the mesh with the given normals rule, and the
// triangles.
class MeshBuilder {
 public:
  MeshBuilder(Mesh& mesh, float width, float height) : mesh_(mesh), width_(width), height_(height) {}

  std::uint32_t Add(Vec3 p, Vec3 n) {
    mesh_.positions.insert(mesh_.positions.end(), {p.x, p.y, p.z});
    mesh_.normals.insert(mesh_.normals.end(), {n.x, n.y, n.z});
    mesh_.uvs.insert(mesh_.uvs.end(), {p.x / width_ + 0.5f, 0.5f - p.y / height_});
    return static_cast<std::uint32_t>(mesh_.VertexCount() - 1);
  }
  void Triangle(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    mesh_.indices.insert(mesh_.indices.end(), {a, b, c});
  }

 private:
  Mesh& mesh_;
  float width_, height_;
};

}  // namespace

std::optional<Quality> ParseQuality(std::string_view text) {
  if (text == "draft") return Quality::kDraft;
  if (text == "standard") return Quality::kStandard;
  if (text == "high") return Quality::kHigh;
  return std::nullopt;
}

std::string_view QualityName(Quality quality) {
  switch (quality) {
    case Quality::kDraft:
      return "draft";
    case Quality::kStandard:
      return "standard";
    case Quality::kHigh:
      return "high";
  }
  return "standard";
}

Mesh BuildRelief(const RgbaImage& image, const std::vector<std::uint8_t>& mask, Quality quality) {
  const Budget budget = BudgetFor(quality);
  CellGrid grid = CellsFromMask(image, mask, budget.grid_cells);
  DropSpecks(grid);
  JoinCornerTouches(grid);
  const int gw = grid.width(), gh = grid.height();
  const float cell = 1.0f / static_cast<float>(std::max(gw, gh));

  std::vector<float> distance = DistanceToOutline(grid);
  std::vector<float> luminance = CellLuminance(image, grid);
  float reach = 1;
  for (float d : distance) reach = std::max(reach, d);
  auto cell_height = [&](int i, int j) {
    std::size_t k = grid.Index(i, j);
    float rise = kDepth * std::sqrt(std::min(distance[k], reach) / reach);
    return std::max(0.0f, rise + kDetail * (luminance[k] - 0.5f));
  };

  // Grid corners used by inside cells, numbered; those touching an outside cell (or the grid's edge) are on
  // the outline and stand at the base height, the others at the mean height of their four cells.
  std::vector<std::int64_t> corner_vertex(std::size_t(gw + 1) * (gh + 1), -1);
  std::vector<float> front_positions, back_positions;
  auto corner = [&](int i, int j) -> std::uint32_t {
    std::int64_t& v = corner_vertex[std::size_t(j) * (gw + 1) + i];
    if (v >= 0) return static_cast<std::uint32_t>(v);
    float height = kBase;
    bool outline = false;
    float sum = 0;
    for (auto [di, dj] : {std::pair{-1, -1}, {0, -1}, {-1, 0}, {0, 0}}) {
      if (!grid.Inside(i + di, j + dj)) {
        outline = true;
        break;
      }
      sum += cell_height(i + di, j + dj);
    }
    if (!outline) height += sum / 4;
    float x = (static_cast<float>(i) - gw / 2.0f) * cell, y = (gh / 2.0f - static_cast<float>(j)) * cell;
    front_positions.insert(front_positions.end(), {x, y, height});
    back_positions.insert(back_positions.end(), {x, y, 0.0f});
    v = static_cast<std::int64_t>(front_positions.size() / 3 - 1);
    return static_cast<std::uint32_t>(v);
  };
  std::vector<std::uint32_t> front, back;
  for (int j = 0; j < gh; ++j) {
    for (int i = 0; i < gw; ++i) {
      if (!grid.Inside(i, j)) continue;
      std::uint32_t tl = corner(i, j), tr = corner(i + 1, j), bl = corner(i, j + 1),
                    br = corner(i + 1, j + 1);
      front.insert(front.end(), {tl, bl, br, tl, br, tr});
      back.insert(back.end(), {tl, br, bl, tl, tr, br});
    }
  }

  // The front takes most of the budget; the flat back needs few triangles whatever the target.
  front = Simplified(front_positions, front, budget.triangles * 9 / 10);
  back = Simplified(back_positions, back, 0);

  Mesh mesh;
  MeshBuilder builder(mesh, static_cast<float>(gw) * cell, static_cast<float>(gh) * cell);
  auto position = [](const std::vector<float>& positions, std::uint32_t v) {
    return Vec3{positions[v * 3], positions[v * 3 + 1], positions[v * 3 + 2]};
  };

  // Front: smooth normals, each vertex's the area-weighted mean of its triangles'.
  std::unordered_map<std::uint32_t, Vec3> front_normals;
  for (std::size_t t = 0; t < front.size(); t += 3) {
    Vec3 a = position(front_positions, front[t]), b = position(front_positions, front[t + 1]),
         c = position(front_positions, front[t + 2]);
    Vec3 n = Cross(b - a, c - a);
    for (int k = 0; k < 3; ++k) {
      Vec3& sum = front_normals.try_emplace(front[t + k], Vec3{0, 0, 0}).first->second;
      sum = {sum.x + n.x, sum.y + n.y, sum.z + n.z};
    }
  }
  std::unordered_map<std::uint32_t, std::uint32_t> front_vertex, back_vertex;
  auto front_of = [&](std::uint32_t v) {
    auto [it, added] = front_vertex.try_emplace(v, 0);
    if (added) it->second = builder.Add(position(front_positions, v), Normalized(front_normals[v]));
    return it->second;
  };
  auto back_of = [&](std::uint32_t v) {
    auto [it, added] = back_vertex.try_emplace(v, 0);
    if (added) it->second = builder.Add(position(back_positions, v), Vec3{0, 0, -1});
    return it->second;
  };
  for (std::size_t t = 0; t < front.size(); t += 3)
    builder.Triangle(front_of(front[t]), front_of(front[t + 1]), front_of(front[t + 2]));
  for (std::size_t t = 0; t < back.size(); t += 3)
    builder.Triangle(back_of(back[t]), back_of(back[t + 1]), back_of(back[t + 2]));

  // Walls: under each outline edge of the front (an edge of one front triangle), a quad down to the back,
  // facing out. The simplification held the outline, so the back has the same edge.
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> edge_uses;
  for (std::size_t t = 0; t < front.size(); t += 3) {
    for (int k = 0; k < 3; ++k) {
      std::uint32_t a = front[t + k], b = front[t + (k + 1) % 3];
      ++edge_uses[{std::min(a, b), std::max(a, b)}];
    }
  }
  for (std::size_t t = 0; t < front.size(); t += 3) {
    for (int k = 0; k < 3; ++k) {
      std::uint32_t a = front[t + k], b = front[t + (k + 1) % 3];
      if (edge_uses[{std::min(a, b), std::max(a, b)}] != 1) continue;
      Vec3 af = position(front_positions, a), bf = position(front_positions, b);
      Vec3 ab = position(back_positions, a), bb = position(back_positions, b);
      Vec3 out = Normalized(Vec3{bf.y - af.y, af.x - bf.x, 0});
      std::uint32_t v_af = builder.Add(af, out), v_bf = builder.Add(bf, out), v_ab = builder.Add(ab, out),
                    v_bb = builder.Add(bb, out);
      builder.Triangle(v_bf, v_af, v_ab);
      builder.Triangle(v_bf, v_ab, v_bb);
    }
  }
  return mesh;
}

std::size_t OpenOrOverusedEdges(const Mesh& mesh) {
  using Point = std::tuple<float, float, float>;
  std::map<Point, std::uint32_t> welded;
  std::vector<std::uint32_t> id(mesh.VertexCount());
  for (std::size_t v = 0; v < mesh.VertexCount(); ++v) {
    Point p{mesh.positions[v * 3], mesh.positions[v * 3 + 1], mesh.positions[v * 3 + 2]};
    id[v] = welded.try_emplace(p, static_cast<std::uint32_t>(welded.size())).first->second;
  }
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> uses;
  for (std::size_t t = 0; t < mesh.indices.size(); t += 3) {
    for (int k = 0; k < 3; ++k) {
      std::uint32_t a = id[mesh.indices[t + k]], b = id[mesh.indices[t + (k + 1) % 3]];
      ++uses[{std::min(a, b), std::max(a, b)}];
    }
  }
  std::size_t bad = 0;
  for (const auto& [edge, count] : uses) bad += count != 2;
  return bad;
}

}  // namespace keel::image2model
