// The body of POST /api/v1/upload/batch read as it arrives: small form fields kept, each `files` part
// identified by its bytes (image.hpp's probe) and written to the blob store piece by piece, so memory stays
// flat whatever the upload's size. A file that is not an image, too large or has too many pixels is refused
// on its own (its bytes are dropped as they come); the others go on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/image2model/image.hpp"
#include "core/async.hpp"
#include "core/blocking_pool.hpp"
#include "http/message.hpp"
#include "storage/blobs/blob_store.hpp"

namespace keel::image2model {

struct UploadedFile {
  std::string filename;  // as sent, reduced to a plain name
  std::optional<ImageHeader> header;
  std::optional<blobs::BlobInfo> blob;  // stored (not yet counted: the batch's transaction counts it)
  std::string error;                    // non-empty: refused, nothing stored
};

struct UploadForm {
  std::map<std::string, std::string, std::less<>> fields;  // the non-file parts by name (last one wins)
  std::vector<UploadedFile> files;
};

struct UploadLimits {
  std::uint64_t max_file_bytes = 20ull << 20;
  std::uint64_t max_pixels = 40'000'000;
  std::size_t max_files = 20;
};

// Errors: kUnsupportedMedia when the body is not multipart/form-data; kInvalidArgument when it is malformed
// or a field is too long; kTooLarge for more files than the limit; the body stream's own error when it
// failed (the server answers that one itself).
Task<Result<UploadForm>> ReadUploadForm(http::Request& request, blobs::BlobStore& store, BlockingPool& pool,
                                        const UploadLimits& limits);

// A client's file name as a plain name: the last path segment, control characters dropped, valid UTF-8, at
// most 255 bytes; `fallback` when nothing is left.
std::string PlainFilename(std::string_view sent, std::string fallback);

}  // namespace keel::image2model
