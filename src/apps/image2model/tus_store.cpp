#include "apps/image2model/tus_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/format.h>

#include "core/random.hpp"
#include "storage/blobs/blob_refs.hpp"
#include "storage/sql/database.hpp"

namespace keel::image2model {

namespace {

constexpr std::int64_t kLockMs = 60'000;
constexpr std::size_t kProbeBytes = 256 * 1024;
constexpr std::string_view kColumns =
    "id, owner_id, upload_length, upload_offset, filename, sha256, media_type, width, height, error, "
    "created_ms, "
    "expires_ms";

TusUpload UploadFrom(const sql::Rows& rows, std::size_t r) {
  auto text = [&](std::size_t c) { return std::string(rows.Text(r, c).value_or("")); };
  TusUpload u;
  u.id = text(0);
  u.owner_id = text(1);
  u.length = rows.Int(r, 2).value_or(0);
  u.offset = rows.Int(r, 3).value_or(0);
  u.filename = text(4);
  if (rows.Text(r, 5)) u.sha256 = text(5);
  u.media_type = text(6);
  u.width = rows.Int(r, 7).value_or(0);
  u.height = rows.Int(r, 8).value_or(0);
  if (rows.Text(r, 9)) u.error = text(9);
  u.created_ms = rows.Int(r, 10).value_or(0);
  u.expires_ms = rows.Int(r, 11).value_or(0);
  return u;
}

sql::Statement Counted(const blobs::BlobInfo& blob) { return blobs::AddRef(blob); }

}  // namespace

Result<void> TusStore::WriteAt(const std::string& id, std::int64_t offset, std::string_view bytes) const {
  auto path = blobs_.PartialPath(id);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error{ErrorCode::kInternal,
                 fmt::format("cannot open {}: {}", path.string(), std::strerror(errno))};
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error_number = errno;
      ::close(fd);
      return Error{ErrorCode::kInternal,
                   fmt::format("cannot write {}: {}", path.string(), std::strerror(error_number))};
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
  // The offset is recorded only after this: an acknowledged offset is never ahead of the disk.
  int synced = ::fdatasync(fd);
  ::close(fd);
  if (synced != 0) return Error{ErrorCode::kInternal, fmt::format("cannot sync {}", path.string())};
  return Ok();
}

Task<Result<TusUpload>> TusStore::Create(std::string owner_id, std::int64_t length, std::string filename) {
  TusUpload upload;
  upload.id = NewId();
  upload.owner_id = std::move(owner_id);
  upload.length = length;
  upload.filename = std::move(filename);
  upload.created_ms = clock_.WallMillis();
  upload.expires_ms = upload.created_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  auto created = co_await RunBlocking(pool_, [&] { return WriteAt(upload.id, 0, {}); });
  if (!created) co_return std::move(created).error();
  auto inserted = co_await database_.Execute(
      "INSERT INTO i2m_uploads (id, owner_id, upload_length, upload_offset, filename, created_ms, "
      "expires_ms) "
      "VALUES (?, ?, ?, 0, ?, ?, ?)",
      sql::Args(upload.id, upload.owner_id, upload.length, upload.filename, upload.created_ms,
                upload.expires_ms));
  if (!inserted) co_return std::move(inserted).error();
  co_return upload;
}

Task<Result<std::optional<TusUpload>>> TusStore::Find(std::string id) {
  std::string sql = fmt::format("SELECT {} FROM i2m_uploads WHERE id = ?", kColumns);
  auto rows = co_await database_.Query(std::move(sql), sql::Args(std::move(id)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<TusUpload>();
  co_return std::optional<TusUpload>(UploadFrom(*rows, 0));
}

Task<Result<std::optional<std::string>>> TusStore::Claim(std::string id, std::int64_t offset) {
  const std::int64_t now = clock_.WallMillis();
  std::string token = NewId();
  auto claimed = co_await database_.Execute(
      "UPDATE i2m_uploads SET lock_token = ?, lock_until_ms = ? WHERE id = ? AND upload_offset = ? AND "
      "sha256 IS "
      "NULL AND (lock_until_ms IS NULL OR lock_until_ms < ?)",
      sql::Args(token, now + kLockMs, std::move(id), offset, now));
  if (!claimed) co_return std::move(claimed).error();
  if (*claimed == 0) co_return std::optional<std::string>();
  co_return std::optional<std::string>(std::move(token));
}

Task<Result<bool>> TusStore::Advance(std::string id, std::string token, std::int64_t offset, bool release) {
  const std::int64_t now = clock_.WallMillis();
  sql::Value lock_until = nullptr;
  if (!release) lock_until = now + kLockMs;
  sql::Value lock_token = nullptr;
  if (!release) lock_token = token;
  auto advanced = co_await database_.Execute(
      "UPDATE i2m_uploads SET upload_offset = ?, lock_until_ms = ?, lock_token = ? WHERE id = ? AND "
      "lock_token = ?",
      sql::Args(offset, std::move(lock_until), std::move(lock_token), std::move(id), std::move(token)));
  if (!advanced) co_return std::move(advanced).error();
  co_return *advanced == 1;
}

Task<Result<TusUpload>> TusStore::Finish(std::string id) {
  auto path = blobs_.PartialPath(id);
  auto adopted = co_await RunBlocking(pool_, [&] { return blobs_.Adopt(path); });
  if (!adopted) co_return std::move(adopted).error();
  const blobs::BlobInfo blob = *adopted;
  auto probed = co_await RunBlocking(pool_, [&]() -> Result<std::optional<ImageHeader>> {
    int fd = ::open(blobs_.PathOf(blob.sha256).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{ErrorCode::kInternal, "the finished upload's blob is missing"};
    std::string prefix(std::min<std::uint64_t>(blob.size, kProbeBytes), '\0');
    ssize_t n = ::pread(fd, prefix.data(), prefix.size(), 0);
    ::close(fd);
    prefix.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return ProbeImage(prefix, true);
  });
  std::optional<std::string> error;
  ImageHeader header;
  if (!probed) {
    error = probed.error().message;
  } else if (std::uint64_t(std::int64_t((*probed)->width)) * std::uint64_t((*probed)->height) > max_pixels_) {
    error = fmt::format("the image is {}x{}: over the limit of {} pixels", (*probed)->width,
                        (*probed)->height, max_pixels_);
  } else {
    header = **probed;
  }
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    sql::Value error_value = nullptr;
    if (error) error_value = *error;
    auto set = co_await session.Execute(
        "UPDATE i2m_uploads SET sha256 = ?, media_type = ?, width = ?, height = ?, error = ?, lock_token = "
        "NULL, "
        "lock_until_ms = NULL WHERE id = ? AND sha256 IS NULL",
        sql::Args(blob.sha256, std::string(MimeTypeOf(header.format)), header.width, header.height,
                  std::move(error_value), id));
    if (!set) co_return std::move(set).error();
    if (*set == 0) co_return Ok();  // finished already (a racing PATCH): counted once
    sql::Statement ref = Counted(blob);
    auto counted = co_await session.Execute(std::move(ref.sql), std::move(ref.params));
    if (!counted) co_return std::move(counted).error();
    co_return Ok();
  };
  auto stored = co_await database_.Transaction(body);
  if (!stored) co_return std::move(stored).error();
  auto upload = co_await Find(std::move(id));
  if (!upload) co_return std::move(upload).error();
  if (!*upload) co_return Error{ErrorCode::kNotFound, "the upload was terminated"};
  co_return std::move(**upload);
}

Task<Result<bool>> TusStore::Terminate(std::string id) {
  const std::int64_t now = clock_.WallMillis();
  std::optional<std::string> released;
  bool found = false;
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto rows =
        co_await session.Query("DELETE FROM i2m_uploads WHERE id = ? RETURNING sha256", sql::Args(id));
    if (!rows) co_return std::move(rows).error();
    found = !rows->empty();
    if (!found || !rows->Text(0, 0)) co_return Ok();
    released = std::string(*rows->Text(0, 0));
    sql::Statement release = blobs::Release(*released, now);
    auto done = co_await session.Execute(std::move(release.sql), std::move(release.params));
    if (!done) co_return std::move(done).error();
    co_return Ok();
  };
  auto done = co_await database_.Transaction(body);
  if (!done) co_return std::move(done).error();
  auto removed = co_await RunBlocking(pool_, [&]() -> Result<bool> {
    ::unlink(blobs_.PartialPath(id).c_str());
    return true;
  });
  if (!removed) co_return std::move(removed).error();
  co_return found;
}

Task<Result<std::int64_t>> TusStore::Expire() {
  auto rows = co_await database_.Query("SELECT id FROM i2m_uploads WHERE expires_ms < ? LIMIT 500",
                                       sql::Args(clock_.WallMillis()));
  if (!rows) co_return std::move(rows).error();
  std::int64_t expired = 0;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    auto done = co_await Terminate(std::string(rows->Text(r, 0).value_or("")));
    if (!done) co_return std::move(done).error();
    expired += *done ? 1 : 0;
  }
  co_return expired;
}

}  // namespace keel::image2model
