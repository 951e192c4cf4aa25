#include "cli/generate_command.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "apps/image2model/local_generator.hpp"

namespace keel::cli {

namespace {

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int GenerateModel(const std::string& image, const std::string& out_dir, const std::string& quality) {
  auto parsed = image2model::ParseQuality(quality);
  if (!parsed) {
    std::cerr << "--quality must be draft, standard or high\n";
    return 1;
  }
  std::ifstream in(image, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << image << "\n";
    return 1;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto started = std::chrono::steady_clock::now();
  auto model = image2model::GenerateLocally(bytes, {.quality = *parsed}, [](std::string_view, int) {});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!model) {
    std::cerr << image << ": " << model.error().message << "\n";
    return 1;
  }
  std::filesystem::path out(out_dir);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  for (const auto& [name, data] : {std::pair{"model.glb", &model->glb},
                                   {"model.stl", &model->stl},
                                   {"model.obj.zip", &model->obj_zip},
                                   {"thumbnail.png", &model->thumbnail_png}}) {
    if (!WriteFile(out / name, *data)) {
      std::cerr << "cannot write " << (out / name).string() << "\n";
      return 1;
    }
  }
  std::cout
      << nlohmann::json{{"image", image},     {"width", model->width},         {"height", model->height},
                        {"quality", quality}, {"triangles", model->triangles}, {"seconds", seconds},
                        {"out", out.string()}}
             .dump()
      << "\n";
  return 0;
}

}  // namespace keel::cli
