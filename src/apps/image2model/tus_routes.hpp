// The tus 1.0.0 resumable upload protocol at /api/v1/uploads: core (HEAD for the offset, PATCH to append at
// it), creation (POST with Upload-Length and Upload-Metadata), termination (DELETE) and expiration
// (Upload-Expires). Every request but OPTIONS must say Tus-Resumable: 1.0.0 (else 412). A PATCH's bytes are
// streamed to the part file as they arrive; if the connection breaks, what arrived is kept and HEAD says
// where to resume. Finished uploads start generation through POST /api/v1/upload/batch {"uploads": [...]}.
#pragma once

#include "apps/image2model/tus_store.hpp"
#include "http/router.hpp"

namespace keel::image2model {

class TusRoutes {
 public:
  TusRoutes(TusStore& store, std::uint64_t max_file_bytes) : store_(store), max_file_bytes_(max_file_bytes) {}
  void AddTo(http::Router& router);

 private:
  Task<http::Response> Create(http::Request& request);
  Task<http::Response> Offset(http::Request& request);
  Task<http::Response> Append(http::Request& request);
  Task<http::Response> Terminate(http::Request& request);
  // The caller's upload, or the answer that refuses the request (412, 404, 410).
  Task<std::variant<TusUpload, http::Response>> Readable(http::Request& request);

  TusStore& store_;
  const std::uint64_t max_file_bytes_;
};

}  // namespace keel::image2model
