// What the chat assistant may ask Keel, whichever engine answers: forecast(sku, horizon), sales(sku|category,
// from, to), top_products(from, to, n), stock_risk(), and the catalogue. Each answer is JSON the engine
// reads, and each number it gives is also recorded as a fact with where it came from, so a reply's figures
// can be checked against the database.
//
// Thread safety: as its stores.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::sql {
class Database;
}

namespace keel::siprems {

class Forecaster;

struct ChatFact {
  std::string name;
  nlohmann::json value;
  std::string source;
};
nlohmann::json FactJson(const ChatFact& fact);

struct CatalogueEntry {
  std::string sku;
  std::string name;
  std::string category;
};

// Lower-case words of letters, digits and apostrophes.
std::vector<std::string> ChatWords(std::string_view text);

// The catalogue as the analyst searches it: products by lower-case SKU, and by each word of their names.
struct CatalogueIndex {
  std::vector<CatalogueEntry> entries;
  std::unordered_map<std::string, std::size_t> by_lower_sku;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_word;  // each product once per word
  std::map<std::string, std::vector<std::string>> category_words;          // category -> its words

  static CatalogueIndex Build(std::vector<CatalogueEntry> entries);
  const CatalogueEntry* Find(const std::string& sku) const;
};

class ChatTools {
 public:
  ChatTools(sql::Database& db, Forecaster& forecaster, const SipremsOptions& options)
      : db_(db), forecaster_(forecaster), options_(options) {}

  // The OpenAI "tools" array describing the four tools.
  static nlohmann::json Schemas();

  // Runs the tool `name` with the model's JSON `arguments`; a bad call is an {"error"} answer, not an error.
  Task<Result<nlohmann::json>> Call(std::string name, nlohmann::json arguments, std::vector<ChatFact>& facts);

  Task<Result<nlohmann::json>> Forecast(std::string sku, int horizon, std::vector<ChatFact>& facts);
  // Sales of a product or a category between two days (inclusive).
  Task<Result<nlohmann::json>> Sales(std::optional<std::string> sku, std::optional<std::string> category,
                                     std::int64_t from, std::int64_t to, std::vector<ChatFact>& facts);
  Task<Result<nlohmann::json>> TopProducts(std::int64_t from, std::int64_t to, int n,
                                           std::vector<ChatFact>& facts);
  // Active products whose stock is below the next period's forecast demand.
  Task<Result<nlohmann::json>> StockRisk(std::vector<ChatFact>& facts);

  // The catalogue, read again once it is older than kCatalogueFresh (chat answers need not see a product
  // added a moment ago; reading 10,000 products per turn would cost more than the turn).
  Task<Result<std::shared_ptr<const CatalogueIndex>>> Catalogue();
  // The latest day with a sale (of `sku`, or of any product); nullopt when there is none.
  Task<Result<std::optional<std::int64_t>>> LatestSale(std::optional<std::string> sku);

 private:
  sql::Database& db_;
  Forecaster& forecaster_;
  const SipremsOptions& options_;
  std::mutex catalogue_mutex_;
  std::shared_ptr<const CatalogueIndex> catalogue_;         // GUARDED_BY(catalogue_mutex_)
  std::chrono::steady_clock::time_point catalogue_read_{};  // GUARDED_BY(catalogue_mutex_)
  bool catalogue_refreshing_ = false;                       // GUARDED_BY(catalogue_mutex_)
};

}  // namespace keel::siprems
