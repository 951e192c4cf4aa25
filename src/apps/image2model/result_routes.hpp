// Downloads of generated results: GET /api/v1/results/{file_id}/model.{glb|stl|obj} and /thumbnail.png,
// for the batch's owner only, streamed from the blob store with ETag (the blob's SHA-256), single byte
// ranges, and Content-Disposition; 410 once the results expired.
#pragma once

#include "apps/image2model/batch_store.hpp"
#include "core/blocking_pool.hpp"
#include "http/router.hpp"

namespace keel::image2model {

class ResultRoutes {
 public:
  ResultRoutes(BatchStore& store, blobs::BlobStore& blobs, BlockingPool& pool, const Clock& clock)
      : store_(store), blobs_(blobs), pool_(pool), clock_(clock) {}

  void AddTo(http::Router& router);

 private:
  enum class Kind { kGlb, kStl, kObj, kThumbnail };
  Task<http::Response> Download(http::Request& request, Kind kind);

  BatchStore& store_;
  blobs::BlobStore& blobs_;
  BlockingPool& pool_;
  const Clock& clock_;
};

// A single byte range of a body of `size` bytes, from a Range header: nullopt when the header is not one
// range this server honours (then the whole body is sent); an empty range (first > last) when it cannot be
// satisfied (416).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
std::optional<ByteRange> ParseRange(std::string_view header, std::uint64_t size);

}  // namespace keel::image2model
