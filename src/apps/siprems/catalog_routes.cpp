#include "apps/siprems/catalog_routes.hpp"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/siprems/product_store.hpp"
#include "apps/siprems/public_reads.hpp"
#include "apps/siprems/sales_import.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/served_models.hpp"
#include "apps/siprems/training_jobs.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace keel::siprems {
namespace {

using http::Request;
using http::Response;

constexpr std::string_view kProducts = "/api/v1/products";

Response WithProduct(int status, const Product& product) {
  return Response::Json(status, ProductJson(product).dump());
}

std::string PageDocument(const ProductPage& page, const ProductQuery& query) {
  nlohmann::json items = nlohmann::json::array();
  for (const Product& p : page.items) items.push_back(ProductJson(p));
  return nlohmann::json{
      {"items", std::move(items)}, {"page", query.page}, {"per_page", query.per_page}, {"total", page.total}}
      .dump();
}

std::vector<std::string> SkusOf(const std::vector<Sale>& sales) {
  std::set<std::string> skus;
  for (const Sale& sale : sales) skus.insert(sale.sku);
  return {skus.begin(), skus.end()};
}

// The 422 of sales naming products the catalogue does not hold.
Response UnknownSkusProblem(const std::vector<Sale>& sales, const std::vector<std::string>& unknown) {
  std::set<std::string_view> missing(unknown.begin(), unknown.end());
  std::vector<http::FieldError> errors;
  for (std::size_t i = 0; i < sales.size() && errors.size() < 100; ++i)
    if (missing.count(sales[i].sku))
      errors.push_back(
          {sales.size() == 1 ? "sku" : fmt::format("[{}].sku", i), "no product with SKU " + sales[i].sku});
  return http::InvalidFieldsProblem(errors);
}

// The 422 of a refused import: every bad line reported (up to SalesImport::kMaxReported) with its number.
Response ImportProblem(const SalesImport& import) {
  if (import.fatal()) {
    std::vector<http::FieldError> errors;
    errors.push_back({"body", *import.fatal()});
    return http::InvalidFieldsProblem(errors);
  }
  Response response =
      http::Problem(422, fmt::format("{} bad line(s): nothing was imported", import.error_count()));
  auto body = nlohmann::json::parse(response.body);
  nlohmann::json lines = nlohmann::json::array();
  for (const LineError& e : import.errors()) lines.push_back({{"line", e.line}, {"reason", e.reason}});
  body["lines"] = std::move(lines);
  body["bad_lines"] = import.error_count();
  response.body = body.dump();
  return response;
}

Response Inserted(std::size_t count) {
  return Response::Json(201, nlohmann::json{{"inserted", count}}.dump());
}

// What an import wrote, for its answer.
struct ImportSummary {
  std::string import_id;
  std::size_t rows = 0;
  std::vector<std::string> skus;
  std::int64_t first = 0, last = 0;
  std::optional<std::int64_t> job_id;
};

ImportSummary Summarize(const std::vector<Sale>& sales) {
  ImportSummary summary;
  summary.import_id = NewId();
  summary.rows = sales.size();
  summary.skus = SkusOf(sales);
  summary.first = summary.last = sales.front().day;
  for (const Sale& sale : sales) {
    summary.first = std::min(summary.first, sale.day);
    summary.last = std::max(summary.last, sale.day);
  }
  return summary;
}

Response Imported(const ImportSummary& s) {
  nlohmann::json answer = {{"import_id", s.import_id},
                           {"rows", s.rows},
                           {"skus", s.skus},
                           {"from", FormatDay(s.first)},
                           {"to", FormatDay(s.last)}};
  if (s.job_id) {
    answer["training_job_id"] = *s.job_id;
    answer["training_status_url"] = fmt::format("/api/v1/jobs/{}", *s.job_id);
  }
  return Response::Json(201, answer.dump());
}

struct SalesQuery {
  Interval interval = Interval::kMonth;
  std::optional<std::int64_t> from, to;
};

std::variant<SalesQuery, Invalid> ParseSalesQuery(const Request& request) {
  std::vector<http::FieldError> errors;
  SalesQuery query;
  if (auto interval = request.QueryParam("interval")) {
    if (auto parsed = ParseInterval(*interval))
      query.interval = *parsed;
    else
      errors.push_back({"interval", "must be day, week or month"});
  }
  for (auto [name, target] : {std::pair{"from", &query.from}, std::pair{"to", &query.to}}) {
    if (auto given = request.QueryParam(name)) {
      if (auto day = ParseDay(*given))
        *target = *day;
      else
        errors.push_back({name, "must be a date YYYY-MM-DD between 1900 and 2999"});
    }
  }
  if (query.from && query.to && *query.from > *query.to) errors.push_back({"to", "must not be before from"});
  if (!errors.empty()) return Invalid{std::nullopt, std::move(errors)};
  return query;
}

std::string SalesDocument(const std::string& sku, const SalesQuery& query,
                          const std::vector<SalesBucket>& buckets) {
  nlohmann::json items = nlohmann::json::array();
  for (const SalesBucket& b : buckets)
    items.push_back({{"period", FormatDay(b.period)},
                     {"quantity", b.quantity},
                     {"revenue", b.revenue ? nlohmann::json(*b.revenue) : nlohmann::json(nullptr)},
                     {"sales", b.sales}});
  nlohmann::json answer = {
      {"sku", sku}, {"interval", IntervalName(query.interval)}, {"items", std::move(items)}};
  answer["from"] = query.from ? nlohmann::json(FormatDay(*query.from)) : nlohmann::json(nullptr);
  answer["to"] = query.to ? nlohmann::json(FormatDay(*query.to)) : nlohmann::json(nullptr);
  return answer.dump();
}

void LogEnqueueFailure(const std::string& import_id, const Error& error) {
  log::Warn("siprems: could not enqueue training after an import",
            log::Fields().Add("import_id", import_id).Add("error", error.message));
}

Response ImportTooLarge(std::uint64_t max_bytes) {
  return http::ProblemFrom(
      Error{ErrorCode::kTooLarge,
            fmt::format("a sales import is at most {} MiB (siprems.max_import_mb)", max_bytes >> 20)});
}

}  // namespace

