// The batch routes: upload (POST /api/v1/upload/batch), status and its event stream, the caller's batches,
// and cancellation. Thin: the upload form, the store and the status document do the work.
#pragma once

#include <string>

#include "apps/image2model/batch_store.hpp"
#include "apps/image2model/image2model_config.hpp"
#include "apps/image2model/tus_store.hpp"
#include "apps/image2model/upload_form.hpp"
#include "core/blocking_pool.hpp"
#include "http/router.hpp"

namespace keel::pubsub {
class PubSub;
}

namespace keel::image2model {

// The publish/subscribe channel that says a batch changed (its event streams re-read it).
std::string BatchChannel(std::string_view batch_id);

class BatchRoutes {
 public:
  BatchRoutes(BatchStore& store, TusStore& uploads, blobs::BlobStore& blobs, BlockingPool& pool,
              pubsub::PubSub& pubsub, const Clock& clock, Image2ModelOptions options)
      : store_(store),
        uploads_(uploads),
        blobs_(blobs),
        pool_(pool),
        pubsub_(pubsub),
        clock_(clock),
        options_(std::move(options)) {}

  void AddTo(http::Router& router);

 private:
  Task<http::Response> Upload(http::Request& request);
  // The form of a JSON body {"uploads": [ids], "format": ...}: finished tus uploads instead of file parts.
  Task<Result<UploadForm>> FormFromUploads(http::Request& request);
  Task<http::Response> Status(http::Request& request);
  Task<http::Response> Events(http::Request& request);
  Task<http::Response> List(http::Request& request);
  Task<http::Response> Cancel(http::Request& request);
  // The batch when the caller may see it (its owner, or an admin); a 404 answer otherwise.
  Task<std::variant<BatchRecord, http::Response>> Readable(http::Request& request);

  BatchStore& store_;
  TusStore& uploads_;
  blobs::BlobStore& blobs_;
  BlockingPool& pool_;
  pubsub::PubSub& pubsub_;
  const Clock& clock_;
  const Image2ModelOptions options_;
};

}  // namespace keel::image2model
