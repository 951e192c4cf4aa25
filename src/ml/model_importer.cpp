// ImportOnnxVersion: meta.json taken or derived from a sample, the version checked as the registry will check
// it, then published.
#include "ml/model_importer.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/rfc3339.hpp"
#include "ml/dataset.hpp"
#include "ml/model_registry.hpp"
#include "ml/onnx/onnx_model.hpp"
#include "ml/regression_metrics.hpp"
#include "ml/staged_version.hpp"

namespace keel::ml {

namespace {

constexpr std::size_t kValidationRows = 8;

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

Result<ModelMeta> ReadMeta(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Invalid(fmt::format("cannot read {}", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return ModelMeta::Parse(text.str());
}

// meta.json from a sample: each column's widened range, the model's metrics against the target, and the
// model's own predictions of the first rows as the validation sample.
Result<ModelMeta> DeriveMeta(const ImportRequest& request) {
  auto data = ReadCsv(request.sample, request.target);
  if (!data) return std::move(data).error();
  auto model = onnx::OnnxModel::Load(request.onnx, data->features.size(),
                                     onnx::OutputChoice{request.output, request.output_column});
  if (!model) return std::move(model).error();
  auto predicted = (*model)->Predict(data->x, data->rows());
  if (!predicted) return std::move(predicted).error();
  ModelMeta meta;
  meta.target = data->target;
  meta.features = ObservedRanges(*data);
  meta.metrics = Evaluate(data->y, *predicted).ToJson();
  meta.training = {{"sample_rows", data->rows()},
                   {"sample_file", request.sample.filename().string()},
                   {"sample_sha256", Sha256OfFile(request.sample)}};
  for (std::size_t row = 0; row < std::min(kValidationRows, data->rows()); ++row) {
    meta.sample.rows.push_back(data->Row(row));
    meta.sample.expected.push_back((*predicted)[row]);
  }
  meta.sample.tolerance = 1e-4;
  meta.output_name = request.output;
  meta.output_column = request.output_column;
  return meta;
}

}  // namespace

Result<TrainedVersion> ImportOnnxVersion(const ImportRequest& request) {
  if (request.meta.empty() == request.sample.empty())
    return Invalid("give either a meta.json or a sample CSV to derive it from");
  auto meta = request.meta.empty() ? DeriveMeta(request) : ReadMeta(request.meta);
  if (!meta) return std::move(meta).error();
  auto staged = StagedVersion::Create(request.model_dir, request.model_name);
  if (!staged) return std::move(staged).error();
  meta->name = request.model_name;
  meta->version = staged->version();
  meta->trained_at = meta->trained_at.empty() ? FormatRfc3339(UnixMillis()) : meta->trained_at;
  meta->training["format"] = "onnx";
  meta->training["imported_from"] = request.onnx.filename().string();
  meta->training["onnx_sha256"] = Sha256OfFile(request.onnx);

  std::error_code ec;
  std::filesystem::copy_file(request.onnx, staged->staging() / "model.onnx", ec);
  if (ec) return Invalid(fmt::format("cannot copy {}: {}", request.onnx.string(), ec.message()));
  {
    std::ofstream out(staged->staging() / "meta.json");
    out << meta->ToJson().dump(2) << "\n";
    if (!out)
      return Error{ErrorCode::kUnavailable, fmt::format("cannot write {}", staged->staging().string())};
  }
  // The same checks a serving registry makes: the graph against meta.json, the validation sample reproduced.
  auto loaded = LoadVersion(staged->staging());
  if (!loaded) return std::move(loaded).error();
  auto directory = staged->Publish();
  if (!directory) return std::move(directory).error();
  return TrainedVersion{std::move(meta).value(), std::move(directory).value()};
}

}  // namespace keel::ml