void CatalogRoutes::AddTo(http::Router& router) {
  const http::RouteOptions authed{.authenticated = true, .scope = "siprems"};
  const http::RouteOptions authed_json{.json_body = true, .authenticated = true, .scope = "siprems"};
  router.Add(
      "POST", "/api/v1/products", [this](Request& r) { return CreateProduct(r); }, authed_json);
  const http::RouteOptions reads = ReadRouteOptions(options_);
  router.Add("GET", "/api/v1/products", PublicRead([this](Request& r) { return ListProducts(r); }, options_),
             reads);
  router.Add("GET", "/api/v1/products/{sku}",
             PublicRead([this](Request& r) { return GetProduct(r); }, options_), reads);
  router.Add(
      "PATCH", "/api/v1/products/{sku}", [this](Request& r) { return PatchProduct(r); }, authed_json);
  router.Add(
      "DELETE", "/api/v1/products/{sku}", [this](Request& r) { return DeleteProduct(r); }, authed);
  router.Add(
      "POST", "/api/v1/sales", [this](Request& r) { return AddSales(r); },
      http::RouteOptions{
          .body_limit = 8u << 20, .json_body = true, .authenticated = true, .scope = "siprems"});
  router.Add(
      "POST", "/api/v1/sales/import", [this](Request& r) { return ImportSales(r); },
      http::RouteOptions{.body_limit = static_cast<std::size_t>(options_.max_import_bytes),
                         .streamed_body = true,
                         .authenticated = true,
                         .scope = "siprems"});
  router.Add("GET", "/api/v1/products/{sku}/sales",
             PublicRead([this](Request& r) { return SalesOf(r); }, options_), reads);
}

Task<Response> CatalogRoutes::CreateProduct(Request& request) {
  auto parsed = ParseNewProduct(request.body);
  if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
  auto product = co_await products_.Create(std::get<Product>(std::move(parsed)));
  if (!product) co_return http::ProblemFrom(product.error());
  Response response = WithProduct(201, *product);
  response.headers.Add("Location", fmt::format("{}/{}", kProducts, product->sku));
  co_return response;
}

