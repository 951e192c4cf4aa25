// Resumable uploads (tus 1.0.0) in the database and on the blob volume: each upload's length and how much of
// it arrived, its bytes in a part file any instance can append to, and one PATCH at a time (a lock with a
// short lease, renewed as bytes arrive, so a crashed instance's lock lapses within a minute). A finished
// upload becomes a blob, counted until the upload expires or is terminated; batches name it by id.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "apps/image2model/image.hpp"
#include "core/async.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "storage/blobs/blob_store.hpp"

namespace keel::sql {
class Database;
}

namespace keel::image2model {

struct TusUpload {
  std::string id;
  std::string owner_id;
  std::int64_t length = 0;
  std::int64_t offset = 0;
  std::string filename;
  std::optional<std::string> sha256;  // set once complete
  std::string media_type;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::optional<std::string> error;  // the finished bytes are not a usable image
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;

  bool Complete() const { return sha256.has_value(); }
};

class TusStore {
 public:
  TusStore(sql::Database& database, blobs::BlobStore& blobs, BlockingPool& pool, const Clock& clock,
           std::chrono::hours ttl, std::uint64_t max_pixels)
      : database_(database), blobs_(blobs), pool_(pool), clock_(clock), ttl_(ttl), max_pixels_(max_pixels) {}

  Task<Result<TusUpload>> Create(std::string owner_id, std::int64_t length, std::string filename);
  Task<Result<std::optional<TusUpload>>> Find(std::string id);
  // Takes the upload for one PATCH that starts at `offset`: its lock token, or nullopt when the upload is
  // elsewhere (another offset) or another PATCH holds it.
  Task<Result<std::optional<std::string>>> Claim(std::string id, std::int64_t offset);
  // Records that the bytes up to `offset` are on disk (and renews the lock; `release` lets it go).
  Task<Result<bool>> Advance(std::string id, std::string token, std::int64_t offset, bool release);
  // The last bytes arrived: the part file becomes a blob (counted), and its bytes are checked for an image.
  Task<Result<TusUpload>> Finish(std::string id);
  // Removes the upload, its part file and its count; false when there was none.
  Task<Result<bool>> Terminate(std::string id);
  // Terminates uploads past their expiry; how many.
  Task<Result<std::int64_t>> Expire();

  // Writes bytes at `offset` of the upload's part file and makes them durable (blocking: call on the pool).
  Result<void> WriteAt(const std::string& id, std::int64_t offset, std::string_view bytes) const;
  BlockingPool& pool() { return pool_; }
  const Clock& clock() const { return clock_; }

 private:
  sql::Database& database_;
  blobs::BlobStore& blobs_;
  BlockingPool& pool_;
  const Clock& clock_;
  std::chrono::hours ttl_;
  std::uint64_t max_pixels_;
};

}  // namespace keel::image2model
