#include "storage/blobs/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <system_error>

#include <fmt/format.h>

#include "core/random.hpp"

namespace keel::blobs {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTemporaryFolder = "tmp";
constexpr std::string_view kUploadsFolder = "uploads";

Error IoError(std::string_view what, const fs::path& path, int error_number) {
  return Error{ErrorCode::kInternal,
               fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number))};
}

// Writes all of bytes, retrying short writes and interrupts.
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Makes a rename inside `folder` durable.
void SyncFolder(const fs::path& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::chrono::seconds SinceLastWrite(const fs::directory_entry& entry) {
  std::error_code ec;
  auto written = entry.last_write_time(ec);
  if (ec) return std::chrono::seconds(0);
  auto age = fs::file_time_type::clock::now() - written;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(age));
}

// Reads a whole file in 64 KiB pieces, handing each to `take` (which may stop the read with an error).
Result<void> ReadInPieces(const fs::path& path, const std::function<Result<void>(std::string_view)>& take) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error{ErrorCode::kNotFound, fmt::format("no file {}", path.string())};
    return IoError("cannot open", path, errno);
  }
  char buffer[65536];
  Result<void> outcome = Ok();
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      outcome = IoError("cannot read", path, errno);
      break;
    }
    if (n == 0) break;
    outcome = take(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (!outcome) break;
  }
  ::close(fd);
  return outcome;
}

}  // namespace

bool ValidBlobName(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

BlobWriter::BlobWriter(fs::path root, fs::path temporary, int fd)
    : root_(std::move(root)), temporary_(std::move(temporary)), fd_(fd) {}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : root_(std::move(other.root_)),
      temporary_(std::move(other.temporary_)),
      fd_(std::exchange(other.fd_, -1)),
      hash_(std::move(other.hash_)),
      size_(other.size_) {
  other.temporary_.clear();
}

BlobWriter::~BlobWriter() { Abandon(); }

void BlobWriter::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  temporary_.clear();
}

Result<void> BlobWriter::Write(std::string_view bytes) {
  if (fd_ < 0) return Error{ErrorCode::kInternal, "blob writer used after commit"};
  if (!WriteAll(fd_, bytes)) return IoError("cannot write", temporary_, errno);
  hash_.Update(bytes);
  size_ += bytes.size();
  return Ok();
}

