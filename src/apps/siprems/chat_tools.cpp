#include "apps/siprems/chat_tools.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "apps/siprems/forecaster.hpp"
#include "apps/siprems/period.hpp"
#include "apps/siprems/product.hpp"
#include "storage/sql/database.hpp"

namespace keel::siprems {
namespace {

// Products a stock check looks at, at most.
constexpr int kStockRiskProducts = 500;

double Number(const sql::Rows& rows, std::size_t r, std::size_t c) {
  if (auto d = rows.Double(r, c)) return *d;
  return static_cast<double>(rows.Int(r, c).value_or(0));
}

nlohmann::json ToolError(std::string message) { return nlohmann::json{{"error", std::move(message)}}; }

nlohmann::json FunctionSchema(const char* name, const char* description, nlohmann::json properties,
                              std::vector<std::string> required) {
  return {{"type", "function"},
          {"function",
           {{"name", name},
            {"description", description},
            {"parameters",
             {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}}}}}};
}

std::optional<std::int64_t> DayArgument(const nlohmann::json& arguments, const char* name) {
  auto found = arguments.find(name);
  if (found == arguments.end() || !found->is_string()) return std::nullopt;
  return ParseDay(found->get<std::string>());
}

void AddFact(std::vector<ChatFact>& facts, std::string name, nlohmann::json value, std::string source) {
  ChatFact fact;
  fact.name = std::move(name);
  fact.value = std::move(value);
  fact.source = std::move(source);
  facts.push_back(std::move(fact));
}

// The facts of a forecast document: each period's forecast with its 80% interval.
nlohmann::json ForecastFacts(const nlohmann::json& document, std::vector<ChatFact>& facts) {
  const auto& model = document["model"];
  std::string source =
      model["version"].is_string()
          ? fmt::format("forecast of {}, version {} ({})", document["sku"].get<std::string>(),
                        model["version"].get<std::string>(), model["family"].get<std::string>())
          : fmt::format("forecast of {}, seasonal naive on its sales (no model trained yet)",
                        document["sku"].get<std::string>());
  for (const auto& point : document["points"])
    AddFact(
        facts,
        fmt::format("forecast {} {}", document["sku"].get<std::string>(), point["period"].get<std::string>()),
        point["forecast"], source);
  return document;
}

}  // namespace

nlohmann::json FactJson(const ChatFact& fact) {
  return {{"name", fact.name}, {"value", fact.value}, {"source", fact.source}};
}

nlohmann::json ChatTools::Schemas() {
  nlohmann::json period = {{"type", "string"}, {"description", "A date, YYYY-MM-DD"}};
  return nlohmann::json::array(
      {FunctionSchema("forecast", "A product's demand forecast per period with 80% and 95% intervals",
                      {{"sku", {{"type", "string"}}},
                       {"horizon", {{"type", "integer"}, {"minimum", 1}, {"description", "Periods ahead"}}}},
                      {"sku"}),
       FunctionSchema("sales", "Units sold (and revenue where prices are known) of a product or a category",
                      {{"sku", {{"type", "string"}}},
                       {"category", {{"type", "string"}}},
                       {"from", period},
                       {"to", period}},
                      {"from", "to"}),
       FunctionSchema(
           "top_products", "The best-selling products between two dates",
           {{"from", period}, {"to", period}, {"n", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}}},
           {"from", "to"}),
       FunctionSchema("stock_risk", "Active products whose stock is below the next period's forecast demand",
                      {}, {})});
}

Task<Result<nlohmann::json>> ChatTools::Call(std::string name, nlohmann::json arguments,
                                             std::vector<ChatFact>& facts) {
  if (!arguments.is_object()) co_return ToolError("the arguments must be a JSON object");
  if (name == "forecast") {
    auto sku = arguments.find("sku");
    if (sku == arguments.end() || !sku->is_string()) co_return ToolError("sku is required");
    int horizon = 3;
    if (auto h = arguments.find("horizon"); h != arguments.end() && h->is_number_integer())
      horizon = std::clamp(h->get<int>(), 1, options_.max_horizon);
    co_return co_await Forecast(sku->get<std::string>(), horizon, facts);
  }
  if (name == "sales" || name == "top_products") {
    auto from = DayArgument(arguments, "from");
    auto to = DayArgument(arguments, "to");
    if (!from || !to) co_return ToolError("from and to must be dates YYYY-MM-DD");
    if (name == "top_products") {
      int n = 5;
      if (auto given = arguments.find("n"); given != arguments.end() && given->is_number_integer())
        n = std::clamp(given->get<int>(), 1, 50);
      co_return co_await TopProducts(*from, *to, n, facts);
    }
    std::optional<std::string> sku, category;
    if (auto s = arguments.find("sku"); s != arguments.end() && s->is_string()) sku = s->get<std::string>();
    if (auto c = arguments.find("category"); c != arguments.end() && c->is_string())
      category = c->get<std::string>();
    if (!sku && !category) co_return ToolError("name a sku or a category");
    co_return co_await Sales(sku, category, *from, *to, facts);
  }
  if (name == "stock_risk") co_return co_await StockRisk(facts);
  co_return ToolError("no tool named " + name);
}

