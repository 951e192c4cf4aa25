// Train: progress on stderr (a self-updating line on a terminal, a line per tenth otherwise), result on
// stdout.
#include "cli/train_command.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "ml/model_registry.hpp"

namespace keel::cli {

int Train(const Config& config, ml::TrainRequest request, bool if_missing) {
  request.model_dir = config.String("ml.model_dir");
  if (if_missing) {
    auto versions = ml::ModelRegistry(request.model_dir).Versions(request.model_name);
    if (!versions.empty()) {
      std::cerr << fmt::format("{} already has {} version(s) in {}; not training\n", request.model_name,
                               versions.size(), request.model_dir.string());
      return 0;
    }
  }
  bool terminal = isatty(STDERR_FILENO) == 1;
  auto started = std::chrono::steady_clock::now();
  auto progress = [&](int round, int rounds, std::string_view eval) {
    auto tab = eval.find('\t');
    std::string_view score = tab == std::string_view::npos ? eval : eval.substr(tab + 1);
    if (terminal) {
      std::cerr << fmt::format("\rtraining {}: round {}/{} {}   ", request.model_name, round, rounds, score)
                << std::flush;
    } else if (round == rounds || round % std::max(1, rounds / 10) == 0) {
      std::cerr << fmt::format("training {}: round {}/{} {}\n", request.model_name, round, rounds, score);
    }
  };
  auto trained = ml::TrainModelVersion(request, progress);
  if (terminal) std::cerr << "\n";
  if (!trained) {
    std::cerr << "keel: " << trained.error().message << "\n";
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto& metrics = trained->meta.metrics;
  std::cerr << fmt::format("wrote {} in {:.1f} s: holdout MAE {:.0f}, RMSE {:.0f}, R² {:.3f}, MAPE {:.1f}%\n",
                           trained->directory.string(), seconds, metrics["mae"].get<double>(),
                           metrics["rmse"].get<double>(), metrics["r2"].get<double>(),
                           metrics["mape_percent"].get<double>());
  nlohmann::json summary = trained->meta.ToJson();
  summary.erase("validation_sample");
  std::cout << summary.dump() << "\n";
  return 0;
}

}  // namespace keel::cli