Result<BlobInfo> BlobWriter::Commit() {
  if (fd_ < 0) return Error{ErrorCode::kInternal, "blob writer used after commit"};
  if (::fsync(fd_) != 0) return IoError("cannot sync", temporary_, errno);
  ::close(fd_);
  fd_ = -1;
  BlobInfo info{hash_.FinishHex(), size_};
  fs::path target = root_ / info.sha256.substr(0, 2) / info.sha256.substr(2, 2) / info.sha256;
  std::error_code ec;
  if (fs::exists(target, ec)) {
    // Same bytes as a blob already stored: keep that one, and mark it recently wanted.
    ::utimensat(AT_FDCWD, target.c_str(), nullptr, 0);
    Abandon();
    return info;
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return Error{ErrorCode::kInternal,
                 fmt::format("cannot create {}: {}", target.parent_path().string(), ec.message())};
  if (::rename(temporary_.c_str(), target.c_str()) != 0) return IoError("cannot rename into", target, errno);
  temporary_.clear();
  SyncFolder(target.parent_path());
  return info;
}

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {}

Result<void> BlobStore::Open() {
  std::error_code ec;
  fs::create_directories(root_ / kTemporaryFolder, ec);
  if (!ec) fs::create_directories(root_ / kUploadsFolder, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable, fmt::format("blob store {}: {}", root_.string(), ec.message())};
  return Ok();
}

Result<BlobWriter> BlobStore::Create() {
  fs::path temporary = root_ / kTemporaryFolder / (NewId() + ".part");
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", temporary, errno);
  return BlobWriter(root_, std::move(temporary), fd);
}

Result<BlobInfo> BlobStore::Put(std::string_view bytes) {
  auto writer = Create();
  if (!writer) return std::move(writer).error();
  if (auto written = writer->Write(bytes); !written) return std::move(written).error();
  return writer->Commit();
}

fs::path BlobStore::PathOf(std::string_view sha256) const {
  std::string name(sha256);
  return root_ / name.substr(0, 2) / name.substr(2, 2) / name;
}

std::optional<std::uint64_t> BlobStore::SizeOf(std::string_view sha256) const {
  if (!ValidBlobName(sha256)) return std::nullopt;
  struct stat info {};
  if (::stat(PathOf(sha256).c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(info.st_size);
}

std::optional<std::chrono::seconds> BlobStore::AgeOf(std::string_view sha256) const {
  if (!ValidBlobName(sha256)) return std::nullopt;
  std::error_code ec;
  fs::directory_entry entry(PathOf(sha256), ec);
  if (ec || !entry.is_regular_file(ec)) return std::nullopt;
  return SinceLastWrite(entry);
}

Result<std::string> BlobStore::Read(std::string_view sha256, std::uint64_t max_bytes) const {
  if (!ValidBlobName(sha256)) return Error{ErrorCode::kInvalidArgument, "not a blob name"};
  std::string bytes;
  auto read = ReadInPieces(PathOf(sha256), [&](std::string_view piece) -> Result<void> {
    if (bytes.size() + piece.size() > max_bytes)
      return Error{ErrorCode::kTooLarge, fmt::format("blob {} is over {} bytes", sha256, max_bytes)};
    bytes.append(piece);
    return Ok();
  });
  if (!read) {
    if (read.error().code == ErrorCode::kNotFound)
      return Error{ErrorCode::kNotFound, fmt::format("no blob {}", sha256)};
    return std::move(read).error();
  }
  if (Sha256Hex(bytes) != sha256)
    return Error{ErrorCode::kInternal,
                 fmt::format("blob {} is damaged: its bytes no longer match its name", sha256)};
  return bytes;
}

Result<void> BlobStore::Remove(std::string_view sha256) const {
  if (!ValidBlobName(sha256)) return Error{ErrorCode::kInvalidArgument, "not a blob name"};
  fs::path path = PathOf(sha256);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot remove", path, errno);
  return Ok();
}

fs::path BlobStore::PartialPath(std::string_view id) const {
  return root_ / kUploadsFolder / (std::string(id) + ".part");
}

Result<BlobInfo> BlobStore::Adopt(const fs::path& file) const {
  Sha256 hash;
  std::uint64_t size = 0;
  auto read = ReadInPieces(file, [&](std::string_view piece) -> Result<void> {
    hash.Update(piece);
    size += piece.size();
    return Ok();
  });
  if (!read) return std::move(read).error();
  BlobInfo info{hash.FinishHex(), size};
  fs::path target = PathOf(info.sha256);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    ::utimensat(AT_FDCWD, target.c_str(), nullptr, 0);
    ::unlink(file.c_str());
    return info;
  }
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return Error{ErrorCode::kInternal,
                 fmt::format("cannot create {}: {}", target.parent_path().string(), ec.message())};
  if (::rename(file.c_str(), target.c_str()) != 0) return IoError("cannot rename into", target, errno);
  SyncFolder(target.parent_path());
  return info;
}

std::vector<std::pair<std::string, std::chrono::seconds>> BlobStore::List() const {
  std::vector<std::pair<std::string, std::chrono::seconds>> blobs;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() &&
        (it->path().filename() == kTemporaryFolder || it->path().filename() == kUploadsFolder)) {
      it.disable_recursion_pending();
      continue;
    }
    std::string name = it->path().filename().string();
    if (it->is_regular_file() && ValidBlobName(name)) blobs.emplace_back(name, SinceLastWrite(*it));
  }
  return blobs;
}

std::size_t BlobStore::RemoveStaleTemporaries(std::chrono::seconds age) const {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / kTemporaryFolder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && SinceLastWrite(*it) >= age && ::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace keel::blobs