Task<Result<nlohmann::json>> ChatTools::Forecast(std::string sku, int horizon, std::vector<ChatFact>& facts) {
  auto answer = co_await forecaster_.Forecast(sku, horizon);
  if (!answer) {
    if (answer.error().code == ErrorCode::kNotFound || answer.error().code == ErrorCode::kConflict)
      co_return ToolError(answer.error().message);
    co_return std::move(answer).error();
  }
  co_return ForecastFacts(nlohmann::json::parse(answer->document), facts);
}

Task<Result<nlohmann::json>> ChatTools::Sales(std::optional<std::string> sku,
                                              std::optional<std::string> category, std::int64_t from,
                                              std::int64_t to, std::vector<ChatFact>& facts) {
  std::string what = sku ? "product " + *sku : "category " + category.value_or("");
  std::string sql =
      sku ? "SELECT SUM(quantity), SUM(quantity * unit_price), COUNT(*) FROM siprems_sales "
            "WHERE sku = ? AND day_number BETWEEN ? AND ?"
          : "SELECT SUM(s.quantity), SUM(s.quantity * s.unit_price), COUNT(*) FROM siprems_sales s "
            "JOIN siprems_products p ON p.sku = s.sku WHERE p.category = ? AND s.day_number BETWEEN ? AND ?";
  auto rows = co_await db_.Query(std::move(sql), sql::Args(sku ? *sku : *category, from, to));
  if (!rows) co_return std::move(rows).error();
  const double quantity = Number(*rows, 0, 0);
  const std::int64_t count = rows->Int(0, 2).value_or(0);
  nlohmann::json answer = {{"of", what},
                           {"from", FormatDay(from)},
                           {"to", FormatDay(to)},
                           {"quantity", quantity},
                           {"sales", count}};
  std::string source =
      fmt::format("siprems_sales: SUM(quantity) of {} from {} to {}", what, FormatDay(from), FormatDay(to));
  AddFact(facts, fmt::format("units sold, {}, {} to {}", what, FormatDay(from), FormatDay(to)), quantity,
          source);
  if (!std::holds_alternative<std::nullptr_t>(rows->rows[0][1])) {
    answer["revenue"] = Number(*rows, 0, 1);
    AddFact(facts, fmt::format("revenue, {}, {} to {}", what, FormatDay(from), FormatDay(to)),
            answer["revenue"],
            fmt::format("siprems_sales: SUM(quantity x unit_price) of {} from {} to {}", what,
                        FormatDay(from), FormatDay(to)));
  }
  co_return answer;
}

Task<Result<nlohmann::json>> ChatTools::TopProducts(std::int64_t from, std::int64_t to, int n,
                                                    std::vector<ChatFact>& facts) {
  auto rows = co_await db_.Query(
      "SELECT s.sku, p.name, SUM(s.quantity) AS units FROM siprems_sales s JOIN siprems_products p ON p.sku "
      "= s.sku "
      "WHERE s.day_number BETWEEN ? AND ? GROUP BY s.sku, p.name ORDER BY units DESC, s.sku LIMIT ?",
      sql::Args(from, to, n));
  if (!rows) co_return std::move(rows).error();
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    std::string sku(rows->Text(r, 0).value_or(""));
    double units = Number(*rows, r, 2);
    items.push_back({{"sku", sku}, {"name", rows->Text(r, 1).value_or("")}, {"quantity", units}});
    AddFact(facts, fmt::format("units sold, product {}, {} to {}", sku, FormatDay(from), FormatDay(to)),
            units,
            fmt::format("siprems_sales: SUM(quantity) per product from {} to {}, ranked", FormatDay(from),
                        FormatDay(to)));
  }
  co_return nlohmann::json{{"from", FormatDay(from)}, {"to", FormatDay(to)}, {"items", std::move(items)}};
}

