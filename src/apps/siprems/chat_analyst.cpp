#include "apps/siprems/chat_analyst.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "apps/siprems/period.hpp"

namespace keel::siprems {
namespace {

using Intent = Question::Intent;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::vector<std::string> Words(std::string_view text) { return ChatWords(text); }

bool Has(const std::vector<std::string>& words, std::initializer_list<std::string_view> any) {
  for (const auto& w : words)
    for (std::string_view a : any)
      if (w == a) return true;
  return false;
}

bool Contains(std::string_view text, std::string_view phrase) {
  return text.find(phrase) != std::string_view::npos;
}

std::optional<int> Integer(std::string_view word) {
  if (word.empty() || word.size() > 6) return std::nullopt;
  int value = 0;
  for (char c : word) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<int> NumberWord(std::string_view word) {
  static const std::map<std::string_view, int> kNumbers = {
      {"one", 1},   {"two", 2},   {"three", 3}, {"four", 4}, {"five", 5},   {"six", 6},
      {"seven", 7}, {"eight", 8}, {"nine", 9},  {"ten", 10}, {"twelve", 12}};
  if (auto n = Integer(word)) return n;
  auto found = kNumbers.find(word);
  if (found == kNumbers.end()) return std::nullopt;
  return found->second;
}

// Words that say nothing about which product is meant.
const std::set<std::string_view>& StopWords() {
  static const std::set<std::string_view> kStop = {
      "the",      "and",    "for",     "with",  "what",  "which", "will",  "how",    "many",    "much",
      "sales",    "sale",   "sold",    "sell",  "units", "next",  "last",  "year",   "years",   "month",
      "months",   "week",   "weeks",   "this",  "that",  "from",  "into",  "show",   "tell",    "about",
      "forecast", "demand", "predict", "trend", "top",   "best",  "stock", "our",    "are",     "was",
      "were",     "did",    "does",    "have",  "has",   "there", "give",  "please", "can",     "you",
      "its",      "per",    "total",   "than",  "more",  "less",  "over",  "chain",  "product", "products"};
  return kStop;
}

struct Match {
  std::optional<std::string> sku, category;
  std::vector<std::string> candidates;
};

// A token of the message that may be a SKU: letters, digits, '.', '_' and '-' between anything else.
std::vector<std::string> SkuTokens(std::string_view lowered) {
  std::vector<std::string> tokens;
  std::string token;
  for (char c : lowered) {
    if (Alnum(c) || c == '-' || c == '_' || c == '.') {
      token += c;
      continue;
    }
    if (!token.empty()) tokens.push_back(std::move(token));
    token.clear();
  }
  if (!token.empty()) tokens.push_back(std::move(token));
  for (auto& t : tokens)  // a sentence's full stop or a trailing dash is not part of the SKU
    while (!t.empty() && (t.back() == '.' || t.back() == '-')) t.pop_back();
  return tokens;
}

Match FindProduct(std::string_view lowered, const std::vector<std::string>& words,
                  const CatalogueIndex& catalogue) {
  Match match;
  for (const auto& token : SkuTokens(lowered))
    if (auto found = catalogue.by_lower_sku.find(token); found != catalogue.by_lower_sku.end()) {
      match.sku = catalogue.entries[found->second].sku;
      return match;
    }
  std::set<std::string> asked;
  for (const auto& w : words)
    if (w.size() >= 3 && !StopWords().count(w) && !Integer(w)) asked.insert(w);
  // Name words shared by half the catalogue or more ("canned", "units") tell products apart no better than
  // stop words do.
  const std::size_t size = catalogue.entries.size();
  std::map<std::size_t, int> score;
  for (const auto& w : asked) {
    auto found = catalogue.by_name_word.find(w);
    if (found == catalogue.by_name_word.end()) continue;
    if (size >= 4 && found->second.size() * 2 > size) continue;
    for (std::size_t i : found->second) ++score[i];
  }
  int best = 0;
  std::vector<std::size_t> best_entries;
  for (const auto& [i, s] : score) {
    if (s > best) {
      best = s;
      best_entries = {i};
    } else if (s == best) {
      best_entries.push_back(i);
    }
  }
  if (best_entries.size() == 1) {
    match.sku = catalogue.entries[best_entries[0]].sku;
    return match;
  }
  for (std::size_t i : best_entries) match.candidates.push_back(catalogue.entries[i].sku);
  // A category by its own words ("tuna", "alcohol"): the one whose path matches the most of them.
  int top = 0;
  for (const auto& [category, category_words] : catalogue.category_words) {
    int matched = 0;
    for (const auto& w : category_words)
      if (asked.count(w) || asked.count(w + "s")) ++matched;
    if (matched > top) {
      top = matched;
      match.category = category;
    }
  }
  return match;
}

std::string Amount(double value) {
  const bool whole = std::fabs(value - std::round(value)) < 0.05;
  std::string digits =
      whole ? fmt::format("{:.0f}", std::fabs(value)) : fmt::format("{:.1f}", std::fabs(value));
  std::size_t point = digits.find('.');
  std::size_t end = point == std::string::npos ? digits.size() : point;
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (point != std::string::npos) out += digits.substr(point);
  return (value < 0 ? "-" : "") + out;
}

std::string MonthName(std::string_view day) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  int month = (day[5] - '0') * 10 + (day[6] - '0');
  return fmt::format("{} {}", kMonths[std::clamp(month, 1, 12) - 1], day.substr(0, 4));
}

// A period for people: "March 2017" for a month, the date of its first day otherwise.
std::string PeriodName(std::string_view day, std::string_view interval) {
  if (interval != "month") return std::string(day);
  return MonthName(day);
}

std::string HelpText(const std::vector<CatalogueEntry>& catalogue) {
  std::string examples;
  for (std::size_t i = 0; i < catalogue.size() && i < 3; ++i) examples += (i ? ", " : "") + catalogue[i].sku;
  return fmt::format(
      "I can answer questions about the catalogue's sales and forecasts, for example:\n"
      "- \"Forecast {0} for the next 6 months\" (demand with 80% intervals, from the served model)\n"
      "- \"How many units of {0} did we sell in 2016?\" or \"... in the last 3 months\"\n"
      "- \"Is {0} growing?\" (the last 12 months against the 12 before)\n"
      "- \"Top 5 products last year\"\n"
      "- \"Which products are at risk of running out of stock?\"\n"
      "Name a product by its SKU or words of its name{1}.",
      catalogue.empty() ? "BRD-001" : catalogue[0].sku,
      examples.empty() ? " (the catalogue is empty: add products first)" : " (e.g. " + examples + ")");
}

// The days a question's period covers, given the latest day with sales: a year asked for, or the last
// `months` months of data (12 by default), to the end of the latest sale's month.
std::pair<std::int64_t, std::int64_t> PeriodOf(const Question& q, std::int64_t latest) {
  if (q.year)
    return {*ParseDay(fmt::format("{}-01-01", *q.year)), *ParseDay(fmt::format("{}-12-31", *q.year))};
  const std::int64_t month = PeriodStart(latest, Interval::kMonth);
  const std::int64_t end = AddPeriods(month, Interval::kMonth, 1) - 1;
  const int latest_year = std::stoi(FormatDay(latest).substr(0, 4));
  if (q.this_year) return {*ParseDay(fmt::format("{}-01-01", latest_year)), end};
  if (q.last_year)
    return {*ParseDay(fmt::format("{}-01-01", latest_year - 1)),
            *ParseDay(fmt::format("{}-12-31", latest_year - 1))};
  return {AddPeriods(month, Interval::kMonth, -(q.months.value_or(12) - 1)), end};
}

std::string Named(const CatalogueIndex& catalogue, const std::string& sku) {
  const CatalogueEntry* e = catalogue.Find(sku);
  return e ? fmt::format("{} ({})", e->name, sku) : sku;
}

std::string ForecastText(const nlohmann::json& f, const std::string& named) {
  if (f.contains("error")) return f["error"].get<std::string>() + ".";
  const auto& model = f["model"];
  std::string text =
      model["version"].is_string()
          ? fmt::format("Forecast for {}, from the {} model {}:", named, model["family"].get<std::string>(),
                        model["version"].get<std::string>())
          : fmt::format("Forecast for {} (no model trained yet: seasonal naive on its sales so far):", named);
  double total = 0;
  for (const auto& p : f["points"]) {
    text += fmt::format("\n- {}: {} (80% interval {} to {})",
                        PeriodName(p["period"].get<std::string>(), f["interval"].get<std::string>()),
                        Amount(p["forecast"].get<double>()), Amount(p["lower80"].get<double>()),
                        Amount(p["upper80"].get<double>()));
    total += p["forecast"].get<double>();
  }
  return text +
         fmt::format("\nIn all {} over the {} periods after {}.", Amount(total), f["points"].size(),
                     PeriodName(f["history_end"].get<std::string>(), f["interval"].get<std::string>()));
}

std::string SalesText(const nlohmann::json& s, const std::string& named) {
  std::string text = fmt::format("{} sold {} units from {} to {}", named, Amount(s["quantity"].get<double>()),
                                 s["from"].get<std::string>(), s["to"].get<std::string>());
  if (s.contains("revenue")) text += fmt::format(", for {} in revenue", Amount(s["revenue"].get<double>()));
  if (s["sales"].get<std::int64_t>() == 0) text += " (no sale is recorded in that period)";
  return text + ".";
}

std::string TopText(const nlohmann::json& top, const CatalogueIndex& catalogue) {
  if (top["items"].empty())
    return fmt::format("No sales are recorded from {} to {}.", top["from"].get<std::string>(),
                       top["to"].get<std::string>());
  std::string text = fmt::format("Best sellers from {} to {}:", top["from"].get<std::string>(),
                                 top["to"].get<std::string>());
  int rank = 0;
  for (const auto& item : top["items"])
    text += fmt::format("\n{}. {}: {} units", ++rank, Named(catalogue, item["sku"].get<std::string>()),
                        Amount(item["quantity"].get<double>()));
  return text;
}

std::string StockText(const nlohmann::json& risk) {
  const auto checked = risk["checked"].get<std::size_t>();
  if (checked == 0)
    return "No product has its stock tracked, so none can be judged: set it with PATCH "
           "/api/v1/products/{sku} "
           "{\"stock\": N}.";
  if (risk["at_risk"].empty())
    return fmt::format(
        "None of the {} products with tracked stock is below its forecast demand for the next period.",
        checked);
  std::string text = fmt::format("{} of the {} products with tracked stock are below their forecast demand:",
                                 risk["at_risk"].size(), checked);
  for (const auto& p : risk["at_risk"])
    text += fmt::format("\n- {} ({}): stock {}, forecast {} for {}, short by {}", p["sku"].get<std::string>(),
                        p["name"].get<std::string>(), Amount(p["stock"].get<double>()),
                        Amount(p["forecast_next_period"].get<double>()),
                        PeriodName(p["period"].get<std::string>(), p["interval"].get<std::string>()),
                        Amount(p["shortfall"].get<double>()));
  return text;
}

std::string TrendText(const nlohmann::json& recent, const nlohmann::json& before, const std::string& named) {
  const double now = recent["quantity"].get<double>(), then = before["quantity"].get<double>();
  std::string text =
      fmt::format("{} sold {} units from {} to {}, against {} from {} to {}", named, Amount(now),
                  recent["from"].get<std::string>(), recent["to"].get<std::string>(), Amount(then),
                  before["from"].get<std::string>(), before["to"].get<std::string>());
  if (then <= 0) return text + ".";
  const double change = (now - then) / then * 100;
  if (std::fabs(change) < 1) return text + ": about the same.";
  return text + fmt::format(": {} {:.1f}%.", change > 0 ? "up" : "down", std::fabs(change));
}

std::string WhichProduct(const Question& q, const CatalogueIndex& catalogue) {
  if (!q.candidates.empty()) {
    std::string list;
    for (const auto& sku : q.candidates) list += (list.empty() ? "" : ", ") + Named(catalogue, sku);
    return "Which product do you mean? It could be " + list + ".";
  }
  return "Which product do you mean? Name it by its SKU or words of its name.\n\n" +
         HelpText(catalogue.entries);
}

}  // namespace

Question ReadQuestion(std::string_view message, const CatalogueIndex& catalogue) {
  Question q;
  const std::string lowered = Lower(message);
  const auto words = Words(message);
  Match match = FindProduct(lowered, words, catalogue);
  q.sku = match.sku;
  q.category = match.category;
  q.candidates = match.candidates;
  for (std::size_t i = 0; i < words.size(); ++i) {
    auto n = Integer(words[i]);
    if (n && *n >= 1900 && *n <= 2999 && (i == 0 || words[i - 1] != "next")) q.year = *n;
    if (i + 1 < words.size()) {
      auto count = NumberWord(words[i + 1]);
      if ((words[i] == "next" || words[i] == "last" || words[i] == "past") && i + 2 < words.size() && count) {
        const std::string& unit = words[i + 2];
        int periods = unit.starts_with("year")      ? *count * 12
                      : unit.starts_with("quarter") ? *count * 3
                                                    : *count;
        if (words[i] == "next")
          q.horizon = periods;
        else
          q.months = periods;
      }
      if (words[i] == "top" && count) q.top_n = *count;
    }
  }
  if (Contains(lowered, "next quarter")) q.horizon = 3;
  if (Contains(lowered, "next year")) q.horizon = 12;
  if (Contains(lowered, "next month")) q.horizon = 1;
  if (Contains(lowered, "last year")) q.last_year = true;
  if (Contains(lowered, "this year")) q.this_year = true;
  if (Contains(lowered, "last month")) q.months = 1;
  q.horizon = std::clamp(q.horizon, 1, 60);
  q.top_n = std::clamp(q.top_n, 1, 50);

  if (words.empty() || Has(words, {"help", "hello", "hi"}) || Contains(lowered, "what can you"))
    q.intent = Intent::kHelp;
  else if (Has(words, {"stock", "stocks", "reorder", "restock", "inventory"}) ||
           Contains(lowered, "run out") || Contains(lowered, "running out"))
    q.intent = Intent::kStockRisk;
  else if (Has(words, {"top", "best", "bestseller", "bestsellers", "best-selling"}) ||
           Contains(lowered, "most sold") || Contains(lowered, "sold the most") ||
           Contains(lowered, "sells the most"))
    q.intent = Intent::kTop;
  else if (Has(words,
               {"forecast", "predict", "prediction", "expect", "expected", "future", "demand", "will"}) ||
           Contains(lowered, "next "))
    q.intent = Intent::kForecast;
  else if (Has(words, {"trend", "growing", "growth", "declining", "decline", "increasing", "decreasing",
                       "rising", "falling"}))
    q.intent = Intent::kTrend;
  else if (Has(words, {"sales", "sold", "sell", "sells", "revenue", "units", "many", "much"}))
    q.intent = Intent::kSales;
  else if (q.sku || q.category)
    q.intent = Intent::kOverview;
  return q;
}

Task<Result<ChatReply>> ChatAnalyst::Reply(std::string message) {
  ChatReply reply;
  auto catalogue = co_await tools_.Catalogue();
  if (!catalogue) co_return std::move(catalogue).error();
  const CatalogueIndex& index = **catalogue;
  Question q = ReadQuestion(message, index);
  if (q.intent == Intent::kHelp || q.intent == Intent::kUnknown) {
    reply.text =
        (q.intent == Intent::kUnknown ? std::string("I did not understand that question.\n\n") : "") +
        HelpText(index.entries);
    co_return reply;
  }
  if (q.intent == Intent::kStockRisk) {
    auto risk = co_await tools_.StockRisk(reply.facts);
    if (!risk) co_return std::move(risk).error();
    reply.text = StockText(*risk);
    co_return reply;
  }
  auto latest = co_await tools_.LatestSale(q.sku);
  if (!latest) co_return std::move(latest).error();
  if (q.intent == Intent::kTop) {
    if (!*latest) {
      reply.text = "No sales are recorded yet.";
      co_return reply;
    }
    auto [from, to] = PeriodOf(q, **latest);
    auto top = co_await tools_.TopProducts(from, to, q.top_n, reply.facts);
    if (!top) co_return std::move(top).error();
    reply.text = TopText(*top, index);
    co_return reply;
  }
  if (!q.sku && !(q.category && q.intent == Intent::kSales)) {
    reply.text = q.category && q.intent != Intent::kSales
                     ? fmt::format("That names the category {}; forecasts and trends are per product. {}",
                                   *q.category, WhichProduct(q, index))
                     : WhichProduct(q, index);
    co_return reply;
  }
  const std::string named = q.sku ? Named(index, *q.sku) : "The category " + *q.category;
  if (q.intent == Intent::kForecast) {
    auto forecast = co_await tools_.Forecast(*q.sku, q.horizon, reply.facts);
    if (!forecast) co_return std::move(forecast).error();
    reply.text = ForecastText(*forecast, named);
    co_return reply;
  }
  if (!*latest) {
    auto latest_any = co_await tools_.LatestSale(std::nullopt);
    if (!latest_any) co_return std::move(latest_any).error();
    if (!*latest_any || q.sku) {
      reply.text = named + " has no sales recorded yet.";
      co_return reply;
    }
    *latest = *latest_any;
  }
  auto [from, to] = PeriodOf(q, **latest);
  auto sales = co_await tools_.Sales(q.sku, q.category, from, to, reply.facts);
  if (!sales) co_return std::move(sales).error();
  if (q.intent == Intent::kTrend && !q.year) {
    const std::int64_t span = PeriodsBetween(PeriodStart(from, Interval::kMonth),
                                             PeriodStart(to, Interval::kMonth), Interval::kMonth) +
                              1;
    const std::int64_t before_from = AddPeriods(PeriodStart(from, Interval::kMonth), Interval::kMonth, -span);
    auto before = co_await tools_.Sales(q.sku, q.category, before_from, from - 1, reply.facts);
    if (!before) co_return std::move(before).error();
    reply.text = TrendText(*sales, *before, named);
    co_return reply;
  }
  reply.text = SalesText(*sales, named);
  if (q.intent == Intent::kOverview && q.sku) {
    auto forecast = co_await tools_.Forecast(*q.sku, 3, reply.facts);
    if (!forecast) co_return std::move(forecast).error();
    reply.text += "\n\n" + ForecastText(*forecast, named);
  }
  co_return reply;
}

}  // namespace keel::siprems
