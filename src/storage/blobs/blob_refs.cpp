#include "storage/blobs/blob_refs.hpp"

#include <set>
#include <string>
#include <utility>

#include "storage/sql/database.hpp"

namespace keel::blobs {

namespace {

constexpr std::size_t kSweepBatch = 500;

}  // namespace

sql::Statement AddRef(const BlobInfo& blob) {
  return {
      "INSERT INTO blob_refs (sha256, size, refs, released_ms) VALUES (?, ?, 1, NULL) "
      "ON CONFLICT (sha256) DO UPDATE SET refs = blob_refs.refs + 1, released_ms = NULL",
      {blob.sha256, static_cast<std::int64_t>(blob.size)}};
}

sql::Statement Release(std::string_view sha256, std::int64_t now_ms) {
  return {
      "UPDATE blob_refs SET refs = refs - 1, "
      "released_ms = CASE WHEN refs - 1 <= 0 THEN ? ELSE released_ms END WHERE sha256 = ?",
      {now_ms, std::string(sha256)}};
}

Task<Result<SweepReport>> Sweep(sql::Database& database, const BlobStore& store, BlockingPool& pool,
                                std::int64_t now_ms, std::chrono::seconds grace) {
  SweepReport report;
  const std::int64_t cutoff = now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(grace).count();

  // Released long enough ago: the row goes first (only if still unreferenced), then the file, unless the file
  // was reused within the grace period (an upload of the same bytes about to take a reference).
  // Statements and parameters are named before the co_await: g++ 12 mishandles temporaries inside one.
  std::string select_released =
      "SELECT sha256 FROM blob_refs WHERE refs <= 0 AND released_ms < ? ORDER BY released_ms LIMIT ?";
  sql::Params released_params{cutoff, static_cast<std::int64_t>(kSweepBatch)};
  auto released = co_await database.Query(std::move(select_released), std::move(released_params));
  if (!released) co_return std::move(released).error();
  for (std::size_t i = 0; i < released->rows.size(); ++i) {
    std::string sha256(released->Text(i, 0).value_or(""));
    auto recent = co_await RunBlocking(pool, [&]() -> Result<bool> {
      auto age = store.AgeOf(sha256);
      return age && *age < grace;
    });
    if (!recent) co_return std::move(recent).error();
    if (*recent) continue;
    std::string drop = "DELETE FROM blob_refs WHERE sha256 = ? AND refs <= 0 AND released_ms < ?";
    sql::Params drop_params{sha256, cutoff};
    auto dropped = co_await database.Execute(std::move(drop), std::move(drop_params));
    if (!dropped) co_return std::move(dropped).error();
    if (*dropped == 0) continue;
    auto removed = co_await RunBlocking(pool, [&] { return store.Remove(sha256); });
    if (!removed) co_return std::move(removed).error();
    ++report.released;
  }

  // Files the table does not know: a writer that stored its file and crashed before its row committed.
  auto files = co_await RunBlocking(
      pool,
      [&]() -> Result<std::vector<std::pair<std::string, std::chrono::seconds>>> { return store.List(); });
  if (!files) co_return std::move(files).error();
  std::vector<std::string> old;
  for (auto& [name, age] : *files)
    if (age >= grace) old.push_back(name);
  for (std::size_t start = 0; start < old.size(); start += kSweepBatch) {
    std::size_t end = std::min(old.size(), start + kSweepBatch);
    std::string sql = "SELECT sha256 FROM blob_refs WHERE sha256 IN (";
    sql::Params params;
    for (std::size_t i = start; i < end; ++i) {
      sql += i == start ? "?" : ", ?";
      params.push_back(old[i]);
    }
    sql += ")";
    auto known = co_await database.Query(std::move(sql), std::move(params));
    if (!known) co_return std::move(known).error();
    std::set<std::string, std::less<>> counted;
    for (std::size_t row = 0; row < known->rows.size(); ++row)
      counted.emplace(known->Text(row, 0).value_or(""));
    for (std::size_t i = start; i < end; ++i) {
      if (counted.contains(old[i])) continue;
      const std::string& name = old[i];
      auto removed = co_await RunBlocking(pool, [&] { return store.Remove(name); });
      if (!removed) co_return std::move(removed).error();
      ++report.orphans;
    }
  }

  auto temporaries = co_await RunBlocking(
      pool, [&]() -> Result<std::size_t> { return store.RemoveStaleTemporaries(grace); });
  if (!temporaries) co_return std::move(temporaries).error();
  report.temporaries = *temporaries;
  co_return report;
}

}  // namespace keel::blobs
