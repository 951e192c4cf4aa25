#include "apps/image2model/upload_form.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "http/multipart.hpp"

namespace keel::image2model {

namespace {

constexpr std::size_t kMaxFieldBytes = 4096;
constexpr std::size_t kProbeWindow =
    256 * 1024;  // a JPEG's size may follow an EXIF block of up to 64 KiB and more
// Bytes gathered per upload before each write on the pool: few enough pool hops, and little memory per upload
// (16 uploads at once hold 2 MiB).
constexpr std::size_t kWriteChunk = 128 * 1024;

// One `files` part on its way into the blob store.
class FilePart {
 public:
  FilePart(blobs::BlobStore& store, BlockingPool& pool, const UploadLimits& limits, std::string filename)
      : store_(store), pool_(pool), limits_(limits) {
    file_.filename = std::move(filename);
  }

  Task<Result<void>> Add(std::string_view data) {
    if (!file_.error.empty()) co_return Ok();  // refused: the rest of its bytes are dropped
    size_ += data.size();
    if (size_ > limits_.max_file_bytes) {
      Refuse(fmt::format("the file is over the limit of {} MiB", limits_.max_file_bytes >> 20));
      co_return Ok();
    }
    pending_.append(data);
    if (!file_.header) {
      auto probed = ProbeImage(pending_, pending_.size() >= kProbeWindow);
      if (!probed) {
        Refuse(probed.error().message);
        co_return Ok();
      }
      if (!*probed) co_return Ok();  // not enough yet to tell
      if (!Accept(**probed)) co_return Ok();
    }
    if (pending_.size() >= kWriteChunk) co_return co_await Flush();
    co_return Ok();
  }

  // The part is complete: what became of it.
  Task<Result<UploadedFile>> Finish() {
    if (file_.error.empty() && !file_.header) {
      auto probed = ProbeImage(pending_, true);
      if (!probed) {
        Refuse(probed.error().message);
      } else if (size_ == 0) {
        Refuse("the file is empty");
      } else {
        Accept(**probed);
      }
    }
    if (!file_.error.empty()) co_return std::move(file_);
    auto flushed = co_await Flush();
    if (!flushed) co_return std::move(flushed).error();
    auto committed = co_await RunBlocking(pool_, [this] { return writer_->Commit(); });
    if (!committed) co_return std::move(committed).error();
    file_.blob = std::move(committed).value();
    writer_.reset();
    co_return std::move(file_);
  }

 private:
  bool Accept(const ImageHeader& header) {
    std::uint64_t pixels = std::uint64_t(header.width) * std::uint64_t(header.height);
    if (pixels > limits_.max_pixels) {
      Refuse(fmt::format("the image is {}x{}: over the limit of {} pixels", header.width, header.height,
                         limits_.max_pixels));
      return false;
    }
    file_.header = header;
    return true;
  }

  void Refuse(std::string reason) {
    file_.error = std::move(reason);
    pending_.clear();
    pending_.shrink_to_fit();
    writer_.reset();  // removes what was written of it
  }

  Task<Result<void>> Flush() {
    if (pending_.empty()) co_return Ok();
    auto written = co_await RunBlocking(pool_, [this]() -> Result<void> {
      if (!writer_) {
        auto created = store_.Create();
        if (!created) return std::move(created).error();
        writer_.emplace(std::move(created).value());
      }
      return writer_->Write(pending_);
    });
    pending_.clear();
    co_return written;
  }

  blobs::BlobStore& store_;
  BlockingPool& pool_;
  const UploadLimits& limits_;
  UploadedFile file_;
  std::optional<blobs::BlobWriter> writer_;
  std::string pending_;
  std::uint64_t size_ = 0;
};

}  // namespace

std::string PlainFilename(std::string_view sent, std::string fallback) {
  auto slash = sent.find_last_of("/\\");
  if (slash != std::string_view::npos) sent.remove_prefix(slash + 1);
  std::string name;
  for (char c : sent)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) name += c;
  if (name.size() > 255) name.resize(255);
  while (!name.empty() && !Utf8Length(name)) name.pop_back();  // a sequence cut by the resize, or invalid
  if (name.empty() || name == "." || name == "..") return fallback;
  return name;
}

Task<Result<UploadForm>> ReadUploadForm(http::Request& request, blobs::BlobStore& store, BlockingPool& pool,
                                        const UploadLimits& limits) {
  auto boundary = http::MultipartBoundary(request.headers.Get("Content-Type").value_or(""));
  if (!boundary)
    co_return Error{ErrorCode::kUnsupportedMedia, "this route takes multipart/form-data (with a boundary)"};
  if (request.body_stream == nullptr) co_return Error{ErrorCode::kInvalidArgument, "the request has no body"};
  http::MultipartReader reader(*boundary);
  UploadForm form;
  std::optional<FilePart> file;
  std::optional<std::string> field_name;
  std::string field_value;
  bool done = false;
  while (!done) {
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return std::move(piece).error();
    if (piece->empty()) break;
    reader.Feed(*piece);
    for (auto event = reader.Next(); event.kind != http::MultipartReader::Kind::kNeedMore;
         event = reader.Next()) {
      using Kind = http::MultipartReader::Kind;
      if (event.kind == Kind::kFailed) co_return reader.error();
      if (event.kind == Kind::kDone) {
        done = true;
        break;
      }
      if (event.kind == Kind::kPartBegin) {
        const http::PartHead& head = reader.head();
        if (head.name == "files") {
          if (form.files.size() >= limits.max_files)
            co_return Error{ErrorCode::kTooLarge,
                            fmt::format("more than {} files in one batch", limits.max_files)};
          std::string fallback = fmt::format("file-{}", form.files.size() + 1);
          file.emplace(store, pool, limits, PlainFilename(head.filename.value_or(""), fallback));
        } else {
          field_name = head.name;
          field_value.clear();
        }
      } else if (event.kind == Kind::kData) {
        if (file) {
          auto added = co_await file->Add(event.data);
          if (!added) co_return std::move(added).error();
        } else if (field_name) {
          if (field_value.size() + event.data.size() > kMaxFieldBytes)
            co_return Error{ErrorCode::kInvalidArgument,
                            fmt::format("the form field '{}' is over {} bytes", *field_name, kMaxFieldBytes)};
          field_value.append(event.data);
        }
      } else if (event.kind == Kind::kPartEnd) {
        if (file) {
          auto finished = co_await file->Finish();
          if (!finished) co_return std::move(finished).error();
          form.files.push_back(std::move(finished).value());
          file.reset();
        } else if (field_name) {
          form.fields[*field_name] = std::move(field_value);
          field_name.reset();
        }
      }
    }
  }
  if (auto finished = reader.Finish(); !finished) co_return finished.error();
  while (!request.body_stream->Complete()) {  // an epilogue after the closing boundary
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return std::move(piece).error();
  }
  co_return form;
}

}  // namespace keel::image2model
