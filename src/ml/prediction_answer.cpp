// AnswerPrediction: parse, predict, round, record, format.
#include "ml/prediction_answer.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "http/problem.hpp"
#include "ml/prediction_input.hpp"

namespace keel::ml {

Task<http::Response> AnswerPrediction(ModelPlatform& models, std::shared_ptr<const LoadedModel> model,
                                      const http::Request& request, Rounding round) {
  // The version first: a traffic plan may pick another than `model` (the body is then read by the plan's
  // reference meta, which lists the same features in the same order as every version of the plan).
  ModelPlatform::Routing routing = models.Route(std::move(model), request);
  auto parsed = ParsePredictionInput(request.body, *routing.input);
  if (auto* invalid = std::get_if<http::InputProblem>(&parsed)) co_return invalid->ToResponse();
  PredictionInput& input = std::get<PredictionInput>(parsed);

  auto predicted = co_await models.Predict(routing.model, input.values, input.rows);
  if (!predicted) co_return http::ProblemFrom(predicted.error());
  std::vector<double>& values = predicted->values;
  for (double& value : values) value = round(value);
  const std::vector<bool>& hits = predicted->cached;
  bool all_hit = std::all_of(hits.begin(), hits.end(), [](bool hit) { return hit; });
  models.Record(routing, input.values, values, hits, std::chrono::steady_clock::now() - request.received_at);
  models.Shadow(routing, std::move(input.values), input.rows);

  const ModelMeta& meta = routing.model->meta;
  std::string body;
  if (input.many) {
    body = R"({"predictions":[)";
    for (std::size_t i = 0; i < values.size(); ++i)
      fmt::format_to(std::back_inserter(body), "{}{}", i ? "," : "", values[i]);
    fmt::format_to(std::back_inserter(body), R"(],"model":"{}","version":"{}","cached":{}}})", meta.name,
                   meta.version, all_hit);
  } else {
    body = fmt::format(R"({{"prediction":{},"model":"{}","version":"{}","cached":{}}})", values[0], meta.name,
                       meta.version, all_hit);
  }
  http::Response response = http::Response::Json(200, std::move(body));
  response.headers.Add("X-Cache", all_hit ? "HIT" : "MISS");
  response.headers.Add("X-Model-Version", meta.version);
  co_return response;
}

}  // namespace keel::ml