Task<Response> CatalogRoutes::ListProducts(Request& request) {
  auto parsed = ParseProductQuery(request);
  if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
  ProductQuery query = std::get<ProductQuery>(std::move(parsed));
  auto page = co_await products_.List(query);
  if (!page) co_return http::ProblemFrom(page.error());
  co_return Response::Json(200, PageDocument(*page, query));
}

Task<Response> CatalogRoutes::GetProduct(Request& request) {
  auto product = co_await products_.Find(std::string(*request.params.Get("sku")));
  if (!product) co_return http::ProblemFrom(product.error());
  co_return WithProduct(200, *product);
}

Task<Response> CatalogRoutes::PatchProduct(Request& request) {
  auto parsed = ParseProductPatch(request.body);
  if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
  auto product = co_await products_.Update(std::string(*request.params.Get("sku")),
                                           std::get<ProductPatch>(std::move(parsed)));
  if (!product) co_return http::ProblemFrom(product.error());
  co_return WithProduct(200, *product);
}

Task<Response> CatalogRoutes::DeleteProduct(Request& request) {
  std::string sku(*request.params.Get("sku"));
  auto deleted = co_await products_.Delete(sku);
  if (!deleted) co_return http::ProblemFrom(deleted.error());
  served_.Forget(sku);
  co_return Response::Empty(204);
}

Task<Response> CatalogRoutes::AddSales(Request& request) {
  auto parsed = ParseSales(request.body);
  if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
  auto sales = std::get<std::vector<Sale>>(std::move(parsed));
  auto unknown = co_await products_.Unknown(SkusOf(sales));
  if (!unknown) co_return http::ProblemFrom(unknown.error());
  if (!unknown->empty()) co_return UnknownSkusProblem(sales, *unknown);
  const std::size_t count = sales.size();
  auto written = co_await sales_.Insert(std::move(sales), std::nullopt);
  if (!written) co_return http::ProblemFrom(written.error());
  co_return Inserted(count);
}

Task<Response> CatalogRoutes::ImportSales(Request& request) {
  SalesImport import(options_.max_import_rows);
  std::uint64_t received = 0;
  while (request.body_stream != nullptr) {
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return http::ProblemFrom(piece.error());  // the server answers its own refusal
    if (piece->empty()) break;
    received += piece->size();
    if (received > options_.max_import_bytes) co_return ImportTooLarge(options_.max_import_bytes);
    import.Feed(*piece);
  }
  import.Finish();
  if (import.ok()) {
    auto unknown = co_await products_.Unknown(SkusOf(import.sales()));
    if (!unknown) co_return http::ProblemFrom(unknown.error());
    if (!unknown->empty()) import.RejectSkus(*unknown);
  }
  if (!import.ok()) co_return ImportProblem(import);
  ImportSummary summary = Summarize(import.sales());
  auto written = co_await sales_.Insert(std::move(import.sales()), summary.import_id);
  if (!written) co_return http::ProblemFrom(written.error());
  if (options_.retrain_after_import) {
    // The sales are in; a failed enqueue only delays their models to the scheduled run.
    auto enqueued = co_await EnqueueTraining(jobs_, summary.skus, request.principal->subject);
    if (enqueued)
      summary.job_id = enqueued->id;
    else
      LogEnqueueFailure(summary.import_id, enqueued.error());
  }
  co_return Imported(summary);
}

Task<Response> CatalogRoutes::SalesOf(Request& request) {
  std::string sku(*request.params.Get("sku"));
  auto parsed = ParseSalesQuery(request);
  if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
  SalesQuery query = std::get<SalesQuery>(std::move(parsed));
  auto product = co_await products_.Find(sku);
  if (!product) co_return http::ProblemFrom(product.error());
  auto buckets = co_await sales_.Aggregate(sku, query.interval, query.from, query.to);
  if (!buckets) co_return http::ProblemFrom(buckets.error());
  co_return Response::Json(200, SalesDocument(sku, query, *buckets));
}

}  // namespace keel::siprems