Task<Result<nlohmann::json>> ChatTools::StockRisk(std::vector<ChatFact>& facts) {
  auto rows = co_await db_.Query(
      "SELECT sku, name, stock FROM siprems_products WHERE stock IS NOT NULL AND active = 1 ORDER BY sku "
      "LIMIT ?",
      sql::Args(kStockRiskProducts));
  if (!rows) co_return std::move(rows).error();
  nlohmann::json at_risk = nlohmann::json::array();
  std::size_t checked = 0;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    std::string sku(rows->Text(r, 0).value_or(""));
    const std::int64_t stock = rows->Int(r, 2).value_or(0);
    auto answer = co_await forecaster_.Forecast(sku, 1);
    if (!answer) {
      if (answer.error().code == ErrorCode::kConflict || answer.error().code == ErrorCode::kNotFound)
        continue;
      co_return std::move(answer).error();
    }
    ++checked;
    auto document = nlohmann::json::parse(answer->document);
    const double demand = document["points"][0]["forecast"].get<double>();
    if (static_cast<double>(stock) >= demand) continue;
    std::vector<ChatFact> ignored;
    at_risk.push_back({{"sku", sku},
                       {"name", rows->Text(r, 1).value_or("")},
                       {"stock", stock},
                       {"forecast_next_period", demand},
                       {"period", document["points"][0]["period"]},
                       {"interval", document["interval"]},
                       {"shortfall", demand - static_cast<double>(stock)}});
    AddFact(facts, fmt::format("stock {}", sku), stock, "siprems_products.stock of " + sku);
    ForecastFacts(document, facts);
  }
  co_return nlohmann::json{{"checked", checked}, {"at_risk", std::move(at_risk)}};
}

std::vector<std::string> ChatWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'') {
      word += c;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

CatalogueIndex CatalogueIndex::Build(std::vector<CatalogueEntry> entries) {
  CatalogueIndex index;
  index.entries = std::move(entries);
  for (std::size_t i = 0; i < index.entries.size(); ++i) {
    const CatalogueEntry& e = index.entries[i];
    std::string sku = e.sku;
    for (char& c : sku)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    index.by_lower_sku.emplace(std::move(sku), i);
    auto words = ChatWords(e.name);
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    for (auto& w : words) index.by_name_word[w].push_back(i);
    if (!index.category_words.count(e.category)) index.category_words[e.category] = ChatWords(e.category);
  }
  return index;
}

const CatalogueEntry* CatalogueIndex::Find(const std::string& sku) const {
  std::string lower = sku;
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  auto found = by_lower_sku.find(lower);
  return found == by_lower_sku.end() || entries[found->second].sku != sku ? nullptr : &entries[found->second];
}

namespace {

constexpr auto kCatalogueFresh = std::chrono::seconds(10);

std::shared_ptr<const CatalogueIndex> IndexOf(const sql::Rows& rows) {
  std::vector<CatalogueEntry> entries;
  entries.reserve(rows.rows.size());
  for (std::size_t r = 0; r < rows.rows.size(); ++r) {
    CatalogueEntry entry;
    entry.sku = std::string(rows.Text(r, 0).value_or(""));
    entry.name = std::string(rows.Text(r, 1).value_or(""));
    entry.category = std::string(rows.Text(r, 2).value_or(""));
    entries.push_back(std::move(entry));
  }
  return std::make_shared<const CatalogueIndex>(CatalogueIndex::Build(std::move(entries)));
}

}  // namespace

Task<Result<std::shared_ptr<const CatalogueIndex>>> ChatTools::Catalogue() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(catalogue_mutex_);
    if (catalogue_ && now - catalogue_read_ < kCatalogueFresh) co_return catalogue_;
    // One turn reads it again; the others meanwhile answer from the one they have.
    if (catalogue_ && catalogue_refreshing_) co_return catalogue_;
    catalogue_refreshing_ = true;
  }
  auto rows = co_await db_.Query("SELECT sku, name, category FROM siprems_products ORDER BY sku");
  std::shared_ptr<const CatalogueIndex> index;
  if (rows) index = IndexOf(*rows);
  std::lock_guard lock(catalogue_mutex_);
  catalogue_refreshing_ = false;
  if (!rows) co_return std::move(rows).error();
  catalogue_ = index;
  catalogue_read_ = now;
  co_return index;
}

Task<Result<std::optional<std::int64_t>>> ChatTools::LatestSale(std::optional<std::string> sku) {
  std::string sql = "SELECT MAX(day_number) FROM siprems_sales";
  sql::Params params;
  if (sku) {
    sql += " WHERE sku = ?";
    params.push_back(*sku);
  }
  auto rows = co_await db_.Query(std::move(sql), std::move(params));
  if (!rows) co_return std::move(rows).error();
  co_return rows->Int(0, 0);
}

}  // namespace keel::siprems
