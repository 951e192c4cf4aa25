// Which stored blobs are still wanted: a count per blob in the database (table blob_refs), changed in the
// same transaction as the rows that refer to the blob, and the sweep that removes the files nothing refers
// to.
//
// A blob's file is removed only when its count has been zero for a grace period and its file has not been
// written or reused within it, so an upload of the same bytes racing the sweep keeps its file.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/async.hpp"
#include "storage/blobs/blob_store.hpp"
#include "storage/sql/migrations.hpp"
#include "storage/sql/value.hpp"

namespace keel {
class BlockingPool;
}
namespace keel::sql {
class Database;
}

namespace keel::blobs {

// The blob_refs table, for `keel migrate` (compiled in from migrations/ beside this file).
const std::vector<sql::Migration>& Migrations(std::string_view backend);

// One more row refers to the blob (first reference: the row is created).
sql::Statement AddRef(const BlobInfo& blob);
// One row fewer; `now_ms` is kept as the release time when the count reaches zero.
sql::Statement Release(std::string_view sha256, std::int64_t now_ms);

struct SweepReport {
  std::size_t released = 0;     // unreferenced blobs removed
  std::size_t orphans = 0;      // files with no count at all (a writer that crashed before its row)
  std::size_t temporaries = 0;  // half-written files of crashed writers
};

// Removes blobs unreferenced for longer than `grace`, files the table does not know that are older than
// `grace`, and stale temporary files. Runs its file IO on `pool`.
Task<Result<SweepReport>> Sweep(sql::Database& database, const BlobStore& store, BlockingPool& pool,
                                std::int64_t now_ms, std::chrono::seconds grace);

}  // namespace keel::blobs
