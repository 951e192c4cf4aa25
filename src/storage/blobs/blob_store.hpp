// Files by content: each blob is stored once under its SHA-256 (root/ab/cd/abcd...), written through a
// temporary file that is renamed into place only when complete, so a reader never sees half a blob and a
// crash leaves only a temporary file for the sweeper. In the scaled mode the root is a shared volume (like
// the seeds' model volume), so any instance or worker reads what another wrote.
//
// Blocking file IO throughout: call it from a blocking pool, never on an IO thread. Which blobs are still
// wanted is counted in the database (blob_refs.hpp); this class only holds the bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/sha256.hpp"

namespace keel::blobs {

struct BlobInfo {
  std::string sha256;  // 64 lower-case hex digits: the blob's name
  std::uint64_t size = 0;
};

// Whether text is a blob name (64 lower-case hex digits), so it can never name a path outside the store.
bool ValidBlobName(std::string_view text);

// One blob being written. Nothing is visible in the store until Commit; destroying an uncommitted writer
// removes its temporary file.
class BlobWriter {
 public:
  BlobWriter(std::filesystem::path root, std::filesystem::path temporary, int fd);
  ~BlobWriter();
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  BlobWriter(const BlobWriter&) = delete;

  Result<void> Write(std::string_view bytes);
  // Makes the file durable, then renames it to its content address. When that blob exists already its
  // modification time is refreshed (so a sweep does not take it from under the caller) and the copy dropped.
  Result<BlobInfo> Commit();
  std::uint64_t size() const { return size_; }

 private:
  void Abandon();

  std::filesystem::path root_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  Sha256 hash_;
  std::uint64_t size_ = 0;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root);

  // Creates the root and its temporary folder when missing.
  Result<void> Open();
  const std::filesystem::path& root() const { return root_; }

  Result<BlobWriter> Create();
  // A whole blob at once (results: a model file, a thumbnail).
  Result<BlobInfo> Put(std::string_view bytes);

  std::filesystem::path PathOf(std::string_view sha256) const;
  // How long since the blob was written or last stored again; nullopt when there is no such blob.
  std::optional<std::chrono::seconds> AgeOf(std::string_view sha256) const;
  // The blob's size, nullopt when there is no such blob.
  std::optional<std::uint64_t> SizeOf(std::string_view sha256) const;
  // The whole blob, checked against its name (a blob whose bytes no longer hash to it is kInternal).
  Result<std::string> Read(std::string_view sha256, std::uint64_t max_bytes) const;
  // Removes the blob's file; ok when it was not there.
  Result<void> Remove(std::string_view sha256) const;

  // Where a resumable upload gathers its bytes before it becomes a blob (root/uploads/<id>.part): on the same
  // volume, so Adopt is a rename. `id` must be a plain name.
  std::filesystem::path PartialPath(std::string_view id) const;
  // Makes a finished file a blob: hashes it, then renames it to its content address (or drops it when that
  // blob exists already). The file is gone afterwards either way.
  Result<BlobInfo> Adopt(const std::filesystem::path& file) const;

  // Every blob's name and age, for the sweep of files nothing refers to.
  std::vector<std::pair<std::string, std::chrono::seconds>> List() const;
  // Removes temporary files older than `age` (writers that crashed); returns how many.
  std::size_t RemoveStaleTemporaries(std::chrono::seconds age) const;

 private:
  std::filesystem::path root_;
};

}  // namespace keel::blobs
