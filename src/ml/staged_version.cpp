// StagedVersion: naming, staging, the atomic rename and the announcement of a new registry version.
#include "ml/staged_version.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/log.hpp"
#include "core/sha256.hpp"
#include "ml/registry_changes.hpp"

namespace keel::ml {

namespace {

// "20261125T201500Z": sorts in time order, so the newest version is the greatest name.
std::string NewVersionName(const std::filesystem::path& model_root) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string base = fmt::format("{:%Y%m%dT%H%M%SZ}", now);
  std::string name = base;
  for (int n = 2; std::filesystem::exists(model_root / name); ++n) name = fmt::format("{}-{}", base, n);
  return name;
}

}  // namespace

Result<StagedVersion> StagedVersion::Create(const std::filesystem::path& model_dir, const std::string& name) {
  auto model_root = model_dir / name;
  std::error_code ec;
  std::filesystem::create_directories(model_root, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot create {}: {}", model_root.string(), ec.message())};
  std::string version = NewVersionName(model_root);
  auto staging = model_root / (".staging-" + version);
  std::filesystem::remove_all(staging, ec);
  std::filesystem::create_directories(staging, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot create {}: {}", staging.string(), ec.message())};
  return StagedVersion(model_dir, name, std::move(version), std::move(staging));
}

StagedVersion::StagedVersion(StagedVersion&& other) noexcept
    : model_dir_(std::move(other.model_dir_)),
      name_(std::move(other.name_)),
      version_(std::move(other.version_)),
      staging_(std::move(other.staging_)) {
  other.staging_.clear();
}

StagedVersion::~StagedVersion() {
  std::error_code ignored;
  if (!staging_.empty()) std::filesystem::remove_all(staging_, ignored);
}

Result<std::filesystem::path> StagedVersion::Publish() {
  auto directory = model_dir_ / name_ / version_;
  std::error_code ec;
  std::filesystem::rename(staging_, directory, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot publish {}: {}", directory.string(), ec.message())};
  staging_.clear();
  // Serving processes learn of the version from the change feed; one that misses it still finds the version
  // when it next loads the model, so a failed announcement is logged, not fatal.
  if (auto announced = AnnounceVersion(model_dir_, name_, version_); !announced)
    log::Warn("new model version not announced", log::Fields().Add("error", announced.error().message));
  return directory;
}

std::string Sha256OfFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return Sha256Hex(content.str());
}

}  // namespace keel::ml
