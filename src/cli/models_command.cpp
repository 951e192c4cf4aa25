// ImportModel: the import, its outcome on stdout, its refusal on stderr.
#include "cli/models_command.hpp"

#include <iostream>

#include <fmt/format.h>

namespace keel::cli {

int ImportModel(const Config& config, ml::ImportRequest request) {
  request.model_dir = config.String("ml.model_dir");
  auto imported = ml::ImportOnnxVersion(request);
  if (!imported) {
    std::cerr << "keel: " << imported.error().message << "\n";
    return 1;
  }
  std::cerr << fmt::format("imported {} version {} into {}\n", request.model_name, imported->meta.version,
                           imported->directory.string());
  std::cout << imported->meta.ToJson().dump(2) << "\n";
  return 0;
}

}  // namespace keel::cli
